"""Chinese day expressions jionlp reads wrongly or not at all, on simplified text (see resources.simplified).

- weekdays with their week ("下礼拜三开始", "这周一", "今个星期一"), used where jionlp finds nothing;
- a month and a day without 号/日 ("三月一", "二月十三到十五"), with a year in Chinese numerals
  ("两千零四年八月十五", "二零一五年三月三");
- the n-th weekday of a month ("十月的第一个星期一");
- the next or last N days, weeks, months or years ("后三天", "下三个月", "前两天") and N days ago ("两日前");
- the middle of a year ("明年年中"), the Chinese New Year as "年前", a quarter as 第二季 (Hong Kong and
  Taiwan), and M.D dates said with a year or a limit ("明年5.1之前").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from nlu import jio
from nlu.timemodel import TimeMention, add_months, day_span, month_end, quarter_span, small_number

_DAY_NAMES = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_NUM = r"(?:\d{1,2}|[零一二两三四五六七八九十]{1,3})"
_MONTH_NUM = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY_NUM = r"(?:3[01]|[12]\d|0?[1-9]|三十[一]?|[二]?十[一二三四五六七八九]?|[一二三四五六七八九])"
# Years written in Chinese numerals: "二零一五", "两千零四", "两千".
_DIGIT = "一二三四五六七八九"
_YEAR = rf"(?:(?:19|20)\d{{2}}|[〇零{_DIGIT}]{{4}}|[两二]千(?:零[{_DIGIT}]|零?[{_DIGIT}]?十[{_DIGIT}]?)?)"

_WEEKDAY = re.compile(
    r"(?P<rel>下下个?|下个?|这个?|本|今个?|上个?)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天])(?!末)"
)
# After the day: the end of the clause, a part of the day or a limit; never "三月一次" or "三月一日".
_DAY_END = r"(?=$|[\s,，。.!！?？、;；)）]|上午|下午|早上|晚上|中午|前|之前|以前|开始|起)"
_BARE_MONTH_DAY = re.compile(
    rf"(?<![\d年/.\-农阴正])(?:(?P<y>{_YEAR})年)?(?P<m>{_MONTH_NUM})月(?P<d>{_DAY_NUM})"
    rf"(?:\s*(?:到|至|-|~|～)\s*(?P<d2>{_DAY_NUM}))?{_DAY_END}"
)
_NTH_WEEKDAY = re.compile(
    rf"(?:(?P<y>{_YEAR}|今|明)年)?(?P<m>{_MONTH_NUM})月(?:份)?的?第(?P<n>[一二三四1-4])个?(?:周|星期|礼拜)(?P<d>[一二三四五六日天])"
)
_NEXT_SPAN = re.compile(
    rf"(?P<dir>后|下|未来|接下来的?|前|上|过去的?)(?P<n>{_NUM})\s*(?P<u>天|日|个?星期|个?礼拜|个?周|个月|年)"
    r"(?!\s*(?:以后|之后|后|以前|之前|前|内|之内|以内|里|级|纪|度))"
)
_DAYS_AGO = re.compile(
    rf"(?<![\d零一二两三四五六七八九十第月年号])(?P<n>{_NUM})\s*(?:天|日)(?:之前|以前|前)(?![\d天])"
)
_MID_YEAR = re.compile(
    r"(?:(?P<y>\d{4}\s*年|今年|明年|后年)|(?<![今明去后一每半几两\d年]))年中(?![秋旬间])(?P<lim>之前|以前|前)?"
)
# 年前 alone is "before the Chinese New Year"; 三年前, 多年前 and 去年前 are something else.
# "明年开春": the first weeks of spring, February and March.
_SPRING = re.compile(r"(?P<y>\d{4}\s*年|今年|明年|后年)?(?:开春|初春|春节后)")
_NEW_YEAR = re.compile(r"(?<![\d零一二两三四五六七八九十几半去今明后多周百千万个上数])年前(?!\d)")
_SEASON = re.compile(
    r"(?P<y>\d{4}\s*年|今年|明年|后年)?第(?P<q>[一二三四1-4])季(?![度节])(?P<lim>之前|以前|前|末|底)?"
)
_DOTTED = re.compile(
    r"(?P<y>\d{4}\s*年|今年|明年|后年)?(?<![\d.])(?P<m>1[0-2]|[1-9])\.(?P<d>3[01]|[12]\d|[1-9])(?![\d.%])"
    r"(?P<lim>之前|以前|前|开始|号)?"
)


def weekdays(text: str, now: datetime) -> Iterator[TimeMention]:
    """Weekdays with or without their week: 下周三 is next calendar week's, a bare 周三 the next one to
    come (周二 said on a Tuesday is next Tuesday: today would have been 今天)."""
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    for m in _WEEKDAY.finditer(text):
        weekday = _DAY_NAMES[m["d"]]
        rel = m["rel"] or ""
        if rel:
            weeks = {"下下": 2, "下": 1, "上": -1}.get(rel[:2], {"下": 1, "上": -1}.get(rel[:1], 0))
            day = monday + timedelta(days=7 * weeks + weekday)
        else:
            day = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
        first, last = day_span(day, day, now)
        yield TimeMention(m[0], m.start(), m.end(), first, last)


def own_forms(text: str, now: datetime) -> Iterator[TimeMention]:
    """The forms of this module that take precedence over jionlp's reading of the same words."""
    yield from _month_days(text, now)
    yield from _nth_weekdays(text, now)
    yield from _next_spans(text, now)
    yield from _years(text, now)


