"""People, titles, decision roles and company names."""

from __future__ import annotations

import pytest

from crm.facts import DecisionRole
from nlu.company import find_companies
from nlu.contactline import LineContact, find_contact
from nlu.names import is_chinese_name
from nlu.people import find_mentions


@pytest.mark.parametrize(
    ("text", "name", "title", "role"),
    [
        ("王总是财务负责人", "王总", "财务负责人", DecisionRole.FINANCE),
        ("Li is their CTO", "Li", "CTO", DecisionRole.TECHNICAL),
        ("采购部的刘经理", "刘经理", "采购经理", DecisionRole.PROCUREMENT),
        ("最后是老板拍板", "老板", "老板", DecisionRole.DECISION_MAKER),
        ("总经理拍板", "总经理", "总经理", DecisionRole.DECISION_MAKER),
        ("张总拍板", "张总", None, DecisionRole.DECISION_MAKER),
        ("采购经理张伟明天过来", "张伟", "采购经理", DecisionRole.PROCUREMENT),
        ("我是采购部的张伟", "张伟", "采购负责人", DecisionRole.PROCUREMENT),
        ("李工负责技术", "李工", None, DecisionRole.TECHNICAL),
        ("他们CTO李明是技术负责人", "李明", "技术负责人", DecisionRole.TECHNICAL),
        ("I am John Smith, IT Director at Acme Corp", "John Smith", "IT Director", DecisionRole.TECHNICAL),
        ("Wang makes the final call", "Wang", None, DecisionRole.DECISION_MAKER),
        ("张伟经理", "张伟", "经理", None),
        ("小王说下周发", "小王", None, None),
        # A name that starts a clause before what the person said or wants.
        ("李雷说想了解一下你们的系统", "李雷", None, None),
        ("马化腾觉得可以", "马化腾", None, None),
        ("客户张伟表示下周给答复", "张伟", None, None),
        ("王芳也提到了移动端", "王芳", None, None),
        ("欧阳娜娜问能不能试用", "欧阳娜娜", None, None),
    ],
)
def test_mention(text: str, name: str, title: str | None, role: DecisionRole | None) -> None:
    mentions = find_mentions(text)
    assert [(m.name, m.title, m.role) for m in mentions] == [(name, title, role)]


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        # A full name right after meeting or talking with someone, with the company said before it.
        ("今天见了张伟，他说下个月要上线", [("张伟", None)]),
        ("下午拜访了华为的章伟", [("章伟", "华为")]),
        ("和王小明聊了一下", [("王小明", None)]),  # one person, not 王小明 and 小明
        ("约了陈静下周三见面", [("陈静", None)]),
        ("联系了刘洋确认报价", [("刘洋", None)]),
        ("今天和张伟明天再聊", [("张伟", None)]),
        ("见了采购部的章伟", [("章伟", None)]),
        # Words after those verbs that only start with a surname character are not names.
        ("和技术部开会", []),
        ("跟周五的安排", []),
        ("跟马上要上线的项目", []),
    ],
)
def test_person_met(text: str, mentions: list[tuple[str, str | None]]) -> None:
    assert [(m.name, m.org) for m in find_mentions(text)] == mentions


def test_department_said_with_the_person_met_is_their_role() -> None:
    [mention] = find_mentions("见了他们财务部的王芳")
    assert (mention.name, mention.org, mention.role) == ("王芳", None, DecisionRole.FINANCE)


def test_pronoun_refers_to_the_person_named_before() -> None:
    [mention] = find_mentions("最后是他拍板", antecedent="王总")
    assert (mention.name, mention.role) == ("王总", DecisionRole.DECISION_MAKER)


@pytest.mark.parametrize(
    ("text", "org"),
    [
        ("今天见了华为的张总", "华为"),
        ("我是星辰科技的张伟", "星辰科技"),
        ("客户那边的张总", None),
        ("采购部的刘经理", None),
    ],
)
def test_company_said_with_a_person(text: str, org: str | None) -> None:
    assert find_mentions(text)[0].org == org


