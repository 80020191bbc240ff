"""Amounts of money in Chinese and English ("预算30到50万", "100w", "¥200,000", "USD 120k", "INR 2 crore").

Chinese amounts are read by jionlp's money extractor (Chinese and financial numerals, 元角分, full-width
digits, ranges, thirty-odd currencies); what it leaves out (k/w/万 without a currency word, English
amounts, currency symbols, lakh/crore) is read here. Every amount keeps its currency; a CNY figure
exists only for CNY, or for another currency when the caller passes the team's exchange rates, and is
then marked as converted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from crm.facts import Money
from nlu import jio
from nlu.resources import simplified

Rates = Mapping[str, Decimal]

_CN_NUM = "零〇一二两兩三四五六七八九十百千壹贰貳叁參肆伍陆陸柒捌玖拾佰仟"
# Digits grouped by spaces ("60 000 €") or by dots with a decimal comma ("1.250.000,50", Europe's way),
# then the English way ("1,250,000.50").
_NUMBER = (
    rf"(?:\d{{1,3}}(?:[ \u00a0\u202f]\d{{3}})+(?![\d.,])|\d{{1,3}}(?:\.\d{{3}})+,\d{{1,2}}(?!\d)|"
    rf"\d[\d,]*(?:\.\d+)?|[{_CN_NUM}]+(?:点[{_CN_NUM}]+)?)"
)
_MULT = (
    r"(?:百万|千万|万|萬|亿|億|千|[wWkK](?![a-zA-Z])|million|mn|m(?![a-zA-Z])|M(?![a-zA-Z])|thousand|"
    r"billion|bn|lakhs?|lacs?|crores?|cr(?![a-zA-Z])|Mio\.?|Mrd\.?)"
)
# Currencies whose writers group thousands with a dot: "EUR 95.000" is ninety-five thousand.
_DOT_GROUPED = frozenset(("EUR", "CHF", "BRL", "IDR", "VND", "RUB", "TRY", "DKK", "NOK", "SEK", "PLN"))
# Indian numbering: an amount in lakh or crore without a currency is in rupees.
_INDIAN_MULT = re.compile(r"^(?:lakhs?|lacs?|crores?|cr)$", re.IGNORECASE)
# Symbols and codes written before the number, and words written after it, by currency.
_PREFIXES = {
    "US$": "USD", "USD": "USD", "$": "USD", "美元": "USD", "美金": "USD",
    "HK$": "HKD", "HKD": "HKD", "港币": "HKD", "港幣": "HKD", "港元": "HKD",
    "NT$": "TWD", "TWD": "TWD", "新台币": "TWD", "新台幣": "TWD",
    "S$": "SGD", "SGD": "SGD", "A$": "AUD", "AUD": "AUD", "C$": "CAD", "CAD": "CAD",
    "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP", "₹": "INR", "INR": "INR", "Rs.": "INR", "Rs": "INR",
    "JPY": "JPY", "₩": "KRW", "KRW": "KRW", "CHF": "CHF", "PHP": "PHP", "₱": "PHP", "MYR": "MYR",
    "RM": "MYR", "IDR": "IDR", "Rp": "IDR", "VND": "VND", "THB": "THB", "฿": "THB", "AED": "AED",
    "SAR": "SAR", "NZD": "NZD", "ZAR": "ZAR", "RUB": "RUB", "₽": "RUB", "BRL": "BRL", "R$": "BRL",
    "MXN": "MXN", "TRY": "TRY", "₺": "TRY", "PLN": "PLN", "SEK": "SEK", "NOK": "NOK", "DKK": "DKK",
    "KES": "KES", "NGN": "NGN", "₦": "NGN",
    "¥": "CNY", "￥": "CNY", "RMB": "CNY", "CNY": "CNY", "人民币": "CNY", "人民幣": "CNY",
}  # fmt: skip
_SUFFIXES = {
    "美元": "USD", "美金": "USD", "USD": "USD", "usd": "USD", "dollars": "USD", "dollar": "USD",
    "bucks": "USD",
    "港币": "HKD", "港幣": "HKD", "港元": "HKD", "HKD": "HKD", "蚊": "HKD",
    "新台币": "TWD", "新台幣": "TWD", "台币": "TWD", "台幣": "TWD", "TWD": "TWD",
    "欧元": "EUR", "歐元": "EUR", "EUR": "EUR", "euros": "EUR", "euro": "EUR",
    "英镑": "GBP", "英鎊": "GBP", "GBP": "GBP", "pounds": "GBP", "€": "EUR", "£": "GBP",
    "港纸": "HKD", "港紙": "HKD", "PHP": "PHP", "pesos": "PHP", "MYR": "MYR", "ringgit": "MYR",
    "IDR": "IDR", "rupiah": "IDR", "VND": "VND", "THB": "THB", "baht": "THB", "AED": "AED",
    "dirhams": "AED", "SAR": "SAR", "riyals": "SAR", "NZD": "NZD", "ZAR": "ZAR", "RUB": "RUB",
    "rubles": "RUB", "roubles": "RUB", "BRL": "BRL", "reais": "BRL", "MXN": "MXN", "TRY": "TRY",
    "PLN": "PLN", "zloty": "PLN", "SEK": "SEK", "NOK": "NOK", "DKK": "DKK", "KES": "KES", "NGN": "NGN",
    "naira": "NGN",
    "日元": "JPY", "日圆": "JPY", "日圓": "JPY", "円": "JPY", "JPY": "JPY", "yen": "JPY",
    "韩元": "KRW", "韓元": "KRW", "KRW": "KRW", "澳元": "AUD", "澳币": "AUD", "AUD": "AUD",
    "加元": "CAD", "CAD": "CAD", "新加坡元": "SGD", "新币": "SGD", "SGD": "SGD",
    "卢比": "INR", "盧比": "INR", "INR": "INR", "rupees": "INR", "瑞士法郎": "CHF", "CHF": "CHF",
    "泰铢": "THB", "泰銖": "THB", "卢布": "RUB", "盧布": "RUB", "澳门元": "MOP", "澳門元": "MOP",
    "元": "CNY", "圆": "CNY", "圓": "CNY", "块钱": "CNY", "块": "CNY", "塊錢": "CNY", "塊": "CNY",
    "人民币": "CNY", "人民幣": "CNY", "rmb": "CNY", "RMB": "CNY", "CNY": "CNY", "cny": "CNY", "yuan": "CNY",
}  # fmt: skip
# jionlp names the currency in Chinese ("case"); its plain 元 is the yuan.
_JIO_CASES = {
    "元": "CNY", "港元": "HKD", "美元": "USD", "日元": "JPY", "新台币": "TWD", "欧元": "EUR", "英镑": "GBP",
    "澳元": "AUD", "加元": "CAD", "韩元": "KRW", "泰铢": "THB", "卢布": "RUB", "新加坡元": "SGD",
    "瑞士法郎": "CHF", "卢比": "INR", "澳门元": "MOP",
}  # fmt: skip


def _alternation(words: Mapping[str, str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_PREFIX = rf"(?P<pre>{_alternation(_PREFIXES)})"
_SUFFIX = rf"(?P<cur>{_alternation(_SUFFIXES)})"
_AMOUNT = re.compile(
    rf"(?<![A-Za-z0-9_.几幾数數]){_PREFIX}?\s*"
    rf"(?:(?P<low>{_NUMBER})\s*(?P<low_mult>{_MULT})?\s*(?P<low_cur>{_alternation(_SUFFIXES)})?\s*"
    rf"(?:到|至|-{{1,2}}|~|—{{1,2}}|–|\bto\b|\band\b)\s*(?P<pre2>{_alternation(_PREFIXES)})?\s*)?"
    rf"(?P<high>{_NUMBER})\s*(?P<approx>多|来|余|几|幾)?\s*[个個]?(?P<mult>{_MULT})?\s*{_SUFFIX}?"
    # Not a count ("200台", "30个人"), a date ("2026年") or a percentage; a full stop may end it.
    r"(?![A-Za-z0-9_%台个人套件条户次家天年月日号位名张周亩吨斤]|平米|平方|\.\d)"
)
# "五六十万" (fifty or sixty thousand) is a range; jionlp misreads its lower end.
_ADJACENT_DIGITS = re.compile(r"^([一二两三四五六七八九])([一二两三四五六七八九])(十|百|千)?$")
# The lower end of a range that jionlp's extractor leaves before the amount it found ("两到三万港元").
_RANGE_BEFORE = re.compile(
    rf"(?:从|從)?(?P<low>{_NUMBER})\s*(?P<mult>{_MULT})?\s*(?:到|至|-{{1,2}}|~|—{{1,2}}|–)\s*$"
)
# "一块二" is 1.2 and "三块零四" 3.04: jionlp stops at 块; the digits after it are 角 (毛) and 分.
_JIAO_FEN = re.compile(
    r"(?P<zero>零)?(?P<jiao>[一二两三四五六七八九])(?:毛|角|毫)?(?P<fen>[一二两三四五六七八九])?(?:分)?(?![十百千万亿\d])"
)
# "2角", "两毛五", "两毫": an amount under one yuan.
_JIAO_ONLY = re.compile(
    r"(?<![\d一二两三四五六七八九十百千万块元])(?P<jiao>\d|[一二两三四五六七八九])(?:角|毛|毫)(?P<fen>\d|[一二两三四五六七八九])?(?:分)?"
)
# Two amounts joined by a range word are one range ("五块六到五块七毛八", "USD 100k to 150k").
_RANGE_JOIN = re.compile(r"\s*(?:到|至|-{1,2}|~|—{1,2}|–|to)\s*$")
_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SAID_MULT = re.compile(r"[万萬亿億千仟百佰wWkK]")

_MULTIPLIERS = {
    "": 1, "千": 1000, "k": 1000, "thousand": 1000, "万": 10_000, "萬": 10_000, "w": 10_000,
    "mio": 1_000_000, "mio.": 1_000_000, "mrd": 1_000_000_000, "mrd.": 1_000_000_000,
    "百万": 1_000_000, "million": 1_000_000, "mn": 1_000_000, "m": 1_000_000, "千万": 10_000_000,
    "亿": 100_000_000, "億": 100_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000,
    "lakh": 100_000, "lakhs": 100_000, "lac": 100_000, "lacs": 100_000,
    "crore": 10_000_000, "crores": 10_000_000, "cr": 10_000_000,
}  # fmt: skip
_CHINESE_MULT = {"千": 1000, "仟": 1000, "百": 100, "佰": 100, "万": 10_000, "萬": 10_000, "w": 10_000,
                 "W": 10_000, "k": 1000, "K": 1000, "亿": 100_000_000, "億": 100_000_000}  # fmt: skip

_BUDGET_CUE = re.compile(
    r"预算|預算|经费|經費|资金|資金|投入|拨款|撥款|盘子|控制在|能接受|批了|批下来|打算花|准备花|準備花|愿意花|能花|"
    r"最多(?:能)?(?:出|给|花)|上限|预估|估算|\bbudget|\bspend|\bafford|\ballocat|willing\s+to\s+pay|price\s+range|"
    r"estimated\s+cost|cost\s+estimate",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Amount:
    """An amount as said: `value` (the upper end of a range) and `low_value` in `currency` (ISO 4217).

    `high` and `low` are the CNY figures: the amount itself for CNY, the amount at the caller's rate
    for another currency (`converted`), None when no rate was given.
    """

    start: int
    end: int
    value: Decimal
    low_value: Decimal | None = None
    currency: str = "CNY"
    cny: Decimal | None = None
    cny_low: Decimal | None = None
    converted: bool = False

    @property
    def high(self) -> int | None:
        return int(self.cny) if self.cny is not None else None

    @property
    def low(self) -> int | None:
        return int(self.cny_low) if self.cny_low is not None else None

    def money(self) -> Money:
        """The amount as the budget value stored with the facts."""
        return Money(
            high=self.value,
            low=self.low_value,
            currency=self.currency,
            cny=self.high,
            cny_min=self.low,
            converted=self.converted,
        )


def find_amounts(text: str, *, bare: bool = False, rates: Rates | None = None) -> list[Amount]:
    """Amounts of money: numbers with a currency or a multiplier (万, k, million); not counts or phones.

    With `bare`, plain numbers of 4 to 8 digits count too ("预算200000"). `rates` maps a currency code to
    its value in CNY ("USD" -> 7.1), as the team configured it.
    """
    # Full-width digits and punctuation ("５６，３００．００元") read as ASCII; one character stays one.
    normal = "".join(ch if len(n := unicodedata.normalize("NFKC", ch)) != 1 else n for ch in simplified(text))
    found = _jionlp_amounts(normal)
    for m in _JIAO_ONLY.finditer(normal):
        if any(m.start() < other.end and other.start < m.end() for other in found):
            continue
        value = Decimal(_digit(m["jiao"])) / 10 + Decimal(_digit(m["fen"] or "0")) / 100
        found.append(Amount(m.start(), m.end(), value, None, "HKD" if "毫" in m[0] else "CNY"))
    for amount in _own_amounts(normal, bare=bare):
        if all(amount.end <= other.start or other.end <= amount.start for other in found):
            found.append(amount)
        elif any(
            amount.start <= other.start
            and other.end <= amount.end
            and (amount.end - amount.start) > (other.end - other.start)
            for other in found
        ):
            found = [o for o in found if not (amount.start <= o.start and o.end <= amount.end)] + [amount]
    found = [_with_tail(amount, normal) for amount in sorted(found, key=lambda a: a.start)]
    return [_in_cny(amount, rates) for amount in _joined(found, normal)]


def _with_tail(amount: Amount, text: str) -> Amount:
    if amount.low_value is not None or not re.search(r"[块蚊元]$", text[amount.start : amount.end]):
        return amount
    tail = _JIAO_FEN.match(text, amount.end)
    if tail is None or amount.value != amount.value.to_integral_value():
        return amount
    step = Decimal("0.01") if tail["zero"] else Decimal("0.1")
    value = (
        amount.value
        + _digit(tail["jiao"]) * step
        + (_digit(tail["fen"]) * Decimal("0.01") if tail["fen"] else 0)
    )
    return Amount(amount.start, tail.end(), value, None, amount.currency)


def _joined(amounts: list[Amount], text: str) -> list[Amount]:
    """Amounts in one currency with only a range word between them, as one range."""
    joined: list[Amount] = []
    for amount in amounts:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and previous.low_value is None
            and amount.low_value is None
            and previous.currency == amount.currency
            and previous.value < amount.value
            and _RANGE_JOIN.fullmatch(text, previous.end, amount.start)
        ):
            joined[-1] = Amount(previous.start, amount.end, amount.value, previous.value, amount.currency)
        else:
            joined.append(amount)
    return joined


def _digit(said: str) -> int:
    return int(said) if said.isdigit() else _DIGIT[said]


def find_budget(text: str, *, cue_before: bool = False, rates: Rates | None = None) -> Amount | None:
    """The last amount in a clause that talks about a budget (or follows one that did: `cue_before`)."""
    if not (cue_before or _BUDGET_CUE.search(text)):
        return None
    amounts = [a for a in find_amounts(text, bare=True, rates=rates) if not _vague(text[a.start : a.end])]
    return amounts[-1] if amounts else None


def has_budget_cue(text: str) -> bool:
    return bool(_BUDGET_CUE.search(text))


def _vague(said: str) -> bool:
    """ "几十万" / "数百万": too vague to store as a budget."""
    return bool(re.match(r"[约大近]*[几幾数數]", said))


def _in_cny(amount: Amount, rates: Rates | None) -> Amount:
    if amount.currency == "CNY":
        return Amount(
            amount.start, amount.end, amount.value, amount.low_value, "CNY", amount.value, amount.low_value
        )
    rate = (rates or {}).get(amount.currency)
    if rate is None:
        return amount
    low = amount.low_value * rate if amount.low_value is not None else None
    return Amount(
        amount.start,
        amount.end,
        amount.value,
        amount.low_value,
        amount.currency,
        amount.value * rate,
        low,
        True,
    )


def _jionlp_amounts(text: str) -> list[Amount]:
    found: list[Amount] = []
    for item in jio.extract_money(text):
        start, end = item["offset"]
        detail = item["detail"]
        currency = _JIO_CASES.get(detail["case"])
        said = text[start:end]
        if currency is None or re.search(r"[A-Za-z$€£₹¥]|\d\.\d{3}", said):
            # English and symbol forms are read below, with their multipliers; so are numbers with
            # more decimals than jionlp keeps ("1.0753美元") or grouped by dots.
            continue
        num = detail["num"]
        if isinstance(num, list):
            low, high = _decimal(num[0]), _decimal(num[1])
        else:
            low, high = None, _decimal(num)
        if high is None or high <= 0:
            continue
        if currency == "CNY" and re.search(r"蚊", said):
            currency = "HKD"
        before = _RANGE_BEFORE.search(text, 0, start)
        if low is None and before:
            low = _range_low(before["low"], before["mult"], said, high)
            if low is not None:
                start = before.start()
        found.append(Amount(start, end, high, low, currency))
    return found


def _range_low(number: str, mult: str | None, high_said: str, high: Decimal) -> Decimal | None:
    """The lower end of "两到三万" / "8500到3万": with the upper end's multiplier when it fits under it."""
    low = _number(number)
    if low is None:
        return None
    if mult:
        low *= _MULTIPLIERS.get(mult.lower(), _CHINESE_MULT.get(mult, 1))
        return low if low < high else None
    multipliers = _SAID_MULT.findall(high_said)
    factor = _CHINESE_MULT.get(multipliers[-1]) if multipliers else None
    if factor and low * factor < high:
        return low * factor
    return low if low < high else None


