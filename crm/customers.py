"""Customers after capture: search, cards, corrections, attach, merge and undo.

Merges never delete: the merged record is marked `merged_into`, its interactions and deals move to
the survivor, and every field the merge changed is in its field journal (crm.journal), so that undoing
it takes back only what is still as the merge left it. /undo does the same for a capture. Corrections
are journaled too. Every record a capture or a button leads to is checked as /find checks: a rep
reaches only their own records.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from crm import audit, journal
from crm.capture import CAPTURE_SOURCES, CaptureResult, Outcome
from crm.errors import InputRejected, NotAllowed, NotFound
from crm.facts import Facts
from crm.journal import Journal, Undone
from crm.model import (
    Commitment,
    Contact,
    Customer,
    Deal,
    DuplicateFlag,
    DuplicateStatus,
    FieldChange,
    FollowUp,
    Interaction,
    Member,
    Merge,
    Reminder,
    ReminderStatus,
)
from crm.ports import Clock, Normalizer, UnitOfWork, UnitOfWorkFactory
from crm.profile import completeness, missing_core
from crm.records import (
    can_see,
    contact_keys,
    fill_contact_from,
    fill_customer_from,
    open_deal,
    sees_contact,
    visible_customer,
)
from crm.stages import Funnel, team_funnel
from crm.text import one_line

logger = logging.getLogger(__name__)

SEARCH_LIMIT = 10
HISTORY_LIMIT = 10
_EMAIL_SHAPE = "@"


class EditableField(StrEnum):
    CUSTOMER = "customer"
    CONTACT = "contact"
    TITLE = "title"
    PHONE = "phone"
    EMAIL = "email"
    WECHAT = "wechat"
    ADDRESS = "address"
    BUDGET = "budget"


@dataclass(frozen=True, slots=True)
class Found:
    """A /find hit: a customer with the people of theirs who matched, or a person with no customer."""

    customer: Customer | None
    people: tuple[Contact, ...] = ()


@dataclass(slots=True)
class CustomerCard:
    customer: Customer
    contacts: list[Contact]
    deals: list[Deal]
    interactions: list[Interaction]
    commitments: list[Commitment]
    interaction_count: int = 0
    funnel: Funnel | None = None  # the team's, to name each deal's stage as the team does


@dataclass(slots=True)
class MergeResult:
    merge: Merge
    survivor: Contact
    customer: Customer | None


@dataclass(slots=True)
class UndoResult:
    """/undo: the capture taken back, and what of it was reverted, archived or kept (changed since)."""

    interaction: Interaction
    undone: Undone = field(default_factory=Undone)


@dataclass(slots=True)
class MergeUndoResult:
    merge: Merge
    undone: Undone = field(default_factory=Undone)


class CustomerService:
    """Reading and correcting customers and contacts a member may see."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, normalizer: Normalizer) -> None:
        self._uow = uow
        self._clock = clock
        self._normalizer = normalizer

    # --- reading ------------------------------------------------------------------------------

    async def find(self, actor: Member, text: str) -> list[Customer]:
        query = one_line(text, limit=100)
        async with self._uow(read_only=True) as uow:
            return await uow.customers.search(actor.team_id, self._owner_filter(actor), query, SEARCH_LIMIT)

    async def search(self, actor: Member, text: str) -> list[Found]:
        """/find: the customers whose name or people match, each with the people who matched (so that
        "李明" answers with 李明 at his company), then matching people who have no customer yet. Only
        what the member may see."""
        query = one_line(text, limit=100)
        owner = self._owner_filter(actor)
        async with self._uow(read_only=True) as uow:
            customers = await uow.customers.search(actor.team_id, owner, query, SEARCH_LIMIT)
            people = await uow.contacts.matching(
                actor.team_id, query, [c.id for c in customers], owner, SEARCH_LIMIT * 3
            )
        found = [
            Found(c, tuple(p for p in people if p.customer_id == c.id and sees_contact(actor, p, c)))
            for c in customers
        ]
        unattached = [p for p in people if p.customer_id is None and sees_contact(actor, p, None)]
        return found + [Found(None, (p,)) for p in unattached[: max(0, SEARCH_LIMIT - len(found))]]

    async def recent(self, actor: Member, limit: int = 8) -> list[Customer]:
        async with self._uow(read_only=True) as uow:
            return await uow.customers.recent(actor.team_id, self._owner_filter(actor), limit)

    async def card(self, actor: Member, name_or_id: str | int) -> CustomerCard | list[Customer]:
        """One customer's card, or the list of matches when the name is ambiguous."""
        async with self._uow(read_only=True) as uow:
            if isinstance(name_or_id, int):
                customer = await self._visible_customer(uow, actor, name_or_id)
            else:
                matches = await uow.customers.search(
                    actor.team_id, self._owner_filter(actor), one_line(name_or_id, 100), SEARCH_LIMIT
                )
                if not matches:
                    raise NotFound("customer.not_found", query=name_or_id)
                exact = [c for c in matches if (c.name or "").lower() == name_or_id.strip().lower()]
                if len(matches) > 1 and len(exact) != 1:
                    return matches
                customer = exact[0] if exact else matches[0]
            return CustomerCard(
                customer=customer,
                contacts=await uow.contacts.for_customer(customer.id),
                deals=await uow.deals.for_customer(customer.id),
                interactions=await uow.interactions.for_customer(customer.id, HISTORY_LIMIT),
                commitments=[c for c in await uow.commitments.for_customer(customer.id) if c.done_at is None],
                interaction_count=await uow.interactions.count_for_customer(customer.id),
                funnel=team_funnel(team.settings if (team := await uow.teams.get(actor.team_id)) else {}),
            )

    async def lead(self, actor: Member, interaction_id: int) -> CaptureResult:
        """The lead card of a capture as it stands now."""
        async with self._uow(read_only=True) as uow:
            return await self._lead(uow, actor, interaction_id, Outcome.UPDATED, None)

    # --- corrections ----------------------------------------------------------------------------

    async def confirm(self, actor: Member, interaction_id: int) -> CaptureResult:
        async with self._uow() as uow:
            interaction, customer, _ = await self._capture(uow, actor, interaction_id)
            changes = Journal()
            if customer is not None and not customer.confirmed:
                changes.track(customer)
                customer.confirmed = True
                customer.updated_at = self._clock.now()
                await uow.customers.update(customer, self._company_key(customer.name))
            await audit.record(
                uow, actor, "lead.confirmed", ("interaction", interaction.id), {}, self._clock.now(), changes
            )
            result = await self._lead(uow, actor, interaction_id, Outcome.UPDATED, None)
            await uow.commit()
        return result

    async def set_follow_up(self, actor: Member, interaction_id: int, status: FollowUp) -> CaptureResult:
        async with self._uow() as uow:
            _, customer, _ = await self._capture(uow, actor, interaction_id)
            if customer is None:
                raise NotFound()
            before = completeness(customer, None)
            changes = Journal()
            changes.track(customer)
            old = customer.follow_up
            customer.follow_up = status
            customer.updated_at = self._clock.now()
            await uow.customers.update(customer, self._company_key(customer.name))
            await audit.record(
                uow,
                actor,
                "customer.follow_up",
                ("customer", customer.id),
                {"before": old.value if old else None, "after": status.value},
                self._clock.now(),
                changes,
            )
            result = await self._lead(uow, actor, interaction_id, Outcome.UPDATED, before)
            await uow.commit()
        return result

    async def edit(
        self, actor: Member, interaction_id: int, name: EditableField, raw: str, *, replace: str | None = None
    ) -> CaptureResult:
        """Sets one field of the captured customer or contact to what the member typed. A phone or
        e-mail is added first; with `replace` (a value read wrong, e.g. by OCR) it takes that one's place."""
        value = one_line(raw, limit=300)
        async with self._uow() as uow:
            interaction, customer, contact = await self._capture(uow, actor, interaction_id)
            now = self._clock.now()
            before_score = completeness(customer, contact)
            changes = Journal()
            if name is EditableField.CUSTOMER or name is EditableField.BUDGET:
                if customer is None:
                    customer = await self._customer_for(uow, actor, interaction, contact, now, changes)
                changes.track(customer)
                if name is EditableField.CUSTOMER:
                    customer.name = value
                else:
                    amount = self._normalizer.money(value)
                    if amount is None:
                        raise InputRejected("edit.bad_budget", value=value)
                    customer.budget_cny, customer.budget_min_cny = amount, None
                customer.updated_at = now
                await uow.customers.update(customer, self._company_key(customer.name))
                if contact is not None:
                    await uow.contacts.update(contact, contact_keys(self._normalizer, contact, customer.name))
            else:
                if contact is None:
                    contact = await self._contact_for(uow, actor, interaction, customer, now, changes)
                changes.track(contact)
                self._set_contact_field(contact, name, value, replace)
                contact.updated_at = now
                await uow.contacts.update(
                    contact, contact_keys(self._normalizer, contact, customer.name if customer else None)
                )
            await audit.record(
                uow,
                actor,
                "field.edited",
                ("interaction", interaction.id),
                {"field": name.value},
                self._clock.now(),
                changes,
            )
            result = await self._lead(uow, actor, interaction_id, Outcome.UPDATED, before_score)
            await uow.commit()
        return result

    def _set_contact_field(
        self, contact: Contact, name: EditableField, value: str, replace: str | None = None
    ) -> None:
        if name is EditableField.CONTACT:
            contact.name = value
        elif name is EditableField.TITLE:
            contact.title = value
        elif name is EditableField.PHONE:
            phone = self._normalizer.phone(value)
            if phone is None:
                raise InputRejected("edit.bad_phone", value=value)
            kept = [p for p in contact.phones if p != replace]
            contact.phones = list(dict.fromkeys([phone, *kept]))
        elif name is EditableField.EMAIL:
            if _EMAIL_SHAPE not in value or " " in value:
                raise InputRejected("edit.bad_email", value=value)
            kept = [e for e in contact.emails if not replace or e.lower() != replace.lower()]
            contact.emails = list(dict.fromkeys([value.lower(), *kept]))
        elif name is EditableField.WECHAT:
            contact.wechat_id = value
        elif name is EditableField.ADDRESS:
            contact.address = value

    async def _customer_for(
        self,
        uow: UnitOfWork,
        actor: Member,
        interaction: Interaction,
        contact: Contact | None,
        now: datetime,
        changes: Journal,
    ) -> Customer:
        customer = await uow.customers.add(
            Customer(
                id=0, team_id=actor.team_id, owner_id=actor.id, name=None, created_at=now, updated_at=now
            ),
            "",
        )
        changes.created(customer)
        changes.track(interaction)
        interaction.customer_id = customer.id
        await uow.interactions.update(interaction)
        if contact is not None:
            changes.track(contact)
            contact.customer_id = customer.id
        return customer

    async def _contact_for(
        self,
        uow: UnitOfWork,
        actor: Member,
        interaction: Interaction,
        customer: Customer | None,
        now: datetime,
        changes: Journal,
    ) -> Contact:
        contact = Contact(
            id=0,
            team_id=actor.team_id,
            owner_id=actor.id,
            customer_id=customer.id if customer else None,
            name=None,
            created_at=now,
            updated_at=now,
        )
        await uow.contacts.add(contact, [])
        changes.created(contact)
        changes.track(interaction)
        interaction.contact_id = contact.id
        await uow.interactions.update(interaction)
        return contact

    # --- attach and merge ---------------------------------------------------------------------

    async def attach(self, actor: Member, interaction_id: int, customer_id: int) -> CaptureResult:
        """Moves a capture's contact to an existing customer. A customer the capture created is merged
        into that one (journaled like any merge, nothing deleted)."""
        async with self._uow() as uow:
            interaction, current, contact = await self._capture(uow, actor, interaction_id)
            target = await self._visible_customer(uow, actor, customer_id)
            now = self._clock.now()
            if current is not None and current.id != target.id:
                await self._merge_customers(uow, actor, target, current, now, contacts_too=True)
                interaction = await uow.interactions.get(interaction_id) or interaction
            changes = Journal()
            changes.track(interaction)
            if contact is not None and contact.customer_id != target.id:
                contact = await uow.contacts.get(contact.id) or contact
                if contact.customer_id != target.id:
                    changes.track(contact)
                    contact.customer_id = target.id
                    contact.updated_at = now
                    await uow.contacts.update(contact, contact_keys(self._normalizer, contact, target.name))
            interaction.customer_id = target.id
            await uow.interactions.update(interaction)
            await audit.record(
                uow,
                actor,
                "capture.attached",
                ("interaction", interaction.id),
                {"customer": target.id},
                now,
                changes,
            )
            result = await self._lead(uow, actor, interaction_id, Outcome.UPDATED, None)
            await uow.commit()
        return result

    async def merge(self, actor: Member, flag_id: int) -> MergeResult:
        """Merges the newer contact of a duplicate flag into the older one."""
        async with self._uow() as uow:
            flag = await uow.duplicates.get(flag_id)
            if flag is None or flag.team_id != actor.team_id:
                raise NotFound()
            if flag.status is not DuplicateStatus.OPEN:
                raise InputRejected("merge.already_decided")
            survivor = await self._visible_contact(uow, actor, flag.candidate_id)
            merged = await self._visible_contact(uow, actor, flag.contact_id)
            now = self._clock.now()
            changes = Journal()
            await self._merge_contacts(uow, survivor, merged, now, changes)
            merge = await uow.merges.add(
                Merge(
                    id=0,
                    team_id=actor.team_id,
                    kind="contact",
                    survivor_id=survivor.id,
                    merged_id=merged.id,
                    actor_id=actor.id,
                    detail={"flag": flag.id},
                    created_at=now,
                )
            )
            flag.status = DuplicateStatus.MERGED
            await uow.duplicates.update(flag)
            await audit.record(
                uow,
                actor,
                "merge",
                ("contact", survivor.id),
                {"merge": merge.id, "merged": merged.id},
                now,
                changes,
            )
            customer = await uow.customers.get(survivor.customer_id) if survivor.customer_id else None
            await uow.commit()
        return MergeResult(merge=merge, survivor=survivor, customer=customer)

    async def review(self, actor: Member, limit: int = 10) -> list[tuple[DuplicateFlag, Contact, Contact]]:
        """/review: open duplicate flags of the team (managers and admins), each with both contacts."""
        if not actor.role.sees_team:
            raise NotAllowed()
        found: list[tuple[DuplicateFlag, Contact, Contact]] = []
        async with self._uow(read_only=True) as uow:
            for flag in await uow.duplicates.open_for_team(actor.team_id, limit):
                new = await uow.contacts.get(flag.contact_id)
                old = await uow.contacts.get(flag.candidate_id)
                if (
                    new is not None
                    and old is not None
                    and new.merged_into is None
                    and old.merged_into is None
                ):
                    found.append((flag, new, old))
        return found

    async def keep_separate(self, actor: Member, flag_id: int) -> None:
        async with self._uow() as uow:
            flag = await uow.duplicates.get(flag_id)
            if flag is None or flag.team_id != actor.team_id:
                raise NotFound()
            # Both contacts: a rep must not close a review of their contact against a colleague's.
            await self._visible_contact(uow, actor, flag.contact_id)
            await self._visible_contact(uow, actor, flag.candidate_id)
            flag.status = DuplicateStatus.DISMISSED
            await uow.duplicates.update(flag)
            await audit.record(
                uow,
                actor,
                "duplicate.kept_separate",
                ("contact", flag.contact_id),
                {"flag": flag.id},
                self._clock.now(),
            )
            await uow.commit()

    async def undo_merge(self, actor: Member, merge_id: int) -> MergeUndoResult:
        """Takes a merge back where nothing changed since: what moved goes back, the merged record
        returns, fields the merge filled are emptied again; later changes stay (and are listed)."""
        async with self._uow() as uow:
            merge = await uow.merges.get(merge_id)
            if merge is None or merge.team_id != actor.team_id:
                raise NotFound()
            if merge.undone_at is not None:
                raise InputRejected("merge.already_undone")
            if merge.actor_id != actor.id and not actor.role.sees_team:
                raise NotAllowed()
            now = self._clock.now()
            entry = next(
                (
                    e
                    for e in await uow.audit.for_target(merge.kind, merge.survivor_id)
                    if e.action == "merge" and e.detail.get("merge") == merge.id
                ),
                None,
            )
            if entry is not None:
                changes = await journal.operation_changes(uow, entry, merge)
            else:
                changes = journal.legacy_changes(merge.detail, merge)
            await self._check_touched(uow, actor, changes)
            undone = await journal.undo(uow, changes, normalizer=self._normalizer, now=now, operation=entry)
            merge.undone_at = now
            await uow.merges.update(merge)
            flag_id = merge.detail.get("flag")
            if flag_id is not None:
                flag = await uow.duplicates.get(int(flag_id))
                if flag is not None:
                    flag.status = DuplicateStatus.OPEN
                    await uow.duplicates.update(flag)
            await audit.record(
                uow,
                actor,
                "merge.undone",
                (merge.kind, merge.survivor_id),
                {"merge": merge.id, "kept": len(undone.kept)},
                now,
                undone.journal,
            )
            await uow.commit()
        return MergeUndoResult(merge, undone)

    async def _check_touched(self, uow: UnitOfWork, actor: Member, changes: list[FieldChange]) -> None:
        """Every customer, contact and deal an undo would write must be one the member may see."""
        seen: set[tuple[str, int]] = set()
        for change in changes:
            key = (change.record_type, change.record_id)
            if key in seen:
                continue
            seen.add(key)
            record: Customer | Contact | Deal | None = None
            if change.record_type == "customer":
                record = await uow.customers.get(change.record_id)
            elif change.record_type == "contact":
                record = await uow.contacts.get(change.record_id)
            elif change.record_type == "deal":
                record = await uow.deals.get(change.record_id)
            if record is not None and not can_see(actor, record.owner_id, record.team_id):
                raise NotFound()

    async def _merge_contacts(
        self, uow: UnitOfWork, survivor: Contact, merged: Contact, now: datetime, changes: Journal
    ) -> None:
        changes.track(survivor, merged)
        fill_contact_from(survivor, merged)
        survivor.updated_at = now
        merged.merged_into = survivor.id
        merged.updated_at = now
        if merged.customer_id is not None and merged.customer_id != survivor.customer_id:
            merged_customer = await uow.customers.get(merged.customer_id)
            survivor_customer = (
                await uow.customers.get(survivor.customer_id) if survivor.customer_id else None
            )
            others = [c for c in await uow.contacts.for_customer(merged.customer_id) if c.id != merged.id]
            if merged_customer is not None and survivor_customer is not None and not others:
                await self._fold_customer(uow, survivor_customer, merged_customer, now, changes)
        for interaction in await uow.interactions.for_contact(merged.id):
            changes.track(interaction)
            interaction.contact_id = survivor.id
            interaction.customer_id = survivor.customer_id or interaction.customer_id
            await uow.interactions.update(interaction)
        survivor_company = await self._customer_name(uow, survivor.customer_id)
        await uow.contacts.update(merged, [])
        await uow.contacts.update(survivor, contact_keys(self._normalizer, survivor, survivor_company))

    async def _merge_customers(
        self,
        uow: UnitOfWork,
        actor: Member,
        survivor: Customer,
        merged: Customer,
        now: datetime,
        *,
        contacts_too: bool,
    ) -> Merge:
        changes = Journal()
        await self._fold_customer(uow, survivor, merged, now, changes)
        if contacts_too:
            for contact in await uow.contacts.for_customer(merged.id):
                changes.track(contact)
                contact.customer_id = survivor.id
                contact.updated_at = now
                await uow.contacts.update(contact, contact_keys(self._normalizer, contact, survivor.name))
        merge = await uow.merges.add(
            Merge(
                id=0,
                team_id=actor.team_id,
                kind="customer",
                survivor_id=survivor.id,
                merged_id=merged.id,
                actor_id=actor.id,
                detail={},
                created_at=now,
            )
        )
        await audit.record(
            uow,
            actor,
            "merge",
            ("customer", survivor.id),
            {"merge": merge.id, "merged": merged.id},
            now,
            changes,
        )
        return merge

    async def _fold_customer(
        self, uow: UnitOfWork, survivor: Customer, merged: Customer, now: datetime, changes: Journal
    ) -> None:
        """Moves a customer's interactions, deals and commitments to the survivor and marks it merged."""
        changes.track(survivor, merged)
        fill_customer_from(survivor, merged)
        survivor.updated_at = now
        merged.merged_into = survivor.id
        merged.updated_at = now
        for interaction in await uow.interactions.for_customer(merged.id, limit=100_000):
            changes.track(interaction)
            interaction.customer_id = survivor.id
            await uow.interactions.update(interaction)
        for deal in await uow.deals.for_customer(merged.id):
            changes.track(deal)
            deal.customer_id = survivor.id
            await uow.deals.update(deal)
        for commitment in await uow.commitments.for_customer(merged.id):
            changes.track(commitment)
            commitment.customer_id = survivor.id
            await uow.commitments.update(commitment)
        await uow.customers.update(survivor, self._company_key(survivor.name))
        await uow.customers.update(merged, self._company_key(merged.name))

    # --- undo ---------------------------------------------------------------------------------

    async def undo_last_capture(self, actor: Member) -> UndoResult:
        """/undo: takes back the member's last capture where nothing changed since. The interaction
        itself is kept, marked undone; its reminders are cancelled and its commitments closed."""
        async with self._uow() as uow:
            interaction = await uow.interactions.last_by_author(actor.id, CAPTURE_SOURCES)
            if interaction is None:
                raise NotFound("undo.nothing")
            now = self._clock.now()
            entry = await journal.capture_operation(uow, interaction.id)
            changes = await journal.operation_changes(uow, entry) if entry is not None else []
            undone = await journal.undo(
                uow,
                changes,
                normalizer=self._normalizer,
                now=now,
                operation=entry,
                own_interactions={interaction.id},
            )
            for reminder in await uow.reminders.for_interaction(interaction.id):
                if reminder.status in (ReminderStatus.PENDING, ReminderStatus.DELIVERED):
                    reminder.status = ReminderStatus.CANCELLED
                    await uow.reminders.update(reminder)
            for commitment in await uow.commitments.for_interaction(interaction.id):
                if commitment.done_at is None:
                    undone.journal.track(commitment)
                    commitment.done_at = now
                    await uow.commitments.update(commitment)
            flag_id = entry.detail.get("flag") if entry is not None else None
            if flag_id:
                flag = await uow.duplicates.get(int(flag_id))
                if flag is not None and flag.status is DuplicateStatus.OPEN:
                    flag.status = DuplicateStatus.DISMISSED
                    await uow.duplicates.update(flag)
            undone.journal.track(interaction)
            interaction.undone_at = now
            await uow.interactions.update(interaction)
            await audit.record(
                uow,
                actor,
                "capture.undone",
                ("interaction", interaction.id),
                {"kept": len(undone.kept)},
                now,
                undone.journal,
            )
            await uow.commit()
        return UndoResult(interaction=interaction, undone=undone)

    # --- helpers ------------------------------------------------------------------------------

    def _owner_filter(self, actor: Member) -> int | None:
        return None if actor.role.sees_team else actor.id

    async def _visible_customer(self, uow: UnitOfWork, actor: Member, customer_id: int) -> Customer:
        return await visible_customer(uow, actor, customer_id)

    async def _visible_contact(self, uow: UnitOfWork, actor: Member, contact_id: int) -> Contact:
        contact = await uow.contacts.get(contact_id)
        if contact is None or contact.merged_into is not None or contact.archived_at is not None:
            raise NotFound()
        customer = await uow.customers.get(contact.customer_id) if contact.customer_id else None
        if not sees_contact(actor, contact, customer):
            raise NotFound()
        return contact

    async def _capture(
        self, uow: UnitOfWork, actor: Member, interaction_id: int
    ) -> tuple[Interaction, Customer | None, Contact | None]:
        """A capture the actor made (or, for managers, one in their team), with its live records."""
        interaction = await uow.interactions.get(interaction_id)
        if interaction is None or interaction.team_id != actor.team_id or interaction.undone_at is not None:
            raise NotFound()
        if interaction.author_id != actor.id and not actor.role.sees_team:
            raise NotFound()
        customer = await uow.customers.get(interaction.customer_id) if interaction.customer_id else None
        contact = await uow.contacts.get(interaction.contact_id) if interaction.contact_id else None
        # Follow merges: the capture's records may since have been merged into survivors.
        while customer is not None and customer.merged_into is not None:
            customer = await uow.customers.get(customer.merged_into)
        while contact is not None and contact.merged_into is not None:
            contact = await uow.contacts.get(contact.merged_into)
        # What the capture leads to must be the member's to see, contact as well as customer: a capture
        # that matched a colleague's contact points at it, and its buttons must not reach it.
        if customer is not None and not can_see(actor, customer.owner_id, customer.team_id):
            raise NotFound()
        if contact is not None and not can_see(actor, contact.owner_id, contact.team_id):
            raise NotFound()
        return interaction, customer, contact

    async def _lead(
        self, uow: UnitOfWork, actor: Member, interaction_id: int, outcome: Outcome, before: int | None
    ) -> CaptureResult:
        interaction, customer, contact = await self._capture(uow, actor, interaction_id)
        deal = None
        if customer is not None:
            deal = await open_deal(uow, customer.id)
        score = completeness(customer, contact)
        return CaptureResult(
            outcome=outcome,
            facts=Facts.from_json(interaction.facts),
            interaction_id=interaction.id,
            customer=customer,
            contact=contact,
            deal=deal,
            completeness_before=score if before is None else before,
            completeness_after=score,
            missing=missing_core(customer, contact),
            commitments=await uow.commitments.for_interaction(interaction.id),
            reminders=[r for r in await uow.reminders.for_interaction(interaction.id) if _live_reminder(r)],
        )

    async def _customer_name(self, uow: UnitOfWork, customer_id: int | None) -> str | None:
        if customer_id is None:
            return None
        customer = await uow.customers.get(customer_id)
        return customer.name if customer else None

    def _company_key(self, name: str | None) -> str:
        return self._normalizer.company_key(name) if name else ""


def _live_reminder(reminder: Reminder) -> bool:
    return reminder.status in (ReminderStatus.PENDING, ReminderStatus.DELIVERED)
