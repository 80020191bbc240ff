"""Synthetic business cards: seeded, plausible cards rendered with Pillow, with their ground truth.

Used by the OCR integration tests and bench/bench_cards.py. Fonts are Debian's fonts-noto-cjk,
fonts-wqy-zenhei and fonts-dejavu-core; the same seed always gives the same card.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import opencc
import phonenumbers
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Language = Literal["zh_hans", "zh_hant", "en", "bilingual"]
LANGUAGES: tuple[Language, ...] = ("zh_hans", "zh_hant", "en", "bilingual")
LAYOUTS = ("left", "centered", "two_column", "accent_bar", "logo_right", "band")
# Styles of real designer cards: a coloured panel with the company in white, a dark card in light type,
# a vertical split with the contact lines white on colour, a diagonal panel with low-contrast white type.
DESIGNER_LAYOUTS = ("panel", "dark", "split", "diagonal")
PERTURBATIONS = (
    "rotate90",
    "rotate180",
    "rotate270",
    "skew",
    "perspective",
    "blur",
    "noise",
    "lowres",
    "glare",
    "jpeg",
    "background",
    "dim",
    "photo",
    "table",
)

CARD_WIDTH = 1050  # 3.5 x 2 inches at 300 dpi, the usual card scan
CARD_HEIGHT = 600

_NOTO_SANS = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
_NOTO_SANS_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
_NOTO_SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
_NOTO_SERIF_BOLD = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
_WQY = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
_DEJAVU = "/usr/share/fonts/truetype/dejavu"
# Face index inside the Noto CJK collections: 2 is SC (simplified), 3 is TC (traditional).
_SC, _TC = 2, 3


# --- ground truth -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardTruth:
    """What the card says, normalised the way the parser should report it (phones as E.164)."""

    name: str
    title: str | None = None
    company: str | None = None
    mobile: str | None = None
    phones: tuple[str, ...] = ()
    fax: str | None = None
    emails: tuple[str, ...] = ()
    website: str | None = None
    address: str | None = None
    wechat_id: str | None = None
    qq: str | None = None
    province: str | None = None
    city: str | None = None
    # Other accepted values per field: the English side of a bilingual card says the same thing.
    alternatives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Card:
    """Rendered card sides (front, and back for bilingual cards) with their truth."""

    seed: int
    language: Language
    layout: str
    truth: CardTruth
    images: tuple[Image.Image, ...]
    perturbations: tuple[str, ...] = ()

    def encoded(self, fmt: str = "PNG", quality: int = 92) -> tuple[bytes, ...]:
        return tuple(encode(image, fmt, quality) for image in self.images)


def encode(image: Image.Image, fmt: str = "PNG", quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    if fmt.upper() in {"JPEG", "JPG"}:
        image.convert("RGB").save(buffer, "JPEG", quality=quality)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


# --- people, companies, numbers ----------------------------------------------------------------

_SURNAMES = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("高", "Gao"),
    ("林", "Lin"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
    ("彭", "Peng"), ("曾", "Zeng"), ("田", "Tian"), ("董", "Dong"), ("袁", "Yuan"),
    ("潘", "Pan"), ("蒋", "Jiang"), ("蔡", "Cai"), ("杜", "Du"), ("叶", "Ye"), ("程", "Cheng"),
    ("苏", "Su"), ("魏", "Wei"), ("吕", "Lyu"), ("丁", "Ding"), ("任", "Ren"), ("沈", "Shen"),
    ("姚", "Yao"), ("卢", "Lu"), ("姜", "Jiang"), ("崔", "Cui"), ("钟", "Zhong"), ("谭", "Tan"),
    ("陆", "Lu"), ("汪", "Wang"), ("范", "Fan"), ("金", "Jin"), ("石", "Shi"), ("廖", "Liao"),
    ("贾", "Jia"), ("夏", "Xia"), ("韦", "Wei"), ("方", "Fang"), ("白", "Bai"), ("邹", "Zou"),
    ("孟", "Meng"), ("熊", "Xiong"), ("秦", "Qin"), ("邱", "Qiu"), ("江", "Jiang"), ("薛", "Xue"),
    ("雷", "Lei"), ("侯", "Hou"), ("龙", "Long"), ("史", "Shi"), ("陶", "Tao"), ("贺", "He"),
    ("顾", "Gu"), ("毛", "Mao"), ("郝", "Hao"), ("邵", "Shao"), ("钱", "Qian"), ("严", "Yan"),
    ("戴", "Dai"), ("孔", "Kong"), ("汤", "Tang"),
)  # fmt: skip
_COMPOUND_SURNAMES = (
    ("欧阳", "Ouyang"), ("司马", "Sima"), ("诸葛", "Zhuge"), ("上官", "Shangguan"), ("司徒", "Situ"),
    ("皇甫", "Huangfu"), ("令狐", "Linghu"), ("公孙", "Gongsun"), ("慕容", "Murong"), ("端木", "Duanmu"),
)  # fmt: skip
_GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"),
    ("平", "ping"), ("刚", "gang"), ("文", "wen"), ("华", "hua"), ("建", "jian"), ("国", "guo"),
    ("志", "zhi"), ("海", "hai"), ("晓", "xiao"), ("红", "hong"), ("玉", "yu"), ("鹏", "peng"),
    ("辉", "hui"), ("宇", "yu"), ("浩", "hao"), ("欣", "xin"), ("怡", "yi"), ("俊", "jun"),
    ("嘉", "jia"), ("琳", "lin"), ("博", "bo"), ("晨", "chen"), ("思", "si"), ("雨", "yu"),
    ("佳", "jia"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("颖", "ying"), ("凯", "kai"),
    ("斌", "bin"), ("峰", "feng"), ("亮", "liang"), ("健", "jian"), ("毅", "yi"), ("飞", "fei"),
    ("鑫", "xin"), ("宁", "ning"), ("哲", "zhe"), ("昊", "hao"), ("睿", "rui"), ("楠", "nan"),
    ("倩", "qian"), ("蕾", "lei"), ("振", "zhen"), ("立", "li"), ("春", "chun"), ("永", "yong"),
)  # fmt: skip
_ENGLISH_GIVEN = (
    "David", "Michael", "Kevin", "Jason", "Tony", "Eric", "Jack", "Peter", "Vincent", "Frank",
    "Lucy", "Grace", "Amy", "Cindy", "Helen", "Linda", "Sophia", "Emily", "Alice", "Jenny",
    "Leo", "Allen", "Steven", "Bruce", "Andy", "Richard", "Karen", "Nancy", "Oliver", "Ivy",
)  # fmt: skip
_BRANDS = (
    ("华信", "Huaxin"), ("博远", "Boyuan"), ("中科", "Zhongke"), ("云栖", "Yunqi"), ("恒力", "Hengli"),
    ("天宇", "Tianyu"), ("金桥", "Jinqiao"), ("瑞达", "Ruida"), ("新锐", "Xinrui"), ("海创", "Haichuang"),
    ("卓越", "Zhuoyue"), ("智联", "Zhilian"), ("鼎盛", "Dingsheng"), ("宏图", "Hongtu"), ("嘉禾", "Jiahe"),
    ("汇通", "Huitong"), ("佳航", "Jiahang"), ("启明", "Qiming"), ("蓝海", "Lanhai"), ("星辰", "Xingchen"),
    ("晨光", "Chenguang"), ("远景", "Yuanjing"), ("同创", "Tongchuang"), ("安泰", "Antai"), ("精诚", "Jingcheng"),
)  # fmt: skip
_INDUSTRIES = (
    ("电子科技", "Electronic Technology"), ("信息技术", "Information Technology"),
    ("智能装备", "Intelligent Equipment"), ("网络科技", "Network Technology"),
    ("精密机械", "Precision Machinery"), ("新材料", "New Materials"), ("生物医药", "Biopharmaceutical"),
    ("环保科技", "Environmental Technology"), ("国际贸易", "International Trading"), ("物流", "Logistics"),
    ("自动化设备", "Automation Equipment"), ("光电", "Optoelectronics"), ("软件", "Software"),
    ("医疗器械", "Medical Devices"), ("化工", "Chemical"), ("包装材料", "Packaging Materials"),
)  # fmt: skip
_SUFFIXES = (
    ("有限公司", "Co., Ltd."), ("有限公司", "Co., Ltd."), ("有限公司", "Co., Ltd."),
    ("股份有限公司", "Co., Ltd."), ("集团有限公司", "Group Co., Ltd."), ("研究院", "Research Institute"),
)  # fmt: skip
_TITLES = (
    ("销售经理", "Sales Manager"), ("总经理", "General Manager"), ("技术总监", "Technical Director"),
    ("采购经理", "Purchasing Manager"), ("高级工程师", "Senior Engineer"), ("市场总监", "Marketing Director"),
    ("项目经理", "Project Manager"), ("区域销售总监", "Regional Sales Director"), ("产品经理", "Product Manager"),
    ("副总经理", "Deputy General Manager"), ("董事长", "Chairman"), ("首席执行官", "CEO"),
    ("首席技术官", "CTO"), ("客户经理", "Account Manager"), ("研发中心主任", "R&D Center Director"),
    ("商务经理", "Business Manager"), ("销售代表", "Sales Representative"), ("工程师", "Engineer"),
    ("市场部经理", "Marketing Manager"), ("财务总监", "Finance Director"),
)  # fmt: skip
_SLOGANS_ZH = ("专业·诚信·共赢", "让制造更智能", "专注工业自动化二十年", "品质成就未来", "创新驱动发展")
_SLOGANS_EN = ("Innovation for a better life", "Quality first", "Your trusted partner")


@dataclass(frozen=True, slots=True)
class _Place:
    province: str
    city: str
    district: str
    city_en: str
    district_en: str
    area_code: str
    streets: tuple[tuple[str, str], ...]


_PLACES = (
    _Place("上海市", "上海市", "浦东新区", "Shanghai", "Pudong New District", "21",
           (("张江路", "Zhangjiang Road"), ("世纪大道", "Century Avenue"), ("金科路", "Jinke Road"))),
    _Place("北京市", "北京市", "海淀区", "Beijing", "Haidian District", "10",
           (("中关村大街", "Zhongguancun Street"), ("学院路", "Xueyuan Road"), ("知春路", "Zhichun Road"))),
    _Place("北京市", "北京市", "朝阳区", "Beijing", "Chaoyang District", "10",
           (("建国路", "Jianguo Road"), ("望京街", "Wangjing Street"))),
    _Place("广东省", "深圳市", "南山区", "Shenzhen", "Nanshan District", "755",
           (("深南大道", "Shennan Avenue"), ("科苑路", "Keyuan Road"), ("高新南七道", "Gaoxin South 7th Road"))),
    _Place("广东省", "广州市", "天河区", "Guangzhou", "Tianhe District", "20",
           (("天河路", "Tianhe Road"), ("华夏路", "Huaxia Road"))),
    _Place("浙江省", "杭州市", "西湖区", "Hangzhou", "Xihu District", "571",
           (("文三路", "Wensan Road"), ("天目山路", "Tianmushan Road"))),
    _Place("浙江省", "杭州市", "余杭区", "Hangzhou", "Yuhang District", "571", (("文一西路", "Wenyi West Road"),)),
    _Place("江苏省", "苏州市", "吴中区", "Suzhou", "Wuzhong District", "512",
           (("东吴北路", "Dongwu North Road"), ("宝带东路", "Baodai East Road"))),
    _Place("江苏省", "南京市", "鼓楼区", "Nanjing", "Gulou District", "25", (("中山北路", "Zhongshan North Road"),)),
    _Place("四川省", "成都市", "武侯区", "Chengdu", "Wuhou District", "28",
           (("天府大道", "Tianfu Avenue"), ("人民南路", "Renmin South Road"))),
    _Place("湖北省", "武汉市", "洪山区", "Wuhan", "Hongshan District", "27", (("珞喻路", "Luoyu Road"),)),
    _Place("山东省", "青岛市", "市南区", "Qingdao", "Shinan District", "532", (("香港中路", "Hong Kong Middle Road"),)),
    _Place("天津市", "天津市", "滨海新区", "Tianjin", "Binhai New Area", "22", (("第三大街", "Third Avenue"),)),
    _Place("福建省", "厦门市", "思明区", "Xiamen", "Siming District", "592", (("观日路", "Guanri Road"),)),
    _Place("陕西省", "西安市", "雁塔区", "Xi'an", "Yanta District", "29",
           (("高新路", "Gaoxin Road"), ("科技路", "Keji Road"))),
)  # fmt: skip
# Taiwan (area code, 8-digit local numbers for 2 and 4, 7 for the others) and Hong Kong.
_TW_PLACES = (
    ("台北市", "信義區", "2", ("信義路五段", "松仁路", "基隆路一段")),
    ("台北市", "內湖區", "2", ("瑞光路", "內湖路一段", "港墘路")),
    ("新北市", "板橋區", "2", ("文化路一段", "縣民大道二段")),
    ("台中市", "西屯區", "4", ("台灣大道三段", "市政路")),
    ("高雄市", "前鎮區", "7", ("中山二路", "成功二路")),
    ("新竹市", "東區", "3", ("光復路二段", "關新路")),
)
_HK_PLACES = (
    ("香港九龍尖沙咀", "廣東道", "中港城"),
    ("香港灣仔", "港灣道", "中環廣場"),
    ("香港九龍觀塘", "觀塘道", "創紀之城"),
    ("香港中環", "皇后大道中", "中環中心"),
)

_CN_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip


def _digits(rng: random.Random, count: int, first: str = "123456789") -> str:
    return rng.choice(first) + "".join(rng.choice("0123456789") for _ in range(count - 1))


def _valid(e164: str) -> bool:
    try:
        number = phonenumbers.parse(e164.split(";", 1)[0], None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _is_mobile(e164: str) -> bool:
    return phonenumbers.number_type(phonenumbers.parse(e164, None)) == phonenumbers.PhoneNumberType.MOBILE


def _until_valid(make: Callable[[], tuple[str, str]], *, mobile: bool = False) -> tuple[str, str]:
    for _ in range(200):
        e164, printed = make()
        if _valid(e164) and (not mobile or _is_mobile(e164)):
            return e164, printed
    raise RuntimeError("no valid phone number generated")


def _group(digits: str, sizes: Sequence[int], sep: str) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    if start < len(digits):
        parts.append(digits[start:])
    return sep.join(part for part in parts if part)


def _cn_mobile(rng: random.Random) -> tuple[str, str]:
    def make() -> tuple[str, str]:
        digits = rng.choice(_CN_MOBILE_PREFIXES) + _digits(rng, 8, "0123456789")
        printed = rng.choice(
            (
                _group(digits, (3, 4, 4), " "),
                _group(digits, (3, 4, 4), "-"),
                digits,
                "+86 " + _group(digits, (3, 4, 4), " "),
                "+86-" + _group(digits, (3, 4, 4), "-"),
                "(+86) " + digits,
            )
        )
        return "+86" + digits, printed

    return _until_valid(make, mobile=True)


def _cn_landline(rng: random.Random, area: str, *, extension: bool, english: bool) -> tuple[str, str]:
    def make() -> tuple[str, str]:
        # Xiamen (0592) still has 7-digit local numbers; the other cities here have 8.
        local = _digits(rng, 7 if area == "592" else 8, "2345678")
        cut = len(local) - 4
        ext = _digits(rng, rng.choice((3, 4)), "12345678") if extension else ""
        printed = rng.choice(
            (
                f"0{area}-{local}",
                f"0{area}-{local[:cut]} {local[cut:]}",
                f"(0{area}) {local[:cut]}-{local[cut:]}",
                f"+86 {area} {local[:cut]} {local[cut:]}",
                f"+86-{area}-{local}",
            )
        )
        e164 = f"+86{area}{local}"
        if ext:
            printed += (
                rng.choice((f" ext. {ext}", f"-{ext}")) if english else rng.choice((f"转{ext}", f"-{ext}"))
            )
            e164 += f";ext={ext}"
        return e164, printed

    return _until_valid(make)


def _cn_400(rng: random.Random) -> tuple[str, str]:
    def make() -> tuple[str, str]:
        digits = "400" + _digits(rng, 7, "0123456789")
        printed = rng.choice((_group(digits, (3, 3, 4), "-"), _group(digits, (3, 3, 4), " "), digits))
        return "+86" + digits, printed

    return _until_valid(make)


def _tw_mobile(rng: random.Random) -> tuple[str, str]:
    def make() -> tuple[str, str]:
        digits = "9" + _digits(rng, 8, "0123456789")
        printed = rng.choice(
            ("0" + _group(digits, (3, 3, 3), "-"), "+886 " + _group(digits, (3, 3, 3), " "), "+886-" + digits)
        )
        return "+886" + digits, printed

    return _until_valid(make, mobile=True)


def _tw_landline(rng: random.Random, area: str) -> tuple[str, str]:
    def make() -> tuple[str, str]:
        local = _digits(rng, 8 if area in {"2", "4"} else 7, "2345678")
        cut = len(local) - 4
        printed = rng.choice(
            (
                f"(0{area}) {local[:cut]}-{local[cut:]}",
                f"0{area}-{local[:cut]}-{local[cut:]}",
                f"+886-{area}-{local[:cut]}-{local[cut:]}",
            )
        )
        return f"+886{area}{local}", printed

    return _until_valid(make)


def _hk_number(rng: random.Random, *, mobile: bool) -> tuple[str, str]:
    def make() -> tuple[str, str]:
        local = _digits(rng, 8, "569" if mobile else "23")
        printed = rng.choice((f"+852 {local[:4]} {local[4:]}", f"(852) {local[:4]} {local[4:]}"))
        return "+852" + local, printed

    return _until_valid(make, mobile=mobile)


# --- what a card says ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    """One rendered line: `role` says which part of the card it belongs to (for layouts)."""

    text: str
    role: str  # company | company_sub | name | name_sub | title | detail | address | slogan


@dataclass(slots=True)
class _Side:
    language: Literal["zh_hans", "zh_hant", "en"]
    company: str | None
    company_sub: str | None
    name: str
    name_sub: str | None
    title: str | None
    details: list[str]
    address: str | None  # with its label
    address_label: str
    slogan: str | None
    icons: bool


@dataclass(slots=True)
class _Person:
    """Everything known about the card holder, in the forms each language prints."""

    name_zh: str
    name_en: str
    title_zh: str
    title_en: str
    company_zh: str
    company_en: str
    mobile: tuple[str, str] | None
    phones: list[tuple[str, str]]
    fax: tuple[str, str] | None
    email: str | None
    website: str | None
    address_zh: str | None
    address_en: str | None
    wechat_id: str | None
    qq: str | None
    province: str | None
    city: str | None


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def _to_traditional(text: str) -> str:
    return str(_converter().convert(text))


def _person(rng: random.Random, region: Literal["cn", "tw", "hk"]) -> _Person:
    surname, surname_py = rng.choice(_COMPOUND_SURNAMES) if rng.random() < 0.06 else rng.choice(_SURNAMES)
    given = [rng.choice(_GIVEN) for _ in range(1 if rng.random() < 0.3 else 2)]
    given_zh = "".join(char for char, _ in given)
    given_py = "".join(py for _, py in given)
    english_given = rng.choice(_ENGLISH_GIVEN)
    name_en = rng.choice(
        (
            f"{english_given} {surname_py}",
            f"{given_py.capitalize()} {surname_py}",
            f"{surname_py.upper()} {given_py.capitalize()}",
        )
    )
    brand, brand_py = rng.choice(_BRANDS)
    industry, industry_en = rng.choice(_INDUSTRIES)
    suffix, suffix_en = rng.choice(_SUFFIXES)
    title_zh, title_en = rng.choice(_TITLES)
    place = rng.choice(_PLACES)

    # Local parts and domains the way Chinese companies spell them.
    domain = brand_py.lower() + rng.choice(("", "-tech", "tech", "group", "-china"))
    domain += rng.choice((".com", ".com.cn", ".cn", ".net"))
    local = rng.choice(
        (
            f"{surname_py}{given_py}",
            f"{given_py}.{surname_py}",
            f"{english_given}.{surname_py}",
            f"{english_given}",
            f"{given_py[0]}{surname_py}",
        )
    ).lower()
    qq = _digits(rng, rng.randint(6, 10)) if region == "cn" and rng.random() < 0.18 else None
    if qq and rng.random() < 0.5:
        email = f"{qq}@qq.com"
    elif rng.random() < 0.12:
        email = f"{local}@{rng.choice(('163.com', '126.com', 'gmail.com'))}"
    else:
        email = f"{local}@{domain}"
    wechat_id = None
    if region == "cn" and rng.random() < 0.3:
        wechat_id = rng.choice((f"{surname_py}{given_py}", f"wx_{given_py}", f"{english_given}{surname_py}"))
        wechat_id = (wechat_id + str(rng.randint(1, 999))).lower()[:20]

    street, street_en = rng.choice(place.streets)
    number = rng.randint(1, 999)
    building, room = rng.randint(1, 12), rng.randint(2, 28) * 100 + rng.randint(1, 20)
    unit_zh, unit_en = rng.choice(
        (
            (f"{building}号楼{room}室", f"Room {room}, Building {building}, "),
            (f"{building}栋{room}", f"Room {room}, Building {building}, "),
            (f"A座{room}", f"Room {room}, Tower A, "),
            ("", ""),
        )
    )
    with_province = place.province != place.city and rng.random() < 0.5
    address_zh = (place.province if with_province else "") + place.city + place.district
    address_zh += f"{street}{number}号{unit_zh}"
    address_en = f"{unit_en}No. {number} {street_en}, {place.district_en}, {place.city_en}, China"
    company_city = rng.choice(("", place.city, place.city.removesuffix("市")))
    if region == "cn":
        mobile = _cn_mobile(rng)
        phones = [_cn_landline(rng, place.area_code, extension=rng.random() < 0.2, english=False)]
        fax = _cn_landline(rng, place.area_code, extension=False, english=False)
        if rng.random() < 0.15:
            phones.append(_cn_400(rng))
        province, city = place.province, place.city
        company_zh = f"{company_city}{brand}{industry}{suffix}"
        company_en = f"{place.city_en + ' ' if company_city else ''}{brand_py} {industry_en} {suffix_en}"
    elif region == "tw":
        city_tw, district_tw, area, streets = rng.choice(_TW_PLACES)
        mobile = _tw_mobile(rng)
        phones = [_tw_landline(rng, area)]
        fax = _tw_landline(rng, area)
        floor = rng.randint(2, 20)
        address_zh = f"{city_tw}{district_tw}{rng.choice(streets)}{number}號{floor}樓"
        address_en = None
        province, city = "台湾省", city_tw
        company_zh = _to_traditional(f"{brand}{industry}{rng.choice(('股份有限公司', '有限公司'))}")
        company_en = f"{brand_py} {industry_en} Co., Ltd."
    else:
        district_hk, road, tower = rng.choice(_HK_PLACES)
        mobile = _hk_number(rng, mobile=True)
        phones = [_hk_number(rng, mobile=False)]
        fax = _hk_number(rng, mobile=False)
        address_zh = f"{district_hk}{road}{number}號{tower}{rng.randint(2, 40)}樓"
        address_en = None
        province, city = "香港特别行政区", "香港"
        company_zh = _to_traditional(f"{brand}{industry}有限公司")
        company_en = f"{brand_py} {industry_en} Limited"
    if region != "cn":
        surname, given_zh = _to_traditional(surname), _to_traditional(given_zh)
        title_zh = _to_traditional(title_zh)
    return _Person(
        name_zh=surname + given_zh,
        name_en=name_en,
        title_zh=title_zh,
        title_en=title_en,
        company_zh=company_zh,
        company_en=company_en,
        mobile=mobile if rng.random() < 0.92 else None,
        phones=phones if rng.random() < 0.65 else phones[1:],
        fax=fax if rng.random() < 0.35 else None,
        email=email if rng.random() < 0.88 else None,
        website=f"www.{domain}" if rng.random() < 0.5 else None,
        address_zh=address_zh if rng.random() < 0.85 else None,
        address_en=address_en,
        wechat_id=wechat_id,
        qq=qq,
        province=province,
        city=city,
    )


_LABELS_ZH = {
    "mobile": ("手机：", "手机: ", "手机 ", "M：", "移动电话："),
    "phone": ("电话：", "电话: ", "电话 ", "T：", "Tel："),
    "tollfree": ("全国热线：", "服务热线：", "400热线："),
    "fax": ("传真：", "传真 ", "F：", "Fax："),
    "email": ("邮箱：", "E-mail：", "Email: ", "邮箱 "),
    "website": ("网址：", "Web：", "网址 ", ""),
    "address": ("地址：", "地址: ", "地址 ", "Add："),
    "wechat": ("微信：", "微信号：", "微信 "),
    "qq": ("QQ：", "QQ: ", "QQ "),
}
_LABELS_ZH_HANT = {
    "mobile": ("手機：", "手機 ", "行動電話：", "M："),
    "phone": ("電話：", "電話 ", "T：", "Tel："),
    "tollfree": ("服務熱線：",),
    "fax": ("傳真：", "傳真 ", "F：", "Fax："),
    "email": ("電郵：", "郵箱：", "E-mail：", "Email: "),
    "website": ("網址：", "網址 ", "Web：", ""),
    "address": ("地址：", "地址 ", "公司地址："),
    "wechat": ("微信：",),
    "qq": ("QQ：",),
}
_LABELS_EN = {
    "mobile": ("Mobile: ", "M: ", "Mob: ", "Cell: ", "M "),
    "phone": ("Tel: ", "T: ", "Phone: ", "Tel "),
    "tollfree": ("Hotline: ",),
    "fax": ("Fax: ", "F: ", "Fax "),
    "email": ("Email: ", "E: ", "E-mail: ", ""),
    "website": ("Web: ", "W: ", "Website: ", ""),
    "address": ("Add: ", "Address: ", "A: ", ""),
    "wechat": ("WeChat: ", "WeChat ID: "),
    "qq": ("QQ: ",),
}


def _side(person: _Person, language: Literal["zh_hans", "zh_hant", "en"], rng: random.Random) -> _Side:
    labels = {"zh_hans": _LABELS_ZH, "zh_hant": _LABELS_ZH_HANT, "en": _LABELS_EN}[language]
    # Icons instead of text labels: the parser then has only the number's shape to go by (no fax then).
    icons = rng.random() < 0.12

    def label(kind: str) -> str:
        return "" if icons and kind not in {"fax", "tollfree", "wechat", "qq"} else rng.choice(labels[kind])

    english = language == "en"
    details: list[str] = []
    if person.mobile:
        details.append(label("mobile") + person.mobile[1])
    for e164, printed in person.phones:
        details.append(label("tollfree" if e164.startswith("+86400") else "phone") + printed)
    if person.fax:
        details.append(label("fax") + person.fax[1])
    if person.email:
        details.append(label("email") + person.email)
    if person.website:
        details.append(label("website") + person.website)
    if person.wechat_id:
        details.append(label("wechat") + person.wechat_id)
    if person.qq:
        details.append(label("qq") + person.qq)
    if len(details) > 2 and rng.random() < 0.3:
        # Cards often pair short items on one line: "电话：… 传真：…".
        index = rng.randrange(len(details) - 1)
        if len(details[index]) + len(details[index + 1]) < 34:
            details[index : index + 2] = [details[index] + "   " + details[index + 1]]
    address = person.address_en if english else person.address_zh
    address_label = label("address") if address else ""
    mixed = language == "zh_hans" and rng.random() < 0.25
    return _Side(
        language=language,
        company=person.company_en if english else person.company_zh,
        company_sub=person.company_en if mixed and rng.random() < 0.5 else None,
        name=person.name_en if english else person.name_zh,
        name_sub=person.name_en if mixed else None,
        title=person.title_en if english else person.title_zh,
        details=details,
        address=address,
        address_label=address_label,
        slogan=(rng.choice(_SLOGANS_EN if english else _SLOGANS_ZH) if rng.random() < 0.15 else None),
        icons=icons,
    )


# --- rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fonts:
    regular: str
    bold: str
    index: int


def _fonts(language: str, rng: random.Random) -> _Fonts:
    if language == "en":
        return rng.choice(
            (
                _Fonts(f"{_DEJAVU}/DejaVuSans.ttf", f"{_DEJAVU}/DejaVuSans-Bold.ttf", 0),
                _Fonts(f"{_DEJAVU}/DejaVuSerif.ttf", f"{_DEJAVU}/DejaVuSerif-Bold.ttf", 0),
                _Fonts(f"{_DEJAVU}/DejaVuSansCondensed.ttf", f"{_DEJAVU}/DejaVuSansCondensed-Bold.ttf", 0),
                _Fonts(_NOTO_SANS, _NOTO_SANS_BOLD, _SC),
            )
        )
    face = _TC if language == "zh_hant" else _SC
    return rng.choice(
        (
            _Fonts(_NOTO_SANS, _NOTO_SANS_BOLD, face),
            _Fonts(_NOTO_SANS, _NOTO_SANS_BOLD, face),
            _Fonts(_NOTO_SERIF, _NOTO_SERIF_BOLD, face),
            _Fonts(_WQY, _WQY, 0),
        )
    )


@cache
def _font(path: str, size: int, index: int) -> ImageFont.FreeTypeFont:
    if not Path(path).exists():
        raise FileNotFoundError(f"{path}: install fonts-noto-cjk, fonts-wqy-zenhei and fonts-dejavu-core")
    return ImageFont.truetype(path, size, index=index)


_INKS = ((20, 20, 20), (35, 35, 45), (10, 30, 70), (60, 60, 60))
_ACCENTS = ((0, 82, 155), (196, 30, 58), (0, 128, 96), (230, 120, 0), (90, 40, 140), (40, 40, 40))
_PAPERS = ((255, 255, 255), (252, 250, 245), (246, 246, 240), (255, 253, 248))


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, indent: float) -> list[str]:
    """Break `text` into lines no wider than `width`: at spaces for Latin text, anywhere for Chinese."""
    if font.getlength(text) <= width:
        return [text]
    latin = text.isascii()
    lines: list[str] = []
    current = ""
    tokens = text.split(" ") if latin else list(text)
    for token in tokens:
        candidate = f"{current} {token}" if latin and current else current + token
        available = width - (indent if lines else 0)
        if current and font.getlength(candidate) > available:
            lines.append(current)
            current = token
        else:
            candidate = candidate.lstrip() if latin else candidate
            current = candidate
    if current:
        lines.append(current)
    return lines


class _Canvas:
    def __init__(self, rng: random.Random, fonts: _Fonts, scale: float) -> None:
        self.rng = rng
        self.fonts = fonts
        self.paper = rng.choice(_PAPERS)
        self.ink = rng.choice(_INKS)
        self.accent = rng.choice(_ACCENTS)
        self.image = Image.new("RGB", (CARD_WIDTH, CARD_HEIGHT), self.paper)
        self.draw = ImageDraw.Draw(self.image)
        self.scale = scale
        self.name_size = rng.randint(54, 72)
        self.title_size = rng.randint(26, 32)
        self.company_size = rng.randint(30, 38)
        self.detail_size = rng.randint(23, 27)

    def font(self, role: str) -> ImageFont.FreeTypeFont:
        size = {
            "name": self.name_size,
            "name_sub": self.title_size,
            "title": self.title_size,
            "company": self.company_size,
            "company_sub": int(self.detail_size * 0.95),
            "slogan": self.detail_size,
        }.get(role, self.detail_size)
        bold = role in {"name", "company"}
        scale = self.scale if role not in {"name", "company"} else max(self.scale, 0.85)
        return _font(
            self.fonts.bold if bold else self.fonts.regular, max(14, int(size * scale)), self.fonts.index
        )

    def text(
        self,
        xy: tuple[float, float],
        text: str,
        role: str,
        *,
        anchor: str = "la",
        fill: tuple[int, ...] | None = None,
    ) -> float:
        """Draws `text` with its top at xy[1]; returns the y below it."""
        font = self.font(role)
        color = fill or (self.accent if role == "company" and self.rng.random() < 0.5 else self.ink)
        self.draw.text(xy, text, font=font, fill=color, anchor=anchor)
        ascent, descent = font.getmetrics()
        return xy[1] + ascent + descent

    def icon(self, x: float, y: float, size: float) -> None:
        shape = self.rng.choice(("circle", "square"))
        box = (x, y + size * 0.15, x + size * 0.8, y + size * 0.95)
        if shape == "circle":
            self.draw.ellipse(box, fill=self.accent)
        else:
            self.draw.rectangle(box, fill=self.accent)

    def logo(self, x: float, y: float, size: float, initials: str) -> None:
        shape = self.rng.choice(("square", "circle", "diamond"))
        if shape == "square":
            self.draw.rectangle((x, y, x + size, y + size), fill=self.accent)
        elif shape == "circle":
            self.draw.ellipse((x, y, x + size, y + size), fill=self.accent)
        else:
            half = size / 2
            self.draw.polygon(
                ((x + half, y), (x + size, y + half), (x + half, y + size), (x, y + half)), self.accent
            )
        font = _font(f"{_DEJAVU}/DejaVuSans-Bold.ttf", int(size * 0.38), 0)
        self.draw.text((x + size / 2, y + size / 2), initials, font=font, fill=self.paper, anchor="mm")


def _initials(side: _Side) -> str:
    company = side.company or "C"
    letters = [word[0] for word in company.split() if word[:1].isalpha() and word[0].isupper()]
    return (
        "".join(letters[:2]) or "".join(ch for ch in (side.company_sub or "HX") if ch.isupper())[:2] or "HX"
    )


def _detail_block(
    canvas: _Canvas, side: _Side, x: float, y: float, width: float, *, centred: bool = False
) -> float:
    """Draws the contact lines and the (wrapped) address; returns the y below them."""
    font = canvas.font("detail")
    step = (font.getmetrics()[0] + font.getmetrics()[1]) * 1.22
    lines = list(side.details)
    if side.address:
        label_width = font.getlength(side.address_label)
        wrapped = _wrap(side.address_label + side.address, font, width, label_width)
        indent = " " * 0 if centred else ""
        lines.extend([wrapped[0], *(indent + rest for rest in wrapped[1:])])
        continuation = set(range(len(lines) - len(wrapped) + 1, len(lines)))
    else:
        continuation = set()
        label_width = 0.0
    icon_size = font.size
    too_wide = False
    for index, line in enumerate(lines):
        if centred:
            canvas.text((x + width / 2, y), line, "detail", anchor="ma")
            too_wide |= font.getlength(line) > width
        else:
            offset = label_width if index in continuation and canvas.rng.random() < 0.5 else 0.0
            if side.icons and index not in continuation:
                canvas.icon(x, y, icon_size)
                offset = icon_size * 1.3
            canvas.text((x + offset, y), line, "detail")
            too_wide |= offset + font.getlength(line) > width + 2
        y += step
    # A line running off the card counts as overflow, so that _render retries with smaller type.
    return y + (CARD_HEIGHT if too_wide else 0)


def _detail_height(canvas: _Canvas, side: _Side, width: float) -> float:
    font = canvas.font("detail")
    step = (font.getmetrics()[0] + font.getmetrics()[1]) * 1.22
    count = len(side.details)
    if side.address:
        count += len(
            _wrap(side.address_label + side.address, font, width, font.getlength(side.address_label))
        )
    return step * count


def _name_block(
    canvas: _Canvas, side: _Side, x: float, y: float, *, centred: bool, beside: bool, width: float = 900
) -> float:
    anchor = "ma" if centred else "la"
    # A long (Latin) name gets smaller type rather than running into the next column.
    while canvas.name_size > 30 and canvas.font("name").getlength(side.name) > width:
        canvas.name_size -= 4
    bottom = canvas.text((x, y), side.name, "name", anchor=anchor)
    name_font = canvas.font("name")
    if side.title and beside and not centred:
        # Title on the name's baseline, as many cards print "张伟  销售经理".
        baseline = y + name_font.getmetrics()[0]
        canvas.text((x + name_font.getlength(side.name) + 28, baseline), side.title, "title", anchor="ls")
    y = bottom + 4
    if side.name_sub:
        y = canvas.text((x, y), side.name_sub, "name_sub", anchor=anchor) + 2
    if side.title and not (beside and not centred):
        y = canvas.text((x, y), side.title, "title", anchor=anchor)
    return y


def _company_block(canvas: _Canvas, side: _Side, x: float, y: float, width: float, *, centred: bool) -> float:
    anchor = "ma" if centred else "la"
    if side.company:
        font = canvas.font("company")
        for line in _wrap(side.company, font, width, 0):
            y = canvas.text((x, y), line, "company", anchor=anchor)
    if side.company_sub:
        y = canvas.text((x, y + 2), side.company_sub, "company_sub", anchor=anchor)
    return y


_DARKS = ((20, 33, 61), (24, 24, 28), (0, 58, 70), (62, 22, 44), (35, 45, 40))
_LIGHT_INKS = ((246, 246, 246), (232, 204, 128), (222, 236, 246))


class _Colours:
    """Swaps the canvas's colours for what is drawn on a panel, and back."""

    def __init__(self, canvas: _Canvas, *, ink: tuple[int, ...], accent: tuple[int, ...]) -> None:
        self.canvas = canvas
        self.saved = (canvas.ink, canvas.accent)
        self.wanted = (ink, accent)

    def __enter__(self) -> None:
        self.canvas.ink, self.canvas.accent = self.wanted  # type: ignore[assignment]

    def __exit__(self, *_: object) -> None:
        self.canvas.ink, self.canvas.accent = self.saved


