"""Reclaim: a rep's deal returns to the pool after N days (by stage) without a qualifying follow-up.

A follow-up is a forwarded chat, a voice note, a card or a visit check-in by the owner, a stage change,
or evidence filed or confirmed; editing a field or a tag is not. The clock starts again when the rep
received the customer. Won and lost deals are never reclaimed (only open ones are looked at). Two days
before (`warn_days`), the rep is warned with a one-tap reply: send a voice note now, or "I'm on it" for
`extend_days` more, once. The run happens once a day per team (the first process to claim the day's
run does it), so rule changes take effect at the next run. Each reclaim is audited with its reason and
journaled, and the former owner is told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crm import audit
from crm.errors import InputRejected, NotFound
from crm.journal import Journal
from crm.leads import Lead, LeadSource, LeadStatus, ReclaimCandidate
from crm.model import Customer, Deal, DealStatus, Member, Role
from crm.places import Located
from crm.ports import Clock, UnitOfWorkFactory
from crm.routing import LeadRouter, division_of, enter_pool
from crm.territories import Territories

logger = logging.getLogger(__name__)

RUN = "reclaim"


@dataclass(frozen=True, slots=True)
class Warned:
    member: Member
    customer: Customer
    deal: Deal
    deadline: datetime
    can_extend: bool


@dataclass(frozen=True, slots=True)
class Reclaimed:
    former: Member
    customer: Customer
    deal: Deal
    lead: Lead
    days: int
    last_activity: datetime


@dataclass(slots=True)
class RunResult:
    team_id: int
    warned: list[Warned] = field(default_factory=list)
    reclaimed: list[Reclaimed] = field(default_factory=list)


def deadline(territories: Territories, candidate: ReclaimCandidate) -> datetime:
    rules = territories.reclaim
    days = rules.days_for(candidate.stage)
    extra = rules.extend_days if candidate.extended_at is not None else 0
    return candidate.last_activity + timedelta(days=days + extra)


class ReclaimService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, router: LeadRouter) -> None:
        self._uow = uow
        self._clock = clock
        self.router = router

    async def due_runs(self, now: datetime | None = None) -> list[int]:
        """Teams whose daily run is due (their reclaim time has passed today) and that this process
        claimed: each team's run of a day is claimed once, whatever the number of processes."""
        moment = now or self._clock.now()
        claimed: list[int] = []
        async with self._uow() as uow:
            for team in await uow.teams.all():
                territories = await self.router.territories(uow, team.id)
                local = moment.astimezone(territories.tz)
                if local.time() < territories.reclaim.at:
                    continue
                if await uow.leads.claim_run(team.id, local.date(), RUN, moment):
                    claimed.append(team.id)
            await uow.commit()
        return claimed

    async def run(self, team_id: int, now: datetime | None = None) -> RunResult:
        """Warns and reclaims for one team; returns whom to tell what."""
        moment = now or self._clock.now()
        result = RunResult(team_id)
        async with self._uow(read_only=True) as uow:
            territories = await self.router.territories(uow, team_id)
            owner_id = await uow.leads.pool_owner(team_id)
            candidates = await uow.leads.reclaim_candidates(team_id, owner_id)
        rules = territories.reclaim
        for candidate in candidates:
            if rules.routed_only and not candidate.routed:
                continue
            due = deadline(territories, candidate)
            try:
                if moment >= due:
                    reclaimed = await self._reclaim(team_id, candidate, territories, moment)
                    if reclaimed is not None:
                        result.reclaimed.append(reclaimed)
                elif moment >= due - timedelta(days=rules.warn_days) and candidate.warned_for != due:
                    warned = await self._warn(candidate, due)
                    if warned is not None:
                        result.warned.append(warned)
            except Exception:
                logger.exception("reclaim of deal %s failed", candidate.deal_id)
        return result

    async def _warn(self, candidate: ReclaimCandidate, due: datetime) -> Warned | None:
        async with self._uow() as uow:
            member = await uow.members.get(candidate.owner_id)
            deal = await uow.deals.get(candidate.deal_id)
            customer = await uow.customers.get(candidate.customer_id)
            if member is None or deal is None or customer is None or not member.active:
                return None
            await uow.leads.set_reclaim_marks(deal.id, member.id, candidate.extended_at, due)
            await uow.commit()
        return Warned(member, customer, deal, due, candidate.extended_at is None)

    async def _reclaim(
        self, team_id: int, candidate: ReclaimCandidate, territories: Territories, now: datetime
    ) -> Reclaimed | None:
        async with self._uow() as uow:
            deal = await uow.deals.get(candidate.deal_id)
            customer = await uow.customers.get(candidate.customer_id)
            former = await uow.members.get(candidate.owner_id)
            # Whatever changed since the list was read (a stage moved, the deal changed hands or
            # closed) is left for tomorrow's run to judge again.
            if (
                deal is None
                or customer is None
                or former is None
                or deal.status is not DealStatus.OPEN
                or deal.owner_id != candidate.owner_id
                or deal.stage != candidate.stage
            ):
                return None
            pool_owner = await self.router.pool_owner(uow, team_id, now)
            journal = Journal()
            await self.router.hand_over(uow, customer, pool_owner.id, journal, now)
            previous = await uow.leads.open_for_customer(customer.id)
            if previous is not None:
                previous.status = LeadStatus.RECLAIMED
                previous.notify = False
                await uow.leads.update(previous)
            days = territories.reclaim.days_for(candidate.stage)
            located = Located(division_of(customer.region)) if customer.region else Located()
            decision = await self.router.decide(uow, team_id, located, now)
            lead = Lead(
                id=0,
                team_id=team_id,
                customer_id=customer.id,
                source=LeadSource.RECLAIM,
                status=LeadStatus.POOL,
                created_at=now,
                contact_id=previous.contact_id if previous else None,
                origin=previous.source.value if previous else None,
                territory=decision.territory,
                region=decision.region.key if decision.region else None,
                division=located.division,
                reason={
                    "key": "routing.reason.reclaimed",
                    "former": former.name,
                    "days": days,
                    "stage": candidate.stage,
                    "last": candidate.last_activity.isoformat(),
                },
                former_owner_id=former.id,
                lost_at=now,
            )
            await enter_pool(
                uow,
                lead,
                decision.pool or (decision.rule.pool if decision.rule else None),
                now,
                self.router,
                team_id,
            )
            lead.notify = False
            await uow.leads.add(lead)
            detail = {
                "deal": deal.id,
                "former": former.id,
                "stage": candidate.stage,
                "days": days,
                "last_activity": candidate.last_activity.isoformat(),
                "extended": candidate.extended_at is not None,
            }
            await audit.record_for(
                uow, team_id, None, "lead.reclaimed", ("lead", lead.id), detail, now, journal
            )
            await uow.commit()
        return Reclaimed(former, customer, deal, lead, days, candidate.last_activity)

    async def extend(self, actor: Member, deal_id: int) -> datetime:
        """ "I'm on it": the deal's reclaim moves `extend_days` later, once per owner."""
        now = self._clock.now()
        async with self._uow() as uow:
            deal = await uow.deals.get(deal_id)
            if deal is None or deal.team_id != actor.team_id or deal.owner_id != actor.id:
                raise NotFound("error.stale_button")
            marks = await uow.leads.reclaim_marks(deal_id)
            if marks is not None and marks[0] == actor.id and marks[1] is not None:
                raise InputRejected("reclaim.extended_once")
            territories = await self.router.territories(uow, actor.team_id)
            await uow.leads.set_reclaim_marks(
                deal_id, actor.id, now, marks[2] if marks and marks[0] == actor.id else None
            )
            await audit.record(
                uow,
                actor,
                "reclaim.extended",
                ("deal", deal_id),
                {"days": territories.reclaim.extend_days},
                now,
            )
            await uow.commit()
        # The new deadline, as the next run will compute it.
        candidates = await self._candidates(actor.team_id)
        found = next((c for c in candidates if c.deal_id == deal_id), None)
        return (
            deadline(territories, found) if found else now + timedelta(days=territories.reclaim.extend_days)
        )

    async def _candidates(self, team_id: int) -> list[ReclaimCandidate]:
        async with self._uow(read_only=True) as uow:
            return await uow.leads.reclaim_candidates(team_id, await uow.leads.pool_owner(team_id))

    async def status(self, actor: Member) -> list[tuple[ReclaimCandidate, datetime]]:
        """The member's open deals with when each would be reclaimed, soonest first."""
        if actor.role is not Role.REP:
            return []
        async with self._uow(read_only=True) as work:
            territories = await self.router.territories(work, actor.team_id)
            found = await work.leads.reclaim_candidates(
                actor.team_id, await work.leads.pool_owner(actor.team_id)
            )
        mine = [(c, deadline(territories, c)) for c in found if c.owner_id == actor.id]
        return sorted(mine, key=lambda item: item[1])
