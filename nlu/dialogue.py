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

from nlu import names
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
    # The input as written (full-width forms folded, Traditional characters and Cantonese kept), of the
    # same length as `text` so that a value found in `text` can be given back as the member wrote it.
    original: str = ""

    def restore(self, value: str) -> str:
        """`value` (found in the normalised text) as the member wrote it: 陳志明 rather than 陈志明."""
        if len(self.original) != len(self.text):
            return value
        start = self.text.find(value)
        return self.original[start : start + len(value)] if start >= 0 else value


_REP_NAMES = frozenset({"我", "me", "本人", "自己", "i", "myself", "rep", "you", "我方", "us"})
# Words in a display name that mark our own side: "Kai (sales)", "销售-孟凡", "Alex (us)".
_REP_TAGS = re.compile(
    r"^(?:sales|us|me|我方|account manager)$|(?:销售|销售顾问|客服|售前|售后|技术支持|客户经理|实施顾问)$",
    re.IGNORECASE,
)
# "Label: value" lines that are fields, not speakers.
_FIELD_LABELS = re.compile(
    r"^(?:电话|手机|座机|联系电话|电邮|邮箱|地址|微信|微信号|预算|时间|日期|备注|公司|单位|职位|职务|联系人|姓名|网址|官网|"
    r"需求|要求|主题|会议|地点|客户|项目|产品|报价|金额|数量|注意|提示|重要|总结|结论|问题|回复|答复|下一步|跟进|进展|"
    r"情况|背景|计划|目标|结果|原因|要点|纪要|会议纪要|待办|行动项|说明|补充|"
    r"tel|phone|mobile|cell|fax|e-?mail|address|addr|note|notes|budget|time|date|company|title|website|web|url|"
    r"qq|wechat|weixin|wx|vx|re|fwd|subject|todo|to do|http|https|ps|p\.s\.|q|"
    r"name|role|position|job title|department|dept|message|from|to|cc|sent|location|country|city|m|t|e|w|"
    r"mob|tel\.|whatsapp|linkedin|deadline|timeline|next steps?|next meeting|meeting|requirements?|needs?)$",
    re.IGNORECASE,
)
# A Chinese label naming a field or a step of the sale: "下次见面：…", "客户名称：…", "预计签约时间：…".
_FIELD_WORDS = re.compile(
    r"电话|手机|邮箱|地址|微信|预算|经费|时间|日期|备注|公司|单位|职位|职务|职称|联系|姓名|名称|需求|意向|见面|拜访|会议|"
    r"沟通|跟进|下一步|后续|计划|进度|节点|结论|现状|对象|参加|参会|决策|对接|部门|所在地|签约|名片|信息|资料|线索|联络|查询|询价|收到|"
    r"金额|产品|地点|关键|登记|备注|说明|总结|结果|情况|称呼|来源|行业|项目|资金|数量|规模|人数|网址|官网|地区|城市|"
    r"省份|区域|状态|阶段|级别|等级|座机|传真"
)
# "客户: 你好，我是…" is the customer speaking; "客户：刘建国" is a field.
_CUSTOMER_LABEL = re.compile(
    r"^(?:客户|客人|客|访客|游客|网友|甲方|customer|client|visitor|guest|prospect|lead|user)$", re.IGNORECASE
)
_SPEAKER_LINE = re.compile(r"^(?P<name>[^:\s][^:]{0,23}?)\s*:\s*(?P<text>.*)$")
_CLOCK = r"(?:上午|下午|晚上|凌晨|中午)?\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?"
# WeChat's copied chat: "张伟 10:32" / "张伟 2026/11/23 10:32" / "张伟 昨天 10:32", the message below;
# Slack and Teams the same way: "Raj Malhotra  10:21 AM".
_WECHAT_HEADER = re.compile(
    r"^(?P<name>\S.{0,23}?)\s+(?:(?:\d{4}[/.-])?\d{1,2}[/.-]\d{1,2}\s*|\d{4}年\d{1,2}月\d{1,2}日\s*|昨天\s*|前天\s*|"
    r"(?:星期|周|礼拜)[一二三四五六日天]\s*)?" + _CLOCK + "$"
)
# QQ's copied chat: "金鑫(2789013344) 14:20:11", the message below; the number is the QQ account.
_QQ_HEADER = re.compile(
    r"^(?P<name>\S.{0,20}?)[(（]\d{5,12}[)）]\s+(?:\d{4}[/.-]\d{1,2}[/.-]\d{1,2}\s+)?\d{1,2}:\d{2}(?::\d{2})?$"
)
# Telegram Desktop's copy of several messages: "Zhang Wei, [23.11.2026 10:32]", the message below.
_TELEGRAM_HEADER = re.compile(r"^(?P<name>\S.{0,40}?),\s*\[[\d./:, -]+\]$")
# A time stamp before the speaker: Telegram's export "[05.03.24 10:21] Name: text", WhatsApp's
# "[23/11/2026, 10:02] Name: text" and "23/11/2026, 10:02 - Name: text", Slack's "[09:12] name: text".
_STAMPED_LINE = re.compile(
    r"^(?:\[[\d./,\s-]*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?\]|"
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},?\s+\d{1,2}:\d{2}(?:\s*[AaPp][Mm])?\s+-)"
    r"\s*(?P<name>[^:]{1,40}?)\s*:\s*(?P<text>.*)$"
)
# Telegram's forwarded message and WeChat's merged forward: who wrote the lines that follow.
_FORWARDED = re.compile(r"^(?:forwarded from|转发自|来自)\s*[:：]?\s*(?P<name>.{1,40})$", re.IGNORECASE)
# Lines a messenger adds around the messages: day separators, "以下为新消息", recalls, group names.
_NOISE_LINE = re.compile(
    r"^[-—–=\s]*(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+星期.)?|以下(?:为|是)新消息|.{0,30}撤回了一条消息|"
    r".{0,30}recalled a message|群聊\s*[:：].*|聊天记录|.{0,30}的聊天记录|"
    r"(?:语音|视频)通话\s*(?:时长)?\s*[\d:]*)"
    r"[-—–=\s]*$",
    re.IGNORECASE,
)
# What a copied chat shows instead of media and stickers; a file or link line holds only its title.
_MEDIA = re.compile(
    r"\[(?:图片|照片|语音|表情|动画表情|视频|位置|红包|转账|OK|ok|微笑|抱拳|强|握手|玫瑰|呲牙|捂脸|偷笑|愉快|"
    r"Photo|Image|Sticker|Voice message|Video|GIF|Location)\]"
)
_ATTACHMENT = re.compile(r"^\[(?:文件|链接|File|Link|小程序|音乐)\]", re.IGNORECASE)
_REPORTED = re.compile(r"(?:说|讲|表示|问|回复|答|称|提到|says|said|asked|wrote)$", re.IGNORECASE)
# A form's value that is a person: "刘建国", "郝莉，女，…", "李先生", "窦老师".
_FIRST_TOKEN = re.compile(r"^(?P<token>[^,，;；\s(（]{2,6})(?:[,，;；\s(（]|$)")
_POLITE_NAME = re.compile(r"^[\u4e00-\u9fff]{1,2}(?:先生|女士|小姐|老师|总|经理|工)$")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d★☆♥♡✿❀]")
_LABEL_AT_LINE = re.compile(r"^\s*(?P<name>[^:\s][^:\n]{0,23}?)\s*:", re.MULTILINE)
_PHONE_LABEL = re.compile(r"^\+?[\d\s()-]{7,20}$")

