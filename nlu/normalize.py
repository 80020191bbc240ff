"""Normalised keys for dedup and parsing of values typed by members (crm.ports.Normalizer).

Company names are compared without their legal form and without a leading province or city, using
jionlp's dictionary of Chinese administrative divisions for the place names.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from nlu import jio, sounds
from nlu.money import find_amounts
from nlu.phones import normalize_phone

# Longest first, so that 股份有限公司 goes before 有限公司 and 公司.
_LEGAL_FORMS_ZH = sorted(
    [
        "集团股份有限公司",
        "集团有限公司",
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "分公司",
        "总公司",
        "集团",
        "公司",
    ],
    key=len,
    reverse=True,
)
_LEGAL_FORMS_EN = re.compile(
    r"\b(?:co\.?,?\s*ltd\.?|company\s+limited|limited|ltd\.?|inc\.?|incorporated|llc|l\.l\.c\.|corp\.?|"
    r"corporation|gmbh|group|plc|holdings?|co\.?)(?=\W|$)",
    re.IGNORECASE,
)
# A remainder that is only an industry word keeps its city: 上海银行 and 北京银行 are different banks.
_GENERIC = frozenset(
    {
        "银行",
        "电信",
        "移动",
        "联通",
        "航空",
        "地铁",
        "大学",
        "医院",
        "电视台",
        "日报",
        "晚报",
        "证券",
        "保险",
        "农商行",
        "商业银行",
        "农村商业银行",
        "燃气",
        "水务",
        "电力",
        "公交",
        "机场",
        "港务",
        "建工",
        "城建",
        "交通",
        "广电",
        "供电",
        "自来水",
        "人民医院",
        "师范大学",
    }
)
_BRACKETS = re.compile(r"[（(【\[]([^）)】\]]{1,12})[）)】\]]")
# "Xinyi Glass (Tianjin)", "Tulip Fresh Logistics (Rotterdam)": a town in brackets after a Latin name.
_LATIN_PLACE_BRACKET = re.compile(r"(?<=[a-z])\s*\([a-z]+(?:\s[a-z]+)?\)\s*$")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_HONORIFICS_ZH = ("先生", "女士", "小姐")
_HONORIFICS_EN = re.compile(r"^(?:mr|mrs|ms|miss|dr|prof)\.?\s+", re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def _place_names() -> frozenset[str]:
    """Province and city names with their short forms (广东省, 广东, 深圳市, 深圳)."""
    locations = jio.china_location()
    names: set[str] = {"中国"}
    for province, cities in locations.items():
        names.add(province)
        names.update(_aliases(cities.get("_alias")))
        for city, detail in cities.items():
            if city.startswith("_"):
                continue
            names.add(city)
            if isinstance(detail, dict):
                names.update(_aliases(detail.get("_alias")))
    return frozenset(n for n in names if len(n) >= 2)


@functools.cache
def _longest_place() -> int:
    return max(len(name) for name in _place_names())


def _leading_place(text: str) -> str | None:
    """The longest province or city name `text` starts with: a set probe per length, not a scan."""
    places = _place_names()
    for length in range(min(_longest_place(), len(text)), 1, -1):
        if text[:length] in places:
            return text[:length]
    return None


def _aliases(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class Normalizer:
    """crm.ports.Normalizer over phonenumbers, jionlp's place names and nlu's money parser."""

    def company_key(self, name: str) -> str:
        return _company_key(name)

    def person_key(self, name: str) -> str:
        return _person_key(name)

    def phone(self, raw: str) -> str | None:
        return normalize_phone(raw)

    def money(self, raw: str) -> int | None:
        amounts = find_amounts(raw, bare=True)
        return amounts[0].high if len(amounts) == 1 else None

    def sounds(self, text: str) -> tuple[frozenset[str], ...]:
        return sounds.sounds(text)


# Keys are computed for every capture and every candidate; names repeat a lot, so cache them.
@functools.lru_cache(maxsize=65_536)
def _company_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).lower().strip()
    places = _place_names()
    # "华为技术（深圳）有限公司": a bracketed place is a branch location, not part of the name.
    text = _BRACKETS.sub(lambda m: "" if m.group(1) in places else m.group(0), text)
    text = _LATIN_PLACE_BRACKET.sub("", text)
    text = _LEGAL_FORMS_EN.sub(" ", text)
    text = _NOT_WORD.sub("", text)
    for form in _LEGAL_FORMS_ZH:
        if text.endswith(form) and len(text) > len(form):
            text = text[: -len(form)]
            break
    while (place := _leading_place(text)) is not None:
        rest = text[len(place) :]
        if len(rest) < 2 or rest in _GENERIC:
            break
        text = rest
    return text


@functools.lru_cache(maxsize=65_536)
def _person_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).strip().lower()
    text = _HONORIFICS_EN.sub("", text)
    for honorific in _HONORIFICS_ZH:
        if text.endswith(honorific) and len(text) > len(honorific):
            text = text[: -len(honorific)]
    if _CJK.search(text):
        return _NOT_WORD.sub("", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())