def _designer(canvas: _Canvas, side: _Side, layout: str) -> float:
    """The designer styles; returns the overflow like _layout."""
    rng = canvas.rng
    width, height = CARD_WIDTH, CARD_HEIGHT
    draw = canvas.draw
    margin = rng.randint(44, 60)
    if layout == "dark":
        dark, light = rng.choice(_DARKS), rng.choice(_LIGHT_INKS)
        draw.rectangle((0, 0, width, height), fill=dark)
        canvas.paper, canvas.ink, canvas.accent = dark, light, light
        return _layout(canvas, side, rng.choice(("left", "centered", "two_column", "logo_right")))
    white = canvas.paper
    if layout == "panel":
        panel = int(width * rng.uniform(0.34, 0.4))
        draw.rectangle((0, 0, panel, height), fill=canvas.accent)
        with _Colours(canvas, ink=white, accent=white):
            canvas.logo(margin * 0.7, margin, 72, _initials(side))
            _company_block(canvas, side, margin * 0.7, margin + 100, panel - margin * 1.2, centred=False)
        x = panel + margin * 0.8
        y = _name_block(canvas, side, x, margin, centred=False, beside=False, width=width - x - margin) + 10
        details = height - margin * 0.6 - _detail_height(canvas, side, width - x - margin * 0.6)
        bottom = _detail_block(canvas, side, x, max(y + 14, details), width - x - margin * 0.6)
        return bottom - (height - margin * 0.4)
    if layout == "split":
        split = int(width * rng.uniform(0.44, 0.5))
        draw.rectangle((split, 0, width, height), fill=rng.choice((canvas.accent, *_DARKS)))
        y = _company_block(canvas, side, margin, margin, split - margin * 1.5, centred=False) + 30
        _name_block(canvas, side, margin, y, centred=False, beside=False, width=split - margin * 1.5)
        x = split + margin * 0.7
        with _Colours(canvas, ink=white, accent=white):
            details = (height - _detail_height(canvas, side, width - x - margin * 0.5)) / 2
            bottom = _detail_block(canvas, side, x, max(margin * 0.5, details), width - x - margin * 0.5)
        return bottom - (height - margin * 0.4)
    # diagonal: a blue-grey trapezoid across the lower left, its contact lines in white (low contrast)
    grey = rng.choice(((150, 160, 180), (128, 138, 150), (110, 140, 160), (160, 150, 140)))
    top = int(height * rng.uniform(0.38, 0.46))
    draw.polygon(((0, top), (int(width * 0.56), top), (int(width * 0.7), height), (0, height)), fill=grey)
    draw.polygon(
        ((0, 0), (int(width * 0.42), 0), (int(width * 0.3), top - 10), (0, top - 10)), fill=canvas.accent
    )
    with _Colours(canvas, ink=white, accent=white):
        _company_block(canvas, side, margin * 0.6, margin * 0.8, width * 0.3 - margin, centred=False)
    x = width * 0.5
    _name_block(canvas, side, x, margin, centred=False, beside=False, width=width - x - margin)
    with _Colours(canvas, ink=white, accent=white):
        details = height - margin * 0.4 - _detail_height(canvas, side, width * 0.56 - margin)
        bottom = _detail_block(canvas, side, margin * 0.7, max(top + 12, details), width * 0.56 - margin)
    return bottom - (height - margin * 0.3)


