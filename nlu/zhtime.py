"""Chinese time expressions: jionlp's extractor, corrected, plus what it misses (下个月, 月底, Q3)."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

from nlu import jio, zhforms
from nlu.resources import simplified
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
# "五月廿二" / "三月初一" / "二月十五" name a day: the month alone is not the expression.
_NO_DAY_AFTER = rf"(?!\s*{_NUM}\s*[号日]|[初廿卅]|[一二三四五六七八九十](?![十百千万]))"
_LIMIT = r"(?P<lim>之前|以前|前|之内|以内|内)?"

# jionlp reads "一周内" as two days and "两周内" as three, so spans of N units are handled here.
_WITHIN = re.compile(
    rf"(?<![\d零一二两三四五六七八九十])(?P<n>{_NUM}|半)\s*(?P<u>天|日|个?星期|个?礼拜|周|个月|个?年)(?:之内|以内|内)"
)
# jionlp parses neither a bare 下个月 / 月底 nor 下个月 followed by a verb ("下个月上线").
_MONTH_REL = re.compile(
    r"(?P<rel>下下个?月|下个?月|上个?月|这个?月|本月|当月|(?<![\d零一二两三四五六七八九十个年半正腊冬])月)"
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

# Dates in digits: 2025/03/18, 2025-3-18, 2025.3.18, 2010 01 29, 20250318; 3/3/2015 and 10/31/74 (month
# first, as in the US, unless the first number cannot be a month); 23-05-2011 (day first); 10-08, 2/15.
_YMD = re.compile(
    r"(?<![\d/.\-:])(?P<y>(?:19|20)\d{2})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})|"
    r" (?P<m2>\d{2}) (?P<d2>\d{2})|(?P<m3>0[1-9]|1[0-2])(?P<d3>0[1-9]|[12]\d|3[01]))(?![\d/.\-:])"
)
_MDY = re.compile(
    r"(?<![\d/.\-:])(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\d/.\-:])"
)
_MD = re.compile(
    r"(?<![\d/.\-:：])(?P<m>1[0-2]|0?[1-9])[/-](?P<d>3[01]|[12]\d|0?[1-9])"
    r"(?![\d/.\-:%]|\s*(?:[天个個人万萬千元块塊台套件年月号號周週点點]|小时|分钟|"
    r"(?i:lakhs?|lacs?|crores?|k\b|m\b|mn\b|million|people|persons|users|units|pcs|years|months|weeks|days|hours)))"
)
# "这周末" is Saturday (with Sunday); "下周末" next week's.
_WEEKEND = re.compile(r"(?P<rel>下下|下|这|本|上)?(?:个)?(?:周末|礼拜六日|星期六日)")
# Open offsets said every day: "一小时以后", "15天以后", "半个月后", "过几天再联系", "过两天".
_AFTER = re.compile(
    rf"(?:过|過)?(?P<n>{_NUM}|半|几|幾|\d{{1,3}})\s*(?P<u>个?小时|个?钟头|分钟|秒|天|日|个?星期|个?礼拜|周|个?月|个?半月|年)"
    r"\s*(?:以后|之后|后|過後|过后)"
)
# "后三小时" / "下三分钟" (prefix form) and "两小时前" / "前两小时" (past): hours, minutes, seconds.
_CLOCK_UNIT = r"个?小时|个?钟头|分钟|秒"
_CLOCK_OFFSET = re.compile(
    rf"(?:(?P<pre>后|下|前|上)(?P<n1>{_NUM}|半)\s*(?P<u1>{_CLOCK_UNIT})(?!\s*(?:以后|之后|后|以前|之前|前))|"
    rf"(?P<n2>{_NUM}|半)\s*(?P<u2>{_CLOCK_UNIT})\s*(?P<post>以前|之前|前))"
)
_AFTER_SOME_DAYS = re.compile(r"(?:过|過)(?P<n>几|幾|两|一两|两三|三五|些)天")
# "2025年内完成": by the end of that year (jionlp reads "25年内" as twenty-five years).
_YEAR_WITHIN = re.compile(r"(?P<y>\d{4}|今年|明年|后年)\s*年?(?:内|之内|以内|底前|年底前|年底之前)")
_LUNAR = re.compile(r"农历|正月|腊月|冬月|闰|廿|卅|初[一二三四五六七八九十]")
_NOT_A_DATE_BEFORE = re.compile(
    r"(?:电话|手机|tel|phone|mobile|编号|单号|号码|No\.?)\s*[:：]?\s*$", re.IGNORECASE
)

# Phone numbers and sums are never times, yet jionlp's extractor tries every digit run it sees as one,
# costing several milliseconds for a single phone number; they are masked (same length) before it runs.
_NOT_TIME = re.compile(
    r"(?<!\d)(?!(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d))\d{7,}|\d{3,4}[\s-]\d{4}[\s-]?\d{4}|[¥$]\s*[\d,.]+|"
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
# "下周3", "星期5": weekdays typed as digits, read as the numeral (one character for one).
_DIGIT_WEEKDAY = re.compile(r"(?<=周|期|拜)[1-7](?![\d次天个回小号点:：.])")
_BARE_WEEKDAY = re.compile(r"(?:周|星期|礼拜)[一二三四五六日天]")
_WEEKDAY_TEXT = re.compile(r"(?:周|星期|礼拜)(?P<d>[一二三四五六日天])")
# Between a date and its weekday: "二月十号（周日）", "周日, 二月十号", "12月8号周二".
_BESIDE = re.compile(r"[\s,，、(（)）]{0,3}")
# "开始" and "起" after a day: the day something starts.
_STARTS = re.compile(r"(?:开始|起)$")
_HOLIDAY = re.compile(r"元旦|春节|过年|元宵|清明|五一|劳动节|端午|中秋|国庆|十一|圣诞")
# "三点建议" is three points, not three o'clock.
_NOT_A_CLOCK_AFTER = tuple("建议需求意见问题要求内容原因方面想法")


def find(text: str, now: datetime) -> list[TimeMention]:
    """Chinese time expressions in `text`, in any order; overlapping ones are resolved by the caller.

    Traditional characters and Cantonese time words are read as simplified Mandarin (offsets and the
    text of each mention stay those of `text`).
    """
    said = text
    text = _DIGIT_WEEKDAY.sub(lambda m: "一二三四五六日"[int(m[0]) - 1], simplified(text))
    return [
        dataclasses.replace(m, text=said[m.start : m.end]) if m.text != said[m.start : m.end] else m
        for m in _find(text, now)
    ]


def _find(text: str, now: datetime) -> list[TimeMention]:
    own = [*_own_forms(text, now), *zhforms.own_forms(text, now)]
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
        span = item["detail"]["time"]
        said = _STARTS.search(text, start, end)
        if said and said.start() > start:
            # "1月1号开始": jionlp reads a span from that day to now; the day itself is meant.
            reparsed = jio.parse_time(text[start : said.start()], now.replace(tzinfo=None))
            if reparsed is not None:
                span, end = reparsed["time"], said.start()
        mention = _from_jionlp(text[start:end], start, end, span, now)
        if mention is not None:
            own.append(mention)
    # A weekday jionlp does not see ("下礼拜三开始试运行") or sees part of ("今星期二") is read on its own.
    for weekday in zhforms.weekdays(text, now):
        size = weekday.end - weekday.start
        overlapping = [o for o in own if weekday.start < o.end and o.start < weekday.end]
        if all(weekday.start <= o.start and o.end - o.start < size for o in overlapping):
            own = [o for o in own if o not in overlapping] + [weekday]
    return _anchored(own, text, now)


def _anchored(mentions: list[TimeMention], text: str, now: datetime) -> list[TimeMention]:
    """A date said with its weekday ("周日, 二月十号", "11月23日（周一）") is in the year where that date
    falls on that weekday, even when it is already past: the weekday says which one is meant."""
    weekdays = [m for m in mentions if _WEEKDAY_TEXT.fullmatch(simplified(m.text))]
    anchored = []
    for mention in mentions:
        named = next(
            (
                _WEEKDAY_TEXT.fullmatch(simplified(w.text))
                for w in weekdays
                if w is not mention
                and _BESIDE.fullmatch(text, min(mention.end, w.end), max(mention.start, w.start))
            ),
            None,
        )
        if named is None or not mention.one_day or "月" not in mention.text or "年" in mention.text:
            anchored.append(mention)
            continue
        weekday = "一二三四五六日".find(named["d"].replace("天", "日"))
        fits = [y for y in (-1, 0, 1) if _months_later(mention.first, 12 * y).weekday() == weekday]
        if not fits:
            anchored.append(mention)
            continue
        years = min(fits, key=lambda y: abs(_months_later(mention.first, 12 * y) - now))
        anchored.append(_shifted(mention, functools.partial(_months_later, months=12 * years)))
    return anchored


def _own_forms(text: str, now: datetime) -> Iterator[TimeMention]:
    today = now.date()
    for m in _WEEKEND.finditer(text):
        weeks = {"下下": 2, "下": 1, "上": -1}.get(m["rel"] or "", 0)
        saturday = today + timedelta(days=5 - today.weekday() + 7 * weeks)
        if weeks == 0 and saturday + timedelta(days=1) < today:
            saturday += timedelta(days=7)
        begin, finish = day_span(
            max(saturday, today) if weeks == 0 else saturday, saturday + timedelta(days=1), now
        )
        yield TimeMention(m[0], m.start(), m.end(), begin, finish)
    for m in _AFTER.finditer(text):
        moment = _after(m["n"], m["u"], now)
        if moment is None:
            continue
        if re.search(r"小时|钟头|分钟|秒", m["u"]):
            yield TimeMention(m[0], m.start(), m.end(), moment, moment, clock=True)
        else:
            begin, finish = day_span(moment.date(), moment.date(), now)
            yield TimeMention(m[0], m.start(), m.end(), begin, finish)
    for m in _CLOCK_OFFSET.finditer(text):
        shift = _after(m["n1"] or m["n2"], m["u1"] or m["u2"], now)
        if shift is None:
            continue
        moment = now - (shift - now) if (m["pre"] in ("前", "上") or m["post"]) else shift
        yield TimeMention(m[0], m.start(), m.end(), moment, moment, clock=True)
    for m in _AFTER_SOME_DAYS.finditer(text):
        days = {"两": 2, "一两": 2, "两三": 3}.get(m["n"], 3)
        begin, finish = day_span(today + timedelta(days=days), today + timedelta(days=days), now)
        yield TimeMention(m[0], m.start(), m.end(), begin, finish)
    for m in _YEAR_WITHIN.finditer(text):
        year = _year(m["y"], today)
        if year is None or year < today.year:
            continue
        yield _span(m, today, date(year, 12, 31), now, deadline=True)
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
        offset = (
            2 if rel.startswith("下下") else 1 if rel.startswith("下") else -1 if rel.startswith("上") else 0
        )
        month = add_months(today.replace(day=1), offset)
        first, last = month_part(month.year, month.month, m["part"])
        if rel == "月" and last < today:
            month = add_months(month, 1)
            first, last = month_part(month.year, month.month, m["part"])
        yield _span(m, max(first, today) if offset >= 0 else first, last, now, deadline=bool(m["lim"]))
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


def digit_dates(text: str, now: datetime) -> Iterator[TimeMention]:
    """Dates written in digits only, in any language: "2025/03/18", "20250318", "23-05-2011", "10-08"."""
    today = now.date()
    for m in _YMD.finditer(text):
        if _NOT_A_DATE_BEFORE.search(text, 0, m.start()):
            continue
        day = _date(int(m["y"]), m["m"] or m["m2"] or m["m3"], m["d"] or m["d2"] or m["d3"])
        if day is not None:
            first, last = day_span(day, day, now)
            yield TimeMention(m[0], m.start(), m.end(), first, last)
    for m in _MDY.finditer(text):
        year = (
            int(m["y"])
            if len(m["y"]) == 4
            else 2000 + int(m["y"])
            if int(m["y"]) <= today.year % 100 + 10
            else 1900 + int(m["y"])
        )
        a, b = m["a"], m["b"]
        day = (
            _date(year, a, b) if int(a) <= 12 and m["sep"] == "/" else _date(year, b, a) or _date(year, a, b)
        )
        if day is not None:
            first, last = day_span(day, day, now)
            yield TimeMention(m[0], m.start(), m.end(), first, last)
    for m in _MD.finditer(text):
        day = _date(today.year, m["m"], m["d"])
        if day is None:
            continue
        if day < today:
            day = _date(today.year + 1, m["m"], m["d"]) or day
        first, last = day_span(day, day, now)
        yield TimeMention(m[0], m.start(), m.end(), first, last)


def _date(year: int, month: str, day: str) -> date | None:
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None


def _after(number: str, unit: str, now: datetime) -> datetime | None:
    """`now` plus "N units" ("半个月" is fifteen days; "几天" three)."""
    n = 0.5 if number == "半" else 3 if number in ("几", "幾") else small_number(number)
    if n is None:
        return None
    if "半月" in unit:
        n, unit = n + 0.5, "月"
    if "小时" in unit or "钟头" in unit:
        return now + timedelta(hours=n)
    if "分钟" in unit:
        return now + timedelta(minutes=n)
    if unit == "秒":
        return now + timedelta(seconds=n)
    if unit in ("天", "日"):
        return now + timedelta(days=n)
    if unit[-1] in "期拜周":
        return now + timedelta(days=7 * n)
    if unit.endswith("月"):
        whole = int(n)
        moved = add_months(now.date(), whole) + timedelta(days=15 if n != whole else 0)
        return now.replace(year=moved.year, month=moved.month, day=moved.day)
    day = add_months(now.date(), int(12 * n))
    return now.replace(year=day.year, month=day.month, day=day.day)


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
    if last < first and span[0] != "-inf":
        # "十二月一号至一月一号": the end is in the year after the start.
        last = _months_later(last, 12)
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
    if _past(mention, now) or (
        # "周二" said on a Tuesday is next Tuesday: today would have been "今天".
        _BARE_WEEKDAY.fullmatch(text) and first.date() == now.date()
    ):
        return _roll_forward(mention, now)
    return mention


def _past(mention: TimeMention, now: datetime) -> bool:
    """Whether the words name a time already gone: a day is past once it is over (today's date said
    at 10:00 is today, not next year), a clock time once it has struck."""
    if mention.clock:
        return mention.first < now
    return mention.last.date() < now.date()


def _roll_forward(mention: TimeMention, now: datetime) -> TimeMention:
    """A past reading of words that name no year or week is usually the next occurrence."""
    text = mention.text
    if "年" in text or text.startswith(("上", "下", "这", "本", "今", "昨", "前", "明", "后", "去")):
        return mention
    if _HOLIDAY.search(text) or _LUNAR.search(text):
        # The year said in digits: jionlp moves "明年春节" by a calendar year, not to next year's festival.
        reparsed = jio.parse_time(f"{now.year + 1}年" + text, now.replace(tzinfo=None))
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
