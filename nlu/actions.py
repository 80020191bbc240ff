"""What people said they will do: commitments, the rep's to-dos and reminders, meetings, needs, timelines."""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum

from crm.facts import Party
from nlu.dialogue import Clause, Side
from nlu.timemodel import TimeMention

_REMINDER = re.compile(
    r"提醒(?:一下)?我|记得提醒我|\bremind\s+me\b|\bset\s+(?:a\s+)?reminder\b", re.IGNORECASE
)
_ASKED_ME = frozenset(("让我", "叫我", "要我"))
_PROMISE = re.compile(
    r"承诺|答应|保证|确保|包送|免费送|免费提供|赠送|送(?:[一二两三四五六七八九十\d]+次|他们|给他们)|"
    r"\bpromised?\b|\bcommit(?:ted|s)?\s+to\b|\bguarantee[sd]?\b|\bagreed\s+to\b|\bwill\s+make\s+sure\b",
    re.IGNORECASE,
)
_ACTION_VERBS = (
    "发|给|提供|准备|安排|寄|送|出|报价|报|做|回复|回电话|回电|回个|回|确认|反馈|签|联系|打电话|打个电话|电话|跟进|约|拜访|"
    "整理|提交|催|问|查|申请|演示|培训|对接|上门|过去|汇报|沟通|更新|修改|调整|核实|落实|推进|邀请|写|改"
)
_TODO = re.compile(
    r"(?:需要|要|记得|得|回头|待会儿?|稍后|抽空|别忘了|别忘记|尽快|马上|让我|叫我|要我)(?=\s*(?:再|先|去|来|给|把.{0,10}?|跟|和|找|帮)?\s*(?:{verbs}))|"
    r"\b(?:I|we)\s+(?:need|have|got)\s+to\b|\b(?:I|we)\s+must\b|\bneed\s+to\b|\bhave\s+to\b|\bdon'?t\s+forget\s+to\b|"
    r"^(?:todo|to\s*do|to-do)\b|\bfollow\s+up\b".replace("{verbs}", _ACTION_VERBS),
    re.IGNORECASE,
)
# "我明天给他打电话", "我周五把资料整理好": the rep saying what they will do at a time is a to-do too
# (a visit said so, "我周三过去", stays the next meeting).
_SELF_ACTION = re.compile(
    r"^\s*(?:那|然后|回头|之后)?\s*我(?!们)(?:这边)?\s*(?:再|先|会|就|得|要|去|来|也|还)*\s*"
    r"(?:给|跟|和|把|找|帮|去|来)?[^,，。;；!！?？]{0,8}?"
    r"(?:打电话|打个电话|回电话|回电|联系|跟进|发|寄|送|提供|准备|报价|确认|反馈|催|汇报|整理|提交)"
)
_SELF = re.compile(r"^\s*(?:那|然后|回头|之后)?\s*我(?:这边)?\s*(?:再|先|会|就|得|要|也|还)*\s*")
_FUTURE_ACTION = re.compile(
    r"(?:发给|发过来|发过去|发你|发您|寄给|送给|提供|准备好|安排|回复|确认|反馈|报价|出方案|出报价|签合同|付款|打款|"
    r"给你|给您|给你们|给贵司|给我们|给我)"
    r"|\b(?:we'?ll|we\s+will|I'?ll|I\s+will|they'?ll|they\s+will|he'?ll|she'?ll|we\s+are\s+going\s+to|we'?re\s+going\s+to)"
    r"\s+(?:send|share|provide|deliver|prepare|give|get\s+back|arrange|follow\s+up|sign|pay|set\s+up|do|offer|include)",
    re.IGNORECASE,
)
# English words are bounded by non-letters rather than \b: in "能demo吗" the Han characters around the
# word are word characters too.
_MEETING = re.compile(
    r"约|见面|见个面|拜访|开会|去一趟|过去(?=[\s,，。!！]|$|一趟|看看|拜访|演示|聊|谈)|会议|碰一下|碰个面|碰面|聊一下|聊聊|面谈|面聊|过来|来公司|来我们|来一趟|上门|演示|"
    r"来我|到我|办公室|打电话|打个电话|通电话|电话沟通|电话聊|电话会|视频会|线上会|腾讯会议|飞书会议|沟通一下|交流一下|汇报|见一下|"
    r"(?:来|去|到|上来)(?:你们?|您们?|贵司|贵公司|店里?|厂里?|工厂|现场|学校|医院|园区|仓库)|讲一下|讲讲|介绍一下|"
    r"给(?:您|你)(?:打个?)?电话|电话(?:详细)?(?:介绍|聊|沟通)|(?:来|去|过来)看看|看现场|视频聊|视讯|"
    r"线上沟通|线上演示|远程演示|评审会|方案评审|详谈|详聊|简报|下次沟通|下次联系|有空|得不得|吃饭|饭局|喝茶|调研|驻场|"
    r"(?:来|去|过来|过去|上来)[^,，。!！?？]{0,6}找(?:你|您|我)|打给(?:他|她|你|您|我)|回电|谈下|谈一下|谈谈|聊下|聊吧|"
    r"(?:过去|过来|去|来)[^,，。!！?？]{0,6}一趟|到[^,，。!！?？]{1,10}来|启动会|交流会|研讨会|沟通会|推进会|汇报会|"
    r"(?<![A-Za-z])(?:walk\s*-?\s*through|talk|chat|reconvene|regroup|touch\s+base|follow[\s-]up\s+(?:call|meeting)|want\s+to\s+see|see\s+the\s+\w+\s+(?:module|demo|product)|walk\s+(?:us|me)\s+through|are\s+you\s+free|you\s+free|be\s+free|i'?m\s+free|available\s+(?:on|for|at))(?![A-Za-z])|"
    r"地点|讨论|商谈|洽谈|坐坐|打我(?:的)?(?:电话|手机)|当面|面对面|对一下|过一下|线上聊|线上会议|网上聊|"
    r"(?<![A-Za-z])(?:meet(?:ing)?|call|demo|visit|presentation|catch\s+up|sync|zoom|teams|lunch|dinner|coffee|"
    r"connect|conference|present|come\s+(?:to|over|by)|drop\s+by|hop\s+on)(?![A-Za-z])",
    re.IGNORECASE,
)
# "方不方便" asks; "不方便" declines.
_DECLINED = re.compile(
    r"不行|(?<!方)不方便|没空|没时间|取消|改期|来不了|去不了|不在|\bcan'?t\b|\bcannot\b|\bnot\s+available\b|"
    r"\bdoesn'?t\s+work\b|\bwon'?t\s+work\b|\bcancel",
    re.IGNORECASE,
)
_TIMELINE = re.compile(
    r"上线|交付|部署|落地|签约|签合同|签单|能签|可以签|签下来|下单|招标|投标|验收|实施|启动(?!会)|立项|定下来|拍板|做决定|投入使用|用起来|"
    r"试点|试用|选型|采购(?!总监|经理|部|主管|员|专员|中心|负责人|工程师|助理|的)|到位|完成|开始用|切换|要定|敲定|决定|决标|签好|签完|送到|到货|用上|能用|投产|装好|装完|安装|开标|定标|评标|中标|要换|换掉|更换|替换|换成|(?<=前)签|签(?=了|吧|$)|"
    r"(?<![A-Za-z])(?:finali[sz]e|live|decided?|tender(?:ing)?|award)(?![A-Za-z])|"
    r"\bgo(?:ing)?[\s-]live\b|\blaunch\b|\bdeploy|\broll[\s-]?out\b|\bdeliver|\bsign\b|\bpurchase\b|\bdecide\b|"
    r"\bdecision\b|\bimplement|\bkick[\s-]?off\b|\bstart\s+using\b|\bprocure|\bfinish(?:ed)?\b|"
    r"\bcomplet(?:e|ed|ion)\b|\bmigrat|完工|竣工|投用|正式(?:使)?用|启用|做完|标书|挂网",
    re.IGNORECASE,
)
# "现在的系统", "currently": the present, not when a milestone falls.
_NOW_WORDS = re.compile(r"现在|目前|当前|眼下|now|currently|at\s+the\s+moment", re.IGNORECASE)
_NEED = re.compile(
    r"(?P<cue>需要|想要|要求|希望(?:能|有)?|需求是|需求有|主要需求|关注|看重|痛点是|想上|想做|打算上|考虑上|缺少?|急需)"
    r"|(?P<en>\b(?:need|needs|want|wants|require|requires|looking\s+for|interested\s+in|asking\s+for)\b)",
    re.IGNORECASE,
)
_ACTION_START = re.compile(
    r"\s*(?:能|可以|尽快|早点|按时)?\s*(?:上线|交付|部署|落地|签约|完成|验收)|\s*把|\s*(?:再|先|去|来|跟|和|找|帮|我们|我)?\s*(?:发|给他|给她|给他们|提供报价|准备|安排|寄|送|回复|回电话|确认|反馈|联系|打电话|"
    r"跟进|约|拜访|整理|提交|催|问|查|申请|汇报|沟通|报价|考虑|讨论|研究|商量|时间|多久|多少)|\s*to\b",
    re.IGNORECASE,
)


