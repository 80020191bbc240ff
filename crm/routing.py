"""Routing a lead without an owner to the right rep, and the one entry point for it.

`decide` is the rule, pure: the place (a division, several candidates, a country abroad, or nothing),
the sales region, the most specific territory (district > city > province > sales region), then among
its members those who can take a lead now (not deactivated, not away, at work, under their holding cap
and daily quota), the one with the fewest leads in the last 24 hours, then the one who waited longest.
Nobody eligible, no rule, an unclear region: the pool, with the reason. Never "anyone".

`LeadRouter.assign(uow, lead, source, at)` is how every source hands over a new lead (the intake API,
a manager's /lead, a stranger on WeChat, a spreadsheet import): inside the caller's unit of work it
runs dedup (a lead matching an existing customer goes to that customer's owner), writes the customer,
contact and deal or takes the ones the caller already wrote (`LeadInput.customer_id`), decides, hands
the records to the rep or the pool owner, records the lead with its source and reason, and audits it
with the field journal. The caller commits; after the commit the lead job sends the rep the lead card.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crm import audit
from crm.capture import find_duplicate
from crm.dedup import MatchKind
from crm.errors import NotFound
from crm.facts import Facts, Region
from crm.journal import Journal
from crm.leads import AssignedBy, Availability, Lead, LeadSource, LeadStatus, MemberLoad
from crm.model import Contact, Customer, Deal, DealStatus, Interaction, Lang, Member, Role, Source
from crm.places import Division, Located, abroad_by_phone
from crm.ports import Normalizer, PlaceResolver, UnitOfWork
from crm.records import (
    apply_to_contact,
    contact_keys,
    fingerprint,
    new_contact,
    new_customer,
    open_first_deal,
)
from crm.territories import Rule, SalesRegion, Territories, find_member, team_territories

logger = logging.getLogger(__name__)

DAY = timedelta(days=1)
POOL_OWNER_NAME = "公海"


@dataclass(frozen=True, slots=True)
class Considered:
    """A member of the winning rule, and why they may or may not get the lead (`reason` a key of
    routing.skip.*, None when eligible)."""

    ref: int | str
    member: Member | None
    reason: str | None
    load: MemberLoad = field(default_factory=MemberLoad)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def eligible(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class Decision:
    located: Located
    region: SalesRegion | None
    rule: Rule | None
    matched_by: str | None  # "district" | "city" | "province" | "region" | None
    considered: tuple[Considered, ...]
    assignee: Member | None
    pool: str | None
    reason: dict[str, Any]  # {"key": "routing.reason.*", **params}
    at: datetime

    @property
    def territory(self) -> str | None:
        return self.rule.name if self.rule is not None else None


def decide(
    territories: Territories,
    located: Located,
    members: list[Member],
    loads: dict[int, MemberLoad],
    availability: dict[int, Availability],
    at: datetime,
) -> Decision:
    """The routing decision for a place at a moment; `members` are the team's, deactivated included."""
    region = territories.region_of(located)

    def to_pool(
        pool: str, key: str, winner: Rule | None = None, by: str | None = None, **params: Any
    ) -> Decision:
        return Decision(located, region, winner, by, considered, None, pool, {"key": key, **params}, at)

    considered: tuple[Considered, ...] = ()
    if located.ambiguous or not located.found:
        options = [c.label() for c in located.candidates]
        return to_pool(territories.default_pool, "routing.reason.region_unclear", options=options)
    rule, by = territories.winning_rule(located)
    place = located.division.label() if located.division else (located.country or "")
    if rule is None:
        return to_pool(
            territories.default_pool,
            "routing.reason.no_rule",
            place=place,
            region=region.zh if region else "",
            region_en=region.en if region else "",
        )
    matched = str(by)
    if not rule.members:
        return to_pool(
            rule.pool or territories.default_pool, "routing.reason.rule_pool", rule, matched, rule=rule.name
        )
    found: list[Considered] = []
    for ref in rule.members:
        named = find_member(ref, members)
        if len(named) != 1:
            found.append(Considered(ref, None, "unknown" if not named else "ambiguous"))
            continue
        member = named[0]
        load = loads.get(member.id, MemberLoad())
        reason, params = _skip(territories, member, load, availability.get(member.id), at)
        found.append(Considered(ref, member, reason, load, params))
    considered = tuple(found)
    eligible = [c for c in considered if c.eligible and c.member is not None]
    if not eligible:
        return to_pool(
            rule.pool or territories.default_pool,
            "routing.reason.nobody_eligible",
            rule,
            matched,
            rule=rule.name,
        )
    epoch = datetime.min.replace(tzinfo=at.tzinfo)
    eligible.sort(
        key=lambda c: (c.load.received_24h, c.load.last_received or epoch, c.member.id if c.member else 0)
    )
    chosen = eligible[0]
    assert chosen.member is not None
    chosen_reason: dict[str, Any] = {
        "key": "routing.reason.territory",
        "rule": rule.name,
        "by": matched,
        "place": place,
        "received": chosen.load.received_24h,
    }
    return Decision(located, region, rule, matched, considered, chosen.member, None, chosen_reason, at)


