"""Chinese workdays (crm.ports.WorkCalendar) from chinese-calendar: weekends and public holidays off,
make-up working days (调休) on. The library knows only the years up to its release; for later years
this falls back to Monday to Friday rather than failing the digest."""

from __future__ import annotations

import logging
from datetime import date

import chinese_calendar

logger = logging.getLogger(__name__)


class ChineseWorkdays:
    def __init__(self) -> None:
        self._warned: set[int] = set()

    def is_workday(self, day: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                logger.warning("chinese-calendar has no data for %s: workdays are Monday to Friday", day.year)
            return day.weekday() < 5