class Person(Enum):
    FIRST = 1
    SECOND = 2
    THIRD = 3


_SUBJECTS = (
    (Person.FIRST, re.compile(r"我们|我司|我方|我这边|咱们|本公司|我|\b(?i:we)\b|\bI\b|\bI'(?:ll|m|d)\b")),
    (Person.SECOND, re.compile(r"你们|贵司|贵公司|您|你|\b(?i:you)\b")),
    (
        Person.THIRD,
        re.compile(r"他们|对方|客户|甲方|他|她|[\u4e00-\u9fff][总工]|\b(?i:they|he|she|the\s+client)\b"),
    ),
)
# Words that put a delivery in the future: "我们报价80万" states a price, "我们会发报价" promises one.
_FUTURE = re.compile(
    r"会|将|马上|尽快|稍后|晚点|回头|这就|待会|一会|等下|\bwill\b|'ll\b|\bgoing\s+to\b|\bshall\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"[吗么?]\s*$|可以吗|行吗|好吗|方便吗|怎么样|能否|是否|要不要|\b(?:can|could|shall|should)\s+we\b",
    re.IGNORECASE,
)
_FILLER = re.compile(r"^(?:好的|好|行|嗯|OK|ok|Okay|okay|Sure|sure|没问题|可以)\s*[,，!！]?\s*")
_TRAILING = re.compile(r"^[\s,，:：、的了吧呢啊呀哈]+|[\s,，:：、了吧呢啊呀哈!！?？.]+$")


