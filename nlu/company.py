"""Company names: registered forms (…有限公司, Co., Ltd.), short forms with a trade suffix (…科技)."""

from __future__ import annotations

import re

_STRONG = (
    "集团股份有限公司|股份有限公司|有限责任公司|集团有限公司|有限公司|股份公司|集团公司|集团|控股|公司|研究院|研究所|"
    "设计院|医院|大学|学院|银行|事务所|合作社|协会|商会|工作室|幼儿园|中学|小学|诊所|大药房|药房|酒店|宾馆|"
    "委员会|管委会|教委|卫健委|人民政府|政府|法院|检察院|厅|局|商行|经营部|门市部"
)
_WEAK = (
    "科技|网络|软件|信息|电子|智能|医疗|制药|药业|电气|机械|实业|贸易|物流|传媒|教育|汽车|能源|材料|生物|化工|食品|"
    "地产|置业|建设|农业|牧业|乳业|纺织|服饰|塑胶|塑业|五金|建材|陶瓷|钢贸|钢铁|旅业|物业|文化|环保|新材|精机|光电|"
    "电器|家居|家具|包装|餐饮|互娱|互动|速运|货运|仓储|供应链|冷链物流|国际|集团|半导体|照明|模具|光学|印刷|纸业|家纺|"
    "鞋业|制衣|茶业|酒业|灯饰|卫浴|涂料|玻璃|橡胶|光伏|锂电|商店|百货|超市|便利店|饰件|配件|零部件|部件|管业|工业|精工"
)
_ZH_COMPANY = re.compile(
    rf"(?P<name>[\u4e00-\u9fffA-Za-z0-9()（）]{{2,30}}?)(?P<suffix>{_STRONG})"
    rf"|(?P<wname>[\u4e00-\u9fffA-Za-z0-9]{{2,10}}?)(?P<weak>{_WEAK})"
    r"(?=的|那边|这边|说|是|在|吃|聊|谈|见|签|合作|想|要|有|也|都|还|和|跟|下属|旗下|[\s,，.。;；!！?？)）」”]|$)"
)
_EN_COMPANY = re.compile(
    r"\b(?P<name>(?:(?:[A-Z][\w&'-]*|&)\.?\s+){0,4}?[A-Z][\w&'-]*),?\s+"
    r"(?P<suffix>Co\.,?\s*Ltd\.?|Co\.|Pty\.?\s+Ltd\.?|\(Pvt\)\s+Ltd\.?|Pvt\.?\s+Ltd\.?|Ltd\.?|Limited|Inc\.?|LLC|Corp\.?|Corporation|Group|GmbH|PLC|Technologies|"
    r"Technology|Systems|Holdings|Pte\.?\s+Ltd\.?)(?!\w)"
)
# Capitalised words that start a sentence before a company name ("Visited Acme Inc. today").
_EN_LEAD = frozenset(
    ("The", "At", "From", "With", "For", "Of", "And", "I", "We", "Our", "Visited", "Met", "Called", "Meeting",
     "Today", "Yesterday", "Visit", "Saw", "Joined", "Contacted", "Client", "Customer")
)  # fmt: skip
_COMPANY_LABEL = re.compile(
    r"(?:公司名称|公司|单位|company)\s*[:：]\s*(?P<name>[^\n,，;；。]{2,40})", re.IGNORECASE
)
# Words a registered name does not start with: what comes before it in a sentence.
_LEAD = re.compile(
    r"^.*(?:拜访了?|见了?|来自|去了?|联系了?|对接|我是|他是|她是|他们是|我们是|这家|那家|一家|客户|"
    r"今天|昨天|上午|下午|刚才|的话|的|在|是|和|跟|与|给|到|找|叫做|名叫|叫|开了?[一二两三四五六七八九十几]?[家个间]|下属|旗下|"
    r"要做|想做|要搞|想搞|要上|想上|需要|打算|准备|我们|咱们|可以来|欢迎来)"
)
# Headings and everyday phrases that end like a trade name: 收货信息, 客户资料, 相关技术.
_NOT_A_COMPANY = re.compile(
    r"^(?:收货|收件|联系|客户|基本|个人|详细|相关|产品|公司|企业|订单|更多|账户|开票|发票|名片|项目|登记|意向|商机|"
    r"行业|核心|前沿|先进|高新|新兴|传统|线上|线下|智慧|数字|工业|民用|专业)(?:信息|资料|技术|科技|网络|软件|电子|智能|教育|"
    r"材料|能源|物流|贸易|医疗|机械)$"
)
# A name that says who or when rather than which company: "两点来你们公司", "一个物流子公司".
_NOT_A_NAME = re.compile(
    r"你们|我们|他们|咱们|贵|\d+点|^(?:来|去|到)|一个|一家|这个|那个|子公司$|^[一二两三四五六七八九十几\d]+[家个间所座]"
)
# What a company does, not what it is called: 跨境电商公司, 钢材贸易公司, 物流公司.
_INDUSTRY = (
    "跨境电商|电商|软件|科技|贸易|外贸|物流|快递|医药|餐饮|物业|装修|建筑|广告|咨询|教育|培训|互联网|游戏|金融|投资|保险|"
    "房地产|地产|制造|生产|加工|机械|电子|化工|食品|服装|家具|纺织|汽车|汽配|物联网|安防|传媒|文化|旅游|钢材|代理|进出口|"
    "生鲜|配送|连锁|零售|批发|工程|设计|印刷|包装|建材|五金|注塑|模具|水产|冷链|医疗|器械|环保|能源|新能源|光伏|"
    "口腔|牙科|美容|健身|瑜伽|母婴|烘焙|宠物|茶叶|民宿|半导体|设备|精密|摩托车|配件|零部件|锂电池|电池|服务|销售|营销|"
    "游戏"
)
_DESCRIPTOR = re.compile(rf"^(?:{_INDUSTRY}){{1,3}}$")
_GENERIC = re.compile(
    r"^(?:我们|你们|他们|咱们|贵|本|该|这家?|那家?|子|分|总|母|新|大|小|上市|外包|咨询|软件|科技|互联网|物流|贸易|"
    r"一家|这个|那个|哪家|哪个|其他|别的|整个|我|你|他|她|全|各|请问|问下|问一下|你的|您的)$"
)
_OWN = re.compile(r"(?:我们|我司|本公司|咱们)\s*$")


