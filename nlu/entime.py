"""English time expressions ("next Tuesday at 2pm", "tomorrow 10am", "in 2 hours", "by end of Q3")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from nlu.timemodel import (
    PART_HOURS,
    TimeMention,
    add_months,
    day_span,
    month_end,
    month_part,
    quarter_span,
)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ABBR = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4}
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("January", "Jan"),
            ("February", "Feb"),
            ("March", "Mar"),
            ("April", "Apr"),
            ("May",),
            ("June", "Jun"),
            ("July", "Jul"),
            ("August", "Aug"),
            ("September", "Sept", "Sep"),
            ("October", "Oct"),
            ("November", "Nov"),
            ("December", "Dec"),
        ),
        start=1,
    )
    for name in names
}
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple of": 2, "a couple of": 2, "few": 3, "a few": 3,
}  # fmt: skip
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}

# Month names must be capitalised: "may", "march" and "sat" are ordinary English words.
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_WEEKDAY = (
    "(?i:" + "|".join(_WEEKDAYS) + "|" + "|".join(sorted(_WEEKDAY_ABBR, key=len, reverse=True)) + r")\b\.?"
)
_COUNT = (
    r"(?i:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a\s+)?couple\s+of|(?:a\s+)?few)"
)
_UNIT = r"(?i:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)"
_LIMIT = r"(?P<lim>(?i:by|before|until|till|no\s+later\s+than|prior\s+to|within|not\s+later\s+than)\s+)?"

_DAY = re.compile(
    r"\b" + _LIMIT + r"(?:"
    r"(?P<rel>(?i:(?:the\s+)?day\s+after\s+tomorrow|today|tonight|tomorrow|tmrw|tmr))"
    rf"|(?P<wkmod>(?i:this|next|coming))\s+(?i:week)(?:['’]s)?,?\s+(?:(?i:on)\s+)?(?P<wkday>{_WEEKDAY})"
    rf"|(?:(?P<wdmod>(?i:this\s+coming|this|next|coming))\s+)?(?:on\s+)?(?P<wd>{_WEEKDAY})"
    rf"|(?P<mon>{_MONTH})\s+(?P<mday>\d{{1,2}})(?i:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}}))?"
    rf"|(?P<mday2>\d{{1,2}})(?i:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>{_MONTH})(?:,?\s+(?P<year2>\d{{4}}))?"
    r"|(?P<iso>\d{4}-\d{2}-\d{2})"
    rf"|(?i:in|within|after)\s+(?P<n>{_COUNT}|half\s+an?)\s+(?P<unit>{_UNIT})"
    rf"|(?P<n2>{_COUNT})\s+(?P<unit2>{_UNIT})\s+(?i:from\s+now|later)"
    r"|(?:(?i:the\s+)?(?P<end>(?i:end|close))\s+of\s+(?i:the\s+)?)?"
    r"(?P<permod>(?i:this|next|the))\s+(?P<per>(?i:week|month|year|quarter))"
    r"|(?i:the\s+)?(?P<end2>(?i:end))\s+of\s+(?i:the\s+)?(?P<per2>(?i:day|week|month|year|quarter))"
    r"|(?P<eo>EOD|EOW|EOM|EOY|eod|eow|eom)"
    rf"|(?:(?P<qend>(?i:the\s+)?(?i:end)\s+of\s+)?(?:Q(?P<q>[1-4])|(?P<qord>(?i:first|second|third|fourth|1st|2nd|3rd|4th))"
    r"\s+(?i:quarter))(?:\s+(?:of\s+)?(?P<qyear>\d{4}|(?i:next\s+year|this\s+year)))?)"
    rf"|(?:(?P<mpart>(?i:early|mid|late|the\s+end\s+of|end\s+of|beginning\s+of|start\s+of))[\s-]+)?"
    rf"(?P<mon3>{_MONTH})(?:\s+(?P<year3>\d{{4}}))?"
    r")(?!\w)"
)
_CLOCK = re.compile(
    r"(?:\b(?i:at|@)\s*)?"
    r"(?:\b(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?\s*(?P<ap>(?i:am|pm|a\.m\.|p\.m\.)|(?<=:\d\d)[ap])(?![a-z])"
    r"|(?<=at\s)(?P<hf>[01]?\d|2[0-3])h(?P<mif>[0-5]\d)?\b"
    r"|\b(?P<h24>[01]?\d|2[0-3]):(?P<mi24>[0-5]\d)\b"
    r"|(?<=at\s)(?P<hb>\d{1,2})\b(?![:.]\d|\s*(?:%|k\b|m\b|people|units|pcs|seats|users))"
    r"|\b(?P<named>(?i:noon|midday|midnight))\b)"
)
_PART = re.compile(r"\b(?i:in\s+the\s+)?(?P<part>(?i:morning|afternoon|evening|night|arvo))\b")
_GAP = re.compile(r"[\s,]*(?i:at|on|@|in\s+the)?[\s,]*")


@dataclass(frozen=True, slots=True)
class _Piece:
    kind: str  # "day", "clock" or "part"
    match: re.Match[str]


def find(text: str, now: datetime) -> list[TimeMention]:
    """English time expressions in `text`: a day, a clock time and a part of day said together are one."""
    pieces = sorted(
        [_Piece("day", m) for m in _DAY.finditer(text)]
        + [_Piece("clock", m) for m in _CLOCK.finditer(text)]
        + [_Piece("part", m) for m in _PART.finditer(text)],
        key=lambda piece: (piece.match.start(), -piece.match.end()),
    )
    found: list[TimeMention] = []
    group: list[_Piece] = []
    for piece in pieces:
        if group and piece.match.start() < group[-1].match.end():
            continue
        joined = group and _GAP.fullmatch(text, group[-1].match.end(), piece.match.start())
        if joined and (piece.kind not in {p.kind for p in group} or _weekday_then_date(group, piece)):
            # "Tuesday, 1 December": the date says which Tuesday (the later day piece is the one read).
            group.append(piece)
            continue
        found.extend(_resolve(text, group, now))
        group = [piece]
    found.extend(_resolve(text, group, now))
    return found


def _weekday_then_date(group: list[_Piece], piece: _Piece) -> bool:
    last = group[-1]
    return (
        last.kind == "day"
        and piece.kind == "day"
        and last.match["wd"] is not None
        and last.match["wdmod"] is None
        and any(piece.match[g] for g in ("mon", "mon2", "iso"))
    )


def _resolve(text: str, group: list[_Piece], now: datetime) -> list[TimeMention]:
    if not group:
        return []
    by_kind = {piece.kind: piece.match for piece in group}
    start, end = group[0].match.start(), group[-1].match.end()
    day_match, clock_match, part_match = by_kind.get("day"), by_kind.get("clock"), by_kind.get("part")
    part = part_match["part"].lower().replace("arvo", "afternoon") if part_match else None
    if day_match is None and clock_match is None:
        return []
    today = now.date()
    clock = _clock(clock_match, part) if clock_match else None
    if day_match is None:
        if clock is None:
            return []
        moment = datetime.combine(today, clock, tzinfo=now.tzinfo)
        if moment < now:
            moment += timedelta(days=1)
        return [TimeMention(text[start:end], start, end, moment, moment, clock=True)]
    resolved = _day(day_match, now)
    if resolved is None:
        return []
    first, last, exact = resolved
    deadline = bool(day_match["lim"]) or any(day_match[g] is not None for g in ("end", "end2", "eo", "qend"))
    deadline = deadline or day_match[0].lower().startswith("within")
    if day_match["mon3"] and re.match(r"(?i:before|prior\s+to)\b", day_match["lim"] or ""):
        # "before April" is done by the end of March.
        first, last = now.date(), first - timedelta(days=1)
    if day_match["rel"] and day_match["rel"].lower() == "tonight":
        part = "evening"
    if exact is not None:
        return [TimeMention(text[start:end], start, end, exact, exact, clock=True, deadline=deadline)]
    if clock is not None:
        moment = datetime.combine(first, clock, tzinfo=now.tzinfo)
        return [TimeMention(text[start:end], start, end, moment, moment, clock=True, deadline=deadline)]
    span_first, span_last = day_span(first, last, now)
    hour = PART_HOURS.get(part or "", PART_HOURS["evening"] if part == "night" else None)
    return [TimeMention(text[start:end], start, end, span_first, span_last, hour=hour, deadline=deadline)]


def _clock(m: re.Match[str], part: str | None) -> time | None:
    if m["named"]:
        return time(0) if m["named"].lower() == "midnight" else time(12)
    if m["h"]:
        hour, minute = int(m["h"]), int(m["mi"] or 0)
        pm = m["ap"].lower().startswith("p")
        if not 1 <= hour <= 12:
            return None
        return time(hour % 12 + (12 if pm else 0), minute)
    if m["h24"]:
        return time(int(m["h24"]), int(m["mi24"]))
    if m["hf"]:
        # "at 14h", "at 9h30": the French and German way of writing a clock time.
        return time(int(m["hf"]), int(m["mif"] or 0))
    hour = int(m["hb"])
    if hour > 23:
        return None
    # "at 3" in business talk is 15:00 unless the morning was said.
    if (1 <= hour <= 6 and part != "morning") or (part in ("afternoon", "evening", "night") and hour < 12):
        hour += 12
    return time(hour % 24)


def _day(m: re.Match[str], now: datetime) -> tuple[date, date, datetime | None] | None:
    """(first day, last day, exact instant for "in 2 hours") of a day expression."""
    today = now.date()
    if m["rel"]:
        rel = m["rel"].lower()
        offset = 2 if "after" in rel else 1 if rel.startswith(("tom", "tm")) else 0
        day = today + timedelta(days=offset)
        return day, day, None
    if m["wkday"]:
        # "next week Tuesday" is 下周二; "this week Friday" this week's Friday, even when past.
        modifier = m["wkmod"].lower()
        monday = today - timedelta(days=today.weekday()) + timedelta(days=0 if modifier == "this" else 7)
        key = m["wkday"].lower().rstrip(".")
        day = monday + timedelta(days=_WEEKDAY_ABBR[key] if key in _WEEKDAY_ABBR else _WEEKDAYS.index(key))
        return day, day, None
    if m["wd"]:
        return _weekday(m["wd"], (m["wdmod"] or "").lower(), today)
    if m["mon"] or m["mon2"]:
        month = _MONTHS[(m["mon"] or m["mon2"]).rstrip(".")]
        day_number = int(m["mday"] or m["mday2"])
        year_said = m["year"] or m["year2"]
        return _month_day(int(year_said) if year_said else None, month, day_number, today)
    if m["iso"]:
        try:
            day = date.fromisoformat(m["iso"])
        except ValueError:
            return None
        return day, day, None
    if m["unit"] or m["unit2"]:
        return _after(
            m["n"] or m["n2"], (m["unit"] or m["unit2"]).lower(), now, within="within" in m[0].lower()
        )
    if m["per"] or m["per2"]:
        ending = m["end"] is not None or m["end2"] is not None
        return _period((m["permod"] or "this").lower(), (m["per"] or m["per2"]).lower(), ending, today)
    if m["eo"]:
        unit = {"d": "day", "w": "week", "m": "month", "y": "year"}[m["eo"][2].lower()]
        return _period("this", unit, True, today)
    if m["q"] or m["qord"]:
        return _quarter(int(m["q"]) if m["q"] else _ORDINALS[m["qord"].lower()], m["qyear"], m["qend"], today)
    month = _MONTHS[m["mon3"].rstrip(".")]
    part = (m["mpart"] or "").lower().replace("the ", "")
    part_key = {"early": "初", "beginning of": "初", "start of": "初", "mid": "中", "late": "下旬"}.get(part)
    if part == "end of":
        part_key = "底"
    year = int(m["year3"]) if m["year3"] else today.year
    first, last = month_part(year, month, part_key)
    if not m["year3"] and last < today:
        first, last = month_part(year + 1, month, part_key)
    return first, last, None


def _weekday(said: str, modifier: str, today: date) -> tuple[date, date, None]:
    key = said.lower().rstrip(".")
    target = _WEEKDAY_ABBR[key] if key in _WEEKDAY_ABBR else _WEEKDAYS.index(key)
    if modifier == "next":
        # Like 下周二: the weekday of the next calendar week (weeks start on Monday).
        day = today - timedelta(days=today.weekday()) + timedelta(days=7 + target)
    else:
        ahead = (target - today.weekday()) % 7
        day = today + timedelta(days=ahead or 7)
    return day, day, None


def _month_day(year: int | None, month: int, day_number: int, today: date) -> tuple[date, date, None] | None:
    try:
        day = date(year or today.year, month, day_number)
        if year is None and day < today:
            day = date(today.year + 1, month, day_number)
    except ValueError:
        return None
    return day, day, None


def _after(count: str, unit: str, now: datetime, *, within: bool) -> tuple[date, date, datetime | None]:
    words = " ".join(count.lower().split())
    half = words.startswith("half")
    number = 0 if half else int(words) if words.isdigit() else _NUMBERS.get(words, 1)
    today = now.date()
    if unit.startswith(("min", "hour", "hr")):
        minutes = (30 if half else number) if unit.startswith("min") or half else 60 * number
        if unit.startswith(("hour", "hr")) and half:
            minutes = 30
        exact = now + timedelta(minutes=minutes)
        return exact.date(), exact.date(), exact
    if unit.startswith("day"):
        last = today + timedelta(days=number)
    elif unit.startswith("week"):
        last = today + timedelta(days=7 * number)
    elif unit.startswith("month"):
        last = add_months(today, number)
    else:
        last = add_months(today, 12 * number)
    return (today if within else last), last, None


def _period(modifier: str, unit: str, ending: bool, today: date) -> tuple[date, date, None]:
    step = 1 if modifier == "next" else 0
    if unit == "day":
        return today, today, None
    if unit == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7 * step)
        friday = monday + timedelta(days=4)
        return (friday, friday, None) if ending else (max(monday, today), monday + timedelta(days=6), None)
    if unit == "month":
        first = add_months(today.replace(day=1), step)
        last = month_end(first.year, first.month)
    elif unit == "quarter":
        quarter = (today.month - 1) // 3 + 1 + step
        year = today.year + (quarter - 1) // 4
        first, last = quarter_span(year, (quarter - 1) % 4 + 1)
    else:
        first, last = date(today.year + step, 1, 1), date(today.year + step, 12, 31)
    if ending:
        return last, last, None
    return max(first, today), last, None


def _quarter(quarter: int, year_said: str | None, ending: str | None, today: date) -> tuple[date, date, None]:
    if year_said and year_said[0].isdigit():
        year = int(year_said)
    elif year_said:
        year = today.year + (1 if "next" in year_said.lower() else 0)
    else:
        year = today.year
    first, last = quarter_span(year, quarter)
    if not year_said and last < today:
        first, last = quarter_span(year + 1, quarter)
    if ending:
        first = last
    return first, last, None
