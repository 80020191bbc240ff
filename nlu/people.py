"""People in a conversation: Chinese and English names, job titles and roles in the decision chain."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from crm.facts import DecisionRole
from nlu import names
from nlu.resources import word_list

_DEPTS = (
    "采购|技术|财务|销售|市场|运营|产品|研发|人力资源|人力|人事|行政|IT|信息化|信息|项目|工程|质量|品质|生产|客服|"
    "法务|商务|供应链|物流|设备|数字化|总经办|区域|大区|华东|华南|华北|华中|西南|西北|东北|护理|医务|药剂|检验|门诊|"
    "院办|党办|宣传|后勤|保卫|教务|科研|仓储|安全|环保|厂务|总务|资讯|品管|品牌|调度|数据分析|营销|培训|工务|业务|"
    "营业|电教"
)
_TITLE_WORDS = (
    "副总经理|总经理|副总裁|总裁|副总|董事长|董事|总监|经理|主管|负责人|主任|部长|专员|工程师|总工|首席执行官|"
    "CEO|CTO|CFO|COO|CIO|CMO|VP|创始人|合伙人|老板娘|老板|厂长|院长|处长|科长|局长|秘书长|采购员|会计|出纳|架构师|"
    "理事长|董秘|助理|秘书|顾问|组长|副理|协理|课长|店长|校长|园长|馆长|副教授|教授|讲师|律师|医生|护士长|医师|药师|仓管|文员"
)
DEPTS = _DEPTS
# "人事行政经理", "总经理助理": up to two departments before the title, an assistant after it.
TITLE_ZH = (
    rf"(?:副|首席|高级|资深|常务|执行)?(?:(?:{_DEPTS})(?:部|中心|处|科|课|组|室)?){{0,2}}(?:副|首席|高级|资深|常务|执行)?"
    rf"(?:{_TITLE_WORDS})(?:助理|秘书)?"
)
# "做财务的", "负责采购": the department someone works in, said instead of a title.
WORKS_IN = rf"(?:做|搞|负责|管|在)(?P<dept>{_DEPTS})(?:部|的|工作|这块|方面)*"
# What colleagues call someone: 张总, 刘经理, 王工, 李老师.
_HONORIFIC = "总经理|总监|经理|主任|部长|处长|科长|院长|厂长|老师|博士|主管|秘书|总|工|董|姐|哥"
EN_TITLE = (
    r"(?:CEO|CTO|CFO|COO|CIO|CMO|VP(?:\s+of\s+[A-Z]?\w+)?|Head\s+of\s+[A-Z]?\w+|Chief\s+\w+\s+Officer|President|"
    r"Founder|Co-founder|Owner|Chairman|General\s+Manager|Buyer|"
    r"(?:(?:IT|Procurement|Purchasing|Finance|Financial|Sales|Marketing|Operations|Product|Engineering|Project|"
    r"Technical|Tech|Plant|Account|Regional|Senior|Business)\s+)*(?:Director|Manager|Lead|Engineer|Architect))"
)
_EN_NAME = r"(?:(?:Mr|Ms|Mrs|Dr)\.?\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
_EN_NOT_NAMES = frozenset(
    (
        "The",
        "This",
        "That",
        "They",
        "Their",
        "He",
        "She",
        "We",
        "Our",
        "You",
        "Your",
        "It",
        "Its",
        "His",
        "Her",
        "Also",
        "And",
        "But",
        "So",
        "Then",
        "Today",
        "Tomorrow",
        "Yes",
        "No",
        "Hi",
        "Hello",
        "Thanks",
        "Thank",
        "Please",
        "Okay",
        "Ok",
        "Sure",
        "Let",
        "Me",
        "I",
        "Budget",
        "Meeting",
        "Call",
        "Demo",
        "Next",
        "Last",
        "Friday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Saturday",
        "Sunday",
        "Dear",
        "Best",
        "Regards",
        "Team",
        "Who",
        "What",
        "When",
        "Where",
    )
)
# Characters that end a given name: particles, verbs and the first characters of titles.
_NAME_STOP = set(
    "的是在和跟与也都要会对了吗呢吧啊呀把给就还已刚负管经总主部老工先女董院厂处科助秘"
    "说讲问这那我你他她们,，。 "
)
# "李雷说…", "客户张伟表示…": a name that starts a clause and is followed by what the person said or
# wants is a person even without a title; 说/问/想/要 right after a word (马上要, 方案说) is not.
_CLAUSE_LEAD = re.compile(r"(?:客户|对方|联系人|对接人|今天|昨天|刚才|刚刚|后来)?")
_SAYS = re.compile(
    r"(?:也|还|又|就|刚|刚刚|已经|一直|今天|昨天|明天|刚才|上午|下午)?"
    r"(?:说|讲|表示|提到|问|想|要|觉得|认为|希望|反馈|回复|告诉|答应|打算|准备|需要|同意)"
)
# "见了张伟", "拜访了华为的章伟", "和王小明聊了": a full name right after meeting or talking with
# someone. The name must end where a clause, a time, a talking verb or a title begins.
_MET = re.compile(
    r"(?:拜访了?|见了|见到了?|约了|约见了?|联系了?|接待了?|找了|陪了?|请了|和|跟|与|同)"
    r"(?:(?P<org>[\u4e00-\u9fffA-Za-z0-9]{2,12}?)(?:那边|这边)?的)?"
)
_AFTER_MET_NAME = re.compile(
    r"$|[\s,，。.;；!！?？、：:）)]|(?:聊|谈|说|讲|沟通|交流|见|碰|开|吃|喝|打|通|确认|对接|讨论|约|一起|两|了|的|他|她|也|都|"
    r"在|就|又|还|先|是|和|跟|对|关于|那边|这边|" + _TITLE_WORDS + r"|总|工|老师|先生|女士)"
)
_TIME_AFTER = re.compile(
    r"^(?:明天|今天|昨天|后天|下周|上周|这周|本周|下午|上午|晚上|早上|刚才|已经|一直|现在)"
)

_DECISION_WORDS = re.compile(
    r"拍板|说了算|最终决定|最后决定|决策人|决策者|一把手|签字|做决定|定夺|"
    r"final\s+say|signs?\s+off|decision[- ]maker|makes?\s+the\s+(?:final\s+)?(?:call|decision)",
    re.IGNORECASE,
)
_ROLE_BY_WORD = (
    (DecisionRole.FINANCE, re.compile(r"财务|CFO|会计|出纳|finance|financial|controller|accounting", re.I)),
    (DecisionRole.PROCUREMENT, re.compile(r"采购|招标|purchas|procurement|buyer|sourcing", re.I)),
    (
        DecisionRole.TECHNICAL,
        re.compile(
            r"技术|\bIT\b|IT部|CTO|CIO|研发|信息|架构|工程师|总工|technical|tech\b|engineering|architect",
            re.I,
        ),
    ),
    (
        DecisionRole.USER,
        re.compile(r"使用部门|业务部门|使用方|一线|end\s+user|business\s+user|operations", re.I),
    ),
    (
        DecisionRole.DECISION_MAKER,
        re.compile(
            r"总经理|董事长|总裁|CEO|创始人|老板|一把手|president|founder|owner|chairman|general\s+manager",
            re.I,
        ),
    ),
)
_BOSS_WORDS = re.compile(r"(?P<boss>老板|总经理|董事长|总裁|一把手|CEO|boss|owner|GM)", re.IGNORECASE)
_IN_CHARGE = re.compile(r"负责|管|主管|分管|in\s+charge\s+of|responsible\s+for|handles", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Mention:
    """A person named in a clause; `org` is a company said with them ("华为的张总")."""

    name: str
    start: int
    title: str | None = None
    role: DecisionRole | None = None
    org: str | None = None
    self_intro: bool = False


@dataclass(frozen=True, slots=True)
class _Patterns:
    surname: str
    short: re.Pattern[str]
    full_start: re.Pattern[str]
    self_intro: re.Pattern[str]
    name_title: re.Pattern[str]
    title_name: re.Pattern[str]
    dept_name: re.Pattern[str]
    org_name: re.Pattern[str]


@functools.cache
def _patterns() -> _Patterns:
    surnames = word_list("surnames.txt")
    # A character class for the single-character surnames: an alternation of hundreds of them is
    # tried one by one at every position and made this module the slowest part of a capture.
    double = "|".join(name for name in surnames if len(name) > 1)
    surname = "(?:" + double + "|[" + "".join(name for name in surnames if len(name) == 1) + "])"
    short = rf"(?:{surname}(?:{_HONORIFIC})|[小老]{surname})"
    return _Patterns(
        surname=surname,
        short=re.compile(short),
        full_start=re.compile(surname),
        self_intro=re.compile(
            r"(?:我是|我叫|本人是|我这边是)\s*(?:(?P<org>[^\s,，的]{2,20}?)的)?(?:(?P<dept>"
            + _DEPTS
            + r")(?:部|中心)?的?)?"
        ),
        name_title=re.compile(
            rf"(?P<name>{short}|{surname}[\u4e00-\u9fff]{{1,2}})\s*(?:是|为|担任|任|作为|[,，(（]|\s)?\s*"
            rf"(?:他们|我们|你们|公司|那边|这边)?的?\s*(?P<title>{TITLE_ZH})"
        ),
        title_name=re.compile(rf"(?P<title>{TITLE_ZH})\s*(?P<name>{surname}[\u4e00-\u9fff]{{1,2}})"),
        dept_name=re.compile(rf"(?P<dept>{_DEPTS})(?:部|中心)?的(?P<name>{short})"),
        org_name=re.compile(rf"(?P<org>[\u4e00-\u9fffA-Za-z0-9]{{2,12}}?)(?:那边|这边)?的(?P<name>{short})"),
    )


def full_name_at(text: str, position: int) -> str | None:
    """A Chinese name starting at `position`: a surname and one or two more characters, or 张总 / 小王."""
    patterns = _patterns()
    short = patterns.short.match(text, position)
    surname = patterns.full_start.match(text, position)
    if surname is None:
        return short[0] if short else None
    given = ""
    rest = text[surname.end() :]
    for ch in rest[:2]:
        if ch in _NAME_STOP or not "\u4e00" <= ch <= "\u9fff" or _TIME_AFTER.match(rest[len(given) :]):
            break
        given += ch
    if short and len(short[0]) >= len(surname[0]) + len(given):
        return short[0]
    return surname[0] + given if given else None


def with_title(mention: Mention, title: str) -> Mention:
    return Mention(
        mention.name, mention.start, title, mention.role or role_of(title), mention.org, mention.self_intro
    )


def find_mentions(clause: str, *, antecedent: str | None = None) -> list[Mention]:
    """People named in one clause, with the title and role said with them.

    `antecedent` is the person "他/她" refers to (the one named last), for "他是总经理" / "最后是他拍板".
    """
    patterns = _patterns()
    found: dict[str, Mention] = {}

    def add(mention: Mention) -> None:
        known = found.get(mention.name)
        if known is None or (mention.title and not known.title) or (mention.org and not known.org):
            found[mention.name] = Mention(
                mention.name,
                known.start if known else mention.start,
                mention.title or (known.title if known else None),
                mention.role or (known.role if known else None),
                mention.org or (known.org if known else None),
                mention.self_intro or bool(known and known.self_intro),
            )

    for m in patterns.self_intro.finditer(clause):
        name = full_name_at(clause, m.end())
        if name is None:
            continue
        after = clause[m.end() + len(name) :]
        title_match = re.match(rf"\s*[,，(（]?\s*(?P<title>{TITLE_ZH})", after)
        title = title_match["title"] if title_match else None
        org, dept = m["org"], m["dept"]
        if org and re.fullmatch(rf"(?:{_DEPTS})(?:部|中心)?", org):
            dept = org.removesuffix("部").removesuffix("中心")
            org = None
        if dept and title is None:
            title = dept + "负责人"
        add(Mention(name, m.end(), title, role_of(title or dept), _org(org), self_intro=True))
    for m in patterns.name_title.finditer(clause):
        name = _trim_name(m["name"])
        if name:
            add(Mention(name, m.start("name"), m["title"], role_of(m["title"])))
    for m in patterns.title_name.finditer(clause):
        name = full_name_at(clause, m.start("name"))
        if name:
            add(Mention(name, m.start("name"), m["title"], role_of(m["title"])))
    for m in patterns.dept_name.finditer(clause):
        honorific = m["name"][1:] if m["name"][0] not in "小老" else ""
        title = m["dept"] + honorific if re.fullmatch(_TITLE_WORDS, honorific) else None
        role = role_of(m["dept"])
        add(Mention(m["name"], m.start("name"), title, role))
    for m in patterns.org_name.finditer(clause):
        add(Mention(m["name"], m.start("name"), org=_org(m["org"])))
    for m in patterns.short.finditer(clause):
        add(Mention(m[0], m.start()))
    for mention in _met_names(clause):
        add(mention)
    speaker = _name_before_speech(clause)
    if speaker is not None:
        add(speaker)
    for mention in _english_mentions(clause):
        add(mention)
    pronoun = re.search(rf"[他她](?:是|为|担任|作为)?(?:他们|公司)?的?(?P<title>{TITLE_ZH})?", clause)
    if antecedent and not found and pronoun and (pronoun["title"] or _DECISION_WORDS.search(clause)):
        add(Mention(antecedent, pronoun.start(), pronoun["title"], role_of(pronoun["title"])))
    # "小明" inside "王小明" is the same person, not a second one.
    spans = [(m.start, m.start + len(m.name)) for m in found.values()]
    inside = {
        name
        for name, m in found.items()
        if any(
            start <= m.start and m.start + len(name) <= end and end - start > len(name)
            for start, end in spans
        )
    }
    kept = [m for name, m in found.items() if name not in inside]
    return _with_clause_roles(clause, sorted(kept, key=lambda item: item.start))


def honorific_at(text: str, position: int) -> str | None:
    """An honorific (张总, 王工, 小王) starting at `position`."""
    m = _patterns().short.match(text, position)
    return m[0] if m else None


def is_honorific(token: str) -> bool:
    """How colleagues name someone: 张总, 王工, 李经理, 小王."""
    return _patterns().short.fullmatch(token) is not None


def is_english_name_word(word: str) -> bool:
    """A capitalised word that can be part of a name (not "The", "Call", "Friday")."""
    return word[:1].isupper() and word not in _EN_NOT_NAMES


def _name_before_speech(clause: str) -> Mention | None:
    start = _CLAUSE_LEAD.match(clause)
    position = start.end() if start else 0
    for length in (4, 3, 2):
        token = clause[position : position + length]
        if len(token) == length and names.is_chinese_name(token) and _SAYS.match(clause, position + length):
            return Mention(token, position)
    return None


def _met_names(clause: str) -> list[Mention]:
    """Full names said right after meeting or talking with someone, with the company said before them."""
    found: list[Mention] = []
    for m in _MET.finditer(clause):
        name = _bare_name_at(clause, m.end())
        if name is None:
            continue
        said = m["org"] or ""
        dept = re.fullmatch(rf"(?:他们|对方|客户)?(?P<dept>{_DEPTS})(?:部|中心)?", said)
        # "见了采购部的章伟": a department, not a company, and the role it implies.
        role = role_of(dept["dept"]) if dept else None
        found.append(Mention(name, m.end(), role=role, org=None if dept else _org(said)))
    return found


def _bare_name_at(text: str, position: int) -> str | None:
    """A surname and given name at `position` that ends where a clause, time, verb or title starts."""
    surname = names.surname_length(text[position:])
    if surname == 0:
        return None
    for given in (1, 2):
        end = position + surname + given
        token = text[position:end]
        if len(token) < surname + given or not names.is_chinese_name(token):
            continue
        if _AFTER_MET_NAME.match(text, end) or _TIME_AFTER.match(text[end:]):
            return token
    return None


def _english_mentions(clause: str) -> list[Mention]:
    found: list[Mention] = []
    intro = re.search(
        rf"\b(?:I'm|I am|this is|my name is|name\s*:)\s+(?P<name>{_EN_NAME})"
        rf"(?:\s*,\s*(?:the\s+)?(?P<title>{EN_TITLE}))?(?:\s+(?:from|at|with|of)\s+(?P<org>[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*))?",
        clause,
        re.IGNORECASE,
    )
    if intro and intro["name"].split()[-1] not in _EN_NOT_NAMES and intro["name"][0].isupper():
        found.append(
            Mention(
                intro["name"],
                intro.start("name"),
                intro["title"],
                role_of(intro["title"]),
                intro["org"],
                True,
            )
        )
    for m in re.finditer(
        rf"(?P<name>{_EN_NAME})\s*(?:,|\(|\bis\b|\bwas\b|\bas\b)\s*(?:(?:the|their|our|his|her|a|an)\s+)?(?P<title>{EN_TITLE})",
        clause,
    ):
        name = m["name"]
        if name.split()[0] in _EN_NOT_NAMES:
            name = " ".join(name.split()[1:])
        if name and name.split()[-1] not in _EN_NOT_NAMES:
            found.append(
                Mention(name, m.start("name") + len(m["name"]) - len(name), m["title"], role_of(m["title"]))
            )
    deciders = re.finditer(rf"(?P<name>{_EN_NAME})\s+(?:makes|has|will\s+make|signs|is\s+the)", clause)
    found.extend(
        Mention(m["name"], m.start(), role=DecisionRole.DECISION_MAKER)
        for m in deciders
        if m["name"].split()[0] not in _EN_NOT_NAMES and _DECISION_WORDS.search(clause, m.end("name"))
    )
    return found


def _with_clause_roles(clause: str, mentions: list[Mention]) -> list[Mention]:
    """Roles said in the clause rather than in a title: "王总拍板", "李工负责技术", "老板拍板"."""
    decides = _DECISION_WORDS.search(clause)
    if decides and not mentions:
        boss = _BOSS_WORDS.search(clause)
        if boss:
            word = boss["boss"]
            return [Mention(word, boss.start(), word, DecisionRole.DECISION_MAKER)]
        return []
    # The decider is the person named last before the decision words ("Li is CTO and Wang decides").
    decider = max((m.start for m in mentions if decides and m.start < decides.start()), default=None)
    if decides and decider is None and len(mentions) == 1:
        decider = mentions[0].start
    result: list[Mention] = []
    for mention in mentions:
        role = mention.role
        if mention.start == decider:
            role = DecisionRole.DECISION_MAKER
        elif role is None:
            in_charge = _IN_CHARGE.search(clause, mention.start)
            if in_charge:
                role = role_of(clause[in_charge.end() : in_charge.end() + 12])
        result.append(
            Mention(mention.name, mention.start, mention.title, role, mention.org, mention.self_intro)
        )
    return result


def role_of(title: str | None) -> DecisionRole | None:
    """The decision role a title implies: 财务总监 -> finance, CTO -> technical."""
    if not title:
        return None
    return next((role for role, pattern in _ROLE_BY_WORD if pattern.search(title)), None)


def _trim_name(name: str) -> str | None:
    """A name the regex over-extended into a following title or particle ("张伟经" -> "张伟")."""
    if _patterns().short.fullmatch(name):
        return name
    return full_name_at(name, 0)


_ORG_NOISE = re.compile(
    r"^(?:.*?(?:拜访了?|见了?|来自|去了?|联系了?|对接|我是|他是|她是|是|在|和|跟|与|给|到|找))?"
)
_GENERIC_ORGS = re.compile(
    r"^(?:客户|对方|他们|我们|你们|咱们|公司|那边|这边|老板|甲方|乙方|领导|朋友|同事|隔壁|楼上|楼下)$|(?:部|中心|处|科|组|团队)$"
)


def _org(said: str | None) -> str | None:
    if not said:
        return None
    org = said
    # "今天下午去拜访了星辰科技": strip each lead-in in turn ("去", then "拜访了").
    for _ in range(3):
        stripped = _ORG_NOISE.sub("", org).strip()
        if stripped == org or len(stripped) < 2:
            break
        org = stripped
    if len(org) < 2 or _GENERIC_ORGS.search(org) or (re.search(_DEPTS, org) and len(org) <= 4):
        return None
    return org
