"""A fake unit of work and fake repositories (cosmicpython's FakeUnitOfWork): crm's services run on
plain dictionaries, so their unit tests need no database.

The fakes keep the real repositories' contracts where services rely on them: records come back as
copies (a service that changes a record and does not save it changes nothing), leaving a unit of
work without `commit()` discards what it wrote, uniqueness rules raise StorageConflict, and a commit
publishes the pending reminders it wrote. tests/integration/test_storage.py runs the queries that
matter on these fakes and on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Generic, TypeVar

from crm.dedup import LookupKey
from crm.errors import StorageConflict
from crm.events import Event, ReminderScheduled, Subscriber
from crm.health import DealSnapshot
from crm.model import (
    AdminClaim,
    AuditEntry,
    Channel,
    Commitment,
    Contact,
    Customer,
    Deal,
    DealEvidence,
    DealStatus,
    DigestStatus,
    DuplicateFlag,
    DuplicateStatus,
    EvidenceStatus,
    FieldChange,
    Holdings,
    Identity,
    Interaction,
    Invite,
    Job,
    JobStatus,
    LinkCode,
    Member,
    MenuChoice,
    Merge,
    NewJob,
    Reminder,
    ReminderStatus,
    Role,
    Source,
    StageChange,
    StoredFile,
    Team,
    Transfer,
)
from tests.support import fake_history

T = TypeVar("T")


class FakeDatabase:
    """The committed rows, by table and key."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {}
        self._ids: dict[str, int] = {}

    def next_id(self, table: str) -> int:
        self._ids[table] = self._ids.get(table, 0) + 1
        return self._ids[table]


class _Table(Generic[T]):
    """One table as a unit of work sees it: the committed rows, then its own writes on top."""

    def __init__(self, uow: FakeUnitOfWork, name: str) -> None:
        self._uow = uow
        self.name = name

    def _rows(self) -> list[T]:
        return [copy.deepcopy(row) for row in self._uow.view(self.name).values()]

    def _row(self, key: Any) -> T | None:
        row: T | None = self._uow.view(self.name).get(key)
        return copy.deepcopy(row) if row is not None else None

    def _put(self, key: Any, row: T) -> None:
        self._uow.write(self.name, key, copy.deepcopy(row))

    def _insert(self, row: T) -> T:
        """Gives the row the next id, stores it, and returns it (as the real repositories do)."""
        row.id = self._uow.database.next_id(self.name)  # type: ignore[attr-defined]
        self._put(row.id, row)  # type: ignore[attr-defined]
        return row


def _live(record: Any) -> bool:
    return record.merged_into is None and record.archived_at is None


def _contains(text: str | None, part: str) -> bool:
    return text is not None and part.lower() in text.lower()


def _person_matches(contact: Contact, text: str) -> bool:
    """As the SQL does: a live contact whose name, or phone or e-mail list as JSON text, contains `text`."""
    return _live(contact) and (
        _contains(contact.name, text)
        or text in json.dumps(contact.phones)
        or _contains(json.dumps(contact.emails, ensure_ascii=False), text)
    )


def _recent_first(rows: Iterable[Any], field: str = "updated_at") -> list[Any]:
    return sorted(rows, key=lambda r: (getattr(r, field), r.id), reverse=True)


class TeamRepository(_Table[Team]):
    async def add(self, team: Team) -> Team:
        return self._insert(team)

    async def get(self, team_id: int) -> Team | None:
        return self._row(team_id)

    async def count(self) -> int:
        return len(self._rows())

    async def all(self) -> list[Team]:
        return sorted(self._rows(), key=lambda t: t.id)

    async def update(self, team: Team) -> None:
        self._put(team.id, team)

    async def lock(self, team_id: int) -> None:
        return None  # one unit of work at a time here


# As storage.repositories: `update` saves a member's preferences only.
_PREFERENCES = (
    "name",
    "lang",
    "lang_auto",
    "timezone",
    "quiet_start",
    "quiet_end",
    "weekend_to_monday",
    "awaiting",
)


class MemberRepository(_Table[Member]):
    async def add(self, member: Member) -> Member:
        return self._insert(member)

    async def get(self, member_id: int) -> Member | None:
        return self._row(member_id)

    async def update(self, member: Member) -> None:
        stored = self._row(member.id)
        if stored is not None:
            for name in _PREFERENCES:
                setattr(stored, name, getattr(member, name))
            self._put(member.id, stored)

    async def in_team(self, team_id: int, role: Role | None = None) -> list[Member]:
        found = [
            m for m in self._rows() if m.team_id == team_id and m.active and (role is None or m.role is role)
        ]
        return sorted(found, key=lambda m: m.id)

    async def roster(self, team_id: int) -> list[Member]:
        return sorted((m for m in self._rows() if m.team_id == team_id), key=lambda m: m.id)

    async def set_role(self, member_id: int, role: Role) -> None:
        stored = self._row(member_id)
        if stored is not None:
            self._put(member_id, dataclasses.replace(stored, role=role))

    async def set_active(self, member_id: int, active: bool, at: datetime) -> bool:
        stored = self._row(member_id)
        if stored is None or stored.active is active:
            return False
        self._put(
            member_id, dataclasses.replace(stored, active=active, deactivated_at=None if active else at)
        )
        return True


