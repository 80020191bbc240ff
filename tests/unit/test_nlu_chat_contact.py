"""The contact of a forwarded chat, chosen among candidates: one table per way the first match went wrong."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from crm.facts import Region
from nlu.dialogue import Side, parse
from nlu.extractor import Extractor

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # a Monday


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    extractor = Extractor()
    extractor.warm_up()
    return extractor


def fields(extractor: Extractor, text: str) -> tuple[str | None, str | None, str | None]:
    facts = extractor.chat(text, NOW)
    return facts.name, facts.title, facts.company


# A speaker label or an honorific is a weak cue: the full name said anywhere in the chat beats it.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "张总 10:21\n你好，我是恒信机械的张伟，之前在展会上加的你\n小李-云帆软件 10:25\n张总好！有案例的",
            ("张伟", None, "恒信机械"),
        ),
        (
            "王经理 14:02\n李工你好，我们想做仓库数字化\n王经理 14:10\n忘了说 我叫王海燕，是物流部的经理",
            ("王海燕", "物流部经理", None),
        ),
        (
            "Client: Hello, it's Maria Gonzalez, CFO at Solaris Energy\nMe: Thanks Maria",
            (
                "Maria Gonzalez",
                "CFO",
                "Solaris Energy",
            ),
        ),
        (
            "客户: 我们是宁波港联贸易\n我: 请问怎么称呼？\n客户: 我姓张，张丽娟",
            ("张丽娟", None, "宁波港联贸易"),
        ),
        (
            "Jerry 13:01\nHi 我是Jerry，蓝海智造的采购\n我 13:05\n请问您中文名是？\nJerry 13:06\n胡哲",
            (
                "胡哲",
                None,
                "蓝海智造",
            ),
        ),
        # With nothing better, the honorific stays the name.
        (
            "刘总 20:15\n我们在东莞松山湖，想把考勤系统换掉\n我 20:30\n刘总好，明天给您电话",
            ("刘总", None, None),
        ),
        (
            "客户 09:10\n你们SRM能私有化吗\n我 09:11\n可以的，请问您贵姓？\n客户 09:12\n免贵姓黎",
            (
                "黎",
                None,
                None,
            ),
        ),
    ],
)
def test_full_name_beats_a_label_or_an_honorific(
    extractor: Extractor, text: str, expected: tuple[str | None, str | None, str | None]
) -> None:
    assert fields(extractor, text) == expected


# "X from Y" and the other ways English speakers introduce themselves.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lisa: Hi, this is Lisa from Northwind Traders", ("Lisa", None, "Northwind Traders")),
        (
            "Hey, Ahmed from Gulf Star Trading here. We import appliances.",
            ("Ahmed", None, "Gulf Star Trading"),
        ),
        (
            "Jason Liu: hey it's Jason with Pacific Rim Foods, we spoke at the expo",
            (
                "Jason Liu",
                None,
                "Pacific Rim Foods",
            ),
        ),
        (
            "Good morning! Daniel here, procurement manager at Hanseong Electronics",
            (
                "Daniel",
                "procurement manager",
                "Hanseong Electronics",
            ),
        ),
        (
            "Hi! Sam Okafor here - Procurement Lead @ Lagos Breweries PLC. Saw your post.",
            (
                "Sam Okafor",
                "Procurement Lead",
                "Lagos Breweries PLC",
            ),
        ),
        ("hi its kate from harbour logistics. we need 5 more seats", ("Kate", None, "Harbour Logistics")),
    ],
)
def test_english_introductions(
    extractor: Extractor, text: str, expected: tuple[str | None, str | None, str | None]
) -> None:
    assert fields(extractor, text) == expected


def test_an_email_address_completes_a_first_name(extractor: Extractor) -> None:
    text = "Lisa: Hi, this is Lisa from Northwind Traders\nLisa: lisa.tan@northwind-traders.com"
    assert extractor.chat(text, NOW).name == "Lisa Tan"


# A name followed by its company and title in brackets.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "今天展会上认识的，孙立民（江苏恒信精密机械有限公司 副总经理），对设备联网很感兴趣",
            (
                "孙立民",
                "副总经理",
                "江苏恒信精密机械有限公司",
            ),
        ),
        ("联系人：孟繁星（教学总监）\n手机：13522186639", ("孟繁星", "教学总监", None)),
        ("见了IT部的熊工（熊卫），他是技术决策人", ("熊卫", "IT部", None)),
    ],
)
def test_brackets_after_a_name(
    extractor: Extractor, text: str, expected: tuple[str | None, str | None, str | None]
) -> None:
    assert fields(extractor, text) == expected


# The label of a line is not a speaker: "下次见面：周五上午十点" names the meeting, not a person.
@pytest.mark.parametrize(
    ("text", "name", "meeting"),
    [
        ("客户：刘建国\n公司：杭州启明电子有限公司\n下次见面：周五上午十点", "刘建国", at(27, 10)),
        ("下次见面：周五上午十点，地点他们公司会议室\n参会：对方总经理卢海波", "卢海波", at(27, 10)),
        ("姓名：龚丽萍\n下次沟通：12月2日 下午3点 视频会议", "龚丽萍", at(2, 15, month=12)),
    ],
)
def test_labelled_lines(extractor: Extractor, text: str, name: str, meeting: datetime) -> None:
    facts = extractor.chat(text, NOW)
    assert (facts.name, facts.next_meeting) == (name, meeting)


# Signature lines: a contact's parts side by side, or a block under a sign-off.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "周总 11:40\n成都高新区 周海涛 成都蓉城医疗科技 销售总监 139 8076 2214",
            (
                "周海涛",
                "销售总监",
                "成都蓉城医疗科技",
            ),
        ),
        (
            "附件是技术要求。\n——\n浙江联合电力设计院\n项目部 总工 张国栋\n手机：13906528877",
            (
                "张国栋",
                "项目部总工",
                "浙江联合电力设计院",
            ),
        ),
        (
            "Thanks for the demo.\nBest regards,\nSarah O'Connor\nHead of Operations | Brightline Logistics Ltd.",
            (
                "Sarah O'Connor",
                "Head of Operations",
                "Brightline Logistics Ltd.",
            ),
        ),
        (
            "Please see the RFQ.\nThanks,\nZhou Lei | Senior Purchasing Engineer | Fortune Auto Parts (Ningbo) Co., Ltd.",
            (
                "Zhou Lei",
                "Senior Purchasing Engineer",
                "Fortune Auto Parts (Ningbo) Co., Ltd.",
            ),
        ),
    ],
)
def test_signatures(
    extractor: Extractor, text: str, expected: tuple[str | None, str | None, str | None]
) -> None:
    assert fields(extractor, text) == expected


# Traditional characters and Cantonese are read as Mandarin; the fields keep the characters written.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "陳志明 10:05\n您好，我是台灣精密工業的陳志明，目前擔任資訊部經理",
            ("陳志明", "資訊部經理", "台灣精密工業"),
        ),
        (
            "[23/11/2026, 10:02] 黃生: 你好，我係黃家明，德記貿易嘅採購經理",
            ("黃家明", "採購經理", "德記貿易"),
        ),
    ],
)
def test_traditional_and_cantonese_keep_their_script(
    extractor: Extractor, text: str, expected: tuple[str | None, str | None, str | None]
) -> None:
    assert fields(extractor, text) == expected


def test_cantonese_day_words_give_the_meeting(extractor: Extractor) -> None:
    text = "Ricky Chan 14:32\nOK，聽日下晝三點嚟我哋公司傾下？\nRicky Chan 14:33\n我個mobile 9876 5432"
    facts = extractor.chat(text, NOW)
    assert (facts.next_meeting, facts.phones) == (at(24, 15), ("+85298765432",))


# What our own rep says of themselves is never the customer's.
@pytest.mark.parametrize(
    ("text", "name", "phones"),
    [
        (
            "我 10:02\n张经理您好，我是深蓝软件的销售顾问刘洋，电话13800138000\n客户 10:21\n我姓张，张丽娟",
            "张丽娟",
            (),
        ),
        # Two display names and no "我": the one who greets by honorific and offers a demo is the rep.
        (
            "黄志刚 09:01\n小陈你好，我是鼎盛物流的黄志刚\n小陈 09:05\n黄经理好，我是云帆的陈亮，方便的话我们先线上沟通？\n"
            "黄志刚 09:10\n我电话 13911007765",
            "黄志刚",
            ("+8613911007765",),
        ),
        (
            "Me: Hi Anna, this is Mark from CloudNine CRM\nAnna Kowalski: Hi Mark! Likewise",
            "Anna Kowalski",
            (),
        ),
    ],
)
def test_our_side_is_not_the_customer(
    extractor: Extractor, text: str, name: str, phones: tuple[str, ...]
) -> None:
    facts = extractor.chat(text, NOW)
    assert (facts.name, facts.phones) == (name, phones)


def test_group_chat_colleague_is_not_the_contact(extractor: Extractor) -> None:
    text = (
        "【凯瑞环保】邓总 10:00\n拉个群，小林你跟我们财务对一下付款方式\n林晓峰 10:01\n邓总好，财务老师好\n"
        "【凯瑞环保】财务-钟燕 10:05\n你好，付款按合同来\n【凯瑞环保】邓总 10:10\n合同我这周五之前签好寄过去"
    )
    assert fields(extractor, text) == ("邓总", None, "凯瑞环保")


# Forwarding and copying formats.
@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        ("[05.03.26 10:21] Lisa: Hi\n[05.03.26 10:25] Tom Becker: Hello", ["Lisa", "Tom Becker"]),
        ("[23/11/2026, 10:02] 黄生: 你好\n[23/11/2026, 10:05] 我: 你好", ["黄生", "我"]),
        ("金鑫(2789013344) 14:20:11\n你好\n云帆客服(800012345) 14:21:30\n您好", ["金鑫", "云帆客服"]),
        (
            "Raj Malhotra  10:21 AM\nHey, quick one\nSophie (Solutions)  10:24 AM\nHi Raj",
            ["Raj Malhotra", "Sophie (Solutions)"],
        ),
        ("🌸Lily🌸 13:13\n哈喽\n我 13:20\n您好", ["🌸Lily🌸", "我"]),
        # Lines a messenger adds are not messages: recalls, day separators, media, new-message markers.
        (
            '"刘总" 撤回了一条消息\n—————  2026-11-20  —————\n刘总 20:15\n[图片]\n刘总 20:16\n好的\n以下为新消息',
            ["刘总"],
        ),
        # A sentence that ends in a time is a message, not a header.
        ("Raj 10:26 AM\nlet's meet Wednesday 3:30pm", ["Raj"]),
    ],
)
def test_export_formats(text: str, speakers: list[str]) -> None:
    dialogue = parse(text, NOW)
    assert list(dict.fromkeys(m.speaker for m in dialogue.messages)) == speakers


@pytest.mark.parametrize(
    ("text", "sides"),
    [
        ("客户: 你好，我是达安检测的何雪梅\n我: 何老师好！", [Side.CUSTOMER, Side.REP]),
        ("客户：刘建国\n公司：杭州启明电子", [Side.NARRATOR, Side.NARRATOR]),  # a form, not a transcript
        ("You, [23.11.2026 09:10]\nLet me check stock", [Side.REP]),  # Telegram shows the rep as "You"
        ("销售-孟凡 14:30\n赵总好！", [Side.REP]),
    ],
)
def test_sides(text: str, sides: list[Side]) -> None:
    assert [m.side for m in parse(text, NOW).messages] == sides


# A budget in another currency is not stored as a wrong CNY figure.
@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("our budget is USD 120k per year", None),
        ("Budget approx. EUR 450,000.", None),
        ("預算大約四十萬港幣", None),
        ("budget SGD 80k 左右", None),
        ("预算80万人民币", 800_000),
        ("预算50万", 500_000),
    ],
)
def test_foreign_budgets(extractor: Extractor, text: str, budget: int | None) -> None:
    assert extractor.chat(text, NOW).budget_cny == budget


# ... and the budget keeps the amount and the currency it was said in (a range as a range); a Hong Kong
# or Taiwan customer naming no currency means their own.
@pytest.mark.parametrize(
    ("text", "currency", "low", "high"),
    [
        ("our budget is USD 120k per year", "USD", None, 120_000),
        ("Budget approx. EUR 450,000.", "EUR", None, 450_000),
        ("預算大約四十萬港幣", "HKD", None, 400_000),
        ("预算10到15万", "CNY", 100_000, 150_000),
        ("Ricky Chan 14:20\n我哋預算大概45萬\nRicky Chan 14:21\n我個mobile 9876 5432", "HKD", None, 450_000),
        ("预算80万人民币", "CNY", None, 800_000),
    ],
)
def test_budget_keeps_its_currency(
    extractor: Extractor, text: str, currency: str, low: int | None, high: int
) -> None:
    budget = extractor.chat(text, NOW).budget
    assert budget is not None
    assert (budget.currency, budget.low, budget.high) == (
        currency,
        Decimal(low) if low is not None else None,
        Decimal(high),
    )


# Meeting times said in pieces.
@pytest.mark.parametrize(
    ("text", "meeting"),
    [
        ("Me: 好的 Alvin，明天 11am video call 可以吗？", at(24, 11)),  # a day, then its hour
        # The reply gives the hour of the day proposed.
        ("我: 12月8号周二下午过去演示，您看行吗\n客户: 可以 下午2点半", at(8, 14, 30, month=12)),
        ("下周去厂里看看，周三或周四", at(3, 9, month=12)),  # a weekday after 下周 is in that week
        ("我: 那我下周二过去拜访您？\n客户: 下周不在，12月10号以后吧", None),  # turned down
        ("拜访小结（11月23日）", None),  # today's date heading a note
        ("你们明天能派人过来吗？下午都在", at(24, 14)),
    ],
)
def test_meeting_times(extractor: Extractor, text: str, meeting: datetime | None) -> None:
    assert extractor.chat(text, NOW).next_meeting == meeting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话 13567390021 微信同号", "13567390021"),  # the WeChat id is the mobile number
        ("[23/11/2026, 09:30] +852 5123 8899: 你好，我係周志偉", None),
    ],
)
def test_wechat_ids(extractor: Extractor, text: str, expected: str | None) -> None:
    assert extractor.chat(text, NOW).wechat_id == expected


def test_a_number_as_display_name_is_the_customers_phone(extractor: Extractor) -> None:
    text = "[23/11/2026, 09:30] +852 5123 8899: 你好，我係周志偉，喺元朗做物流"
    assert extractor.chat(text, NOW).phones == ("+85251238899",)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        # Where the company is, not where the trade fair was.
        ("中午跟太原的晋商物流吃了个饭\n12月7号他来上海出差", ("山西省", "太原市")),
        # A landline's area code places a company that names no place.
        ("中南建筑设计院 信息中心 主任 易国华\n电话 027-65768899", ("湖北省", "武汉市")),
    ],
)
def test_region(extractor: Extractor, text: str, region: tuple[str, str]) -> None:
    found = extractor.chat(text, NOW).region
    assert found is not None
    assert (found.province, found.city) == region


def test_long_runs_of_one_character(extractor: Extractor) -> None:
    """Runs that patterns once rescanned from every position: nothing is found in them."""
    facts = extractor.chat("1" * 20_000 + "\n" + "A" * 20_000, NOW)
    assert (facts.name, facts.company, facts.address) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("客户 10:07\n我是人事部的黄小姐 黄丽萍", ("黄丽萍", "人事部", None)),  # a polite form, then the name
        (
            "Me: Just confirming your details?\nClient: Sure - Daniel Ortiz, Procurement, Andes Mining Corp",
            (
                "Daniel Ortiz",
                "Procurement",
                "Andes Mining Corp",
            ),
        ),
        (
            "Best,\nAoife Murphy\nOperations Lead | PharmaCare Ireland\n+353 1 234 5678",
            (
                "Aoife Murphy",
                "Operations Lead",
                "PharmaCare Ireland",
            ),
        ),
        # The town under a signature's company is not the company.
        (
            "Regards\nThomas Becker\nIT Manager\nBecker & Sohn Logistik GmbH\nHamburg",
            (
                "Thomas Becker",
                "IT Manager",
                "Becker & Sohn Logistik GmbH",
            ),
        ),
        ("我 10:00\n您好，请问是恒远机械的吴总吗？\n吴 10:05\n是我，吴振宇", ("吴振宇", None, "恒远机械")),
        (
            "朋友转来的：\n“你好，我是郑州宇通客车供应链管理部的薛丽，电话0371-66718901”",
            (
                "薛丽",
                "供应链管理部",
                "郑州宇通客车",
            ),
        ),
    ],
)
def test_more_introductions(
    extractor: Extractor, text: str, expected: tuple[str | None, str | None, str | None]
) -> None:
    assert fields(extractor, text) == expected


def test_a_colleague_of_the_rep_is_on_our_side(extractor: Extractor) -> None:
    text = (
        "我 11:00\n王总，这是我同事小张，以后他跟您对接技术问题\n张宇-云帆技术支持 11:01\n王总好，我是云帆的技术支持张宇\n"
        "王志勇 11:06\n我们这边是泉州的，做鞋材"
    )
    assert fields(extractor, text) == ("王志勇", None, None)


def test_a_visit_note_is_the_reps_own_voice(extractor: Extractor) -> None:
    note = "我是云帆的销售刘洋，今天去拜访了华为的张总，我们公司是做CRM的，他们想上移动端"
    facts = extractor.minutes(note, NOW)
    assert (facts.name, facts.company) == ("张总", "华为")


@pytest.mark.parametrize(
    ("text", "meeting"),
    [
        # weekdays typed as digits, a place for the meeting, "connect" and "come to"
        ("客户: 下周3上午来一趟石家庄吧", at(2, 9, month=12)),
        ("客户: 那就12月7号上午吧 地点还是我们洛阳的工厂", at(7, 9, month=12)),
        ("Me: Can we connect tomorrow 4 PM?\nRohit Gupta: Sure sir", at(24, 16)),
        ("Daniel: Can you come to Taicang on 3 Dec, 10:00?", at(3, 10, month=12)),
        ("Anna: Could we arrange a video conference on Tuesday, 1 December at 15:00?", at(1, 15, month=12)),
    ],
)
def test_second_pass_meetings(extractor: Extractor, text: str, meeting: datetime | None) -> None:
    assert extractor.chat(text, NOW).next_meeting == meeting


@pytest.mark.parametrize(
    ("text", "by"),
    [
        ("客户: 工期的话希望春节前完工", date(2027, 2, 6)),  # next year's festival, not this one's a year on
        ("客户: 最好1月1号开始正式用", date(2027, 1, 1)),
        ("客户: 明年5.1之前要完工", date(2027, 5, 1)),
        ("客户: 要求明年年中之前上线", date(2027, 6, 30)),
        ("Client: The pilot should be finished by end of June 2027.", date(2027, 6, 30)),
        ("Client: we intend to complete the migration by Q2 2027", date(2027, 6, 30)),
    ],
)
def test_second_pass_timelines(extractor: Extractor, text: str, by: date) -> None:
    assert extractor.chat(text, NOW).timeline_by == by


def test_a_wecom_contact_shows_their_company(extractor: Extractor) -> None:
    text = (
        "陈晨（我司销售） 14:00\n拉个群方便沟通\n李娜@恒瑞制药 14:05\n你们好，我是质量部的李娜\n"
        "李娜@恒瑞制药 14:12\n可以，到了门卫打我电话 0518-81220000 转 3306"
    )
    facts = extractor.chat(text, NOW)
    assert (facts.name, facts.company) == ("李娜", "恒瑞制药")
    assert facts.phones == ("+8651881220000;ext=3306",)


@pytest.mark.parametrize(
    ("text", "budget", "phones"),
    [
        # Indian numbering and an Indian city: rupees, and the number is India's
        (
            "Rohit: Rohit here from Gupta Agro Foods, Indore\nRohit: Budget will be around 8-10 lakhs\n"
            "Rohit: Call on 9893012345",
            ("INR", 800000, 1000000),
            ("+919893012345",),
        ),
        # a Hong Kong chat: 五六萬 is a range in Hong Kong dollars
        ("[23/11/2026, 15:42] Ivy: 預算唔多，五六萬左右", ("HKD", 50000, 60000), ()),
    ],
)
def test_second_pass_budgets(
    extractor: Extractor, text: str, budget: tuple[str, int, int], phones: tuple[str, ...]
) -> None:
    facts = extractor.chat(text, NOW)
    assert facts.budget is not None
    currency, low, high = budget
    assert (facts.budget.currency, facts.budget.low, facts.budget.high) == (
        currency,
        Decimal(low),
        Decimal(high),
    )
    assert facts.phones == phones


def test_a_business_trip_is_not_where_the_customer_is(extractor: Extractor) -> None:
    facts = extractor.chat("客户: 周四我在北京出差\n客户: 地点还是我们洛阳的工厂", NOW)
    assert facts.region == Region("河南省", "洛阳市")


@pytest.mark.parametrize(
    ("text", "name", "title", "company"),
    [
        # the title right before the name, the company before the title
        ("客户: 我是南京苏宁易购的数据分析经理邵磊", "邵磊", "数据分析经理", "南京苏宁易购"),
        ("黃經理 10:00\n您好，我是全家便利商店區域經理黃冠宇", "黃冠宇", "區域經理", "全家便利商店"),
        (
            "客户: 我是武汉东湖医院信息科主任赵立新，办公电话027-87654321",
            "赵立新",
            "信息科主任",
            "武汉东湖医院",
        ),
        ("陳經理 14:00\n哈囉您好，我是高雄的漢神百貨資訊課經理 陳建宏", "陳建宏", "資訊課經理", "漢神百貨"),
        # an honorific and the full name beside it
        ("上午见了无锡新洁能源的老板单总，单国平", "单国平", "老板", "无锡新洁能源"),
        ("客户: 喂你好那个我是老周啊周建华就是做不锈钢管材的", "周建华", None, None),
        # spoken transcripts: a particle or 我 after the name, 俺 for 我, a Japanese family name
        (
            "谭店长 15:02\n嗯那个我是华润万家江北店的店长我叫谭敏啊我们店想装电子价签",
            "谭敏",
            "店长",
            "华润万家江北店",
        ),
        ("苏姐 13:15\n你好我是恒远建材的老板娘我姓苏苏丽萍我们在佛山南海", "苏丽萍", "老板娘", "恒远建材"),
        ("小黄 10:32\n俺叫黄小磊 是调度主管", "黄小磊", "调度主管", None),
        ("Mr. Sato 佐藤 10:00\n您好，我是日本三和精机上海法人的佐藤健一，总经理", "佐藤健一", "总经理", None),
    ],
)
def test_second_pass_introductions(
    extractor: Extractor, text: str, name: str, title: str | None, company: str | None
) -> None:
    found = fields(extractor, text)
    assert found[0] == name
    assert found[1] == title
    if company is not None:
        assert found[2] == company


@pytest.mark.parametrize(
    ("text", "name", "title", "company"),
    [
        (
            "I, K. Srinivasan, Deputy General Manager (IT) of Chennai Metro Water Supply Board, request you",
            "K. Srinivasan",
            "Deputy General Manager (IT)",
            "Chennai Metro Water Supply Board",
        ),
        (
            "Sanne de Vries 10:42 AM\nhi! Sanne from Tulip Fresh Logistics (Rotterdam)\n"
            "Sanne de Vries 10:44 AM\nbudget is €120k over 3 years\nYou 10:50 AM\nHi Sanne! A call on Monday?",
            "Sanne de Vries",
            None,
            "Tulip Fresh Logistics",
        ),
        (
            "G'day, Liam O'Connor here - Ops Manager at Southern Cross Mining Supplies, Perth.",
            "Liam O'Connor",
            "Ops Manager",
            "Southern Cross Mining Supplies",
        ),
        (
            "Thanks & Regards,\nVenkatesh Rao\nManager - QA\nSai Krishna Pharma Pvt Ltd",
            "Venkatesh Rao",
            "Manager - QA",
            "Sai Krishna Pharma Pvt Ltd",
        ),
        (
            "Best regards\nDr. Katrin Hofmann\nHead of Energy Management\nAlpen Brauerei AG",
            "Katrin Hofmann",
            "Head of Energy Management",
            "Alpen Brauerei AG",
        ),
        (
            "hi,my name is Ankit Verma,I am working as IT head in Shree Balaji Polymers Pvt. Ltd.,Ahmedabad.",
            "Ankit Verma",
            "IT head",
            None,
        ),
        ("I am writing on behalf of Tan & Partners LLP. We are a law firm", None, None, "Tan & Partners LLP"),
        ("Jessica (张婧) 13:30\nHi, this is Jessica from 安徽华源医药, 采购部", None, None, "安徽华源医药"),
        # a registered name in brackets, a determiner, a run-on transcript
        ("客户: 本公司为香港一间物业管理公司（宏基物业管理有限公司）", None, None, "宏基物业管理有限公司"),
        ("客户: 我是那个绿源农业的小邱邱文斌啊", "邱文斌", None, "绿源农业"),
        (
            "客户: 您好我这边是蓉欣物业管理有限公司我是工程部的经理何斌我们有三个小区",
            "何斌",
            None,
            "蓉欣物业管理有限公司",
        ),
        ("Cindy 20:19\n公司是深圳南山的一家游戏公司，叫星跃互动", None, None, "星跃互动"),
        # what someone does, and the title in the honorific they go by
        ("陈姐 09:15\n对了我是鑫达五金的陈秀梅，管财务的", "陈秀梅", "财务", "鑫达五金"),
        (
            "王店长 11:03\n我们是开药店的\n我 11:08\n您好王店长！请问怎么称呼？\n王店长 11:10\n王小燕\n"
            "王店长 11:15\n康宁大药房，总部在长沙岳麓区",
            "王小燕",
            "店长",
            "康宁大药房",
        ),
    ],
)
def test_second_pass_contacts(
    extractor: Extractor, text: str, name: str | None, title: str | None, company: str | None
) -> None:
    found = fields(extractor, text)
    if name is not None:
        assert found[0] == name
    if title is not None:
        assert found[1] == title
    if company is not None:
        assert found[2] == company


@pytest.mark.parametrize(
    ("text", "region"),
    [
        # the customer's own place beats a summit they went to; a display name says where too
        (
            "李总 09:40\n我是华东重工的李卫东，上周在杭州的峰会上拿了你的名片\n李总 09:55\n那下周一上午九点半来我们马鞍山厂里看看",
            Region("安徽省", "马鞍山市"),
        ),
        ("苏州-恒力纺织-季 13:10\n你好，我们想做能耗管理", Region("江苏省", "苏州市")),
        # the rep asks where, the customer says yes
        (
            "郝总 20:01\n我们新开了两家店\n小孟 20:10\n郝总好！是太原那两家吗\n郝总 20:12\n对",
            Region("山西省", "太原市"),
        ),
        # a Taiwan district whose short name is also a county-level city in Xinjiang
        ("阿凱 13:05\n早午餐店 在台中北屯 兩間", Region("台湾省", "台中市", "北屯区")),
        # a traditional-script chat naming no place is Taiwan's
        ("客戶：你好，我是國立成功大學總務處的專員 劉怡君\n客戶：經費約30萬", Region("台湾省")),
        # "Beijing time" is a clock
        ("Ivan: need CRM\nMe: Hi Ivan! Can we call Wednesday 4pm Beijing time?", None),
    ],
)
def test_second_pass_chat_regions(extractor: Extractor, text: str, region: Region | None) -> None:
    assert extractor.chat(text, NOW).region == region


def test_a_traditional_chat_budget_is_in_new_taiwan_dollars(extractor: Extractor) -> None:
    facts = extractor.chat("客戶：我是國立成功大學總務處的專員 劉怡君\n客戶：經費約30萬", NOW)
    assert facts.budget is not None
    assert (facts.budget.currency, facts.budget.high, facts.budget_cny) == ("TWD", Decimal(300_000), None)


@pytest.mark.parametrize(
    ("text", "meeting"),
    [
        ("[23/11/2026, 10:07] Rachel: can u call me tmrw arvo? 0412 345 678", at(24, 14)),
        ("大鹏 21:12\n后天下午你们来一趟吧 三点", at(25, 15)),
        ("我: 宋总好，下周二下午 3 点线上聊？\nSam: OK", at(1, 15, month=12)),
        ("You: Hi Noura! Could we present on Wednesday 2 December at 11am?", at(2, 11, month=12)),
        ("我: 好的李总，周四上午10点我们去连云港跟您当面过一下需求？\n客户: 可以", at(26, 10)),
    ],
)
def test_second_pass_meeting_words(extractor: Extractor, text: str, meeting: datetime) -> None:
    assert extractor.chat(text, NOW).next_meeting == meeting


@pytest.mark.parametrize(
    ("text", "by"),
    [
        ("Visitor: we'd like to go live before April", date(2027, 3, 31)),
        ("客户: 关键时间：2027年6月30日前上线", date(2027, 6, 30)),
        ("客户: 我们打算明年开春换掉现在的TMS", date(2027, 3, 31)),
    ],
)
def test_second_pass_milestone_dates(extractor: Extractor, text: str, by: date) -> None:
    assert extractor.chat(text, NOW).timeline_by == by


def test_the_reps_visit_plan_is_no_milestone(extractor: Extractor) -> None:
    text = "客户: 明年3月底必须上线\n我: 周四下午我和实施经理一起过去跟您对一下？"
    assert extractor.chat(text, NOW).timeline_by == date(2027, 3, 31)


@pytest.mark.parametrize(
    ("text", "name", "title", "company"),
    [
        # the answer to "which company?" begins with the company
        (
            "我: 您好Eric，请问公司名称？\nEric: 北京百川数智，我是COO助理，全名何一凡",
            "何一凡",
            "COO助理",
            "北京百川数智",
        ),
        (
            "我: 严工好，请问是哪家公司？\n严: 嘉兴的，永固紧固件，我是生产部的严宏",
            "严宏",
            "生产部",
            "永固紧固件",
        ),
        # a business named as such, in Latin letters after its description, or ending in a title word
        ("客：我姓麥，麥浩然，喺觀塘開咗間保險代理公司，叫卓越保險顧問", "麥浩然", None, "卓越保險顧問"),
        (
            "[23/11/2026, 15:40] Ivy: hi，我係Ivy，喺銅鑼灣開緊兩間美容院，Glow Beauty",
            "Ivy",
            None,
            "Glow Beauty",
        ),
        ("Ken Lau: Hi 我係 Ken，做 logistics 嘅，公司叫 Swift Link 迅聯物流", None, None, "迅聯物流"),
        # company and title in one phrase after the name
        (
            "陳董 09:07\n我是陳建國，台南永興紡織董事長，後續找我們廠長林先生對接",
            "陳建國",
            "董事長",
            "台南永興紡織",
        ),
        # what someone said of themselves goes with the name on the next line
        (
            "客户 15:15\n郑州外国语中学，我是电教中心的，姓岳\n客户 15:16\n岳建民，电话 0371-67433021",
            "岳建民",
            "电教中心",
            "郑州外国语中学",
        ),
    ],
)
def test_second_pass_more_contacts(
    extractor: Extractor, text: str, name: str | None, title: str | None, company: str | None
) -> None:
    found = fields(extractor, text)
    if name is not None:
        assert found[0] == name
    if title is not None:
        assert found[1] == title
    assert found[2] == company


def test_a_trade_word_is_no_town() -> None:
    from nlu.region import place_names

    assert place_names("台南永兴纺织") == ["台南", "永兴"]  # 纺织街道 is a subdistrict, 纺织 a trade