def trade_words() -> frozenset[str]:
    """The words a company's name ends in (科技, 纺织, 有限公司): never a place on their own."""
    return frozenset(f"{_STRONG}|{_WEAK}".split("|"))


def _balanced(name: str) -> str:
    """ "孙立民(江苏恒信精密机械" -> "江苏恒信精密机械": an opening bracket never closed starts the name."""
    for opening, closing in (("(", ")"), ("（", "）")):
        position = name.rfind(opening)
        if position >= 0 and closing not in name[position:]:
            name = name[position + 1 :]
    return name


def find_companies(text: str) -> list[str]:
    """Company names in order: labelled ones, registered forms, then short trade names."""
    found = [(0, m.start(), m["name"].strip()) for m in _COMPANY_LABEL.finditer(text)]
    for m in _ZH_COMPANY.finditer(text):
        raw = m["name"] or m["wname"]
        suffix = m["suffix"] or m["weak"]
        name = _LEAD.sub("", raw)
        if not name and raw.endswith("的"):
            # "去了美的集团": the 的 is the name's own ("美的"), not the particle before it.
            name = _LEAD.sub("", raw[:-1]) + "的"
            if len(name) != 2 or _GENERIC.match(name[0]):
                continue
        name = _balanced(name)
        if len(name) < 2 or _GENERIC.match(name) or _NOT_A_NAME.search(name):
            continue
        if _NOT_A_COMPANY.match(name + suffix) or _DESCRIPTOR.match(name) or _DESCRIPTOR.match(name + suffix):
            continue
        if _OWN.search(text[: m.start() + len(raw) - len(name)]):
            continue
        found.append((1 if m["suffix"] and suffix != "公司" else 3, m.start(), name + suffix))
    for m in _EN_COMPANY.finditer(text):
        words = m["name"].split()
        while words and words[0] in _EN_LEAD:
            words = words[1:]
        if words:
            found.append((2, m.start(), " ".join(words) + " " + m["suffix"]))
    found.sort()
    names = list(dict.fromkeys(name for _, _, name in found))
    # "杭州钢铁集团冷轧有限公司": a group's name runs on into its subsidiary's legal form.
    joined = [
        a + b
        for a in names
        for b in names
        if a != b and a + b in text and re.search("(?:集团|控股|大学|学院)$", a)
    ]
    return list(dict.fromkeys(joined + [n for n in names if not any(n in j for j in joined)]))


_STRONG_END = re.compile(rf"(?:{_STRONG})$")
_WEAK_END = re.compile(rf"(?:{_WEAK})$")
_EN_SUFFIX_END = re.compile(
    r"(?:\bCo\.,?\s*Ltd\.?|\bCo\.|\bLtd\.?|\bLimited|\bInc\.?|\bLLC|\bCorp\.?|\bCorporation|\bGroup|\bGmbH|"
    r"\bTechnologies|\bTechnology|\bSystems|\bHoldings|\bPLC|\bplc|\bAB|\bAG|\bSRL|\bS\.?A\.?|\bBV|\bPte\.?\s+Ltd\.?|\bPty\.?\s+Ltd\.?|"
    r"\bPvt\.?\s+Ltd\.?)$"
)


def is_company_name(text: str, *, strong: bool = False) -> bool:
    """Whether `text` ends like a company name (有限公司, 集团, Co., Ltd.; with `strong` false also 科技,
    贸易 and the other trade words)."""
    text = text.strip()
    if len(text) < 3:
        return False
    if _STRONG_END.search(text) or _EN_SUFFIX_END.search(text):
        return True
    return not strong and bool(_WEAK_END.search(text)) and len(text) > 3


_DESCRIPTOR_SUFFIX = re.compile(
    r"(?:公司|企业|工厂|厂|店|门店|代理商|经销商|机构|诊所|酒店|餐厅|商家|卖家|工作室)$"
)


def is_descriptor(text: str) -> bool:
    """Whether `text` says what a company does rather than its name: 跨境电商公司, 注塑厂, 口腔诊所."""
    core = _DESCRIPTOR_SUFFIX.sub("", text.strip())
    return (bool(core) and _DESCRIPTOR.match(core) is not None) or core == ""