def _layout(canvas: _Canvas, side: _Side, layout: str) -> float:
    """Draws one side; returns how far below the card's bottom margin it ran (<= 0 when it fits)."""
    if layout in DESIGNER_LAYOUTS:
        return _designer(canvas, side, layout)
    rng = canvas.rng
    margin = rng.randint(48, 70)
    width, height = CARD_WIDTH, CARD_HEIGHT
    beside = rng.random() < 0.45
    draw = canvas.draw
    if layout == "centered":
        y = _company_block(canvas, side, width / 2, margin, width - 2 * margin, centred=True) + 22
        y = _name_block(canvas, side, width / 2, y, centred=True, beside=False) + 14
        draw.line((width / 2 - 120, y, width / 2 + 120, y), fill=canvas.accent, width=3)
        details = height - margin - _detail_height(canvas, side, width - 2 * margin)
        bottom = _detail_block(canvas, side, margin, max(y + 14, details), width - 2 * margin, centred=True)
        return bottom - (height - margin * 0.6)
    if layout == "two_column":
        column = width * 0.46
        x = margin
        if rng.random() < 0.5:
            canvas.logo(x, margin, 64, _initials(side))
            y = margin + 84
        else:
            y = margin
        y = _company_block(canvas, side, x, y, column - margin, centred=False) + 26
        _name_block(canvas, side, x, y, centred=False, beside=False, width=column - x - 24)
        draw.line((column, margin, column, height - margin), fill=canvas.accent, width=2)
        right = column + 30
        details = (height - _detail_height(canvas, side, width - right - margin * 0.6)) / 2
        bottom = _detail_block(canvas, side, right, max(margin * 0.6, details), width - right - margin * 0.6)
        return bottom - (height - margin * 0.4)
    x = margin
    if layout == "accent_bar":
        bar = rng.randint(18, 34)
        draw.rectangle((0, 0, bar, height), fill=canvas.accent)
        x = bar + margin
    y = margin * 0.8
    if layout == "logo_right":
        canvas.logo(width - margin - 110, margin * 0.8, 110, _initials(side))
        y = _name_block(canvas, side, x, y, centred=False, beside=beside) + 12
        y = _company_block(canvas, side, x, y, width - x - margin - 130, centred=False) + 16
    else:
        if layout == "left" and rng.random() < 0.6:
            canvas.logo(x, y, 70, _initials(side))
            logo_bottom = y + 70
            y = _company_block(canvas, side, x + 90, y + 8, width - x - margin - 90, centred=False)
            y = max(y, logo_bottom) + 24
        else:
            y = _company_block(canvas, side, x, y, width - x - margin, centred=False) + 24
        y = _name_block(canvas, side, x, y, centred=False, beside=beside) + 10
    if side.slogan and layout != "band":
        y = canvas.text((x, y), side.slogan, "slogan") + 6
    draw.line((x, y + 4, x + 260, y + 4), fill=canvas.accent, width=2)
    band_top = height
    if layout == "band":
        band_top = height - rng.randint(70, 90)
        draw.rectangle((0, band_top, width, height), fill=canvas.accent)
        if side.slogan:
            canvas.text((width / 2, band_top + 18), side.slogan, "slogan", anchor="ma", fill=canvas.paper)
    available_bottom = band_top - margin * 0.4
    details = available_bottom - _detail_height(canvas, side, width - x - margin)
    bottom = _detail_block(canvas, side, x, max(y + 14, details), width - x - margin)
    return bottom - available_bottom


