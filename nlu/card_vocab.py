"""Words printed on business cards: field labels, job titles, company forms (both scripts, English)."""

from __future__ import annotations

import functools
import re

from nlu.resources import word_list

# Label words per field, longest first within a field so 移动电话 wins over 电话. Traditional forms are
# spelled out: cards from Taiwan and Hong Kong print 電話/傳真/手機/郵箱/網址.
LABELS: dict[str, tuple[str, ...]] = {
    "mobile": (
        "手机号码", "手機號碼", "移动电话", "移動電話", "行动电话", "行動電話", "手提电话",
        "手提電話", "手机号", "手机", "手機", "mobile phone", "cell phone", "cellphone",
        "handphone", "mobile", "mob", "cell", "携帯電話", "携帯", "携带",
    ),
    "phone": (
        "办公电话", "辦公電話", "联系电话", "聯繫電話", "聯絡電話", "固定电话", "公司电话",
        "直线电话", "电话", "電話", "座机", "座機", "固话", "直线", "直線", "telephone", "office",
        "direct", "phone", "tel", "ph", "電話番号", "電话", "直通",
    ),
    "tollfree": (
        "全国服务热线", "全国客服热线", "全国热线", "全國熱線", "服务热线", "服務熱線", "客服热线",
        "客服熱線", "400热线", "热线", "熱線", "toll-free", "toll free", "hotline",
    ),
    "fax": (
        # 傅真: how OCR often reads 傳真.
        "传真号码", "傳真號碼", "传真", "傳真", "傅真", "facsimile", "fax",
    ),
    "email": (
        "电子邮箱", "電子郵箱", "电子邮件", "電子郵件", "邮箱", "郵箱", "电邮", "電郵", "邮件",
        "郵件", "メール", "e-mail", "email", "e-mall", "mail",
    ),
    "website": (
        "公司网址", "公司網址", "网址", "網址", "网站", "網站", "官网", "官網", "主页", "主頁",
        "website", "web", "url",
    ),
    "address": (
        "公司地址", "办公地址", "辦公地址", "通讯地址", "通訊地址", "联系地址", "聯繫地址", "地址",
        "地點", "住所", "所在地", "address", "addr", "add",
    ),
    "wechat": (
        "微信号", "微信號", "微信", "wechat id", "wechat", "weixin",
    ),
    "qq": (
        "qq号", "qq號", "qq",
    ),
    "name": (
        "姓名", "name",
    ),
    "title": (
        "职务", "職務", "职位", "職位", "position", "title",
    ),
    "company": (
        "公司名称", "公司名稱", "company",
    ),
}  # fmt: skip
# One-letter labels ("M: 138…", "T 021-…", "E: a@b.cn"): only at the start of a segment, before a colon or
# (the letters of PHONE_LETTERS) before the number itself.
SINGLE_LETTER = {
    "m": "mobile",
    "c": "mobile",  # cell
    "o": "phone",  # office
    "d": "phone",  # direct
    "t": "phone",
    "p": "phone",
    "f": "fax",
    "e": "email",
    "w": "website",
    "a": "address",
}
# Letters that may stand right before a number without a colon: "O 234" and "D 5" are OCR's 0 and a
# digit more often than office and direct labels.
PHONE_LETTERS = "mtpfc"

_TITLE_CORE_ZH = (
    "副董事长|董事长|副总经理|总经理|副总裁|总裁|首席执行官|首席技术官|首席财务官|首席运营官|首席信息官|"
    "首席营销官|总工程师|副总监|总监|副经理|经理|副主任|主任|高级工程师|工程师|主管|专员|代表|顾问|助理|"
    "秘书|会计|厂长|院长|所长|部长|处长|科长|店长|创始人|联合创始人|合伙人|董事|总工|设计师|架构师|"
    "研究员|教授|律师|医生|负责人|业务员|采购员"
)
# Japanese cards: the titles Japanese companies print (部長, 課長 …); 部長 and 社長 share forms with Chinese.
_TITLE_CORE_JA = (
    "代表取締役社長|代表取締役|取締役|執行役員|社長|副社長|専務|常務|本部長|部長|次長|課長|係長|主任|室長|"
    "支店長|所長"
)
_TITLE_CORE_HANT = (
    "副董事長|董事長|副總經理|總經理|副總裁|總裁|首席執行官|首席技術官|首席財務官|首席運營官|總工程師|"
    "副總監|總監|副經理|經理|高級工程師|工程師|專員|顧問|秘書|會計|廠長|院長|部長|處長|科長|店長|"
    "創始人|合夥人|設計師|架構師|研究員|律師|醫生|負責人|業務員|採購員|協理|襄理|特助"
)
_TITLE_CORE_EN = (
    r"CEO|CTO|CFO|COO|CIO|CMO|VP|GM|President|Vice\s+President|Chairman|Chairwoman|Founder|Co-founder|"
    r"Partner|Owner|Director|Manager|Engineer|Officer|Representative|Rep|Specialist|Consultant|Executive|"
    r"Assistant|Supervisor|Lead|Leader|Architect|Designer|Head|Buyer|Analyst|Accountant|Secretary|Professor|"
    r"Researcher|Scientist|Advisor|Adviser|Associate|Coordinator|Administrator|Agent|Broker|Counsel|Attorney|"
    r"Lawyer|Editor|Producer|Strategist|Planner|Developer|Programmer|Technician|Intern|Clerk|"
    r"Trainer|Instructor|Lecturer|Auditor|Controller|Treasurer|Superintendent|Advocate|"
    r"Physician|Nurse|Pharmacist|Realtor|Estimator|Surveyor|Marketer|Recruiter|Curator|Chairperson"
)
_DEPARTMENTS = (
    "销售|銷售|市场|市場|营销|營銷|行销|行銷|技术|技術|研发|研發|采购|採購|财务|財務|产品|產品|项目|項目|商务|商務|"
    "客户|客戶|人力资源|人力資源|人事|行政|运营|運營|營運|生产|生產|质量|質量|品质|品質|工程|设计|設計|业务|業務|"
    "区域|區域|大区|大區|华东|華東|华南|華南|华北|華北|西南|海外|国际|國際|外贸|外貿|渠道|售后|售後|客服|信息|資訊|"
    "物流|供应链|供應鏈|总经办|總經辦|董事会|董事會|研发中心|研發中心|营业|營業|営業|总务|總務|総務|IT"
)
_UNITS = "部|中心|处|處|科|组|組|室|事业部|事業部"
_RANKS = "副|高级|高級|资深|資深|首席|执行|執行|常务|常務|区域|區域|助理|首席|大客户|大客戶"
TITLE_ZH = re.compile(
    rf"(?:(?:{_DEPARTMENTS})(?:{_UNITS})?)?(?:{_RANKS})*(?:{_TITLE_CORE_ZH}|{_TITLE_CORE_HANT}|{_TITLE_CORE_JA})"
)
TITLE_EN = re.compile(rf"\b(?:{_TITLE_CORE_EN})\b", re.IGNORECASE)

