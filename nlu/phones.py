"""Phone numbers in free text, normalised to E.164 with Google's libphonenumber (the phonenumbers package).

Chinese writing habits libphonenumber does not know are rewritten first: an extension after 转 / 分机 /
分機 / # / a trailing "-123" on a landline, full-width digits, and 86 without a plus.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher, PhoneNumberType

PhoneKind = Literal["mobile", "landline", "tollfree", "other"]

DEFAULT_REGION = "CN"

# "021-58881234转8001", "0755 8888 6666 分机 12", "020-87654321-123": the extension forms Chinese
# cards and signatures use, which libphonenumber only understands as "ext. N".
_EXTENSION = re.compile(
    r"(?P<number>(?:(?:\+?86[\s-]?)\(?0?[1-9]\d{1,2}\)?|\(?0[1-9]\d{1,2}\)?)[\s-]?\d{3,4}[\s-]?\d{4})"
    r"\s*(?:转|分机|ext\.?|x|-)\s*(?P<ext>\d{1,5})(?!\d)",
    re.IGNORECASE,
)
# Any number followed by an extension word: Taiwan's "07-536-1234 分機 218", "04-2359-1234 #615",
# "+1 212 555 0100 extension 12", "內線 305".
_EXTENSION_WORD = re.compile(
    r"(?P<number>(?<![\w+])(?:\+\d{1,3}[\s-]?)?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){1,3}\d)"
    r"\s*[,，]?\s*(?:转|轉|分机|分機|内线|內線|ext\.?|extension|x|#)\s*[:：]?\s*(?P<ext>\d{1,5})(?!\d)",
    re.IGNORECASE,
)
# "86 138 1234 5678" / "0086-10-..." written without the plus: 86 followed by a whole Chinese number,
# so that the 86 opening a local number ("(02) 8614-3645" in Taipei) is left alone.
_BARE_COUNTRY = re.compile(
    r"(?<![\d+])(?:00)?86(?=[\s-]?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|\(?0?[1-9]\d{1,2}\)?[\s-]?\d{3,4}[\s-]?\d{4})(?!\d))"
)

# A number written in its own country's national format ("020 7946 0958") is read in that country
# when the text says where: another number with its country code, or the country or a big city.
_COUNTRY_CODE = re.compile(r"(?<![\w+])(?:\+|00)(?P<cc>[1-9]\d{0,2})[\s-]?\(?\d")
_COUNTRY_WORDS = (
    (
        "GB",
        re.compile(r"\b(?:UK|U\.K\.|United Kingdom|England|Britain|London|Manchester)\b|英国|英國|伦敦|倫敦"),
    ),
    (
        "US",
        re.compile(
            r"\b(?:USA|U\.S\.A?\.|United States|New York|California|San Francisco|Seattle)\b"
            r"|美国|美國|纽约|紐約"
        ),
    ),
    ("HK", re.compile(r"\bHong Kong\b|香港")),
    ("TW", re.compile(r"\bTaiwan\b|\bTaipei\b|台湾|臺灣|台灣|台北|臺北")),
    ("SG", re.compile(r"\bSingapore\b|新加坡")),
    ("JP", re.compile(r"\bJapan\b|\bTokyo\b|\bOsaka\b|日本|东京|東京|大阪")),
    ("DE", re.compile(r"\bGermany\b|\bDeutschland\b|\bBerlin\b|\bMunich\b|德国|德國|柏林|慕尼黑")),
    ("IN", re.compile(r"\bIndia\b|\bMumbai\b|\bBangalore\b|\bDelhi\b|印度|孟买")),
)
# Regions whose numbers a Chinese sales team meets, for a labelled number that is valid in none of
# the regions the text points at ("我的电话号是(21) 996205563").
_PARTNER_REGIONS = (
    "HK", "TW", "MO", "SG", "MY", "TH", "VN", "ID", "PH", "JP", "KR", "IN", "AE", "US", "CA", "GB", "DE",
    "FR", "IT", "ES", "NL", "RU", "BR", "AU", "NZ",
)  # fmt: skip
# A label that says the number after it is a phone number.
_PHONE_LABEL = re.compile(
    r"(?:电话|電話|手机|手機|手提|号码|號碼|联系方式|聯絡方式|座机|座機|\b(?:phone|tel|mobile|mob|cell|hp|ph|"
    r"whatsapp|contact(?:\s+no)?|call(?:\s+me)?(?:\s+(?:at|on))?|number|no)\b)[^\d+()\n]{0,8}$",
    re.IGNORECASE,
)
_NUMBER_SHAPE = re.compile(r"(?<![A-Za-z0-9_+])\(?\s?\d[\d\s().-]{5,18}\d(?![A-Za-z0-9_])")
# A mobile number read out and transcribed in Chinese numerals ("一三八六七七八九零一二").
_SPOKEN_DIGITS = re.compile(r"[零〇一二三四五六七八九幺]{7,15}")
_SPOKEN_VALUE = str.maketrans("零〇一二三四五六七八九幺", "001234567891")
# North American numbers have a shape of their own: (541) 754-3010, 541-754-3010, 1-541-754-3010.
_NANP = re.compile(r"(?<![\d+])(?:1[\s-])?(?:\(\d{3}\)\s?|\d{3}-)\d{3}-\d{4}(?!\d)")
# Dates are not phone numbers: 23-05-2011, 2011-05-23, 2011/5/23.
_DATE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}|(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}")

_KIND_BY_TYPE: dict[int, PhoneKind] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline",
    PhoneNumberType.TOLL_FREE: "tollfree",
    PhoneNumberType.SHARED_COST: "tollfree",
    PhoneNumberType.UAN: "tollfree",
}


@dataclass(frozen=True, slots=True)
class PhoneMatch:
    """A phone number found in text. `e164` carries an extension as ";ext=N" (RFC 3966 style)."""

    e164: str
    kind: PhoneKind
    start: int
    end: int
    raw: str

    @property
    def base(self) -> str:
        """The number without its extension: what dedup fingerprints compare."""
        return self.e164.split(";", 1)[0]


def prepare(text: str) -> str:
    """Full-width digits and punctuation to ASCII, extensions to "ext.", 86 to +86.

    `PhoneMatch.start` and `end` are offsets into this prepared text.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _SPOKEN_DIGITS.sub(lambda m: m[0].translate(_SPOKEN_VALUE), text)
    # 86 first: in "0086 139-2222-3333" the last group is not an extension.
    text = _BARE_COUNTRY.sub("+86", text)
    text = _EXTENSION.sub(lambda m: f"{m.group('number')} ext. {m.group('ext')}", text)
    return _EXTENSION_WORD.sub(lambda m: f"{m.group('number')} ext. {m.group('ext')}", text)


