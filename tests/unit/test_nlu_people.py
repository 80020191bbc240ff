"""People, titles, decision roles and company names."""

from __future__ import annotations

import pytest

from crm.facts import DecisionRole
from nlu.company import find_companies
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
    ],
)
def test_mention(text: str, name: str, title: str | None, role: DecisionRole | None) -> None:
    mentions = find_mentions(text)
    assert [(m.name, m.title, m.role) for m in mentions] == [(name, title, role)]


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


@pytest.mark.parametrize("text", ["张伟明天来", "今天天气不错", "我们需要CRM", "The budget is 50k"])
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
    ],
)
def test_companies(text: str, companies: list[str]) -> None:
    assert find_companies(text) == companies