def _render(side: _Side, layout: str, seed: int) -> Image.Image:
    scale = 1.0
    for _ in range(8):
        rng = random.Random(seed)
        canvas = _Canvas(rng, _fonts(side.language, rng), scale)
        overflow = _layout(canvas, side, layout)
        if overflow <= 0:
            return canvas.image
        scale *= 0.92
    return canvas.image


def generate_card(seed: int, *, language: Language | None = None, layout: str | None = None) -> Card:
    """A clean card (front, and back when bilingual) from `seed`."""
    rng = random.Random(seed)
    language = language or rng.choice(LANGUAGES)
    layout = layout or rng.choice(LAYOUTS)
    region: Literal["cn", "tw", "hk"] = "cn"
    if language == "zh_hant":
        region = "tw" if rng.random() < 0.7 else "hk"
    person = _person(rng, region)
    alternatives: dict[str, tuple[str, ...]] = {}
    if language == "bilingual":
        front = _side(person, "zh_hans", rng)
        back = _side(person, "en", rng)
        images = (
            _render(front, layout, rng.randrange(1 << 30)),
            _render(back, rng.choice(LAYOUTS), rng.randrange(1 << 30)),
        )
        alternatives = {
            "name": (person.name_en,),
            "title": (person.title_en,),
            "company": (person.company_en,),
            "address": (person.address_en,) if person.address_en else (),
        }
        shown = front
    else:
        shown = _side(person, language, rng)
        images = (_render(shown, layout, rng.randrange(1 << 30)),)
    english = language == "en"
    truth = CardTruth(
        name=shown.name,
        title=shown.title,
        company=shown.company,
        mobile=person.mobile[0] if person.mobile else None,
        phones=tuple(e164 for e164, _ in person.phones),
        fax=person.fax[0] if person.fax else None,
        emails=(person.email,) if person.email else (),
        website=person.website,
        address=shown.address,
        wechat_id=person.wechat_id,
        qq=person.qq,
        province=None if english else person.province,
        city=None if english else person.city,
        alternatives=alternatives,
    )
    return Card(seed=seed, language=language, layout=layout, truth=truth, images=images)


