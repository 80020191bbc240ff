"""Phone numbers in free text, normalised to E.164 with Google's libphonenumber (the phonenumbers package).

Chinese writing habits libphonenumber does not know are rewritten first: an extension after 转 / 分机 /
a trailing "-123" on a landline, full-width digits, and 86 without a plus.
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
# "86 138 1234 5678" / "0086-10-..." written without the plus: 86 followed by a whole Chinese number,
# so that the 86 opening a local number ("(02) 8614-3645" in Taipei) is left alone.
_BARE_COUNTRY = re.compile(
    r"(?<![\d+])(?:00)?86(?=[\s-]?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|\(?0?[1-9]\d{1,2}\)?[\s-]?\d{3,4}[\s-]?\d{4})(?!\d))"
)

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
    text = _EXTENSION.sub(lambda m: f"{m.group('number')} ext. {m.group('ext')}", text)
    return _BARE_COUNTRY.sub("+86", text)


def find_phones(text: str, region: str = DEFAULT_REGION) -> list[PhoneMatch]:
    """Every valid phone number in `text`, in order of appearance, without repeats."""
    prepared = prepare(text)
    found: list[PhoneMatch] = []
    seen: set[str] = set()
    for match in PhoneNumberMatcher(prepared, region, leniency=Leniency.VALID):
        e164 = _format(match.number)
        if e164 in seen:
            continue
        seen.add(e164)
        kind = _KIND_BY_TYPE.get(phonenumbers.number_type(match.number), "other")
        found.append(PhoneMatch(e164=e164, kind=kind, start=match.start, end=match.end, raw=match.raw_string))
    return found


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