def _month_days(text: str, now: datetime) -> Iterator[TimeMention]:
    today = now.date()
    for m in _BARE_MONTH_DAY.finditer(text):
        if not m["y"] and m["m"] == "八" and m["d"] == "十五" and not m["d2"]:
            continue  # 八月十五 is the Mid-Autumn Festival, a lunar date jionlp reads
        year = year_number(m["y"]) if m["y"] else today.year
        month, day = small_number(m["m"]), small_number(m["d"])
        last_day = small_number(m["d2"]) if m["d2"] else day
        if year is None or month is None or day is None or last_day is None:
            continue
        try:
            first, last = date(year, month, day), date(year, month, last_day)
        except ValueError:
            continue
        if not m["y"] and last < today:
            first, last = first.replace(year=year + 1), last.replace(year=year + 1)
        if last >= first:
            begin, end = day_span(first, last, now)
            yield TimeMention(m[0], m.start(), m.end(), begin, end)


def _nth_weekdays(text: str, now: datetime) -> Iterator[TimeMention]:
    today = now.date()
    for m in _NTH_WEEKDAY.finditer(text):
        said = m["y"]
        year = today.year + 1 if said == "明" else year_number(said) if said and said != "今" else today.year
        month, n = small_number(m["m"]), small_number(m["n"])
        if year is None or month is None or n is None or not 1 <= month <= 12:
            continue
        day = _nth(year, month, n, _DAY_NAMES[m["d"]])
        if not said and day < today:
            day = _nth(year + 1, month, n, _DAY_NAMES[m["d"]])
        first, last = day_span(day, day, now)
        yield TimeMention(m[0], m.start(), m.end(), first, last)


