"""Business cards: the OCR lines of a card's front (and back) to one contact, `parse_card(pages)`.

Fields are found by their labels (电话/傳真/Tel/M …), by their shape (phone numbers, e-mail, web
addresses) and by layout (the name is a short line, usually the tallest; company and title by their words).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from rapidfuzz import fuzz

from crm.facts import CardFacts
from crm.ports import OcrPage
from nlu import card_vocab as vocab
from nlu.card_phones import card_region, find_card_phones
from nlu.card_places import repair_place_names
from nlu.card_script import to_traditional, traditional_evidence
from nlu.patterns import find_emails, find_qq, find_websites, find_wechat_ids
from nlu.phones import phone_kind
from nlu.region import find_region, place_names

logger = logging.getLogger(__name__)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IDEOGRAPH = re.compile(f"[{_CJK}]")
# How a field was recognised scales the OCR confidence of its line.
_BY_LABEL = 0.97
_BY_SHAPE = 0.9
_BY_LAYOUT = 0.75
_BY_GUESS = 0.55


@dataclass(slots=True)
class _Line:
    text: str
    confidence: float
    height: float
    top: float
    left: float
    width: float = 0.0
    used: bool = False

    @property
    def cjk(self) -> int:
        return len(_IDEOGRAPH.findall(self.text))

    @property
    def right(self) -> float:
        """Where the line ends: measured by the reader, else estimated from its characters."""
        if self.width > 0:
            return self.left + self.width
        return self.left + self.height * (self.cjk + 0.55 * (len(self.text) - self.cjk))


@dataclass(frozen=True, slots=True)
class _Found:
    value: str
    confidence: float
    chinese: bool = False


@dataclass(slots=True)
class _Side:
    """What one photo says, before the sides are merged."""

    name: list[_Found] = field(default_factory=list)
    title: list[_Found] = field(default_factory=list)
    company: list[_Found] = field(default_factory=list)
    address: list[_Found] = field(default_factory=list)
    mobile: list[_Found] = field(default_factory=list)
    phones: list[_Found] = field(default_factory=list)
    fax: list[_Found] = field(default_factory=list)
    emails: list[_Found] = field(default_factory=list)
    website: list[_Found] = field(default_factory=list)
    wechat_id: list[_Found] = field(default_factory=list)
    qq: list[_Found] = field(default_factory=list)
    loose_sites: list[_Found] = field(default_factory=list)  # web addresses too damaged to parse


def parse_card(pages: Sequence[OcrPage]) -> CardFacts:
    """One contact from the photos of one card (front and back): fields merged, the surer value kept."""
    sides = [_parse_side(page) for page in pages]
    raw_text = "\n\n".join(page.text for page in pages if page.text)
    facts = _in_card_script(_merge(sides, raw_text))
    logger.debug("card parsed: %s", sorted(facts.confidence))
    return facts


def _in_card_script(facts: CardFacts) -> CardFacts:
    """A Taiwan or Hong Kong card's Chinese fields in traditional characters, whatever the recognizer
    wrote: the card's region and the characters only one script uses decide."""
    evidence = traditional_evidence(facts.raw_text)
    region = card_region(facts.raw_text)
    # A Taiwan or Hong Kong card is printed in traditional characters, though the recognizer writes many
    # of them simplified; elsewhere the characters must say so. A Japanese card keeps its kanji as printed
    # (会社 is not 會社).
    if region not in {"TW", "HK"} and (region == "JP" or evidence < 3):
        return facts

    def script(value: str | None) -> str | None:
        return to_traditional(value, region) if value and _IDEOGRAPH.search(value) else value

    return dataclasses.replace(
        facts,
        name=script(facts.name),
        title=script(facts.title),
        company=script(facts.company),
        address=script(facts.address),
    )


# --- one side ----------------------------------------------------------------------------------------


def _parse_side(page: OcrPage) -> _Side:
    lines = [
        _Line(
            _normalise(line.text),
            float(line.confidence),
            float(line.height),
            float(line.top),
            float(line.left),
            float(line.width),
        )
        for line in page.lines
    ]
    lines = _join_row_pieces(_join_lone_labels([line for line in lines if line.text]))
    side = _Side()
    if not lines:
        return side
    region = card_region("\n".join(line.text for line in lines))
    for line in lines:
        _labelled_and_shaped(line, lines, side, region)
    cues = _Cues.of(side)
    if not side.address:
        _unlabelled_address(lines, side)
    _company(lines, side, cues)
    _name_and_title(lines, side, cues)
    return side


