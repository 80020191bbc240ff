"""The territory file (sales regions, rules, limits, hours) and the routing rule, on the real place index
(jionlp's gazetteer) and hand-made members; no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from crm.leads import Availability, MemberLoad
from crm.model import Lang, Member, Role
from crm.places import Division, Located
from crm.routing import decide
from crm.territories import (
    Territories,
    TerritoryConfigError,
    check_members,
    default_territories,
    parse,
)
from nlu.places import PlaceIndex

PLACES = PlaceIndex()
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def member(member_id: int, name: str, *, active: bool = True, role: Role = Role.REP) -> Member:
    return Member(member_id, 1, name, role, Lang.ZH, "Asia/Shanghai", NOW - timedelta(days=30), active=active)


MEMBERS = [
    member(3, "小李"),
    member(4, "小王"),
    member(5, "小张"),
    member(6, "小赵"),
    member(7, "老周", active=False),
]

RULES = """
[hours]
days = ["mon", "tue", "wed", "thu", "fri"]
start = "09:00"
end = "18:00"

[[territory]]
name = "浦东"
place = "浦东新区"
members = ["小李", "小王"]

[[territory]]
name = "上海"
place = "上海市"
members = ["小张"]

[[territory]]
name = "江苏"
place = "江苏"
members = [7, "小张"]

[[territory]]
name = "华东"
region = "east"
members = ["小赵"]

