"""Which deal and which requirement a piece of evidence is for, guessed from the caption, the file
name and the first words of its content. Pure functions; the member confirms the guess with a button.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crm.stages import Funnel, Requirement

# A deal's tag as cards show it ("#D12"); members may type it with a full-width ＃ or lower-case d.
_TAG = re.compile(r"[#＃][Dd](\d{1,12})\b")
# Where a keyword is found matters: a caption is what the member meant, a file name is close, the
# content of a long document mentions many things.
CAPTION_WEIGHT = 3
NAME_WEIGHT = 2
CONTENT_WEIGHT = 1
_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9 \-]*")


def deal_tag(text: str | None) -> int | None:
    """The deal id of the first "#D12" in `text`."""
    if not text:
        return None
    found = _TAG.search(text)
    return int(found.group(1)) if found else None


def strip_tag(text: str) -> str:
    return " ".join(_TAG.sub(" ", text).split())


def tag(deal_id: int) -> str:
    return f"#D{deal_id}"


def fold(text: str | None) -> str:
    """Lower-case, NFKC (full-width letters and digits to ASCII), "_" and "-" as spaces:
    "需求确认书_签字版.PDF" and "需求确认书 签字版.pdf" read the same."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join(folded.replace("_", " ").replace("-", " ").split())


def _contains(haystack: str, keyword: str) -> bool:
    if _ASCII_WORD.fullmatch(keyword):
        # English keywords match whole words: "draft" in "draft.pdf", not "sow" in "sown".
        return re.search(rf"(?<![a-z0-9]){re.escape(keyword)}(?![a-z0-9])", haystack) is not None
    return keyword in haystack


@dataclass(frozen=True, slots=True)
class Guess:
    requirement: Requirement | None
    keywords: tuple[str, ...]  # what matched, for the member to see why
    score: int = 0


def guess(
    funnel: Funnel,
    *,
    caption: str | None,
    name: str | None,
    content: str | None,
    prefer: Sequence[str] = (),
) -> Guess:
    """The evidence requirement these words point at, or none.

    Each keyword found scores its length times the weight of where it was found, so "方案确认" beats
    "方案". Ties go to the requirements in `prefer` (the deal's missing ones), then funnel order.
    """
    places = ((fold(caption), CAPTION_WEIGHT), (fold(name), NAME_WEIGHT), (fold(content), CONTENT_WEIGHT))
    order = {key: i for i, key in enumerate(prefer)}
    best: tuple[int, int, int, Requirement, tuple[str, ...]] | None = None
    for position, requirement in enumerate(funnel.evidence_requirements()):
        score = 0
        matched: list[str] = []
        for keyword in requirement.keywords:
            for text, weight in places:
                if text and _contains(text, keyword):
                    score += weight * len(keyword)
                    if keyword not in matched:
                        matched.append(keyword)
        if score == 0:
            continue
        rank = (score, -order.get(requirement.key, len(order)), -position)
        if best is None or rank > best[:3]:
            best = (*rank, requirement, tuple(matched))
    if best is None:
        return Guess(None, ())
    return Guess(best[3], best[4], best[0])


def names_requirement(funnel: Funnel, text: str | None) -> bool:
    """Whether `text` (a photo's caption) mentions any evidence keyword of the funnel."""
    folded = fold(text)
    return bool(folded) and any(
        _contains(folded, keyword)
        for requirement in funnel.evidence_requirements()
        for keyword in requirement.keywords
    )


def named_deals(text: str | None, deals: Iterable[tuple[int, Sequence[str | None]]]) -> list[int]:
    """Ids of the deals one of whose names (title, customer) occurs in `text`; the longest name wins
    when several do ("华为云" over "华为")."""
    folded = fold(text)
    if not folded:
        return []
    hits: list[tuple[int, int]] = []
    for deal_id, names in deals:
        longest = max(
            (len(n) for raw in names if (n := fold(raw)) and len(n) >= 2 and n in folded), default=0
        )
        if longest:
            hits.append((longest, deal_id))
    if not hits:
        return []
    top = max(length for length, _ in hits)
    return [deal_id for length, deal_id in hits if length == top]