# What a salesperson says and a customer does not, and the other way round: who is the rep when the
# chat shows two display names and neither is "我" / "Me".
_HONORIFIC_WORDS = "总|经理|工|老师|主任|院长|厂长|先生|女士|小姐|生|太|董|主管|组长|科长|部长|姐|哥"
_ADDRESSED = rf"[\u4e00-\u9fff]{{1,2}}(?:{_HONORIFIC_WORDS})"
_REP_CUES = re.compile(
    rf"^(?:{_ADDRESSED})(?:您好|你好|好|早|[,，])|^(?:在的|在呢|您好|你好)[,，!！\s]*{_ADDRESSED}|"
    rf"(?:好的|太好了|收到|谢谢|明白|了解)[,，!！\s]*{_ADDRESSED}|(?:收到|谢谢|好的|明白)[，,!！\s]*{_ADDRESSED}|请问(?:怎么称呼|您?贵姓|贵公司|是哪|您)|"
    r"怎么称呼|贵姓|方便(?:留|说|给|的话)|(?:给|帮)您|发您|您看|您那边|我们(?:的)?(?:产品|方案|系统|案例)|"
    r"我们(?:有|可以|都|也有)|预算(?:大概|是)?多少|(?:过去|上门)(?:拜访|演示)|拜访您|给您(?:线上)?演示|"
    r"\b(?:thanks for (?:reaching out|your (?:enquiry|inquiry))|happy to|may i (?:have|know)|"
    r"who am i speaking|let me check|we have a|our (?:platform|product)|are you (?:free|available)|"
    r"can (?:i|we) (?:call|meet|schedule)|"
    r"what(?:'s| is) your (?:timeline|budget)|i'll (?:call|text|send))\b",
    re.IGNORECASE,
)
_CUSTOMER_CUES = re.compile(
    r"我们(?:想|需要|要|打算|计划|在评估|预算|老板|公司|厂|是|在)|想(?:了解|问|咨询|要|做|上|换|找)|"
    r"预算(?:是|大概|大约|只有|不超过|就|在|控制)|我(?:的)?(?:电话|手机|微信|邮箱|号码)|我叫|我姓|"
    r"\b(?:we|i)\s*(?:need|want|are looking|'re looking|would like|'d like|are evaluating|'re evaluating)\b|"
    r"\bour (?:budget|office|company)\b|\bbudget is\b|\bmy (?:email|number|phone|cell|wechat|whatsapp)\b|"
    r"\bwe are\b|\bwe're\b|\byou can reach me\b",
    re.IGNORECASE,
)