@dataclass(frozen=True, slots=True)
class _Cues:
    """What the card's e-mail and web addresses say about the other fields: the company's name is in the
    domain ("adventure-works.com"), the person's in the mailbox ("avery.smith@", "amorin@")."""

    domains: tuple[str, ...]
    mailboxes: tuple[str, ...]

    @staticmethod
    def of(side: _Side) -> _Cues:
        domains: list[str] = []
        mailboxes: list[str] = []
        hosts = [found.value for found in side.website]
        for found in side.emails:
            local, _, host = found.value.partition("@")
            hosts.append(host)
            if host.lower() not in vocab.MAIL_PROVIDERS:
                mailboxes.append(local.lower())
        for host in hosts:
            labels = host.lower().removeprefix("www.").split(".")
            if labels and labels[0] and host.lower() not in vocab.MAIL_PROVIDERS:
                domains.append(re.sub(r"[^a-z0-9]", "", labels[0]))
        return _Cues(tuple(dict.fromkeys(d for d in domains if len(d) >= 3)), tuple(dict.fromkeys(mailboxes)))

    def company_like(self, text: str) -> bool:
        """The line spells the domain's name (spaces, hyphens and case aside), or the domain opens with it."""
        key = re.sub(r"[^a-z0-9]", "", text.lower())
        if len(key) < 3:
            return False
        return any(
            key == d or (len(key) >= 5 and (d.startswith(key) or key.startswith(d))) for d in self.domains
        )

    def names_person(self, text: str) -> bool:
        """The mailbox is the name: "avery.smith", "roberto", "amorin" (initial and surname)."""
        words = [re.sub(r"[^a-z]", "", word) for word in _split_camel(text).lower().split()]
        words = [word for word in words if len(word) >= 2 and word not in {"dr", "mr", "mrs", "ms", "prof"}]
        if not words:
            return False
        for mailbox in self.mailboxes:
            letters = re.sub(r"[^a-z]", "", mailbox)
            if any(len(word) >= 3 and word in letters for word in words):
                return True
            if len(words) >= 2 and letters in {words[0][0] + words[-1], words[0] + words[-1][0]}:
                return True
        return False


def _join_row_pieces(lines: list[_Line]) -> list[_Line]:
    """Pieces of one printed line the detector cut apart at a wide gap: a Chinese or Japanese name set with
    a space between surname and given name ("田村  大輝"). Only short CJK pieces of one size are joined;
    a two-column card keeps its columns."""
    kept = list(lines)
    changed = True
    while changed:
        changed = False
        for line in kept:
            if not 1 <= line.cjk <= 4 or line.cjk != len(line.text.replace(" ", "")):
                continue
            beside = [
                other
                for other in kept
                if other is not line
                and 1 <= other.cjk <= 4
                and other.cjk == len(other.text.replace(" ", ""))
                and other.left > line.left
                and abs(other.top - line.top) < 0.35 * line.height
                and max(other.height, line.height) < 1.25 * min(other.height, line.height)
                and other.left - line.right < 1.6 * line.height
            ]
            if not beside:
                continue
            other = min(beside, key=lambda candidate: candidate.left)
            if _is_other_field(line.text + other.text) or len(line.text + other.text) > 5:
                continue
            index = kept.index(line)
            kept.remove(other)
            kept[index] = _Line(
                line.text + other.text,
                min(line.confidence, other.confidence),
                max(line.height, other.height),
                min(line.top, other.top),
                line.left,
                max(line.right, other.right) - line.left,
            )
            changed = True
            break
    return kept


def _join_lone_labels(lines: list[_Line]) -> list[_Line]:
    """A label read as a line of its own ("F:", "传真：") gets the value printed to its right."""
    kept = list(lines)
    for line in lines:
        segments = _segments(line.text)
        if line not in kept or len(segments) != 1 or segments[0][0] is None or segments[0][1]:
            continue
        beside = [
            other
            for other in kept
            if other is not line and other.left > line.left and abs(other.top - line.top) < 0.6 * line.height
        ]
        if beside:
            value = min(beside, key=lambda other: other.left)
            kept.remove(value)
            index = kept.index(line)
            kept[index] = _Line(
                f"{line.text} {value.text}",
                min(line.confidence, value.confidence),
                max(line.height, value.height),
                line.top,
                line.left,
            )
    return kept