# --- perturbations -----------------------------------------------------------------------------


def _background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A desk: a dull colour with low-frequency shading and grain."""
    width, height = size
    base = np.array(rng.choice(((96, 72, 52), (70, 70, 74), (130, 118, 100), (40, 44, 52), (160, 160, 165))))
    noise = np.random.default_rng(rng.randrange(1 << 30))
    coarse = noise.normal(0, 18, (max(2, height // 64), max(2, width // 64), 1))
    shade = np.asarray(
        Image.fromarray(np.clip(coarse[:, :, 0] + 128, 0, 255).astype(np.uint8)).resize(size, Image.BICUBIC),
        dtype=np.float32,
    )[:, :, None]
    grain = noise.normal(0, 6, (height, width, 1))
    pixels = base[None, None, :] + (shade - 128) + grain
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def _on_background(image: Image.Image, rng: random.Random, angle: float, margin: float) -> Image.Image:
    card = image.convert("RGBA").rotate(angle, resample=Image.BICUBIC, expand=True)
    width = int(card.width * (1 + margin))
    height = int(card.height * (1 + margin * rng.uniform(0.8, 1.4)))
    canvas = _background(rng, (width, height))
    x = rng.randint(0, width - card.width)
    y = rng.randint(0, height - card.height)
    shadow = Image.new("L", card.size, 0)
    shadow.paste(card.getchannel("A").point(lambda a: 110 if a else 0))
    shadow = shadow.filter(ImageFilter.GaussianBlur(12))
    canvas.paste((15, 15, 15), (x + 10, y + 12), shadow)
    canvas.paste(card, (x, y), card)
    return canvas


def _perspective_coefficients(
    source: Sequence[tuple[float, float]], target: Sequence[tuple[float, float]]
) -> list[float]:
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    matrix = np.array(rows, dtype=np.float64)
    vector = np.array([c for point in source for c in point], dtype=np.float64)
    return [float(c) for c in np.linalg.solve(matrix, vector)]


def _perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    width, height = image.size
    jitter = 0.06
    corners = [(0.0, 0.0), (width, 0.0), (width, height), (0.0, height)]
    moved = [
        (x + rng.uniform(-jitter, jitter) * width, y + rng.uniform(-jitter, jitter) * height)
        for x, y in corners
    ]
    min_x, min_y = min(x for x, _ in moved), min(y for _, y in moved)
    moved = [(x - min_x, y - min_y) for x, y in moved]
    size = (int(max(x for x, _ in moved)) + 1, int(max(y for _, y in moved)) + 1)
    coefficients = _perspective_coefficients(corners, moved)
    fill = image.getpixel((2, 2))
    return image.transform(size, Image.PERSPECTIVE, coefficients, Image.BICUBIC, fillcolor=fill)


def _wood(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A wooden table top: grain running along it, knots of darker tone, some shading."""
    width, height = size
    base = np.array(rng.choice(((150, 110, 75), (120, 85, 55), (190, 160, 120), (95, 70, 50))), np.float32)
    generator = np.random.default_rng(rng.randrange(1 << 30))
    ys = np.arange(height, dtype=np.float32)[:, None]
    xs = np.arange(width, dtype=np.float32)[None, :]
    wobble = generator.normal(0, 1, 8)
    phase = sum(np.sin(xs / (60 + 40 * i) + wobble[i]) * (6 + 3 * i) for i in range(3))
    grain = np.sin((ys + phase) / rng.uniform(3.5, 7.0)) * 12 + np.sin((ys + phase) / 23.0) * 8
    pixels = base[None, None, :] + grain[:, :, None] + generator.normal(0, 5, (height, width, 1))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def _on_table(image: Image.Image, rng: random.Random) -> Image.Image:
    """The card lying on a wooden table, photographed from an angle: turned, foreshortened (the far edge
    shorter), at phone resolution, a little soft."""
    card = image.convert("RGBA")
    table_size = (int(card.width * rng.uniform(1.5, 1.8)), int(card.height * rng.uniform(1.9, 2.3)))
    table = _wood(rng, table_size)
    centre = (table_size[0] / 2 + rng.uniform(-0.08, 0.08) * table_size[0], table_size[1] / 2)
    half_w = table_size[0] * rng.uniform(0.3, 0.37)
    half_h = half_w * card.height / card.width
    angle = np.radians(rng.uniform(-14, 14))
    shrink = rng.uniform(0.78, 0.92)  # the far edge looks shorter
    corners = [
        (-half_w * shrink, -half_h * 0.9),
        (half_w * shrink, -half_h * 0.9),
        (half_w, half_h),
        (-half_w, half_h),
    ]
    cos, sin = float(np.cos(angle)), float(np.sin(angle))
    target = [(centre[0] + x * cos - y * sin, centre[1] + x * sin + y * cos) for x, y in corners]
    source = [
        (0.0, 0.0),
        (float(card.width), 0.0),
        (float(card.width), float(card.height)),
        (0.0, float(card.height)),
    ]
    coefficients = _perspective_coefficients(source, target)
    warped = card.transform(table_size, Image.PERSPECTIVE, coefficients, Image.BICUBIC)
    shadow = warped.getchannel("A").point(lambda a: 90 if a else 0).filter(ImageFilter.GaussianBlur(14))
    table.paste((20, 15, 10), (8, 12), shadow)
    table.paste(warped, (0, 0), warped)
    factor = 2400 / max(table.size)
    table = table.resize((int(table.width * factor), int(table.height * factor)), Image.BICUBIC)
    return table.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.6)))