def _skip(
    territories: Territories,
    member: Member,
    load: MemberLoad,
    availability: Availability | None,
    at: datetime,
) -> tuple[str | None, dict[str, Any]]:
    if not member.active:
        return "inactive", {}
    local_day = member.local(at).date()
    if availability is not None and availability.off_on(local_day):
        return "away", {}
    if territories.hours is not None and not territories.hours.open_at(at, territories.tz):
        return "off_hours", {}
    limits = territories.limits
    if load.open_deals >= limits.holding_cap:
        return "at_cap", {"count": load.open_deals, "cap": limits.holding_cap}
    if load.received_today >= limits.daily_quota:
        return "at_quota", {"count": load.received_today, "quota": limits.daily_quota}
    return None, {}


# --- the entry point ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeadInput:
    """A new lead as its source hands it over.

    `facts` are what is known of the person and company (an import's columns, a form's fields, what nlu
    read in a pasted chat); `content` is kept verbatim as the lead's first interaction. A caller that
    already wrote the customer (and contact) in its unit of work passes `customer_id` (`contact_id`):
    dedup is then the caller's, and routing only hands the records over.
    """

    team_id: int
    facts: Facts
    content: str = ""
    origin: str | None = None  # the form's "source" field, a campaign, a file name
    author_id: int | None = None  # who brought it in (a manager); None: the pool owner
    customer_id: int | None = None
    contact_id: int | None = None
    idempotency_key: str | None = None
    external_ref: str | None = None


@dataclass(slots=True)
class Routed:
    """What became of a lead: its row, the records, the decision (None when dedup sent it to the
    customer's owner), and whether it repeats one already received (same idempotency key)."""

    lead: Lead
    customer: Customer
    contact: Contact | None
    deal: Deal | None
    decision: Decision | None
    assignee: Member | None
    repeated: bool = False


