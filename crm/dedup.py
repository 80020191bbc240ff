"""Duplicate detection policy: exact fingerprints first, then fuzzy name + company similarity.

An exact phone, e-mail or WeChat id match attaches the capture to the existing contact.
Similarity >= 88 proposes a merge; 75 to 88 flags the pair for review; below that they differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

MERGE_THRESHOLD = 88.0
REVIEW_THRESHOLD = 75.0
# A name alone (no company on one side) is weak evidence: "张伟" is a common name, so identical names
# without companies land in review, never in an automatic merge proposal.
NAME_ONLY_WEIGHT = 0.85


class KeyKind(StrEnum):
    """Kinds of lookup keys stored for each contact."""

    PHONE = "phone"
    EMAIL = "email"
    WECHAT = "wechat"
    NAME = "name"  # blocking key: the normalised person name
    COMPANY = "company"  # blocking key: the normalised company core
    COMPANY_PREFIX = "cpfx"  # blocking key: company core's first characters + surname, for typos

    @property
    def exact(self) -> bool:
        return self in (KeyKind.PHONE, KeyKind.EMAIL, KeyKind.WECHAT)


COMPANY_PREFIX_CHARS = 2


@dataclass(frozen=True, slots=True)
class LookupKey:
    kind: KeyKind
    value: str

    def encoded(self) -> str:
        """One indexed string per key: the kind prefix keeps a phone from matching a name."""
        return f"{self.kind.value}:{self.value}"


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup knows of one contact: exact identifiers and normalised name and company keys."""

    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    wechat_id: str | None = None
    name_key: str = ""
    company_key: str = ""

    def exact_keys(self) -> list[LookupKey]:
        keys = [LookupKey(KeyKind.PHONE, base_phone(p)) for p in self.phones]
        keys += [LookupKey(KeyKind.EMAIL, e.lower()) for e in self.emails]
        if self.wechat_id:
            keys.append(LookupKey(KeyKind.WECHAT, self.wechat_id.lower()))
        return list(dict.fromkeys(keys))

    def blocking_keys(self) -> list[LookupKey]:
        """Selective keys for the fuzzy comparison: the same name, or the same company."""
        keys: list[LookupKey] = []
        if self.name_key:
            keys.append(LookupKey(KeyKind.NAME, self.name_key))
        if self.company_key:
            keys.append(LookupKey(KeyKind.COMPANY, self.company_key))
        return keys

    def typo_keys(self) -> list[LookupKey]:
        """A coarse key for when both name and company were typed differently: the company's first
        characters and the surname. Looked up only when the selective keys found nothing."""
        if self.name_key and len(self.company_key) >= COMPANY_PREFIX_CHARS:
            prefix = f"{self.company_key[:COMPANY_PREFIX_CHARS]}|{self.name_key[:1]}"
            return [LookupKey(KeyKind.COMPANY_PREFIX, prefix)]
        return []

    def all_keys(self) -> list[LookupKey]:
        """Every key stored for a contact."""
        return self.exact_keys() + self.blocking_keys() + self.typo_keys()

    @classmethod
    def from_keys(cls, keys: Iterable[LookupKey]) -> Fingerprint:
        """The fingerprint a contact's stored keys describe."""
        by_kind: dict[KeyKind, list[str]] = {}
        for key in keys:
            by_kind.setdefault(key.kind, []).append(key.value)
        wechat = by_kind.get(KeyKind.WECHAT)
        return cls(
            phones=tuple(by_kind.get(KeyKind.PHONE, ())),
            emails=tuple(by_kind.get(KeyKind.EMAIL, ())),
            wechat_id=wechat[0] if wechat else None,
            name_key=next(iter(by_kind.get(KeyKind.NAME, ())), ""),
            company_key=next(iter(by_kind.get(KeyKind.COMPANY, ())), ""),
        )


def base_phone(e164: str) -> str:
    """A phone without its extension: two extensions of one switchboard are one company line."""
    return e164.split(";", 1)[0]


class MatchKind(StrEnum):
    EXACT = "exact"
    PROPOSE = "propose"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class Match:
    contact_id: int
    kind: MatchKind
    score: float
    reason: str  # "phone", "email", "wechat" or "similar"


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """0..100: how alike two contacts' names and companies are."""
    name = _name_similarity(a.name_key, b.name_key) if a.name_key and b.name_key else None
    company = _company_similarity(a.company_key, b.company_key) if a.company_key and b.company_key else None
    if name is not None and company is not None:
        return round((name + company) / 2, 1)
    if name is not None:
        return round(name * NAME_ONLY_WEIGHT, 1)
    return 0.0


def _name_similarity(a: str, b: str) -> float:
    # token_sort_ratio makes "wei zhang" equal "zhang wei"; for Chinese names (no spaces) it is ratio.
    return float(fuzz.token_sort_ratio(a, b))


def _company_similarity(a: str, b: str) -> float:
    # WRatio scores "华为" against "华为技术" high (one is contained in the other) and still ranks
    # typos by edit distance; keys arrive without legal suffixes and city prefixes.
    return float(fuzz.WRatio(a, b))


def exact_match(probe: Fingerprint, candidates: Iterable[tuple[int, Fingerprint]]) -> Match | None:
    """The first candidate sharing a phone, e-mail or WeChat id with the probe."""
    wanted = {key.encoded(): key.kind for key in probe.exact_keys()}
    for contact_id, candidate in candidates:
        for key in candidate.exact_keys():
            kind = wanted.get(key.encoded())
            if kind is not None:
                return Match(contact_id, MatchKind.EXACT, 100.0, kind.value)
    return None


def best_fuzzy_match(probe: Fingerprint, candidates: Iterable[tuple[int, Fingerprint]]) -> Match | None:
    """The most similar candidate at or above the review threshold."""
    best: tuple[float, int] | None = None
    for contact_id, candidate in candidates:
        score = similarity(probe, candidate)
        if score >= REVIEW_THRESHOLD and (best is None or score > best[0]):
            best = (score, contact_id)
    if best is None:
        return None
    score, contact_id = best
    kind = MatchKind.PROPOSE if score >= MERGE_THRESHOLD else MatchKind.REVIEW
    return Match(contact_id, kind, score, "similar")


def all_matches(probe: Fingerprint, candidates: Iterable[tuple[int, Fingerprint]]) -> list[Match]:
    """Every candidate the probe matches, for callers that must tell one match from several (an
    import): those sharing a phone, e-mail or WeChat id if any do, else those at or above the review
    threshold, most similar first."""
    listed = list(candidates)
    wanted = {key.encoded(): key.kind for key in probe.exact_keys()}
    exact: dict[int, Match] = {}
    for contact_id, candidate in listed:
        for key in candidate.exact_keys():
            shared = wanted.get(key.encoded())
            if shared is not None and contact_id not in exact:
                exact[contact_id] = Match(contact_id, MatchKind.EXACT, 100.0, shared.value)
    if exact:
        return list(exact.values())
    fuzzy: list[Match] = []
    for contact_id, candidate in listed:
        score = similarity(probe, candidate)
        if score >= REVIEW_THRESHOLD:
            kind = MatchKind.PROPOSE if score >= MERGE_THRESHOLD else MatchKind.REVIEW
            fuzzy.append(Match(contact_id, kind, score, "similar"))
    return sorted(fuzzy, key=lambda m: (-m.score, m.contact_id))
