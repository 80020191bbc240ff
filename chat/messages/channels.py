"""Messages of the WeChat / WeCom channel: linking channels, onboarding by code, check-ins, media."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # one member, several channels
    "link.code": (
        "关联码：{code}（{minutes} 分钟内有效，仅限一次）\n"
        "在另一个渠道（微信公众号 / 企业微信 / Telegram）发送：\n/link {code}\n"
        "关联后两边看到的是同一份客户资料。",
        "Link code: {code} (valid {minutes} minutes, once)\n"
        "On your other channel (WeChat Official Account / WeCom / Telegram) send:\n/link {code}\n"
        "Both will then show the same customers.",
    ),
    "link.already_member": (
        "这个账号已经是团队成员了。要关联另一个渠道，请在这里发送 /link 获取关联码，再到另一个渠道发送 /link 关联码。",
        "This account is already a member. To link another channel, send /link here for a code and "
        "send /link CODE on the other channel.",
    ),
    "link.done": ("已关联！欢迎回来，{name}。", "Linked! Welcome back, {name}."),
    "link.invalid": (
        "关联码无效、已使用或已过期。请在已使用的渠道发送 /link 获取新的关联码。",
        "That link code is unknown, used or expired. Send /link on the channel you already use for a new one.",
    ),
    "link.taken": (
        "这个账号已属于另一位成员，无法关联。",
        "This account already belongs to another member and cannot be linked.",
    ),
    "link.onboarding": (
        "你好！我是 chatcrm 销售助手。\n"
        "目前你还不在任何团队中，在加入之前你发来的内容不会被保存。\n"
        "• 有邀请码：发送 /start 邀请码\n"
        "• 已在 Telegram 使用 chatcrm：在 Telegram 发送 /link 获取关联码，再在这里发送 /link 关联码",
        "Hello! I am the chatcrm sales assistant.\n"
        "You are not in a team yet; until you join, nothing you send is stored.\n"
        "• Have an invite code: send /start CODE\n"
        "• Already use chatcrm on Telegram: send /link there for a code, then send /link CODE here",
    ),
    # check-ins
    "checkin.on": ("📍 已签到：{customer}（{when}）", "📍 Checked in at {customer} ({when})"),
    "checkin.unassigned": (
        "📍 已记录签到（{when}），还不知道是哪个客户。",
        "📍 Check-in saved ({when}); which customer is it?",
    ),
    "checkin.other": ("不是这个客户？回复数字改到：", "Another customer? Reply with a number to move it:"),
    "checkin.choose": ("回复数字选择客户：", "Reply with a number to choose the customer:"),
    "checkin.repeated": ("这个位置已经签到过了。", "This location was already checked in."),
    # Telegram groups, supergroups and channels
    "chat.private_only": (
        "chatcrm 只在私聊中工作：客户资料不应出现在群里。请点开我的头像，在私聊中发给我。这个群里的消息不会被保存。",
        "chatcrm works in private chats only: customer data does not belong in a group. Open a private "
        "chat with me and send it there. Nothing sent in this group is stored.",
    ),
    # files Telegram will not hand out to a bot
    "media.tg_too_big": (
        "这个文件超过 {limit} MB，Telegram 不允许机器人下载。请压缩后再发，或分成几个小文件发送"
        "（长语音可以分段录）。",
        "This file is over {limit} MB, and Telegram does not let bots download files that large. Please "
        "compress it or send it in smaller parts (a long voice note in several shorter ones).",
    ),
    "media.tg_expired": (
        "Telegram 上的这个文件已失效，无法下载。请重新上传一次（不要转发很久以前的消息）。",
        "Telegram no longer serves this file. Please upload it again (rather than forwarding an old message).",
    ),
    "media.tg_unavailable": (
        "暂时无法从 Telegram 下载这个文件（网络问题），请稍后重新发送。",
        "Could not download this file from Telegram just now (a network problem); please send it again "
        "in a moment.",
    ),
    # media on WeChat / WeCom
    "media.fetch_failed": (
        "没能从微信取到这个文件（可能已过期或网络问题），请重新发送一次。",
        "Could not fetch this file from WeChat (expired or a network problem); please send it again.",
    ),
    "media.too_large": (
        "文件太大（上限 {limit} MB），请压缩后再发。",
        "The file is too large (limit {limit} MB); please send a smaller one.",
    ),
}
