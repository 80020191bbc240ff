"""The customer's contact in a conversation: name, title and company, each chosen among candidates.

Every cue proposes candidates with a strength: a labelled field ("姓名：…"), a self-introduction ("我是
恒信机械的张伟", "this is Lisa from Northwind Traders"), the answer to "怎么称呼", a name with its company
and title in brackets, a signature or a contact line, the speaker's display name, a person the rep's note
names, the honorific the rep greets the customer with. The strongest wins wherever it comes in the chat,
and a full name beats the honorific, surname or first name it completes (张总 -> 张伟, Lisa -> Lisa Tan).
What the rep says of themselves (their name, their company) is never a candidate.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

# Per-character readings are enough for names; without pypinyin's phrase dictionary it needs about
# 12 MB instead of 55 MB (read when pypinyin is first imported).
os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")

from pypinyin import Style, lazy_pinyin

from nlu import names, people, region
from nlu.company import find_companies, is_company_name, is_descriptor
from nlu.contactline import find_contacts
from nlu.dialogue import Clause, Dialogue, Message, Side

# How much each cue says about who the contact is.
LABEL = 10.0
INTRO = 9.0
ANSWER = 9.0
BRACKET = 8.0
SIGNATURE = 8.0
LINE = 7.0
HEADER_FULL = 6.0
NOTE_TITLED = 6.0
NOTE_MET = 5.0
HEADER_FIRST = 4.0
NOTE_HONORIFIC = 4.0
HEADER_HONORIFIC = 3.0
SURNAME = 2.5
GREETED = 2.0

_HAN = "\u4e00-\u9fff"
_HAN_RE = re.compile(f"[{_HAN}]")
_DEPT_ZH = (
    rf"(?:{people.DEPTS}|行政|人资|资讯|电教|教务|后勤|储运|品牌|信息中心|技术中心|设备|生产|质量|营运|物流|总务|业务|"
    r"营业|行销|企划|专案|实验室|教学|培训中心|培训|市场部|直播|电商|仓储|安全|环保|工艺|计划|财会|总经理办公|总裁办公)"
)
_TITLE_ROLE = (
    r"助理|秘书|顾问|专员|组长|副理|协理|课长|院长|老板娘|老板|高级采购|采购|运营|行政|企划|总监|主任|HRD|HR|"
    r"店长|校长|园长|馆长|会计|出纳|主管|经理|总工|工程师|科长|部长|处长|副处长|厂长|董事长|总经理|总裁|创始人|合伙人|"
    r"理事长|副总|副教授|教授|讲师|律师|医生|董秘"
)
_TITLE_ZH = (
    rf"(?:{people.TITLE_ZH}|(?:{_DEPT_ZH})?(?:部|中心|处|科|室|办公室|组)?(?:副|首席|高级)?(?:{_TITLE_ROLE}))"
)
_TITLE_ZH_RE = re.compile(_TITLE_ZH)
# English job titles: a role word with up to three modifiers, or a C-level abbreviation.
_EN_ROLE = (
    r"manager|director|lead|head|engineer|officer|coordinator|assistant|executive|president|founder|co-founder|"
    r"partner|owner|specialist|consultant|analyst|architect|supervisor|buyer|administrator|planner|controller|"
    r"accountant|secretary|agent|representative|superintendent|principal|dean|chairman|chairperson|treasurer|"
    r"associate|clerk|physician|pharmacist|nurse|teacher|headteacher|buyer"
)
_EN_MODIFIER = (
    r"senior|junior|chief|deputy|assistant|associate|executive|general|regional|global|group|vice|it|hr|qa|pmo|"
    r"ops|operations|procurement|purchasing|sourcing|sales|marketing|export|import|product|project|plant|fleet|"
    r"admin|office|finance|financial|engineering|technical|tech|account|business|supply chain|"
    r"customer service|"
    r"r&d|medical|logistics|warehouse|quality|production|manufacturing|digital|data|security|facilities|"
    r"training|human resources|brand|e-commerce|store|retail|category|program|service|support|development|"
    r"legal|compliance|design|research|country|area|branch|managing|commercial|information"
)
_EN_DEPT = (
    r"IT|HR|R&D|QA|Operations|Ops|Engineering|Procurement|Purchasing|Sourcing|Sales|Marketing|Finance|Product|"
    r"Technology|Tech|Digital|Data|Logistics|Supply\s+Chain|Customer\s+Service|Clinical\s+Informatics|Informatics|"
    r"Facilities|Security|Legal|Compliance|Growth|Design|Research|Strategy|Business\s+Development|Partnerships"
)
EN_TITLE = (
    rf"(?:(?:(?:{_EN_MODIFIER})\s+){{0,3}}(?:{_EN_ROLE})"
    rf"(?:\s+(?:of|for)\s+(?:{_EN_DEPT}|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?(?=\s*(?:$|[,|\n]))))?"
    rf"|(?:{_EN_ROLE})\s*[-–]\s*(?:{_EN_DEPT})"
    rf"|C[EFTOIM]O|GM|HRD|MD|VP(?:\s+(?:of\s+)?(?:{_EN_DEPT}))?|Chief\s+\w+\s+Officer)"
)
_EN_TITLE_RE = re.compile(rf"(?i:{EN_TITLE})")
_EN_TITLE_WORDS = re.compile(rf"(?i:\b(?:{EN_TITLE})\b)")
_EN_WORD = r"[A-ZÀ-Þ](?:['’][A-ZÀ-Þ])?[a-zß-ÿ]+(?:[A-ZÀ-Þ][a-zß-ÿ]+)?(?:-[A-ZÀ-Þ]?[a-zß-ÿ]+)?(?![\w'’])"
_EN_PARTICLE = r"(?:de|van|von|der|den|da|di|du|del|della|dos|das|le|la|bin|binti|al)"
# "Sanne de Vries", "Ana da Silva": a particle before a capitalised part of the name belongs to it.
_EN_NAME = rf"{_EN_WORD}(?:\s+(?:{_EN_PARTICLE}\s+)?(?:{_EN_WORD}|[A-Z]\.|(?:Al|El)-[A-Z][a-z]+)){{0,2}}"
_EN_HONORIFIC = r"(?:Mr|Ms|Mrs|Miss|Dr|Prof)\.?"
# Words after "im" that are not a name written in lower case ("im looking for…").
_LOWER_NOT_NAME = (
    r"looking|interested|free|the|a|an|here|not|sure|sorry|good|fine|ok|okay|in|at|from|with|going|trying|"
    r"writing|calling|reaching|just|also|still|new|based|working|currently|available|busy|out|back|glad|happy"
)
_EN_NOT_NAME = frozenset(
    (
        "Hi", "Hey", "Hello", "Dear", "Good", "Morning", "Afternoon", "Evening", "Thanks", "Thank", "Best",
        "Kind", "Regards", "Cheers", "Sir", "Madam", "Team", "Sales", "Customer", "Client", "Visitor",
        "Me", "You", "Yes", "No", "Ok", "Okay", "Sure", "Great", "Perfect", "Please", "Sorry", "Our", "We",
        "The", "This", "That", "Here", "There", "Just", "Quick", "Also", "So", "And", "But", "Lead",
        "From", "Subject", "Tel", "Mobile", "Phone", "Email", "Fax", "Office", "Web", "Website", "Address",
        "Inc", "Ltd", "Co", "Corp", "Group", "Limited", "Company", "Mumbai", "Dubai", "Singapore",
        "Shanghai", "Beijing", "Shenzhen", "Hong", "Kong", "Friday", "Monday", "Tuesday", "Wednesday",
        "Thursday", "Saturday", "Sunday", "Tomorrow", "Today", "Budget", "Message", "Name", "Role",
        "Company", "Forwarded", "Ciao", "Awesome", "Likewise", "Got", "Works", "Zoom", "Demo", "Call",
        "Head", "Senior", "Chief", "Director", "Manager", "Engineer", "Fleet", "Plant", "Procurement",
        "Operations", "Marketing", "Purchasing", "Export", "Product", "Project", "Mob", "Sent", "Kindly",
        "Attached", "Please", "Regarding", "Re", "Fw", "Fwd", "Best", "Warm", "Many", "Looking", "Following",
        "Greetings", "Welcome", "Congrats", "Nice", "Happy", "Saw", "Got", "Lol", "Hiya", "Yo", "Sam's",
    )
)  # fmt: skip
_GREETING = (
    r"(?:(?:hi|hey|hello|hiya|howdy|g['’]?day|good\s+(?:morning|afternoon|evening)|morning|ciao|dear|greetings|"
    r"salaam|bonjour|hallo|namaste)"
    r"(?:\s+there)?\b[\s!,.~-]*)*"
)

# Labels of the fields a form or a pasted card gives; separated from the value by a colon, a bar or two
# spaces ("企业名称  贵州黔味源食品有限公司").
_NAME_LABELS = (
    r"联系人姓名|客户姓名|联系人|联络人|联络窗口|窗口|对接人|姓名|名字|称呼|"
    r"name|contact(?:\s+person)?|full\s+name"
)
_WEAK_NAME_LABELS = r"客户|决策人|负责人|from|对象"
_COMPANY_LABELS = (
    r"公司名称|公司名|单位名称|企业名称|客户名称|客户公司|客户单位|机构名称|名称|公司|单位|企业|company|organi[sz]ation|employer|"
    r"account|customer"
)
_TITLE_LABELS = (
    r"客户职位|客户职务|职位|职务|职称|头衔|岗位|部门/职务|部门及职务|"
    r"title|position|role|job\s+title|designation"
)
_FIELD = re.compile(
    rf"(?:^|(?<=[\s,;|]))(?P<label>{_NAME_LABELS}|{_WEAK_NAME_LABELS}|{_COMPANY_LABELS}|{_TITLE_LABELS})"
    r"\s*(?:[:：|]|\s{2,})\s*(?P<value>[^\s|:：].*?)\s*"
    rf"(?=\s+(?:{_NAME_LABELS}|{_COMPANY_LABELS}|{_TITLE_LABELS}|电话|手机|邮箱|微信|地址|需求|预算|"
    r"联系方式|联系电话)\s*(?:[:：|]|\s{2,})|[;；]|$)",
    re.IGNORECASE,
)
_NAME_VALUE_END = re.compile(r"[,，;；。]|\s{2,}|电话|手机|tel|phone|mobile|\d{3}", re.IGNORECASE)

# Self-introductions.
_ZH_INTRO = re.compile(
    r"(?:我是|我叫|我系|俺是|俺叫|本人是?|我这边是|鄙人|在下)\s*(?:(?P<org>(?:[^\s,，。!！?？的我]|(?<=[A-Za-z.])\s(?=[A-Za-z])){2,30}?)\s*的\s*)?"
    rf"(?:(?P<dept>{_DEPT_ZH})(?P<unit>部|中心|处|科|室)?的\s*)?"
    rf"(?P<title>(?:集团|公司|总部|分公司|工厂|厂里|事业部|区域)?{_TITLE_ZH}|(?i:{EN_TITLE})(?![A-Za-z]))?\s*"
)
_ZH_SURNAME_INTRO = re.compile(
    rf"(?:我姓|免贵姓|敝姓|本人姓|(?:^|(?<=[,，\s]))姓)(?P<surname>[{_HAN}]{{1,2}}?)(?=[,，。\s]|$|[{_HAN}]{{2,3}}(?:[,，。\s]|$))"
)
# A rep's note: "客户…姓柯", "对接人是储运部的段部长", "对接人 黄文斌".
_ZH_SURNAME_SAID = re.compile(rf"(?<![我贵敝])姓(?P<surname>[{_HAN}])(?![{_HAN}]{{0,1}}(?:名|氏))")
_ZH_CONTACT_SAID = re.compile(
    rf"(?:对接人|联系人|对接的)(?:是|为|叫|还是)?\s*(?:(?P<dept>{_DEPT_ZH})(?P<unit>部|中心|处|科|室)?的?)?\s*"
)
# "老板姓庞 庞建国": a title, the surname, then the full name.
_TITLE_SURNAME = re.compile(rf"(?P<title>{people.TITLE_ZH})\s*姓(?P<surname>[{_HAN}])[\s,，]*")
# "对方自称是…的丛经理，叫丛林": a full name after 叫 (not "叫他…").
_ZH_CALLED = re.compile(r"(?<![我你他她])(?:叫|名叫|名字叫|全名叫)(?![他她我你])")
# A company the rep's note says was visited: "拜访了苏州工业园区的纳微精密".
_ZH_VISITED = re.compile(
    rf"(?:拜访了?|去了|跑了|见了)(?:(?P<place>[^\s,，。的]{{2,10}})的)?(?P<org>[{_HAN}A-Za-z]{{2,10}}?)(?=[,，。!！;；]|$|的)"
)
_ZH_FULL_NAME = re.compile(r"(?:全名|中文名|中文名字|真名|大名|名字)(?:是|叫|为)?\s*[:：]?\s*")
_ZH_AFTER_NAME_TITLE = re.compile(
    rf"\s*[,，(（]?\s*(?:目前|现在|现|主要)?\s*(?:是|任|担任|做|负责)?\s*"
    rf"(?:(?P<org>[^\s,，。的]{{2,20}}?)的\s*)?(?:(?:这边|公司|我们)?的)?\s*"
    rf"(?:(?P<dept>{_DEPT_ZH})(?:(?P<unit>部|中心|处|科|室)的?|的))?\s*(?P<title>{_TITLE_ZH}|(?i:{EN_TITLE})(?![A-Za-z]))?"
)
_ZH_DOES = re.compile(
    rf"(?:我|^|[,，])(?:(?![他她])[^,，。!！?？]){{0,30}}?(?:做|当|任|担任)(?:的是)?\s*"
    rf"(?P<title>{people.TITLE_ZH}|(?i:{EN_TITLE})(?![A-Za-z]))"
)
_ZH_WORKS_IN = re.compile(
    rf"负责(?P<dept>[{_HAN}]{{0,4}}?(?:{_DEPT_ZH}|信息化|数字化))(?:这块|方面|工作|的|$|[,，。\s])|"
    rf"我是(?P<dept2>{_DEPT_ZH})(?P<unit>部|中心|处|科|室)?的(?![{_HAN}])|"
    rf"(?:^|[,，\s]|我)管(?P<dept3>{_DEPT_ZH}|财务|账)的"
)
_EN_INTRO = re.compile(
    rf"\b(?i:I'm|I am|this is|it's|its|it is|my name is|my name's|name's|im)\s+(?:{_EN_HONORIFIC}\s+)?"
    rf"(?P<name>{_EN_NAME}|(?!(?:{_LOWER_NOT_NAME})\b)[a-z]{{3,12}}(?=\s+(?:from|here|at|with)\b|\s*,))",
)
_MIXED_INTRO = re.compile(rf"(?:我是|我叫|我系)\s*(?P<name>{_EN_NAME})")
_EN_HERE = re.compile(
    rf"(?i:^{_GREETING})(?:{_EN_HONORIFIC}\s+)?(?P<name>{_EN_NAME})(?:\s+(?:here\b|from\b|with\b|at\b|@)|"
    rf"\s*,\s*(?=(?:the\s+)?(?i:{EN_TITLE})\b))"
)
_EN_SELF_TITLE = re.compile(
    rf"\b(?:I'm|I am|i'm|im)\s+(?:working\s+as\s+|serving\s+as\s+)?(?:the\s+|an?\s+|their\s+|our\s+)?"
    rf"(?P<title>{EN_TITLE})\b"
    r"(?:\s+(?:at|of|for|with|@)\s+)?",
    re.IGNORECASE,
)
_EN_HEAD_OF = re.compile(rf"\bI\s+(?:head|lead)\s+(?:the\s+)?(?P<dept>(?i:{_EN_DEPT}))\b")
_NAME_QUESTION = re.compile(
    r"怎么称呼|怎称呼|贵姓|中文名|全名|名字|姓名|称呼|联系人|您是|你是|who\s+(?:am\s+i|do\s+i\s+have|is\s+this)|"
    r"speaking\s+with|your\s+(?:full\s+)?name|may\s+i\s+have\s+your|and\s+you\s+are|your\s+(?:contact\s+)?details|"
    r"confirm(?:ing)?\s+your",
    re.IGNORECASE,
)
_NEED_LABEL = re.compile(
    r"^(?:需求|产品|项目|意向|意向产品|要求|备注|message|needs?|requirements?)\s*[:：|]", re.IGNORECASE
)
_REP_ASKS_WHO = re.compile(
    rf"是(?P<org>[^\s,，。的]{{2,16}})的(?P<who>[{_HAN}]{{1,2}}(?:总|经理|工|老师|主任|先生|女士|小姐))(?:吗|么|嘛)"
)
_ORG_QUESTION = re.compile(
    r"哪家|贵司是|贵公司是|公司名|店名|厂名|单位|名字是|叫什么|全称|哪个学校|哪个医院|which\s+company|company\s+name|"
    r"name\s+of\s+your",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(?:best(?:\s+regards|\s+wishes)?|kind\s+regards|regards|warm\s+regards|with\s+regards|many\s+thanks|"
    r"thanks\s*(?:&|and)\s*regards|thanks|thank\s+you|cheers|"
    r"sincerely|yours(?:\s+sincerely|\s+faithfully)?|祝好|此致|敬礼|谢谢|顺祝商祺|顺颂商祺|--+|—+|-{2,}|_{3,})"
    r"[\s,.!！,]*$",
    re.IGNORECASE,
)
_SCRIPT_PARTS = re.compile(
    r"\s*[|/]\s*|\s*,\s*(?![Ll]td|[Ii]nc|LLC)|(?<=[\u4e00-\u9fff])\s+(?=[A-Za-z])|(?<=[A-Za-z])\s+(?=[\u4e00-\u9fff])"
)
_TITLE_BEFORE = re.compile(
    rf"(?:联系|找|对接|是)[^,，。]{{0,8}}?(?:我们|我们的|我们公司的|公司的)?(?P<title>{people.TITLE_ZH})(?:吧|啊|哈|。|!|！|:|：)?$"
)
_TABLE_HEADER = re.compile(
    rf"(?i:{_NAME_LABELS}|{_COMPANY_LABELS}|{_TITLE_LABELS}|电话|手机|联系电话|邮箱|微信|地址|备注|需求|预算|phone|email|tel)"
)
_DEPT_TITLE = re.compile(rf"{_DEPT_ZH}(?:部|中心|处|科|室)")
_EMAIL_FROM = re.compile(rf"^from\s*:\s*(?P<name>{_EN_NAME})\s*<", re.IGNORECASE)

# Companies said in a sentence: "我们是宁波港联贸易", "公司叫永顺五金", "from Northwind Traders".
_ZH_ORG_SAID = re.compile(
    r"(?:(?:公司|店|店名|民宿|律师行|餐厅|学校|机构|工厂|厂|品牌|诊所|医院)(?:名|名字)?(?:叫做|叫|是|为|名叫|:)|"
    r"(?<![我你他她])(?:叫做|名叫|叫)|我们是|我们这边是|来自|我在)\s*[「“\"']?(?P<org>[^\s,，。!！?？「」“”\"'、]{2,30})"
    r"(?=[「」“”\"'\s,，。!！?？]|$)"
)
# "我们公司是苏州的，和顺电气": the name after the description.
# "喺銅鑼灣開緊兩間美容院，Glow Beauty": a business described, then its Latin name.
_LATIN_AFTER_BUSINESS = re.compile(
    r"(?:店|院|公司|工作室|诊所|餐厅|中心|馆|行)[,，]\s*(?P<org>[A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*){0,3})"
)
_APPOSED_ORG = re.compile(
    r"(?:公司是|我们是|我们这边是)[^,，。]{1,12}(?:的|公司|店|厂)[,，]\s*(?P<org>[^\s,，。!！?？]{2,20})(?=[,，。!！?？\s]|$)"
)
# "重庆小龙坎食品的陶", "华为的张伟": who someone is, by their company.
_ORG_OF_PERSON = re.compile(rf"(?P<org>[^\s,，。的]{{2,20}})的(?P<who>[{_HAN}]{{1,3}})")
# Words that make "叫麦香坊" the name of a business rather than of a person.
_BUSINESS = re.compile(r"做|公司|店|连锁|厂|品牌|工作室|机构|诊所|餐厅|酒店|民宿|学校|开了|经营|生意")
# "瑜伽館，叫 Zen Flow Studio", "公司名是 Sunny Home".
_LATIN_CALLED = re.compile(
    r"(?:叫做|名叫|叫|公司名是|公司名|店名|name\s+是|name\s+is)\s*(?P<org>[A-Z][\w&'’.-]{0,30}(?:\s+[A-Z][\w&'’.-]{0,30}){0,4})"
)
# "Teo Brothers Trading 的 director", "上海迈锐医疗的product manager": a company and a title.
_ORG_TITLE = re.compile(
    rf"(?<![A-Za-z0-9&])(?P<org>[A-Z][\w&'’.-]{{0,30}}(?:\s+[A-Z][\w&'’.-]{{0,30}}){{0,5}}|[{_HAN}A-Za-z]{{2,20}}?)\s*的\s*(?P<title>(?i:{EN_TITLE}))(?![A-Za-z])"
)
_EN_ORG_WORD = r"(?:[A-Z0-9][\w&'’.-]{0,30}|&|and|of|de|du|la|the)"
_EN_ORG = (
    rf"(?P<org>(?:[A-Z][a-z][\w&'’.-]{{0,30}}|[A-Z]{{2,}}[a-z]*|[A-Z]&[A-Z])(?:\s+(?:{_EN_ORG_WORD}|\([A-Z][a-z]+\))){{0,5}}"
    r"(?:,?\s+(?:Inc\.?|Ltd\.?|LLC|Co\.,?\s*Ltd\.?|Pty\.?\s+Ltd\.?))?)"
)
# A capitalised phrase that ends in a trade word is a company on its own: "Aegean Link Shipping".
_EN_TRADE = re.compile(
    r"(?<![A-Za-z0-9&])(?P<org>(?:[A-Z][\w&'’.-]{0,30}\s+){1,4}(?:Shipping|Logistics|Trading|Foods?|Pharma|Textiles|Solar|Energy|"
    r"Studio|Studios|Media|Labs?|Systems|Solutions|Consulting|Partners|Clinic|Hospital|Dental|Bank|Capital|Retail|"
    r"Electronics|Robotics|Motors|Auto|Construction|Engineering|Manufacturing|Industries|Group|Hotels?|Farms?|"
    r"Fitness|Health|Healthcare|Medical|Learning|Education|Apparel|Furniture|Plumbing|HVAC|Brewery|Breweries|"
    r"Packaging|Components|Precision|Fintech|Insurance|Realty|Properties|Holdings|Ventures|Agency|Services|"
    r"Technologies|Technology|Software|Networks|Cocoa|Seafoods?|Dairy|Timber|Steel|Chemicals?|Church|School|Academy|"
    r"University|College|Council|Foundation|Association|Club|Institute|Centre|Center|Kindergarten|Museum|"
    r"Library|Restaurant|Cafe|Bakery|Salon|Spa|Gym|Wines?|Mining|Corp)(?:\s+(?:Ltd\.?|Inc\.?|LLC|PLC|AB|GmbH|SRL|Pty\s+Ltd|Co-op))?)(?![\w&])"
)
_EN_NAME_TITLE_AT = re.compile(
    rf"(?P<name>{_EN_NAME})\s*,\s*(?P<title>(?i:{EN_TITLE})|(?:{_EN_MODIFIER})(?:\s+(?:{_EN_MODIFIER}))?)\s+(?:at|@)\s+{_EN_ORG}"
)
# "Sure - Daniel Ortiz, Procurement, Andes Mining Corp": a name, then its title and company.
_EN_NAME_LIST = re.compile(
    rf"^(?i:{_GREETING}(?:(?:sure|yes|yeah|ok|okay|of course|certainly)\b)?)[\s!,.~-]*"
    rf"(?P<name>{_EN_NAME})\s*,\s*(?P<rest>.+)$"
)
_EN_TITLE_NAME_END = re.compile(rf"(?P<title>(?i:{EN_TITLE}))\s*,\s*(?P<name>{_EN_NAME})\s*$")
_EN_ORG_SAID = re.compile(
    r"(?i:\b(?:from|at|with|@|on\s+behalf\s+of|representing)\s+(?:the\s+[\w ]{1,30}?\s+office\s+of\s+)?|@\s*|"
    r"\bwe\s*\(|\bwe\s+are\s+|"
    r"\bwe['’]re\s+|\bcompany\s+(?:is|name\s+is)\s+|\bcompany\s+name\s+是\s*|公司叫\s*|来自\s*|我们是\s*)"
    + _EN_ORG
)
# "this is Jessica from 安徽华源医药, 采购部", "I'm Kevin from 海联跨境 OceanLink".
_EN_FROM_HAN = re.compile(
    r"\b(?:from|at|with)\s+(?P<org>[\u4e00-\u9fff]{2,16})(?=[\s,，.。!！]|$)", re.IGNORECASE
)
# India's formal letters: "I, K. Srinivasan, Deputy General Manager (IT) of Chennai Metro Water Supply Board".
_EN_I_COMMA = re.compile(
    rf"\bI,\s*(?P<name>(?:[A-Z]\.\s*){{1,3}}{_EN_WORD}|{_EN_NAME}),\s*(?P<title>[^,]{{3,60}}?)\s+(?:of|at)\s+{_EN_ORG}"
)
_EN_ORG_LOWER = re.compile(r"\bfrom\s+(?P<org>[a-z]+(?:\s+[a-z]+){0,2})(?=[.,!]|\s+(?:here|we|and)\b|$)")
_ORG_TRAIL = re.compile(
    r"(?:\s+(?:here|in|and|we|our|the|to|for|is|are|was|has|have|about|on|at|i|that|this|who|which|so|"
    r"just|thanks|office|team)\b.*|[\s,.;:!-]+)$"
)
_NOT_ORG_ZH = re.compile(
    rf"^(?:做|搞|从事|一家|一个|这|那|在|你|我|他|她|贵|本|咱|朋友|客户|老板|领导|新来|刚来|上次|[{_HAN}]?[总工]$)|"
    r"^(?:总院|分院|总部|本部|分公司|总公司|集团总部|门店|工厂|厂里|公司)$|聊[了过天]|说[了过话的]|展会|和你|跟你|"
    r"[吗呢吧啊呀哦嗯了想要需]|的$|公司$|^(?:先生|女士|小姐)$|门口|附近|旁边|楼下|对面|出差|"
    r"^[一二两三四五六七八九十百几\d]+[家个间所座台]|^一?趟"
)
# Places of Hong Kong and Taiwan that jionlp's gazetteer lacks, for "葵涌的…", "台中的…".
_LOCAL_PLACE = re.compile(
    r"香港|九龙|新界|观塘|旺角|尖沙咀|铜锣湾|中环|湾仔|荃湾|沙田|葵涌|将军澳|元朗|大埔|长沙湾|屯门|上环|西环|"
    r"台北|新北|台中|台南|高雄|新竹|桃园|基隆|嘉义|宜兰|彰化|屏东|花莲|台东|苗栗|南投|云林"
)
_PLACE_ONLY_EN = frozenset(("Shanghai", "Beijing", "Shenzhen", "Singapore", "Dubai", "Hong Kong", "Taipei"))

# Display names: "【凯瑞环保】邓总", "蒋-中冶设计院-采购", "David(力拓新材)", "Leo 张", "A001-陶总".
_GENERIC_SPEAKER = re.compile(
    r"(?i:客户|客人|客|访客|游客|网友|甲方|对方|customer|client|visitor|guest|prospect|lead|user|unknown)"
)
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d★☆♥♡✿❀]")
# Group roles in display names: "群主-刘".
_LABEL_ROLES = frozenset(("群主", "管理员", "群管", "admin", "Admin"))
_LABEL_PARTS = re.compile(r"[()\[\]（）【】<>《》|/,，·•@]|(?<=\S)\s*[-—–]\s*|\s+")
_LABEL_NOISE = re.compile(r"^(?:[A-Z]\.?|[A-Z]?\d{1,4}\.?|[^\w]+)$")
_SURNAME_ONLY_POLITE = re.compile(rf"^(?P<surname>[{_HAN}]{{1,2}})(?:生|太|先生|女士|小姐|太太|sir)$")
# How the rep speaks of their own company in a dictated note.
_OUR_COMPANY = re.compile(r"(?:我们|我司|咱们)(?:公司|这边)?(?:是|叫)[^,，。]*")
_OUR_SIDE = re.compile(r"我方|我司|我们这边的|our\s+side", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A value proposed by one cue, with the title and company said together with it."""

    value: str
    score: float
    order: int
    cue: str
    title: str | None = None
    org: str | None = None
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    name: str | None = None
    title: str | None = None
    company: str | None = None


