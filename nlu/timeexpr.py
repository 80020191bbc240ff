"""Time expressions in Chinese and English text, resolved against the rep's aware `now`."""

from __future__ import annotations

import re
from datetime import datetime

from nlu import entime, zhtime
from nlu.timemodel import TimeMention

_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def find_times(text: str, now: datetime) -> list[TimeMention]:
    """Non-overlapping time expressions in order of appearance; the longer wins an overlap."""
    chinese = zhtime.find(text, now) if _HAN.search(text) else []
    candidates = [*zhtime.digit_dates(text, now), *chinese]
    if _LATIN.search(text) or not chinese:
        candidates.extend(entime.find(text, now))
    candidates.sort(key=lambda m: (-(m.end - m.start), m.start))
    chosen: list[TimeMention] = []
    for mention in candidates:
        if all(mention.end <= other.start or other.end <= mention.start for other in chosen):
            chosen.append(mention)
    return sorted(chosen, key=lambda m: m.start)
