"""The health of a deal, from a snapshot of what is known about it: days in its stage (stalled over the
funnel's threshold), evidence completeness, decision-chain coverage, the last interaction, overdue
commitments; and the one-line intervention a manager is told to make. Pure functions, no I/O.

The digest ranks every open deal of a team, so `scores` is kept cheap; `assess` is the full picture
for the few deals that are shown.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm.facts import DecisionRole
from crm.stages import FieldName, Funnel, ReqKind, Requirement

COMPLETENESS_STEP = 20  # points lost per missing requirement
COLD_DAYS = 7  # no interaction for this long makes a deal cold
UNTOUCHED_AFTER = timedelta(days=1)
# Below this a deal shows no real warning sign (a fresh lead scores 10 for its uncovered chain): it is
# not listed as at risk however few deals a team has.
RISK_FLOOR = 20.0  # a new lead nobody followed up within a day
# A capture's own interaction is written with the deal; anything later than this is a follow-up.
_CREATION_SLACK = timedelta(minutes=5)


@dataclass(slots=True)
class DealSnapshot:
    """One open deal as the health rules see it (the repository builds these with aggregate queries;
    not frozen, because a digest builds 100k of them and frozen dataclasses are slower to make)."""

    deal_id: int
    title: str
    customer_name: str | None
    owner_id: int
    stage: str
    stage_entered_at: datetime
    created_at: datetime
    amount_cny: int | None
    has_budget: bool
    has_timeline: bool
    last_interaction_at: datetime | None
    overdue_commitments: int
    evidence: frozenset[str]  # requirement keys with confirmed evidence
    roles: frozenset[DecisionRole]  # decision roles among the customer's contacts

    @property
    def name(self) -> str:
        return self.title or self.customer_name or f"#D{self.deal_id}"


def satisfied(requirement: Requirement, deal: DealSnapshot) -> bool:
    if requirement.kind is ReqKind.FIELD:
        return deal.has_budget if requirement.field is FieldName.BUDGET else deal.has_timeline
    if requirement.kind is ReqKind.ROLE:
        return requirement.role in deal.roles
    return requirement.key in deal.evidence


def missing(requirements: Iterable[Requirement], deal: DealSnapshot) -> tuple[Requirement, ...]:
    return tuple(r for r in requirements if not satisfied(r, deal))


def completeness(missing_count: int) -> int:
    """100 minus 20 per missing requirement of the current stage, never below 0."""
    return max(0, 100 - COMPLETENESS_STEP * missing_count)


def days_between(earlier: datetime, later: datetime) -> int:
    return max(0, (later - earlier).days)


def days_over(funnel: Funnel, stage: str, days_in_stage: int) -> int:
    """Whole days past the stage's stall threshold (zero or less: not stalled)."""
    return days_in_stage - funnel.stall_days_for(stage)


def is_stalled(funnel: Funnel, stage: str, days_in_stage: int) -> bool:
    """The one stall rule: over the stage's threshold (`Funnel.stall_days_for`); with 5, the sixth
    day in a stage is stalled."""
    return days_over(funnel, stage, days_in_stage) > 0


def is_untouched(deal: DealSnapshot, funnel: Funnel, now: datetime) -> bool:
    """A lead in the first stage nobody has followed up: no interaction after the one that created it,
    a day or more after it came in."""
    if deal.stage != funnel.first.key or now - deal.created_at < UNTOUCHED_AFTER:
        return False
    last = deal.last_interaction_at
    return last is None or last <= deal.created_at + _CREATION_SLACK


@dataclass(frozen=True, slots=True)
class Advice:
    """The suggested intervention: a message key and its params, or a requirement's own advice."""

    key: str
    params: tuple[tuple[str, object], ...] = ()
    requirement: Requirement | None = None


@dataclass(frozen=True, slots=True)
class Health:
    days_in_stage: int
    stalled: bool
    completeness: int
    missing: tuple[Requirement, ...]  # exit requirements of the current stage not met yet
    roles_engaged: int
    roles_required: int
    last_touch_days: int | None  # None: no interaction at all
    overdue: int
    risk: float
    closeness: float
    advice: Advice

    @property
    def coverage(self) -> float:
        return self.roles_engaged / self.roles_required if self.roles_required else 1.0


@dataclass(frozen=True, slots=True)
class _Gate:
    """A stage's exit requirements by kind, for counting what a deal lacks without a loop per item."""

    budget: bool
    timeline: bool
    evidence: frozenset[str]
    roles: frozenset[DecisionRole]

    @classmethod
    def of(cls, requirements: Iterable[Requirement]) -> _Gate:
        listed = list(requirements)
        fields = {r.field for r in listed if r.kind is ReqKind.FIELD}
        return cls(
            budget=FieldName.BUDGET in fields,
            timeline=FieldName.TIMELINE in fields,
            evidence=frozenset(r.key for r in listed if r.kind is ReqKind.EVIDENCE),
            roles=frozenset(r.role for r in listed if r.kind is ReqKind.ROLE and r.role is not None),
        )

    def gaps(self, deal: DealSnapshot) -> int:
        count = (self.budget and not deal.has_budget) + (self.timeline and not deal.has_timeline)
        if self.evidence:
            count += len(self.evidence - deal.evidence)
        if self.roles:
            count += len(self.roles - deal.roles)
        return count


