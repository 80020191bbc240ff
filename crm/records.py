"""Building and updating customer and contact records from facts, and their dedup keys."""

from __future__ import annotations

from datetime import datetime

from crm import snapshot
from crm.dedup import Fingerprint, LookupKey
from crm.errors import NotFound
from crm.facts import Facts
from crm.model import Contact, Customer, Deal, DealStatus, FollowUp, Member
from crm.ports import Normalizer, UnitOfWork
from crm.stages import FIRST_STAGE_KEY


async def open_deal(uow: UnitOfWork, customer_id: int) -> Deal | None:
    """The customer's open deal (the oldest, when a customer has several)."""
    return next((d for d in await uow.deals.for_customer(customer_id) if d.status is DealStatus.OPEN), None)


async def open_first_deal(
    uow: UnitOfWork, actor: Member, customer: Customer, facts: Facts, now: datetime
) -> Deal:
    """A new customer's first deal, in the funnel's first stage, owned by whoever brought the customer
    in, named after the customer (or the person, for a customer without a name yet)."""
    return await uow.deals.add(
        Deal(
            id=0,
            team_id=actor.team_id,
            customer_id=customer.id,
            owner_id=actor.id,
            title=customer.name or facts.name or "",
            stage=FIRST_STAGE_KEY,
            status=DealStatus.OPEN,
            stage_entered_at=now,
            created_at=now,
            updated_at=now,
            amount_cny=facts.budget_cny,
        )
    )


def can_see(actor: Member, owner_id: int, team_id: int) -> bool:
    """A rep sees their own records; managers and admins their whole team's (the rule /find applies)."""
    if actor.team_id != team_id:
        return False
    return actor.role.sees_team or owner_id == actor.id


def sees_contact(actor: Member, contact: Contact, customer: Customer | None) -> bool:
    """Whether `actor` may see a contact reached from a capture or a button: the contact is theirs (their
    team's, for managers) and so is the customer it belongs to, if any. `customer` is the contact's."""
    if not can_see(actor, contact.owner_id, contact.team_id):
        return False
    if contact.customer_id is None:
        return True
    return (
        customer is not None
        and customer.id == contact.customer_id
        and can_see(actor, customer.owner_id, customer.team_id)
    )


async def visible_customer(uow: UnitOfWork, actor: Member, customer_id: int) -> Customer:
    """The customer, when it is live (neither merged nor archived) and `actor` may see it; raises
    NotFound otherwise."""
    customer = await uow.customers.get(customer_id)
    if (
        customer is None
        or customer.merged_into is not None
        or customer.archived_at is not None
        or not can_see(actor, customer.owner_id, customer.team_id)
    ):
        raise NotFound("customer.not_found", query=str(customer_id))
    return customer


def new_customer(actor: Member, facts: Facts, now: datetime) -> Customer:
    customer = Customer(
        id=0,
        team_id=actor.team_id,
        owner_id=actor.id,
        name=facts.company,
        created_at=now,
        updated_at=now,
    )
    apply_to_customer(customer, facts)
    if customer.follow_up is None and facts.next_meeting is not None:
        customer.follow_up = FollowUp.MEETING
    return customer


def apply_to_customer(customer: Customer, facts: Facts) -> bool:
    """Adds what the facts say to the customer; True if anything changed. Newer budget, timeline and
    meeting replace older ones (a later conversation is the better source); a name or place already
    known is kept."""
    before = snapshot.dump(customer)
    customer.name = customer.name or facts.company
    customer.address = customer.address or facts.address
    customer.region = customer.region or facts.region
    customer.website = customer.website or facts.website
    if facts.budget_cny is not None:
        customer.budget_cny = facts.budget_cny
        customer.budget_min_cny = facts.budget_min_cny
    if facts.timeline:
        customer.timeline = facts.timeline
        customer.timeline_by = facts.timeline_by
    if facts.next_meeting is not None:
        customer.next_meeting = facts.next_meeting
    customer.needs = _union(customer.needs, facts.needs)
    customer.keywords = _union(customer.keywords, facts.keywords)
    return snapshot.dump(customer) != before


def new_contact(actor: Member, customer_id: int | None, facts: Facts, now: datetime) -> Contact:
    contact = Contact(
        id=0,
        team_id=actor.team_id,
        owner_id=actor.id,
        customer_id=customer_id,
        name=facts.name,
        created_at=now,
        updated_at=now,
    )
    apply_to_contact(contact, facts)
    return contact


def apply_to_contact(contact: Contact, facts: Facts) -> bool:
    """Fills the contact's empty fields and adds new phones and e-mails; never overwrites."""
    before = snapshot.dump(contact)
    contact.name = contact.name or facts.name
    contact.title = contact.title or facts.title
    contact.phones = _union(contact.phones, facts.phones)
    contact.emails = _union(contact.emails, facts.emails)
    contact.wechat_id = contact.wechat_id or facts.wechat_id
    contact.website = contact.website or facts.website
    contact.address = contact.address or facts.address
    contact.region = contact.region or facts.region
    return snapshot.dump(contact) != before


def fill_contact_from(survivor: Contact, other: Contact) -> None:
    """A merge: the survivor keeps its values and takes what only the other record knew."""
    survivor.name = survivor.name or other.name
    survivor.title = survivor.title or other.title
    survivor.phones = _union(survivor.phones, other.phones)
    survivor.emails = _union(survivor.emails, other.emails)
    survivor.wechat_id = survivor.wechat_id or other.wechat_id
    survivor.qq = survivor.qq or other.qq
    survivor.website = survivor.website or other.website
    survivor.address = survivor.address or other.address
    survivor.region = survivor.region or other.region
    survivor.decision_role = survivor.decision_role or other.decision_role


def fill_customer_from(survivor: Customer, other: Customer) -> None:
    survivor.name = survivor.name or other.name
    survivor.address = survivor.address or other.address
    survivor.region = survivor.region or other.region
    survivor.website = survivor.website or other.website
    survivor.follow_up = survivor.follow_up or other.follow_up
    if survivor.budget_cny is None:
        survivor.budget_cny = other.budget_cny
        survivor.budget_min_cny = other.budget_min_cny
    survivor.timeline = survivor.timeline or other.timeline
    survivor.timeline_by = survivor.timeline_by or other.timeline_by
    survivor.next_meeting = survivor.next_meeting or other.next_meeting
    survivor.needs = _union(survivor.needs, other.needs)
    survivor.keywords = _union(survivor.keywords, other.keywords)


def _union(existing: list[str], new: tuple[str, ...] | list[str]) -> list[str]:
    return list(dict.fromkeys([*existing, *new]))


def fingerprint(
    normalizer: Normalizer,
    *,
    name: str | None,
    company: str | None,
    contact: Contact | None = None,
    facts: Facts | None = None,
) -> Fingerprint:
    """The dedup fingerprint of a contact record or of the facts of a capture."""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    wechat: str | None = None
    if contact is not None:
        phones, emails, wechat = tuple(contact.phones), tuple(contact.emails), contact.wechat_id
    elif facts is not None:
        phones, emails, wechat = facts.phones, facts.emails, facts.wechat_id
    return Fingerprint(
        phones=phones,
        emails=emails,
        wechat_id=wechat,
        name_key=normalizer.person_key(name) if name else "",
        company_key=normalizer.company_key(company) if company else "",
    )


def contact_keys(normalizer: Normalizer, contact: Contact, company: str | None) -> list[LookupKey]:
    return fingerprint(normalizer, name=contact.name, company=company, contact=contact).all_keys()