@dataclass
class _Found:
    messages: Sequence[Message] = ()
    names: list[Candidate] = field(default_factory=list)
    titles: list[Candidate] = field(default_factory=list)
    orgs: list[Candidate] = field(default_factory=list)
    ours: set[str] = field(default_factory=set)  # names and companies of our own side


def find(
    dialogue: Dialogue, mentions: Sequence[tuple[Clause, people.Mention]] = (), *, notes_by_rep: bool = False
) -> Contact:
    """The customer's contact person in `dialogue`, with the title and company that go with them.

    `mentions` are the people each clause names (with "他是总经理" already resolved to the person just
    named); those of the rep's own notes are candidates too. With `notes_by_rep` (a dictated visit
    note) "我是…" and "我们是…" in text nobody is quoted saying are the rep's own words.
    """
    found = _Found(dialogue.messages)
    messages = dialogue.messages
    _our_side(messages, found)
    theirs = [(i, m) for i, m in enumerate(messages) if m.side is not Side.REP]
    for i, m in theirs:
        text = _ours_cut(m.text)
        asked = _asked_name(messages, i)
        _labelled(text, i, m, found)
        own_words = notes_by_rep and m.side is Side.NARRATOR
        if not own_words:
            _intro_zh(text, i, m, found, asked=asked)
            _intro_title_name(text, i, m, found)
            _intro_en(text, i, m, found)
        _apposed(text, i, m, found)
        _brackets(text, i, m, found)
        _orgs_said(_OUR_COMPANY.sub(" ", text) if own_words else text, i, m, found)
    _note_mentions(dialogue, mentions, found)
    _headers(messages, found)
    _tables(messages, found)
    _cards(messages, found)
    _lines(dialogue, found)
    _signatures(messages, found)
    _greeted(messages, found)
    _emails(dialogue, found)
    _weigh_speakers(messages, found)
    name = _choose_name(found)
    title = _choose_title(found, name)
    company = _choose_org(found, name)
    return Contact(
        dialogue.restore(name.value) if name else None,
        dialogue.restore(title) if title else None,
        dialogue.restore(company) if company else None,
    )


