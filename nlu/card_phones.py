"""Phone numbers on business cards: where the card's national numbers belong, and numbers libphonenumber
cannot confirm.

A card prints its local numbers without a country code, so the card's country decides how "03-8765-4321"
is read: Tokyo on a Japanese card, not a Chinese area code. The country comes from what the card itself
shows: country codes, kana and a 〒 postcode, a US state with its ZIP code, a UK postcode, Taiwan and Hong
Kong number shapes and places. Demo and fictional cards print numbers no carrier owns (555, area code 987):
a number in a labelled field ("Tel:", "電話") that has a possible length for its country is kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher, PhoneNumberType

from nlu.phones import prepare

# "either": the country does not tell mobiles from landlines by the number (the US, Canada): the label
# decides.
CardPhoneKind = Literal["mobile", "landline", "either", "tollfree", "other"]
_KINDS: dict[int, CardPhoneKind] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "either",
    PhoneNumberType.TOLL_FREE: "tollfree",
    PhoneNumberType.SHARED_COST: "tollfree",
    PhoneNumberType.UAN: "tollfree",
}

# "+44 (0) 20 …": the national trunk 0 printed in brackets after the country code.
_TRUNK = re.compile(r"(\+\s?\d{1,3})\s*\(\s*0\s*\)\s*")
_COUNTRY_CODE = re.compile(r"(?:\+|(?<![\d])00)\s?\(?(\d{1,3})\)?[\s.-]?\(?\d")
_KANA = re.compile(r"[\u3040-\u30ff]")
_JAPAN = re.compile(
    r"〒\s?\d{3}-\d{4}|(?:東京都|北海道|大阪府|京都府|[\u4e00-\u9fff]{2,3}県)|株式会社|有限会社|携帯|携带"
)
_US = re.compile(
    r"\b(?:A[LKZR]|C[AOT]|D[EC]|FL|GA|HI|I[DLNA]|K[SY]|LA|M[EDAINSOT]|N[EVHJMYCD]|O[HKR]|PA|RI|S[CD]|"
    r"T[NX]|UT|V[TA]|W[AVIY])\s?\d{5}(?:-\d{4})?\b"
)
_NANP = re.compile(r"(?<![\d+])\(?[2-9]\d{2}\)?[\s.-]?\d{3}[\s.-]\d{4}(?!\d)")
_UK = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b")
_TAIWAN = (
    re.compile(r"(?<!\d)09\d{2}[\s-]?\d{3}[\s-]?\d{3}(?!\d)"),
    re.compile(
        r"(?:^|[:\s]|地址)(?:台北|臺北|新北|台中|臺中|台南|臺南|高雄|桃園|桃园|新竹|基隆|台灣|臺灣|台湾)",
        re.M,
    ),
)
_HONG_KONG = (re.compile(r"(?:^|[:\s]|地址)(?:香港|九龍|九龙|新界)", re.M),)
_MAINLAND = (
    re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"),
    re.compile(r"(?<![\d+])\(?0\d{2,3}\)?[\s-]+\d{3,4}[\s-]?\d{4}(?!\d)"),
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def card_region(text: str) -> str:
    """The region (ISO 3166 code) whose numbering the card's national numbers follow."""
    votes: Counter[str] = Counter()
    for match in _COUNTRY_CODE.finditer(text):
        region = phonenumbers.region_code_for_country_code(int(match.group(1)))
        if region != "ZZ":
            votes[region] += 2
    if _KANA.search(text) or _JAPAN.search(text):
        votes["JP"] += 3
    votes["TW"] += sum(len(p.findall(text)) for p in _TAIWAN)
    votes["HK"] += sum(len(p.findall(text)) for p in _HONG_KONG)
    votes["CN"] += sum(len(p.findall(text)) for p in _MAINLAND)
    if not _CJK.search(text):
        # Ten digits opening with 2-9: no Chinese number has that shape (0 or 1 opens those).
        bare = len(re.findall(r"(?<![\d+])[2-9]\d{9}(?!\d)", text))
        votes["US"] += 2 * len(_US.findall(text)) + len(_NANP.findall(text)) + bare
        votes["GB"] += 2 * len(_UK.findall(text))
    if not votes or max(votes.values()) <= 0:
        return "CN"
    return max(votes, key=lambda region: (votes[region], region == "CN"))


@dataclass(frozen=True, slots=True)
class CardPhone:
    e164: str
    kind: CardPhoneKind
    confirmed: bool  # libphonenumber knows the number range; False: only its length is possible


def find_card_phones(text: str, region: str, *, labelled: bool) -> list[CardPhone]:
    """The phone numbers in one field of a card, in order: valid ones, and (in a labelled field, or
    written with a country code) numbers of a possible length that no carrier range confirms."""
    prepared = prepare(_TRUNK.sub(r"\1 ", text))
    found: list[CardPhone] = []
    for leniency in (Leniency.VALID, Leniency.POSSIBLE):
        for match in PhoneNumberMatcher(prepared, region, leniency=leniency):
            number = match.number
            if leniency == Leniency.POSSIBLE:
                digits = re.sub(r"\D", "", match.raw_string)
                international = match.raw_string.lstrip().startswith("+")
                if not (labelled or international) or len(digits) < 7:
                    continue
            e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            if number.extension:
                e164 = f"{e164};ext={number.extension}"
            if any(phone.e164 == e164 for phone in found):
                continue
            kind = _KINDS.get(phonenumbers.number_type(number), "other")
            found.append(CardPhone(e164, kind, confirmed=leniency == Leniency.VALID))
        if found:
            break
    return found