def _glare(image: Image.Image, rng: random.Random) -> Image.Image:
    width, height = image.size
    cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    radius = rng.uniform(0.18, 0.32) * width
    ys, xs = np.mgrid[0:height, 0:width]
    distance = np.sqrt((xs - cx) ** 2 + ((ys - cy) * 1.4) ** 2) / radius
    alpha = np.clip(1 - distance, 0, 1) ** 1.5 * rng.uniform(0.45, 0.65)
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    pixels = pixels * (1 - alpha[:, :, None]) + 255 * alpha[:, :, None]
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _noise(image: Image.Image, rng: random.Random) -> Image.Image:
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    generator = np.random.default_rng(rng.randrange(1 << 30))
    pixels += generator.normal(0, rng.uniform(8, 16), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def _dim(image: Image.Image, rng: random.Random) -> Image.Image:
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    factor = rng.uniform(0.5, 0.65)
    pixels = pixels * factor + rng.uniform(25, 50)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def _jpeg(image: Image.Image, rng: random.Random) -> Image.Image:
    return Image.open(io.BytesIO(encode(image, "JPEG", rng.randint(25, 45)))).convert("RGB")


def _apply(image: Image.Image, kinds: Iterable[str], rng: random.Random) -> Image.Image:
    kinds = list(kinds)
    if "lowres" in kinds:
        # The card itself 400-480 px across (a far-away or thumbnail photo), desk and all at that scale.
        target = rng.randint(400, 480)
        factor = target / max(image.size)
        image = image.resize((int(image.width * factor), int(image.height * factor)), Image.BILINEAR)
    # Geometry first (the card on the desk), then the camera (blur, light), then encoding.
    if "table" in kinds:
        image = _on_table(image, rng)
    elif "background" in kinds or "photo" in kinds:
        angle = rng.uniform(-8, 8) if "skew" in kinds else rng.uniform(-1, 1)
        image = _on_background(image, rng, angle, rng.uniform(0.2, 0.5))
    elif "skew" in kinds:
        angle = rng.choice((-1, 1)) * rng.uniform(2, 8)
        image = image.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=image.getpixel((2, 2)))
    if "perspective" in kinds:
        image = _perspective(image, rng)
    for kind, method in (
        ("rotate90", Image.Transpose.ROTATE_90),
        ("rotate180", Image.Transpose.ROTATE_180),
        ("rotate270", Image.Transpose.ROTATE_270),
    ):
        if kind in kinds:
            image = image.transpose(method)
    if "photo" in kinds:
        # A phone camera: 4000 px across, slightly soft.
        factor = 4000 / max(image.size)
        image = image.resize((int(image.width * factor), int(image.height * factor)), Image.BICUBIC)
        image = image.filter(ImageFilter.GaussianBlur(2.0))
    if "blur" in kinds:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.9, 1.6) * max(image.size) / 1100))
    if "glare" in kinds:
        image = _glare(image, rng)
    if "dim" in kinds:
        image = _dim(image, rng)
    if "noise" in kinds:
        image = _noise(image, rng)
    if "jpeg" in kinds:
        image = _jpeg(image, rng)
    return image