# ---------------------------------------------------------------------------------------------- names


def zh_name_at(text: str, position: int, *, loose: bool = False) -> str | None:
    """A Chinese full name starting at `position` that ends where a word boundary, a title or a
    particle starts; `loose` accepts any two or three Han characters (after a name label)."""
    best: str | None = None
    for length in (2, 3, 4):
        token = text[position : position + length]
        if len(token) < length or not _HAN_RE.fullmatch(token[-1]):
            break
        if not (names.is_chinese_name(token) or (loose and length <= 3 and _loose_name(token))):
            continue
        after = text[position + length : position + length + 4]
        if not after or not _HAN_RE.match(after) or _ends_name(after):
            best = token
    if best is None and not loose:
        said = people.full_name_at(text, position)
        if said and names.is_chinese_name(said) and _ends_name(text[position + len(said) :]):
            best = said
    return best


def _loose_name(token: str) -> bool:
    return (
        not names.is_common_word(token)
        and not _TITLE_ZH_RE.fullmatch(token)
        and not region.is_place(token)
        and not re.search(r"[的了是在和我你他她们部司周月日号年天点时]", token)
    )


def _ends_name(after: str) -> bool:
    return bool(
        re.match(
            rf"(?:{_TITLE_ZH}|的|是|在|说|和|跟|也|都|就|负责|这边|那边|先生|女士|小姐|总|经理|工|老师|全名|"
            r"电话|手机|微信|邮箱|啊|呀|哈|啦|呢|哦|嘛|吧|我|[,，。.!！?？、:：;；()（）\s])",
            after,
        )
    )


def en_name_at(text: str, position: int) -> str | None:
    m = re.compile(_EN_NAME).match(text, position)
    if not m or re.match(r"['’]", text[m.end() : m.end() + 1]):
        return None
    words = m[0].split()
    while words and (words[-1] in _EN_NOT_NAME or _EN_TITLE_RE.fullmatch(words[-1])):
        words.pop()
    while words and words[0] in _EN_NOT_NAME:
        words.pop(0)
    return " ".join(words) or None


def _is_honorific(value: str) -> bool:
    polite = re.fullmatch(rf"(?P<s>[{_HAN}]{{1,2}}?)(?:店长|校长|课长|处长|园长|馆长)", value)
    if polite and names.surname_length(polite["s"]) == len(polite["s"]):
        return True  # 王店长; not 资讯课长
    return bool(
        people.is_honorific(value)
        or _SURNAME_ONLY_POLITE.match(value)
        or re.match(rf"^{_EN_HONORIFIC}\s+\w+$", value)
        or re.fullmatch(
            rf"[{_HAN}]{{1,2}}(?:总|工|经理|老师|主任|部长|院长|厂长|组长|科长|董|会计|先生|女士|小姐)", value
        )
    )


def _surname(value: str) -> str | None:
    """The family name a candidate says: 张 of 张伟 / 张总 / 张先生, Huang of "Mr. Huang"."""
    if _HAN_RE.match(value):
        length = names.surname_length(value) or 1
        return value[:length]
    words = re.sub(rf"^{_EN_HONORIFIC}\s+", "", value).split()
    if re.match(rf"^{_EN_HONORIFIC}\s", value) and words:
        return words[-1]
    return None


def _add_name(
    found: _Found,
    value: str | None,
    score: float,
    order: int,
    cue: str,
    *,
    title: str | None = None,
    org: str | None = None,
    speaker: str | None = None,
) -> None:
    if not value:
        return
    value = value.strip(" ,，.。:：")
    if not value or value in found.ours or value.lower() in {"me", "我", "you"}:
        return
    found.names.append(Candidate(value, score, order, cue, title, org, speaker))
    if title:
        found.titles.append(Candidate(title, score, order, cue, speaker=value))
    if org:
        _add_org(found, org, score, order, cue, person=value)


def _ours_cut(text: str) -> str:
    """A line up to where it turns to our own side ("…；我方 张亮、王峰")."""
    m = _OUR_SIDE.search(text)
    return text[: m.start()] if m else text


def _our_side(messages: Sequence[Message], found: _Found) -> None:
    """Names and companies the rep gives for themselves: never the customer's."""
    for m in messages:
        if m.side is not Side.REP:
            continue
        if m.speaker:
            for part in _label_parts(m.speaker):
                found.ours.add(part)
        for intro in _ZH_INTRO.finditer(m.text):
            name = zh_name_at(m.text, intro.end())
            if name:
                found.ours.add(name)
            if intro["org"]:
                found.ours.add(intro["org"])
        for intro in _EN_INTRO.finditer(m.text):
            found.ours.add(intro["name"])
            rest = m.text[intro.end() :]
            org = re.match(r"\s+(?:from|at|with)\s+" + _EN_ORG, rest)
            if org:
                found.ours.add(_clean_en_org(org["org"]))


