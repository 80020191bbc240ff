"""Pure domain rules: input clean-up, dedup similarity and keys, profile completeness, formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from chat import format as fmt
from crm import snapshot
from crm.dedup import (
    MERGE_THRESHOLD,
    REVIEW_THRESHOLD,
    Fingerprint,
    KeyKind,
    LookupKey,
    MatchKind,
    best_fuzzy_match,
    exact_match,
    similarity,
)
from crm.errors import InputRejected
from crm.facts import Facts, Region
from crm.model import Contact, Customer, FollowUp, Lang
from crm.profile import CoreField, completeness, missing_core
from crm.text import clean, one_line
from nlu.normalize import Normalizer

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
norm = Normalizer()


@pytest.mark.parametrize(
    ("raw", "expected", "removed"),
    [
        ("  你好  ", "你好", 0),
        ("a\r\nb", "a\nb", 0),
        ("a\n\n\n\n\nb", "a\n\nb", 0),
        ("abc\u202edef", "abcdef", 1),  # right-to-left override
        ("a\u200bb", "ab", 0),  # zero-width space
        ("tab\tkept", "tab\tkept", 0),
        ("the bell rings\x07", "the bell rings", 1),
        ("e\u0301", "é", 0),  # NFC
    ],
)
def test_clean(raw: str, expected: str, removed: int) -> None:
    cleaned = clean(raw)
    assert cleaned.text == expected
    assert cleaned.removed == removed


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "input.empty"),
        ("\u202e\u200b  ", "input.empty"),
        ("y" * 20_001, "input.too_long"),
        ("\x00\x01ab", "input.binary"),
    ],
)
def test_clean_refuses(raw: str, key: str) -> None:
    with pytest.raises(InputRejected) as caught:
        clean(raw)
    assert caught.value.key == key


def test_one_line_limits_length() -> None:
    assert one_line("  a \n b  ") == "a b"
    with pytest.raises(InputRejected):
        one_line("x" * 301, limit=300)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("华为技术有限公司", "华为技术"),
        ("上海华为技术有限公司", "华为技术"),
        ("华为技术（深圳）有限公司", "华为技术"),
        ("深圳市腾讯计算机系统有限公司", "腾讯计算机系统"),
        ("广东省深圳市大疆创新科技有限公司", "大疆创新科技"),
        ("阿里巴巴集团", "阿里巴巴"),
        ("北京银行股份有限公司", "北京银行"),  # the city is part of this bank's name
        ("上海银行", "上海银行"),
        ("Huawei Technologies Co., Ltd.", "huaweitechnologies"),
        ("ACME Inc.", "acme"),
        ("Globex Corporation", "globex"),
    ],
)
def test_company_keys(name: str, key: str) -> None:
    assert norm.company_key(name) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [("张伟先生", "张伟"), ("张 伟", "张伟"), ("Mr. Wei Zhang", "wei zhang"), ("ZHANG Wei", "zhang wei")],
)
def test_person_keys(name: str, key: str) -> None:
    assert norm.person_key(name) == key


def fp(name: str = "", company: str = "", **kw: object) -> Fingerprint:
    return Fingerprint(
        name_key=norm.person_key(name) if name else "",
        company_key=norm.company_key(company) if company else "",
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        (fp("张伟", "华为技术有限公司"), fp("张伟", "华为技术（深圳）有限公司"), MatchKind.PROPOSE),
        (fp("张伟", "华为技术有限公司"), fp("张伟", "上海华为技术有限公司"), MatchKind.PROPOSE),
        (
            fp("Wei Zhang", "Huawei Technologies Co., Ltd."),
            fp("Zhang Wei", "Huawei Technologies"),
            MatchKind.PROPOSE,
        ),
        (fp("张伟", "星辰科技有限公司"), fp("张玮", "星辰科技有限公司"), MatchKind.REVIEW),
        (fp("张伟"), fp("张伟"), MatchKind.REVIEW),  # a common name alone is never merged automatically
        (fp("张伟", "华为技术有限公司"), fp("张伟", "腾讯科技有限公司"), None),
        (fp("张伟", "华为"), fp("李娜", "华为"), None),
        (fp(company="华为"), fp(company="华为"), None),  # no person on either side
    ],
)
def test_similarity_bands(a: Fingerprint, b: Fingerprint, kind: MatchKind | None) -> None:
    match = best_fuzzy_match(a, [(7, b)])
    assert (match.kind if match else None) is kind
    score = similarity(a, b)
    if kind is MatchKind.PROPOSE:
        assert score >= MERGE_THRESHOLD
    elif kind is MatchKind.REVIEW:
        assert REVIEW_THRESHOLD <= score < MERGE_THRESHOLD


def test_exact_match_ignores_extensions_and_case() -> None:
    probe = Fingerprint(phones=("+862158881234;ext=8001",), emails=("Zhang@Huawei.com",))
    other = Fingerprint(phones=("+862158881234",))
    by_email = Fingerprint(emails=("zhang@huawei.com",))
    found = exact_match(probe, [(1, Fingerprint(phones=("+8613800000000",))), (2, other)])
    assert found is not None and found.contact_id == 2 and found.reason == "phone"
    found = exact_match(probe, [(3, by_email)])
    assert found is not None and found.reason == "email"


def test_fingerprint_keys_round_trip() -> None:
    original = Fingerprint(
        phones=("+8613812345678",),
        emails=("a@b.cn",),
        wechat_id="wx_1",
        name_key="张伟",
        company_key="华为技术",
    )
    keys = original.all_keys()
    assert LookupKey(KeyKind.COMPANY_PREFIX, "华为|张") in keys
    assert len({key.encoded() for key in keys}) == len(keys)
    again = Fingerprint.from_keys(keys)
    assert again.phones == original.phones and again.wechat_id == "wx_1"
    assert (again.name_key, again.company_key) == ("张伟", "华为技术")


def _customer(name: str | None = None, **kw: object) -> Customer:
    return Customer(id=1, team_id=1, owner_id=1, name=name, created_at=NOW, updated_at=NOW, **kw)  # type: ignore[arg-type]


def _contact(name: str | None = None, **kw: object) -> Contact:
    fields: dict[str, Any] = {"customer_id": 1, **kw}
    return Contact(id=1, team_id=1, owner_id=1, name=name, created_at=NOW, updated_at=NOW, **fields)


def test_completeness_and_missing_core_fields() -> None:
    assert completeness(None, None) == 0
    assert missing_core(None, None) == list(CoreField)
    customer = _customer(name="华为", follow_up=FollowUp.NEW, budget_cny=1)
    contact = _contact(name="张伟", phones=["+8613812345678"])
    assert completeness(customer, contact) == 75
    assert missing_core(customer, contact) == []
    full = _customer(
        name="华为",
        follow_up=FollowUp.NEW,
        budget_cny=1,
        timeline="Q3",
        needs=["CRM"],
        region=Region("上海市"),
    )
    full_contact = _contact(name="张伟", phones=["+1"], title="经理", emails=["a@b.c"])
    assert completeness(full, full_contact) == 100


@pytest.mark.parametrize(
    ("lang", "amount", "shown"),
    [
        (Lang.ZH, 500_000, "50万"),
        (Lang.ZH, 150_000_000, "1.5亿"),
        (Lang.ZH, 8_000, "8000元"),
        (Lang.ZH, 1_250_000, "125万"),
        (Lang.EN, 500_000, "¥500,000"),
    ],
)
def test_money(lang: Lang, amount: int, shown: str) -> None:
    assert fmt.money(lang, amount) == shown


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+8613812345678", "+86 138 1234 5678"),
        ("+862158881234;ext=8001", "+86 21 58881234 ext. 8001"),
        ("+8675588886666", "+86 755 88886666"),
        ("+16502530000", "+1 650 253 0000"),
        ("+442079460000", "+442079460000"),
    ],
)
def test_phone_display(e164: str, shown: str) -> None:
    assert fmt.phone(e164) == shown


def test_when_in_member_timezone() -> None:
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    assert fmt.when(Lang.ZH, moment, ZoneInfo("Asia/Shanghai")) == "12月2日 周三 15:00"
    assert fmt.when(Lang.EN, moment, ZoneInfo("Europe/London")) == "Wed 2 Dec 07:00"


def test_snapshot_round_trip() -> None:
    customer = _customer(
        name="华为",
        follow_up=FollowUp.MEETING,
        region=Region("上海市", "上海市", "浦东新区"),
        timeline_by=date(2026, 12, 31),
        next_meeting=NOW,
        needs=["CRM"],
    )
    assert snapshot.load(Customer, snapshot.dump(customer)) == customer
    contact = _contact(name="张伟", phones=["+8613812345678"])
    assert snapshot.load(Contact, snapshot.dump(contact)) == contact


def test_facts_json_round_trip() -> None:
    from crm.facts import CommitmentFact, Party, ReminderFact

    facts = Facts(
        name="张伟",
        phones=("+8613812345678",),
        region=Region("上海市", "上海市", "浦东新区"),
        timeline_by=date(2026, 12, 31),
        next_meeting=NOW,
        commitments=(CommitmentFact("报价", Party.US, NOW),),
        reminders=(ReminderFact("回电话", NOW),),
    )
    assert Facts.from_json(facts.to_json()) == facts
    assert facts.identifies_someone()
    assert not Facts(reminders=(ReminderFact("回电话", NOW),)).identifies_someone()


def test_time_field_round_trip() -> None:
    from crm.model import Member, Role

    member = Member(
        id=1,
        team_id=1,
        name="x",
        role=Role.REP,
        lang=Lang.ZH,
        timezone="Asia/Shanghai",
        created_at=NOW,
        quiet_start=time(21, 0),
        quiet_end=time(8, 0),
    )
    assert snapshot.load(Member, snapshot.dump(member)) == member


@pytest.mark.parametrize(
    ("region", "address", "shown"),
    [
        (Region("广东省", "深圳市", "南山区"), "南山区科技园", "广东省深圳市南山区科技园"),
        (Region("上海市", "上海市", "浦东新区"), "上海市浦东新区张江路88号", "上海市浦东新区张江路88号"),
        (Region("上海市", "上海市", "浦东新区"), None, "上海市浦东新区"),
        (Region("北京市", "北京市", "朝阳区"), "望京SOHO", "北京市朝阳区 望京SOHO"),
        (None, "88 Century Ave", "88 Century Ave"),
    ],
)
def test_place_text_does_not_repeat_the_district(
    region: Region | None, address: str | None, shown: str
) -> None:
    from chat.leads.view import place_text

    assert place_text(region, address) == shown
