"""The rep's commands and buttons for reminders: /reminders, /settings, and on a delivered reminder
done, in an hour, tomorrow 09:00, or another time (the typed answer to "when?")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from chat import format as fmt
from chat.messages import t
from chat.registry import Registry
from chat.reminders.view import body, reminder_list, rescheduled_text, settings_card
from chat.views import Act, Reply
from crm.errors import InputRejected, NotFound
from crm.members import MemberService
from crm.model import Member
from crm.ports import Clock, FactExtractor
from crm.reminders import LIST_LIMIT, ReminderService

PICK_KIND = "reminder_time"

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


class Reminders:
    """/reminders, /settings, the buttons of a delivered reminder and the answer to "when?"."""

    def __init__(
        self, service: ReminderService, members: MemberService, clock: Clock, extractor: FactExtractor
    ) -> None:
        self._service = service
        self._members = members
        self._clock = clock
        self._extractor = extractor

    def register(self, registry: Registry) -> None:
        registry.commands({"reminders": self.list_command, "settings": self.settings_command})
        registry.buttons(
            {
                Act.REMINDER_DONE: self._done,
                Act.REMINDER_SNOOZE: self._snooze,
                Act.REMINDER_PICK: self._pick,
                Act.SETTINGS: self._settings_button,
            }
        )
        registry.awaiting(PICK_KIND, self.answer_time)

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
        return Reply(rescheduled_text(actor, moved.reminder, moved.customer, moved.moved), replace=True)

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
        return Reply(rescheduled_text(actor, moved.reminder, moved.customer, moved.moved))