def _asked_org(message: Message, index: int, messages: Sequence[Message]) -> bool:
    """Whether the rep's message just before asked which company or shop this is."""
    previous = messages[index - 1] if 0 < index <= len(messages) else None
    return bool(previous and previous.side is Side.REP and _ORG_QUESTION.search(previous.text))


def _asked_name(messages: Sequence[Message], index: int) -> bool:
    """Whether the rep just asked for the customer's name: the message before `index`, or the one
    before that when the customer's first reply gave no name ("姓许" - "许思琪")."""
    previous = messages[index - 1] if index >= 1 else None
    if previous is not None and previous.side is Side.REP:
        return bool(_NAME_QUESTION.search(previous.text))
    before = messages[index - 2] if index >= 2 else None
    if previous is None or before is None or before.side is not Side.REP:
        return False
    gave_name = zh_name_at(previous.text, 0) or en_name_at(
        re.sub(rf"(?i:^{_GREETING})", "", previous.text), 0
    )
    return bool(_NAME_QUESTION.search(before.text)) and not gave_name


def _labelled(text: str, order: int, message: Message, found: _Found) -> None:
    for m in _FIELD.finditer(text):
        label = m["label"].lower()
        value = m["value"].strip()
        if _TABLE_HEADER.fullmatch(re.split(r"\s*[|]\s*|\s{2,}", value)[0]):
            continue
        if re.fullmatch(_TITLE_LABELS, label, re.IGNORECASE):
            title = _title_value(value)
            if title:
                found.titles.append(Candidate(title, LABEL, order, "label"))
        elif re.fullmatch(_COMPANY_LABELS, label, re.IGNORECASE):
            org = re.split(r"\s{2,}|[;；,，。]|\s+(?:电话|手机|联系人)", value)[0].strip()
            head = org.split(" ")[0]
            if " " in org and is_company_name(head, strong=True):
                org = head
            if label in ("customer", "account") and not is_company_name(org):
                continue
            _add_org(found, org, LABEL, order, "label")
        else:
            weak = re.fullmatch(_WEAK_NAME_LABELS, label, re.IGNORECASE) is not None
            person = _person_value(value)
            if person is None:
                if label == "客户":
                    _add_org(found, re.split(r"[,，。;；\s]", value)[0], LINE, order, "label")
                continue
            name, title, org = person
            score = LABEL - 1 if weak else LABEL
            if label in ("决策人", "负责人"):
                score = NOTE_TITLED
            _add_name(found, name, score, order, "label", title=title, org=org, speaker=message.speaker)


def _person_value(value: str) -> tuple[str, str | None, str | None] | None:
    """A labelled person: "孟繁星（教学总监）", "IT部 乌兰（主管） 151…", "董事长 白音", "Erik Johansson"."""
    value = value.strip()
    en = re.match(rf"(?:{_EN_HONORIFIC}\s+)?(?P<name>{_EN_NAME})", value)
    if en and en["name"].split()[0] not in _EN_NOT_NAME:
        rest = value[en.end() :]
        said = re.match(rf"\s*[,(（-]\s*(?P<title>{EN_TITLE})", rest, re.IGNORECASE)
        return en["name"], said["title"] if said else None, None
    head = _NAME_VALUE_END.split(value, maxsplit=1)[0]
    for start in range(min(len(head), 12)):
        if not _HAN_RE.match(head[start]):
            continue
        before = head[:start].strip()
        if before and not re.fullmatch(
            rf"(?:{_TITLE_ZH}|{_DEPT_ZH}(?:部|中心|处|科|室)?|[A-Za-z]{{1,5}}部?)", before
        ):
            continue
        name = zh_name_at(head, start, loose=True)
        honorific = people.honorific_at(head, start)
        polite = re.match(rf"[{_HAN}]{{1,2}}(?:先生|女士|小姐|老师)", head[start:])
        chosen = name
        if honorific and (not name or len(honorific) >= len(name)):
            chosen = honorific
        if polite and (not chosen or len(polite[0]) > len(chosen)) and names.surname_length(polite[0]):
            chosen = polite[0]
        if not chosen:
            continue
        after = head[start + len(chosen) :]
        bracket = re.match(r"(?:先生|女士|小姐)?\s*[(（](?P<inside>[^)）]{1,30})[)）]", after)
        title = None
        org = None
        if bracket:
            inside = bracket["inside"].strip()
            if re.fullmatch(
                rf"[{_HAN}]{{1,2}}(?:先生|女士|小姐|老师)|[{_HAN}]{{2,3}}", inside
            ) and inside.startswith(_surname(chosen) or "-"):
                return inside, None, None
            title, org = _split_inside(inside)
        if title is None and before:
            title = before
        if title is None and org is None:
            title, org = _split_inside(
                re.sub(r"^[\s,，、]+|\b(?:男|女)\b", " ", value[start + len(chosen) :])
            )
        return chosen, title, org
    return None


def _split_inside(inside: str) -> tuple[str | None, str | None]:
    """ "江苏恒信精密机械有限公司 副总经理" -> (title, company)."""
    title: str | None = None
    org: str | None = None
    for said in re.split(r"[\s,，、/|]+", inside.strip()):
        part = said.strip("()（）")
        if not part or part in ("男", "女") or re.search(r"\d", part) or _is_honorific(part):
            continue
        if _TITLE_ZH_RE.fullmatch(part) or _EN_TITLE_RE.fullmatch(part):
            title = part
        elif re.fullmatch(rf"{_DEPT_ZH}(?:部|中心|处|科|室)?", part) or _DEPT_TITLE.fullmatch(part):
            title = part if title is None else title
        elif org is None and (is_company_name(part) or len(part) >= 4) and not region.is_place(part):
            org = part
    return title, org


def _title_value(value: str) -> str | None:
    value = re.split(r"\s{2,}|[;；,，]|\s+(?:电话|手机|邮箱)", value)[0].strip()
    return value if 1 < len(value) <= 30 else None


def _intro_zh(text: str, order: int, message: Message, found: _Found, *, asked: bool) -> None:
    speaker = message.speaker
    said_name = False
    for m in _ZH_INTRO.finditer(text):
        name, position = _name_after(text, m.end())
        title = m["title"]
        between = text[m.end() : position].strip(" ,，")
        if (
            name
            and not title
            and between
            and (_TITLE_ZH_RE.fullmatch(between) or _DEPT_TITLE.fullmatch(between))
        ):
            title = between
        dept = m["dept"]
        org = _without_determiner(m["org"]) if m["org"] else None
        unit = m["unit"]
        if org and re.fullmatch(rf"{_DEPT_ZH}(?:部|中心|处|科|室)?", org):
            dept, unit, org = org, None, None
        split = re.fullmatch(
            rf"(?P<org>[{_HAN}A-Za-z]{{2,20}}?)(?P<dept>(?:{_DEPT_ZH})[{_HAN}]{{0,4}}?(?:部|中心|处|科|室))",
            org or "",
        )
        if split and (is_company_name(split["org"]) or len(split["org"]) >= 4) and not dept:
            org, dept, unit = split["org"], split["dept"], None
        if dept and unit and not title:
            dept = dept + unit
        if name is None:
            # "我是采购经理" / "我是市场部的": the speaker's own title.
            if title or dept:
                found.titles.append(
                    Candidate(_title_of(dept, None, title), INTRO - 2, order, "self", speaker=speaker)
                )
            if org and _org_ok(org):
                _add_org(found, org, INTRO - 1, order, "intro", person=speaker)
            continue
        if title:
            title = re.sub(r"^(?:集团|公司|总部|分公司|工厂|厂里|事业部|区域)(?=.{2})", "", title)
        said_after, org_after = _title_org_after(text, position + len(name))
        if not said_after and not title:
            # "我是陳建國，台南永興紡織董事長": the company and the title in one phrase after the name.
            phrase = _ORG_TITLE_PHRASE.match(text, position + len(name))
            if phrase:
                org_after, said_after = _split_org_title("", phrase["p"])
                if org_after is None or not _TITLE_ZH_RE.fullmatch(said_after):
                    org_after, said_after = None, None
        org = org or org_after
        if said_after and not title:
            title = said_after
        elif title and dept:
            title = _title_of(dept, None, title)
        elif dept and not title:
            title = dept + "负责人" if re.search(r"负责", text) else dept
        score = INTRO if message.side is not Side.NARRATOR else INTRO - 2
        _add_name(found, name, score, order, "intro", title=title, org=org if org and _org_ok(org) else None,
                  speaker=speaker)  # fmt: skip
        said_name = True
    for m in _ZH_SURNAME_INTRO.finditer(text):
        rest = text[m.end() :]
        full = re.match(r"[\s,，:：]*", rest)
        position = m.end() + (full.end() if full else 0)
        name = zh_name_at(text, position)
        if name and name.startswith(m["surname"]):
            title = _title_after(text, position + len(name))
            _add_name(found, name, INTRO, order, "intro", title=title, speaker=speaker)
            said_name = True
        else:
            score = SURNAME + 2.5 if message.side is Side.CUSTOMER else SURNAME
            _add_name(found, m["surname"], score, order, "surname", speaker=speaker)
    # "我姓苏苏丽萍我们在…": the surname, then the full name that starts with it, in one breath.
    for m in re.finditer(rf"(?:我姓|免贵姓|本人姓)(?P<s>[{_HAN}])[\s,，]*(?=(?P=s))", text):
        name = zh_name_at(text, m.end())
        if name:
            _add_name(found, name, INTRO, order, "intro", speaker=speaker)
            said_name = True
    confirmed = re.match(r"^(?:是我|我就是|对[,，]?\s*是我|是的[,，]?\s*我是)[\s,，。]*", text)
    if confirmed and message.side is Side.CUSTOMER:
        name = zh_name_at(text, confirmed.end())
        if name:
            _add_name(found, name, INTRO, order, "intro", speaker=speaker)
            said_name = True
    for m in _ZH_FULL_NAME.finditer(text):
        name = zh_name_at(text, m.end()) or en_name_at(text, m.end())
        title = _title_after(text, m.end() + len(name)) if name else None
        _add_name(found, name, INTRO, order, "full", title=title, speaker=speaker)
        said_name = said_name or bool(name)
    _said_in_note(text, order, found, narrator=message.side is Side.NARRATOR)
    _does_job(text, order, message, found)
    if message.side is Side.CUSTOMER:
        _org_and_dept(text, order, message, found)
    works = _ZH_WORKS_IN.search(text)
    if works and message.side is not Side.REP:
        dept = works["dept"] or works["dept2"] or works["dept3"]
        title = dept + "负责人" if works["dept"] else dept + (works["unit"] or "")
        found.titles.append(Candidate(title, INTRO - 3, order, "self", speaker=speaker))
    if asked and not said_name:
        _answer(text, order, message, found)
    if _asked_org(message, order, found.messages):
        # "北京百川数智，我是COO助理", "嘉兴的，永固紧固件，我是…": the first part that names a company.
        for part in re.split(r"\s*[,，。;；]\s*", text.strip())[:3]:
            org = part.strip()
            if not re.fullmatch(rf"[{_HAN}A-Za-z&' ]{{2,16}}", org) or org.endswith("的"):
                continue
            if re.search(r"叫|是|一家|一间|一个|我|你|在|做", org):
                break  # a sentence about the company, read by the other cues
            if _org_ok(org) and not names.is_chinese_name(org) and not is_descriptor(org):
                _add_org(found, org, INTRO - 1, order, "answer", person=speaker)
            break


