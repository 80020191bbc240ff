"""Messages of /health and the weekly data-health nudge."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "health.team.head": ("🩺 数据健康 · {date}", "🩺 Data health · {date}"),
    "health.team.core": (
        "核心字段完整率（3+1：客户名称、联系人、电话、跟进状态）：{pct}% · {customers} 个客户，{complete} 个完整",
        "Core fields complete (3+1: company, contact, phone, follow-up status): {pct}% · {customers} "
        "customers, {complete} complete",
    ),
    "health.team.missing": (
        "缺客户名称 {customer} · 缺联系人 {contact} · 缺电话 {phone} · 缺跟进状态 {follow_up}",
        "no company {customer} · no contact {contact} · no phone {phone} · no follow-up status {follow_up}",
    ),
    "health.team.phones": (
        "📵 没有电话的联系人：{count}（共 {contacts} 位）",
        "📵 Contacts without a phone: {count} (of {contacts})",
    ),
    "health.team.untouched": (
        "💤 未联系的客户：≥30天 {d30} · ≥60天 {d60} · ≥90天 {d90}",
        "💤 Customers untouched: ≥30 days {d30} · ≥60 days {d60} · ≥90 days {d90}",
    ),
    "health.team.duplicates": (
        "🔁 待处理的疑似重复：{count}（/review）",
        "🔁 Possible duplicates waiting: {count} (/review)",
    ),
    "health.team.next_step": (
        "🧭 没有下一步的商机：{count}（共 {deals} 个进行中）",
        "🧭 Open deals without a next step: {count} (of {deals})",
    ),
    "health.team.empty": (
        "团队还没有客户记录。转发一段客户聊天，或发一张名片开始吧。",
        "The team has no customers yet. Forward a customer chat or send a business card to start.",
    ),
    "health.team.by_owner": ("按负责人：", "By owner:"),
    "health.owner": ("• {name}：{summary}", "• {name}: {summary}"),
    "health.owner.core": ("完整率 {pct}%（{customers} 个客户）", "{pct}% complete ({customers} customers)"),
    "health.owner.no_customers": ("还没有客户", "no customers yet"),
    "health.owner.phones": ("缺电话 {count}", "no phone {count}"),
    "health.owner.follow_up": ("缺跟进 {count}", "no follow-up {count}"),
    "health.owner.untouched": ("≥30天未联系 {count}", "untouched ≥30d {count}"),
    "health.owner.next_step": ("无下一步 {count}", "no next step {count}"),
    "health.owner.duplicates": ("疑似重复 {count}", "duplicates {count}"),
    "health.owner.inactive": ("（已停用）", " (inactive)"),
    "health.owners.more": (
        "…另有 {count} 位。完整列表：chatcrm health --team {team}",
        "…and {count} more. The full list: chatcrm health --team {team}",
    ),
    "health.nudges.off": (
        "本团队的每周数据提醒已关闭。/health on 重新打开。",
        "Weekly data reminders are off for the team. /health on turns them back on.",
    ),
    "health.nudges.on": (
        "本团队的每周数据提醒已打开：每位销售每周最多一次，工作日上午。",
        "Weekly data reminders are on for the team: at most once a week per rep, on a workday morning.",
    ),
    "health.nudges.hint": (
        "每周一次的数据提醒：/health off 关闭，/health on 打开。",
        "Weekly data reminders: /health off turns them off, /health on back on.",
    ),
    # a rep's own figures and the weekly nudge
    "health.me.head": (
        "🩺 你的客户数据：核心字段完整率 {pct}%（{customers} 个客户）",
        "🩺 Your customer data: {pct}% of the core fields complete ({customers} customers)",
    ),
    "health.me.head.none": ("🩺 你还没有客户记录。", "🩺 You have no customers yet."),
    "health.me.fine": ("👍 没有需要补全的，保持！", "👍 Nothing to fill in. Keep it up!"),
    "health.me.gaps": ("这些可以直接在聊天里补全：", "You can fill these in right here in the chat:"),
    "health.nudge.head": (
        "🧹 每周数据小提醒：有几处客户信息可以在聊天里补全",
        "🧹 Your weekly data check: a few customer details you can fill in from the chat",
    ),
    "health.nudge.foot": (
        "每周最多提醒一次。/health 随时查看你的数据。",
        "At most one reminder a week. /health shows your data at any time.",
    ),
    "health.gap.no_phone": (
        "• {count} 位联系人没有电话：发来他们的名片，或点下面的名字输入号码{examples}",
        "• {count} contacts have no phone: send their business cards, or tap a name below and type the "
        "number{examples}",
    ),
    "health.gap.no_follow_up": (
        "• {count} 个客户没有跟进状态：点下面的客户选一个状态，或拜访后发语音纪要{examples}",
        "• {count} customers have no follow-up status: tap one below and pick a status, or send a voice "
        "note after your next visit{examples}",
    ),
    "health.gap.no_next_step": (
        "• {count} 个商机没有下一步：发语音或转发聊天说明下次拜访时间，我会提醒你{examples}",
        "• {count} deals have no next step: say when you meet next in a voice note or a forwarded chat, "
        "and I will remind you{examples}",
    ),
    "health.gap.untouched": (
        "• {count} 个客户超过 30 天没有联系：转发最近的聊天，或发一条拜访语音{examples}",
        "• {count} customers untouched for 30+ days: forward your latest chat with them, or send a visit "
        "voice note{examples}",
    ),
    "health.gap.no_contact": (
        "• {count} 个客户还没有联系人：发来对方的名片，或转发和对方的聊天{examples}",
        "• {count} customers have no contact: send a business card, or forward a chat with them{examples}",
    ),
    # English singulars (Chinese needs none)
    "health.gap.no_phone.one": (
        "• 1 位联系人没有电话：发来他的名片，或点下面的名字输入号码{examples}",
        "• 1 contact has no phone: send their business card, or tap the name below and type the "
        "number{examples}",
    ),
    "health.gap.no_follow_up.one": (
        "• 1 个客户没有跟进状态：点下面的客户选一个状态，或拜访后发语音纪要{examples}",
        "• 1 customer has no follow-up status: tap it below and pick a status, or send a voice note "
        "after your next visit{examples}",
    ),
    "health.gap.no_next_step.one": (
        "• 1 个商机没有下一步：发语音或转发聊天说明下次拜访时间，我会提醒你{examples}",
        "• 1 deal has no next step: say when you meet next in a voice note or a forwarded chat, and I "
        "will remind you{examples}",
    ),
    "health.gap.untouched.one": (
        "• 1 个客户超过 30 天没有联系：转发最近的聊天，或发一条拜访语音{examples}",
        "• 1 customer untouched for 30+ days: forward your latest chat with them, or send a visit voice "
        "note{examples}",
    ),
    "health.gap.no_contact.one": (
        "• 1 个客户还没有联系人：发来对方的名片，或转发和对方的聊天{examples}",
        "• 1 customer has no contact: send a business card, or forward a chat with them{examples}",
    ),
    "health.examples": ("（如 {names}）", " (e.g. {names})"),
    "health.example.at": ("{name}·{company}", "{name} at {company}"),
    "health.unnamed": ("未命名", "unnamed"),
    "health.button.no_phone": ("☎ {name}", "☎ {name}"),
    "health.button.no_follow_up": ("📌 {name}", "📌 {name}"),
    "health.button.no_next_step": ("🧭 {name}", "🧭 {name}"),
    "health.button.untouched": ("💤 {name}", "💤 {name}"),
    "health.button.no_contact": ("👤 {name}", "👤 {name}"),
}