# Clause ends: sentence punctuation, a comma not inside a number, ". " and a space between two Han
# characters (Whisper often separates Chinese clauses with spaces instead of punctuation).
_CLAUSE_END = re.compile(
    r"[。！？!?;；…\n]+|(?<!\d),|,(?!\d{3})|、(?=\S{6})|(?<!Inc)(?<!Ltd)(?<!Co)(?<!Corp)(?<!Mr)(?<!Ms)(?<!Mrs)(?<!Dr)(?<!St)\.(?=\s|$)|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])"
)
# Spoken Chinese strings clauses with these words instead of commas; each starts a new clause.
_DISCOURSE = re.compile(
    r"(?<=[\u4e00-\u9fff])(?=然后|另外|还有就是|对了|最后|接下来|所以|但是|不过|而且|同时|他说|她说|他们说)"
)


# Written Cantonese (Hong Kong, Guangdong) read as Mandarin before parsing: function words and the
# day words of business talk, each replaced by a word of the same length so that offsets still match
# the original text. 係 is only "is" in Traditional writing; in Simplified it is also 系 (系统), so
# there it counts only after a pronoun or before 咪/唔.
_CANTONESE_WORDS = {
    "听日": "明天", "听朝": "明早", "听晚": "明晚", "后日": "后天", "琴日": "昨天", "寻日": "昨天",
    "下昼": "下午", "上昼": "上午", "朝早": "早上", "几多": "多少", "几钱": "多少", "点样": "怎样",
    "点称呼": "怎称呼", "边个": "哪个", "倾下": "谈下", "倾吓": "谈下", "手提": "手机",
}  # fmt: skip
_CANTONESE_CHARS = str.maketrans({
    "嘅": "的", "喺": "在", "哋": "们", "佢": "他", "咗": "了", "唔": "不", "冇": "没", "嚟": "来",
    "睇": "看", "啲": "些", "搵": "找", "揾": "找", "俾": "给", "𠮶": "那",
})  # fmt: skip
_CANTONESE = re.compile("|".join(sorted(_CANTONESE_WORDS, key=len, reverse=True)))
_CANTONESE_IS = re.compile(r"(?<=[我你他她佢们哋就都真即又唔不])系|系(?=咪|唔)")