def _own_amounts(text: str, *, bare: bool) -> list[Amount]:
    found: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        said_currency = m["pre"] or m["pre2"] or m["cur"] or m["low_cur"]
        mult = m["mult"] or m["low_mult"]
        if not said_currency and not mult and not (bare and _plain_sum(m["high"])):
            continue
        currency = _currency(m["pre"] or m["pre2"], m["cur"] or m["low_cur"])
        if not said_currency and mult and _INDIAN_MULT.match(mult):
            currency = "INR"
        high = _value(_grouped(m["high"], currency), m["mult"] or "")
        low = _value(_grouped(m["low"], currency), m["low_mult"] or m["mult"] or "") if m["low"] else None
        if high is None:
            continue
        adjacent = _ADJACENT_DIGITS.match(m["high"])
        if adjacent and low is None:
            low = _value(adjacent[1] + (adjacent[3] or ""), m["mult"] or "")
        if m["approx"] in ("几", "幾"):
            # "十几万" / "二十几万": somewhere in the next ten units.
            if not m["high"].endswith("十") or low is not None:
                continue
            step = _value("十", m["mult"] or "") or Decimal(0)
            low, high = high, high + step
        if low is not None and low > high:
            low = None
        found.append(Amount(m.start(), m.end(), high, low, currency))
    return found