[[territory]]
name = "西北"
region = "西北"
pool = "西北公海"
"""


@pytest.fixture(scope="module")
def rules() -> Territories:
    return parse(RULES, PLACES)


def where(text: str) -> Located:
    return PLACES.resolve(text)


def test_the_default_file_maps_every_province_to_one_sales_region() -> None:
    territories = default_territories(PLACES)
    assert [r.zh for r in territories.regions] == [
        "华北",
        "东北",
        "华东",
        "华中",
        "华南",
        "西南",
        "西北",
        "港澳台",
        "海外",
    ]
    provinces = [p for r in territories.regions for p in r.provinces]
    assert len(provinces) == len(set(provinces)) == 34  # 31 mainland, Hong Kong, Macau, Taiwan
    assert territories.region_of(where("乌鲁木齐")).key == "northwest"  # type: ignore[union-attr]
    assert territories.region_of(where("澳门")).key == "hmt"  # type: ignore[union-attr]
    assert territories.region_of(Located(country="日本")).key == "overseas"  # type: ignore[union-attr]
    assert territories.limits.holding_cap == 200 and territories.limits.daily_quota == 20
    assert territories.limits.daily_claims == 10 and territories.limits.reclaim_cooldown_days == 7
    assert territories.reclaim.days_for("lead") == 7 and territories.reclaim.days_for("closing") == 30
    assert territories.alerts.manager_after == timedelta(hours=2)


@pytest.mark.parametrize(
    ("address", "rule", "level"),
    [
        ("上海市浦东新区张江路88号", "浦东", "district"),  # district beats the city rule
        ("上海徐汇区漕河泾", "上海", "city"),
        ("苏州工业园区", "江苏", "province"),  # province beats the sales region
        ("杭州西湖区", "华东", "region"),  # only the sales region covers Zhejiang
        ("兰州", "西北", "region"),
        ("北京朝阳区", None, None),  # no rule for 华北: the default pool
    ],
)
def test_the_most_specific_rule_wins(
    rules: Territories, address: str, rule: str | None, level: str | None
) -> None:
    found, by = rules.winning_rule(where(address))
    assert (found.name if found else None, str(by) if by else None) == (rule, level)


@pytest.mark.parametrize(
    ("source", "key", "line"),
    [
        ('[[territory]]\nname = "x"\nplace = "火星"\nmembers = [3]\n', "unknown_place", 3),
        ('[[territory]]\nname = "x"\nplace = "朝阳"\nmembers = [3]\n', "ambiguous_place", 3),
        ('[[territory]]\nname = "x"\nregion = "华西"\nmembers = [3]\n', "unknown_region", 3),
        ('[[territory]]\nname = "x"\nplace = "杭州"\n', "no_target", 1),
        ('[[territory]]\nname = "x"\nmembers = [3]\n', "no_place", 1),
        ("\n\n[limits]\nholding_cap = 0\n", "range", 4),
        ('[hours]\nstart = "18:00"\nend = "09:00"\n', "hours_order", 3),
        ('timezone = "Mars/Olympus"\n', "timezone", 1),
        (
            '[[territory]]\nname = "a"\nplace = "杭州"\nmembers = [3]\n[[territory]]\nname = "b"\nplace = "杭州市"\nmembers = [4]\n',
            "place_twice",
            7,
        ),
        (
            '[[region]]\nkey = "x"\nzh = "甲"\nen = "A"\nprovinces = ["江苏"]\n[[region]]\nkey = "y"\nzh = "乙"\nen = "B"\nprovinces = ["江苏"]\n',
            "province_twice",
            10,
        ),
        ("[[territory]\n", "syntax", 0),
        ('colour = "red"\n', "unknown_key", 1),
    ],
)
def test_a_bad_file_names_the_problem_and_its_line(source: str, key: str, line: int) -> None:
    with pytest.raises(TerritoryConfigError) as caught:
        parse(source, PLACES)
    found = [(p.key, p.line) for p in caught.value.problems]
    assert (f"territories.problem.{key}", line) in found, found


def test_check_reports_unknown_and_deactivated_members_with_their_line(rules: Territories) -> None:
    problems = check_members(rules, [*MEMBERS, member(8, "小李")])
    found = {(p.key.rsplit(".", 1)[1], p.line, p.warning) for p in problems}
    # 小李 is two members now; 7 (老周) is deactivated: a warning, the rule still loads
    assert ("ambiguous_member", 10, False) in found
    assert ("inactive_member", 20, True) in found
    unknown = check_members(
        parse('[[territory]]\nname = "x"\nplace = "杭州"\nmembers = ["小刘"]\n', PLACES), MEMBERS
    )
    assert [(p.key, p.line, p.params["member"]) for p in unknown] == [
        ("territories.problem.unknown_member", 4, "小刘")
    ]


def _decide(
    rules: Territories,
    address: str,
    *,
    at: datetime = NOW,
    loads: dict[int, MemberLoad] | None = None,
    away: dict[int, Availability] | None = None,
    members: list[Member] | None = None,
) -> Any:
    return decide(rules, where(address), members or MEMBERS, loads or {}, away or {}, at)


def test_the_rep_with_the_fewest_leads_in_24_hours_gets_it(rules: Territories) -> None:
    busy = {3: MemberLoad(received_24h=2), 4: MemberLoad(received_24h=1)}
    decision = _decide(rules, "浦东张江", loads=busy)
    assert decision.assignee.name == "小王"
    assert decision.reason["key"] == "routing.reason.territory" and decision.reason["by"] == "district"


def test_on_a_tie_the_rep_who_waited_longest_gets_it(rules: Territories) -> None:
    tie = {
        3: MemberLoad(received_24h=1, last_received=NOW - timedelta(hours=1)),
        4: MemberLoad(received_24h=1, last_received=NOW - timedelta(hours=5)),
    }
    assert _decide(rules, "浦东张江", loads=tie).assignee.name == "小王"
    never = {
        3: MemberLoad(received_24h=0),
        4: MemberLoad(received_24h=0, last_received=NOW - timedelta(days=3)),
    }
    assert _decide(rules, "浦东张江", loads=never).assignee.name == "小李"


@pytest.mark.parametrize(
    ("case", "skipped"),
    [
        ("cap", "at_cap"),
        ("quota", "at_quota"),
        ("away", "away"),
        ("weekly", "away"),
    ],
)
def test_members_who_cannot_take_a_lead_are_skipped_with_the_reason(
    rules: Territories, case: str, skipped: str
) -> None:
    loads: dict[int, MemberLoad] = {}
    away: dict[int, Availability] = {}
    today = date(2026, 11, 23)
    if case == "cap":
        loads[3] = MemberLoad(open_deals=200)
    elif case == "quota":
        loads[3] = MemberLoad(received_today=20)
    elif case == "away":
        away[3] = Availability(away=((date(2026, 11, 20), date(2026, 11, 24)),))
    else:
        away[3] = Availability(weekly_off=frozenset({today.weekday()}))
    decision = _decide(rules, "浦东张江", loads=loads, away=away)
    reasons = {c.member.name: c.reason for c in decision.considered if c.member}
    assert reasons == {"小李": skipped, "小王": None}
    assert decision.assignee.name == "小王"


def test_a_deactivated_member_is_skipped(rules: Territories) -> None:
    decision = _decide(rules, "南京")
    assert [(c.ref, c.reason) for c in decision.considered] == [(7, "inactive"), ("小张", None)]
    assert decision.assignee.name == "小张"


def test_nobody_eligible_goes_to_the_pool_never_to_anyone(rules: Territories) -> None:
    full = {3: MemberLoad(open_deals=500), 4: MemberLoad(received_today=99)}
    decision = _decide(rules, "浦东张江", loads=full)
    assert decision.assignee is None and decision.pool == "公海"
    assert decision.reason == {"key": "routing.reason.nobody_eligible", "rule": "浦东"}


def test_outside_working_hours_the_lead_waits(rules: Territories) -> None:
    saturday = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    evening = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)  # Monday 20:30 in Shanghai
    for moment in (saturday, evening):
        decision = _decide(rules, "浦东张江", at=moment)
        assert decision.assignee is None
        assert {c.reason for c in decision.considered} == {"off_hours"}


@pytest.mark.parametrize(
    ("address", "key", "pool"),
    [
        ("朝阳", "routing.reason.region_unclear", "公海"),  # Beijing's district or Liaoning's city
        ("今天天气不错", "routing.reason.region_unclear", "公海"),
        ("北京朝阳区", "routing.reason.no_rule", "公海"),
        ("银川市兴庆区", "routing.reason.rule_pool", "西北公海"),
    ],
)
def test_what_no_member_takes_goes_to_a_pool_with_the_reason(
    rules: Territories, address: str, key: str, pool: str
) -> None:
    decision = _decide(rules, address)
    assert (decision.assignee, decision.reason["key"], decision.pool) == (None, key, pool)


def test_an_unclear_region_keeps_its_candidates() -> None:
    located = where("朝阳")
    assert located.ambiguous
    assert {c.code for c in located.candidates} >= {"110105", "211300"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("浦东", Division("上海市", "上海市", "浦东新区", "310115")),
        ("广州天河", Division("广东省", "广州市", "天河区", "440106")),
        ("新加坡滨海湾金沙", None),
        ("美国加州", None),
    ],
)
def test_places_resolve_to_divisions_with_codes_or_a_country(text: str, expected: Division | None) -> None:
    located = where(text)
    assert located.division == expected
    if expected is None:
        assert located.country is not None


def test_alerts_count_working_hours_only() -> None:
    territories = parse(
        '[hours]\ndays = ["mon", "tue", "wed", "thu", "fri"]\nstart = "09:00"\nend = "18:00"\n', PLACES
    )
    friday_17 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Friday 17:00 in Shanghai
    due = territories.add_working_time(friday_17, timedelta(hours=2))
    assert due.astimezone(territories.tz).replace(tzinfo=None) == datetime(
        2026, 11, 30, 10, 0
    )  # Monday 10:00
    assert territories.hours is not None and territories.hours.start == time(9, 0)
    plain = default_territories(PLACES)
    assert plain.add_working_time(friday_17, timedelta(hours=2)) == friday_17 + timedelta(hours=2)
