"""Checks and clean-up of text a member sends, before anything reads or stores it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crm.errors import InputRejected

MAX_TEXT_CHARS = 20_000

# Bidirectional controls (LRM, RLM, embeddings, overrides, isolates) can make stored text display
# differently from what it says ("Trojan Source"); they carry nothing a CRM needs.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
# C0/C1 controls other than tab and newline, and the Unicode replacement character left behind by a
# failed decode.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class CleanText:
    text: str
    removed: int  # how many control or bidi characters were dropped


def clean(raw: str, *, limit: int = MAX_TEXT_CHARS) -> CleanText:
    """NFC-normalised text without control, zero-width or bidi characters.

    Raises InputRejected for empty text, text over `limit` characters, and binary-looking text
    (where a tenth or more of the characters are controls or decoding debris).
    """
    if len(raw) > limit:
        raise InputRejected("input.too_long", length=len(raw), limit=limit)
    control = len(_CONTROL.findall(raw))
    if raw and control * 10 >= len(raw):
        raise InputRejected("input.binary")
    text = unicodedata.normalize("NFC", raw)
    text, bidi = _BIDI.subn("", text)
    text, _ = _CONTROL.subn("", text)
    text = _ZERO_WIDTH.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _MANY_BLANK_LINES.sub("\n\n", text).strip()
    if not text:
        raise InputRejected("input.empty")
    return CleanText(text=text, removed=control + bidi)


def one_line(value: str, limit: int = 200) -> str:
    """A field value typed by a member: one line, trimmed, at most `limit` characters."""
    cleaned = clean(value, limit=max(limit * 4, 1000)).text
    single = " ".join(cleaned.split())
    if len(single) > limit:
        raise InputRejected("input.field_too_long", limit=limit)
    return single


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Addresses are Latin whatever the language of the one who types them: a Chinese-speaking rep's first
# message may well be a customer's e-mail address or web page.
_ADDRESS = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+", re.IGNORECASE)


def language_of(text: str) -> str | None:
    """ "zh" or "en" when a message a member typed is clearly in one of them, else None (a command,
    a number, a phone number, an address, an emoji). Any Han character makes it Chinese: Chinese text
    is full of Latin brand and product names, English text has no Han characters."""
    stripped = text.strip()
    if not stripped or stripped.startswith("/"):
        return None
    if _HAN.search(stripped):
        return "zh"
    if len(_LATIN_WORD.findall(_ADDRESS.sub(" ", stripped))) >= 2:
        return "en"
    return None
