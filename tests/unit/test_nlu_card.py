"""parse_card over synthetic OCR lines (no tesseract): whole cards, label noise, two sides merged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from crm.facts import CARD_FIELDS, CardFacts
from nlu.card import parse_card
from nlu.card_places import repair_place_names


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float = 0.92
    height: float = 24.0
    top: float = 0.0
    left: float = 60.0
    width: float = 0.0


@dataclass(frozen=True)
class Page:
    lines: Sequence[Line]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def page(*items: str | tuple[str, float]) -> Page:
    """Lines top to bottom, 40 px apart; ("text", height) makes a taller line (a name)."""
    lines = []
    top = 40.0
    for item in items:
        text, height = (item, 24.0) if isinstance(item, str) else item
        lines.append(Line(text, height=height, top=top))
        top += height + 16
    return Page(lines)


def card(*items: str | tuple[str, float]) -> CardFacts:
    return parse_card([page(*items)])


def test_simplified_card() -> None:
    facts = card(
        "上海华信电子科技有限公司",
        ("张伟", 60.0),
        "销售经理",
        "手机：138 1234 5678",
        "电话：021-5888 1234转8001",
        "传真：021-5888 1235",
        "邮箱：zhang.wei@huaxin.com",
        "网址：www.huaxin.com",
        "微信：zhangwei88",
        "QQ：12345678",
        "地址：上海市浦东新区张江路88号",
        "3号楼502室",
    )
    assert facts.name == "张伟"
    assert facts.title == "销售经理"
    assert facts.company == "上海华信电子科技有限公司"
    assert facts.mobile == "+8613812345678"
    assert facts.phones == ("+862158881234;ext=8001",)
    assert facts.fax == "+862158881235"
    assert facts.emails == ("zhang.wei@huaxin.com",)
    assert facts.website == "www.huaxin.com"
    assert facts.wechat_id == "zhangwei88"
    assert facts.qq == "12345678"
    assert facts.address == "上海市浦东新区张江路88号3号楼502室"
    assert facts.region is not None
    assert facts.region.district == "浦东新区"
    assert "张伟" in facts.raw_text


def test_traditional_card_keeps_its_script_and_reads_taiwan_numbers() -> None:
    facts = card(
        "鼎盛生物醫藥股份有限公司",
        ("陳志強", 60.0),
        "業務經理",
        "手機：0912-345-678",
        "電話：(02) 2345-6789",
        "傳真：(02) 2345-6790",
        "郵箱：chen@dingsheng.com.tw",
        "網址：www.dingsheng.com.tw",
        "地址：台北市信義區信義路五段7號12樓",
    )
    assert facts.name == "陳志強"
    assert facts.title == "業務經理"
    assert facts.company == "鼎盛生物醫藥股份有限公司"
    assert facts.mobile == "+886912345678"
    assert facts.phones == ("+886223456789",)
    assert facts.fax == "+886223456790"
    assert facts.address == "台北市信義區信義路五段7號12樓"
    assert facts.region is not None
    assert facts.region.city == "台北市"


def test_english_card_with_wrapped_company_and_address() -> None:
    facts = card(
        "Shanghai Huaxin Electronic Technology",
        "Co., Ltd.",
        ("David Zhang", 56.0),
        "Regional Sales Director",
        "Mob: +86 138 1234 5678",
        "Tel: +86-21-5888-1234",
        "Fax: +86-21-5888-1235",
        "E: david.zhang@huaxin.com",
        "W: www.huaxin.com",
        "Add: Room 502, Building 3, No. 88 Zhangjiang Road, Pudong New District, Shanghai,",
        "China",
    )
    assert facts.name == "David Zhang"
    assert facts.title == "Regional Sales Director"
    assert facts.company == "Shanghai Huaxin Electronic Technology Co., Ltd."
    assert facts.mobile == "+8613812345678"
    assert facts.phones == ("+862158881234",)
    assert facts.fax == "+862158881235"
    assert facts.emails == ("david.zhang@huaxin.com",)
    assert facts.address is not None
    assert facts.address.endswith("Shanghai, China")


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("手机13812345678", "mobile", "+8613812345678"),  # label glued to the value
        ("M: 138-l234-5678", "mobile", "+8613812345678"),  # l read for 1
        ("手机: 138 O234 5678", "mobile", "+8613802345678"),  # O read for 0
        ("Mob 139 1234 5678", "mobile", "+8613912345678"),
        ("(+86) 186 1234 5678", "mobile", "+8618612345678"),  # no label: a mobile by its shape
        ("移動電話：138-1234-5678", "mobile", "+8613812345678"),
        ("Tel:021-58881234", "phones", ("+862158881234",)),
        ("T 021 5888 1234", "phones", ("+862158881234",)),
        ("电话 (0755) 8666-1234", "phones", ("+8675586661234",)),
        ("全国热线：400-820-1234", "phones", ("+864008201234",)),
        ("电话：020-87654321-123", "phones", ("+862087654321;ext=123",)),
        ("传真：(0755) 8666-1235", "fax", "+8675586661235"),
        ("F:+86 755 8666 1235", "fax", "+8675586661235"),
        ("傳真 021-5888 1235", "fax", "+862158881235"),
        ("E-mail：zhang.wei@huaxin.com", "emails", ("zhang.wei@huaxin.com",)),
        ("邮箱 Zhang.Wei@HuaXin.com", "emails", ("zhang.wei@huaxin.com",)),
        ("邮箱：zhang.wei©huaxin.com", "emails", ("zhang.wei@huaxin.com",)),  # © read for @
        ("Email: zhang.wei @ huaxin . com", "emails", ("zhang.wei@huaxin.com",)),
        ("E: sales@huaxin com cn", "emails", ("sales@huaxin.com.cn",)),
        ("網址：www.huaxin.com.tw", "website", "www.huaxin.com.tw"),
        ("网址 www huaxin.com", "website", "www.huaxin.com"),
        ("Web: http://www.huaxin.com/", "website", "www.huaxin.com"),
        ("微信号：wx_zhang88", "wechat_id", "wx_zhang88"),
        ("WeChat ID: davidzhang", "wechat_id", "davidzhang"),
        ("QQ：12345678", "qq", "12345678"),
        ("QQ 1234 5678", "qq", None),  # not a QQ number as printed
        ("地址：北京市海淀区中关村大街1号", "address", "北京市海淀区中关村大街1号"),
        ("地址: 北京市 海淀区 中关村大街 1 号", "address", "北京市海淀区中关村大街1号"),
        (
            "Add: No. 88 Zhangjiang Road, Pudong, Shanghai",
            "address",
            "No. 88 Zhangjiang Road, Pudong, Shanghai",
        ),
    ],
)
def test_label_noise(line: str, field: str, expected: object) -> None:
    facts = card(("王芳", 56.0), line)
    assert getattr(facts, field) == expected


@pytest.mark.parametrize(
    ("lines", "name", "title"),
    [
        ((("张伟  销售经理", 56.0),), "张伟", "销售经理"),  # the title beside the name
        ((("张伟销售经理", 56.0),), "张伟", "销售经理"),
        ((("欧阳明华", 56.0), "总经理"), "欧阳明华", "总经理"),  # compound surname
        ((("李娜", 56.0), "研发中心主任"), "李娜", "研发中心主任"),
        ((("陳美玲", 56.0), "副總經理"), "陳美玲", "副總經理"),
        ((("Kevin Wang", 56.0), "CTO"), "Kevin Wang", "CTO"),
        ((("WANG Fang", 56.0), "Purchasing Manager"), "WANG Fang", "Purchasing Manager"),
        ((("YuyiDai", 56.0), "Sales Manager"), "Yuyi Dai", "Sales Manager"),  # a space lost in big type
    ],
)
def test_name_and_title(lines: tuple[str | tuple[str, float], ...], name: str, title: str) -> None:
    facts = card(*lines, "手机：138 1234 5678")
    assert (facts.name, facts.title) == (name, title)


def test_slogans_and_logos_are_not_names_or_companies() -> None:
    facts = card("HX", "专业·诚信·共赢", ("刘洋", 60.0), "让制造更智能", "手机 13812345678")
    assert facts.name == "刘洋"
    assert facts.company is None


def test_tallest_plausible_line_is_the_name_when_two_look_like_names() -> None:
    facts = card("王强", ("赵敏", 64.0), "手机 13812345678")
    assert facts.name == "赵敏"


def test_unlabelled_address_after_an_icon() -> None:
    facts = card(("周杰", 56.0), "@ 13812345678", "国北京市朝阳区建国路98号7栋1205")
    assert facts.address == "北京市朝阳区建国路98号7栋1205"


def test_hong_kong_numbers() -> None:
    facts = card(
        ("李嘉欣", 56.0), "手機：(852) 9123 4567", "電話：+852 2345 6789", "地址：香港九龍尖沙咀廣東道33號"
    )
    assert facts.mobile == "+85291234567"
    assert facts.phones == ("+85223456789",)


def test_qingdao_street_named_after_hong_kong_keeps_mainland_numbers() -> None:
    facts = card(("孙丽", 56.0), "传真 (0532) 5968-0134", "地址：山东省青岛市市南区香港中路20号")
    assert facts.fax == "+8653259680134"


def test_front_and_back_merge_into_one_contact() -> None:
    front = page(
        "华信电子科技有限公司",
        ("张伟", 60.0),
        "销售经理",
        "手机：138 1234 5678",
        "地址：上海市浦东新区张江路88号",
    )
    back = page(
        "Huaxin Electronic Technology Co., Ltd.",
        ("Wei Zhang", 56.0),
        "Sales Manager",
        "M: +86 138 1234 5678",
        "T: +86 21 5888 1234",
        "E: wei.zhang@huaxin.com",
    )
    facts = parse_card([front, back])
    assert facts.name == "张伟"  # the Chinese side wins for the contact record
    assert facts.company == "华信电子科技有限公司"
    assert facts.title == "销售经理"
    assert facts.mobile == "+8613812345678"
    assert facts.phones == ("+862158881234",)
    assert facts.emails == ("wei.zhang@huaxin.com",)
    assert facts.address == "上海市浦东新区张江路88号"
    assert "Wei Zhang" in facts.raw_text


def test_the_surer_reading_wins_when_sides_disagree() -> None:
    sure = Page([Line("手机 13812345678", confidence=0.95, top=40)])
    unsure = Page([Line("手机 13812345679", confidence=0.55, top=40)])
    assert parse_card([unsure, sure]).mobile == "+8613812345678"


def test_confidence_for_every_field_found_and_labels_count_more() -> None:
    facts = card(("张伟", 60.0), "手机：138 1234 5678", "13912345678", "zhang@huaxin.com")
    found = {name for name in CARD_FIELDS if getattr(facts, name)}
    assert set(facts.confidence) == found
    assert all(0 < value <= 1 for value in facts.confidence.values())
    labelled = parse_card([page("手机：138 1234 5678")]).confidence["mobile"]
    shaped = parse_card([page("138 1234 5678")]).confidence["mobile"]
    assert labelled > shaped


def test_email_and_website_agree_on_the_domain() -> None:
    facts = card(("张伟", 60.0), "邮箱：zhang@jinqiao.cn", "网址：www.jingiao.cn")  # q read as g
    assert facts.website == "www.jinqiao.cn"


def test_empty_pages() -> None:
    facts = parse_card([Page([])])
    assert facts.is_empty()
    assert facts.confidence == {}


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("村州市余居区文一西路657号", "杭州市余杭区文一西路657号"),  # city and district one character off
        ("成都市武修区人民南路977号", "成都市武侯区人民南路977号"),
        ("上海市请东新区金科路321号", "上海市浦东新区金科路321号"),  # a municipality names no city
        ("江苏省苏州市吴中区宝带东路881号", "江苏省苏州市吴中区宝带东路881号"),  # already right
        ("北京市朝阳区塑京街951号", "北京市朝阳区塑京街951号"),  # streets are not in the gazetteer
        ("高雄市前鎖區成功二路", "高雄市前鎖區成功二路"),  # no districts for Taiwan: left alone
    ],
)
def test_place_names_in_addresses_are_repaired(read: str, repaired: str) -> None:
    assert repair_place_names(read) == repaired


def test_address_house_number_sign() -> None:
    assert card(("张伟", 56.0), "地址：上海市浦东新区张江路88导").address == "上海市浦东新区张江路88号"


def test_a_label_read_as_its_own_line_joins_the_value_beside_it() -> None:
    label = Line("F:", top=100.0, left=60.0)
    value = Line("(010) 2062-5374", top=101.0, left=110.0)
    facts = parse_card([Page([Line("王芳", height=56.0, top=20.0), label, value])])
    assert facts.fax == "+861020625374"
    assert facts.phones == ()


@pytest.mark.parametrize(
    ("line", "emails", "qq"),
    [
        ("E-mail: 429084@qq.com", ("429084@qq.com",), "429084"),  # "qq" inside the address is no label
        ("邮箱：webmaster@huaxin.com", ("webmaster@huaxin.com",), None),
        ("Email: tel.sales@huaxin.com", ("tel.sales@huaxin.com",), None),
    ],
)
def test_label_words_inside_an_email_address(line: str, emails: tuple[str, ...], qq: str | None) -> None:
    facts = card(("王芳", 56.0), line)
    assert (facts.emails, facts.qq) == (emails, qq)


@pytest.mark.parametrize(
    ("lines", "website"),
    [
        (("Web: wwwjinqiao com_cn",), "www.jinqiao.com.cn"),
        (("网此wwwdingshengcn", "Email: steven@dingsheng.cn"), "www.dingsheng.cn"),  # label and dots lost
        (("www huaxin,com",), "www.huaxin.com"),
    ],
)
def test_damaged_web_addresses(lines: tuple[str, ...], website: str) -> None:
    assert card(("王芳", 56.0), *lines).website == website


def test_rules_and_icons_read_as_characters_are_not_names() -> None:
    assert card(("一一", 60.0), "手机 13812345678").name is None
    assert card(("人一", 60.0), "手机 13812345678").name is None


# --- layout, cues and the card's country (what the PP-OCR reader gives: boxes with their geometry) ---------


def placed(*items: tuple[str, float, float, float]) -> CardFacts:
    """Lines as (text, top, left, height): boxes where a reader found them."""
    return parse_card(
        [Page([Line(text, height=height, top=top, left=left) for text, top, left, height in items])]
    )


@pytest.mark.parametrize(
    ("lines", "field", "expected"),
    [
        # A UK card: the "(0)" trunk after the country code; 020 9876 is no number a carrier owns.
        (("mob: +44 (0) 7911 123456",), "mobile", "+447911123456"),
        (("tel: +44 (0) 20 9876 5432",), "phones", ("+442098765432",)),
        (("fax: +44 (0) 20 6789 2345",), "fax", "+442067892345"),
        # A demo card's area code 987 is unassigned: labelled, a possible number is kept.
        (("Cell: +1 (987) 123-4567",), "mobile", "+19871234567"),
        (("Tel: +1 (987) 213-5674",), "phones", ("+19872135674",)),
        # National US numbers on an English card: the card's country is the US.
        (("Phone: 555-010-9876",), "phones", ("+15550109876",)),
        (("555-123-4567",), "phones", ("+15551234567",)),
        (("401 555 5555", "Providence, RI 02111"), "phones", ("+14015555555",)),
        # A Japanese card: its numbers are Japanese ones, 携帯 is the mobile.
        (("携帯：070-1234-5678", "〒108-0075 東京都港区港南 2-16-3"), "mobile", "+817012345678"),
        (("電話：03-8765-4321", "〒108-0075 東京都港区港南 2-16-3"), "phones", ("+81387654321",)),
        # More labels of English cards: C (cell), O (office, with its colon), Ph.
        (("C: +1 425 555 0100",), "mobile", "+14255550100"),
        (("O: +1 425 555 0101",), "phones", ("+14255550101",)),
        (("Ph: (425) 555-0102",), "phones", ("+14255550102",)),
        # An order number is no phone, label or not.
        (("Order no. 12345678", "Tel: 021-5888 1234"), "phones", ("+862158881234",)),
    ],
)
def test_the_cards_country_reads_its_numbers(lines: tuple[str, ...], field: str, expected: object) -> None:
    assert getattr(card(*lines), field) == expected


def test_company_and_name_from_the_email_domain() -> None:
    """No company form and no label: the domain names the company, the mailbox the person."""
    facts = placed(
        ("Adventure Works Cycles", 88, 285, 53),
        ("Roberto Tamburello", 326, 51, 35),
        ("Engineering Manager", 372, 50, 38),
        ("roberto@adventure-works.com", 523, 52, 25),
        ("555-123-4567", 521, 733, 26),
    )
    assert facts.company == "Adventure Works Cycles"
    assert facts.name == "Roberto Tamburello"
    assert facts.title == "Engineering Manager"
    assert facts.phones == ("+15551234567",)


def test_logo_word_and_tagline_make_the_company_and_the_mailbox_names_the_person() -> None:
    facts = placed(
        ("RemoteGlobal", 290, 753, 41),
        ("BUSINESS CONSULTING", 328, 752, 25),
        ("Andrew Morin", 417, 465, 37),
        ("Founder&CEO", 454, 465, 24),
        ("www.remoteglobalconsulting.com", 508, 463, 23),
        ("amorin@remoteglobalconsulting.com", 534, 461, 28),
        ("401 555 5555", 562, 464, 25),
        ("178 Main Avenue", 588, 463, 27),
        ("Providence, RI 02111", 616, 464, 27),
    )
    assert facts.company == "RemoteGlobal BUSINESS CONSULTING"
    assert facts.name == "Andrew Morin"
    assert facts.title == "Founder&CEO"
    assert facts.phones == ("+14015555555",)
    assert facts.address == "178 Main Avenue Providence, RI 02111"


def test_angled_photo_lines_with_a_department_and_an_honorific() -> None:
    facts = placed(
        ("Dr. Avery Smith", 81, 105, 85),
        ("avery.smith@contoso.com", 154, 937, 66),
        ("Senior Researcher", 176, 118, 48),
        ("https://www.contoso.com/", 204, 931, 70),
        ("Cloud & AI Department", 236, 134, 46),
        ("mob: +44 (0) 7911 123456", 280, 979, 66),
        ("tel: +44 (0) 20 9876 5432", 336, 1019, 61),
        ("fax: +44 (0) 20 6789 2345", 390, 1022, 61),
        ("Contoso", 552, 401, 98),
        ("2 Kingdom Street", 656, 422, 46),
        ("Paddington, London, W2 6BD", 708, 431, 47),
    )
    assert facts.name == "Dr. Avery Smith"
    assert facts.title == "Senior Researcher"
    assert facts.company == "Contoso"
    assert facts.website == "www.contoso.com"
    assert facts.address == "2 Kingdom Street Paddington, London, W2 6BD"


def test_japanese_card() -> None:
    facts = placed(
        ("CONTOSO", 294, 297, 52),
        ("営業部 部長", 402, 309, 36),
        ("田村", 458, 291, 64),
        ("大輝", 454, 438, 63),
        ("株式会社コントーソ", 583, 279, 34),
        ("〒108-0075 東京都港区港南 2-16-3", 603, 278, 42),
        ("携帯：070-1234-5678 電話：03-8765-4321", 628, 275, 43),
        ("daiki.tamura@contoso.com", 664, 272, 34),
        ("https://www.contoso.co.jp/", 689, 270, 41),
    )
    assert facts.name == "田村大輝"  # surname and given name, set apart by a wide space, are one name
    assert facts.title == "営業部部長"
    assert facts.company == "株式会社コントーソ"  # the form first, and no conversion to Chinese script
    assert facts.mobile == "+817012345678"
    assert facts.phones == ("+81387654321",)
    assert facts.address == "〒108-0075東京都港区港南2-16-3"
    assert facts.website == "www.contoso.co.jp"


def test_two_columns_keep_their_lines_apart() -> None:
    facts = placed(
        ("华信电子科技有限公司", 60, 50, 34),
        ("张伟", 150, 50, 62),
        ("销售总监", 230, 50, 30),
        ("手机：138 1234 5678", 120, 520, 26),
        ("邮箱：zhang.wei@huaxin.com", 160, 520, 26),
        ("地址：上海市浦东新区张江路88号", 200, 520, 26),
        ("专业·诚信·共赢", 236, 52, 24),
    )
    assert facts.name == "张伟"
    assert facts.title == "销售总监"
    assert facts.company == "华信电子科技有限公司"
    assert facts.address == "上海市浦东新区张江路88号"


def test_a_company_name_broken_inside_its_form_over_two_lines() -> None:
    facts = placed(
        ("杨亮敏", 50, 425, 68),
        ("广州安泰自动化设备研", 148, 30, 33),
        ("副总经理", 166, 427, 30),
        ("究院", 187, 30, 39),
        ("+8615076970657", 499, 457, 22),
    )
    assert facts.company == "广州安泰自动化设备研究院"
    assert facts.name == "杨亮敏"
    assert facts.title == "副总经理"


def test_company_form_on_a_line_of_its_own_finishes_the_english_name() -> None:
    facts = placed(
        ("Tony Wang", 433, 804, 97),
        ("Huitong", 545, 290, 60),
        ("CEO", 541, 797, 53),
        ("Software Group", 617, 288, 58),
        ("Co., Ltd.", 688, 281, 62),
        ("Mob: 135-5100-9847", 861, 797, 42),
    )
    assert facts.company == "Huitong Software Group Co., Ltd."
    assert facts.name == "Tony Wang"
    assert facts.title == "CEO"


def test_a_title_the_reader_misspelt_does_not_leave_its_first_characters_as_a_name() -> None:
    facts = card(("吴立", 60.0), "探購經理", "M: 0908-063-608")
    assert facts.name == "吳立"
    assert facts.title == "探購經理"


def test_traditional_card_read_partly_in_simplified_is_written_back_in_traditional() -> None:
    facts = card(
        "匯通软件有限公司",
        ("吴立", 60.0),
        "M : 0908-063-608",
        "地址台北市信義區基隆路一段713号12楼",
    )
    assert facts.company == "匯通軟件有限公司"
    assert facts.name == "吳立"
    assert facts.address == "台北市信義區基隆路一段713號12樓"  # 台 stays as Taiwan writes it


@pytest.mark.parametrize(
    ("lines", "name"),
    [
        (("KarenZhao", "Finance Director"), "Karen Zhao"),  # the space lost in big type
        (("Karen zhao", "FinanceDirector"), "Karen Zhao"),  # a capital read small
        (("XIONGYihong", "Engineer"), "XIONG Yihong"),  # an all-caps surname run into the given name
    ],
)
def test_latin_names_as_the_reader_spells_them(lines: tuple[str, ...], name: str) -> None:
    assert card((lines[0], 50.0), lines[1]).name == name