@functools.cache
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Full-width forms to ASCII (NFKC) and one kind of line break: the text as written, for display."""
    return unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")


def normalize(text: str) -> str:
    """Full-width forms to ASCII (NFKC); Traditional to Simplified Chinese (as Whisper often writes);
    written Cantonese function and day words to Mandarin. The length stays that of `fold(text)`."""
    folded = fold(text).replace("係", "是")
    converted: str = _to_simplified().convert(folded)
    if len(converted) != len(folded):
        return converted
    converted = _CANTONESE.sub(lambda m: _CANTONESE_WORDS[m[0]], converted)
    return _CANTONESE_IS.sub("是", converted.translate(_CANTONESE_CHARS))


def parse(text: str, now: datetime) -> Dialogue:
    """Split `text` into speakers' messages and clauses, and find the time expressions in each."""
    original = fold(text)
    normalized = normalize(text)
    messages = _sides(_messages(normalized))
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
    return Dialogue(normalized, tuple(messages), tuple(clauses), original)


def side_of(name: str) -> Side:
    label = name.strip()
    if label.lower() in _REP_NAMES:
        return Side.REP
    tags = [t.strip() for t in re.split(r"[()\[\]（）【】\-—|/,]", label) if t.strip()]
    return Side.REP if len(tags) > 1 and any(_REP_TAGS.search(t) for t in tags) else Side.CUSTOMER


def _messages(text: str) -> list[Message]:
    messages: list[Message] = []
    current: str | None = None
    transcript = _is_transcript(text)
    for raw_line in text.split("\n"):
        line = _MEDIA.sub("", raw_line).strip()
        if not line or _NOISE_LINE.match(line) or _ATTACHMENT.match(line):
            continue
        forwarded = _FORWARDED.match(line)
        if forwarded:
            current = forwarded["name"].strip()
            continue
        stamped = _STAMPED_LINE.match(line)
        if stamped and (_is_speaker(stamped["name"]) or _PHONE_LABEL.match(stamped["name"])):
            name = stamped["name"].strip()
            if stamped["text"].strip():
                messages.append(Message(name, side_of(name), stamped["text"].strip()))
            continue
        header = _QQ_HEADER.match(line) or _WECHAT_HEADER.match(line) or _TELEGRAM_HEADER.match(line)
        if header and _is_header_name(header["name"]):
            current = header["name"].strip()
            continue
        said = _SPEAKER_LINE.match(line)
        speaking = _speaking_customer(said["name"], said["text"], transcript=transcript) if said else False
        # "今日收到一个查询：" with nothing after it is a heading, not someone speaking.
        if said and said["text"].strip() and (_is_label_name(said["name"]) or speaking):
            name = said["name"].strip()
            messages.append(Message(name, side_of(name), said["text"].strip()))
            continue
        if current is not None:
            messages.append(Message(current, side_of(current), line))
        else:
            messages.append(Message(None, Side.NARRATOR, line))
    return messages


def _is_header_name(name: str) -> bool:
    """A display name above messages; "let's meet Wednesday 3:30pm" is a message ending in a time."""
    name = name.strip()
    return bool(_CUSTOMER_LABEL.match(name)) or _is_label_name(name)


_PARTICLES = frozenset(
    ("de", "van", "von", "der", "den", "da", "di", "du", "del", "della", "dos", "das", "le", "bin")
)


def _is_label_name(name: str) -> bool:
    """A speaker's name; Latin words in lower case outside brackets make it a phrase ("call booked")."""
    name = name.strip()
    words = re.sub(r"[(\[（【].*?[)\]）】]", "", name).split()
    han = re.search(r"[\u4e00-\u9fff]", name)
    # "Sanne de Vries": a particle of a surname is lower case too.
    if (
        len(words) > 1
        and not han
        and any(w[0].isalpha() and w[0].islower() and w not in _PARTICLES for w in words)
    ):
        return False
    return _is_speaker(name)