def _nth(year: int, month: int, n: int, weekday: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _next_spans(text: str, now: datetime) -> Iterator[TimeMention]:
    """ "后三天" is tomorrow and the two days after, "下三周" the three weeks from next Monday, "下三个月"
    the three calendar months from next month; "前两天" the two days before today."""
    today = now.date()
    for m in _NEXT_SPAN.finditer(text):
        n = small_number(m["n"])
        if n is None or n == 0:
            continue
        past = m["dir"][0] in "前上过"
        unit = m["u"][-1]
        if unit in "天日":
            first, last = (today - timedelta(days=n), today - timedelta(days=1)) if past else (
                today + timedelta(days=1), today + timedelta(days=n))  # fmt: skip
        elif unit in "期拜周":
            monday = today - timedelta(days=today.weekday())
            start = monday - timedelta(days=7 * n) if past else monday + timedelta(days=7)
            first, last = start, start + timedelta(days=7 * n - 1)
        elif unit == "月":
            start = add_months(today.replace(day=1), -n if past else 1)
            end = add_months(start, n - 1)
            first, last = start, month_end(end.year, end.month)
        else:
            year = today.year - n if past else today.year + 1
            first, last = date(year, 1, 1), date(year + n - 1, 12, 31)
        begin, end_ = day_span(first, last, now)
        yield TimeMention(m[0], m.start(), m.end(), begin, end_)
    for m in _DAYS_AGO.finditer(text):
        n = small_number(m["n"])
        if n is None:
            continue
        day = today - timedelta(days=n)
        begin, end_ = day_span(day, day, now)
        yield TimeMention(m[0], m.start(), m.end(), begin, end_)


def _years(text: str, now: datetime) -> Iterator[TimeMention]:
    today = now.date()
    for m in _MID_YEAR.finditer(text):
        year = _relative_year(m["y"], today)
        first, last = date(year, 6, 1), date(year, 6, 30)
        if not m["y"] and last < today:
            first, last = date(year + 1, 6, 1), date(year + 1, 6, 30)
        begin, end = day_span(first, last, now)
        yield TimeMention(m[0], m.start(), m.end(), begin, end, deadline=bool(m["lim"]))
    for m in _SEASON.finditer(text):
        year = _relative_year(m["y"], today)
        quarter = small_number(m["q"])
        if quarter is None:
            continue
        first, last = quarter_span(year, quarter)
        if not m["y"] and last < today:
            first, last = quarter_span(year + 1, quarter)
        if m["lim"] in ("末", "底"):
            first = last - timedelta(days=14)
        begin, end = day_span(first, last, now)
        yield TimeMention(m[0], m.start(), m.end(), begin, end, deadline=m["lim"] in ("之前", "以前", "前"))
    for m in _DOTTED.finditer(text):
        if not (m["y"] or m["lim"]):
            continue  # "5.1" alone is as often a number as a date
        year = _relative_year(m["y"], today)
        try:
            day = date(year, int(m["m"]), int(m["d"]))
        except ValueError:
            continue
        if not m["y"] and day < today:
            day = day.replace(year=year + 1)
        begin, end = day_span(day, day, now)
        yield TimeMention(m[0], m.start(), m.end(), begin, end, deadline=m["lim"] in ("之前", "以前", "前"))
    for m in _SPRING.finditer(text):
        year = _relative_year(m["y"], today)
        first, last = date(year, 2, 1), date(year, 3, 31)
        if not m["y"] and last < today:
            first, last = date(year + 1, 2, 1), date(year + 1, 3, 31)
        begin, end = day_span(first, last, now)
        yield TimeMention(m[0], m.start(), m.end(), begin, end)
    for m in _NEW_YEAR.finditer(text):
        festival = spring_festival(now)
        if festival is not None:
            begin, end = day_span(today, festival, now)
            yield TimeMention(m[0], m.start(), m.end(), now, end, deadline=True)


def spring_festival(now: datetime) -> date | None:
    """The next Chinese New Year's Day (jionlp knows the lunar calendar)."""
    base = now.replace(tzinfo=None)
    for said in (f"{now.year}年春节", f"{now.year + 1}年春节"):
        parsed = jio.parse_time(said, base)
        if parsed is None or parsed["time"][1] == "inf":
            continue
        day = datetime.fromisoformat(parsed["time"][0]).date()
        if day >= now.date():
            return day
    return None


def _relative_year(said: str | None, today: date) -> int:
    if not said:
        return today.year
    said = said.strip()
    if said[0].isdigit():
        return int(said[:4])
    return today.year + {"今年": 0, "明年": 1, "后年": 2}[said]


_YEAR_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")


def year_number(said: str | None) -> int | None:
    """A year in digits or Chinese numerals: "2015", "二零一五", "两千零四", "两千"."""
    if not said:
        return None
    if said.isdigit():
        return int(said)
    if re.fullmatch(r"[〇零一二三四五六七八九]{4}", said):
        return int(said.translate(_YEAR_DIGITS))
    rest = said[2:].lstrip("零")
    if not rest:
        return 2000
    number = small_number(rest)
    return 2000 + number if number is not None else None