def perturb(card: Card, kinds: Sequence[str], seed: int | None = None) -> Card:
    """The same card photographed badly: every side gets the perturbations named in `kinds`."""
    unknown = set(kinds) - set(PERTURBATIONS)
    if unknown:
        raise ValueError(f"unknown perturbations: {sorted(unknown)}")
    rng = random.Random(card.seed * 7919 + 17 if seed is None else seed)
    images = tuple(_apply(image, kinds, rng) for image in card.images)
    return replace(card, images=images, perturbations=(*card.perturbations, *kinds))


def random_perturbations(seed: int) -> tuple[str, ...]:
    """A plausible bad photo: usually on a desk and a little skewed, plus one or two camera faults."""
    rng = random.Random(seed)
    kinds: list[str] = []
    if rng.random() < 0.7:
        kinds.append("background")
    if rng.random() < 0.6:
        kinds.append("skew")
    if rng.random() < 0.25:
        kinds.append(rng.choice(("rotate90", "rotate180", "rotate270")))
    faults = ("blur", "noise", "lowres", "glare", "jpeg", "dim", "perspective")
    kinds.extend(rng.sample(faults, rng.choice((1, 1, 2))))
    return tuple(kinds)


def perturbed_card(seed: int, *, language: Language | None = None, layout: str | None = None) -> Card:
    card = generate_card(seed, language=language, layout=layout)
    return perturb(card, random_perturbations(seed))


