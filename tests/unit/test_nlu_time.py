"""Time expressions in Chinese and English, resolved against Monday 2026-11-23 10:00 in Shanghai."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from nlu.timeexpr import find_times

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "said", "moment"),
    [
        ("下周三下午3点来公司", "下周三下午3点", at(2, 15, month=12)),
        ("明天上午10点", "明天上午10点", at(24, 10)),
        ("后天拜访", "后天", at(25, 9)),
        ("周五下午见", "周五下午", at(27, 14)),
        ("周一见", "周一", at(30, 9)),  # said on a Monday: next Monday
        ("3号过来", "3号", at(3, 9, month=12)),  # the 3rd has passed this month
        ("下周三3点", "下周三3点", at(2, 15, month=12)),  # business hours: 3 o'clock is 15:00
        ("明早9点", "明早9点", at(24, 9)),
        ("今晚8点", "今晚8点", at(23, 20)),
        ("礼拜五下午两点半", "礼拜五下午两点半", at(27, 14, 30)),
        ("3天后", "3天后", at(26, 9)),
        ("2小时后", "2小时后", at(23, 12)),
        ("20分钟后", "20分钟后", at(23, 10, 20)),
        ("30秒后", "30秒后", NOW.replace(second=30)),  # not 09:00 of today
        ("next Tuesday at 2pm", "next Tuesday at 2pm", at(1, 14, month=12)),
        ("tomorrow 10am", "tomorrow 10am", at(24, 10)),
        ("call me Friday afternoon", "Friday afternoon", at(27, 14)),
        ("in 2 hours", "in 2 hours", at(23, 12)),
        ("in half an hour", "in half an hour", at(23, 10, 30)),
        ("demo on Dec 3rd at 3:30pm", "Dec 3rd at 3:30pm", at(3, 15, 30, month=12)),
        ("at 14:00 on Wednesday", "at 14:00 on Wednesday", at(25, 14)),
        ("meet at 3", "at 3", at(23, 15)),
        ("tonight", "tonight", at(23, 19)),
    ],
)
def test_moment(text: str, said: str, moment: datetime) -> None:
    found = find_times(text, NOW)
    assert [m.text for m in found] == [said]
    assert found[0].moment() == moment


@pytest.mark.parametrize(
    ("text", "by"),
    [
        ("下个月上线", date(2026, 12, 31)),
        ("月底前给答复", date(2026, 11, 30)),
        ("年底前", date(2026, 12, 31)),
        ("Q3上线", date(2027, 9, 30)),  # Q3 2026 is over
        ("明年Q1", date(2027, 3, 31)),
        ("三季度", date(2027, 9, 30)),
        ("两周内", date(2026, 12, 7)),
        ("一周内回复", date(2026, 11, 30)),
        ("3月份上线", date(2027, 3, 31)),
        ("十二月中旬", date(2026, 12, 20)),
        ("下个月底", date(2026, 12, 31)),
        ("元旦前", date(2027, 1, 1)),
        ("12月15号签合同", date(2026, 12, 15)),
        ("go live in March", date(2027, 3, 31)),
        ("by end of Q3", date(2027, 9, 30)),
        ("within 2 weeks", date(2026, 12, 7)),
        ("by the end of the month", date(2026, 11, 30)),
        ("next month", date(2026, 12, 31)),
        ("in May 2027", date(2027, 5, 31)),
    ],
)
def test_span_end(text: str, by: date) -> None:
    found = find_times(text, NOW)
    assert len(found) == 1
    assert found[0].by() == by


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("周五前给报价", at(27, 9)),  # a deadline is due on the morning of its day
        ("下周发给你", at(4, 9, month=12)),  # a week: its last working day
        ("by Thursday", at(26, 9)),
    ],
)
def test_due(text: str, due: datetime) -> None:
    found = find_times(text, NOW)
    assert found[0].due() == due


@pytest.mark.parametrize(
    "text",
    [
        "电话13812345678",
        "采购200台，预算50万",
        "我有三点建议",
        "we may need it",
        "march forward together",
        "",
    ],
)
def test_no_time(text: str) -> None:
    assert find_times(text, NOW) == []


def test_datetimes_are_aware_in_the_reps_timezone() -> None:
    for mention in find_times("下周三下午3点, next Tuesday, 年底前", NOW):
        assert mention.first.tzinfo is SHANGHAI
        assert mention.last.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    ("text", "said", "moment"),
    [
        # Traditional characters and Cantonese, as customers in Hong Kong, Taiwan and Guangdong write
        ("下週三下午3點來公司", "下週三下午3點", at(2, 15, month=12)),
        ("大後天拜訪", "大後天", at(26, 9)),
        ("聽晚7點見", "聽晚7點", at(24, 19)),
        ("聽日上午十點", "聽日上午十點", at(24, 10)),
        ("禮拜五下午兩點半", "禮拜五下午兩點半", at(27, 14, 30)),
        ("今個星期三開會", "今個星期三", at(25, 9)),
        ("後日再傾", "後日", at(25, 9)),
        ("三個鐘之後覆你", "三個鐘之後", at(23, 13)),
        # Open offsets
        ("一小时以后打给他", "一小时以后", at(23, 11)),
        ("15天以后再联系", "15天以后", at(8, 9, month=12)),
        ("半个月后回访", "半个月后", at(8, 9, month=12)),
        ("过几天再联系", "过几天", at(26, 9)),
        ("过两天给答复", "过两天", at(25, 9)),
        # Lunar dates: the next one to come
        ("正月十五见客户", "正月十五", at(20, 9, month=2, year=2027)),
        ("腊月二十前付款", "腊月二十前", at(27, 9, month=1, year=2027)),
        # The weekend is its Saturday
        ("这周末见", "这周末", at(28, 9)),
        ("下周末去工厂", "下周末", at(5, 9, month=12)),
        ("周一见", "周一", at(30, 9)),
        # Dates in digits only
        ("2025/03/18签约", "2025/03/18", at(18, 9, month=3, year=2025)),
        ("2025.3.18", "2025.3.18", at(18, 9, month=3, year=2025)),
        ("2027-03-18 交货", "2027-03-18", at(18, 9, month=3, year=2027)),
        ("10-08到货", "10-08", at(8, 9, month=10, year=2027)),  # October 8th has passed this year
        ("12/15 demo", "12/15", at(15, 9, month=12)),
        ("20270318前交付", "20270318前", at(18, 9, month=3, year=2027)),  # 8 digits: a date, not a phone
        ("birthday 23-05-2011", "23-05-2011", at(23, 9, month=5, year=2011)),
    ],
)
def test_language_underneath(text: str, said: str, moment: datetime) -> None:
    found = find_times(text, NOW)
    assert [m.text for m in found] == [said]
    assert found[0].moment() == moment


@pytest.mark.parametrize(
    ("text", "by", "now"),
    [
        (
            "2025年内完成",
            date(2025, 12, 31),
            datetime(2025, 3, 1, 10, tzinfo=SHANGHAI),
        ),  # not twenty years out
        ("2027年内完成", date(2027, 12, 31), NOW),
        ("今年内上线", date(2026, 12, 31), NOW),
        ("上个月", date(2026, 10, 31), NOW),
        ("下個月頭", date(2026, 12, 10), NOW),
        ("六月尾", date(2027, 6, 30), NOW),
    ],
)
def test_language_underneath_spans(text: str, by: date, now: datetime) -> None:
    found = find_times(text, now)
    assert len(found) == 1
    assert found[0].by() == by


@pytest.mark.parametrize("text", ["电话13812345678", "预算30万", "3-5天", "共200台"])
def test_not_times(text: str) -> None:
    assert find_times(text, NOW) == []


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("后三小时", at(23, 13)),
        ("下三分钟", at(23, 10, 3)),
        ("两小时前打过电话", at(23, 8)),
        ("三秒之后", NOW.replace(second=3)),
    ],
)
def test_clock_offsets(text: str, moment: datetime) -> None:
    found = find_times(text, NOW)
    assert len(found) == 1
    assert found[0].moment() == moment


@pytest.mark.parametrize(
    ("text", "said", "moment"),
    [
        # a weekday jionlp does not see, with or without its week
        ("下周三开始试运行", "下周三", at(2, 9, month=12)),
        ("今個星期一", "今個星期一", at(23, 9)),
        # today's date is today, not next year
        ("拜访小结（11月23日）", "11月23日", at(23, 9)),
        # a date and its weekday: the year where they agree
        ("11月23日（周一）", "11月23日（周一）", at(23, 9)),
        # a day that starts something is that day
        ("1月1号开始正式用", "1月1号", at(1, 9, month=1, year=2027)),
        # a month and a day without 号, a year in Chinese numerals
        ("三月一", "三月一", at(1, 9, month=3, year=2027)),
        ("两千零四年八月十五", "两千零四年八月十五", at(15, 9, month=8, year=2004)),
        ("十月的第一个星期一", "十月的第一个星期一", at(4, 9, month=10, year=2027)),
        ("两日前", "两日前", at(21, 9)),
        # Cantonese parts of the day
        ("禮拜三下晝三點過嚟", "禮拜三下晝三點", at(25, 15)),
        ("下個禮拜五朝早十一點", "下個禮拜五朝早十一點", at(4, 11, month=12)),
        ("聽晚7點喺銅鑼灣見", "聽晚7點", at(24, 19)),
        # a day and its clock time said apart
        ("周五上午可以 九点半", "周五上午可以 九点半", at(27, 9, 30)),
        ("明天晚上 八点", "明天晚上 八点", at(24, 20)),
        # English
        ("next week Tuesday", "next week Tuesday", at(1, 9, month=12)),
        ("Friday at 11", "Friday at 11", at(27, 11)),
        ("Wednesday 2 December at 14h", "Wednesday 2 December at 14h", at(2, 14, month=12)),
        ("3:15p", "3:15p", at(23, 15, 15)),
        ("can u call me tmrw arvo", "tmrw arvo", at(24, 14)),
    ],
)
def test_second_pass_moments(text: str, said: str, moment: datetime) -> None:
    found = find_times(text, NOW)
    assert [m.text for m in found] == [said]
    assert found[0].moment() == moment


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("后三天", date(2026, 11, 24), date(2026, 11, 26)),
        ("下三周", date(2026, 11, 30), date(2026, 12, 20)),
        ("下三个月", date(2026, 12, 1), date(2027, 2, 28)),
        ("前两天", date(2026, 11, 21), date(2026, 11, 22)),
        ("二月十三到十五", date(2027, 2, 13), date(2027, 2, 15)),
        ("十二月一號至一月一號", date(2026, 12, 1), date(2027, 1, 1)),
        ("明年年中之前上线", date(2027, 6, 1), date(2027, 6, 30)),
        ("明年第二季更换", date(2027, 4, 1), date(2027, 6, 30)),
        ("明年5.1之前要完工", date(2027, 5, 1), date(2027, 5, 1)),
        ("最好年前能装好", date(2026, 11, 23), date(2027, 2, 6)),  # before the Chinese New Year
    ],
)
def test_second_pass_spans(text: str, first: date, last: date) -> None:
    found = find_times(text, NOW)
    assert len(found) == 1
    assert (found[0].first.date(), found[0].last.date()) == (first, last)


@pytest.mark.parametrize("text", ["三月一次", "上三年级", "三年前的事", "今年中秋节", "5.1万的预算"])
def test_second_pass_not_these(text: str) -> None:
    found = find_times(text, NOW)
    assert all(m.text not in ("三月一", "上三年", "年前", "年中") for m in found)
    assert not any(m.first.date() == date(2027, 5, 1) for m in found)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("周日, 十一月二十二号", date(2026, 11, 22)),  # past, but the weekday says this year's
        ("12月8号（周二）", date(2026, 12, 8)),
        ("11月23日(周一)拜访", date(2026, 11, 23)),
    ],
)
def test_a_weekday_beside_a_date_names_its_year(text: str, day: date) -> None:
    dates = [m.first.date() for m in find_times(text, NOW) if "月" in m.text]
    assert dates == [day]


def test_what_jionlp_cannot_parse_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    from nlu import jio

    with caplog.at_level("DEBUG"):
        assert jio.parse_time("两", datetime(2026, 11, 23, 10, 0)) is None
    assert not [r for r in caplog.records if "jionlp" in r.pathname]