def _is_transcript(text: str) -> bool:
    """Whether "客户:" lines are a customer speaking: several of them, or beside the rep's "我:" lines."""
    labels = [m["name"].strip() for m in _LABEL_AT_LINE.finditer(text)]
    customer = sum(1 for label in labels if _CUSTOMER_LABEL.match(label))
    rep = any(label.lower() in _REP_NAMES for label in labels)
    return customer >= 2 or (customer >= 1 and rep)


def _speaking_customer(label: str, text: str, *, transcript: bool = False) -> bool:
    """ "客户: 你好，我是…" (a transcript) rather than "客户：刘建国" or "客户：郝莉，女，…" (a field)."""
    if not _CUSTOMER_LABEL.match(label.strip()):
        return False
    if transcript:
        return True
    if _starts_with_name(text):
        return False
    return len(text) > 12 or bool(re.search(r"[，,。.!！?？~～]|我|你|您|\b(?:I|we|you)\b", text))


def _starts_with_name(text: str) -> bool:
    first = _FIRST_TOKEN.match(text)
    if first is None:
        return False
    token = first["token"]
    polite = _POLITE_NAME.match(token) and names.surname_length(token) > 0
    return bool(names.is_chinese_name(token) or polite)


def _is_speaker(name: str) -> bool:
    # WeChat remark names often start with a sorting prefix ("A. 徐工", "A001-陶总") and carry emoji
    # ("🌸Lily🌸").
    name = _EMOJI.sub("", name).strip()
    name = re.sub(r"^(?:[A-Za-z]\.\s*|[A-Za-z]?\d{1,4}\s*[-.]\s*)(?=\S)", "", name)
    if not name or _FIELD_LABELS.match(name) or _REPORTED.search(name):
        return False
    if any(ch.isdigit() for ch in name):
        return False
    # WeCom shows an outside contact as "李娜@恒瑞制药"; an e-mail address is no name.
    if "http" in name.lower() or re.search(r"@[\w.-]*\.[A-Za-z]{2,}|@$|^@", name):
        return False
    han = sum(1 for ch in name if "\u4e00" <= ch <= "\u9fff")
    if han:
        # A Chinese display name has no sentence in it; "(华为)" / "-华为" suffixes are common.
        core = re.split(r"[(\[（【\-—|/]", name, maxsplit=1)[0].strip() or name
        core = re.sub(r"\b(?:Mr|Ms|Mrs|Dr|Prof)\.", "", core)  # "Mr. Sato 佐藤"
        if _FIELD_WORDS.search(core) and not _CUSTOMER_LABEL.match(core):
            return False
        return 1 <= len(core) <= 12 and not re.search(r"[,.!?，。的了是在要]", core)
    outside = re.sub(r"[(\[（【].*?[)\]）】]", "", name).split()
    return 0 < len(outside) <= 4 and name[0].isalpha()


def _sides(messages: list[Message]) -> list[Message]:
    """Our rep among display names: with two or more customer-side speakers and nobody on our side,
    the one who talks most like a salesperson (greets by honorific, offers demos, asks the budget)."""
    speakers = list(dict.fromkeys(m.speaker for m in messages if m.side is Side.CUSTOMER and m.speaker))
    if not speakers:
        return messages
    score = dict.fromkeys(speakers, 0)
    for m in messages:
        if m.speaker in score:
            score[m.speaker] += len(_REP_CUES.findall(m.text)) - len(_CUSTOMER_CUES.findall(m.text))
    if any(m.side is Side.REP for m in messages):
        # A colleague of the rep's in the same chat ("王总好，我是云帆的技术支持张宇") is on our side too.
        ours = {name for name, value in score.items() if value >= 2}
        if len(ours) < len(speakers):
            return [replace(m, side=Side.REP) if m.speaker in ours else m for m in messages]
        return messages
    if len(speakers) < 2:
        return messages
    ranked = sorted(score.items(), key=lambda item: -item[1])
    rep, best = ranked[0]
    if best < 1 or best == ranked[1][1]:
        return messages
    return [replace(m, side=Side.REP) if m.speaker == rep else m for m in messages]


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
