"""Amounts and budgets: Chinese numerals, 万/w/k, ranges, currencies; numbers that are not money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chat import format as fmt
from crm.facts import Facts, Money
from crm.model import Lang
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


@pytest.mark.parametrize(
    ("text", "value", "low"),
    [
        ("三十二万五千元", "325000", None),
        ("56，300.00元", "56300", None),  # full-width comma
        ("５６，３００．００元", "56300", None),  # full-width digits too
        ("壹万贰仟元", "12000", None),  # financial numerals
        ("肆佰叁拾萬圆整", "4300000", None),
        ("一百三十五块六角七分钱", "135.67", None),  # 元角分
        ("最多一块二", "1.2", None),
        ("2万元--6万元", "60000", "20000"),
        ("10到15万", "150000", "100000"),
        ("10-15万", "150000", "100000"),
        ("两到三万", "30000", "20000"),
        ("預算45萬", "450000", None),  # traditional
    ],
)
def test_chinese_amounts(text: str, value: str, low: str | None) -> None:
    found = find_amounts(text)
    assert len(found) == 1
    assert found[0].value == Decimal(value)
    assert found[0].low_value == (Decimal(low) if low else None)
    assert found[0].currency == "CNY"


@pytest.mark.parametrize(
    ("text", "currency", "value", "low"),
    [
        ("budget USD 120k", "USD", "120000", None),
        ("budget is US$120,000", "USD", "120000", None),
        ("预算12万美元", "USD", "120000", None),
        ("预算10万美金", "USD", "100000", None),
        ("budget EUR 45,000", "EUR", "45000", None),
        ("budget €45k", "EUR", "45000", None),
        ("预算4万欧元", "EUR", "40000", None),
        ("预算50万港币", "HKD", "500000", None),
        ("budget HK$2m", "HKD", "2000000", None),
        ("预算300万日元", "JPY", "3000000", None),
        ("budget £80k", "GBP", "80000", None),
        ("budget is INR 2 crore", "INR", "20000000", None),
        ("budget ₹15 lakh", "INR", "1500000", None),
        ("budget USD 100k to 150k", "USD", "150000", "100000"),
    ],
)
def test_foreign_budgets_keep_their_currency(text: str, currency: str, value: str, low: str | None) -> None:
    budget = find_budget(text)
    assert budget is not None
    assert (budget.currency, budget.value) == (currency, Decimal(value))
    assert budget.low_value == (Decimal(low) if low else None)
    assert (budget.high, budget.low, budget.converted) == (None, None, False)  # no CNY figure without a rate


def test_a_configured_rate_gives_a_converted_cny_figure() -> None:
    budget = find_budget("budget USD 100k to 150k", rates={"USD": Decimal("7.1")})
    assert budget is not None
    assert (budget.high, budget.low, budget.converted) == (1_065_000, 710_000, True)
    assert budget.money() == Money(
        Decimal(150000), Decimal(100000), "USD", 1_065_000, 710_000, converted=True
    )


def test_a_cny_budget_stores_the_same_number_as_before() -> None:
    budget = find_budget("预算30到50万")
    assert budget is not None
    assert budget.money() == Money(Decimal(500000), Decimal(300000), "CNY", 500_000, 300_000)


def test_the_budget_survives_the_facts_json() -> None:
    money = Money(Decimal(120000), None, "USD")
    facts = Facts(budget=money)
    assert Facts.from_json(facts.to_json()).budget == money
    assert facts.to_json()["budget"] == {
        "high": 120000, "low": None, "currency": "USD", "cny": None, "cny_min": None, "converted": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("money", "zh", "en"),
    [
        (Money(Decimal(500000), Decimal(300000), "CNY", 500_000, 300_000), "30万–50万", "¥300,000–¥500,000"),
        (Money(Decimal(150000), Decimal(100000), "USD"), "10万–15万美元", "USD 100,000–150,000"),
        (Money(Decimal(45000), None, "EUR"), "4.5万欧元", "EUR 45,000"),
        (
            Money(Decimal(100000), None, "USD", 710_000, None, converted=True),
            "10万美元（约71万，按团队汇率折算）",
            "USD 100,000 (≈ ¥710,000 at the team's rate)",
        ),
    ],
)
def test_the_lead_card_shows_a_budget_in_its_currency(money: Money, zh: str, en: str) -> None:
    assert (fmt.budget(Lang.ZH, money), fmt.budget(Lang.EN, money)) == (zh, en)


@pytest.mark.parametrize(
    ("text", "value", "low", "currency"),
    [
        # Europe's digit grouping, words and signs after the number
        ("budget approx. EUR 95.000 (net)", "95000", None, "EUR"),
        ("Our budget is around 60 000 € and", "60000", None, "EUR"),
        ("EUR 1.250.000,50", "1250000.50", None, "EUR"),
        ("Budget 2 Mio. CNY", "2000000", None, "CNY"),
        ("Budget approx. 1.5 Mio RMB", "1500000", None, "CNY"),
        ("3.5 euros", "3.5", None, "EUR"),
        # Indian numbering means rupees; a full stop ends the amount
        ("our budget is Rs.25 lakhs.", "2500000", None, "INR"),
        ("Budget will be around 8-10 lakhs", "1000000", "800000", "INR"),
        # more currencies by code and sign
        ("Our budget is around PHP 2.5M.", "2500000", None, "PHP"),
        ("RM 5,000", "5000", None, "MYR"),
        ("大概一百萬港紙上下", "1000000", None, "HKD"),
        # two neighbouring digits are a range; decimals jionlp would round are kept
        ("預算唔多，五六萬左右", "60000", "50000", "CNY"),
        ("兑换１．０７５３美元", "1.0753", None, "USD"),
    ],
)
def test_second_pass_amounts(text: str, value: str, low: str | None, currency: str) -> None:
    amounts = find_amounts(text)
    assert len(amounts) == 1
    assert amounts[0].value == Decimal(value)
    assert amounts[0].low_value == (Decimal(low) if low else None)
    assert amounts[0].currency == currency


@pytest.mark.parametrize("text", ["team of 2 000 people", "二三十个人"])
def test_second_pass_not_amounts(text: str) -> None:
    assert find_amounts(text) == []
