"""The public pool (公海) and everything around routed leads: a team's territories (show, check, load),
the routing preview, /pool and claims, managers assigning and picking a region, members' away days,
the notices and unclaimed alerts the lead job sends, and the digest's pool lines.

A claim is one conditional update inside a unit of work that first serialises the claimer (their
limits are counted, then the claim is written): of two reps pressing at once exactly one gets the lead,
the other is told it was taken. Every refusal names the limit and when it frees up; admins are exempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from crm import audit
from crm.errors import ChatCrmError, InputRejected, NotAllowed, NotFound, StorageConflict
from crm.facts import Facts
from crm.journal import Journal
from crm.leads import AssignedBy, Availability, Lead, LeadSource, LeadStatus, PoolScope, PoolSummary
from crm.model import Contact, Customer, Deal, DealStatus, Member, Role
from crm.places import Located
from crm.ports import Clock, FactExtractor, UnitOfWork, UnitOfWorkFactory
from crm.routing import Decision, LeadInput, LeadRouter, Routed, enter_pool
from crm.territories import (
    SETTINGS_KEY,
    Problem,
    Territories,
    TerritoryConfigError,
    check_members,
    find_member,
    parse,
    team_territories,
)

logger = logging.getLogger(__name__)

PAGE = 10
UNCLAIMED_SHOWN = 5
MAX_AWAY_DAYS = 366


class LeadTaken(ChatCrmError):
    """Someone else claimed (or was assigned) the lead first."""

    key = "pool.taken"


class PoolRefused(InputRejected):
    """A claim over one of the limits; params say which and when it frees up."""

    key = "pool.refused"


@dataclass(slots=True)
class LeadView:
    """A lead with its records, for a card."""

    lead: Lead
    customer: Customer
    contact: Contact | None
    deal: Deal | None
    assignee: Member | None = None
    former_owner: Member | None = None


@dataclass(slots=True)
class PoolPage:
    leads: list[LeadView]
    total: int
    offset: int


@dataclass(slots=True)
class Notice:
    """A message the lead job sends: a lead card to its new owner (`kind` "assigned"), a region to
    pick or an unclaimed alert to managers ("pick", "alert"), to admins ("escalate")."""

    kind: str
    view: LeadView
    recipients: list[Member]
    lease_until: datetime
    stage: int = 0
    next_due: datetime | None = None
    choices: list[Member] = field(default_factory=list)  # whom a manager may assign it to


class PoolService:
    """Territories, the pool and its claims, for chat/ and the command line."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, router: LeadRouter, extractor: FactExtractor
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.router = router
        self._extractor = extractor

    # --- territories ------------------------------------------------------------------------------

    async def territories(self, team_id: int) -> tuple[Territories, bool]:
        """The team's territories and whether they are its own (else the default)."""
        async with self._uow(read_only=True) as uow:
            team = await uow.teams.get(team_id)
            if team is None:
                raise NotFound("territories.no_team", team=team_id)
            custom = bool(team.settings.get(SETTINGS_KEY))
            return team_territories(team.settings, self.router.places), custom

    async def check(self, team_id: int | None, source: str) -> tuple[Territories, list[Problem]]:
        """Validates a file (and its members against the team's); raises TerritoryConfigError on
        errors, returns the warnings (a deactivated member named)."""
        territories = parse(source, self.router.places)
        if team_id is None:
            return territories, []
        async with self._uow(read_only=True) as uow:
            if await uow.teams.get(team_id) is None:
                raise NotFound("territories.no_team", team=team_id)
            members = await uow.leads.team_members(team_id)
        problems = check_members(territories, members)
        if any(not p.warning for p in problems):
            raise TerritoryConfigError(problems)
        return territories, problems

    async def load(
        self, actor: Member | None, team_id: int, source: str
    ) -> tuple[Territories, list[Problem]]:
        """Makes a valid file the team's territories (admins only, or the server's command line)."""
        if actor is not None and actor.role is not Role.ADMIN:
            raise NotAllowed("territories.admin_only")
        territories, warnings = await self.check(team_id, source)
        now = self._clock.now()
        async with self._uow() as uow:
            team = await uow.teams.get(team_id)
            if team is None:
                raise NotFound("territories.no_team", team=team_id)
            team.settings = {**team.settings, SETTINGS_KEY: territories.source}
            await uow.teams.update(team)
            detail = {"rules": len(territories.rules), "pools": territories.pool_names()}
            await audit.record_for(
                uow,
                team_id,
                actor.id if actor else None,
                "territories.loaded",
                ("team", team_id),
                detail,
                now,
            )
            await uow.commit()
        return territories, warnings

    async def preview(self, team_id: int, text: str, at: datetime | None = None) -> Decision:
        """The routing decision for an address as it would be at `at`; stores nothing."""
        moment = at or self._clock.now()
        located = self.router.places.resolve(text)
        async with self._uow(read_only=True) as uow:
            return await self.router.decide(uow, team_id, located, moment)

    # --- new leads ---------------------------------------------------------------------------------

    async def intake(self, lead: LeadInput, source: LeadSource) -> Routed:
        """Routes one new lead in its own unit of work (a retry when a concurrent one with the same
        idempotency key, or the team's first pool owner, won a uniqueness race)."""
        for attempt in range(3):
            try:
                async with self._uow() as uow:
                    routed = await self.router.assign(uow, lead, source, self._clock.now())
                    await uow.commit()
                return routed
            except StorageConflict:
                if attempt == 2:
                    raise
                logger.info("lead intake for team %s raced; retrying", lead.team_id)
        raise AssertionError("unreachable")

    async def forwarded(self, actor: Member, text: str, origin: str | None = None) -> Routed:
        """A manager's /lead: pasted or forwarded text, read by nlu, routed to the team."""
        if not actor.role.sees_team:
            raise NotAllowed("lead.managers_only")
        said = text.strip()
        if not said:
            raise InputRejected("lead.empty")
        facts = self._extractor.chat(said[:4000], actor.local(self._clock.now()))
        if not facts.identifies_someone():
            raise InputRejected("lead.nobody")
        return await self.intake(
            LeadInput(actor.team_id, facts, said, origin=origin or actor.name, author_id=actor.id),
            LeadSource.FORWARD,
        )

    async def route_capture(self, actor: Member, interaction_id: int) -> Routed:
        """ "Route to the team" on a capture card: the captured customer goes through routing."""
        if not actor.role.sees_team:
            raise NotAllowed("lead.managers_only")
        async with self._uow() as uow:
            interaction = await uow.interactions.get(interaction_id)
            if interaction is None or interaction.team_id != actor.team_id or interaction.customer_id is None:
                raise NotFound("error.stale_button")
            customer = await uow.customers.get(interaction.customer_id)
            if customer is None or customer.owner_id != actor.id:
                raise NotAllowed("lead.not_yours")
            if await uow.leads.open_for_customer(customer.id) is not None:
                raise InputRejected("lead.already_routed")
            facts = Facts.from_json(interaction.facts)
            lead = LeadInput(
                actor.team_id,
                facts,
                "",
                origin=actor.name,
                author_id=actor.id,
                customer_id=customer.id,
                contact_id=interaction.contact_id,
            )
            routed = await self.router.assign(uow, lead, LeadSource.FORWARD, self._clock.now())
            await uow.commit()
        return routed

    # --- the pool ----------------------------------------------------------------------------------

    def scope(self, actor: Member, territories: Territories, members: list[Member]) -> PoolScope | None:
        """What a rep may see and claim; None (everything) for managers and admins."""
        if actor.role.sees_team:
            return None

        def named(refs: tuple[int | str, ...]) -> bool:
            return any(actor.id == m.id for ref in refs for m in find_member(ref, members))

        mine = tuple(rule.name for rule in territories.rules if named(rule.members))
        restricted = tuple(rule.name for rule in territories.rules if rule.members)
        pools = []
        for name in territories.pool_names():
            pool = territories.pool(name)
            if pool is None or not pool.members or named(pool.members):
                pools.append(name)
        return PoolScope(mine, tuple(pools), restricted)

    async def listing(self, actor: Member, offset: int = 0, limit: int = PAGE) -> PoolPage:
        async with self._uow(read_only=True) as uow:
            territories = await self.router.territories(uow, actor.team_id)
            members = await uow.leads.team_members(actor.team_id)
            scope = self.scope(actor, territories, members)
            leads, total = await uow.leads.pool(actor.team_id, scope, limit, max(0, offset))
            views = [await _view(uow, lead) for lead in leads]
        return PoolPage(views, total, max(0, offset))

    async def waiting(self, team_id: int, limit: int = 1000) -> list[LeadView]:
        """The team's unclaimed leads, oldest first (`chatcrm pool list`)."""
        async with self._uow(read_only=True) as uow:
            leads, _ = await uow.leads.pool(team_id, None, limit, oldest_first=True)
            return [await _view(uow, lead) for lead in leads]

    async def view(self, actor: Member, lead_id: int) -> LeadView:
        async with self._uow(read_only=True) as uow:
            lead = await self._visible(uow, actor, lead_id)
            return await _view(uow, lead)

    async def _visible(self, uow: UnitOfWork, actor: Member, lead_id: int) -> Lead:
        lead = await uow.leads.get(lead_id)
        if lead is None or lead.team_id != actor.team_id:
            raise NotFound("pool.not_found")
        if lead.status is LeadStatus.POOL and not actor.role.sees_team:
            territories = await self.router.territories(uow, actor.team_id)
            scope = self.scope(actor, territories, await uow.leads.team_members(actor.team_id))
            if scope is not None and not scope.allows(lead):
                raise NotFound("pool.not_found")
        elif lead.status is not LeadStatus.POOL and not actor.role.sees_team and lead.assignee_id != actor.id:
            raise NotFound("pool.not_found")
        return lead

    async def claim(self, actor: Member, lead_id: int) -> LeadView:
        """Takes a pool lead for `actor`, within their limits (admins have none)."""
        now = self._clock.now()
        async with self._uow() as uow:
            lead = await uow.leads.get(lead_id)
            if lead is not None and lead.team_id == actor.team_id and lead.status is not LeadStatus.POOL:
                # Whoever pressed a claim button that someone was quicker to: told who has it.
                raise await _taken(uow, lead)
            lead = await self._visible(uow, actor, lead_id)
            territories = await self.router.territories(uow, actor.team_id)
            if actor.role is not Role.ADMIN:
                await uow.leads.lock_member(actor.id)
                await self._limits(uow, actor, lead, territories, now)
            if not await uow.leads.take(lead.id, actor.id, AssignedBy.CLAIM.value, now):
                raise await _taken(uow, await uow.leads.get(lead.id) or lead)
            view = await self._hand(uow, actor, lead, actor, "lead.claimed", now)
            await uow.commit()
        return view

    async def _limits(
        self, uow: UnitOfWork, actor: Member, lead: Lead, territories: Territories, now: datetime
    ) -> None:
        limits = territories.limits
        if lead.former_owner_id == actor.id and lead.lost_at is not None:
            frees = lead.lost_at + timedelta(days=limits.reclaim_cooldown_days)
            if now < frees:
                raise PoolRefused("pool.refused.cooldown", days=limits.reclaim_cooldown_days, until=frees)
        load = (await uow.leads.loads(actor.team_id, [actor.id], territories.day_start(now), now))[actor.id]
        if load.claims_today >= limits.daily_claims:
            tomorrow = territories.day_start(now) + timedelta(days=1)
            raise PoolRefused("pool.refused.daily", limit=limits.daily_claims, until=tomorrow)
        if load.open_deals >= limits.holding_cap:
            raise PoolRefused("pool.refused.cap", limit=limits.holding_cap, count=load.open_deals)

    async def assign(self, actor: Member, lead_id: int, member_id: int) -> LeadView:
        """A manager gives a pool lead to a member (no claim limits: the manager decides)."""
        if not actor.role.sees_team:
            raise NotAllowed()
        now = self._clock.now()
        async with self._uow() as uow:
            lead = await self._visible(uow, actor, lead_id)
            member = await uow.members.get(member_id)
            if member is None or member.team_id != actor.team_id or not member.active:
                raise NotFound("pool.no_member")
            if lead.status is not LeadStatus.POOL:
                raise await _taken(uow, lead)
            if not await uow.leads.take(lead.id, member.id, AssignedBy.MANAGER.value, now):
                raise await _taken(uow, await uow.leads.get(lead.id) or lead)
            view = await self._hand(uow, actor, lead, member, "lead.assigned", now)
            await uow.commit()
        return view

    async def _hand(
        self, uow: UnitOfWork, actor: Member, lead: Lead, owner: Member, action: str, now: datetime
    ) -> LeadView:
        """After a claim or assignment: the records to the new owner, audited and journaled; the new
        owner gets the lead card (a notice) when someone else assigned it."""
        fresh = await uow.leads.get(lead.id)
        assert fresh is not None
        customer = await uow.customers.get(fresh.customer_id)
        if customer is None:
            raise NotFound("pool.not_found")
        journal = Journal()
        await self.router.hand_over(uow, customer, owner.id, journal, now)
        if owner.id != actor.id:
            fresh.notify = True
            fresh.reason = {"key": "routing.reason.assigned_by", "by": actor.name}
            await uow.leads.update(fresh)
        detail = {"member": owner.id, "pool": lead.pool, "territory": lead.territory}
        await audit.record(uow, actor, action, ("lead", lead.id), detail, now, journal)
        view = await _view(uow, fresh)
        view.assignee = owner
        return view

    async def pick_region(self, actor: Member, lead_id: int, choice: int) -> tuple[LeadView, Decision]:
        """A manager picks which of the candidate places a lead with an unclear region is in; it is
        routed again from there."""
        if not actor.role.sees_team:
            raise NotAllowed()
        now = self._clock.now()
        async with self._uow() as uow:
            lead = await self._visible(uow, actor, lead_id)
            if lead.status is not LeadStatus.POOL:
                raise await _taken(uow, lead)
            if not 0 <= choice < len(lead.candidates):
                raise NotFound("error.stale_button")
            division = lead.candidates[choice]
            decision = await self.router.decide(uow, actor.team_id, Located(division, (division,)), now)
            lead.division, lead.candidates = division, []
            lead.region = decision.region.key if decision.region else None
            lead.territory = decision.territory
            lead.reason = decision.reason
            journal = Journal()
            customer = await uow.customers.get(lead.customer_id)
            if customer is None:
                raise NotFound("pool.not_found")
            if decision.assignee is not None:
                await uow.leads.update(lead)
                if not await uow.leads.take(lead.id, decision.assignee.id, AssignedBy.ROUTING.value, now):
                    raise await _taken(uow, lead)
                await self.router.hand_over(uow, customer, decision.assignee.id, journal, now)
                fresh = await uow.leads.get(lead.id)
                assert fresh is not None
                fresh.notify = True
                await uow.leads.update(fresh)
                lead = fresh
            else:
                await enter_pool(uow, lead, decision.pool, now, self.router, actor.team_id)
                lead.notify = False
                await uow.leads.update(lead)
            detail = {"division": division.to_json(), "reason": decision.reason, "assignee": lead.assignee_id}
            await audit.record(uow, actor, "lead.region_picked", ("lead", lead.id), detail, now, journal)
            view = await _view(uow, lead)
            await uow.commit()
        return view, decision

    async def first_team_id(self) -> int | None:
        """The team strangers' leads go to (chatcrm serves one team per Official Account)."""
        async with self._uow(read_only=True) as uow:
            teams = await uow.teams.all()
        return teams[0].id if teams else None

    async def deal_customer_name(self, actor: Member, deal_id: int) -> str | None:
        """The name of the customer of a deal the member owns (a reclaim warning's reply)."""
        async with self._uow(read_only=True) as uow:
            deal = await uow.deals.get(deal_id)
            if deal is None or deal.team_id != actor.team_id or deal.owner_id != actor.id:
                raise NotFound("error.stale_button")
            customer = await uow.customers.get(deal.customer_id)
        return customer.name if customer else None

    # --- availability ----------------------------------------------------------------------------

    async def availability(self, actor: Member) -> Availability:
        async with self._uow(read_only=True) as uow:
            found = (await uow.leads.availability([actor.id])).get(actor.id, Availability())
        return found.current(actor.local(self._clock.now()).date())

    async def set_away(
        self,
        actor: Member,
        *,
        period: tuple[date, date] | None = None,
        weekly: frozenset[int] | None = None,
        clear: bool = False,
    ) -> Availability:
        """/away: a period of dates, weekly days off, or nothing (clear)."""
        today = actor.local(self._clock.now()).date()
        if period is not None:
            start, end = sorted(period)
            if end < today:
                raise InputRejected("away.past")
            if (end - start).days > MAX_AWAY_DAYS:
                raise InputRejected("away.too_long", days=MAX_AWAY_DAYS)
            period = (max(start, today), end)
        async with self._uow() as uow:
            current = (await uow.leads.availability([actor.id])).get(actor.id, Availability()).current(today)
            if clear:
                current = Availability()
            if weekly is not None:
                current = Availability(weekly, current.away)
            if period is not None:
                current = Availability(current.weekly_off, (*current.away, period))
            await uow.leads.set_availability(actor.team_id, actor.id, current)
            await audit.record(
                uow,
                actor,
                "member.away",
                ("member", actor.id),
                {
                    "weekly_off": sorted(current.weekly_off),
                    "away": [[a.isoformat(), b.isoformat()] for a, b in current.away],
                },
                self._clock.now(),
            )
            await uow.commit()
        return current

    # --- the lead job: notices and alerts ---------------------------------------------------------------

    async def notices(self, lease: timedelta, limit: int = 50) -> list[Notice]:
        """Claims the notices waiting to be sent (each by one process, for `lease`)."""
        now = self._clock.now()
        found: list[Notice] = []
        async with self._uow() as uow:
            leads = await uow.leads.claim_notices(now, now + lease, limit)
            await uow.commit()
        if not leads:
            return []
        async with self._uow(read_only=True) as uow:
            for lead in leads:
                view = await _view(uow, lead)
                if lead.status is LeadStatus.ASSIGNED and view.assignee is not None:
                    found.append(Notice("assigned", view, [view.assignee], now + lease))
                elif lead.status is LeadStatus.POOL:
                    territories = await self.router.territories(uow, lead.team_id)
                    managers, choices = await self._managers(uow, lead, territories)
                    found.append(Notice("pick", view, managers, now + lease, choices=choices))
                else:
                    found.append(Notice("none", view, [], now + lease))
        return found

    async def settle_notice(self, notice: Notice) -> None:
        async with self._uow() as uow:
            await uow.leads.settle_notice(notice.view.lead.id, notice.lease_until)
            await uow.commit()

    async def alerts(self, lease: timedelta, limit: int = 50) -> list[Notice]:
        """Claims the unclaimed alerts that fell due: the territory's manager first, then the admins."""
        now = self._clock.now()
        async with self._uow() as uow:
            leads = await uow.leads.claim_alerts(now, now + lease, limit)
            await uow.commit()
        found: list[Notice] = []
        if not leads:
            return found
        async with self._uow(read_only=True) as uow:
            for lead in leads:
                territories = await self.router.territories(uow, lead.team_id)
                view = await _view(uow, lead)
                managers, choices = await self._managers(uow, lead, territories)
                base = lead.pooled_at or lead.created_at
                if lead.alert_stage == 0:
                    due = territories.add_working_time(base, territories.alerts.admin_after)
                    found.append(Notice("alert", view, managers, now + lease, 1, max(due, now), choices))
                else:
                    admins = await uow.members.in_team(lead.team_id, Role.ADMIN)
                    found.append(Notice("escalate", view, admins, now + lease, 2, None, choices))
        return found

    async def settle_alert(self, notice: Notice) -> None:
        async with self._uow() as uow:
            await uow.leads.settle_alert(
                notice.view.lead.id, notice.lease_until, notice.stage, notice.next_due
            )
            await uow.commit()

    async def _managers(
        self, uow: UnitOfWork, lead: Lead, territories: Territories
    ) -> tuple[list[Member], list[Member]]:
        """Who is told of a waiting lead (the territory's or pool's manager, else the team's managers,
        else its admins) and whom they may assign it to (the territory's active members, else the
        team's reps)."""
        members = await uow.leads.team_members(lead.team_id)
        rule = territories.rule(lead.territory) if lead.territory else None
        pool = territories.pool(lead.pool) if lead.pool else None
        ref = (rule.manager if rule else None) or (pool.manager if pool else None)
        managers = [m for m in find_member(ref, members) if m.active] if ref is not None else []
        if not managers:
            managers = [m for m in members if m.active and m.role is Role.MANAGER]
        if not managers:
            managers = [m for m in members if m.active and m.role is Role.ADMIN]
        refs = rule.members if rule and rule.members else ()
        choices = [m for ref in refs for m in find_member(ref, members) if m.active]
        if not choices:
            choices = [m for m in members if m.active and m.role is Role.REP]
        return managers, list({m.id: m for m in choices}.values())

    # --- the digest ---------------------------------------------------------------------------------

    async def summary(self, team_id: int, now: datetime | None = None) -> PoolSummary:
        """Yesterday's routed and reclaimed leads, the oldest unclaimed ones, and reps at their cap."""
        moment = now or self._clock.now()
        async with self._uow(read_only=True) as uow:
            territories = await self.router.territories(uow, team_id)
            today = territories.day_start(moment)
            summary = await uow.leads.summary(team_id, today - timedelta(days=1), today, UNCLAIMED_SHOWN)
            reps = await uow.members.in_team(team_id, Role.REP)
            loads = await uow.leads.loads(team_id, [m.id for m in reps], today, moment)
        summary.at_cap = [m.name for m in reps if loads[m.id].open_deals >= territories.limits.holding_cap]
        return summary


async def _view(uow: UnitOfWork, lead: Lead) -> LeadView:
    customer = await uow.customers.get(lead.customer_id)
    if customer is None:
        raise NotFound("pool.not_found")
    contact = await uow.contacts.get(lead.contact_id) if lead.contact_id else None
    if contact is None:
        contact = next(iter(await uow.contacts.for_customer(customer.id)), None)
    deal = next((d for d in await uow.deals.for_customer(customer.id) if d.status is DealStatus.OPEN), None)
    assignee = await uow.members.get(lead.assignee_id) if lead.assignee_id else None
    former = await uow.members.get(lead.former_owner_id) if lead.former_owner_id else None
    return LeadView(lead, customer, contact, deal, assignee, former)


async def _taken(uow: UnitOfWork, lead: Lead) -> LeadTaken:
    fresh = await uow.leads.get(lead.id)
    owner = await uow.members.get(fresh.assignee_id) if fresh and fresh.assignee_id else None
    return LeadTaken("pool.taken", by=owner.name if owner else "?")