class Scorer:
    """Risk and closeness of deals of one funnel at one moment; precomputes what is per stage."""

    def __init__(self, funnel: Funnel, now: datetime) -> None:
        self.funnel = funnel
        self.now = now
        self.exits = {s.key: funnel.exit_requirements(s.key) for s in funnel.stages}
        self.gates = {key: _Gate.of(requirements) for key, requirements in self.exits.items()}
        self.positions = {s.key: i for i, s in enumerate(funnel.stages)}
        self.span = max(1, len(funnel.stages) - 1)
        self.roles = funnel.required_roles()
        self.role_set = frozenset(self.roles)
        self.progress = {key: position / self.span for key, position in self.positions.items()}
        self.first_gate = self.gates[funnel.first.key]
        self.role_weight = 20.0 / len(self.roles) if self.roles else 0.0  # 20 points for a bare chain

    def exit_missing(self, deal: DealSnapshot) -> tuple[Requirement, ...]:
        requirements = self.exits.get(deal.stage) or self.exits[self.funnel.first.key]
        return missing(requirements, deal)

    def scores(self, deal: DealSnapshot) -> tuple[float, float]:
        """(risk, closeness), both about 0..100.

        Risk grows with time stalled, missing evidence, an uncovered decision chain (more so late in
        the funnel), silence and overdue commitments. Closeness is how far along the funnel the deal
        is and how complete its current stage, less what is going wrong.
        """
        # Called for every open deal of a team (100k in the benchmark): attributes are read once and
        # the per-stage work was done in __init__.
        stage = deal.stage
        progress = self.progress.get(stage, 0.0)
        days = (self.now - deal.stage_entered_at).days
        gate = self.gates.get(stage) or self.first_gate
        gaps = gate.gaps(deal)
        complete = 100 - COMPLETENESS_STEP * gaps if gaps < 5 else 0
        risk = (100 - complete) * 0.3
        if self.role_set:
            risk += len(self.role_set - deal.roles) * self.role_weight * (0.5 + progress)
        over = days_over(self.funnel, stage, days)
        if over > 0:
            risk += 40.0 if over >= 6 else 10.0 + 5.0 * over
        last = deal.last_interaction_at
        if last is None:
            risk += 15.0
        else:
            silent = (self.now - last).days - COLD_DAYS
            if silent > 0:
                risk += 30.0 if silent >= 10 else 3.0 * silent
        overdue = deal.overdue_commitments
        if overdue:
            risk += 30.0 if overdue >= 2 else 15.0
        closeness = progress * 70 + complete * 0.3
        if over > 0:
            closeness -= 10
        if overdue:
            closeness -= 5 * (overdue if overdue < 4 else 4)
        return risk, closeness

    def assess(self, deal: DealSnapshot) -> Health:
        now = self.now
        days = days_between(deal.stage_entered_at, now)
        gaps = self.exit_missing(deal)
        last = deal.last_interaction_at
        last_days = days_between(last, now) if last is not None else None
        risk, closeness = self.scores(deal)
        stalled = is_stalled(self.funnel, deal.stage, days)
        return Health(
            days_in_stage=days,
            stalled=stalled,
            completeness=completeness(len(gaps)),
            missing=gaps,
            roles_engaged=sum(1 for role in self.roles if role in deal.roles),
            roles_required=len(self.roles),
            last_touch_days=last_days,
            overdue=deal.overdue_commitments,
            risk=round(risk, 1),
            closeness=round(closeness, 1),
            advice=advise(deal, gaps, days, stalled, last_days, self.funnel),
        )


def advise(
    deal: DealSnapshot,
    gaps: Sequence[Requirement],
    days_in_stage: int,
    stalled: bool,
    last_touch_days: int | None,
    funnel: Funnel,
) -> Advice:
    """The one intervention to suggest, the first rule that applies: overdue commitments; silent for
    two weeks; the first missing requirement of the current stage; silent for a week; all evidence in,
    so advance it."""
    if deal.overdue_commitments:
        return Advice("deal.advice.overdue", (("count", deal.overdue_commitments),))
    if last_touch_days is not None and last_touch_days > COLD_DAYS * 2:
        return Advice("deal.advice.cold", (("days", last_touch_days),))
    if gaps:
        key = "deal.advice.missing_stalled" if stalled else "deal.advice.missing"
        return Advice(key, (("days", days_in_stage),), requirement=gaps[0])
    if last_touch_days is not None and last_touch_days > COLD_DAYS:
        return Advice("deal.advice.cold", (("days", last_touch_days),))
    return Advice("deal.advice.ready", (("stage", funnel.after(deal.stage)),))


def rank(
    deals: Iterable[DealSnapshot], scorer: Scorer, n: int, *, exclude: frozenset[int] = frozenset()
) -> tuple[list[DealSnapshot], list[DealSnapshot]]:
    """The `n` most at risk (with a risk of at least RISK_FLOOR), and the `n` closest to closing among
    the rest. Ties go to the larger amount, then the older deal."""
    scored = [(scorer.scores(deal), deal) for deal in deals if deal.deal_id not in exclude]
    # Tuples compare on score, amount, then the negated id (unique), so the deal itself is never compared.
    top_risk = [
        item[3]
        for item in heapq.nlargest(
            n, ((risk, d.amount_cny or 0, -d.deal_id, d) for (risk, _), d in scored if risk >= RISK_FLOOR)
        )
    ]
    taken = {d.deal_id for d in top_risk}
    top_close = [
        item[3]
        for item in heapq.nlargest(
            n,
            ((close, d.amount_cny or 0, -d.deal_id, d) for (_, close), d in scored if d.deal_id not in taken),
        )
    ]
    return top_risk, top_close