_ORG_TITLE_PHRASE = re.compile(
    rf"[,，\s]+(?P<p>[^\s,，。!！?？]{{3,24}}?(?:{_TITLE_ROLE}))" r"(?=[\s,，。!！?？]|$)"
)
# "我是南京苏宁易购的数据分析经理邵磊", "我是全家便利商店區域經理黃冠宇": the title right before the name.
_INTRO_AT = re.compile(r"(?:我是|我叫|俺是|本人是?|我这边是)")
_ROLE_END = re.compile(rf"(?:{_TITLE_ROLE})\s?")
_HONORIFIC_WORD = re.compile(
    r"(?:总|经理|工|老师|主任|部长|院长|厂长|课长|组长|科长|处长|店长|校长|先生|女士|小姐)(?=[\s,，、:：啊呀]*[\u4e00-\u9fff])"
    r"|(?<=[老小])[\u4e00-\u9fff](?=[\s,，、:：]*[啊呀]?[\s,，、:：]*[\u4e00-\u9fff])"
)
_APPOSITION_GAP = re.compile(r"[\s,，、:：]*(?:啊|呀)?[\s,，、:：]*")


def _intro_title_name(text: str, order: int, message: Message, found: _Found) -> None:
    """An introduction that ends in title and name: the name after the title, the company before it."""
    for intro in _INTRO_AT.finditer(text):
        segment = re.split(r"[,，。!！?？;；\n]", text[intro.end() : intro.end() + 40], maxsplit=1)[0]
        for role in _ROLE_END.finditer(segment):
            name = zh_name_at(segment, role.end())
            if name is None:
                continue
            said = segment[: role.end()].strip()
            org, _, title = said.rpartition("的")
            org, title = _split_org_title(_trim_zh_org(org) or "", title)
            if title and 1 < len(title) <= 12 and _TITLE_ZH_RE.search(title):
                _add_name(found, name, INTRO, order, "intro", title=title,
                          org=org if org and _org_ok(org) else None, speaker=message.speaker)  # fmt: skip
            break


def _split_org_title(said_org: str, title: str) -> tuple[str | None, str]:
    """ "全家便利商店區域經理" -> ("全家便利商店", "區域經理"): the shortest start naming a company."""
    org = re.sub(r"^.*的", "", said_org).strip() or None
    for cut in range(2, len(title) - 1):
        head = title[:cut]
        if is_company_name(head) and _TITLE_ZH_RE.fullmatch(title[cut:].strip()):
            return head, title[cut:].strip()
    return org, title.strip()


def _apposed(text: str, order: int, message: Message, found: _Found) -> None:
    """ "涂总 涂海明", "老板单总，单国平", "黃課長黃俊傑": an honorific and the full name it stands for."""
    for m in _HONORIFIC_WORD.finditer(text):
        gap = _APPOSITION_GAP.match(text, m.end())
        name = zh_name_at(text, gap.end()) if gap else None
        if name is None:
            continue
        if text[m.start() - 1 : m.start()] in "老小" and m[0] == text[m.start() : m.start() + 1]:
            surnames = [m[0]]  # 老周, 小邱
        else:
            surnames = [text[m.start() - n : m.start()] for n in (1, 2) if m.start() >= n]
        if any(names.surname_length(s) == len(s) and name.startswith(s) for s in surnames):
            _add_name(found, name, INTRO - 1, order, "apposed", speaker=message.speaker)


def _name_after(text: str, position: int) -> tuple[str | None, int]:
    """The name an introduction gives at `position`: "张伟", "Amber 许小美" (the Chinese one), ", Vivian Lin",
    "，采购部，覃丽华" (past a department or title said first)."""
    name = zh_name_at(text, position)
    if name:
        return name, position
    gap = re.match(r"[\s,，:：]*", text[position:])
    start = position + (gap.end() if gap else 0)
    skipped = re.match(
        rf"(?:{_TITLE_ZH}|{_DEPT_ZH}(?:部|中心|处|科|室)?|[{_HAN}]{{1,2}}(?:小姐|先生|女士|老师))[\s,，]+",
        text[start:],
    )
    if skipped and zh_name_at(text, start + skipped.end()):
        return zh_name_at(text, start + skipped.end()), start + skipped.end()
    name = zh_name_at(text, start)
    if name:
        return name, start
    english = re.match(rf"(?P<en>{_EN_WORD})\s+(?=[{_HAN}])", text[start:])
    if english:
        after = zh_name_at(text, start + english.end())
        if after:
            return after, start + english.end()
    name = en_name_at(text, start)
    if name is None or _EN_TITLE_RE.fullmatch(name) or re.match(r"[\w\s&.-]*的", text[start:]):
        return None, position
    return name, start


def _said_in_note(text: str, order: int, found: _Found, *, narrator: bool) -> None:
    for m in _ZH_SURNAME_SAID.finditer(text if narrator else ""):
        if zh_name_at(text, m.start("surname")):
            continue
        gap = re.match(r"[\s,，:：]*", text[m.end() :])
        position = m.end() + (gap.end() if gap else 0)
        full = zh_name_at(text, position)
        if full and full.startswith(m["surname"]):
            _add_name(found, full, INTRO - 1, order, "full", title=_title_after(text, position + len(full)))
        else:
            _add_name(found, m["surname"], SURNAME, order, "surname")
    for m in _TITLE_SURNAME.finditer(text if narrator else ""):
        full = zh_name_at(text, m.end())
        if full and full.startswith(m["surname"]):
            _add_name(found, full, INTRO - 1, order, "full", title=m["title"])
    for m in _ZH_CALLED.finditer(text if narrator else ""):
        full = zh_name_at(text, m.end())
        if full:
            _add_name(found, full, INTRO - 1, order, "full", title=_title_after(text, m.end() + len(full)))
    for m in _ZH_CONTACT_SAID.finditer(text):
        position = m.end()
        name = people.honorific_at(text, position) or zh_name_at(text, position)
        if not name:
            continue
        title = None
        honorific = re.match(
            rf"[{_HAN}]{{1,2}}?(?P<t>总经理|总监|经理|主任|部长|处长|科长|院长|厂长|主管|组长)$", name
        )
        if honorific:
            title = _title_of(m["dept"], m["unit"], honorific["t"])
        elif m["dept"]:
            title = (m["dept"] or "") + (m["unit"] or "")
        _add_name(found, name, LABEL - 1, order, "label", title=title)
    for m in _ZH_VISITED.finditer(text if narrator else ""):
        org = m["org"]
        if _org_ok(org) and not people.honorific_at(org, 0) and not zh_name_at(org, 0):
            _add_org(found, org, NOTE_MET, order, "visited")


def _title_after(text: str, end: int) -> str | None:
    """The title said right after a name: "王海燕，是物流部的经理", "黄家明，德记贸易的采购经理"."""
    return _title_org_after(text, end)[0]


def _title_org_after(text: str, end: int) -> tuple[str | None, str | None]:
    after = _ZH_AFTER_NAME_TITLE.match(text, end)
    if after is None:
        return None, None
    org = after["org"] if after["org"] and _org_ok(after["org"]) else None
    dept, unit = after["dept"], after["unit"]
    if after["org"] and _DEPT_TITLE.fullmatch(after["org"]):
        dept, unit, org = after["org"], None, None
        if not after["title"]:
            return dept, None
    if after["title"]:
        return _title_of(dept, unit, after["title"]), org
    if after["dept"] and after["unit"]:
        return after["dept"] + after["unit"], org
    return None, None


def _org_and_dept(text: str, order: int, message: Message, found: _Found) -> None:
    """A reply that is only a company and a department: "温州职业技术学院 后勤处"."""
    parts = [p for p in re.split(r"[\s,，]+", text.strip()) if p]
    if (
        len(parts) == 2
        and _DEPT_TITLE.fullmatch(parts[1])
        and (is_company_name(parts[0]) or _org_ok(parts[0]))
    ):
        found.titles.append(Candidate(parts[1], INTRO - 3, order, "self", speaker=message.speaker))
        _add_org(found, parts[0], INTRO - 1, order, "said", person=message.speaker)


def _does_job(text: str, order: int, message: Message, found: _Found) -> None:
    """ "我喺香港科技園一間startup做CTO", "我在律师行做office manager": the speaker's title."""
    m = _ZH_DOES.search(text)
    if m:
        found.titles.append(Candidate(m["title"], INTRO - 2, order, "self", speaker=message.speaker))


def _answer(text: str, order: int, message: Message, found: _Found) -> None:
    """The reply to "怎么称呼" / "中文名是？": "赵德厚。辽宁康泰医药", "鞠先生", "Priya Nair, Head of IT"."""
    head = re.sub(
        rf"(?i:^{_GREETING}(?:(?:sure|yes|yeah|ok|okay|of course|certainly)\b[\s!,.~-]*)?)", "", text.strip()
    )
    name = zh_name_at(head, 0)
    if name is None and re.match(rf"[{_HAN}]{{2,3}}(?:[,，\s]|$)", head):
        # Asked for their name, people answer with it even when its surname is rare (禤国强).
        token = re.match(rf"[{_HAN}]{{2,3}}", head)
        name = token[0] if token and _loose_name(token[0]) and not is_company_name(token[0]) else None
    if name is None:
        polite = re.match(rf"[{_HAN}]{{1,2}}(?:先生|女士|小姐|老师|总|生|太)(?![{_HAN}])", head)
        if polite and names.surname_length(polite[0]):
            name = polite[0]
    if name is None:
        en = re.match(rf"(?:{_EN_HONORIFIC}\s+)?{_EN_NAME}", head)
        name = en_name_at(head, 0) if en else None
        trade = _EN_TRADE.search(head)
        if name and ((trade and trade.start() < len(name)) or is_company_name(name)):
            return
    if name is None:
        return
    rest = head[len(name) :]
    title = None
    org = None
    if not _HAN_RE.match(name):
        title, org = _en_title_org(rest)
        parts = [p.strip() for p in re.split(r"\s*[,|]\s*", rest) if p.strip()]
        if title is None and parts and re.fullmatch(rf"(?i:{_EN_DEPT}|{_EN_MODIFIER})", parts[0]):
            title = parts[0]
            org = org or next((p for p in parts[1:] if _EN_TRADE.search(p) or is_company_name(p)), None)
        if title or org:
            _add_name(found, name, ANSWER, order, "answer", title=title, org=org, speaker=message.speaker)
            return
    for part in re.split(r"[\s,，。.;；]+", rest):
        if not part:
            continue
        if title is None and (_TITLE_ZH_RE.fullmatch(part) or _EN_TITLE_RE.fullmatch(part)):
            title = part
        elif org is None and is_company_name(part):
            org = part
    _add_name(found, name, ANSWER, order, "answer", title=title, org=org, speaker=message.speaker)


def _title_of(dept: str | None, unit: str | None, title: str | None) -> str:
    if title and dept and not title.startswith(dept):
        return dept + (unit or "") + title
    return title or (dept or "") + (unit or "")