def _normalise(text: str) -> str:
    """Full-width forms to ASCII (NFKC), no space between Chinese characters, single spaces, no edge junk."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(rf"(?<=[{_CJK}]) (?=[{_CJK}])", "", text)
    # Icons printed before a contact line come out as ©, ®, @, | or a stray letter.
    text = re.sub(r"^(?:[|©®@•·*#&°»«\[\]【】'\"“”‘’~_=—-]+\s*)+", "", text)
    return re.sub(r"[\s|]+$", "", text)


@cache
def _label_pattern() -> re.Pattern[str]:
    words = sorted(
        ((word, kind) for kind, group in vocab.LABELS.items() for word in group),
        key=lambda item: -len(item[0]),
    )
    alternatives = []
    for word, _kind in words:
        escaped = re.escape(word).replace(r"\ ", r"\s*")
        if word.isascii():
            # A Latin label stands alone: not "mail" in "gmail", not "add" in "address" or "additional".
            alternatives.append(rf"(?<![A-Za-z@.]){escaped}(?![A-Za-z.])")
        else:
            alternatives.append(escaped)
    single = "".join(vocab.SINGLE_LETTER)
    # A number may follow a phone letter without a colon ("T 021-…"); "W2 6BD" is a postcode, not a web label.
    phone = vocab.PHONE_LETTERS
    return re.compile(
        rf"(?P<label>{'|'.join(alternatives)})\s*[:.：]?\s*"
        rf"|(?:^|(?<=\s))(?P<letter>[{single}{single.upper()}])\s*:\s*"
        rf"|(?:^|(?<=\s))(?P<digits>[{phone}{phone.upper()}])\s*(?=[+(]?\d)",
        re.IGNORECASE,
    )


@cache
def _label_kinds() -> dict[str, str]:
    return {word.lower().replace(" ", ""): kind for kind, group in vocab.LABELS.items() for word in group}


def _segments(text: str) -> list[tuple[str | None, str]]:
    """The line cut at its labels: [(kind or None, value)], "电话:… 传真:…" giving two segments."""
    found: list[tuple[int, int, str]] = []
    for match in _label_pattern().finditer(text):
        if match["label"]:
            kind = _label_kinds()[re.sub(r"\s+", "", match["label"].lower())]
        else:
            kind = vocab.SINGLE_LETTER[(match["letter"] or match["digits"]).lower()]
        found.append((match.start(), match.end(), kind))
    if not found:
        return [(None, text)]
    segments: list[tuple[str | None, str]] = []
    if found[0][0] > 0:
        segments.append((None, text[: found[0][0]]))
    for index, (_start, end, kind) in enumerate(found):
        stop = found[index + 1][0] if index + 1 < len(found) else len(text)
        segments.append((kind, text[end:stop].strip(" :;").lstrip(",")))
    return segments


_DIGIT_LOOKALIKES = str.maketrans("OoDQlIi|!ZBSsg", "00001111128559")


def _repair_digits(value: str) -> str:
    """OCR letters inside phone numbers (O for 0, l for 1, B for 8 …): only in runs that are mostly digits."""

    def fix(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = sum(ch.isdigit() for ch in run)
        return (
            run.translate(_DIGIT_LOOKALIKES)
            if digits >= 0.6 * len(run.replace(" ", "").replace("-", ""))
            else run
        )

    return re.sub(r"[0-9OoDQlIi|!ZBSsg][0-9OoDQlIi|!ZBSsg \-]{5,}[0-9OoDQlIi|!ZBSsg]", fix, value)


def _labelled_and_shaped(line: _Line, lines: list[_Line], side: _Side, region: str) -> None:
    """Phones, fax, e-mail, web, WeChat, QQ and labelled addresses found in one line."""
    confidence = line.confidence
    for kind, value in _segments(line.text):
        if not value:
            continue
        email_like = "@" in value or re.search(r"(?i)\bqq\s*\.?\s*com\b", value)
        if kind in {"mobile", "phone", "tollfree", "fax"} or (
            kind is None and not email_like and re.search(r"\d{3}", value)
        ):
            _phones(value, kind, confidence, side, region)
        if kind in {"mobile", "phone", "tollfree", "fax"}:
            line.used = True
        elif kind == "email" or "@" in value:
            emails = find_emails(_repair_email(value)) if kind == "email" else find_emails(value)
            factor = _BY_LABEL if kind == "email" else _BY_SHAPE
            side.emails.extend(_Found(e, confidence * factor) for e in emails)
            line.used = line.used or bool(emails) or kind == "email"
        elif kind == "website":
            sites = find_websites(_repair_website(value))
            for site in sites:
                side.website.append(_Found(_clean_website(site), confidence * _BY_LABEL))
            if not sites:
                side.loose_sites.append(_Found(value, confidence * _BY_LABEL))
            line.used = True
        elif kind == "wechat":
            ids = find_wechat_ids("微信 " + value) or re.findall(r"[A-Za-z][\w-]{5,19}", value)
            side.wechat_id.extend(_Found(i, confidence * _BY_LABEL) for i in ids[:1])
            line.used = True
        elif kind == "qq":
            side.qq.extend(_Found(q, confidence * _BY_LABEL) for q in find_qq("QQ " + _repair_digits(value)))
            line.used = True
        elif kind == "address":
            address = _address_with_continuation(line, value, lines)
            if address:
                side.address.append(_Found(address, confidence * _BY_LABEL, bool(_IDEOGRAPH.search(address))))
            line.used = True
        elif kind == "name":
            side.name.append(_Found(value, confidence * _BY_LABEL, bool(_IDEOGRAPH.search(value))))
            line.used = True
        elif kind == "title":
            side.title.append(_Found(value, confidence * _BY_LABEL, bool(_IDEOGRAPH.search(value))))
            line.used = True
        elif kind == "company":
            side.company.append(_Found(value, confidence * _BY_LABEL, bool(_IDEOGRAPH.search(value))))
            line.used = True
        elif kind is None:
            _unlabelled_contact(line, value, side)


def _phones(value: str, kind: str | None, confidence: float, side: _Side, region: str) -> None:
    alone = bool(re.fullmatch(r"[\d\s()+.-]{10,}", value.strip()))
    for phone in find_card_phones(_repair_digits(value), region, labelled=kind is not None or alone):
        factor = (_BY_LABEL if kind else _BY_SHAPE) * (1.0 if phone.confirmed else 0.85)
        found = _Found(phone.e164, confidence * factor)
        if kind == "fax":
            side.fax.append(found)
        elif (kind == "mobile" and phone.kind in {"mobile", "either", "other"}) or (
            phone.kind == "mobile" and kind in {None, "mobile", "phone"}
        ):
            side.mobile.append(found)
        elif kind == "mobile":
            side.phones.append(_Found(phone.e164, confidence * _BY_SHAPE))
        else:
            side.phones.append(found)


def _unlabelled_contact(line: _Line, value: str, side: _Side) -> None:
    """Web addresses and WeChat/QQ written without a label of ours (an icon before them, say)."""
    sites = (
        find_websites(_repair_website(value))
        if re.search(r"(?i)\bwww\b|https?:|\.(?:com|cn|net)\b", value)
        else []
    )
    for site in sites:
        side.website.append(_Found(_clean_website(site), line.confidence * _BY_SHAPE))
        line.used = True
    if not sites and re.search(r"(?i)w{3}", value) and "@" not in value:
        side.loose_sites.append(_Found(value, line.confidence * _BY_SHAPE))
    for wechat in find_wechat_ids(value):
        side.wechat_id.append(_Found(wechat, line.confidence * _BY_LABEL))
        line.used = True
    for qq in find_qq(value):
        side.qq.append(_Found(qq, line.confidence * _BY_LABEL))
        line.used = True


def _repair_email(value: str) -> str:
    """An e-mail after its label, with OCR's usual damage undone: spaces, a lost "@" or dot."""
    value = re.sub(r"\s*([@.])\s*", r"\1", value.strip())
    value = re.sub(r"(?i)(?<=[a-z0-9])[\s,]+(?=(?:com|cn|net|org)\b)", ".", value)
    value = re.sub(r"(?i)(?<=\.com)(?=cn\b)", ".", value)
    value = (
        re.sub(r"(?i)(?<=[a-z0-9])(?=com(?:\.cn)?$)", ".", value)
        if "." not in value.split("@")[-1]
        else value
    )
    if "@" not in value:
        for stand_in in ("(a)", "©", "®", "&", "#", "Q", "G", "8", "9"):
            head, sep, tail = value.partition(stand_in)
            if sep and head and re.fullmatch(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", tail):
                return f"{head}@{tail}"
    return value


def _repair_website(value: str) -> str:
    value = re.sub(r"(?i)\bw{2,3}[\s,]*\.?\s*(?=[a-z0-9])", "www.", value.strip())
    # "huaxin com_cn", "huaxin,com": the dot before a top-level domain read as a space, comma or underscore.
    for _ in range(2):  # "com_cn" first makes "com" a word of its own
        value = re.sub(r"(?i)(?<=[a-z0-9])[\s,_]+(?=(?:com|cn|net|org)\b)", ".", value)
    return re.sub(r"\s*\.\s*", ".", value)


def _clean_website(site: str) -> str:
    return re.sub(r"(?i)^https?://", "", site).rstrip("/.").lower()


# --- company, name, title ------------------------------------------------------------------------------


def _company(lines: list[_Line], side: _Side, cues: _Cues) -> None:
    """Lines ending in a company form (有限公司, Co., Ltd.) or opening with one (株式会社); a name wrapped
    over lines is joined. Without a company form, the line that spells the web or e-mail domain."""
    for line in sorted(lines, key=lambda candidate: candidate.top):
        if line.used:
            continue
        text = line.text
        chinese = bool(line.cjk)
        parts = [line]
        if chinese:
            ending = vocab.COMPANY_ZH.search(text)
            below = _wrapped_below(line, lines)
            if not ending and below is not None and vocab.COMPANY_ZH.search(text + below.text):
                # "广州安泰自动化设备研" / "究院": the form itself broken over the two lines.
                parts.append(below)
            elif not ending or (
                line.cjk < 4 and ending.start() > 0 and _wrapped_above(line, lines, chinese=True) is None
            ):
                continue
        elif (vocab.COMPANY_EN_TAIL.match(text) and _extend_company(line, lines, side)) or not (
            vocab.COMPANY_EN.search(text) or vocab.COMPANY_EN_TAIL.match(text)
        ):
            continue
        while len(parts) < 3:
            above = _wrapped_above(parts[0], lines, chinese=chinese)
            if above is None:
                break
            parts.insert(0, above)
        if chinese and len(parts) == 1 and line.cjk < 4:
            continue  # "公司" alone
        if not chinese and len(parts) == 1 and len(text.split()) < 2:
            continue  # "Ltd." alone
        for part in parts:
            part.used = True
        confidence = min(part.confidence for part in parts) * (_BY_SHAPE if len(parts) == 1 else 0.85)
        if chinese:
            value = _chinese_tidy("".join(part.text for part in parts))
        else:
            value = _latin_tidy(" ".join(part.text for part in parts))
        side.company.append(_Found(value, confidence, chinese))
    if not side.company:
        _company_by_domain(lines, side, cues)


def _company_by_domain(lines: list[_Line], side: _Side, cues: _Cues) -> None:
    """ "Contoso" (a logo's word) on a card whose addresses end in contoso.com; a tagline just below that
    the domain also spells ("RemoteGlobal" / "BUSINESS CONSULTING", remoteglobalconsulting.com) joins it."""
    candidates = [
        line
        for line in lines
        if not line.used and not re.search(r"\d{3}|@", line.text) and cues.company_like(line.text)
    ]
    if not candidates:
        return
    line = max(candidates, key=lambda candidate: candidate.height)
    line.used = True
    parts = [line.text]
    domain = next((d for d in cues.domains if d.startswith(re.sub(r"[^a-z0-9]", "", line.text.lower()))), "")
    for below in sorted(lines, key=lambda candidate: candidate.top):
        if below.used or not 0 < below.top - line.top < 2.5 * line.height:
            continue
        if abs(below.left - line.left) > 1.5 * line.height or re.search(r"\d|@", below.text):
            continue
        words = re.findall(r"[A-Za-z]+", below.text)
        if words and len(words) <= 4 and any(len(w) >= 4 and w.lower() in domain for w in words):
            below.used = True
            parts.append(below.text)
        break
    chinese = bool(_IDEOGRAPH.search(line.text))
    value = _chinese_tidy("".join(parts)) if chinese else _latin_tidy(" ".join(parts))
    side.company.append(_Found(value, line.confidence * _BY_LAYOUT, chinese))


def _wrapped_below(line: _Line, lines: list[_Line]) -> _Line | None:
    """The short Chinese line right under `line`, flush with it, that finishes a name broken mid-word."""
    for below in sorted(lines, key=lambda candidate: candidate.top):
        if below is line or below.used or not 0 < below.top - line.top < 1.8 * max(line.height, below.height):
            continue
        if abs(below.left - line.left) > line.height or not below.cjk:
            continue
        if max(below.height, line.height) > 1.35 * min(below.height, line.height):
            continue
        if re.search(r"\d|@", below.text) or any(kind for kind, _ in _segments(below.text)):
            continue
        if below.right > line.right + 0.5 * line.height:
            continue
        return below
    return None


def _extend_company(tail: _Line, lines: list[_Line], side: _Side) -> bool:
    """ "Co., Ltd." on a line of its own under a company already found ("… Software Group"): the company
    goes on; returns whether it did."""
    for index, found in enumerate(side.company):
        if found.chinese:
            continue
        above = [
            line
            for line in lines
            if line.used
            and line.text in found.value
            and 0 < tail.top - line.top < 2.2 * max(line.height, tail.height)
            and abs(line.left - tail.left) < 3 * tail.height
        ]
        if above:
            tail.used = True
            side.company[index] = _Found(_latin_tidy(f"{found.value} {tail.text}"), found.confidence, False)
            return True
    return False


def _wrapped_above(line: _Line, lines: list[_Line], *, chinese: bool) -> _Line | None:
    """The line just above `line` that reads as the start of the same (wrapped) name, if there is one."""
    best: _Line | None = None
    for above in lines:
        if above is line or above.used or not 0 < line.top - above.top < 2.2 * max(line.height, above.height):
            continue
        if bool(above.cjk) != chinese or max(above.height, line.height) > 1.4 * min(
            above.height, line.height
        ):
            continue
        if abs(above.left - line.left) > 3 * line.height and chinese:
            continue
        text = above.text
        if re.search(r"\d|@", text) or any(kind for kind, _ in _segments(text)) or _title_in(text):
            continue
        if chinese and (above.cjk < 2 or vocab.COMPANY_ZH.search(text)):
            continue
        if not chinese and (vocab.COMPANY_EN.search(text) or not re.match(r"[A-Z]", text)):
            continue
        if best is None or above.top > best.top:
            best = above
    return best


def _chinese_tidy(text: str) -> str:
    text = re.sub(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])", "", text)
    return text.strip(" ,.;:|_-")


