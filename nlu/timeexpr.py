"""Time expressions in Chinese and English text, resolved against the rep's aware `now`."""

from __future__ import annotations

import re
from datetime import datetime, time

from nlu import entime, zhtime
from nlu.timemodel import TimeMention

_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


# Between a day and the clock time that goes with it: "周五上午可以 九点半", "明天, 10:00".
_DAY_THEN_CLOCK = re.compile(
    r"[\s,，、]*(?:可以|都行|行|吧|的话|那天|当天|(?:你们|您)?(?:过来|过去|来|去)(?:一趟)?吧?|at|@)?[\s,，、]*",
    re.IGNORECASE,
)
_AFTERNOON = re.compile(r"下午|晚|pm|p\.m\.", re.IGNORECASE)
_DAY_WORDS = re.compile(r"[日天号號周週月年]|礼拜|禮拜|星期|今|明|后|後|today|tomorrow|day|\d[/.-]\d", re.I)


def find_times(text: str, now: datetime) -> list[TimeMention]:
    """Non-overlapping time expressions in order of appearance; the longer wins an overlap, and a day
    followed by a clock time said apart ("周五上午可以 九点半") is one moment."""
    chinese = zhtime.find(text, now) if _HAN.search(text) else []
    candidates = [*zhtime.digit_dates(text, now), *chinese]
    if _LATIN.search(text) or not chinese:
        candidates.extend(entime.find(text, now))
    candidates.sort(key=lambda m: (-(m.end - m.start), m.start))
    chosen: list[TimeMention] = []
    for mention in candidates:
        if all(mention.end <= other.start or other.end <= mention.start for other in chosen):
            chosen.append(mention)
    return _joined(text, sorted(chosen, key=lambda m: m.start))


def _joined(text: str, mentions: list[TimeMention]) -> list[TimeMention]:
    joined: list[TimeMention] = []
    for mention in mentions:
        day = joined[-1] if joined else None
        if (
            day is not None
            and not day.clock
            and not day.deadline
            and day.first.date() == day.last.date()
            and mention.clock
            and not _DAY_WORDS.search(mention.text)
            and _DAY_THEN_CLOCK.fullmatch(text, day.end, mention.start)
        ):
            joined[-1] = _at_clock(text, day, mention)
        else:
            joined.append(mention)
    return joined


def _at_clock(text: str, day: TimeMention, clock: TimeMention) -> TimeMention:
    """The day at the clock time; "晚上…八点" is 20:00, "下午…两点" stays 14:00."""
    hour = clock.first.hour
    if day.hour is not None and day.hour >= 12 and hour < 12:
        hour += 12
    elif day.hour is not None and day.hour < 12 <= hour and not _AFTERNOON.search(clock.text):
        # "上午…三点": the clock reader's afternoon guess for a bare hour does not hold in the morning.
        hour -= 12
    moment = datetime.combine(day.first.date(), time(hour % 24, clock.first.minute), tzinfo=day.first.tzinfo)
    return TimeMention(text[day.start : clock.end], day.start, clock.end, moment, moment, clock=True)