def subject_of(text: str) -> Person | None:
    """The grammatical person of the first pronoun (or pronoun-like noun) in a clause."""
    best: tuple[int, Person] | None = None
    for person, pattern in _SUBJECTS:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), person)
    return best[1] if best else None


def party(clause: Clause, person: Person | None) -> Party:
    """Who is bound by a promise in `clause`, from the speaker's side and the subject's person."""
    speaker_is_us = clause.side is not Side.CUSTOMER
    if person is Person.THIRD:
        return Party.CUSTOMER
    if person is Person.SECOND:
        return Party.CUSTOMER if speaker_is_us else Party.US
    return Party.US if speaker_is_us else Party.CUSTOMER


def is_reminder(clause: Clause) -> bool:
    return clause.side is not Side.CUSTOMER and bool(_REMINDER.search(clause.text))


def reminder_text(clause: Clause) -> str:
    text = _without_times(clause)
    m = _REMINDER.search(text)
    if m:
        text = text[: m.start()] + " " + text[m.end() :]
    text = re.sub(r"^\s*(?:to|about|that)\b", "", text.strip(), flags=re.IGNORECASE)
    return tidy(text)


def is_explicit_promise(clause: Clause) -> bool:
    return bool(_PROMISE.search(clause.text))


def is_promise(clause: Clause) -> bool:
    """An explicit promise, or a future delivery ("我们周五前把报价发给您", "we'll send the quote")."""
    if _PROMISE.search(clause.text):
        return True
    if not _FUTURE_ACTION.search(clause.text):
        return False
    person = promiser(clause)
    if person is Person.SECOND or _QUESTION.search(clause.text):
        # "你们周五前给个报价" is a request and "我们周三过去演示可以吗" an offer, not promises.
        return False
    return bool(clause.times) or bool(_FUTURE.search(clause.text))


def is_todo(clause: Clause) -> bool:
    if clause.side is Side.CUSTOMER:
        return False
    text = _without_times(clause)
    cue = _TODO.search(text)
    if cue is None:
        return bool(clause.times) and bool(_SELF_ACTION.match(text)) and not is_promise(clause)
    # "他让我回电话": whoever asks, the rep does it. Otherwise the subject comes before the cue
    # (in "记得给张总打电话" 张总 is who to call, not who calls).
    return cue[0] in _ASKED_ME or subject_of(text[: cue.start()]) in (None, Person.FIRST)


