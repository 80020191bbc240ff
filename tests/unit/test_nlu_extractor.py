"""Extractor.chat and Extractor.minutes end to end: one field at a time, then whole chats and a visit note."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crm.facts import (
    CommitmentFact,
    DecisionRole,
    Facts,
    Money,
    Party,
    PersonMention,
    Region,
    ReminderFact,
    TodoFact,
)
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


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        # contact
        ("张伟: 您好，请问是做CRM的吗", "name", "张伟"),
        ("Zhang Wei: hi, we need a CRM", "name", "Zhang Wei"),
        ("张伟(华为): 您好", "company", "华为"),
        ("我: 您好\n李娜 10:32\n我是采购经理", "name", "李娜"),
        ("我: 您好\n李娜 10:32\n我是采购经理", "title", "采购经理"),
        ("联系人：王强，电话13912345678", "name", "王强"),
        ("注意：明天下午3点开会", "name", None),  # a label, not a speaker
        ("Zhang Wei, [23.11.2026 10:32]\nwe need a CRM", "name", "Zhang Wei"),  # Telegram Desktop copy
        ("今天拜访了华为的张总", "name", "张总"),
        ("今天拜访了华为的张总", "company", "华为"),
        ("华为技术有限公司 张伟 13812345678", "company", "华为技术有限公司"),
        ("华为 张伟 13700003333", "company", "华为"),  # a short name beside the person
        ("腾讯 马化腾 13511112222", "company", "腾讯"),
        ("周五 张伟 13700003333", "company", None),
        ("客户 张伟 13700003333", "company", None),
        ("浦东 张伟 13700003333", "company", None),
        ("王芳 13511112222 做财务的", "title", "财务"),
        ("张伟\n华为技术有限公司\n采购经理\n13812345678", "title", "采购经理"),
        ("我是华为技术有限公司的张伟，采购经理", "title", "采购经理"),
        ("我是华为技术有限公司的张伟，采购经理", "company", "华为技术有限公司"),
        ("I'm Li Ming, IT Director at Acme Corp", "name", "Li Ming"),
        ("I'm Li Ming, IT Director at Acme Corp", "title", "IT Director"),
        ("I'm Li Ming, IT Director at Acme Corp", "company", "Acme Corp"),
        (
            "他的手机 138 1234 5678，座机021-58881234转8001",
            "phones",
            ("+8613812345678", "+862158881234;ext=8001"),
        ),
        ("邮箱 Zhang.Wei@Example.com", "emails", ("zhang.wei@example.com",)),
        ("加个微信吧 微信号 zhangwei_88", "wechat_id", "zhangwei_88"),
        ("官网 www.example.com.cn", "website", "www.example.com.cn"),
        ("我: 有事打我的电话13800001111\n张伟: 好的", "phones", ()),  # the rep's own number
        # place
        ("他们在浦东张江", "region", Region("上海市", "上海市", "浦东新区")),
        ("地址：深圳市南山区科技园南区粤海街道10号", "address", "深圳市南山区科技园南区粤海街道10号"),
        ("今天聊得不错，下次再约", "region", None),
        ("张伟: 地址在浦东张江，邮箱 zhang.wei@huawei.com", "address", "浦东张江"),
        ("张伟: 地址在浦东张江，邮箱 zhang.wei@huawei.com", "region", Region("上海市", "上海市", "浦东新区")),
        ("张伟: 地址在浦东张江，邮箱 zhang.wei@huawei.com", "emails", ("zhang.wei@huawei.com",)),
        ("Li Ming: our office in Shanghai Pudong", "region", Region("上海市", "上海市", "浦东新区")),
        ("We are based in Shenzhen", "region", Region("广东省", "深圳市")),
        ("Beijing Chaoyang, near the 3rd ring", "region", Region("北京市", "北京市", "朝阳区")),
        # budget
        ("预算50万", "budget_cny", 500_000),
        ("预算的话，大概100w", "budget_cny", 1_000_000),
        ("我们预算30到50万", "budget_min_cny", 300_000),
        ("We have a budget around 2 million RMB", "budget_cny", 2_000_000),
        ("采购200台，电话13812345678", "budget_cny", None),
        ("刘总: 我们今年IT预算有限，大概十几万吧", "budget_min_cny", 100_000),
        ("他说明年想上MES 大概两三百万的盘子", "budget_cny", 3_000_000),
        ("客户说我们报价80万太贵，他们预算只有60万", "budget_cny", 600_000),
        # timeline
        ("他们计划下个月上线", "timeline", "下个月上线"),
        ("他们计划下个月上线", "timeline_by", date(2026, 12, 31)),
        ("希望Q3能上线", "timeline_by", date(2027, 9, 30)),
        ("年底前要完成采购", "timeline", "年底前要完成采购"),
        ("We want to go live in March", "timeline", "go live in March"),
        ("We want to go live in March", "timeline_by", date(2027, 3, 31)),
        ("下个月再说吧", "timeline", None),
        ("王经理 15:02\n合同法务在看，预计12月10号前能签", "timeline_by", date(2026, 12, 10)),
        # meeting
        ("下周三下午3点来公司聊一下", "next_meeting", at(2, 15, month=12)),
        ("明天上午10点开会", "next_meeting", at(24, 10)),
        ("后天过来拜访", "next_meeting", at(25, 9)),
        ("周五下午见面聊", "next_meeting", at(27, 14)),
        ("Let's meet next Tuesday at 2pm", "next_meeting", at(1, 14, month=12)),
        ("call tomorrow 10am?", "next_meeting", at(24, 10)),
        ("下周三下午3点前把合同发过来", "next_meeting", None),  # a deadline, not a meeting
        ("明天天气不错", "next_meeting", None),
        ("周三不方便见面", "next_meeting", None),
        ("赵总 昨天 18:30\n明天下午两点来我办公室吧", "next_meeting", at(24, 14)),
        ("我: 下周二方便视频会吗\n刘总: 周二不行，下周三上午吧", "next_meeting", at(2, 9, month=12)),
        # needs and keywords
        ("我们需要CRM系统，想要移动端", "needs", ("需要CRM系统", "想要移动端")),
        ("They need an on-prem deployment", "needs", ("need an on-prem deployment",)),
        ("我需要给他们发报价", "needs", ()),  # the rep's to-do, not the customer's need
        ("需要对接企业微信和钉钉，最好私有化部署", "keywords", ("企业微信", "钉钉", "私有化部署")),
    ],
)
def test_field(extractor: Extractor, text: str, field: str, expected: Any) -> None:
    assert getattr(extractor.chat(text, NOW), field) == expected


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # A contact line: the name beside a phone, an e-mail, a company or a title.
        ("华为技术有限公司 张伟 13812345678", "张伟"),
        ("华为技术（深圳）有限公司 张伟 13900002222", "张伟"),
        ("星辰科技有限公司 张玮 13900002222", "张玮"),
        ("王芳 13511112222 做财务的", "王芳"),
        ("李雷 139 0000 1111 想了解你们的CRM", "李雷"),
        ("张伟 13812345678", "张伟"),
        ("张伟，13812345678", "张伟"),
        ("张伟：13812345678", "张伟"),
        ("张工 13812345678", "张工"),
        ("华为 张伟 13700003333", "张伟"),
        ("腾讯 马化腾 13511112222", "马化腾"),
        ("张伟\n华为技术有限公司\n采购经理\n13812345678", "张伟"),
        ("John Smith +1 650 253 0000", "John Smith"),
        ("Call Li Ming at 13812345678", "Li Ming"),
        # A name that starts a clause before what the person said or wants.
        ("李雷说想了解一下你们的系统", "李雷"),
        # Labels
        ("联系人王强，电话13800001111", "王强"),
        ("对接人是李娜 13800001111", "李娜"),
        # The contact line comes after a self-introduction, before a mere mention.
        ("我是华为的张伟\n李雷 13800001111", "张伟"),
        ("采购经理刘洋明天过来\n李雷 13800001111", "李雷"),
        # The rep's own line is not the customer.
        ("我: 客户 张伟 13812345678", None),
        # Words and places that start with a surname character.
        ("浦东张江 13812345678", None),
        ("周五 13812345678", None),
        ("马上 回电话 13812345678", None),
        ("方案 13812345678", None),
        ("高新区 13812345678", None),
        ("明天 13812345678", None),
        ("金额 50万 13812345678", None),
        ("联系人都在群里", None),
    ],
)
def test_contact_name(extractor: Extractor, text: str, name: str | None) -> None:
    assert extractor.chat(text, NOW).name == name


@pytest.mark.parametrize(
    ("text", "commitments"),
    [
        ("我们承诺周五前给报价", (CommitmentFact("我们承诺周五前给报价", Party.US, at(27, 9)),)),
        ("答应送两次培训", (CommitmentFact("答应送两次培训", Party.US),)),
        (
            "张伟: 我们下周把需求文档发给你",
            (CommitmentFact("我们下周把需求文档发给你", Party.CUSTOMER, at(4, 9, month=12)),),
        ),
        (
            "我: 好的，我们周五前把报价发给您",
            (CommitmentFact("我们周五前把报价发给您", Party.US, at(27, 9)),),
        ),
        (
            "客户答应下周一给我们回复",
            (CommitmentFact("客户答应下周一给我们回复", Party.CUSTOMER, at(30, 9)),),
        ),
        (
            "Li: we'll send the specs by Friday",
            (CommitmentFact("we'll send the specs by Friday", Party.CUSTOMER, at(27, 9)),),
        ),
        (
            "Me: we will send you the quote tomorrow",
            (CommitmentFact("we will send you the quote tomorrow", Party.US, at(24, 9)),),
        ),
        ("张伟: 你们周五前给个报价吧", ()),  # a request, not a promise
        ("我: 我们周三过去给您演示可以吗", ()),  # an offer
        ("我们报价80万", ()),  # a price, not a promise
        (
            "Me: I'll send the invite today",
            (CommitmentFact("I'll send the invite today", Party.US, at(23, 18)),),
        ),
    ],
)
def test_commitments(extractor: Extractor, text: str, commitments: tuple[CommitmentFact, ...]) -> None:
    assert extractor.chat(text, NOW).commitments == commitments


@pytest.mark.parametrize(
    ("text", "todos"),
    [
        ("回头发资料", (TodoFact("发资料"),)),
        ("记得明天给张总打电话", (TodoFact("给张总打电话", at(24, 9)),)),
        ("I need to send them the quote by Thursday", (TodoFact("send them the quote", at(26, 9)),)),
        ("要准备一份方案", (TodoFact("准备一份方案"),)),
        ("提醒我给他回电话", (TodoFact("给他回电话"),)),  # no time: a to-do, not a reminder
        ("张伟: 我需要再考虑一下", ()),  # the customer's words are not the rep's to-do
        ("他让我下周一给他回个电话", (TodoFact("给他回个电话", at(30, 9)),)),
        ("周五下午记得给陈总发合同", (TodoFact("给陈总发合同", at(27, 14)),)),
        # The rep saying what they will do at a time, without "记得" / "要".
        ("我明天给他打电话", (TodoFact("给他打电话", at(24, 9)),)),
        ("然后我下周一再跟进一下", (TodoFact("跟进一下", at(30, 9)),)),
        ("我下周出差", ()),  # not a task for a customer
        ("我: 我明天上午10点给您打电话", ()),  # said to the customer: a commitment
    ],
)
def test_todos(extractor: Extractor, text: str, todos: tuple[TodoFact, ...]) -> None:
    assert extractor.chat(text, NOW).todos == todos


@pytest.mark.parametrize(
    ("text", "meeting"),
    [
        ("我明天给他打电话", None),  # the rep's call is a to-do, not a meeting as well
        ("记得明天给张总打电话", None),
        ("我明天下午三点过去", at(24, 15)),  # a visit is the next meeting
        ("周四去一趟苏州", at(26, 9)),
        ("过去三年他们一直用Excel", None),
    ],
)
def test_calls_and_visits(extractor: Extractor, text: str, meeting: datetime | None) -> None:
    assert extractor.minutes(text, NOW).next_meeting == meeting


@pytest.mark.parametrize(
    ("text", "reminders"),
    [
        ("提醒我周五给他回电话", (ReminderFact("给他回电话", at(27, 9)),)),
        ("remind me Friday to call him back", (ReminderFact("call him back", at(27, 9)),)),
        ("3天后提醒我跟进", (ReminderFact("跟进", at(26, 9)),)),
        ("remind me in 2 hours to check the contract", (ReminderFact("check the contract", at(23, 12)),)),
        ("明天下午3点提醒我发合同", (ReminderFact("发合同", at(24, 15)),)),
    ],
)
def test_reminders(extractor: Extractor, text: str, reminders: tuple[ReminderFact, ...]) -> None:
    facts = extractor.chat(text, NOW)
    assert facts.reminders == reminders
    assert facts.next_meeting is None


def test_reminders_are_not_meetings(extractor: Extractor) -> None:
    assert extractor.chat("remind me tomorrow to call him", NOW).next_meeting is None


@pytest.mark.parametrize("text", ["", "好的", "哈哈", "ok thanks", "👍"])
def test_nothing_to_extract(extractor: Extractor, text: str) -> None:
    assert extractor.chat(text, NOW).is_empty()


def test_chat_leaves_people_and_summary_to_minutes(extractor: Extractor) -> None:
    facts = extractor.chat("王总是财务负责人", NOW)
    assert (facts.people, facts.summary) == ((), None)


def test_traditional_chinese_is_read_as_simplified(extractor: Extractor) -> None:
    facts = extractor.chat("預算五十萬，下週三下午3點來公司開會", NOW)
    assert facts.next_meeting == at(2, 15, month=12)
    # A chat typed in traditional characters is most likely Taiwan's: its money is New Taiwan dollars.
    assert facts.budget is not None
    assert (facts.budget.currency, facts.budget.high) == ("TWD", Decimal(500_000))
    # Speech recognition writes Mandarin in traditional characters too: a voice note stays in yuan.
    assert extractor.minutes("預算五十萬，下週三下午3點來公司開會", NOW).budget_cny == 500_000


def test_output_is_in_the_timezone_of_now(extractor: Extractor) -> None:
    new_york = ZoneInfo("America/New_York")
    facts = extractor.chat("tomorrow 10am call", datetime(2026, 11, 23, 10, 0, tzinfo=new_york))
    assert facts.next_meeting == datetime(2026, 11, 24, 10, 0, tzinfo=new_york)


WECHAT_PASTE = """张伟 10:32
您好，我是华为技术有限公司的张伟，采购经理
我们预算大概30到50万，想要移动端，需要CRM系统
下周三下午3点方便来公司聊一下吗？我们在浦东张江
我 10:35
好的，我们周五前把报价发给您
张伟 10:36
好的。我们下周把需求文档发给你
电话13812345678，邮箱zhangwei@huawei.com"""


def test_pasted_wechat_chat(extractor: Extractor) -> None:
    assert extractor.chat(WECHAT_PASTE, NOW) == Facts(
        name="张伟",
        title="采购经理",
        company="华为技术有限公司",
        phones=("+8613812345678",),
        emails=("zhangwei@huawei.com",),
        region=Region("上海市", "上海市", "浦东新区"),
        budget_cny=500_000,
        budget_min_cny=300_000,
        budget=Money(Decimal(500_000), Decimal(300_000), "CNY", 500_000, 300_000),
        next_meeting=at(2, 15, month=12),
        needs=("想要移动端", "需要CRM系统"),
        keywords=("移动端", "CRM"),
        commitments=(
            CommitmentFact("我们周五前把报价发给您", Party.US, at(27, 9)),
            CommitmentFact("我们下周把需求文档发给你", Party.CUSTOMER, at(4, 9, month=12)),
        ),
    )


TELEGRAM_FORWARD = """Li Ming: Hi, this is Li Ming from Acme Technologies
Li Ming: We are looking for a CRM for our 40 sales reps, budget is around 300k RMB
Me: Great, we can do a demo. Does Thursday 3pm work?
Li Ming: Thursday doesn't work, Friday 10am is fine
Me: OK, I'll send you the deck before Friday
Li Ming: Wang is our CFO, he signs off on anything over 100k
Li Ming: we want to go live by end of Q1"""


def test_forwarded_english_chat(extractor: Extractor) -> None:
    facts = extractor.chat(TELEGRAM_FORWARD, NOW)
    assert (facts.name, facts.company) == ("Li Ming", "Acme Technologies")
    assert facts.budget_cny == 300_000
    assert facts.next_meeting == at(27, 10)
    assert facts.timeline_by == date(2027, 3, 31)
    assert facts.needs == ("looking for a CRM for our 40 sales reps",)
    assert facts.commitments == (CommitmentFact("I'll send you the deck before Friday", Party.US, at(27, 9)),)


MIXED_FORWARD = """王芳: 李经理您好，我们是苏州工业园区的星辰智能制造有限公司
王芳: 现在用Excel管客户，想上一套CRM，最好能和金蝶对接
我: 好的王总，预算大概多少？
王芳: 预算的话，今年还有20万左右
王芳: 技术这块是我们IT部的陈工在管
我: 明白，我明天上午10点给您打电话详细聊
王芳: 好的，微信 wangfang_xc"""


def test_mixed_forward(extractor: Extractor) -> None:
    facts = extractor.chat(MIXED_FORWARD, NOW)
    assert facts.name == "王芳"
    assert facts.company == "星辰智能制造有限公司"
    assert facts.region == Region("江苏省", "苏州市", "苏州工业园区")
    assert facts.budget_cny == 200_000
    assert facts.wechat_id == "wangfang_xc"
    assert facts.next_meeting == at(24, 10)
    assert facts.keywords == ("CRM", "金蝶")
    assert facts.commitments == (CommitmentFact("我明天上午10点给您打电话详细聊", Party.US, at(24, 10)),)


# Whisper's Chinese: few commas, spaces between some clauses.
VISIT_NOTE = (
    "今天下午去拜访了星辰科技的王总 他是总经理 最后是他拍板 采购部的刘经理也在 "
    "他们现在用Excel管客户 想上一套CRM 希望能私有化部署 预算大概五十万左右 计划明年三月上线 "
    "我们答应送两次培训 王总说下周把需求文档发过来 我需要周四前把方案发给刘经理 "
    "提醒我周五给王总回电话 下周三下午两点再去一趟做演示"
)


def test_minutes(extractor: Extractor) -> None:
    facts = extractor.minutes(VISIT_NOTE, NOW)
    assert (facts.name, facts.title, facts.company) == ("王总", "总经理", "星辰科技")
    assert facts.people == (
        PersonMention("王总", "总经理", DecisionRole.DECISION_MAKER),
        PersonMention("刘经理", "采购经理", DecisionRole.PROCUREMENT),
    )
    assert facts.budget_cny == 500_000
    assert (facts.timeline, facts.timeline_by) == ("明年三月上线", date(2027, 3, 31))
    assert facts.next_meeting == at(2, 14, month=12)
    assert facts.needs == ("想上一套CRM", "希望能私有化部署")
    assert facts.commitments == (
        CommitmentFact("我们答应送两次培训", Party.US),
        CommitmentFact("王总说下周把需求文档发过来", Party.CUSTOMER, at(4, 9, month=12)),
    )
    assert facts.todos == (TodoFact("把方案发给刘经理", at(26, 9)),)
    assert facts.reminders == (ReminderFact("给王总回电话", at(27, 9)),)
    assert facts.summary is not None
    assert len(facts.summary) <= 120
    assert facts.summary.startswith("今天下午去拜访了星辰科技的王总")


def test_minutes_in_english(extractor: Extractor) -> None:
    note = (
        "Visited Acme Inc. today and met Li Ming. Li is their CTO and Wang makes the final call. "
        "They need an on-prem deployment and budget is 1.5 million RMB. Demo next Tuesday at 2pm."
    )
    facts = extractor.minutes(note, NOW)
    assert facts.company == "Acme Inc."
    assert PersonMention("Li", "CTO", DecisionRole.TECHNICAL) in facts.people
    assert PersonMention("Wang", None, DecisionRole.DECISION_MAKER) in facts.people
    assert facts.budget_cny == 1_500_000
    assert facts.next_meeting == at(1, 14, month=12)
    assert facts.summary


def test_results_depend_only_on_text_and_now(extractor: Extractor) -> None:
    assert extractor.chat(WECHAT_PASTE, NOW) == extractor.chat(WECHAT_PASTE, NOW)
    assert Extractor().minutes(VISIT_NOTE, NOW) == extractor.minutes(VISIT_NOTE, NOW)