class IdentityRepository(_Table[Identity]):
    async def get(self, channel: Channel, external_id: str) -> Identity | None:
        return self._row((channel, external_id))

    async def add(self, identity: Identity) -> None:
        if self._row((identity.channel, identity.external_id)) is not None:
            raise StorageConflict("identity exists")
        self._uow.database.next_id(self.name)
        self._put((identity.channel, identity.external_id), identity)

    async def for_member(self, member_id: int) -> list[Identity]:
        return [i for i in self._rows() if i.member_id == member_id]


class InviteRepository(_Table[Invite]):
    async def add(self, invite: Invite) -> None:
        self._put(invite.code, invite)

    async def get(self, code: str) -> Invite | None:
        return self._row(code)

    async def update(self, invite: Invite) -> None:
        self._put(invite.code, invite)

    async def use(self, code: str, member_id: int, at: datetime) -> bool:
        invite = self._row(code)
        if invite is None or not invite.is_open(at):
            return False
        self._put(code, dataclasses.replace(invite, used_by=member_id, used_at=at))
        return True

    async def revoke(self, code: str, by: int | None, at: datetime) -> bool:
        invite = self._row(code)
        if invite is None or not invite.is_open(at):
            return False
        self._put(code, dataclasses.replace(invite, revoked_at=at, revoked_by=by))
        return True

    async def open_for_team(self, team_id: int, now: datetime) -> list[Invite]:
        found = [i for i in self._rows() if i.team_id == team_id and i.is_open(now)]
        return sorted(found, key=lambda i: (i.created_at, i.code))

    async def revoke_created_by(self, member_id: int, by: int | None, at: datetime) -> list[str]:
        codes = [i.code for i in self._rows() if i.created_by == member_id and i.is_open(at)]
        return sorted([code for code in codes if await self.revoke(code, by, at)])


class ClaimRepository(_Table[AdminClaim]):
    async def get(self) -> AdminClaim | None:
        return self._row(1)

    async def add(self, claim: AdminClaim) -> None:
        if self._row(1) is not None:
            raise StorageConflict("a claim exists")
        self._put(1, claim)

    async def spend(self, code: str | None, member_id: int, at: datetime) -> bool:
        claim = self._row(1)
        if claim is None or claim.used_at is not None or (code is not None and claim.code != code):
            return False
        self._put(1, dataclasses.replace(claim, used_at=at, used_by=member_id))
        return True