def _latin_tidy(text: str) -> str:
    text = re.sub(r"\s+([,.])", r"\1", re.sub(r"\s+", " ", text))
    return text.strip(" |_-;:")


def _title_in(text: str) -> re.Match[str] | None:
    """A job title taking up the (end of the) text: "销售经理", "研发中心主任", "Regional Sales Director"."""
    if _IDEOGRAPH.search(text):
        match = vocab.TITLE_ZH.search(text)
        return match if match and len(text) <= 14 else None
    words = text.split()
    if not 1 <= len(words) <= 6 or re.search(r"\d|@", text):
        return None
    return vocab.TITLE_EN.search(_split_camel(text))


def _name_and_title(lines: list[_Line], side: _Side, cues: _Cues) -> None:
    tallest = max(line.height for line in lines)
    surname, compound = vocab.surnames()
    chinese_names: list[tuple[float, _Line, str]] = []
    latin_names: list[tuple[float, _Line, str]] = []
    titles: list[_Line] = []
    for line in lines:
        if line.used:
            continue
        text = line.text
        title = _title_in(text)
        name_part = text
        if title:
            # "张伟 销售经理" / "张伟销售经理": a name before the title; otherwise the line is the title.
            chinese = bool(_IDEOGRAPH.search(text))
            before = text[: title.start()].strip() if chinese else ""
            if before and _looks_like_name(before) and _surnamed(before):
                name_part, title_text = before, _chinese_tidy(text[title.start() :])
            else:
                name_part, title_text = (
                    "",
                    _chinese_tidy(text) if chinese else _latin_tidy(_split_camel(text)),
                )
            side.title.append(_Found(title_text, line.confidence * _BY_SHAPE, chinese))
            titles.append(line)
            line.used = True
        name_part = name_part.strip(" ,.|:;-_")
        if not name_part:
            continue
        size = line.height / tallest
        if _IDEOGRAPH.search(name_part):
            compact = name_part.replace(" ", "")
            if not re.fullmatch(f"[{_CJK}]{{2,4}}", compact) or _is_other_field(compact):
                continue
            known = (compact[:2] in compound and len(compact) >= 3) or compact[0] in surname
            if not known and (line.confidence < 0.7 or all(char in _STROKE_LIKE for char in compact)):
                continue  # a rule or an icon read as 一一 / 人一, not a person
            score = (0.55 + (0.3 if known else 0.0) + 0.15 * size) * line.confidence
            chinese_names.append((score, line, compact))
        elif _looks_like_latin_name(name_part) and not cues.company_like(name_part):
            score = (0.55 + 0.2 * size + (0.3 if cues.names_person(name_part) else 0.0)) * line.confidence
            latin_names.append((score, line, _capitalised(_latin_tidy(_split_camel(name_part)))))
    for names, chinese in ((chinese_names, True), (latin_names, False)):
        if names:
            ranked = [
                (score + (0.1 if _titled(line, titles) else 0.0), line, name) for score, line, name in names
            ]
            score, line, name = max(ranked, key=lambda item: item[0])
            line.used = True
            side.name.append(_Found(name, min(1.0, score), chinese))