@pytest.mark.parametrize(
    "text",
    [
        "张伟明天来",
        "今天天气不错",
        "我们需要CRM",
        "The budget is 50k",
        # Words that start with a surname character, before 说/要/想.
        "马上要发报价",
        "方案说得很清楚",
        "周五要开会",
        "明年要上CRM",
        "高新区说要补贴",
        "全部要私有化部署",
        "安排想放在下周",
        "项目要年底上线",
    ],
)
def test_no_person(text: str) -> None:
    assert find_mentions(text) == []


@pytest.mark.parametrize(
    ("text", "companies"),
    [
        ("今天去拜访了上海某某科技有限公司", ["上海某某科技有限公司"]),
        ("华为技术有限公司的张总", ["华为技术有限公司"]),
        ("客户是杭州云图信息技术有限公司，做SaaS", ["杭州云图信息技术有限公司"]),
        ("公司：深圳市腾讯计算机系统有限公司", ["深圳市腾讯计算机系统有限公司"]),
        ("华为科技那边说可以", ["华为科技"]),
        ("I work at Acme Co., Ltd. in Shanghai", ["Acme Co., Ltd."]),
        ("Acme Inc. is a client", ["Acme Inc."]),
        ("我们公司下周给你们报价", []),
        ("贵公司的需求", []),
        ("高科技企业", []),
        ("他们集团很大", []),
        # A brand whose name ends in 的: not the particle before the legal form.
        ("今天去了美的集团", ["美的集团"]),
        ("去了他的公司", []),
        ("客户的集团", []),
        # A bracket opened before the name is not part of it; a group runs on into its subsidiary.
        ("孙立民（江苏恒信精密机械有限公司 副总经理）", ["江苏恒信精密机械有限公司"]),
        ("杭州钢铁集团冷轧有限公司", ["杭州钢铁集团冷轧有限公司"]),
        ("青岛大学附属医院 消毒供应中心", ["青岛大学附属医院"]),
        # What a company does, or a phrase that ends like a company, is not its name.
        ("我们是深圳前海的跨境电商公司", []),
        ("在青岛开了三家口腔诊所", []),
        ("下周三下午有空的话来公司坐坐", []),
        ("收货信息", []),
        ("北京云智未来科技有限公司，我是 CTO", ["北京云智未来科技有限公司"]),
        ("Becker & Sohn Logistik GmbH", ["Becker & Sohn Logistik GmbH"]),
    ],
)
def test_companies(text: str, companies: list[str]) -> None:
    assert find_companies(text) == companies


@pytest.mark.parametrize(
    "token",
    [
        "张伟",
        "王芳",
        "李雷",
        "张玮",
        "马化腾",
        "王强",
        "高峰",
        "欧阳娜娜",
        "王小明",
        "刘德华",
        "王家卫",
        "李一桐",
    ],
)
def test_chinese_name(token: str) -> None:
    assert is_chinese_name(token)


@pytest.mark.parametrize(
    "token",
    [
        # everyday words and places that start with a surname character
        *("张江", "高新", "周五", "王府井", "方案", "林业", "金额", "何时", "安排", "江苏", "黄金", "马上"),
        *("白天", "于是", "向日葵", "文档", "明天", "常用", "全部", "高端", "浦东", "金桥", "项目", "管理"),
        *("高新区", "周五见", "华为", "谢谢", "祝好"),
        # not two to four Chinese characters after a surname
        *("冯", "张", "张伟伟伟伟", "Zhang", "张3"),
        # given-name characters that are grammar: 的 了 是 说
        *("张的", "王了", "李是", "刘说"),
    ],
)
def test_not_a_chinese_name(token: str) -> None:
    assert not is_chinese_name(token)


