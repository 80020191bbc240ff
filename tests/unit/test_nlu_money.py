"""Amounts and budgets: Chinese numerals, 万/w/k, ranges, currencies; numbers that are not money."""

from __future__ import annotations

import pytest

from nlu.money import find_amounts, find_budget


@pytest.mark.parametrize(
    ("text", "high", "low"),
    [
        ("预算50万", 500_000, None),
        ("预算100w", 1_000_000, None),
        ("预算30到50万", 500_000, 300_000),
        ("预算30万-50万", 500_000, 300_000),
        ("预算¥200,000", 200_000, None),
        ("budget around 2 million RMB", 2_000_000, None),
        ("预算1.5亿", 150_000_000, None),
        ("预算是1.5个亿", 150_000_000, None),
        ("预算五十万", 500_000, None),
        ("预算三十到五十万", 500_000, 300_000),
        ("预算五六十万", 600_000, 500_000),
        ("预算5k", 5_000, None),
        ("预算5千", 5_000, None),
        ("预算200000", 200_000, None),
        ("预算3,000,000元", 3_000_000, None),
        ("预算大概三十万左右", 300_000, None),
        ("预算100万以内", 1_000_000, None),
        ("他们预算有两百万", 2_000_000, None),
        ("预算一百二十万", 1_200_000, None),
        ("budget: 1.2M CNY", 1_200_000, None),
        ("budget between 300k and 500k", 500_000, 300_000),
        ("budget is $50k", 355_000, None),  # USD at the fixed 7.1
        ("预算从30万提到了50万", 500_000, None),  # the last amount said
    ],
)
def test_budget(text: str, high: int, low: int | None) -> None:
    budget = find_budget(text)
    assert budget is not None
    assert (budget.high, budget.low) == (high, low)


@pytest.mark.parametrize(
    "text",
    [
        "采购200台",  # a quantity
        "预算电话13812345678",  # a phone number
        "预算2026年定",  # a year
        "预算30个人",
        "预算几十万",  # too vague to store
        "预算还没定",
        "上次买了30万的设备",  # money, but not a budget
        "我们报价80万",
        "",
    ],
)
def test_not_a_budget(text: str) -> None:
    assert find_budget(text) is None


def test_a_cue_in_the_previous_clause_carries_over() -> None:
    budget = find_budget("大概50万吧", cue_before=True)
    assert budget is not None
    assert budget.high == 500_000


@pytest.mark.parametrize(("text", "count"), [("100w和¥200,000", 2), ("共200台，13812345678", 0)])
def test_amounts(text: str, count: int) -> None:
    assert len(find_amounts(text)) == count