def find_phones(text: str, region: str = DEFAULT_REGION) -> list[PhoneMatch]:
    """Every valid phone number in `text`, in order of appearance, without repeats.

    Numbers without a country code are read in `region`, unless the text names another country
    (a "+44" number elsewhere, "UK office", an address in London): then in that country first.
    A number shaped like a North American one that is not valid in China is read as one.
    """
    prepared = prepare(text)
    regions = [*_cued_regions(prepared, region), region]
    found: list[PhoneMatch] = []
    # A country code written out is the writer's word for it, even for a range libphonenumber's
    # metadata does not list yet ("+44 7700 900397"); its digits are no local number.
    said_code = re.search(r"(?:\+|(?<![\d:.])00)[\s(]*[1-9]", prepared) is not None
    for match in PhoneNumberMatcher(prepared, region, leniency=Leniency.POSSIBLE) if said_code else ():
        if match.raw_string.lstrip("(").startswith(("+", "00")):
            _add(found, match.number, match.start, match.end, match.raw_string)
    for each in dict.fromkeys(regions):
        for match in PhoneNumberMatcher(prepared, each, leniency=Leniency.VALID):
            _add(found, match.number, match.start, match.end, match.raw_string)
    for shaped in _NANP.finditer(prepared):
        number = _parse(shaped[0], "US")
        if number is not None:
            _add(found, number, shaped.start(), shaped.end(), shaped[0])
    for shaped in _NUMBER_SHAPE.finditer(prepared):
        if any(shaped.start() < p.end and p.start < shaped.end() for p in found):
            continue
        if _PHONE_LABEL.search(prepared, max(0, shaped.start() - 30), shaped.start()):
            number = _foreign_shape(shaped[0].strip(), [*regions])
            if number is not None:
                _add(found, number, shaped.start(), shaped.end(), shaped[0].strip())
    return sorted(found, key=lambda p: p.start)


def _foreign_shape(raw: str, tried: list[str]) -> phonenumbers.PhoneNumber | None:
    """A labelled number valid in none of the regions `tried`: the one partner region where it is
    valid and written in that region's grouping ("(21) 99620-5563" is Brazil's, "07877 954 457" the
    UK's). None when several fit: a wrong country code is worse than no number."""
    written = _boundaries(raw)
    fits = []
    for each in _PARTNER_REGIONS:
        if each in tried:
            continue
        number = _parse(raw, each)
        if number is None:
            continue
        national = _boundaries(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
        if written <= national or national <= written:
            fits.append(number)
    return fits[0] if len(fits) == 1 else None


def _boundaries(said: str) -> frozenset[int]:
    """Where the groups of digits end, counted in digits: "(21) 99620-5563" -> {2, 7}."""
    ends: set[int] = set()
    count = 0
    for group in re.findall(r"\d+", said)[:-1]:
        count += len(group)
        ends.add(count)
    return frozenset(ends)


def _add(found: list[PhoneMatch], number: phonenumbers.PhoneNumber, start: int, end: int, raw: str) -> None:
    if _DATE.fullmatch(raw.strip()):
        return
    e164 = _format(number)
    if any(p.e164 == e164 or (start < p.end and p.start < end) for p in found):
        return
    kind = _KIND_BY_TYPE.get(phonenumbers.number_type(number), "other")
    found.append(PhoneMatch(e164=e164, kind=kind, start=start, end=end, raw=raw))


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _cued_regions(text: str, default: str) -> list[str]:
    """Countries the text points at, other than `default`, in order of appearance."""
    cues: list[tuple[int, str]] = []
    for m in _COUNTRY_CODE.finditer(text):
        country = phonenumbers.region_code_for_country_code(int(m["cc"]))
        if country not in ("ZZ", default, "001"):
            cues.append((m.start(), country))
    for country, words in _COUNTRY_WORDS:
        said = words.search(text)
        if country != default and said:
            cues.append((said.start(), country))
    return [country for _, country in sorted(cues)]


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """One number typed by a person ("138 1234 5678", "+86-21-5888-1234转8") as E.164, or None."""
    prepared = prepare(raw.strip())
    try:
        number = phonenumbers.parse(prepared, region)
    except phonenumbers.NumberParseException:
        matches = find_phones(raw, region)
        return matches[0].e164 if len(matches) == 1 else None
    if not phonenumbers.is_valid_number(number):
        return None
    return _format(number)


def phone_kind(e164: str) -> PhoneKind:
    try:
        number = phonenumbers.parse(e164.split(";", 1)[0], None)
    except phonenumbers.NumberParseException:
        return "other"
    return _KIND_BY_TYPE.get(phonenumbers.number_type(number), "other")


def _format(number: phonenumbers.PhoneNumber) -> str:
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if number.extension:
        return f"{e164};ext={number.extension}"
    return e164
