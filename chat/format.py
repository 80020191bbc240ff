"""Formatting values for people: money, times, phones, stages, in the member's language and timezone."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from chat.messages import t
from crm.facts import Money
from crm.model import Lang
from crm.stages import LOST, WON, Funnel

_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def money(lang: Lang, amount: int) -> str:
    """500000 -> "50万" / "¥500,000"; 150000000 -> "1.5亿"."""
    if lang is Lang.ZH:
        if amount >= 100_000_000:
            return f"{_trim(amount / 100_000_000)}亿"
        if amount >= 10_000:
            return f"{_trim(amount / 10_000)}万"
        return f"{amount}元"
    return f"¥{amount:,}"


def money_range(lang: Lang, low: int | None, high: int) -> str:
    if low is None or low == high:
        return money(lang, high)
    return f"{money(lang, low)}–{money(lang, high)}"


_CURRENCY_ZH = {
    "USD": "美元", "EUR": "欧元", "HKD": "港元", "JPY": "日元", "GBP": "英镑", "TWD": "新台币",
    "INR": "卢比", "AUD": "澳元", "CAD": "加元", "SGD": "新加坡元", "KRW": "韩元", "CHF": "瑞士法郎",
}  # fmt: skip


def budget(lang: Lang, value: Money) -> str:
    """A budget in its own currency ("12万–15万美元" / "USD 120,000–150,000"), with its CNY figure when
    it was converted at the team's rate; a CNY budget reads as before."""
    if value.currency == "CNY" and value.cny is not None:
        return money_range(lang, value.cny_min, value.cny)
    ends = [value.low, value.high] if value.low is not None and value.low != value.high else [value.high]
    if lang is Lang.ZH:
        said = "–".join(_zh_amount(v) for v in ends) + _CURRENCY_ZH.get(value.currency, value.currency)
    else:
        said = f"{value.currency} " + "–".join(_trim(float(v), thousands=True) for v in ends)
    if value.converted and value.cny is not None:
        cny = money_range(lang, value.cny_min, value.cny)
        said += f"（约{cny}，按团队汇率折算）" if lang is Lang.ZH else f" (≈ {cny} at the team's rate)"
    return said


def _zh_amount(value: Decimal) -> str:
    if value >= 100_000_000:
        return f"{_trim(float(value / 100_000_000))}亿"
    if value >= 10_000:
        return f"{_trim(float(value / 10_000))}万"
    return _trim(float(value))


def _trim(value: float, *, thousands: bool = False) -> str:
    said = f"{value:,.2f}" if thousands else f"{value:.2f}"
    return said.rstrip("0").rstrip(".")


def when(lang: Lang, moment: datetime, tz: ZoneInfo) -> str:
    """12月2日 周三 15:00 / Wed 2 Dec 15:00, in the member's timezone."""
    local = moment.astimezone(tz)
    if lang is Lang.ZH:
        return f"{local.month}月{local.day}日 {_WEEKDAYS_ZH[local.weekday()]} {local:%H:%M}"
    return f"{_WEEKDAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]} {local:%H:%M}"


def day(lang: Lang, value: date) -> str:
    if lang is Lang.ZH:
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"


def phone(e164: str) -> str:
    """+8613812345678 -> "+86 138 1234 5678"; an extension is shown after "ext."."""
    number, _, ext = e164.partition(";ext=")
    if number.startswith("+861") and len(number) == 14:
        shown = f"+86 {number[3:6]} {number[6:10]} {number[10:]}"
    elif number.startswith("+86") and len(number) >= 12:
        # Landlines: Beijing, Shanghai, Tianjin, Chongqing and Guangzhou etc. have 2-digit area codes.
        area_len = 2 if number[3] in "12" else 3
        shown = f"+86 {number[3 : 3 + area_len]} {number[3 + area_len :]}"
    elif number.startswith("+1") and len(number) == 12:
        # North America: +1 415 555 0134
        shown = f"+1 {number[2:5]} {number[5:8]} {number[8:]}"
    else:
        shown = number
    return f"{shown} ext. {ext}" if ext else shown


def stage(lang: Lang, funnel: Funnel, key: str) -> str:
    """ "② 需求锁定", "🏆 赢单" / "🏆 Won"; a key the funnel no longer has is shown as it is."""
    if key == WON:
        return t(lang, "stage.won")
    if key == LOST:
        return t(lang, "stage.lost")
    found = funnel.stage(key)
    return found.label(lang) if found else key