def _titled(line: _Line, titles: list[_Line]) -> bool:
    """A title printed just below the line (or beside it): where a card puts the holder's name."""
    for title in titles:
        below = 0 < title.top - line.top < 2.5 * line.height and abs(title.left - line.left) < 2 * line.height
        beside = (
            abs(title.top - line.top) < 0.5 * line.height and 0 <= title.left - line.right < 4 * line.height
        )
        if below or beside:
            return True
    return False


def _surnamed(text: str) -> bool:
    surname, compound = vocab.surnames()
    compact = text.replace(" ", "")
    return compact[:1] in surname or compact[:2] in compound


def _looks_like_name(text: str) -> bool:
    compact = text.replace(" ", "")
    return bool(re.fullmatch(f"[{_CJK}]{{2,4}}", compact)) and not _is_other_field(compact)


# What rules, dots and logos come out as: characters of one or two strokes.
_STROKE_LIKE = frozenset("一二三丨丶丿乙人入八口回十卜了厂")
_NOT_NAME = re.compile(
    r"有限|公司|集团|集團|科技|技术|技術|研究|中心|部$|省|市|区|區|路|街|号|號|热线|熱線|地址|电话|電話|手机|手機|"
    r"传真|傳真|邮箱|郵箱|网址|網址|微信|诚信|誠信|专业|專業|共赢|品质|品質|创新|創新|服务|服務|欢迎|歡迎|未来|"
    r"未來|智能|发展|發展"
)