def _intro_en(text: str, order: int, message: Message, found: _Found) -> None:
    speaker = message.speaker
    for m in (*_EN_INTRO.finditer(text), *_EN_HERE.finditer(text), *_MIXED_INTRO.finditer(text)):
        name = m["name"]
        if name.islower():
            name = name.capitalize()
        elif name.split()[0] in _EN_NOT_NAME:
            continue
        name = en_name_at(name, 0) or ""
        if not name or _EN_TITLE_RE.fullmatch(name):
            continue
        rest = text[m.start("name") + len(m["name"]) :]
        if re.match(r"[\w\s&.-]*的", rest):
            continue
        title, org = _en_title_org(rest)
        _add_name(found, name, INTRO, order, "intro", title=title, org=org, speaker=speaker)
    for m in _EN_NAME_TITLE_AT.finditer(text):
        name = en_name_at(m["name"], 0)
        if name and len(name.split()) >= 2:
            _add_name(found, name, INTRO - 1, order, "intro", title=m["title"].strip(),
                      org=_clean_en_org(m["org"]), speaker=speaker)  # fmt: skip
    listed = _EN_NAME_LIST.match(text)
    if listed and message.side is not Side.REP:
        name = en_name_at(listed["name"], 0)
        parts = [p.strip() for p in listed["rest"].split(",") if p.strip()]
        title = next(
            (p for p in parts if _EN_TITLE_RE.fullmatch(p) or re.fullmatch(rf"(?i:{_EN_DEPT})", p)), None
        )
        org = next((p for p in parts if _EN_TRADE.search(p) or is_company_name(p)), None)
        if name and len(name.split()) >= 2 and (title or org):
            _add_name(found, name, INTRO - 1, order, "intro", title=title, org=org, speaker=speaker)
    for m in _EN_TITLE_NAME_END.finditer(text):
        name = en_name_at(m["name"], 0)
        if name and len(name.split()) >= 2:
            _add_name(found, name, INTRO - 1, order, "intro", title=m["title"], speaker=speaker)
    said = _EN_SELF_TITLE.search(text)
    if said:
        title = said["title"].strip()
        if not re.fullmatch(r"(?i:free|available|sure|sorry|interested|looking|the\s+\w+)", title):
            found.titles.append(Candidate(title, INTRO - 1, order, "self", speaker=speaker))
            at = re.search(r"\s(?:at|of|for|with|@)\s+$", said[0])
            named = re.match(_EN_ORG, text[said.end() :]) if at else None
            if named:
                _add_org(found, _clean_en_org(named["org"]), INTRO - 1, order, "intro", person=speaker)
    for m in _EN_I_COMMA.finditer(text):
        if _EN_TITLE_RE.match(m["title"]):
            _add_name(found, m["name"], INTRO, order, "intro", title=m["title"].strip(),
                      org=_clean_en_org(m["org"]), speaker=speaker)  # fmt: skip
    if re.search(r"\b(?i:i|we)\s+own\b", text):
        found.titles.append(Candidate("owner", INTRO - 3, order, "self", speaker=speaker))
    head = _EN_HEAD_OF.search(text)
    if head:
        found.titles.append(
            Candidate("Head of " + head["dept"].title(), INTRO - 2, order, "self", speaker=speaker)
        )


def _en_title_org(rest: str) -> tuple[str | None, str | None]:
    """What follows a name: ", IT Director at Acme Corp", " from Northwind Traders", " here - Lead @ X"."""
    title = None
    org = None
    m = re.match(
        rf"\s*(?:here\b)?\s*[,\-–—|]?\s*(?:the\s+|an?\s+)?(?P<title>{EN_TITLE})\s*(?:,|at|of|@|for|with|\|)?\s*",
        rest,
        re.IGNORECASE,
    )
    if m and m["title"].strip():
        title = m["title"].strip()
        rest = rest[m.end() :]
        if re.match(r"^(?:at|of|@|for|with)\b|^[A-Z]", rest) or re.search(
            r"(?:at|of|@|for|with|,)\s*$", m[0]
        ):
            org_m = re.match(r"\s*(?:at|of|@|for|with)?\s*" + _EN_ORG, rest)
            if org_m:
                org = _clean_en_org(org_m["org"])
        return title, org
    m = re.match(
        rf"\s*(?:here\s*)?[,.]?\s*(?:here\s+)?(?:from|with|at|@)\s+"
        rf"(?:the\s+[\w ]{{1,30}}?\s+office\s+of\s+)?{_EN_ORG}",
        rest,
    )
    if m:
        org = _clean_en_org(m["org"])
        after = rest[m.end() :]
        t = re.match(rf"\s*[,(-]\s*(?:the\s+)?(?P<title>{EN_TITLE})\b", after, re.IGNORECASE)
        if t:
            title = t["title"]
        return title, org
    lower = _EN_ORG_LOWER.match(rest.lstrip())
    if lower is None:
        lower = re.match(
            r"\s*(?:here\s+)?from\s+(?P<org>[a-z]+(?:\s+[a-z]+){0,2})(?=[.,!]|\s+(?:here|we|and)\b|$)", rest
        )
    if lower:
        org = lower["org"].title()
    return title, org


def _brackets(text: str, order: int, message: Message, found: _Found) -> None:
    """ "孙立民（江苏恒信精密机械有限公司 副总经理）", "向东（总经理）"."""
    for m in re.finditer(r"[(（](?P<inside>[^()（）]{2,40})[)）]", text):
        before = text[: m.start()].rstrip()
        inside = m["inside"].strip()
        called = next((before[-n:] for n in (2, 3, 4) if people.is_honorific(before[-n:])), None)
        if called and zh_name_at(inside, 0) == inside and inside.startswith(_surname(called) or "-"):
            dept = re.search(rf"(?P<d>{_DEPT_ZH}(?:部|中心|处|科|室)?)的{re.escape(called)}$", before)
            _add_name(found, inside, BRACKET, order, "bracket", title=dept["d"] if dept else None,
                      speaker=message.speaker)  # fmt: skip
            continue
        name = None
        for length in (4, 3, 2):
            token = before[-length:]
            if len(token) == length and zh_name_at(before, len(before) - length) == token:
                name = token
                break
        if name is None:
            continue
        title, org = _split_inside(m["inside"])
        if title is None and org is None:
            continue
        _add_name(found, name, BRACKET, order, "bracket", title=title, org=org, speaker=message.speaker)


def _note_mentions(
    dialogue: Dialogue, mentions: Sequence[tuple[Clause, people.Mention]], found: _Found
) -> None:
    """People the rep's own note names: 拜访了华为的张总, 总经理卢海波, 和王小明聊了. What the customer
    says of someone ("邢总是以岭物流的老板") only gives that person's title."""
    for clause, mention in mentions:
        if clause.side is Side.CUSTOMER and mention.title and not mention.self_intro:
            found.titles.append(
                Candidate(mention.title, NOTE_TITLED, clause.message, "mention", speaker=mention.name)
            )
        if clause.side is not Side.NARRATOR or mention.self_intro:
            continue
        order = clause.message
        if _OUR_SIDE.search(dialogue.messages[order].text[: _position(dialogue, clause, mention)]):
            continue
        value = mention.name
        if value in ("老板", "总经理", "董事长", "总裁", "一把手", "CEO", "boss", "owner", "GM"):
            continue
        if _is_honorific(value):
            score = NOTE_HONORIFIC
        elif mention.title:
            score = NOTE_TITLED
        else:
            score = NOTE_MET
        if _HAN_RE.match(value) and not (names.is_chinese_name(value) or _is_honorific(value)):
            continue
        _add_name(found, value, score, order, "note", title=mention.title, org=mention.org)


def _position(dialogue: Dialogue, clause: Clause, mention: people.Mention) -> int:
    """Where a mention starts in its message."""
    text = dialogue.messages[clause.message].text
    at = text.find(clause.text)
    return (at if at >= 0 else 0) + mention.start


def _orgs_said(text: str, order: int, message: Message, found: _Found) -> None:
    for m in _ZH_ORG_SAID.finditer(text):
        said = m["org"]
        if said.isascii():
            continue  # "公司叫 Swift Link": a Latin name of several words is read whole below
        if m[0].startswith(("我们是", "我们这边是")) and (
            "的" in said or re.match(r"(?:做|一家|一个)", said)
        ):
            continue
        org = _trim_zh_org(said)
        if not org or is_descriptor(org):
            continue
        called = re.search(r"叫做|名叫|叫", m[0]) is not None
        # "開咗間保險代理公司，叫卓越保險顧問": a business named as such may end in a title word.
        named = called and _BUSINESS.search(text) and not _NOT_ORG_ZH.search(org) and len(org) >= 4
        if _org_ok(org) or named or (called and _BUSINESS.search(text) and names.is_chinese_name(org)):
            _add_org(found, org, INTRO - 1, order, "said", person=message.speaker)
    for m in _LATIN_AFTER_BUSINESS.finditer(text):
        org = _clean_en_org(m["org"])
        if _org_ok(org):
            _add_org(found, org, INTRO - 1, order, "said", person=message.speaker)
    apposed = _APPOSED_ORG.search(text)
    if apposed and not apposed["org"].startswith(("在", "位于")):  # "…的公司，在北京中关村" says where
        org = _trim_zh_org(re.sub(r"^(?:叫做|名叫|叫|是|为)", "", apposed["org"]))
        if org and _org_ok(org) and not is_descriptor(org):
            _add_org(found, org, INTRO - 1, order, "said", person=message.speaker)
    owned = _ORG_OF_PERSON.fullmatch(text.strip())
    if owned and message.side is Side.CUSTOMER:
        org, who = owned["org"], owned["who"]
        if (is_company_name(org) or _org_ok(org)) and not is_descriptor(org):
            _add_org(found, org, INTRO - 1, order, "said", person=message.speaker)
            full = zh_name_at(who, 0)
            if full == who:
                _add_name(found, who, INTRO, order, "intro", speaker=message.speaker)
            elif names.surname_length(who) == len(who):
                _add_name(found, who, SURNAME, order, "surname", speaker=message.speaker)
    for m in re.finditer(r"\((?P<org>[A-Z][\w&'’.-]{0,30}(?:\s+(?:[A-Z][\w&'’.-]{0,30}|&)){0,3})\)", text):
        if re.search(r"\bwe\b|\bour\b|\bmy\b|\bi\s+(?:own|run)\b|公司|我们", text, re.IGNORECASE) and _org_ok(
            m["org"]
        ):
            _add_org(found, m["org"], NOTE_MET, order, "said", person=message.speaker)
    for m in re.finditer(r"[「『“《](?P<org>[^」』”》]{2,16})[」』”》]", text):
        if _org_ok(m["org"]) and not re.search(r"[,，。!！?？]", m["org"]):
            _add_org(found, m["org"], INTRO - 1, order, "quoted", person=message.speaker)
    for m in _ORG_TITLE.finditer(text):
        org = _trim_zh_org(m["org"]) if _HAN_RE.search(m["org"]) else m["org"]
        if org and _org_ok(org):
            _add_org(found, org, INTRO - 1, order, "said", person=message.speaker)
            found.titles.append(Candidate(m["title"], INTRO - 1, order, "self", speaker=message.speaker))
    for m in _EN_FROM_HAN.finditer(text):
        org = _trim_zh_org(m["org"])
        if org and _org_ok(org) and not is_descriptor(org):
            _add_org(found, org, INTRO - 2, order, "said", person=message.speaker)
    for m in _EN_ORG_SAID.finditer(text):
        org = _clean_en_org(m["org"])
        if org and _org_ok(org) and not _EN_TITLE_RE.fullmatch(org):
            _add_org(found, org, INTRO - 2, order, "said", person=message.speaker)
    if _NEED_LABEL.match(text):
        return
    for company in find_companies(text):
        strong = is_company_name(company, strong=True)
        _add_org(found, company, LINE if strong else NOTE_MET, order, "company")
    for m in _EN_TRADE.finditer(text):
        org = _clean_en_org(m["org"])
        if _org_ok(org) and not (
            en_name_at(org, 0) == org and len(org.split()) <= 2 and not _EN_TRADE.fullmatch(org)
        ):
            _add_org(found, org, NOTE_MET + 1, order, "trade", person=message.speaker)
    for m in _LATIN_CALLED.finditer(text):
        org = _clean_en_org(m["org"])
        if _org_ok(org):
            _add_org(found, org, INTRO - 1, order, "said", person=message.speaker)


