"""How reminders read (delivered, listed, confirmed on a lead card), and the rep's commands and buttons
for them: /reminders, /settings, done / in an hour / tomorrow 09:00 / another time.

Every channel gets the same: the handlers here are registered on the App (commands, buttons, the
pending answer to "when?"), and the scheduler sends `delivery(...)` through the Notifier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from chat import format as fmt
from chat.messages import t
from chat.views import Act, Button, Reply, rows
from crm.errors import InputRejected, NotFound
from crm.members import MemberService
from crm.model import Lang, Member, Reminder, ReminderKind
from crm.ports import Clock, FactExtractor
from crm.reminders import LIST_LIMIT, Due, Listed, ReminderService

if TYPE_CHECKING:
    from crm.app import App

PICK_KIND = "reminder_time"
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


# --- /settings arguments ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """What "/settings …" asks to change, as MemberService.set_preferences takes it: `quiet` is
    (start, end), None to turn quiet hours off, or False to leave them."""

    timezone: str | None = None
    quiet: tuple[time, time] | bool | None = False
    weekend_to_monday: bool | None = None


_CLOCK_TIME = r"(?P<h{n}>\d{{1,2}})\s*(?:点|时)?\s*(?:[:：.]?\s*(?P<m{n}>\d{{2}})\s*分?)?"
_QUIET_RANGE = re.compile(
    _CLOCK_TIME.format(n=1) + r"\s*(?:-|–|—|~|～|到|至|to)\s*" + _CLOCK_TIME.format(n=2), re.IGNORECASE
)
_OFF = {"off", "none", "no", "关", "关闭", "无", "取消"}
_MONDAY = {"monday", "mon", "move", "yes", "on", "周一", "星期一", "改到周一"}
_KEEP_WEEKEND = {"keep", "no", "off", "照常", "保持", "不变"}
_QUIET_KEYS = {"quiet", "免打扰", "勿扰"}
_WEEKEND_KEYS = {"weekend", "weekends", "周末"}
_TZ_KEYS = {"tz", "timezone", "时区"}


def parse_settings(args: str) -> SettingsChange | None:
    """ "quiet 21:00-08:00", "quiet off", "weekend monday|keep", "tz Asia/Shanghai"; None for no
    arguments (show the settings). Raises InputRejected with the reason for anything else."""
    text = " ".join(args.split())
    if not text:
        return None
    key, _, value = text.partition(" ")
    key = key.lower()
    if key in _QUIET_KEYS:
        return SettingsChange(quiet=parse_quiet(value))
    if key in _WEEKEND_KEYS:
        choice = value.lower()
        if choice in _MONDAY:
            return SettingsChange(weekend_to_monday=True)
        if choice in _KEEP_WEEKEND:
            return SettingsChange(weekend_to_monday=False)
        raise InputRejected("settings.bad_weekend", value=value)
    if key in _TZ_KEYS:
        return SettingsChange(timezone=timezone_name(value))
    raise InputRejected("settings.usage", value=text)


def parse_quiet(value: str) -> tuple[time, time] | None:
    """ "21:00-08:00" / "21-8" / "2100-0800" / "21点到8点" -> (21:00, 08:00); "off" -> None."""
    said = value.strip().lower()
    if said in _OFF:
        return None
    match = _QUIET_RANGE.fullmatch(said)
    if match is None:
        raise InputRejected("settings.bad_quiet", value=value)
    try:
        start = _clock(match["h1"], match["m1"])
        end = _clock(match["h2"], match["m2"])
    except ValueError as exc:
        raise InputRejected("settings.bad_quiet", value=value) from exc
    if start == end:
        raise InputRejected("settings.bad_quiet", value=value)
    return start, end


def _clock(hour: str, minute: str | None) -> time:
    value = int(hour)
    return time(0 if value == 24 else value, int(minute or 0))


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def timezone_name(value: str) -> str:
    """An IANA timezone as typed, whatever its case ("asia/shanghai" -> "Asia/Shanghai")."""
    name = _zones().get(value.strip().lower())
    if name is None:
        raise InputRejected("settings.bad_timezone", value=value.strip())
    return name


# --- the handlers the App registers -----------------------------------------------------------


class ReminderActions:
    """/reminders, /settings, the buttons of a delivered reminder and the answer to "when?"."""

    def __init__(
        self, service: ReminderService, members: MemberService, clock: Clock, extractor: FactExtractor
    ) -> None:
        self._service = service
        self._members = members
        self._clock = clock
        self._extractor = extractor

    def register(self, app: App) -> None:
        app.register_commands({"reminders": self.list_command, "settings": self.settings_command})
        app.register_buttons(
            {
                Act.REMINDER_DONE: self._done,
                Act.REMINDER_SNOOZE: self._snooze,
                Act.REMINDER_PICK: self._pick,
                Act.SETTINGS: self._settings_button,
            }
        )
        app.register_awaiting(PICK_KIND, self.answer_time)

    async def list_command(self, actor: Member, _args: str) -> Reply:
        items = await self._service.open_for(actor, LIST_LIMIT)
        return reminder_list(actor, items, self._clock.now(), LIST_LIMIT)

    async def settings_command(self, actor: Member, args: str) -> Reply:
        change = parse_settings(args)
        if change is None:
            member = await self._members.get(actor.id) or actor
            return settings_card(member)
        member = await self._members.set_preferences(
            actor,
            timezone=change.timezone,
            quiet=change.quiet,
            weekend_to_monday=change.weekend_to_monday,
        )
        return settings_card(member, t(member.lang, "settings.saved"))

    async def _settings_button(self, actor: Member, _target: int, arg: str) -> Reply:
        reply = await self.settings_command(actor, arg)
        return Reply(reply.text, reply.buttons, replace=True)

    async def _done(self, actor: Member, target: int, arg: str) -> Reply:
        closed = await self._service.done(actor, target)
        if arg == "list":
            listed = await self.list_command(actor, "")
            return Reply(listed.text, listed.buttons, replace=True)
        what = body(actor.lang, closed.reminder) + (f" · {closed.customer}" if closed.customer else "")
        return Reply(t(actor.lang, "reminder.done", body=what), replace=True)

    async def _snooze(self, actor: Member, target: int, arg: str) -> Reply:
        moved = await self._service.snooze(actor, target, "tomorrow" if arg == "tomorrow" else "1h")
        return Reply(_rescheduled_text(actor, moved.reminder, moved.customer, moved.moved), replace=True)

    async def _pick(self, actor: Member, target: int, _arg: str) -> Reply:
        await self._service.get_open(actor, target)
        await self._members.set_awaiting(actor, {"kind": PICK_KIND, "reminder": target})
        return Reply(t(actor.lang, "reminder.pick"))

    async def answer_time(self, actor: Member, awaiting: dict[str, Any], text: str) -> Reply:
        """The typed answer to "when?". A time we cannot read, or one past, keeps the question open."""
        now = self._clock.now()
        moment = self._extractor.when(text, actor.local(now))
        if moment is None:
            raise InputRejected("reminder.bad_time", value=text.strip()[:40])
        if moment <= now:
            raise InputRejected("reminder.past_time", when=fmt.when(actor.lang, moment, actor.tz))
        try:
            moved = await self._service.reschedule(actor, int(str(awaiting["reminder"])), moment)
        except NotFound:
            await self._members.set_awaiting(actor, None)
            raise
        await self._members.set_awaiting(actor, None)
        return Reply(_rescheduled_text(actor, moved.reminder, moved.customer, moved.moved))


def _rescheduled_text(actor: Member, reminder: Reminder, customer: str | None, moved: bool) -> str:
    lang = actor.lang
    what = body(lang, reminder) + (f" · {customer}" if customer else "")
    text = t(lang, "reminder.snoozed", when=fmt.when(lang, reminder.due_at, actor.tz), body=what)
    return f"{text}\n{t(lang, 'reminder.moved_note')}" if moved else text