class LeadRouter:
    """Territories of a team, routing decisions, and handing records to a rep or to the pool."""

    def __init__(self, normalizer: Normalizer, places: PlaceResolver) -> None:
        self.normalizer = normalizer
        self.places = places
        self._pool_owners: dict[int, Member] = {}

    # --- reading --------------------------------------------------------------------------------

    async def territories(self, uow: UnitOfWork, team_id: int) -> Territories:
        team = await uow.teams.get(team_id)
        if team is None:
            raise NotFound("territories.no_team", team=team_id)
        return team_territories(team.settings, self.places)

    def locate(self, facts: Facts, *texts: str | None) -> Located:
        """Where a lead is: its address, else the region nlu found, else the other texts (company,
        note); a country abroad from foreign phone numbers when nothing else says."""
        said = [facts.address, _region_text(facts.region), *texts]
        first: Located | None = None
        for text in said:
            if not text or not text.strip():
                continue
            located = self.places.resolve(text[:500])
            if located.found and not located.ambiguous:
                return located
            first = first or (located if located.ambiguous else None)
        if first is not None:
            return first
        if abroad_by_phone(facts.phones):
            return Located(country="?")
        return Located()

    async def decide(self, uow: UnitOfWork, team_id: int, located: Located, at: datetime) -> Decision:
        territories = await self.territories(uow, team_id)
        members = await uow.leads.team_members(team_id)
        rule, _ = territories.winning_rule(located)
        ids = [m.id for ref in (rule.members if rule else ()) for m in find_member(ref, members)]
        loads = await uow.leads.loads(team_id, ids, territories.day_start(at), at) if ids else {}
        availability = await uow.leads.availability(ids) if ids else {}
        return decide(territories, located, members, loads, availability, at)

    # --- the pool owner ------------------------------------------------------------------------

    async def pool_owner(self, uow: UnitOfWork, team_id: int, at: datetime) -> Member:
        """The inactive member who owns the records of the team's pool leads, made on first use."""
        known = self._pool_owners.get(team_id)
        if known is not None:
            # The pool owner never changes once made (a row per team); no need to read it per lead.
            return known
        member_id = await uow.leads.pool_owner(team_id)
        if member_id is not None:
            member = await uow.members.get(member_id)
            if member is not None:
                self._pool_owners[team_id] = member
                return member
        team = await uow.teams.get(team_id)
        member = await uow.members.add(
            Member(
                id=0,
                team_id=team_id,
                name=POOL_OWNER_NAME,
                role=Role.REP,
                lang=Lang.ZH,
                timezone=team_territories(team.settings if team else {}, self.places).timezone,
                created_at=at,
                active=False,
            )
        )
        # Two first leads at once: one insert wins, the other fails its unit of work and is retried.
        await uow.leads.set_pool_owner(team_id, member.id)
        return member

    # --- handing over -------------------------------------------------------------------------------

    async def assign(self, uow: UnitOfWork, lead: LeadInput, source: LeadSource, at: datetime) -> Routed:
        """Routes one new lead inside the caller's unit of work (see the module's docstring)."""
        if lead.idempotency_key:
            earlier = await uow.leads.by_idempotency_key(lead.team_id, lead.idempotency_key)
            if earlier is not None:
                return await self._repeat(uow, earlier)
        pool_owner = await self.pool_owner(uow, lead.team_id, at)
        journal = Journal()
        if lead.external_ref:
            earlier = await uow.leads.by_external_ref(lead.team_id, lead.external_ref)
            if earlier is not None:
                return await self._follow_on(uow, earlier, lead, source, at, pool_owner, journal)
        if lead.customer_id is not None:
            customer = await uow.customers.get(lead.customer_id)
            if customer is None or customer.team_id != lead.team_id:
                raise NotFound("customer.not_found", query=str(lead.customer_id))
            contact = await uow.contacts.get(lead.contact_id) if lead.contact_id else None
            return await self._route(uow, lead, source, at, customer, contact, pool_owner, journal)
        existing = await self._existing(uow, lead, journal, at)
        if existing is not None:
            customer, contact = existing
            owner = await uow.members.get(customer.owner_id)
            if owner is not None and (owner.active or owner.id == pool_owner.id):
                return await self._to_owner(
                    uow, lead, source, at, customer, contact, owner, pool_owner, journal
                )
            return await self._route(uow, lead, source, at, customer, contact, pool_owner, journal)
        located = self.locate(lead.facts, lead.facts.company, lead.content)
        decision = await self.decide(uow, lead.team_id, located, at)
        owner = decision.assignee or pool_owner
        facts = lead.facts
        if facts.region is None and located.division is not None:
            division = located.division
            facts = _with_region(facts, Region(division.province, division.city, division.district))
        customer = new_customer(owner, facts, at)
        customer.name = customer.name or facts.name
        await uow.customers.add(customer, self._company_key(customer.name))
        journal.created(customer)
        deal = await open_first_deal(uow, owner, customer, facts, at)
        journal.created(deal)
        person: Contact | None = None
        if facts.name or facts.phones or facts.emails or facts.wechat_id:
            person = new_contact(owner, customer.id, facts, at)
            await uow.contacts.add(person, contact_keys(self.normalizer, person, customer.name))
            journal.created(person)
        row = await self._record(
            uow, lead, source, at, customer, person, decision, None, journal, owner, pool_owner
        )
        return Routed(row, customer, person, deal, decision, decision.assignee)

    async def _follow_on(
        self,
        uow: UnitOfWork,
        earlier: Lead,
        lead: LeadInput,
        source: LeadSource,
        at: datetime,
        pool_owner: Member,
        journal: Journal,
    ) -> Routed:
        """A later message from the same sender (a stranger on WeChat): it joins the first lead's
        customer; whoever has the customer sees it in its history."""
        customer = await uow.customers.get(earlier.customer_id)
        if customer is None:
            raise NotFound("customer.not_found", query=str(earlier.customer_id))
        contact = await uow.contacts.get(earlier.contact_id) if earlier.contact_id else None
        deal = next(
            (d for d in await uow.deals.for_customer(customer.id) if d.status is DealStatus.OPEN), None
        )
        interaction = await self._interaction(uow, lead, at, customer, contact, deal, pool_owner)
        detail = {"source": source.value, "interaction": interaction.id if interaction else None}
        await audit.record_for(
            uow, lead.team_id, lead.author_id, "lead.repeated", ("lead", earlier.id), detail, at, journal
        )
        assignee = await uow.members.get(earlier.assignee_id) if earlier.assignee_id else None
        return Routed(earlier, customer, contact, deal, None, assignee, repeated=True)

    async def _repeat(self, uow: UnitOfWork, lead: Lead) -> Routed:
        customer = await uow.customers.get(lead.customer_id)
        if customer is None:
            raise NotFound("customer.not_found", query=str(lead.customer_id))
        contact = await uow.contacts.get(lead.contact_id) if lead.contact_id else None
        assignee = await uow.members.get(lead.assignee_id) if lead.assignee_id else None
        return Routed(lead, customer, contact, None, None, assignee, repeated=True)

    async def _existing(
        self, uow: UnitOfWork, lead: LeadInput, journal: Journal, at: datetime
    ) -> tuple[Customer, Contact | None] | None:
        """Dedup first: the same phone, e-mail or WeChat id, else the same company."""
        facts = lead.facts
        probe = fingerprint(self.normalizer, name=facts.name, company=facts.company, facts=facts)
        match, by_id = await find_duplicate(uow, lead.team_id, probe)
        if match is not None and match.kind is MatchKind.EXACT:
            contact = by_id[match.contact_id]
            customer = await uow.customers.get(contact.customer_id) if contact.customer_id else None
            if customer is not None and customer.merged_into is None and customer.archived_at is None:
                journal.track(contact)
                if apply_to_contact(contact, facts):
                    contact.updated_at = at
                    await uow.contacts.update(contact, contact_keys(self.normalizer, contact, customer.name))
                return customer, contact
        if facts.company:
            key = self.normalizer.company_key(facts.company)
            same = await uow.customers.by_name_key(lead.team_id, key) if key else []
            if same:
                return same[0], None
        return None

    async def _to_owner(
        self,
        uow: UnitOfWork,
        lead: LeadInput,
        source: LeadSource,
        at: datetime,
        customer: Customer,
        contact: Contact | None,
        owner: Member,
        pool_owner: Member,
        journal: Journal,
    ) -> Routed:
        deal = next(
            (d for d in await uow.deals.for_customer(customer.id) if d.status is DealStatus.OPEN), None
        )
        if owner.id == pool_owner.id:
            # Already waiting in the pool: the new message joins that lead, no second one.
            waiting = await uow.leads.open_for_customer(customer.id)
            if waiting is not None:
                interaction = await self._interaction(uow, lead, at, customer, contact, deal, pool_owner)
                await audit.record_for(
                    uow,
                    lead.team_id,
                    lead.author_id,
                    "lead.repeated",
                    ("lead", waiting.id),
                    {"source": source.value, "interaction": interaction.id if interaction else None},
                    at,
                    journal,
                )
                return Routed(waiting, customer, contact, deal, None, None, repeated=False)
        reason = {"key": "routing.reason.existing_customer", "owner": owner.name}
        row = await self._record(
            uow, lead, source, at, customer, contact, None, reason, journal, owner, pool_owner, existing=True
        )
        return Routed(row, customer, contact, deal, None, None if owner.id == pool_owner.id else owner)

    async def _route(
        self,
        uow: UnitOfWork,
        lead: LeadInput,
        source: LeadSource,
        at: datetime,
        customer: Customer,
        contact: Contact | None,
        pool_owner: Member,
        journal: Journal,
    ) -> Routed:
        located = self.locate(
            lead.facts, customer.address, _region_text(customer.region), customer.name, lead.content
        )
        decision = await self.decide(uow, lead.team_id, located, at)
        owner = decision.assignee or pool_owner
        await self.hand_over(uow, customer, owner.id, journal, at)
        row = await self._record(
            uow, lead, source, at, customer, contact, decision, None, journal, owner, pool_owner
        )
        deal = next(
            (d for d in await uow.deals.for_customer(customer.id) if d.status is DealStatus.OPEN), None
        )
        return Routed(row, customer, contact, deal, decision, decision.assignee)

    async def hand_over(
        self, uow: UnitOfWork, customer: Customer, owner_id: int, journal: Journal, at: datetime
    ) -> None:
        """The customer, the contacts its owner had on it and its open deals go to `owner_id`."""
        previous = customer.owner_id
        if previous != owner_id:
            journal.track(customer)
            customer.owner_id = owner_id
            customer.updated_at = at
            await uow.customers.update(customer, self._company_key(customer.name))
        for contact in await uow.contacts.for_customer(customer.id):
            if contact.owner_id == previous and contact.owner_id != owner_id:
                journal.track(contact)
                contact.owner_id = owner_id
                contact.updated_at = at
                await uow.contacts.update(contact, contact_keys(self.normalizer, contact, customer.name))
        for deal in await uow.deals.for_customer(customer.id):
            if deal.status is DealStatus.OPEN and deal.owner_id != owner_id:
                journal.track(deal)
                deal.owner_id = owner_id
                deal.updated_at = at
                await uow.deals.update(deal)

    async def _interaction(
        self,
        uow: UnitOfWork,
        lead: LeadInput,
        at: datetime,
        customer: Customer,
        contact: Contact | None,
        deal: Deal | None,
        pool_owner: Member,
    ) -> Interaction | None:
        if not lead.content.strip():
            return None
        return await uow.interactions.add(
            Interaction(
                id=0,
                team_id=lead.team_id,
                author_id=lead.author_id or pool_owner.id,
                source=Source.LEAD,
                content=lead.content,
                facts=lead.facts.to_json(),
                created_at=at,
                customer_id=customer.id,
                contact_id=contact.id if contact else None,
                deal_id=deal.id if deal else None,
            )
        )

    async def _record(
        self,
        uow: UnitOfWork,
        lead: LeadInput,
        source: LeadSource,
        at: datetime,
        customer: Customer,
        contact: Contact | None,
        decision: Decision | None,
        reason: dict[str, Any] | None,
        journal: Journal,
        owner: Member,
        pool_owner: Member,
        *,
        existing: bool = False,
    ) -> Lead:
        deal = next(
            (d for d in await uow.deals.for_customer(customer.id) if d.status is DealStatus.OPEN), None
        )
        interaction = await self._interaction(uow, lead, at, customer, contact, deal, pool_owner)
        in_pool = owner.id == pool_owner.id
        located = decision.located if decision else Located()
        row = Lead(
            id=0,
            team_id=lead.team_id,
            customer_id=customer.id,
            source=source,
            status=LeadStatus.POOL if in_pool else LeadStatus.ASSIGNED,
            created_at=at,
            contact_id=contact.id if contact else None,
            interaction_id=interaction.id if interaction else None,
            origin=lead.origin,
            assignee_id=None if in_pool else owner.id,
            assigned_by=None if in_pool else (AssignedBy.EXISTING if existing else AssignedBy.ROUTING),
            assigned_at=None if in_pool else at,
            pool=(decision.pool if decision else None) if in_pool else None,
            territory=decision.territory if decision else None,
            region=decision.region.key if decision and decision.region else None,
            division=located.division,
            candidates=list(located.candidates) if located.ambiguous else [],
            country=located.country,
            reason=reason or (decision.reason if decision else {}),
            idempotency_key=lead.idempotency_key,
            external_ref=lead.external_ref,
        )
        if in_pool:
            await enter_pool(
                uow, row, decision.pool if decision and decision.pool else None, at, self, lead.team_id
            )
        else:
            row.notify = True
        await uow.leads.add(row)
        detail = {
            "source": source.value,
            "reason": row.reason,
            "assignee": row.assignee_id,
            "pool": row.pool,
            "territory": row.territory,
            "division": located.division.to_json() if located.division else None,
        }
        await audit.record_for(
            uow, lead.team_id, lead.author_id, "lead.routed", ("lead", row.id), detail, at, journal
        )
        return row

    def _company_key(self, name: str | None) -> str:
        return self.normalizer.company_key(name) if name else ""


async def enter_pool(
    uow: UnitOfWork, lead: Lead, pool: str | None, at: datetime, router: LeadRouter, team_id: int
) -> None:
    """A lead starts waiting: its pool, when its alerts fall due, and a notice when the region is
    unclear (the manager picks it)."""
    territories = await router.territories(uow, team_id)
    lead.status = LeadStatus.POOL
    lead.assignee_id = None
    lead.assigned_by = None
    lead.assigned_at = None
    lead.pool = pool or lead.pool or territories.default_pool
    lead.pooled_at = at
    lead.alert_stage = 0
    lead.alert_due_at = territories.add_working_time(at, territories.alerts.manager_after)
    lead.notify = lead.region_unclear


def _region_text(region: Region | None) -> str | None:
    return region.label() if region is not None and not region.is_empty() else None


def _with_region(facts: Facts, region: Region) -> Facts:
    import dataclasses

    return dataclasses.replace(facts, region=region)


def division_of(region: Region | None) -> Division | None:
    if region is None or not region.province:
        return None
    return Division(region.province, region.city, region.district)