def _trim_zh_org(org: str) -> str | None:
    # Spoken text runs on after the registered name: "…物业管理有限公司我是工程部的".
    legal = re.search(r"(?:股份有限公司|有限责任公司|有限公司)", org)
    if legal:
        org = org[: legal.end()]
    org = re.sub(r"^.*(?:我是|我们是|是|在|来自)", "", org)
    # "葵涌的新成货运", "高雄的「茶自在」": a place before 的 says where, the company comes after it.
    place = re.match(r"(?P<place>[^的,，。]{2,6})的(?P<rest>[^,，。]{2,20})$", org)
    if place and (region.place_names(place["place"]) or _LOCAL_PLACE.fullmatch(place["place"])):
        org = place["rest"]
    org = _without_determiner(org)
    if re.search(r".(?:一间|一家|一个)", org):
        return None  # "香港科技园一间startup": where and what, not the name
    org = re.split(r"(?:的|做|在|有|是|想|要|我|[,，。.!！?？~～])", org, maxsplit=1)[0]
    org = re.sub(r"(?:这边|那边|公司)$", "", org) if not is_company_name(org) else org
    return org if len(org) >= 2 else None


def _without_determiner(org: str) -> str:
    """ "那个绿源农业", "一家游戏公司": a determiner or a count before a company is not its name."""
    return re.sub(r"^(?:那个|这个|那家|这家|一家|一个|一间|[一二两三四五六七八九十\d]+家)", "", org)


def _org_ok(org: str) -> bool:
    org = org.strip()
    if len(org) < 2 or org in _PLACE_ONLY_EN or region.is_place(org):
        return False
    if _HAN_RE.search(org) and "".join(region.place_names(org)) == org:
        return False
    if _HAN_RE.search(org):
        if _NOT_ORG_ZH.search(org) and not is_company_name(org, strong=True):
            return False
        if names.is_chinese_name(org) or _is_honorific(org) or _TITLE_ZH_RE.fullmatch(org):
            return False
        if re.search(people.TITLE_ZH, org) and not is_company_name(org, strong=True):
            return False
        if _LOCAL_PLACE.fullmatch(org):
            return False
        return not re.fullmatch(rf"{_DEPT_ZH}(?:部|中心|处|科|室)?", org)
    words = org.split()
    if len(words) <= 2 and all(region.english_place_names(w) for w in words) and not _EN_TRADE.search(org):
        return False
    return not (len(words) == 1 and words[0] in _EN_NOT_NAME)


def _clean_en_org(org: str) -> str:
    # "Tulip Fresh Logistics (Rotterdam)": the town in brackets says where, it is not the name.
    org = re.sub(r"\s*\([A-Z][a-z]+(?:\s[A-Z][a-z]+)?\)\s*$", "", org.strip())
    # "Lagos Breweries PLC. Saw your post": a full stop and a capital start the next sentence.
    org = re.split(
        r"(?<!\bCo)(?<!\bInc)(?<!\bLtd)(?<!\bCorp)\.\s+(?=[A-Z])|(?<=\bPLC)\.\s+|(?<=\bSRL)\.\s+", org.strip()
    )[0]
    org = org.strip()
    while True:
        trimmed = _ORG_TRAIL.sub("", org)
        if trimmed == org:
            break
        org = trimmed
    return org


def _add_org(
    found: _Found, org: str | None, score: float, order: int, cue: str, person: str | None = None
) -> None:
    if not org:
        return
    org = re.sub(r"(?:中国区|大中华区|亚太区|中国分公司)$", "", org.strip())
    quoted = re.search(r"[「“\"『](?P<inner>[^」”\"』]{2,20})[」”\"』]", org)
    if quoted:
        org = quoted["inner"]
    # "一间物业管理公司（宏基物业管理有限公司）": the registered name in brackets is the company.
    bracketed = re.search(r"[(（](?P<inner>[^()（）]{4,30})(?P<closed>[)）])?$", org)
    if bracketed and (bracketed["closed"] is None or is_company_name(bracketed["inner"], strong=True)):
        org = bracketed["inner"]
    org = org.strip(" ,，。:：'\"“”「」")
    if org.endswith(".") and not re.search(r"\b(?:Inc|Ltd|Co|Corp|Bhd|Pte|Pvt)\.$", org):
        org = org[:-1]
    if not org or org in found.ours or any(org in ours for ours in found.ours if len(ours) >= 4):
        return
    found.orgs.append(Candidate(org, score, order, cue, speaker=person))


def _label_parts(label: str) -> list[str]:
    label = _EMOJI.sub(" ", label)
    parts = (part.strip() for part in _LABEL_PARTS.split(label))
    return [p for p in parts if p and not _LABEL_NOISE.match(p) and p not in _LABEL_ROLES]


def _headers(messages: Sequence[Message], found: _Found) -> None:
    """The customer's display name: a full name, a first name, an honorific; its decorations name the
    company and the title."""
    seen: set[str] = set()
    said = [m.speaker for m in messages if m.side is Side.CUSTOMER and m.speaker]
    main = max(dict.fromkeys(said), key=said.count) if said else None
    for i, m in enumerate(messages):
        if m.side is not Side.CUSTOMER or not m.speaker or m.speaker in seen:
            continue
        seen.add(m.speaker)
        # A colleague who joins the customer's group chat is not the contact the rep deals with.
        weight = 0.0 if m.speaker == main else -3.5
        parts = _label_parts(m.speaker)
        if not parts or _GENERIC_SPEAKER.fullmatch(parts[0]):
            if len(parts) > 1:
                _header_name(parts[1:], i, m.speaker, found, weight)
            continue
        if re.fullmatch(r"\+?[\d\s()-]{7,20}", m.speaker):
            continue
        _header_name(parts, i, m.speaker, found, weight)


def _header_name(parts: list[str], order: int, speaker: str, found: _Found, weight: float) -> None:
    name: str | None = None
    score = 0.0
    title = None
    orgs: list[str] = []
    outside = re.sub(r"[(\[（【].*?[)\]）】]", " ", _EMOJI.sub(" ", speaker))
    words = outside.split()
    english = [
        p
        for i, p in enumerate(words)
        if (re.fullmatch(_EN_WORD, p) and p not in _EN_NOT_NAME)
        # "Sanne de Vries": a particle between two parts of a name is part of it.
        or (0 < i < len(words) - 1 and re.fullmatch(_EN_PARTICLE, p) and re.fullmatch(_EN_WORD, words[i + 1]))
    ]
    handle = re.fullmatch(r"(?P<first>[a-z]{2,})[._](?P<last>[a-z]{2,})", speaker.strip())
    if handle:
        english = [handle["first"].capitalize(), handle["last"].capitalize()]
    inside = re.findall(r"[(\[（【](.*?)[)\]）】]", speaker)
    orgs += [
        part.strip()
        for part in inside
        if re.fullmatch(r"[A-Z][\w&' -]{1,30}", part) and part.lower() not in ("sales", "us", "solutions")
    ]
    for said in parts:
        # "客户张伟": the word for customer before a name.
        part = said[2:] if name is None and re.match(r"^客户(?=[\u4e00-\u9fff]{2,3}$)", said) else said
        if name is None and names.is_chinese_name(part):
            name, score = part, HEADER_FULL
        elif name is None and _is_honorific(part):
            name, score = part, HEADER_HONORIFIC
        elif _TITLE_ZH_RE.fullmatch(part) or _EN_TITLE_RE.fullmatch(part) or _DEPT_TITLE.fullmatch(part):
            title = part
        elif re.fullmatch(rf"[{_HAN}]{{1,2}}", part) and names.surname_length(part) == len(part):
            if name is None:
                name, score = part, SURNAME
        elif _HAN_RE.search(part) and _org_ok(part) and not region.is_place(part):
            orgs.append(part)
    if english:
        with_particle = len(english) >= 3 and re.fullmatch(_EN_PARTICLE, english[1])
        en_name = " ".join(english[:3] if with_particle else english[:2]) if len(english) >= 2 else english[0]
        en_score = HEADER_FULL if len(english) >= 2 else HEADER_FIRST
        if handle:
            en_score = HEADER_FIRST + 1
        if en_score > score:
            name, score = en_name, en_score
    if name is None:
        return
    _add_name(found, name, score + weight, order, "header", title=title, speaker=speaker)
    for org in orgs:
        _add_org(found, org, HEADER_FIRST + 1, order, "header", person=speaker)


def _tables(messages: Sequence[Message], found: _Found) -> None:
    """A table pasted as rows: a header of field names, then a row of values."""
    for i, m in enumerate(messages[:-1]):
        cells = [c.strip() for c in re.split(r"\s*[|\t]\s*|\s{2,}", m.text) if c.strip()]
        if len(cells) < 3 or not all(_TABLE_HEADER.fullmatch(c) for c in cells):
            continue
        values = [c.strip() for c in re.split(r"\s*[|\t]\s*|\s{2,}", messages[i + 1].text) if c.strip()]
        row = "  ".join(f"{label}：{value}" for label, value in zip(cells, values, strict=False))
        _labelled(row, i + 1, messages[i + 1], found)


def _cards(messages: Sequence[Message], found: _Found) -> None:
    """A contact card shared in WeChat ("[名片] 覃丽华"): the person the rep is meant to contact."""
    for i, m in enumerate(messages):
        card = re.match(r"^\[名片\]\s*(?P<name>\S.{0,20})$", m.text)
        if card is None:
            continue
        name = zh_name_at(card["name"], 0) or en_name_at(card["name"], 0)
        if name:
            _add_name(found, name, LINE, i, "card")


def _lines(dialogue: Dialogue, found: _Found) -> None:
    """Contact lines and pasted Chinese signatures: "成都高新区 周海涛 成都蓉城医疗科技 销售总监 139…"."""
    theirs = [(i, _ours_cut(m.text)) for i, m in enumerate(dialogue.messages) if m.side is not Side.REP]
    lines = [text for _, text in theirs]
    for index, line in find_contacts(lines):
        order = theirs[index][0]
        score = SIGNATURE if (line.title or line.org) else LINE
        title = line.title
        if title is None and index > 0:
            # "后续你联系我们的项目经理吧" - "韩冰 138…": the title said on the line before.
            said = _TITLE_BEFORE.search(lines[index - 1])
            title = said["title"] if said else None
        speaker = dialogue.messages[order].speaker
        _add_name(found, line.name, score, order, "line", title=title, org=line.org, speaker=speaker)


def _signatures(messages: Sequence[Message], found: _Found) -> None:
    """A sign-off and the lines below it: name, title, company ("Best regards, / Sarah O'Connor / Head of
    Operations | Brightline Logistics Ltd."), or one line of parts joined by bars."""
    for i, m in enumerate(messages):
        if m.side is Side.REP:
            continue
        text = m.text
        email_from = _EMAIL_FROM.match(text)
        if email_from:
            _add_name(found, en_name_at(email_from["name"], 0), SIGNATURE, i, "from")
        if "|" in text or re.search(r"\s[-–—]\s.*\s[-–—]\s", text):
            _bar_line(text, i, found)
        if not _SIGN_OFF.match(text):
            continue
        block: list[str] = []
        for following in messages[i + 1 : i + 7]:
            if following.speaker != m.speaker or following.side is Side.REP:
                break
            block.append(following.text)
        _block(block, i + 1, found)


def _bar_line(text: str, order: int, found: _Found) -> None:
    parts = [p.strip() for p in re.split(r"\s*\|\s*|\s+[-–—]\s+", text) if p.strip()]
    if len(parts) < 2:
        return
    name = None
    title = None
    org = None
    for part in parts:
        looks_named = zh_name_at(part, 0) == part or en_name_at(part, 0) == part
        if name is None and looks_named and title is None:
            name = part
        elif looks_named and org is None and title is not None and _org_ok(part):
            # "Aoife Murphy | Operations Lead | PharmaCare Ireland": after the title comes the company.
            org = part
        elif title is None and (
            _EN_TITLE_RE.fullmatch(part) or _TITLE_ZH_RE.fullmatch(part) or _DEPT_TITLE.fullmatch(part)
        ):
            title = part
        elif org is None and (is_company_name(part) or (_org_ok(part) and name and title)):
            org = part
    if name:
        _add_name(found, name, SIGNATURE, order, "signature", title=title, org=org)
    elif title or org:
        if title:
            found.titles.append(Candidate(title, SIGNATURE - 1, order, "signature"))
        if org:
            _add_org(found, org, SIGNATURE - 1, order, "signature")


