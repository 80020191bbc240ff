"""Which customer a dictated visit note is about: the names it says against the rep's customers.

Scores are 0..100. A company named in the note is the strongest sign; a person named the way reps
speak of them ("张总", "陈先生", "Mr. Li") matched to a contact's name is the next; the customer the
rep captured last is a prior that tips a close call. The service decides with `decide`: one clear
winner is taken, close or weak candidates are offered as buttons.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from crm.facts import Facts
from crm.model import Contact, Customer
from crm.ports import Normalizer

# How reps refer to people when they talk: surname + title or honorific. Longest first.
_TITLES_ZH = sorted(
    (
        "董事长", "总经理", "副总", "总监", "经理", "主任", "主管", "部长", "处长", "科长", "局长",
        "院长", "校长", "厂长", "老板", "先生", "女士", "小姐", "老师", "工程师", "总", "董", "工",
        "姐", "哥", "总工",
    ),
    key=len,
    reverse=True,
)  # fmt: skip
_EN_HONORIFIC = re.compile(r"^(?:mr|mrs|ms|miss|dr|prof)\.?\s+", re.IGNORECASE)
_SQUASH = re.compile(r"[\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u4e00-\u9fff]")

# Decision thresholds (see `decide`).
SURE = 75.0  # a winner at least this good ...
MARGIN = 15.0  # ... and this far ahead of the runner-up is taken without asking
OFFER = 35.0  # candidates at least this good are offered as buttons
PRIOR_BONUS = 15.0
PRIOR_ALONE = 40.0  # the last captured customer when the note names no one
PERSON_MATCH = 60.0  # a person mention that counts as naming this contact
# A name the transcript spells with other characters of the same sound (章伟 for 张伟): the speech
# model writes what it heard, so a full name that sounds right is nearly as good as one spelled right.
SOUNDS_LIKE_FULL = 80.0
SOUNDS_LIKE_SHORT = 65.0  # a two-character name: more names share its sound
SOUNDS_LIKE_SURNAME = 55.0  # 章总 for 张伟: offered, not taken

Sounds = Callable[[str], tuple[frozenset[str], ...]]
ASK_LIMIT = 4


@dataclass(frozen=True, slots=True)
class Candidate:
    """A customer the rep may mean, with its live contacts."""

    customer: Customer
    contacts: tuple[Contact, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    customer: Customer
    score: float
    contact: Contact | None  # the contact the note names, when one matches
    company: float  # how well the note names the company
    person: float  # how well the note names one of its contacts

    @property
    def evidence(self) -> float:
        """What the names alone say, without the prior."""
        return max(self.company, self.person)


def squash(text: str) -> str:
    """Letters and digits only, case-folded: "华为 技术、" -> "华为技术"."""
    return _SQUASH.sub("", unicodedata.normalize("NFKC", text)).casefold()


def surname_of(mention: str) -> tuple[str, str | None]:
    """ "张总" -> ("张", "总"); "Mr. Li" -> ("li", "mr"); "张伟" -> ("张伟", None)."""
    text = mention.strip()
    english = _EN_HONORIFIC.match(text)
    if english:
        return squash(text[english.end() :]), english.group(0).strip(". ").lower()
    if _CJK.match(text):
        for title in _TITLES_ZH:
            if text.endswith(title) and 1 <= len(text) - len(title) <= 2:
                return text[: -len(title)], title
    return squash(text), None


def alike(said: tuple[frozenset[str], ...], name: tuple[frozenset[str], ...]) -> bool:
    """Whether two spellings sound the same: every character shares a reading with its counterpart."""
    return len(said) == len(name) > 0 and all(a & b for a, b in zip(said, name, strict=True))


def said_in(name: tuple[frozenset[str], ...], heard: tuple[frozenset[str], ...]) -> bool:
    """Whether `name` is said somewhere in `heard`, spelled with any characters that sound like it."""
    size = len(name)
    return size > 0 and any(alike(heard[i : i + size], name) for i in range(len(heard) - size + 1))


def sounds_like_score(length: int) -> float:
    """What a Chinese name of `length` characters said with other characters of its sound is worth."""
    return SOUNDS_LIKE_FULL if length >= 3 else SOUNDS_LIKE_SHORT


def person_score(contact: Contact, mention: str, sounds: Sounds | None = None) -> float:
    """How surely `mention` (a name as said in the note) is this contact; with `sounds`, also when
    the note spells the name with other characters of the same sound."""
    if not contact.name:
        return 0.0
    name = squash(contact.name)
    said = squash(mention)
    if not name or not said:
        return 0.0
    if name == said:
        return 90.0
    surname, title = surname_of(mention)
    if title is not None and surname:
        if _CJK.match(surname):
            if name.startswith(surname) and len(name) > len(surname):
                # 张总 for 张伟, the more so when the contact's title carries the title said.
                return 70.0 if contact.title and title in contact.title else PERSON_MATCH
            if sounds and len(name) > len(surname) and alike(sounds(surname), sounds(name[: len(surname)])):
                return SOUNDS_LIKE_SURNAME
        elif surname in [squash(word) for word in contact.name.split()]:
            return PERSON_MATCH
    if not _CJK.search(name):
        words = contact.name.lower().split()
        if said in words and len(said) >= 3:
            return PERSON_MATCH
    ratio = fuzz.ratio(name, said)
    if ratio >= 80:
        return ratio * 0.8
    if sounds and _CJK.search(name) and alike(sounds(said), sounds(name)) and len(said) == len(name):
        return sounds_like_score(len(name))
    return 0.0


def company_score(
    customer: Customer,
    facts: Facts,
    text: str,
    normalizer: Normalizer,
    heard: tuple[frozenset[str], ...] = (),
) -> float:
    """How surely the note names this customer's company. `text` is the squashed transcript and
    `heard` its sounds (`Normalizer.sounds`), for a company spelled with other characters (新晨 for 星辰)."""
    if not customer.name:
        return 0.0
    full = squash(customer.name)
    key = squash(normalizer.company_key(customer.name)) or full
    if len(key) >= 2 and (key in text or full in text):
        return 100.0
    best = 0.0
    if facts.company:
        said = squash(normalizer.company_key(facts.company)) or squash(facts.company)
        shorter, longer = sorted((said, key), key=len)
        if len(shorter) >= 2 and longer.startswith(shorter):
            best = 85.0  # 华为 for 华为技术: people say the short name
        else:
            ratio = fuzz.ratio(said, key)
            best = ratio if ratio >= 80 else 0.0
    if best < 80 and len(key) >= 3:
        # A short name said as the first characters of the key ("华为" of 华为技术), or the key
        # misheard by a character or two.
        if key[:2] in text and len(key) <= 4:
            best = max(best, 75.0)
        partial = fuzz.partial_ratio(key, text)
        if partial >= 85:
            best = max(best, partial * 0.85)
    if (
        best < SOUNDS_LIKE_FULL
        and len(key) >= 2
        and _CJK.match(key)
        and said_in(normalizer.sounds(key), heard)
    ):
        # Two characters of sound name many things (美的, 没的): offered, not taken.
        best = max(best, SOUNDS_LIKE_FULL if len(key) >= 3 else 50.0)
    return best


def score(
    candidates: Sequence[Candidate],
    transcript: str,
    facts: Facts,
    normalizer: Normalizer,
    prior_id: int | None,
) -> list[Scored]:
    """Every candidate scored, best first."""
    text = squash(transcript)
    heard = normalizer.sounds(transcript)
    mentions = [p.name for p in facts.people]
    if facts.name and facts.name not in mentions:
        mentions.append(facts.name)
    scored: list[Scored] = []
    for candidate in candidates:
        company = company_score(candidate.customer, facts, text, normalizer, heard)
        person, contact = 0.0, None
        for each in candidate.contacts:
            best = max([person_score(each, m, normalizer.sounds) for m in mentions], default=0.0)
            name = squash(each.name or "")
            if len(name) >= 2 and name in text:
                best = max(best, 90.0)
            elif len(name) >= 2 and _CJK.search(name) and said_in(normalizer.sounds(name), heard):
                best = max(best, sounds_like_score(len(name)))
            if best > person:
                person, contact = best, each
        total = max(company, person)
        if company >= 80 and person >= PERSON_MATCH:
            total += 10
        if prior_id is not None and candidate.customer.id == prior_id:
            total = total + PRIOR_BONUS if total > 0 else PRIOR_ALONE
        scored.append(
            Scored(
                customer=candidate.customer,
                score=min(total, 100.0),
                contact=contact if person >= PERSON_MATCH else None,
                company=company,
                person=person,
            )
        )
    scored.sort(key=lambda s: (-s.score, -s.customer.updated_at.timestamp(), s.customer.id))
    return scored


def decide(scored: Sequence[Scored]) -> tuple[Scored | None, list[Scored]]:
    """(the customer to take, or None) and (the candidates to offer when asking)."""
    offered = [s for s in scored if s.score >= OFFER][:ASK_LIMIT]
    if not offered:
        return None, []
    top = offered[0]
    second = offered[1] if len(offered) > 1 else None
    runner_up = second.score if second else 0.0
    # The prior tips a close call only when the names do not tie: two contacts called 张 are a
    # question for the rep, whichever customer was touched last.
    tie = second is not None and second.evidence >= top.evidence > 0
    if top.score >= SURE and top.score - runner_up >= MARGIN and not tie:
        return top, []
    return None, offered


def mentioned_contact(contacts: Sequence[Contact], name: str, sounds: Sounds | None = None) -> Contact | None:
    """The contact a person named in the note is, when one matches well enough."""
    best, found = 0.0, None
    for contact in contacts:
        value = person_score(contact, name, sounds)
        if value > best:
            best, found = value, contact
    return found if best >= PERSON_MATCH else None
