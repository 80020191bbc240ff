"""Amounts of money in Chinese and English ("预算30到50万", "100w", "¥200,000", "$2 million") and budgets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from nlu import jio

# Budgets are stored in CNY. A fixed rate keeps extraction a pure function of the text; a budget in
# dollars only ranks a lead, so being a few percent off does not matter.
USD_TO_CNY = Decimal("7.1")

_CN_NUM = "零〇一二两三四五六七八九十百千"
_NUMBER = rf"(?:\d[\d,]*(?:\.\d+)?|[{_CN_NUM}]+(?:点[{_CN_NUM}]+)?)"
_MULT = (
    r"(?:百万|千万|万|亿|千|[wWkK](?![a-zA-Z])|million|mn|m(?![a-zA-Z])|M(?![a-zA-Z])|thousand|billion|bn)"
)
_PREFIX = r"(?P<pre>US\$|[¥$]|RMB|CNY|USD|人民币)"
_SUFFIX = r"(?P<cur>元|块钱|块|人民币|rmb|RMB|CNY|cny|美元|美金|USD|usd|dollars?|yuan|bucks)"
_AMOUNT = re.compile(
    rf"(?<![A-Za-z0-9_.几]){_PREFIX}?\s*"
    rf"(?:(?P<low>{_NUMBER})\s*(?P<low_mult>{_MULT})?\s*(?:到|至|-|~|—|–|\bto\b|\band\b)\s*(?P<pre2>US\$|[¥$])?\s*)?"
    rf"(?P<high>{_NUMBER})\s*(?P<approx>多|来|余|几)?\s*个?(?P<mult>{_MULT})?\s*{_SUFFIX}?"
    # Not a count ("200台", "30个人"), a date ("2026年") or a percentage.
    r"(?![A-Za-z0-9_%.台个人套件条户次家天年月日号位名张周])"
)
# "五六十万" (fifty or sixty thousand) is a range; jionlp misreads its lower end.
_ADJACENT_DIGITS = re.compile(r"^([一二两三四五六七八九])([一二两三四五六七八九])(十|百|千)$")

_MULTIPLIERS = {
    "": 1, "千": 1000, "k": 1000, "thousand": 1000, "万": 10_000, "w": 10_000, "百万": 1_000_000,
    "million": 1_000_000, "mn": 1_000_000, "m": 1_000_000, "千万": 10_000_000, "亿": 100_000_000,
    "billion": 1_000_000_000, "bn": 1_000_000_000,
}  # fmt: skip

_BUDGET_CUE = re.compile(
    r"预算|经费|资金|投入|拨款|盘子|控制在|能接受|批了|批下来|打算花|准备花|愿意花|能花|最多(?:能)?(?:出|给|花)|上限|"
    r"\bbudget|\bspend|\bafford|\ballocat|willing\s+to\s+pay|price\s+range",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount in CNY; `low` is the lower end of a range ("30到50万")."""

    start: int
    end: int
    high: int
    low: int | None = None


def find_amounts(text: str, *, bare: bool = False) -> list[Amount]:
    """Amounts of money: numbers with a currency or a multiplier (万, k, million); not counts or phones.

    With `bare`, plain numbers of 4 to 8 digits count too ("预算200000").
    """
    found: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        currency = m["pre"] or m["pre2"] or m["cur"]
        mult = m["mult"] or m["low_mult"]
        if not currency and not mult and not (bare and _plain_sum(m["high"])):
            continue
        usd = bool(currency) and currency.lower().strip("s") in {
            "$",
            "us$",
            "usd",
            "美元",
            "美金",
            "dollar",
            "buck",
        }
        high = _value(m["high"], m["mult"] or "", usd)
        low = _value(m["low"], m["low_mult"] or m["mult"] or "", usd) if m["low"] else None
        if high is None:
            continue
        adjacent = _ADJACENT_DIGITS.match(m["high"])
        if adjacent and low is None:
            low = _value(adjacent[1] + adjacent[3], m["mult"] or "", usd)
        if m["approx"] == "几":
            # "十几万" / "二十几万": somewhere in the next ten units.
            if not m["high"].endswith("十") or low is not None:
                continue
            step = _value("十", m["mult"] or "", usd) or 0
            low, high = high, high + step
        if low is not None and low > high:
            low = None
        found.append(Amount(m.start(), m.end(), high, low))
    return found


def find_budget(text: str, *, cue_before: bool = False) -> Amount | None:
    """The last amount in a clause that talks about a budget (or follows one that did: `cue_before`)."""
    if not (cue_before or _BUDGET_CUE.search(text)):
        return None
    amounts = find_amounts(text, bare=True)
    return amounts[-1] if amounts else None


def has_budget_cue(text: str) -> bool:
    return bool(_BUDGET_CUE.search(text))


def _plain_sum(number: str) -> bool:
    """A number without currency or multiplier that still reads as a sum: 4-8 digits or 千/百 in words."""
    return bool(re.fullmatch(r"\d{4,8}|\d{1,3}(?:,\d{3})+|[^\d]*[千百][^\d]*", number))


def _value(number: str, mult: str, usd: bool) -> int | None:
    factor = _MULTIPLIERS.get(mult.lower(), 1)
    if re.search(f"[{_CN_NUM}]", number):
        adjacent = _ADJACENT_DIGITS.match(number)
        if adjacent:
            number = adjacent[2] + adjacent[3]
        parsed = jio.parse_money(number.replace("点", ".") if number[0].isdigit() else number)
        if parsed is None or isinstance(parsed["num"], list):
            return None
        amount = Decimal(parsed["num"])
    else:
        try:
            amount = Decimal(number.replace(",", ""))
        except InvalidOperation:
            return None
    amount *= factor
    if usd:
        amount *= USD_TO_CNY
    return int(amount) if amount > 0 else None