def _block(lines: list[str], order: int, found: _Found) -> None:
    while lines and (_SIGN_OFF.match(lines[0]) or not lines[0].strip()):
        lines = lines[1:]
    if not lines:
        return
    first = re.sub(rf"^{_EN_HONORIFIC}\s+", "", lines[0].strip())
    name = None
    zh = zh_name_at(first, 0)
    if zh and (len(first) == len(zh) or not _HAN_RE.match(first[len(zh)])):
        name = zh
    elif en_name_at(first, 0) == first:
        name = first
    if name is None:
        return
    title = None
    org = None
    for line in lines[1:]:
        if _SIGN_OFF.match(line):
            break
        for piece in _SCRIPT_PARTS.split(line):
            part = piece.strip()
            if not re.search(r"\w", part) or re.search(r"@|\d{4}|www\.|https?:", part):
                continue
            if zh_name_at(part, 0) == part or en_name_at(part, 0) == part:
                if len(part) > len(name) and _completes(part, name):
                    name = part
                elif org is None and title is not None and _org_ok(part):
                    org = part
                continue
            if title is not None and _DEPT_TITLE.fullmatch(title) and _TITLE_ZH_RE.fullmatch(part):
                title += part  # "采购部 高级采购": the department, then the title in it
            elif title is None and (
                _EN_TITLE_RE.fullmatch(part) or _TITLE_ZH_RE.fullmatch(part) or _DEPT_TITLE.fullmatch(part)
            ):
                title = part
            elif org is None and _block_org(part):
                org = part
    _add_name(found, name, SIGNATURE, order, "signature", title=title, org=org)


def _block_org(part: str) -> bool:
    """A line of a signature block that names the company: a company's form or trade word, or a phrase
    of capitalised words; a single word only when it is written like a brand (PayLink, IBM), since a
    town ("Hamburg") often follows the company."""
    if is_company_name(part) or _EN_TRADE.search(part):
        return True
    if not _org_ok(part) or _EN_TITLE_WORDS.search(part):
        return False
    if _HAN_RE.search(part):
        return True
    return len(part.split()) > 1 or bool(re.fullmatch(r"[A-Z]{2,6}|[A-Z][a-z]+[A-Z]\w*", part))


def _greeted(messages: Sequence[Message], found: _Found) -> None:
    """The honorific or first name our rep greets the customer with: "王经理您好", "Hi Mr. Patel"; the
    company the rep asks about ("请问是恒远机械的吴总吗")."""
    for i, m in enumerate(messages):
        if m.side is not Side.REP:
            continue
        asked = _REP_ASKS_WHO.search(m.text)
        if asked and _org_ok(asked["org"]) and not is_descriptor(asked["org"]):
            _add_org(found, asked["org"], NOTE_MET, i, "greeted")
            _add_name(found, asked["who"], GREETED, i, "greeted")
        zh = re.search(
            rf"(?P<name>[{_HAN}]{{1,2}}(?:总|经理|工|老师|主任|院长|厂长|先生|女士|小姐|主管|组长|科长|部长|董|生|太))"
            r"(?:您好|你好|好|早|,|，|!|！)",
            m.text,
        )
        if zh and names.surname_length(zh["name"]):
            _add_name(found, zh["name"], GREETED, i, "greeted")
        en = re.search(
            rf"(?i:\b(?:hi|hello|hey|dear|thanks|thank you|morning|good (?:morning|afternoon|evening))),?\s+"
            rf"(?P<name>(?:{_EN_HONORIFIC}\s+)?{_EN_WORD})",
            m.text,
        )
        if en and en["name"] not in _EN_NOT_NAME:
            _add_name(found, en["name"], GREETED, i, "greeted")


def _emails(dialogue: Dialogue, found: _Found) -> None:
    """E-mail local parts that spell a candidate's name: zhoumin@ confirms 周敏, lisa.tan@ makes Lisa
    Lisa Tan."""
    from nlu import patterns

    theirs = "\n".join(m.text for m in dialogue.messages if m.side is not Side.REP)
    locals_ = [e.split("@")[0].lower() for e in patterns.find_emails(theirs)]
    if not locals_:
        return
    extra: list[Candidate] = []
    boosted: list[Candidate] = []
    for candidate in found.names:
        value = candidate.value
        for local in locals_:
            squashed = re.sub(r"[._-]", "", local)
            if _HAN_RE.match(value) and names.is_chinese_name(value):
                spelled = _spell(value)
                if spelled and (squashed == spelled or squashed.startswith(spelled)):
                    boosted.append(Candidate(value, candidate.score + 1, candidate.order, candidate.cue,
                                             candidate.title, candidate.org, candidate.speaker))  # fmt: skip
            elif re.fullmatch(_EN_WORD, value):
                parts = re.split(r"[._-]", local)
                if len(parts) == 2 and parts[0] == value.lower() and len(parts[1]) > 1:
                    full = f"{value} {parts[1].capitalize()}"
                    extra.append(Candidate(full, candidate.score + 0.5, candidate.order, "email",
                                           candidate.title, candidate.org, candidate.speaker))  # fmt: skip
    found.names.extend(extra + boosted)


# ------------------------------------------------------------------------------------------ choosing


def _completes(full: str, short: str) -> bool:
    """Whether `full` names the person `short` only hints at: 张伟 for 张总 / 张 / 张先生, "Lisa Tan" for
    Lisa, "Wong Mei Ling" for "Ms. Wong"."""
    if full == short:
        return False
    if _HAN_RE.match(full) and names.is_chinese_name(full):
        surname = _surname(short)
        return bool(surname) and (_is_honorific(short) or short == surname) and full.startswith(surname or "")
    words = full.split()
    if len(words) < 2:
        return False
    short_words = re.sub(rf"^{_EN_HONORIFIC}\s+", "", short).split()
    if len(short_words) != 1:
        return False
    return short_words[0] in words


def _full(value: str) -> bool:
    """A whole name (张伟, "Thomas Becker") rather than an honorific, a surname or a first name."""
    return names.is_chinese_name(value) or (len(value.split()) >= 2 and not _is_honorific(value))


def _weigh_speakers(messages: Sequence[Message], found: _Found) -> None:
    """In a group chat the customer who talks most is the contact; what another customer-side
    speaker says of themselves counts a little less."""
    said = [m.speaker for m in messages if m.side is Side.CUSTOMER and m.speaker]
    if len(set(said)) < 2:
        return
    main = max(dict.fromkeys(said), key=said.count)
    others = set(said) - {main}
    found.names[:] = [
        Candidate(c.value, c.score - 1, c.order, c.cue, c.title, c.org, c.speaker)
        if c.speaker in others and c.cue != "header"
        else c
        for c in found.names
    ]


def _choose_name(found: _Found) -> Candidate | None:
    if not found.names:
        return None
    ranked = sorted(found.names, key=lambda c: (-c.score, not _full(c.value), c.order))
    best = ranked[0]
    # A speaker's Chinese full name beats the English first name they go by ("Jerry" - 胡哲).
    if re.fullmatch(_EN_WORD, best.value) and best.speaker:
        for candidate in ranked[1:]:
            if (
                candidate.speaker == best.speaker
                and names.is_chinese_name(candidate.value)
                and candidate.score >= best.score - 3
            ):
                return replace(
                    best,
                    value=candidate.value,
                    cue=candidate.cue,
                    title=candidate.title or best.title,
                    org=candidate.org or best.org,
                )
    # A full name anywhere beats the honorific or first name it completes.
    for candidate in ranked[1:]:
        if candidate.score >= GREETED and _completes(candidate.value, best.value):
            return replace(
                best,
                value=candidate.value,
                cue=candidate.cue,
                title=candidate.title or best.title,
                org=candidate.org or best.org,
            )
    # A surname alone reads better with the honorific the rep greets them with (黎 -> 黎经理).
    if best.cue == "surname" or re.fullmatch(rf"[{_HAN}]{{1,2}}", best.value):
        for candidate in ranked[1:]:
            if _is_honorific(candidate.value) and _surname(candidate.value) == best.value:
                return Candidate(candidate.value, best.score, best.order, best.cue, best.title, best.org,
                                 best.speaker)  # fmt: skip
    return best


def _same_person(a: str | None, b: str) -> bool:
    return bool(a) and (a == b or _completes(b, a or "") or _completes(a or "", b))


# Titles an honorific can carry that say what the person does (not 总 or 经理, said of anyone senior).
_SPECIFIC_TITLES = r"总监|主任|部长|处长|科长|课长|院长|厂长|董事长|店长|校长|园长|馆长|组长"
# Cues that name the author of a block of text (an e-mail, a signature) rather than a third person.
_BLOCK_CUES = frozenset(("from", "signature", "intro", "label", "answer"))


def _choose_title(found: _Found, name: Candidate | None) -> str | None:
    if name is None:
        labelled = [t for t in found.titles if t.cue == "label"]
        return labelled[0].value if labelled else None
    attached = [
        t
        for t in found.titles
        if _same_person(t.speaker, name.value)
        or (t.cue == "self" and t.speaker == name.speaker and (name.speaker or name.cue in _BLOCK_CUES))
    ]
    if name.title:
        attached.append(Candidate(name.title, name.score, name.order, name.cue))
    labelled = [t for t in found.titles if t.cue == "label" and name.cue in ("label", "answer", "line")]
    pool = attached + labelled
    if not pool:
        # "王店长" greeted or shown for 王小燕: the title in the honorific is hers.
        honorifics = [name.value] + [c.value for c in found.names if _completes(name.value, c.value)]
        for value in honorifics:
            said = re.fullmatch(rf"(?P<s>[{_HAN}]{{1,2}}?)(?P<t>{_SPECIFIC_TITLES})", value)
            if said and names.surname_length(said["s"]) == len(said["s"]):
                return said["t"]
        return None
    return sorted(pool, key=lambda t: (-t.score, t.order))[0].value


def _choose_org(found: _Found, name: Candidate | None) -> str | None:
    people_named = {c.value for c in found.names}
    orgs = [o for o in found.orgs if o.value not in people_named]
    if not orgs:
        return None
    scored: dict[str, tuple[float, int, str]] = {}
    for org in orgs:
        score = org.score
        if name is not None and (
            _same_person(org.speaker, name.value) or (name.speaker and org.speaker == name.speaker)
        ):
            score += 1
        if name is not None and name.org == org.value:
            score += 1
        key = org.value
        if key not in scored or score > scored[key][0]:
            scored[key] = (score, org.order, org.value)
    # A longer form of the same company (江苏恒信精密机械有限公司 for 恒信机械) takes the shorter one's
    # strength too.
    values = list(scored)
    for short in values:
        for long in values:
            if long != short and _contains(long, short) and (is_company_name(long) or _EN_TRADE.search(long)):
                s_long, s_short = scored[long], scored[short]
                scored[long] = (max(s_long[0], s_short[0]) + 0.5, min(s_long[1], s_short[1]), long)
    return sorted(scored.values(), key=lambda item: (-item[0], item[1]))[0][2]


def _contains(long: str, short: str) -> bool:
    """ "江苏恒信精密机械有限公司" contains "恒信" and "恒信机械" (its characters in order)."""
    if len(long) <= len(short):
        return False
    if short in long:
        return True
    position = 0
    for ch in short:
        position = long.find(ch, position) + 1
        if position == 0:
            return False
    return len(short) >= 4 and bool(_HAN_RE.match(short))


def _spell(name: str) -> str:
    """A Chinese name in toneless pinyin without spaces, as e-mail addresses write it (周敏 -> zhoumin)."""
    return "".join(lazy_pinyin(name, style=Style.NORMAL))
