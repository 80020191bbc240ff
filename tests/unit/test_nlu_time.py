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