@pytest.mark.parametrize(
    ("text", "contact"),
    [
        ("华为技术有限公司 张伟 13812345678", LineContact("张伟", org="华为技术有限公司")),
        ("华为技术(深圳)有限公司 张伟 13900002222", LineContact("张伟", org="华为技术(深圳)有限公司")),
        ("星辰科技有限公司 张玮 13900002222", LineContact("张玮", org="星辰科技有限公司")),
        ("王芳 13511112222 做财务的", LineContact("王芳", title="财务")),
        ("李雷 139 0000 1111 想了解你们的CRM", LineContact("李雷")),
        ("张伟 13812345678", LineContact("张伟")),
        ("张伟,13812345678", LineContact("张伟")),
        ("张伟13812345678", LineContact("张伟")),
        ("张伟 电话 13812345678", LineContact("张伟")),
        ("张伟 zhang.wei@huawei.com", LineContact("张伟")),
        ("张伟 微信 zhangwei_88", LineContact("张伟")),
        ("张工 13812345678", LineContact("张工")),
        ("张先生 13912345678", LineContact("张先生")),
        ("陈总 采购经理", LineContact("陈总", title="采购经理")),
        ("华为 张伟 13700003333", LineContact("张伟", org="华为")),
        ("张伟 华为 13700003333", LineContact("张伟", org="华为")),
        ("王小明(华为) 13812345678", LineContact("王小明", org="华为")),
        ("腾讯 马化腾 13511112222", LineContact("马化腾", org="腾讯")),
        ("IBM 张伟 13812345678", LineContact("张伟", org="IBM")),
        # A department and the title after it are one title; of two people, the title beside the name.
        ("项目部 总工 张国栋 13906528877", LineContact("张国栋", title="项目部总工")),
        ("采购部高级经理 邹立强、IT经理 隋晓东 13843106625", LineContact("邹立强", title="采购部高级经理")),
        ("彭晓东,星沙重工配套 采购部 13574128865", LineContact("彭晓东", "采购部", "星沙重工配套")),
        # Words beside the name that are not a company.
        ("周五 张伟 13812345678", LineContact("张伟")),
        ("客户 张伟 13812345678", LineContact("张伟")),
        ("意向客户 张伟 13812345678", LineContact("张伟")),
        ("浦东 张伟 13812345678", LineContact("张伟")),
        ("VIP 张伟 13812345678", LineContact("张伟")),
        ("祝好 张伟 13812345678", LineContact("张伟")),
        # English
        ("John Smith +1 650 253 0000", LineContact("John Smith")),
        ("Call Li Ming at 13812345678", LineContact("Li Ming")),
        ("+86 13812345678 Wang Fang", LineContact("Wang Fang")),
        ("Zhang Jinhua +86 138 1234 5678", LineContact("Zhang Jinhua")),
    ],
)
def test_contact_line(text: str, contact: LineContact) -> None:
    assert find_contact([text]) == contact


def test_a_name_alone_on_its_line_takes_the_fields_around_it() -> None:
    signature = ["张伟", "华为技术有限公司", "采购经理", "13812345678"]
    assert find_contact(signature) == LineContact("张伟", "采购经理", "华为技术有限公司")


@pytest.mark.parametrize(
    "lines",
    [
        ["浦东张江 13812345678"],  # a place
        ["周五 13812345678"],
        ["马上 回电话 13812345678"],
        ["方案 13812345678"],
        ["高新区 13812345678"],
        ["金额 50万 13812345678"],
        ["华为 13812345678"],  # a company, no person
        ["老师 13812345678"],  # reads like 老王 but is a word
        ["小米 13812345678"],
        ["回头把方案发给张伟 13812345678"],  # not standing alone
        ["张伟"],  # nothing beside it
        ["好的", "张伟", "明天见"],
        ["Sales Manager +1 650 253 0000"],  # a title
        ["Hong Kong +852 2123 4567"],  # a place
        ["Shanghai Pudong 13812345678"],
        ["Thanks John +1 650 253 0000"],
        ["New York +1 212 555 0100"],
    ],
)
def test_no_contact_line(lines: list[str]) -> None:
    assert find_contact(lines) is None


def test_names_that_sound_alike() -> None:
    from crm.voice_match import alike, said_in
    from nlu.sounds import sounds

    assert alike(sounds("章伟"), sounds("张伟"))
    assert alike(sounds("曾伟"), sounds("增伟"))  # 曾 is read zeng as a surname, ceng otherwise
    assert alike(sounds("陈伟"), sounds("程伟"))  # -n and -ng, blurred by many speakers
    assert not alike(sounds("张伟"), sounds("王伟"))
    assert not alike(sounds("张伟"), sounds("张伟明"))
    assert said_in(sounds("星辰科技"), sounds("今天拜访了新晨科技的王总"))
    assert len(sounds("Acme 张伟 123")) == 2
