"""Messages of reminders: delivered reminders and their buttons, /reminders, /settings."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # a delivered reminder
    "reminder.head": ("⏰ 提醒：{body}", "⏰ Reminder: {body}"),
    "reminder.head.overdue": ("⏰ 提醒（已过期 {late}）：{body}", "⏰ Reminder (overdue by {late}): {body}"),
    "reminder.kind.meeting": ("会面 · {text}", "meeting · {text}"),
    "reminder.kind.commitment": ("我方承诺 · {text}", "you promised · {text}"),
    "reminder.kind.follow_up": (
        "客户承诺 · {text}（看看是否兑现）",
        "the customer promised · {text} (check it was kept)",
    ),
    "reminder.customer": ("🏢 {name}", "🏢 {name}"),
    "reminder.due": ("🕘 {when}", "🕘 {when}"),
    "button.reminder_done": ("✅ 完成", "✅ Done"),
    "button.reminder_1h": ("⏰ 1小时后", "⏰ In 1 hour"),
    "button.reminder_tomorrow": ("🌅 明天 9:00", "🌅 Tomorrow 9:00"),
    "button.reminder_pick": ("🗓 选时间", "🗓 Pick a time"),
    "button.reminder_done_n": ("✅ {n}", "✅ {n}"),
    # what the buttons answer
    "reminder.done": ("✅ 已完成：{body}", "✅ Done: {body}"),
    "reminder.snoozed": ("⏰ 已改到 {when}：{body}", "⏰ Moved to {when}: {body}"),
    "reminder.moved_note": (
        "（已避开你的免打扰时段 / 周末设置）",
        "(moved out of your quiet hours / weekend)",
    ),
    "reminder.pick": (
        "什么时候再提醒你？例如：明天下午3点、周五、2小时后、11月30日 10:00（15 分钟内有效，/cancel 取消）",
        "When should I remind you? E.g. tomorrow 3pm, Friday, in 2 hours, Nov 30 10:00 "
        "(within 15 minutes; /cancel to stop)",
    ),
    "reminder.bad_time": (
        "没看懂“{value}”是什么时间，请再说一次，例如：明天下午3点、周五、2小时后。",
        "I could not read “{value}” as a time; try e.g. tomorrow 3pm, Friday, in 2 hours.",
    ),
    "reminder.past_time": (
        "{when} 已经过去了，请给一个以后的时间。",
        "{when} has already passed; give a time in the future.",
    ),
    "reminder.closed": ("这条提醒已经完成或取消了。", "This reminder is already done or cancelled."),
    # the lead card after a capture
    "reminder.set": ("⏰ 已设提醒：{when} {body}", "⏰ Reminder set: {when} {body}"),
    "reminder.set.more": ("⏰ 另有 {count} 条提醒", "⏰ {count} more reminder(s)"),
    # /reminders
    "reminders.none": (
        "没有待办的提醒。\n发送“提醒我周五给他回电话”这样的话即可设置提醒。",
        "No reminders pending.\nSend something like “remind me Friday to call him back” to set one.",
    ),
    "reminders.title": ("⏰ 待办提醒（{count} 条）", "⏰ Pending reminders ({count})"),
    "reminders.title.more": ("⏰ 待办提醒（最近 {count} 条）", "⏰ Pending reminders (the next {count})"),
    "reminders.overdue": ("已过期：", "Overdue:"),
    "reminders.today": ("今天：", "Today:"),
    "reminders.later": ("以后：", "Later:"),
    "reminders.late": ("（已过期 {late}）", " (overdue by {late})"),
    "reminders.hint": ("点 ✅ 编号标记完成。", "Tap ✅ and a number to mark it done."),
    # durations
    "late.minutes": ("{m} 分钟", "{m} min"),
    "late.hours": ("{h} 小时", "{h} h"),
    "late.hours_minutes": ("{h} 小时 {m} 分钟", "{h} h {m} min"),
    "late.days": ("{d} 天", "{d} days"),
    # /settings
    "settings.card": (
        "⚙️ 提醒设置\n"
        "🌍 时区：{tz}\n"
        "🌙 免打扰：{quiet}\n"
        "📅 周末：{weekend}\n"
        "🗣 语言：{lang}\n\n"
        "修改：\n"
        "/settings quiet 21:00-08:00 — 免打扰时段（/settings quiet off 关闭）\n"
        "/settings weekend monday|keep — 周末的提醒改到周一 / 照常\n"
        "/settings tz Asia/Shanghai — 时区\n"
        "/lang zh|en — 语言",
        "⚙️ Reminder settings\n"
        "🌍 Timezone: {tz}\n"
        "🌙 Quiet hours: {quiet}\n"
        "📅 Weekends: {weekend}\n"
        "🗣 Language: {lang}\n\n"
        "Change:\n"
        "/settings quiet 21:00-08:00 — quiet hours (/settings quiet off to turn them off)\n"
        "/settings weekend monday|keep — weekend reminders on Monday / as they fall\n"
        "/settings tz Asia/Shanghai — timezone\n"
        "/lang zh|en — language",
    ),
    "settings.saved": ("✅ 已保存。", "✅ Saved."),
    "settings.quiet.off": ("关闭", "off"),
    "settings.quiet.on": (
        "{start}–{end}（期间的提醒推迟到 {end}）",
        "{start}–{end} (reminders wait until {end})",
    ),
    "settings.weekend.monday": ("改到周一 9:00", "moved to Monday 9:00"),
    "settings.weekend.keep": ("照常提醒", "as they fall"),
    "settings.lang.zh": ("中文", "Chinese"),
    "settings.lang.en": ("英文", "English"),
    "settings.usage": (
        "没看懂“{value}”。可以这样改：\n"
        "/settings quiet 21:00-08:00\n/settings quiet off\n/settings weekend monday|keep\n/settings tz Asia/Shanghai",
        "I did not understand “{value}”. You can say:\n"
        "/settings quiet 21:00-08:00\n/settings quiet off\n/settings weekend monday|keep\n/settings tz Asia/Shanghai",
    ),
    "settings.bad_quiet": (
        "免打扰时段“{value}”不对，请写成 开始-结束，例如 /settings quiet 21:00-08:00（或 off 关闭）。",
        "Quiet hours “{value}” are not valid; write start-end, e.g. /settings quiet 21:00-08:00 (or off).",
    ),
    "settings.bad_weekend": (
        "周末设置只能是 monday（改到周一）或 keep（照常），你写的是“{value}”。",
        "The weekend setting is monday (move to Monday) or keep (as they fall), not “{value}”.",
    ),
    "settings.bad_timezone": (
        "不认识时区“{value}”。请用 IANA 名称，例如 Asia/Shanghai、Asia/Hong_Kong、Europe/Berlin。",
        "Unknown timezone “{value}”. Use an IANA name such as Asia/Shanghai, Asia/Singapore or Europe/Berlin.",
    ),
    "button.quiet_on": ("🌙 免打扰 22:00–08:00", "🌙 Quiet 22:00–08:00"),
    "button.quiet_off": ("🔔 关闭免打扰", "🔔 Quiet hours off"),
    "button.weekend_monday": ("📅 周末提醒改到周一", "📅 Weekend reminders on Monday"),
    "button.weekend_keep": ("📅 周末照常提醒", "📅 Remind on weekends too"),
}
