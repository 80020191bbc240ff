"""A contact written as one short line: "华为技术有限公司 张伟 13812345678", "John Smith +1 650 253 0000".

Reps note a contact as its parts side by side. A token that reads as a Chinese name (张伟, see
nlu.names) or as an honorific (张工, 王总, 张先生) is the contact's name when it stands between
separators right next to a phone number, an e-mail address, a WeChat id, a company or a title. A name
alone on its line may have that neighbour on the line before or after (a pasted signature).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nlu import names, patterns, people, region
from nlu.company import find_companies
from nlu.keywords import find_keywords
from nlu.phones import find_phones, prepare

_CONTACT = "\ue000"  # a masked phone number, e-mail address or WeChat id (private-use characters)
_COMPANY = "\ue001"  # a masked company name
_TOKEN = re.compile(r"[\ue000\ue001]|[^\s,;:、|/()\[\]【】<>《》\"“”‘’'—~\ue000\ue001-]+")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_HAN_RUN = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff]{2,4}(?![\u4e00-\u9fff])")
# Words that name the field that follows them; they sit between a name and its number.
_LABEL = re.compile(
    r"联系电话|联系方式|电话|手机号?|座机|号码|电邮|邮箱|微信号?|"
    r"(?i:tel|phone|mobile|cell|e|mail|email|wechat|wx|vx|qq)"
)
_POLITE = ("先生", "女士", "小姐")
_TITLE = re.compile(rf"{people.TITLE_ZH}|{people.WORKS_IN}|(?:{people.DEPTS})(?:部|中心|处|科|室)")
# What a company token next to a name never contains: grammar, relations, times and digits.
_NOT_ORG = re.compile(
    r"[的了是在和说吗呢吧啊呀哦嗯我你他她您待已需]|客户|朋友|同事|老板|领导|介绍|推荐|联系|认识|拜访|跟进|回访|"
    r"意向|重要|优质|潜在|备注|名片|老师|[今明昨后前]天|[上下中]午|晚上|早上|周[一二三四五六日天末]|星期|礼拜|"
    r"对接|联系人|负责人|线索|对方|^姓|商祺|敬礼|此致|祝好|"
    r"\d"
)
_NOT_ORG_LATIN = frozenset(
    ("VIP", "OK", "PS", "TODO", "NEW", "HOT", "RE", "FW", "FWD", "HI", "HELLO", "NOTE")
)
_LATIN_ORG = re.compile(r"[A-Za-z][A-Za-z0-9&.]{1,19}")
# English: "John Smith +1 650 253 0000", "Call Li Ming at 13812345678", "+86 138… Zhang Wei".
_EN_LEAD = (
    r"(?i:call|contact|email|e-mail|text|ask|ping|reach|phone|message|meet|met|visit|visited"
    r"|mr\.?|ms\.?|mrs\.?|dr\.?)"
)
_EN_WORDS = r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}"
_EN_BEFORE = re.compile(
    rf"(?:^|(?<=[\s,;:(]))(?:(?P<lead>{_EN_LEAD})\s+)?(?P<name>{_EN_WORDS})"
    rf"\s*(?:[,:;(-]\s*|\s+(?i:at|on|via|tel|phone|mobile|cell)\.?:?\s*)?[{_CONTACT}{_COMPANY}]"
)
_EN_AFTER = re.compile(rf"{_CONTACT}\s*[,;]?\s*(?P<name>{_EN_WORDS})\s*$")
_EN_NOT_NAME = frozenset((
    "Inc", "Ltd", "Co", "Corp", "Corporation", "Group", "Limited", "Technologies", "Technology", "Systems",
    "Holdings", "LLC", "GmbH", "Tel", "Phone", "Mobile", "Cell", "Email", "Mail", "Fax", "Office", "Wechat",
    "WeChat", "Address", "Website", "Call", "Contact", "New", "San", "Los", "Las", "Hong", "Kong",
    "Singapore", "London", "Tokyo",
))  # fmt: skip


_ANCHORS = frozenset(("contact", "company", "title"))
_FIELDS = frozenset(("contact", "company", "title", "org"))
_SIGNATURE_LINES = 4


@dataclass(frozen=True, slots=True)
class LineContact:
    """The name on a contact line, with the title and the company written beside it."""

    name: str
    title: str | None = None
    org: str | None = None


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # contact, company, label, title, name, org, other
    text: str


def find_contact(lines: Sequence[str]) -> LineContact | None:
    """The first contact line among `lines` (each one message or line, NFKC-normalised)."""
    return next((contact for _, contact in find_contacts(lines)), None)


def find_contacts(lines: Sequence[str]) -> list[tuple[int, LineContact]]:
    """Every contact line among `lines`, with the index of the line it is on."""
    found: list[tuple[int, LineContact]] = []
    for index, line in enumerate(lines):
        if not _may_have_name(line):
            continue
        masked, companies = _mask(line)
        contact = _chinese(lines, index, masked, companies) or _english(masked)
        if contact is not None:
            found.append((index, contact))
    return found


def _may_have_name(line: str) -> bool:
    """A cheap test that skips most lines of a chat before any phone or company matching."""
    return any(_is_name(run) for run in _HAN_RUN.findall(line)) or bool(
        re.search(r"[A-Z][a-z]+\s+[A-Z][a-z]+|(?i:call|contact|email|text|ask)\s+[A-Z]", line)
    )


def _mask(line: str) -> tuple[str, list[str]]:
    """`line` with each phone, e-mail, WeChat id and company replaced by one placeholder character,
    and the companies masked, in order."""
    text = prepare(line)
    spans = [(m.start, m.end, _CONTACT) for m in find_phones(line)]
    spans += [(start, end, _CONTACT) for start, end in patterns.contact_spans(text)]
    for company in find_companies(text):
        start = text.find(company)
        if start >= 0:
            spans.append((start, start + len(company), company))
    pieces: list[str] = []
    companies: list[str] = []
    position = 0
    for start, end, what in sorted(spans):
        if start < position:
            continue
        if what != _CONTACT:
            companies.append(what)
        pieces += [text[position:start], _CONTACT if what == _CONTACT else _COMPANY]
        position = end
    pieces.append(text[position:])
    return "".join(pieces), companies


def _tokens(masked: str, companies: list[str]) -> list[_Token]:
    tokens: list[_Token] = []
    company = iter(companies)
    for text in _TOKEN.findall(masked):
        if text == _COMPANY:
            tokens.append(_Token("company", next(company, "")))
        elif text == _CONTACT:
            tokens.append(_Token("contact", text))
        elif _LABEL.fullmatch(text):
            tokens.append(_Token("label", text))
        elif _is_name(text):
            tokens.append(_Token("name", text))
        elif _TITLE.fullmatch(text):
            tokens.append(_Token("title", text))
        elif _is_org(text):
            tokens.append(_Token("org", text))
        else:
            tokens.append(_Token("other", text))
    return _joined_titles(tokens)


_DEPT_ONLY = re.compile(rf"(?:{people.DEPTS})(?:部|中心|处|科|室)|[\u4e00-\u9fff]{{2,4}}(?:部|中心|处|科|室)")


def _joined_titles(tokens: list[_Token]) -> list[_Token]:
    """ "项目部 总工", "技术中心  主任": a department and the title after it are one title."""
    joined: list[_Token] = []
    for token in tokens:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and token.kind == "title"
            and previous.kind in ("title", "org")
            and _DEPT_ONLY.fullmatch(previous.text)
            and not _DEPT_ONLY.fullmatch(token.text)
        ):
            joined[-1] = _Token("title", previous.text + token.text)
        else:
            joined.append(token)
    return joined


def _chinese(lines: Sequence[str], index: int, masked: str, companies: list[str]) -> LineContact | None:
    tokens = _tokens(masked, companies)
    for position, token in enumerate(tokens):
        if token.kind != "name":
            continue
        left, left_org = _neighbour(tokens, position, -1)
        right, right_org = _neighbour(tokens, position, 1)
        beside = [t for t in (left, right) if t is not None]
        fields = [t for t in tokens if t.kind == "title"]
        if all(t.kind == "label" for i, t in enumerate(tokens) if i != position):
            # Alone on its line: a pasted signature, with the company, title and number on the lines
            # around it, or a note with the number on the next line.
            beside += [t for t in (_edge(lines, index - 1, -1), _edge(lines, index + 1, 0)) if t is not None]
            fields += _signature(lines, index)
        if not any(t.kind in _ANCHORS for t in (*beside, *fields)):
            continue
        # Of several titles on a line ("采购部高级经理 邹立强、IT经理 隋晓东") the one beside the name.
        near = [t for t in (left, right) if t is not None and t.kind == "title" and t in tokens]
        adjacent = [
            tokens[i].text
            for i in (position - 1, position + 1)
            if 0 <= i < len(tokens) and tokens[i].kind == "title"
        ]
        title = (
            adjacent[0] if adjacent else next((t.text for t in (*near, *fields) if t.kind == "title"), None)
        )
        if title is not None and (works := re.fullmatch(people.WORKS_IN, title)):
            title = works["dept"]
        company = next((t.text for t in (*beside, *fields) if t.kind == "company"), None)
        org = next((t.text for t in fields if t.kind == "org"), None)
        return LineContact(token.text, title, company or left_org or right_org or org)
    return None


def _signature(lines: Sequence[str], index: int) -> list[_Token]:
    """The tokens of the lines right before and after `index` that hold only contact fields."""
    found: list[_Token] = []
    for step in (-1, 1):
        other = index + step
        while 0 <= other < len(lines) and abs(other - index) <= _SIGNATURE_LINES:
            tokens = [t for t in _tokens(*_mask(lines[other])) if t.kind != "label"]
            if not tokens or any(t.kind not in _FIELDS for t in tokens):
                break
            found += tokens
            other += step
    return found


def _neighbour(tokens: list[_Token], position: int, step: int) -> tuple[_Token | None, str | None]:
    """The next token that is not a label, looking past one company-like word ("张伟 华为 138…")."""
    org: str | None = None
    position += step
    while 0 <= position < len(tokens):
        token = tokens[position]
        if token.kind == "org" and org is None:
            org = token.text
        elif token.kind != "label":
            return token, org
        position += step
    return None, org


def _edge(lines: Sequence[str], index: int, end: int) -> _Token | None:
    """The first (end=0) or last (end=-1) meaningful token of another line."""
    if not 0 <= index < len(lines):
        return None
    tokens = [t for t in _tokens(*_mask(lines[index])) if t.kind != "label"]
    return tokens[end] if tokens else None


def _is_name(token: str) -> bool:
    if names.is_chinese_name(token) or (people.is_honorific(token) and not names.is_common_word(token)):
        return True
    surname = names.surname_length(token)
    return surname > 0 and token[surname:] in _POLITE


def _is_org(token: str) -> bool:
    """A word beside a name that can be the company's short name (华为, 腾讯, IBM)."""
    if _HAN.fullmatch(token):
        if not 2 <= len(token) <= 8 or names.is_common_word(token) or region.is_place(token):
            return False
    elif _LATIN_ORG.fullmatch(token):
        if token.upper() in _NOT_ORG_LATIN or not any(ch.isupper() for ch in token) or find_keywords(token):
            return False
    else:
        return False
    return not _NOT_ORG.search(token) and not _TITLE.fullmatch(token)


def _english(masked: str) -> LineContact | None:
    for m in (*_EN_BEFORE.finditer(masked), *_EN_AFTER.finditer(masked)):
        words = re.split(r"[ -]", m["name"])
        while words and not _is_english_name_word(words[0]):
            words = words[1:]
        lead = m.groupdict().get("lead")
        name = " ".join(words)
        if (
            words
            and all(_is_english_name_word(w) for w in words)
            and (len(words) >= 2 or lead)
            and not re.search(people.EN_TITLE, name)
            and not region.english_place_names(name)
        ):
            return LineContact(name)
    return None


def _is_english_name_word(word: str) -> bool:
    return people.is_english_name_word(word) and word not in _EN_NOT_NAME
