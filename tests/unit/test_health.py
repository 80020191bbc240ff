"""Deal health, ranking and suggested interventions: pure functions over snapshots, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chat.deals.view import advice_text
from crm.digest import compose
from crm.facts import DecisionRole
from crm.health import DealSnapshot, Scorer, is_untouched, rank
from crm.model import Lang
from crm.stages import default_funnel, parse

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
FUNNEL = default_funnel()
P, T, F = DecisionRole.PROCUREMENT, DecisionRole.TECHNICAL, DecisionRole.FINANCE


def deal(deal_id: int = 1, **changes: object) -> DealSnapshot:
    base = DealSnapshot(
        deal_id=deal_id,
        title=f"客户{deal_id}",
        customer_name=f"客户{deal_id}",
        owner_id=7,
        stage="lead",
        stage_entered_at=NOW - timedelta(days=1),
        created_at=NOW - timedelta(days=10),
        amount_cny=None,
        has_budget=True,
        has_timeline=True,
        last_interaction_at=NOW - timedelta(days=1),
        overdue_commitments=0,
        evidence=frozenset(),
        roles=frozenset(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("snapshot", "completeness", "missing"),
    [
        (deal(), 100, []),
        (deal(has_budget=False), 80, ["budget"]),
        (deal(has_budget=False, has_timeline=False), 60, ["budget", "timeline"]),
        (deal(stage="requirements"), 80, ["requirement_confirmation"]),
        (deal(stage="requirements", evidence=frozenset({"requirement_confirmation"})), 100, []),
        (deal(stage="solution", evidence=frozenset({"proposal"})), 80, ["solution_confirmation"]),
        (deal(stage="decision_chain"), 40, ["procurement_contact", "technical_contact", "finance_contact"]),
        (deal(stage="decision_chain", roles=frozenset({P, F})), 80, ["technical_contact"]),
        (deal(stage="closing", evidence=frozenset({"contract_draft"})), 80, ["no_objections"]),
    ],
)
def test_completeness_is_100_minus_20_per_missing_item(
    snapshot: DealSnapshot, completeness: int, missing: list[str]
) -> None:
    health = Scorer(FUNNEL, NOW).assess(snapshot)
    assert health.completeness == completeness
    assert [r.key for r in health.missing] == missing


@pytest.mark.parametrize(
    ("days", "stalled"),
    [(0, False), (4, False), (5, False), (6, True), (30, True)],
)
def test_over_five_days_in_a_stage_is_stalled(days: int, stalled: bool) -> None:
    health = Scorer(FUNNEL, NOW).assess(deal(stage_entered_at=NOW - timedelta(days=days, hours=1)))
    assert health.days_in_stage == days
    assert health.stalled is stalled


CLOSING_TAKES_LONGER = parse(
    default_funnel().source.replace('key = "closing"', 'key = "closing"\nstall_days = 10')
)


@pytest.mark.parametrize(
    ("stage", "days", "stalled"),
    [
        ("lead", 5, False),
        ("lead", 6, True),
        ("closing", 6, False),
        ("closing", 10, False),
        ("closing", 11, True),
    ],
)
def test_a_stage_with_its_own_threshold_stalls_later(stage: str, days: int, stalled: bool) -> None:
    snapshot = deal(stage=stage, stage_entered_at=NOW - timedelta(days=days, hours=1))
    assert Scorer(CLOSING_TAKES_LONGER, NOW).assess(snapshot).stalled is stalled
    team = compose(1, CLOSING_TAKES_LONGER, [snapshot], {}, NOW)
    assert team.stalled_total == (1 if stalled else 0)


@pytest.mark.parametrize(
    ("roles", "engaged"),
    [(frozenset(), 0), (frozenset({P}), 1), (frozenset({P, T, F}), 3), (frozenset({DecisionRole.USER}), 0)],
)
def test_decision_chain_coverage(roles: frozenset[DecisionRole], engaged: int) -> None:
    health = Scorer(FUNNEL, NOW).assess(deal(roles=roles))
    assert (health.roles_engaged, health.roles_required) == (engaged, 3)
    assert health.coverage == pytest.approx(engaged / 3)


def test_last_interaction_and_overdue_commitments() -> None:
    scorer = Scorer(FUNNEL, NOW)
    assert scorer.assess(deal(last_interaction_at=None)).last_touch_days is None
    assert scorer.assess(deal(last_interaction_at=NOW - timedelta(days=9, hours=2))).last_touch_days == 9
    assert scorer.assess(deal(overdue_commitments=2)).overdue == 2


# Each case: the snapshot, the advice in Chinese and in English.
ADVICE = [
    (deal(overdue_commitments=2), "2 项承诺已逾期：建议今天兑现或与客户重新约定", "2 commitments overdue"),
    (
        deal(stage="decision_chain", roles=frozenset({P, F})),
        "技术负责人未接触：建议安排技术交流",
        "Technical lead not engaged: arrange a technical session",
    ),
    (deal(has_budget=False), "预算未明确：建议与客户确认预算范围和审批额度", "Budget unknown"),
    (
        deal(stage="requirements", stage_entered_at=NOW - timedelta(days=8)),
        "已停滞 8 天。需求未锁定：建议整理需求确认书请客户签字",
        "Stalled 8 days. Requirements not locked",
    ),
    (
        deal(stage="requirements", last_interaction_at=NOW - timedelta(days=20)),
        "已 20 天没有互动：建议今天回访",
        "No contact for 20 days",
    ),
    (
        deal(last_interaction_at=NOW - timedelta(days=9)),
        "已 9 天没有互动：建议今天回访",
        "No contact for 9 days",
    ),
    (deal(), "证据已齐：建议推进到「② 需求锁定」", "Evidence complete: advance to “② Requirements locked”"),
    (
        deal(stage="closing", evidence=frozenset({"contract_draft", "no_objections"})),
        "证据已齐：建议推进到「🏆 赢单」",
        "Evidence complete: advance to “🏆 Won”",
    ),
]


@pytest.mark.parametrize(("snapshot", "zh", "en"), ADVICE)
def test_suggested_intervention(snapshot: DealSnapshot, zh: str, en: str) -> None:
    advice = Scorer(FUNNEL, NOW).assess(snapshot).advice
    assert advice_text(Lang.ZH, advice, FUNNEL) == zh
    assert advice_text(Lang.EN, advice, FUNNEL).startswith(en)


@pytest.mark.parametrize(
    ("snapshot", "untouched"),
    [
        (deal(last_interaction_at=NOW - timedelta(days=10)), True),  # only the capture that created it
        (deal(last_interaction_at=None), True),
        (deal(last_interaction_at=NOW - timedelta(days=2)), False),  # followed up later
        (
            deal(created_at=NOW - timedelta(hours=5), last_interaction_at=NOW - timedelta(hours=5)),
            False,
        ),  # too new
        (
            deal(stage="requirements", last_interaction_at=NOW - timedelta(days=10)),
            False,
        ),  # not a lead any more
    ],
)
def test_untouched_leads(snapshot: DealSnapshot, untouched: bool) -> None:
    assert is_untouched(snapshot, FUNNEL, NOW) is untouched


def test_ranking_most_at_risk_and_closest_to_closing() -> None:
    healthy_lead = deal(1)
    stalled_cold = deal(
        2,
        stage="solution",
        stage_entered_at=NOW - timedelta(days=20),
        last_interaction_at=NOW - timedelta(days=25),
    )
    overdue = deal(3, stage="requirements", overdue_commitments=2, stage_entered_at=NOW - timedelta(days=7))
    uncovered = deal(4, stage="decision_chain", roles=frozenset({P}))
    ready_to_sign = deal(
        5,
        stage="closing",
        evidence=frozenset({"contract_draft", "no_objections"}),
        roles=frozenset({P, T, F}),
    )
    almost = deal(6, stage="closing", evidence=frozenset({"contract_draft"}), roles=frozenset({P, T, F}))
    chain_done = deal(7, stage="decision_chain", roles=frozenset({P, T, F}))
    risky, close = rank(
        [healthy_lead, stalled_cold, overdue, uncovered, ready_to_sign, almost, chain_done],
        Scorer(FUNNEL, NOW),
        3,
    )
    assert [d.deal_id for d in risky] == [2, 3, 4]
    assert [d.deal_id for d in close] == [5, 6, 7]


def test_ranking_ties_go_to_the_larger_amount_then_the_older_deal() -> None:
    gaps = {"has_budget": False, "has_timeline": False}  # the same warning signs for all three
    a, b, c = (
        deal(1, amount_cny=100, **gaps),
        deal(2, amount_cny=500, **gaps),
        deal(3, amount_cny=500, **gaps),
    )
    risky, close = rank([a, b, c], Scorer(FUNNEL, NOW), 2)
    assert [d.deal_id for d in risky] == [2, 3]
    assert [d.deal_id for d in close] == [1]  # the ones already shown as at risk are not repeated


def test_a_deal_without_warning_signs_is_not_at_risk() -> None:
    risky, close = rank([deal(1)], Scorer(FUNNEL, NOW), 3)
    assert risky == [] and [d.deal_id for d in close] == [1]
