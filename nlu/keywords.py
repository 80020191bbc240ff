"""Product and industry terms (keywords.txt): what the deal is about, for search and routing."""

from __future__ import annotations

import functools
import re

from nlu.resources import word_list


@functools.cache
def _matcher() -> tuple[re.Pattern[str], dict[str, str]]:
    canonical: dict[str, str] = {}
    for line in word_list("keywords.txt"):
        names = [name.strip() for name in line.split("|") if name.strip()]
        for name in names:
            canonical[name.lower()] = names[0]
    # ASCII terms need word boundaries ("AI" is not in "email"); Chinese terms have none.
    alternatives = (
        rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])" if name.isascii() else re.escape(name)
        for name in sorted(canonical, key=len, reverse=True)
    )
    return re.compile("|".join(alternatives), re.IGNORECASE), canonical


def find_keywords(text: str) -> list[str]:
    pattern, canonical = _matcher()
    return list(dict.fromkeys(canonical[m[0].lower()] for m in pattern.finditer(text)))