class OwnershipRepository:
    """storage.repositories.OwnershipRepository over the fake tables."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def _move(
        self,
        table: _Table[Any],
        field: str,
        team_id: int,
        from_id: int,
        to_id: int,
        open_only: Callable[[Any], bool],
    ) -> tuple[int, ...]:
        moved = []
        for row in table._rows():
            if row.team_id == team_id and getattr(row, field) == from_id and open_only(row):
                table._put(row.id, dataclasses.replace(row, **{field: to_id}))
                moved.append(row.id)
        return tuple(sorted(moved))

    async def transfer(self, team_id: int, from_id: int, to_id: int) -> Transfer:
        uow = self._uow
        return Transfer(
            customers=self._move(uow.customers, "owner_id", team_id, from_id, to_id, lambda _: True),
            contacts=self._move(uow.contacts, "owner_id", team_id, from_id, to_id, lambda _: True),
            deals=self._move(uow.deals, "owner_id", team_id, from_id, to_id, lambda _: True),
            commitments=self._move(
                uow.commitments, "owner_id", team_id, from_id, to_id, lambda c: c.done_at is None
            ),
            reminders=self._move(
                uow.reminders, "member_id", team_id, from_id, to_id, lambda r: r.status in _OPEN_REMINDER
            ),
        )

    async def holdings(self, team_id: int) -> dict[int, Holdings]:
        uow = self._uow
        counts: dict[int, list[int]] = {}
        for customer in uow.customers._rows():
            if customer.team_id == team_id and _live(customer):
                counts.setdefault(customer.owner_id, [0, 0, 0])[0] += 1
        for deal in uow.deals._rows():
            if deal.team_id == team_id and deal.status is DealStatus.OPEN and deal.archived_at is None:
                counts.setdefault(deal.owner_id, [0, 0, 0])[1] += 1
        for reminder in uow.reminders._rows():
            if reminder.team_id == team_id and reminder.status in _OPEN_REMINDER:
                counts.setdefault(reminder.member_id, [0, 0, 0])[2] += 1
        return {member: Holdings(*numbers) for member, numbers in counts.items()}


class CustomerRepository(_Table[Customer]):
    async def add(self, customer: Customer, name_key: str) -> Customer:
        self._insert(customer)
        self._uow.write("customer_names", customer.id, name_key)
        return customer

    async def get(self, customer_id: int) -> Customer | None:
        return self._row(customer_id)

    async def update(self, customer: Customer, name_key: str) -> None:
        self._put(customer.id, customer)
        self._uow.write("customer_names", customer.id, name_key)

    async def by_name_key(self, team_id: int, name_key: str) -> list[Customer]:
        keys = self._uow.view("customer_names")
        found = [c for c in self._rows() if c.team_id == team_id and keys.get(c.id) == name_key and _live(c)]
        return sorted(found, key=lambda c: c.id)

    async def search(self, team_id: int, owner_id: int | None, text: str, limit: int) -> list[Customer]:
        """Name, or a live contact's name, phones or e-mails containing `text` (as the SQL does: the
        phone and e-mail lists are searched as their JSON text)."""
        hits = {
            c.customer_id
            for c in self._uow.contacts._rows()
            if c.team_id == team_id and _person_matches(c, text)
        }
        found = [
            c
            for c in self._rows()
            if c.team_id == team_id
            and _live(c)
            and (owner_id is None or c.owner_id == owner_id)
            and (_contains(c.name, text) or c.id in hits)
        ]
        return sorted(found, key=lambda c: c.updated_at, reverse=True)[:limit]

    async def recent(self, team_id: int, owner_id: int | None, limit: int) -> list[Customer]:
        found = [
            c
            for c in self._rows()
            if c.team_id == team_id and _live(c) and (owner_id is None or c.owner_id == owner_id)
        ]
        return _recent_first(found)[:limit]


class ContactRepository(_Table[Contact]):
    async def add(self, contact: Contact, keys: Sequence[LookupKey]) -> Contact:
        self._insert(contact)
        self._write_keys(contact, keys)
        return contact

    async def get(self, contact_id: int) -> Contact | None:
        return self._row(contact_id)

    async def update(self, contact: Contact, keys: Sequence[LookupKey]) -> None:
        self._put(contact.id, contact)
        self._write_keys(contact, keys)

    def _write_keys(self, contact: Contact, keys: Sequence[LookupKey]) -> None:
        # Merged and archived contacts keep no keys, as in storage.repositories.
        kept = [] if not _live(contact) else list(dict.fromkeys(keys))
        self._uow.write("contact_keys", contact.id, (contact.team_id, kept))

    async def for_customer(self, customer_id: int) -> list[Contact]:
        return sorted(
            (c for c in self._rows() if c.customer_id == customer_id and _live(c)), key=lambda c: c.id
        )

    async def matching(
        self, team_id: int, text: str, customer_ids: Sequence[int], owner_id: int | None, limit: int
    ) -> list[Contact]:
        found = [
            c
            for c in self._rows()
            if c.team_id == team_id
            and _person_matches(c, text)
            and (
                c.customer_id in customer_ids
                or (c.customer_id is None and (owner_id is None or c.owner_id == owner_id))
            )
        ]
        return sorted(found, key=lambda c: c.id)[:limit]

    async def candidates(
        self, team_id: int, keys: Sequence[LookupKey], limit: int
    ) -> list[tuple[Contact, list[LookupKey]]]:
        wanted = set(keys)
        stored = self._uow.view("contact_keys")
        ids = sorted(cid for cid, (team, own) in stored.items() if team == team_id and wanted & set(own))[
            :limit
        ]
        found = []
        for contact_id in ids:
            contact = await self.get(contact_id)
            if contact is not None and _live(contact):
                found.append((contact, list(stored[contact_id][1])))
        return found


class DealRepository(_Table[Deal]):
    async def add(self, deal: Deal) -> Deal:
        return self._insert(deal)

    async def get(self, deal_id: int) -> Deal | None:
        return self._row(deal_id)

    async def update(self, deal: Deal) -> None:
        self._put(deal.id, deal)

    async def for_customer(self, customer_id: int) -> list[Deal]:
        return sorted(
            (d for d in self._rows() if d.customer_id == customer_id and d.archived_at is None),
            key=lambda d: d.id,
        )


class InteractionRepository(_Table[Interaction]):
    async def add(self, interaction: Interaction) -> Interaction:
        if interaction.external_key is not None and await self.by_external_key(interaction.external_key):
            raise StorageConflict("external_key is taken")
        return self._insert(interaction)

    async def get(self, interaction_id: int) -> Interaction | None:
        return self._row(interaction_id)

    async def update(self, interaction: Interaction) -> None:
        self._put(interaction.id, interaction)

    async def for_customer(self, customer_id: int, limit: int) -> list[Interaction]:
        found = [i for i in self._rows() if i.customer_id == customer_id and i.undone_at is None]
        return _recent_first(found, "created_at")[:limit]

    async def for_contact(self, contact_id: int) -> list[Interaction]:
        return sorted((i for i in self._rows() if i.contact_id == contact_id), key=lambda i: i.id)

    async def last_by_author(self, member_id: int, sources: Sequence[Source]) -> Interaction | None:
        found = [
            i
            for i in self._rows()
            if i.author_id == member_id and i.undone_at is None and i.source in sources
        ]
        return max(found, key=lambda i: i.id, default=None)

    async def count_for_customer(self, customer_id: int) -> int:
        return sum(1 for i in self._rows() if i.customer_id == customer_id and i.undone_at is None)

    async def by_external_key(self, key: str) -> Interaction | None:
        return next((i for i in self._rows() if i.external_key == key), None)

    async def by_source_since(self, source: Source, since: datetime, limit: int) -> list[Interaction]:
        found = [
            i for i in self._rows() if i.source is source and i.created_at >= since and i.undone_at is None
        ]
        return sorted(found, key=lambda i: i.id)[:limit]


class CommitmentRepository(_Table[Commitment]):
    async def add(self, commitment: Commitment) -> Commitment:
        return self._insert(commitment)

    async def get(self, commitment_id: int) -> Commitment | None:
        return self._row(commitment_id)

    async def update(self, commitment: Commitment) -> None:
        self._put(commitment.id, commitment)

    async def for_interaction(self, interaction_id: int) -> list[Commitment]:
        return sorted((c for c in self._rows() if c.interaction_id == interaction_id), key=lambda c: c.id)

    async def for_customer(self, customer_id: int) -> list[Commitment]:
        return sorted((c for c in self._rows() if c.customer_id == customer_id), key=lambda c: c.id)


_OPEN_REMINDER = (ReminderStatus.PENDING, ReminderStatus.DELIVERED)


class ReminderRepository(_Table[Reminder]):
    def __init__(self, uow: FakeUnitOfWork, name: str) -> None:
        super().__init__(uow, name)
        self.seen: list[Reminder] = []  # written in this unit of work; published after its commit

    async def add(self, reminder: Reminder) -> Reminder:
        self._insert(reminder)
        self.seen.append(copy.deepcopy(reminder))
        return reminder

    async def get(self, reminder_id: int) -> Reminder | None:
        return self._row(reminder_id)

    async def update(self, reminder: Reminder) -> None:
        self._put(reminder.id, reminder)
        self.seen.append(copy.deepcopy(reminder))

    async def for_interaction(self, interaction_id: int) -> list[Reminder]:
        return sorted((r for r in self._rows() if r.interaction_id == interaction_id), key=lambda r: r.id)

    async def pending_for_member(self, member_id: int, limit: int) -> list[Reminder]:
        found = [r for r in self._rows() if r.member_id == member_id and r.status in _OPEN_REMINDER]
        return sorted(found, key=lambda r: (r.due_at, r.id))[:limit]

    def _claimable(self, reminder: Reminder, now: datetime) -> bool:
        return (
            reminder.status is ReminderStatus.PENDING
            and reminder.due_at <= now
            and (reminder.claimed_until is None or reminder.claimed_until < now)
        )

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Reminder]:
        due = sorted((r for r in self._rows() if self._claimable(r, now)), key=lambda r: r.due_at)[:limit]
        for reminder in due:
            reminder.claimed_until = lease_until
            reminder.attempts += 1
            self._put(reminder.id, reminder)
        return due

    async def next_due_at(self) -> datetime | None:
        times = [
            max(r.due_at, r.claimed_until) if r.claimed_until is not None else r.due_at
            for r in self._rows()
            if r.status is ReminderStatus.PENDING
        ]
        return min(times, default=None)

    async def _settle(self, reminder_id: int, lease_until: datetime, **values: Any) -> bool:
        reminder = await self.get(reminder_id)
        if (
            reminder is None
            or reminder.status is not ReminderStatus.PENDING
            or reminder.claimed_until != lease_until
        ):
            return False
        for name, value in values.items():
            setattr(reminder, name, value)
        self._put(reminder.id, reminder)
        return True

    async def mark_delivered(self, reminder_id: int, lease_until: datetime, at: datetime) -> bool:
        if await self._settle(
            reminder_id, lease_until, status=ReminderStatus.DELIVERED, delivered_at=at, claimed_until=None
        ):
            return True
        reminder = await self.get(reminder_id)
        if (
            reminder is None
            or reminder.status is not ReminderStatus.DONE
            or reminder.claimed_until != lease_until
            or reminder.delivered_at is not None
        ):
            return False
        reminder.delivered_at = at
        reminder.claimed_until = None
        self._put(reminder.id, reminder)
        return True

    async def renew(self, reminder_id: int, lease_until: datetime, until: datetime) -> bool:
        return await self._settle(reminder_id, lease_until, claimed_until=until)

    async def retry_later(self, reminder_id: int, lease_until: datetime, at: datetime) -> bool:
        return await self._settle(reminder_id, lease_until, claimed_until=at)

    async def give_up(self, reminder_id: int, lease_until: datetime) -> bool:
        return await self._settle(
            reminder_id, lease_until, status=ReminderStatus.CANCELLED, claimed_until=None
        )

    async def listing(
        self, member_id: int | None, statuses: Sequence[ReminderStatus] | None, limit: int
    ) -> list[Reminder]:
        found = [
            r
            for r in self._rows()
            if (member_id is None or r.member_id == member_id) and (statuses is None or r.status in statuses)
        ]
        return sorted(found, key=lambda r: (r.due_at, r.id))[:limit]


class AuditRepository(_Table[AuditEntry]):
    async def add(self, entry: AuditEntry) -> AuditEntry:
        return self._insert(entry)

    async def update(self, entry: AuditEntry) -> None:
        self._put(entry.id, entry)

    async def for_target(self, target_type: str, target_id: int) -> list[AuditEntry]:
        found = [e for e in self._rows() if e.target_type == target_type and e.target_id == target_id]
        return sorted(found, key=lambda e: e.id)

    async def last(self, actor_id: int, actions: Sequence[str]) -> AuditEntry | None:
        found = [e for e in self._rows() if e.actor_id == actor_id and e.action in actions]
        return max(found, key=lambda e: e.id, default=None)


class JournalRepository(_Table[FieldChange]):
    """The field journal: rows are only ever added."""

    async def add(self, team_id: int, audit_id: int, changes: Sequence[FieldChange]) -> None:
        for change in changes:
            self._insert(dataclasses.replace(change, team_id=team_id, audit_id=audit_id))

    async def for_operation(self, audit_id: int) -> list[FieldChange]:
        return sorted((c for c in self._rows() if c.audit_id == audit_id), key=lambda c: c.id)

    async def for_record(self, record_type: str, record_id: int) -> list[tuple[AuditEntry, FieldChange]]:
        audit: dict[int, AuditEntry] = self._uow.view("audit")
        found = sorted(
            (c for c in self._rows() if c.record_type == record_type and c.record_id == record_id),
            key=lambda c: c.id,
        )
        return [(copy.deepcopy(audit[c.audit_id]), c) for c in found if c.audit_id in audit]


class MergeRepository(_Table[Merge]):
    async def add(self, merge: Merge) -> Merge:
        return self._insert(merge)

    async def get(self, merge_id: int) -> Merge | None:
        return self._row(merge_id)

    async def update(self, merge: Merge) -> None:
        self._put(merge.id, merge)


class DuplicateRepository(_Table[DuplicateFlag]):
    async def add(self, flag: DuplicateFlag) -> DuplicateFlag:
        return self._insert(flag)

    async def get(self, flag_id: int) -> DuplicateFlag | None:
        return self._row(flag_id)

    async def update(self, flag: DuplicateFlag) -> None:
        self._put(flag.id, flag)

    async def open_for_team(self, team_id: int, limit: int) -> list[DuplicateFlag]:
        found = [f for f in self._rows() if f.team_id == team_id and f.status is DuplicateStatus.OPEN]
        return sorted(found, key=lambda f: f.id)[:limit]


class ProcessedKeys(_Table[datetime]):
    async def seen(self, keys: Sequence[str]) -> set[str]:
        view = self._uow.view(self.name)
        return {key for key in keys if key in view}

    async def add(self, keys: Sequence[str], now: datetime | None = None) -> None:
        if await self.seen(keys):
            raise StorageConflict("key recorded twice")
        for key in dict.fromkeys(keys):
            self._uow.write(self.name, key, now or datetime.now(UTC))

    async def purge(self, prefix: str, before: datetime) -> int:
        raise NotImplementedError("the inbox runs on the real database in tests")


class FileRepository(_Table[StoredFile]):
    async def add(self, stored: StoredFile) -> StoredFile:
        return self._insert(stored)

    async def get(self, file_id: int) -> StoredFile | None:
        return self._row(file_id)

    async def by_hash(self, team_id: int, sha256: str) -> StoredFile | None:
        return next((f for f in self._rows() if f.team_id == team_id and f.sha256 == sha256), None)


class DealEvidenceRepository(_Table[DealEvidence]):
    async def add(self, evidence: DealEvidence) -> DealEvidence:
        return self._insert(evidence)

    async def get(self, evidence_id: int) -> DealEvidence | None:
        return self._row(evidence_id)

    async def update(self, evidence: DealEvidence) -> None:
        self._put(evidence.id, evidence)

    async def for_deal(self, deal_id: int, statuses: Sequence[EvidenceStatus]) -> list[DealEvidence]:
        return sorted(
            (e for e in self._rows() if e.deal_id == deal_id and e.status in statuses), key=lambda e: e.id
        )

    async def confirmed_file(self, deal_id: int, file_id: int) -> DealEvidence | None:
        confirmed = await self.for_deal(deal_id, [EvidenceStatus.CONFIRMED])
        return next((e for e in confirmed if e.file_id == file_id), None)


class StageChangeRepository(_Table[StageChange]):
    async def add(self, change: StageChange) -> StageChange:
        return self._insert(change)

    async def for_deal(self, deal_id: int) -> list[StageChange]:
        return sorted((c for c in self._rows() if c.deal_id == deal_id), key=lambda c: c.id)


@dataclasses.dataclass
class _Delivery:
    team_id: int
    status: DigestStatus
    attempts: int
    owner: str | None = None
    lease_until: datetime | None = None


_OPEN = (DigestStatus.CLAIMED, DigestStatus.RETRYING)


class DigestDeliveryRepository(_Table[_Delivery]):
    """storage.deals.DigestDeliveryRepository over a dict: claims are leases, (owner, attempt) names one."""

    async def claim(
        self,
        team_id: int,
        member_id: int,
        day: date,
        kind: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        max_attempts: int,
    ) -> int | None:
        current = self._row((member_id, day))
        if current is None:
            self._put((member_id, day), _Delivery(team_id, DigestStatus.CLAIMED, 1, owner, lease_until))
            return 1
        if current.status not in _OPEN or (current.lease_until is not None and current.lease_until > now):
            return None
        if current.attempts >= max_attempts:
            self._put(
                (member_id, day), dataclasses.replace(current, status=DigestStatus.FAILED, lease_until=None)
            )
            return None
        attempt = current.attempts + 1
        self._put((member_id, day), _Delivery(team_id, DigestStatus.CLAIMED, attempt, owner, lease_until))
        return attempt

    async def renew(self, member_id: int, day: date, owner: str, attempt: int, until: datetime) -> bool:
        current = self._held(member_id, day, owner, attempt)
        if current is not None:
            self._put((member_id, day), dataclasses.replace(current, lease_until=until))
        return current is not None

    async def settle(
        self,
        member_id: int,
        day: date,
        owner: str,
        attempt: int,
        status: DigestStatus,
        at: datetime,
        retry_at: datetime | None = None,
    ) -> bool:
        current = self._held(member_id, day, owner, attempt)
        if current is not None:
            lease_until = retry_at if status is DigestStatus.RETRYING else None
            self._put((member_id, day), dataclasses.replace(current, status=status, lease_until=lease_until))
        return current is not None

    def _held(self, member_id: int, day: date, owner: str, attempt: int) -> _Delivery | None:
        current = self._row((member_id, day))
        if current is None or current.status is not DigestStatus.CLAIMED:
            return None
        return current if (current.owner, current.attempts) == (owner, attempt) else None

    async def settled(self, team_id: int, days: Sequence[date], now: datetime) -> set[tuple[int, date]]:
        view = self._uow.view(self.name)
        return {
            key
            for key, row in view.items()
            if row.team_id == team_id
            and key[1] in days
            and (row.status not in _OPEN or (row.lease_until is not None and row.lease_until > now))
        }

    async def status(self, member_id: int, day: date) -> tuple[DigestStatus, int] | None:
        current = self._row((member_id, day))
        return (current.status, current.attempts) if current is not None else None


class DealQueries:
    """The aggregate reads of storage.deals.DealQueries, over the fake tables."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def _open(self, team_id: int, owner_id: int | None) -> list[Deal]:
        return [
            d
            for d in self._uow.deals._rows()
            if d.team_id == team_id
            and d.status is DealStatus.OPEN
            and d.archived_at is None
            and (owner_id is None or d.owner_id == owner_id)
        ]

    def _snapshot(self, deal: Deal, now: datetime, requirements: Sequence[str]) -> DealSnapshot | None:
        customer = self._uow.customers._row(deal.customer_id)
        if customer is None:
            return None
        touched = [
            i.created_at
            for i in self._uow.interactions._rows()
            if i.deal_id == deal.id and i.undone_at is None
        ]
        overdue = sum(
            1
            for c in self._uow.commitments._rows()
            if c.deal_id == deal.id and c.done_at is None and c.due_at is not None and c.due_at < now
        )
        evidence = frozenset(
            e.requirement
            for e in self._uow.evidence._rows()
            if e.deal_id == deal.id and e.status is EvidenceStatus.CONFIRMED and e.requirement in requirements
        )
        roles = frozenset(
            c.decision_role
            for c in self._uow.contacts._rows()
            if c.customer_id == deal.customer_id and c.decision_role is not None and _live(c)
        )
        return DealSnapshot(
            deal_id=deal.id,
            title=deal.title,
            customer_name=customer.name,
            owner_id=deal.owner_id,
            stage=deal.stage,
            stage_entered_at=deal.stage_entered_at,
            created_at=deal.created_at,
            amount_cny=deal.amount_cny,
            has_budget=customer.budget_cny is not None,
            has_timeline=customer.timeline is not None or customer.timeline_by is not None,
            last_interaction_at=max(touched, default=None),
            overdue_commitments=overdue,
            evidence=evidence,  # type: ignore[arg-type]
            roles=roles,
        )

    async def snapshots(
        self, team_id: int, owner_id: int | None, now: datetime, requirements: Sequence[str]
    ) -> list[DealSnapshot]:
        found = [self._snapshot(d, now, requirements) for d in self._open(team_id, owner_id)]
        return [s for s in found if s is not None]

    async def snapshot(self, deal_id: int, now: datetime, requirements: Sequence[str]) -> DealSnapshot | None:
        deal = self._uow.deals._row(deal_id)
        return self._snapshot(deal, now, requirements) if deal is not None else None

    async def stage_counts(self, team_id: int, owner_id: int | None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for deal in self._open(team_id, owner_id):
            counts[deal.stage] = counts.get(deal.stage, 0) + 1
        return counts

    async def open_deals(
        self, team_id: int, owner_id: int | None, limit: int, text: str | None = None
    ) -> list[tuple[Deal, str | None]]:
        found = []
        for deal in self._open(team_id, owner_id):
            customer = self._uow.customers._row(deal.customer_id)
            if customer is None:
                continue
            if text and not (_contains(deal.title, text) or _contains(customer.name, text)):
                continue
            found.append((deal, customer.name))
        found.sort(key=lambda item: (item[0].updated_at, item[0].id), reverse=True)
        return found[:limit]

    async def due_reminders(
        self, member_id: int, start: datetime, end: datetime, limit: int
    ) -> list[Reminder]:
        found = [
            r
            for r in self._uow.reminders._rows()
            if r.member_id == member_id and r.status in _OPEN_REMINDER and start <= r.due_at < end
        ]
        return sorted(found, key=lambda r: (r.due_at, r.id))[:limit]

    async def overdue_commitments(self, owner_id: int, now: datetime, limit: int) -> list[Commitment]:
        found = [
            c
            for c in self._uow.commitments._rows()
            if c.owner_id == owner_id and c.done_at is None and c.due_at is not None and c.due_at < now
        ]
        return sorted(found, key=lambda c: (c.due_at, c.id))[:limit]

    async def customer_names(self, customer_ids: Sequence[int]) -> dict[int, str | None]:
        found = (self._uow.customers._row(i) for i in customer_ids)
        return {c.id: c.name for c in found if c is not None}


class LinkCodeRepository(_Table[LinkCode]):
    async def add(self, link: LinkCode) -> None:
        self._put(link.code, link)

    async def get(self, code: str) -> LinkCode | None:
        return self._row(code)

    async def update(self, link: LinkCode) -> None:
        self._put(link.code, link)


@dataclasses.dataclass
class _JobRow:
    id: int
    job: NewJob
    status: JobStatus
    attempts: int
    not_before: datetime
    created_at: datetime
    lease_owner: str | None = None
    lease_until: datetime | None = None
    finished_at: datetime | None = None


class JobRepository(_Table[_JobRow]):
    """The claim rules of storage.jobs on dictionaries (tests/integration/test_jobs.py runs both)."""

    async def add(self, jobs: Sequence[NewJob], at: datetime) -> None:
        known = await self.existing([job.key for job in jobs])
        if known or len({job.key for job in jobs}) < len(jobs):
            raise StorageConflict("job key written twice")
        for job in jobs:
            row_id = self._uow.database.next_id(self.name)
            self._put(row_id, _JobRow(row_id, job, JobStatus.PENDING, 0, at, at))

    async def existing(self, keys: Sequence[str]) -> set[str]:
        return {row.job.key for row in self._rows() if row.job.key in keys}

    async def waiting(self, queue: str, lanes: Sequence[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self._rows():
            if row.job.queue == queue and row.job.lane in lanes and row.status is JobStatus.PENDING:
                counts[row.job.lane] = counts.get(row.job.lane, 0) + 1
        return counts

    async def claim(
        self,
        queue: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        *,
        limit: int,
        lane: str | None = None,
        skip_lanes: Sequence[str] = (),
        together: bool = False,
    ) -> list[Job]:
        rows = sorted(self._rows(), key=lambda r: r.id)

        def free(r: _JobRow) -> bool:
            unleased = r.lease_until is None or r.lease_until < now
            return r.status is JobStatus.PENDING and r.not_before <= now and unleased

        def blocks(e: _JobRow, r: _JobRow) -> bool:
            if e.job.queue != r.job.queue or e.job.lane != r.job.lane or e.status is not JobStatus.PENDING:
                return False
            held = e.lease_owner == owner and e.lease_until is not None and e.lease_until >= now
            return e.id < r.id and not (together and held)

        found = []
        for r in rows:
            if r.job.queue != queue or not free(r) or any(blocks(e, r) for e in rows):
                continue
            if (lane is not None and r.job.lane != lane) or r.job.lane in skip_lanes:
                continue
            found.append(r)
            if len(found) == limit:
                break
        claimed = []
        for row in found:
            r = dataclasses.replace(
                row, lease_owner=owner, lease_until=lease_until, attempts=row.attempts + 1
            )
            self._put(r.id, r)
            job = r.job
            claimed.append(
                Job(
                    r.id,
                    job.queue,
                    job.lane,
                    job.key,
                    dict(job.payload),
                    r.attempts,
                    lease_until,
                    r.created_at,
                )
            )
        return claimed

    async def renew(self, job_ids: Sequence[int], owner: str, lease_until: datetime) -> set[int]:
        kept = set()
        for row_id in job_ids:
            r = self._row(row_id)
            if r is not None and r.lease_owner == owner and r.status is JobStatus.PENDING:
                self._put(row_id, dataclasses.replace(r, lease_until=lease_until))
                kept.add(row_id)
        return kept

    async def finish(self, job_id: int, owner: str, at: datetime) -> bool:
        return self._settle(job_id, owner, status=JobStatus.DONE, finished_at=at)

    async def retry(self, job_id: int, owner: str, not_before: datetime, error: str) -> bool:
        return self._settle(job_id, owner, not_before=not_before)

    async def fail(self, job_id: int, owner: str, at: datetime, error: str) -> bool:
        return self._settle(job_id, owner, status=JobStatus.FAILED, finished_at=at)

    def _settle(self, job_id: int, owner: str, **values: Any) -> bool:
        r = self._row(job_id)
        if r is None or r.lease_owner != owner or r.status is not JobStatus.PENDING:
            return False
        self._put(job_id, dataclasses.replace(r, lease_owner=None, lease_until=None, **values))
        return True

    async def purge(self, queue: str, before: datetime) -> int:
        return 0


class ExpiringKeys(_Table[datetime]):
    async def add(self, keys: Sequence[str], expires_at: datetime, now: datetime) -> set[str]:
        view = self._uow.view(self.name)
        live = {key for key in keys if key in view and view[key] > now}
        for key in keys:
            if key not in live:
                self._uow.write(self.name, key, expires_at)
        return live

    async def live(self, keys: Sequence[str], now: datetime) -> set[str]:
        view = self._uow.view(self.name)
        return {key for key in keys if key in view and view[key] > now}

    async def purge(self, now: datetime) -> int:
        return 0


class MenuRepository(_Table[list[MenuChoice]]):
    async def put(
        self, channel: Channel, member_id: int, choices: Sequence[MenuChoice], at: datetime
    ) -> None:
        self._put((channel.value, member_id), list(choices))

    async def get(self, channel: Channel, member_id: int) -> list[MenuChoice]:
        return list(self._row((channel.value, member_id)) or [])


class FakeUnitOfWork:
    """crm.ports.UnitOfWork on a FakeDatabase: writes stay in the unit of work until `commit()`."""

    def __init__(self, database: FakeDatabase, publish: Callable[[Sequence[Event]], None]) -> None:
        self.database = database
        self._publish = publish
        self._writes: dict[str, dict[Any, Any]] = {}
        self.committed = False
        self.teams = TeamRepository(self, "teams")
        self.members = MemberRepository(self, "members")
        self.identities = IdentityRepository(self, "identities")
        self.invites = InviteRepository(self, "invites")
        self.customers = CustomerRepository(self, "customers")
        self.contacts = ContactRepository(self, "contacts")
        self.deals = DealRepository(self, "deals")
        self.interactions = InteractionRepository(self, "interactions")
        self.commitments = CommitmentRepository(self, "commitments")
        self.reminders = ReminderRepository(self, "reminders")
        self.audit = AuditRepository(self, "audit")
        self.journal = JournalRepository(self, "journal")
        self.merges = MergeRepository(self, "merges")
        self.duplicates = DuplicateRepository(self, "duplicates")
        self.processed = ProcessedKeys(self, "processed")
        self.files = FileRepository(self, "files")
        self.evidence = DealEvidenceRepository(self, "evidence")
        self.stage_changes = StageChangeRepository(self, "stage_changes")
        self.digests = DigestDeliveryRepository(self, "digests")
        self.deal_queries = DealQueries(self)
        self.link_codes = LinkCodeRepository(self, "link_codes")
        self.jobs = JobRepository(self, "jobs")
        self.expiring_keys = ExpiringKeys(self, "expiring_keys")
        self.menus = MenuRepository(self, "menus")
        self.claims = ClaimRepository(self, "admin_claims")
        self.ownership = OwnershipRepository(self)
        # Routing and the pool are tested on SQLite and PostgreSQL only (their claims are SQL updates).
        self.leads: Any = None
        self.history = fake_history.HistoryQueries(self)
        self.data_health = fake_history.DataHealthQueries(self)
        self.nudges = fake_history.NudgeDeliveryRepository(self, "nudges")
        # Spreadsheet import and export read and write many rows a statement; they are tested on SQLite
        # and PostgreSQL only.
        self.imports: Any = None
        self.exports: Any = None

    def view(self, table: str) -> dict[Any, Any]:
        committed = self.database.tables.get(table, {})
        own = self._writes.get(table)
        return {**committed, **own} if own else committed

    def write(self, table: str, key: Any, row: Any) -> None:
        self._writes.setdefault(table, {})[key] = row

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._writes.clear()  # rolled back unless committed

    async def commit(self) -> None:
        for table, rows in self._writes.items():
            self.database.tables.setdefault(table, {}).update(rows)
        self._writes.clear()
        self.committed = True
        seen, self.reminders.seen = self.reminders.seen, []
        events = [ReminderScheduled(r.id, r.due_at) for r in seen if r.status is ReminderStatus.PENDING]
        if events:
            self._publish(events)


class FakeUnitOfWorkFactory:
    """crm.ports.UnitOfWorkFactory over one FakeDatabase; `opened` counts the units of work."""

    def __init__(self, database: FakeDatabase | None = None) -> None:
        self.database = database or FakeDatabase()
        self.subscribers: list[Subscriber] = []
        self.opened: list[str] = []

    def __call__(self, *, read_only: bool = False) -> FakeUnitOfWork:
        self.opened.append("read" if read_only else "write")
        return FakeUnitOfWork(self.database, self._published)

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    def _published(self, events: Sequence[Event]) -> None:
        for subscriber in self.subscribers:
            subscriber(events)