def _is_other_field(compact: str) -> bool:
    return bool(_NOT_NAME.search(compact) or vocab.TITLE_ZH.search(compact))


def _split_camel(text: str) -> str:
    """ "YuyiDai" (tesseract drops the space in big bold type) to "Yuyi Dai"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z]{2})(?=[A-Z][a-z])", " ", text)


def _capitalised(name: str) -> str:
    """ "Karen zhao" -> "Karen Zhao": a word OCR read in small letters, in a name whose other words are
    capitalised."""
    return " ".join(word[:1].upper() + word[1:] if word.islower() else word for word in name.split())


def _looks_like_latin_name(text: str) -> bool:
    words = _split_camel(text).split()
    if not 2 <= len(words) <= 4 or re.search(r"[\d@/:]", text):
        return False
    if vocab.COMPANY_EN.search(text) or vocab.TITLE_EN.search(text) or vocab.ADDRESS_EN.search(text):
        return False
    # OCR sometimes reads a capital as small ("Karen zhao"); the first word must still be capitalised.
    return bool(re.fullmatch(r"[A-Z][A-Za-z'.-]*", words[0])) and all(
        re.fullmatch(r"[A-Za-z][A-Za-z'.-]*", word) for word in words[1:]
    )


# --- addresses -------------------------------------------------------------------------------------------


def _address_with_continuation(line: _Line, value: str, lines: list[_Line]) -> str:
    parts = [value]
    previous = line
    for below in sorted(lines, key=lambda candidate: candidate.top):
        if below is line or below.used or below.top <= previous.top:
            continue
        gap = below.top - previous.top
        if gap > 2.2 * previous.height:
            break
        if below.left < line.left - 2 * line.height:
            continue  # another column of a two-column card
        if not _continues_address(below, line):
            break
        parts.append(below.text)
        below.used = True
        previous = below
    return _tidy_address(parts)


def _continues_address(below: _Line, first: _Line) -> bool:
    """A wrapped address goes on below, flush left or under the value, with no label or number of its own."""
    if below.left < first.left - 2 * first.height:
        return False
    text = below.text
    if any(kind for kind, _ in _segments(text)) or "@" in text or re.search(r"\d{7,}|www\.", text):
        return False
    if below.cjk:
        return below.cjk <= 14 and (bool(vocab.ADDRESS_ZH.search(text)) or len(text) <= 4)
    if _title_in(text) or vocab.COMPANY_EN.search(text):
        return False
    return len(text) <= 60 and bool(re.fullmatch(r"[A-Za-z0-9 ,.'#-]+", text))


def _tidy_address(parts: Iterable[str]) -> str:
    pieces = [part.strip(" ;|") for part in parts if part.strip(" ,;|")]
    if not pieces:
        return ""
    if any(_IDEOGRAPH.search(piece) for piece in pieces):
        text = "".join(pieces)
        text = re.sub(rf"(?<=[{_CJK}0-9])\s+|\s+(?=[{_CJK}0-9])", "", text)
        # A stray icon read as one character before the place name ("国北京市…").
        if (
            len(text) > 6
            and _IDEOGRAPH.match(text)
            and not _starts_with_place(text)
            and _starts_with_place(text[1:])
        ):
            text = text[1:]
        # 号 after a house number is often read as 导 or 弓.
        text = re.sub(r"(?<=\d)[导弓](?!\d)", "号", text)
        return repair_place_names(text)
    # A wrapped line goes on mid-phrase ("Pudong New" / "District, Shanghai"): a space, not a comma.
    return _us_state(_latin_tidy(" ".join(pieces)).strip(" ,"))


_STATE_MISREAD = re.compile(r"\b([A-Z][10]|[10][A-Z])\s?(\d{5}(?:-\d{4})?)\b")
_US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ]
)


def _us_state(address: str) -> str:
    """A state code before a ZIP code with I read as 1 or O as 0 ("Providence, R1 02111")."""

    def fix(match: re.Match[str]) -> str:
        state = match.group(1).replace("1", "I").replace("0", "O")
        return f"{state} {match.group(2)}" if state in _US_STATES else match.group(0)

    return _STATE_MISREAD.sub(fix, address)


def _starts_with_place(text: str) -> bool:
    names = place_names(text[:12])
    return bool(names) and text.startswith(names[0])


def _unlabelled_address(lines: list[_Line], side: _Side) -> None:
    for line in sorted(lines, key=lambda candidate: candidate.top):
        if line.used:
            continue
        text = line.text
        if line.cjk >= 6:
            markers = len(vocab.ADDRESS_ZH.findall(text))
            chinese = markers >= 3 and re.search(r"\d", text) and not vocab.COMPANY_ZH.search(text)
            if chinese or vocab.ADDRESS_JA.search(text):
                address = _address_with_continuation(line, text, lines)
                side.address.append(_Found(address, line.confidence * _BY_LAYOUT, True))
                line.used = True
                return
        elif line.cjk == 0 and re.search(r"\d", text) and _english_address(text):
            address = _address_with_continuation(line, text, lines)
            side.address.append(_Found(address, line.confidence * _BY_LAYOUT))
            line.used = True
            return


def _english_address(text: str) -> bool:
    """Street words and a number, a house number before a street ("2 Kingdom Street"), or a line ending in
    a state and ZIP code or a postcode ("Providence, RI 02111")."""
    if "@" in text or re.search(r"(?i)www\.|https?:", text):
        return False
    if len(vocab.ADDRESS_EN.findall(text)) >= 2 or vocab.STREET_EN.search(text):
        return True
    # A house number, a ZIP code and maybe a suite: a dozen digits at most; a phone line has no postcode.
    return bool(vocab.POSTCODE_EN.search(text)) and "," in text and len(re.sub(r"\D", "", text)) <= 12


# --- both sides together -------------------------------------------------------------------------------


def _best(found: Iterable[_Found], *, prefer_chinese: bool = False) -> _Found | None:
    """The surest value; with `prefer_chinese`, a Chinese one over an English one (the back of the card)."""
    candidates = list(found)
    if not candidates:
        return None
    return max(candidates, key=lambda f: ((f.chinese if prefer_chinese else 0), f.confidence))


def _distinct_numbers(found: Iterable[_Found]) -> list[_Found]:
    """Numbers without repeats; one digit read differently on the two sides is the same number."""
    kept: list[_Found] = []
    for candidate in sorted(found, key=lambda f: -f.confidence):
        digits = re.sub(r"\D", "", candidate.value)
        if any(_close_numbers(digits, re.sub(r"\D", "", other.value)) for other in kept):
            continue
        kept.append(candidate)
    return kept


def _close_numbers(first: str, second: str) -> bool:
    if first == second:
        return True
    return len(first) == len(second) and sum(a != b for a, b in zip(first, second, strict=True)) <= 1


def _reconcile_domains(website: _Found | None, emails: list[_Found]) -> tuple[_Found | None, list[_Found]]:
    """The web and e-mail domains printed on one card agree; OCR damage to one shows as a near miss."""
    if website is None or not emails:
        return website, emails
    site_domain = website.value.removeprefix("www.")
    fixed: list[_Found] = []
    for email in emails:
        local, _, domain = email.value.partition("@")
        if domain != site_domain and fuzz.ratio(domain, site_domain) >= 85:
            if email.confidence >= website.confidence:
                website = _Found(website.value.replace(site_domain, domain), website.confidence)
                site_domain = domain
            else:
                fixed.append(_Found(f"{local}@{site_domain}", email.confidence))
                continue
        fixed.append(email)
    return website, fixed


def _merge(sides: list[_Side], raw_text: str) -> CardFacts:
    def gather(name: str) -> list[_Found]:
        return [found for side in sides for found in getattr(side, name)]

    name = _best(gather("name"), prefer_chinese=True)
    title = _best(gather("title"), prefer_chinese=True)
    company = _best(gather("company"), prefer_chinese=True)
    address = _best(gather("address"), prefer_chinese=True)
    mobiles = _distinct_numbers(gather("mobile"))
    faxes = _distinct_numbers(gather("fax"))
    fax_digits = {re.sub(r"\D", "", f.value) for f in faxes}
    mobile = mobiles[0] if mobiles else None
    landlines = _distinct_numbers(
        [f for f in gather("phones") if re.sub(r"\D", "", f.value) not in fax_digits] + mobiles[1:]
    )
    emails = _distinct_emails(gather("emails"))
    website = _best(gather("website"))
    if website is None:
        website = _website_from_email_domain(gather("loose_sites"), emails)
    website, emails = _reconcile_domains(website, emails)
    wechat = _best(gather("wechat_id"))
    qq = _best(gather("qq"))
    if qq is None:
        for email in emails:
            local, _, domain = email.value.partition("@")
            if domain == "qq.com" and local.isdigit():
                qq = _Found(local, email.confidence * 0.8)
                break
    confidence: dict[str, float] = {}
    scalars = {
        "name": name,
        "title": title,
        "company": company,
        "mobile": mobile,
        "fax": faxes[0] if faxes else None,
        "website": website,
        "address": address,
        "wechat_id": wechat,
        "qq": qq,
    }
    for key, found in scalars.items():
        if found is not None:
            confidence[key] = round(min(1.0, found.confidence), 3)
    if landlines:
        confidence["phones"] = round(min(f.confidence for f in landlines), 3)
    if emails:
        confidence["emails"] = round(min(f.confidence for f in emails), 3)
    region = None
    for text in (address.value if address else None, company.value if company else None):
        if text:
            region = find_region([text])
            if region:
                break
    return CardFacts(
        name=name.value if name else None,
        title=title.value if title else None,
        company=company.value if company else None,
        phones=tuple(f.value for f in landlines if phone_kind(f.value) != "mobile" or f in mobiles[1:]),
        mobile=mobile.value if mobile else None,
        fax=faxes[0].value if faxes else None,
        emails=tuple(f.value for f in emails),
        website=website.value if website else None,
        address=address.value if address else None,
        wechat_id=wechat.value if wechat else None,
        qq=qq.value if qq else None,
        region=region,
        raw_text=raw_text,
        confidence=confidence,
    )


def _website_from_email_domain(loose: list[_Found], emails: list[_Found]) -> _Found | None:
    """A web address OCR broke ("wwwdingshengcn") that spells the e-mail domain once dots are ignored."""
    for site in loose:
        letters = re.sub(r"[^a-z0-9-]", "", site.value.lower()).removeprefix("www")
        for email in emails:
            domain = email.value.partition("@")[2]
            if letters and fuzz.ratio(letters, re.sub(r"[^a-z0-9-]", "", domain)) >= 90:
                return _Found(f"www.{domain}", min(site.confidence, email.confidence) * 0.8)
    return None


def _distinct_emails(found: Iterable[_Found]) -> list[_Found]:
    kept: list[_Found] = []
    for candidate in sorted(found, key=lambda f: -f.confidence):
        if any(fuzz.ratio(candidate.value, other.value) >= 90 for other in kept):
            continue
        kept.append(candidate)
    return kept