def _grouped(number: str, currency: str) -> str:
    """The number with its grouping taken out: "60 000" -> "60000", "1.250.000,50" -> "1250000.50",
    and "95.000" -> "95000" in a currency whose writers group thousands with a dot."""
    number = re.sub(r"[ \u00a0\u202f]", "", number)
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d{1,2}", number):
        return number.replace(".", "").replace(",", ".")
    if currency in _DOT_GROUPED and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
        return number.replace(".", "")
    return number


def _currency(prefix: str | None, suffix: str | None) -> str:
    if suffix and suffix in _SUFFIXES and _SUFFIXES[suffix] != "CNY":
        return _SUFFIXES[suffix]
    if prefix:
        return _PREFIXES[prefix]
    return _SUFFIXES.get(suffix or "", "CNY")


def _plain_sum(number: str) -> bool:
    """A number without currency or multiplier that still reads as a sum: 4-8 digits or 千/百 in words;
    not a year ("by Q2 2027")."""
    if re.fullmatch(r"(?:19|20)\d{2}", number):
        return False
    return bool(re.fullmatch(r"\d{4,8}|\d{1,3}(?:,\d{3})+|[^\d]*[千百][^\d]*", number))


def _decimal(said: str) -> Decimal | None:
    try:
        return Decimal(said)
    except InvalidOperation:
        return None


def _number(number: str) -> Decimal | None:
    """A number in digits or Chinese numerals ("三十二万五千", "壹万贰仟", "1.5")."""
    if re.search(f"[{_CN_NUM}万萬亿億]", number):
        parsed = jio.parse_money(number.replace("点", ".") if number[0].isdigit() else number)
        if parsed is None or isinstance(parsed["num"], list):
            return None
        return _decimal(parsed["num"])
    return _decimal(number.replace(",", ""))


def _value(number: str, mult: str) -> Decimal | None:
    factor = _MULTIPLIERS.get(mult.lower(), 1)
    adjacent = _ADJACENT_DIGITS.match(number)
    if adjacent:
        number = adjacent[2] + (adjacent[3] or "")
    amount = _number(number)
    if amount is None:
        return None
    amount *= factor
    return amount if amount > 0 else None