def designer_card(seed: int) -> Card:
    """A card in one of the designer styles, half of them photographed at an angle on a wooden table with
    a camera fault or two (blur, noise, JPEG). Mostly Chinese, as the project's users' cards are."""
    rng = random.Random(seed)
    language: Language = rng.choices(LANGUAGES, weights=(0.45, 0.2, 0.2, 0.15))[0]
    card = generate_card(seed, language=language, layout=rng.choice(DESIGNER_LAYOUTS))
    if rng.random() < 0.5:
        faults = rng.sample(("blur", "noise", "jpeg"), rng.choice((0, 1, 2)))
        card = perturb(card, ["table", *faults], seed=seed)
    return card


def _main() -> None:  # pragma: no cover - a preview for people tuning the generator
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/cards")
    out.mkdir(parents=True, exist_ok=True)
    for seed in range(int(sys.argv[2]) if len(sys.argv) > 2 else 12):
        card = generate_card(seed)
        for side, image in enumerate(card.images):
            image.save(out / f"card{seed:03d}_{card.language}_{card.layout}_{side}.png")
        bad = perturb(card, random_perturbations(seed))
        bad.images[0].save(out / f"card{seed:03d}_bad_{'-'.join(bad.perturbations)}.png")
        print(seed, card.language, card.layout, card.truth)


if __name__ == "__main__":  # pragma: no cover
    _main()
