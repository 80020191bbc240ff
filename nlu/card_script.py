"""Which script a card is printed in, and its fields written back in that script (OpenCC).

The PP-OCR recognizer was trained mostly on simplified Chinese and writes some traditional characters in
their simplified form (軟 as 软, 號 as 号) even on a Taiwan or Hong Kong card; a contact from such a card
should keep the card's own script.
"""

from __future__ import annotations

from functools import cache

import opencc

# Characters that OpenCC turns traditional though Taiwan and Hong Kong write them as they are (台北).
_SHARED = frozenset("台")


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def traditional_evidence(text: str) -> int:
    """Characters only traditional Chinese writes, less characters only simplified Chinese writes."""
    to_simplified = _converter("t2s")
    to_traditional = _converter("s2t")
    score = 0
    for char in set(text):
        if not "\u4e00" <= char <= "\u9fff":
            continue
        if str(to_simplified.convert(char)) != char:
            score += 1
        elif char not in _SHARED and str(to_traditional.convert(char)) != char:
            score -= 1
    return score


def to_traditional(text: str, region: str) -> str:
    """`text` in traditional characters: Taiwan's forms on a Taiwan card, Hong Kong's on a Hong Kong one."""
    config = {"TW": "s2tw", "HK": "s2hk"}.get(region, "s2t")
    converted = str(_converter(config).convert(text))
    if len(converted) != len(text):
        return text
    # Only what the recognizer wrote in simplified changes; a character already traditional, or written
    # alike in both scripts, stays as printed (the converter would make 台 into 臺).
    to_traditional = _converter("s2t")
    return "".join(
        new if old not in _SHARED and str(to_traditional.convert(old)) != old else old
        for old, new in zip(text, converted, strict=True)
    )
