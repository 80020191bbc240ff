"""A chat or transcript as messages (who said it, which side they are on) split into clauses."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

import opencc

from nlu.timeexpr import find_times
from nlu.timemodel import TimeMention


class Side(Enum):
    REP = "rep"  # the sales rep: "我: ..." / "Me: ..."
    CUSTOMER = "customer"  # any other named speaker
    NARRATOR = "narrator"  # free text or a voice note: the rep speaking about the customer


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of one message, with the time expressions inside it (offsets into `text`)."""

    text: str
    side: Side
    speaker: str | None
    message: int
    times: tuple[TimeMention, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    speaker: str | None
    side: Side
    text: str


@dataclass(frozen=True, slots=True)
class Dialogue:
    text: str  # the whole input, normalised
    messages: tuple[Message, ...]
    clauses: tuple[Clause, ...]


_REP_NAMES = frozenset({"我", "me", "本人", "自己", "i", "myself", "rep"})
# "Label: value" lines that are fields, not speakers.
_FIELD_LABELS = re.compile(
    r"^(?:电话|手机|座机|联系电话|电邮|邮箱|地址|微信|微信号|预算|时间|日期|备注|公司|单位|职位|职务|联系人|姓名|网址|官网|"
    r"需求|要求|主题|会议|地点|客户|项目|产品|报价|金额|数量|注意|提示|重要|总结|结论|问题|回复|答复|下一步|跟进|进展|"
    r"情况|背景|计划|目标|结果|原因|要点|纪要|会议纪要|待办|行动项|说明|补充|"
    r"tel|phone|mobile|cell|fax|e-?mail|address|addr|note|notes|budget|time|date|company|title|website|web|url|"
    r"qq|wechat|weixin|wx|vx|re|fwd|subject|todo|to do|http|https|ps|p\.s\.|q|a)$",
    re.IGNORECASE,
)
_SPEAKER_LINE = re.compile(r"^(?P<name>[^:\s][^:]{0,23}?)\s*:\s*(?P<text>.*)$")
# WeChat's copied chat: "张伟 10:32" / "张伟 2026/11/23 10:32" / "张伟 昨天 10:32", the message below.
_WECHAT_HEADER = re.compile(
    r"^(?P<name>\S.{0,23}?)\s+(?:(?:\d{4}[/.-])?\d{1,2}[/.-]\d{1,2}\s*|昨天\s*|前天\s*|星期.\s*|周.\s*)?"
    r"(?:上午|下午|晚上|凌晨)?\s*\d{1,2}:\d{2}(?::\d{2})?$"
)
# Telegram Desktop's copy of several messages: "Zhang Wei, [23.11.2026 10:32]", the message below.
_TELEGRAM_HEADER = re.compile(r"^(?P<name>\S.{0,40}?),\s*\[[\d./:, -]+\]$")
_REPORTED = re.compile(r"(?:说|讲|表示|问|回复|答|称|提到|says|said|asked|wrote)$", re.IGNORECASE)

# Clause ends: sentence punctuation, a comma not inside a number, ". " and a space between two Han
# characters (Whisper often separates Chinese clauses with spaces instead of punctuation).
_CLAUSE_END = re.compile(
    r"[。！？!?;；…\n]+|(?<!\d),|,(?!\d{3})|、(?=\S{6})|(?<!Inc)(?<!Ltd)(?<!Co)(?<!Corp)(?<!Mr)(?<!Ms)(?<!Mrs)(?<!Dr)(?<!St)\.(?=\s|$)|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])"
)
# Spoken Chinese strings clauses with these words instead of commas; each starts a new clause.
_DISCOURSE = re.compile(
    r"(?<=[\u4e00-\u9fff])(?=然后|另外|还有就是|对了|最后|接下来|所以|但是|不过|而且|同时|他说|她说|他们说)"
)


@functools.cache
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Full-width forms to ASCII (NFKC); Traditional to Simplified Chinese (as Whisper often writes)."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    converted: str = _to_simplified().convert(text)
    return converted


def parse(text: str, now: datetime) -> Dialogue:
    """Split `text` into speakers' messages and clauses, and find the time expressions in each."""
    normalized = normalize(text)
    messages = _messages(normalized)
    clauses: list[Clause] = []
    for index, message in enumerate(messages):
        speaker, side, body = message.speaker, message.side, message.text
        times = find_times(body, now)
        for start, end in _clause_spans(body):
            piece = body[start:end]
            stripped = piece.strip()
            if not stripped:
                continue
            shift = start + piece.index(stripped[0])
            inside = tuple(
                replace(m, start=m.start - shift, end=m.end - shift)
                for m in times
                if shift <= m.start < shift + len(stripped)
            )
            clauses.append(Clause(stripped, side, speaker, index, inside))
    return Dialogue(normalized, tuple(messages), tuple(clauses))


def side_of(name: str) -> Side:
    return Side.REP if name.strip().lower() in _REP_NAMES else Side.CUSTOMER


def _messages(text: str) -> list[Message]:
    messages: list[Message] = []
    current: str | None = None
    for raw_line in text.split("\n"):
        line = raw_line.strip()
        if not line:
            continue
        header = _WECHAT_HEADER.match(line) or _TELEGRAM_HEADER.match(line)
        if header and _is_speaker(header["name"]):
            current = header["name"].strip()
            continue
        said = _SPEAKER_LINE.match(line)
        if said and _is_speaker(said["name"]):
            name = said["name"].strip()
            messages.append(Message(name, side_of(name), said["text"].strip()))
            continue
        if current is not None:
            messages.append(Message(current, side_of(current), line))
        else:
            messages.append(Message(None, Side.NARRATOR, line))
    return messages


def _is_speaker(name: str) -> bool:
    name = name.strip()
    if not name or _FIELD_LABELS.match(name) or _REPORTED.search(name):
        return False
    if any(ch.isdigit() for ch in name) or "http" in name.lower() or "@" in name:
        return False
    han = sum(1 for ch in name if "\u4e00" <= ch <= "\u9fff")
    if han:
        # A Chinese display name has no sentence in it; "(华为)" / "-华为" suffixes are common.
        core = re.split(r"[(\[（【\-—|/]", name, maxsplit=1)[0].strip()
        return 1 <= len(core) <= 8 and not re.search(r"[,.!?，。的了是在要]", core)
    return len(name.split()) <= 4 and name[0].isalpha()


def _clause_spans(body: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CLAUSE_END.finditer(body):
        spans.extend(_discourse_split(body, start, match.start()))
        start = match.end()
    spans.extend(_discourse_split(body, start, len(body)))
    return spans


def _discourse_split(body: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start] + [m.start() for m in _DISCOURSE.finditer(body, start, end) if m.start() > start] + [end]
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]