def promiser(clause: Clause) -> Person | None:
    """The grammatical person of who promises: the subject before the promise or delivery verb."""
    cue = _PROMISE.search(clause.text) or _FUTURE_ACTION.search(clause.text)
    before = clause.text[: cue.start()] if cue else clause.text
    return subject_of(before) or subject_of(clause.text)


def meeting_time(clause: Clause, now: datetime, *, follows_proposal: bool = False) -> TimeMention | None:
    """The time of a meeting, call or visit said in `clause` (or in a short reply to a proposal)."""
    if _DECLINED.search(clause.text) or is_reminder(clause):
        return None
    if not (_MEETING.search(clause.text) or follows_proposal):
        return None
    for mention in reversed(clause.times):
        if mention.one_day and not mention.deadline and mention.moment() > now:
            return mention
    return None


def declines(clause: Clause) -> bool:
    return bool(_DECLINED.search(clause.text))


def has_meeting_cue(clause: Clause) -> bool:
    return bool(_MEETING.search(clause.text)) and not _DECLINED.search(clause.text)


def timeline(clause: Clause) -> tuple[str, TimeMention] | None:
    """A project milestone with its time ("下个月上线", "go live in March") as said."""
    if not clause.times:
        return None
    times = [m for m in clause.times if not _NOW_WORDS.fullmatch(m.text.strip())]
    if not times:
        return None
    for cue in _TIMELINE.finditer(clause.text):
        mention = min(times, key=lambda m: _distance(m, cue.start(), cue.end()))
        if _distance(mention, cue.start(), cue.end()) > 10:
            continue
        start, end = min(mention.start, cue.start()), max(mention.end, cue.end())
        # "完成采购", "sign and deploy": cues next to each other are one milestone.
        for following in _TIMELINE.finditer(clause.text, cue.end()):
            if following.start() > end + 1:
                break
            end = max(end, following.end())
        return tidy(clause.text[start:end]), mention
    return None


def timeline_cue(clause: Clause) -> str | None:
    """The milestone words of a clause that says no time ("签合同")."""
    cue = _TIMELINE.search(clause.text)
    return tidy(cue[0]) if cue else None


def needs(clause: Clause) -> list[str]:
    """What the customer needs, as short phrases with their cue ("需要CRM系统", "need an on-prem setup")."""
    if clause.side is Side.REP:
        return []
    text = _without_times(clause)
    found: list[str] = []
    for m in _NEED.finditer(text):
        rest = text[m.end() :]
        if not rest.strip() or _ACTION_START.match(rest):
            continue
        phrase = tidy(text[m.start() : m.end() + _phrase_length(rest)])
        if len(phrase) > len(m[0]) + 1:
            found.append(phrase)
    return found


def tidy(text: str) -> str:
    return _TRAILING.sub("", re.sub(r"\s{2,}", " ", text)).strip()


def _phrase_length(rest: str) -> int:
    stop = re.search(
        r"[,，。;；!！?？]|\b(?:and|but|by|before|so)\b|然后|但是|而且|并且|另外|\s+(?=[\u4e00-\u9fff])", rest
    )
    length = stop.start() if stop else len(rest)
    return min(length, 40)


def _distance(mention: TimeMention, start: int, end: int) -> int:
    if mention.end <= start:
        return start - mention.end
    if end <= mention.start:
        return mention.start - end
    return 0


def _without_times(clause: Clause) -> str:
    text = clause.text
    for mention in sorted(clause.times, key=lambda m: m.start, reverse=True):
        before, after = text[: mention.start], text[mention.end :]
        # Chinese needs no space where the time words were; English does.
        gap = "" if re.search(r"[\u4e00-\u9fff]$", before) or re.match(r"[\u4e00-\u9fff]", after) else " "
        text = before + gap + after
    return text


def action_text(clause: Clause) -> str:
    """A promise as said, without a leading "好的" / "OK"."""
    return tidy(_FILLER.sub("", clause.text.strip()))


def todo_text(clause: Clause) -> str:
    """A to-do as what to do: the words after "记得" / "I need to" ("回头发资料" -> "发资料")."""
    text = _without_times(clause)
    m = _TODO.search(text)
    text = text[m.end() :] if m and len(text) - m.end() >= 2 else _SELF.sub("", text, count=1)
    return tidy(_FILLER.sub("", text.strip()))
