"""Chinese time expressions: jionlp's extractor, corrected, plus what it misses (下个月, 月底, Q3)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

from nlu import jio
from nlu.timemodel import (
    PART_HOURS,
    TimeMention,
    add_months,
    at_hour,
    day_span,
    month_part,
    quarter_span,
    small_number,
)

_NUM = r"(?:\d{1,2}|[零一二两三四五六七八九十]{1,3})"
_NO_DAY_AFTER = rf"(?!\s*{_NUM}\s*[号日])"
_LIMIT = r"(?P<lim>之前|以前|前|之内|以内|内)?"

# jionlp reads "一周内" as two days and "两周内" as three, so spans of N units are handled here.
_WITHIN = re.compile(rf"(?P<n>{_NUM}|半)\s*(?P<u>天|日|个?星期|个?礼拜|周|个月|个?年)(?:之内|以内|内)")
# jionlp parses neither a bare 下个月 / 月底 nor 下个月 followed by a verb ("下个月上线").
_MONTH_REL = re.compile(
    r"(?P<rel>下下个?月|下个?月|这个?月|本月|当月|(?<![\d零一二两三四五六七八九十个年半])月)"
    rf"(?P<part>初|中旬|上旬|下旬|中|底|末)?{_LIMIT}{_NO_DAY_AFTER}"
)
# A month without a year ("3月上线", "十二月中旬"): jionlp only parses it with a year.
_MONTH = re.compile(
    r"(?<![\d年/.\-－零一二两三四五六七八九十])(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月份?"
    rf"(?P<part>初|中旬|上旬|下旬|中|底|末)?{_LIMIT}{_NO_DAY_AFTER}"
)
_QUARTER = re.compile(
    r"(?P<y>明年|今年|后年|\d{4}\s*年?)?\s*(?:(?<![A-Za-z])[Qq](?P<q>[1-4])(?![\d])|第?(?P<qc>[一二三四1-4])季度)"
    rf"(?P<part>末|底)?{_LIMIT}"
)
# jionlp reads "明早9点" as today and "今晚" as the whole day.
_SHORT_DAY = re.compile(
    rf"(?P<d>今|明|后)(?P<p>早|晨|晚)上?(?:(?P<h>{_NUM})\s*(?:点|:|：|时)\s*(?P<mi>半|\d{{1,2}}|{_NUM}分)?分?)?"
)

# Phone numbers and sums are never times, yet jionlp's extractor tries every digit run it sees as one,
# costing several milliseconds for a single phone number; they are masked (same length) before it runs.
_NOT_TIME = re.compile(
    r"\d{7,}|\d{3,4}[\s-]\d{4}[\s-]?\d{4}|[¥$]\s*[\d,.]+|"
    r"\d[\d,.]*\s*(?:(?:到|至|-|~)\s*\d[\d,.]*\s*)?(?:万|亿|千|[wWkK](?![A-Za-z])|元|块)"
)
# "30秒后" is a clock time as much as "2小时后": without it the day would default to 09:00.
_CLOCK = re.compile(rf"{_NUM}\s*(?:点|:|：|时(?!候|间))|(?:{_NUM}|半)\s*个?(?:小时|钟头|分钟|秒)")
_RELATIVE_CLOCK = re.compile(r"小时|钟头|分钟|秒")
_PARTS = (
    (re.compile(r"凌晨"), None),
    (re.compile(r"下午"), "afternoon"),
    (re.compile(r"早上|早晨|上午|早|晨"), "morning"),
    (re.compile(r"中午"), "noon"),
    (re.compile(r"傍晚|晚上|晚|夜"), "evening"),
)
_BARE_WEEKDAY = re.compile(r"(?:周|星期|礼拜)[一二三四五六日天]")
_HOLIDAY = re.compile(r"元旦|春节|过年|元宵|清明|五一|劳动节|端午|中秋|国庆|十一|圣诞")
# "三点建议" is three points, not three o'clock.
_NOT_A_CLOCK_AFTER = tuple("建议需求意见问题要求内容原因方面想法")


def find(text: str, now: datetime) -> list[TimeMention]:
    """Chinese time expressions in `text`, in any order; overlapping ones are resolved by the caller."""
    own = [*_own_forms(text, now)]
    taken = [(m.start, m.end) for m in own]
    masked = _NOT_TIME.sub(lambda m: "x" * len(m[0]), text)
    for item in jio.extract_time(masked, now.replace(tzinfo=None)):
        start, end = item["offset"]
        if item["type"] not in ("time_point", "time_span"):
            continue
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        if text[end : end + 1] in _NOT_A_CLOCK_AFTER and re.fullmatch(rf"{_NUM}点", item["text"]):
            continue
        mention = _from_jionlp(text[start:end], start, end, item["detail"]["time"], now)
        if mention is not None:
            own.append(mention)
    return own


def _own_forms(text: str, now: datetime) -> Iterator[TimeMention]:
    today = now.date()
    for m in _WITHIN.finditer(text):
        n = small_number(m["n"]) if m["n"] != "半" else 0
        if n is None:
            continue
        unit = m["u"][-1]
        if unit in "天日":
            last = today + timedelta(days=n)
        elif unit in "周期拜":
            last = today + timedelta(days=7 * n if n else 3)
        elif unit == "月":
            last = add_months(today, n) if n else today + timedelta(days=15)
        else:
            last = add_months(today, 12 * n if n else 6)
        yield _span(m, today, last, now, deadline=True)
    for m in _MONTH_REL.finditer(text):
        rel = m["rel"]
        if rel == "月" and not m["part"]:
            continue
        offset = 2 if rel.startswith("下下") else 1 if rel.startswith("下") else 0
        month = add_months(today.replace(day=1), offset)
        first, last = month_part(month.year, month.month, m["part"])
        if rel == "月" and last < today:
            month = add_months(month, 1)
            first, last = month_part(month.year, month.month, m["part"])
        yield _span(m, max(first, today), last, now, deadline=bool(m["lim"]))
    for m in _MONTH.finditer(text):
        number = small_number(m["m"].lstrip("0"))
        if number is None or not 1 <= number <= 12:
            continue
        first, last = month_part(today.year, number, m["part"])
        if last < today:
            first, last = month_part(today.year + 1, number, m["part"])
        yield _span(m, first, last, now, deadline=bool(m["lim"]))
    for m in _QUARTER.finditer(text):
        quarter = small_number(m["q"] or m["qc"])
        if quarter is None:
            continue
        year = _year(m["y"], today)
        first, last = quarter_span(year or today.year, quarter)
        if year is None and last < today:
            first, last = quarter_span(today.year + 1, quarter)
        if m["part"]:
            first = last - timedelta(days=14)
        yield _span(m, first, last, now, deadline=bool(m["lim"]))
    for m in _SHORT_DAY.finditer(text):
        day = today + timedelta(days={"今": 0, "明": 1, "后": 2}[m["d"]])
        part = "evening" if m["p"] == "晚" else "morning"
        hour = small_number(m["h"]) if m["h"] else None
        if hour is None:
            first, last = day_span(day, day, now)
            yield TimeMention(m[0], m.start(), m.end(), first, last, hour=PART_HOURS[part])
            continue
        if part == "evening" and hour < 12:
            hour += 12
        minute = _minute(m["mi"])
        moment = at_hour(day, hour % 24, now) + timedelta(minutes=minute)
        yield TimeMention(m[0], m.start(), m.end(), moment, moment, clock=True)


def _span(m: re.Match[str], first: date, last: date, now: datetime, *, deadline: bool) -> TimeMention:
    start, end = day_span(first, last, now)
    return TimeMention(m[0], m.start(), m.end(), start, end, deadline=deadline)


def _year(said: str | None, today: date) -> int | None:
    if not said:
        return None
    said = said.strip()
    if said[0].isdigit():
        return int(said[:4])
    return today.year + {"今年": 0, "明年": 1, "后年": 2}[said]


def _minute(said: str | None) -> int:
    if not said:
        return 0
    if said == "半":
        return 30
    return small_number(said.rstrip("分")) or 0


def _from_jionlp(text: str, start: int, end: int, span: list[str], now: datetime) -> TimeMention | None:
    if span[1] == "inf":
        return None
    last = datetime.fromisoformat(span[1]).replace(tzinfo=now.tzinfo)
    first = now if span[0] == "-inf" else datetime.fromisoformat(span[0]).replace(tzinfo=now.tzinfo)
    clock = bool(_CLOCK.search(text))
    parts = [name for pattern, name in _PARTS if pattern.search(text)]
    said_part, part = bool(parts), parts[0] if parts else None
    if clock and not said_part and not _RELATIVE_CLOCK.search(text) and 1 <= first.hour <= 6:
        # Business talk: "下周三3点" means 15:00; jionlp reads it as 03:00.
        first, last = first + timedelta(hours=12), last + timedelta(hours=12)
    deadline = text.endswith(("前", "之前", "以前", "内", "之内", "以内"))
    mention = TimeMention(
        text,
        start,
        end,
        first,
        last,
        clock=clock,
        hour=PART_HOURS.get(part) if part and not clock else None,
        deadline=deadline,
    )
    if (mention.moment() if mention.one_day else mention.last) < now:
        return _roll_forward(mention, now)
    return mention


def _roll_forward(mention: TimeMention, now: datetime) -> TimeMention:
    """A past reading of words that name no year or week is usually the next occurrence."""
    text = mention.text
    if "年" in text or text.startswith(("上", "下", "这", "本", "今", "昨", "前", "明", "后", "去")):
        return mention
    if _HOLIDAY.search(text):
        reparsed = jio.parse_time("明年" + text, now.replace(tzinfo=None))
        if reparsed is None or reparsed["time"][1] == "inf":
            return mention
        return _from_jionlp(text, mention.start, mention.end, reparsed["time"], now) or mention
    if _BARE_WEEKDAY.match(text):
        shift = timedelta(days=7)
        return _shifted(mention, lambda moment: moment + shift)
    if "月" in text:
        return _shifted(mention, lambda moment: _months_later(moment, 12))
    if "号" in text or "日" in text:
        return _shifted(mention, lambda moment: _months_later(moment, 1))
    return mention


def _months_later(moment: datetime, months: int) -> datetime:
    day = add_months(moment.date(), months)
    return moment.replace(year=day.year, month=day.month, day=day.day)


def _shifted(mention: TimeMention, shift: Callable[[datetime], datetime]) -> TimeMention:
    return TimeMention(
        mention.text,
        mention.start,
        mention.end,
        shift(mention.first),
        shift(mention.last),
        clock=mention.clock,
        hour=mention.hour,
        deadline=mention.deadline,
    )
