"""How reminders read: delivered (with their buttons), listed (/reminders), confirmed on a lead card,
moved; and the /settings card."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chat import format as fmt
from chat.messages import t
from chat.views import Act, Button, Reply, rows
from crm.model import Lang, Member, Reminder, ReminderKind
from crm.reminders import Due, Listed

# Later than this past its due time, a reminder says it is overdue (the bot was down, or retried).
OVERDUE_AFTER = timedelta(minutes=1)
SET_LINES = 3
QUIET_PRESET = "quiet 2200-0800"

# --- how a reminder reads ---------------------------------------------------------------------


def body(lang: Lang, reminder: Reminder) -> str:
    """What the reminder is about; meetings and commitments say which they are."""
    if reminder.kind in (ReminderKind.MEETING, ReminderKind.COMMITMENT, ReminderKind.FOLLOW_UP):
        return t(lang, f"reminder.kind.{reminder.kind.value}", text=reminder.text)
    return reminder.text


def late(lang: Lang, delta: timedelta) -> str:
    """How late, roughly: "5 分钟", "2 小时 10 分钟", "3 天"."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    if minutes < 60:
        return t(lang, "late.minutes", m=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return t(lang, "late.hours_minutes", h=hours, m=rest) if rest else t(lang, "late.hours", h=hours)
    return t(lang, "late.days", d=hours // 24)


def buttons(lang: Lang, reminder_id: int) -> tuple[tuple[Button, ...], ...]:
    return rows(
        Button(t(lang, "button.reminder_done"), Act.REMINDER_DONE, reminder_id),
        Button(t(lang, "button.reminder_1h"), Act.REMINDER_SNOOZE, reminder_id, "1h"),
        Button(t(lang, "button.reminder_tomorrow"), Act.REMINDER_SNOOZE, reminder_id, "tomorrow"),
        Button(t(lang, "button.reminder_pick"), Act.REMINDER_PICK, reminder_id),
    )


def delivery(member: Member, item: Due, now: datetime, overdue_after: timedelta = OVERDUE_AFTER) -> Reply:
    """The message a due reminder sends: what, for which customer, when (in the member's timezone),
    overdue and by how much when it comes late, with its buttons."""
    lang, reminder = member.lang, item.reminder
    text = body(lang, reminder)
    lateness = now - reminder.due_at
    if lateness > overdue_after:
        lines = [t(lang, "reminder.head.overdue", body=text, late=late(lang, lateness))]
    else:
        lines = [t(lang, "reminder.head", body=text)]
    if item.customer:
        lines.append(t(lang, "reminder.customer", name=item.customer))
    lines.append(t(lang, "reminder.due", when=fmt.when(lang, reminder.due_at, member.tz)))
    return Reply("\n".join(lines), buttons(lang, reminder.id))


def set_lines(member: Member, reminders: Sequence[Reminder]) -> list[str]:
    """The lead card's confirmation: "⏰ 已设提醒：11月27日 周五 09:00 给他回电话"."""
    ordered = sorted(reminders, key=lambda r: r.due_at)
    lines = [
        t(
            member.lang,
            "reminder.set",
            when=fmt.when(member.lang, r.due_at, member.tz),
            body=body(member.lang, r),
        )
        for r in ordered[:SET_LINES]
    ]
    if len(ordered) > SET_LINES:
        lines.append(t(member.lang, "reminder.set.more", count=len(ordered) - SET_LINES))
    return lines


def reminder_list(member: Member, items: Sequence[Listed], now: datetime, limit: int) -> Reply:
    """/reminders: overdue first, then today, then later; a done button per line."""
    lang = member.lang
    if not items:
        return Reply(t(lang, "reminders.none"))
    today = member.local(now).date()
    groups: dict[str, list[str]] = {"overdue": [], "today": [], "later": []}
    done: list[Button] = []
    for number, item in enumerate(items, 1):
        reminder = item.reminder
        what = body(lang, reminder) + (f" · {item.customer}" if item.customer else "")
        local = member.local(reminder.due_at)
        if reminder.due_at <= now:
            group = "overdue"
            line = f"{fmt.when(lang, reminder.due_at, member.tz)} {what}"
            line += t(lang, "reminders.late", late=late(lang, now - reminder.due_at))
        elif local.date() == today:
            group, line = "today", f"{local:%H:%M} {what}"
        else:
            group, line = "later", f"{fmt.when(lang, reminder.due_at, member.tz)} {what}"
        groups[group].append(f"{number}. {line}")
        done.append(
            Button(t(lang, "button.reminder_done_n", n=number), Act.REMINDER_DONE, reminder.id, "list")
        )
    title = "reminders.title.more" if len(items) >= limit else "reminders.title"
    lines = [t(lang, title, count=len(items))]
    for group, entries in groups.items():
        if entries:
            lines.append(t(lang, f"reminders.{group}"))
            lines += entries
    lines.append(t(lang, "reminders.hint"))
    return Reply("\n".join(lines), rows(*done, width=5))


def settings_card(member: Member, headline: str | None = None) -> Reply:
    lang = member.lang
    if member.quiet_start is not None and member.quiet_end is not None:
        quiet = t(
            lang, "settings.quiet.on", start=f"{member.quiet_start:%H:%M}", end=f"{member.quiet_end:%H:%M}"
        )
        quiet_button = Button(t(lang, "button.quiet_off"), Act.SETTINGS, arg="quiet off")
    else:
        quiet = t(lang, "settings.quiet.off")
        quiet_button = Button(t(lang, "button.quiet_on"), Act.SETTINGS, arg=QUIET_PRESET)
    if member.weekend_to_monday:
        weekend = t(lang, "settings.weekend.monday")
        weekend_button = Button(t(lang, "button.weekend_keep"), Act.SETTINGS, arg="weekend keep")
    else:
        weekend = t(lang, "settings.weekend.keep")
        weekend_button = Button(t(lang, "button.weekend_monday"), Act.SETTINGS, arg="weekend monday")
    card = t(
        lang,
        "settings.card",
        tz=member.timezone,
        quiet=quiet,
        weekend=weekend,
        lang=t(lang, f"settings.lang.{member.lang.value}"),
    )
    text = f"{headline}\n{card}" if headline else card
    return Reply(text, rows(quiet_button, weekend_button, width=1))


def rescheduled_text(actor: Member, reminder: Reminder, customer: str | None, moved: bool) -> str:
    lang = actor.lang
    what = body(lang, reminder) + (f" · {customer}" if customer else "")
    text = t(lang, "reminder.snoozed", when=fmt.when(lang, reminder.due_at, actor.tz), body=what)
    return f"{text}\n{t(lang, 'reminder.moved_note')}" if moved else text
