"""A time expression found in text, resolved against the rep's clock, and calendar helpers."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

# Hours used when only a day (and perhaps a part of it) was said. 09:00 is the start of a working
# day in China; 14:00 is after the long lunch break most offices keep.
DEFAULT_HOUR = 9
PART_HOURS = {"morning": 9, "noon": 12, "afternoon": 14, "evening": 19}


@dataclass(frozen=True, slots=True)
class TimeMention:
    """`first`..`last` is the span the words cover (aware, in the rep's timezone).

    `clock` says an hour was given; `hour` is the default hour of a part of day ("下午" -> 14);
    `deadline` marks a limit ("周五前", "by Friday", "两周内") rather than a point.
    """

    text: str
    start: int
    end: int
    first: datetime
    last: datetime
    clock: bool = False
    hour: int | None = None
    deadline: bool = False

    @property
    def one_day(self) -> bool:
        """True when the words name a single day or a time within it."""
        return self.deadline or self.first.date() == self.last.date()

    def moment(self) -> datetime:
        """The instant to meet or remind at: the clock time, else the day at its default hour."""
        if self.clock:
            return self.first
        day = self.last.date() if self.deadline else self.first.date()
        return at_hour(day, self.hour if self.hour is not None else DEFAULT_HOUR, self.first)

    def due(self) -> datetime:
        """When a promise or a to-do falls due: a span of several days is due on its last working day."""
        if self.clock or self.one_day:
            return self.moment()
        return at_hour(last_workday(self.first.date(), self.last.date()), DEFAULT_HOUR, self.first)

    def by(self) -> date:
        """The date a timeline resolves to: the end of the span."""
        return self.last.date()


def at_hour(day: date, hour: int, like: datetime) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=like.tzinfo)


def day_span(first: date, last: date, like: datetime) -> tuple[datetime, datetime]:
    """Aware datetimes from the start of `first` to the last second of `last`."""
    return (
        datetime.combine(first, time(0), tzinfo=like.tzinfo),
        datetime.combine(last, time(23, 59, 59), tzinfo=like.tzinfo),
    )


def last_workday(first: date, last: date) -> date:
    """The last Monday-to-Friday day in first..last (or `last` when the span is a weekend)."""
    day = last
    while day.weekday() >= 5 and day > first:
        day -= timedelta(days=1)
    return day if day.weekday() < 5 else last


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_part(year: int, month: int, part: str | None) -> tuple[date, date]:
    """Days of a month or of its 初/上旬 (1-10), 中/中旬 (11-20), 下旬 (21-) or 底/末 (last 5 days)."""
    end = month_end(year, month)
    if part in ("初", "上旬", "early"):
        return date(year, month, 1), date(year, month, 10)
    if part in ("中", "中旬", "mid"):
        return date(year, month, 11), date(year, month, 20)
    if part == "下旬":
        return date(year, month, 21), end
    if part in ("底", "末", "late", "end"):
        return end - timedelta(days=4), end
    return date(year, month, 1), end


def quarter_span(year: int, quarter: int) -> tuple[date, date]:
    first_month = 3 * (quarter - 1) + 1
    return date(year, first_month, 1), month_end(year, first_month + 2)


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def small_number(text: str) -> int | None:
    """0-99 written in digits or Chinese numerals ("3", "两", "十二", "二十五"); None otherwise."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        high = _CN_DIGITS.get(tens, -1) if tens else 1
        low = _CN_DIGITS.get(ones, -1) if ones else 0
        return high * 10 + low if high >= 0 and low >= 0 else None
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    return None