# Company forms at the end of a name.
COMPANY_ZH = re.compile(
    r"(?:集团股份有限公司|集團股份有限公司|股份有限公司|有限责任公司|有限責任公司|集团有限公司|集團有限公司|"
    r"有限公司|股份公司|分公司|集团公司|集團公司|集团|集團|公司|研究院|研究所|设计院|設計院|事务所|事務所|"
    r"工作室|制造厂|製造廠|工厂|工廠|医院|醫院|大学|大學|学院|學院|银行|銀行|商行|商店|门市部|門市部)$"
    # Japanese companies put the form first: 株式会社コントーソ.
    r"|^(?:株式会社|有限会社|合同会社).+"
)
COMPANY_EN = re.compile(
    r"(?:\bCo\.?\s*,?\s*Ltd\.?|\bCompany\s+Limited|\bLimited|\bLtd\.?|\bInc\.?|\bLLC|\bL\.L\.C\.|\bGmbH|"
    r"\bCorp\.?|\bCorporation|\bGroup|\bCompany|\bInstitute|\bUniversity|\bBank|\bPte\.?\s*Ltd\.?|\bPLC|\bAG|"
    r"\bS\.A\.|\bB\.V\.|\bHoldings?)\s*$",
    re.IGNORECASE,
)
# A company's English name wrapped after "Co.," with "Ltd." alone on the next line.
COMPANY_EN_TAIL = re.compile(
    r"^(?:Co\.?\s*,?\s*)?(?:Ltd\.?|Limited|Inc\.?|LLC|GmbH|Corp\.?)\s*$", re.IGNORECASE
)

# Words that make a line an address: Chinese administrative and street words, English street words.
ADDRESS_ZH = re.compile(
    r"省|市|区|區|县|縣|镇|鎮|乡|鄉|村|路|街|道|巷|弄|里|号|號|大厦|大廈|大楼|大樓|广场|廣場|园区|園區|"
    r"中心|室|楼|樓|层|層|栋|棟|座|段"
)
ADDRESS_EN = re.compile(
    r"\b(?:Road|Rd|Street|St|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Highway|Hwy|District|Dist|Building|Bldg|"
    r"Tower|Plaza|Room|Rm|Floor|Fl|Suite|Unit|No|Zone|Park|Province|City|China|Taiwan|Hong\s+Kong|Sec)\b\.?",
    re.IGNORECASE,
)
# "2 Kingdom Street", "178 Main Avenue", "4001 1st Ave NE": a house number, then a street.
STREET_EN = re.compile(
    r"^\s*\d+[A-Za-z]?\s*[A-Za-z0-9 .'-]*?\b(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Way|Drive|"
    r"Dr|Court|Ct|Place|Pl|Parkway|Pkwy|Square|Sq|Terrace|Highway|Hwy|Crescent|Close|Row|Walk)\b",
    re.IGNORECASE,
)
# The end of an English address: a US state with its ZIP code, a UK or Canadian postcode.
POSTCODE_EN = re.compile(
    r"\b[A-Z]{2}\s?\d{5}(?:-\d{4})?\b|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"
)
# A Japanese address opens with its postcode (〒108-0075) or a prefecture.
ADDRESS_JA = re.compile(
    r"^(?:〒|T)?\s?\d{3}-\d{4}\s?(?=[\u4e00-\u9fff])|^(?:東京都|北海道|大阪府|京都府|东京都)"
)


@functools.cache
def surnames() -> tuple[frozenset[str], frozenset[str]]:
    """Single-character and compound (two-character) Chinese surnames, simplified and traditional."""
    names = set(word_list("surnames.txt")) | set(word_list("surnames_traditional.txt"))
    return frozenset(n for n in names if len(n) == 1), frozenset(n for n in names if len(n) == 2)


# Mailbox providers: an address there says nothing about the holder's company.
MAIL_PROVIDERS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "yahoo.com.hk", "yahoo.com.tw", "yahoo.co.jp", "icloud.com", "me.com", "aol.com", "proton.me",
        "protonmail.com", "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn",
        "sohu.com", "139.com", "189.cn", "aliyun.com", "hinet.net", "netvigator.com",
    }
)  # fmt: skip
