"""The history reads, the data-health figures and the nudge bookkeeping over the fake tables of
tests/support/fake_uow.py: a plain-Python statement of the rules that storage/history.py and
storage/data_health.py put in SQL. tests/integration/test_data_health.py compares the two on the same
records, so that either one being wrong fails."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crm.data_health import UNTOUCHED_DAYS, Example, Figures, GapKind, NudgeStatus
from crm.model import (
    AuditEntry,
    Contact,
    Customer,
    Deal,
    DealStatus,
    DuplicateStatus,
    FieldChange,
    ReminderStatus,
)

if TYPE_CHECKING:
    from tests.support.fake_uow import FakeUnitOfWork

MAX_NUDGE_ATTEMPTS = 3  # as storage.data_health
_OPEN = (ReminderStatus.PENDING, ReminderStatus.DELIVERED)


def _live(record: Any) -> bool:
    return record.merged_into is None and record.archived_at is None


class HistoryQueries:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def _audit(self) -> list[AuditEntry]:
        return self._uow.audit._rows()

    def _journal(self) -> list[FieldChange]:
        return self._uow.journal._rows()

    async def family(self, customer_id: int) -> set[tuple[str, int]]:
        found = {("customer", customer_id)}
        found |= {("contact", c.id) for c in self._uow.contacts._rows() if c.customer_id == customer_id}
        found |= {("deal", d.id) for d in self._uow.deals._rows() if d.customer_id == customer_id}
        return found

    async def operations(
        self,
        team_id: int,
        *,
        customer_id: int | None = None,
        record: tuple[str, int] | None = None,
        actor_id: int | None = None,
        since: datetime | None = None,
        before: int | None = None,
        after: int | None = None,
        limit: int,
    ) -> list[AuditEntry]:
        journaled: set[tuple[str, int]] | None = None
        targeted: set[tuple[str, int]] = set()
        if customer_id is not None:
            journaled = await self.family(customer_id)
            # A customer's interactions count by the entries aimed at them (captures, undos), not by
            # their journal rows (a merge moving them is found by the customer's own rows).
            targeted = journaled | {
                ("interaction", i.id) for i in self._uow.interactions._rows() if i.customer_id == customer_id
            }
        elif record is not None:
            journaled = targeted = {record}
        touching: set[int] | None = None
        if journaled is not None:
            touching = {c.audit_id for c in self._journal() if (c.record_type, c.record_id) in journaled}
            touching |= {
                e.id
                for e in self._audit()
                if e.target_id is not None and (e.target_type, e.target_id) in targeted
            }
        found = [
            e
            for e in self._audit()
            if e.team_id == team_id
            and (touching is None or e.id in touching)
            and (actor_id is None or e.actor_id == actor_id)
            and (since is None or e.created_at >= since)
            and (before is None or e.id < before)
            and (after is None or e.id > after)
        ]
        found.sort(key=lambda e: e.id)
        if after is not None:
            return list(reversed(found[:limit]))
        return list(reversed(found))[:limit]

    async def changes(self, audit_ids: Sequence[int]) -> list[FieldChange]:
        wanted = set(audit_ids)
        return sorted((c for c in self._journal() if c.audit_id in wanted), key=lambda c: c.id)


class DataHealthQueries:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def _customers(self, team_id: int, owner_id: int | None) -> list[Customer]:
        return [
            c
            for c in self._uow.customers._rows()
            if c.team_id == team_id and _live(c) and (owner_id is None or c.owner_id == owner_id)
        ]

    def _contacts_of(self, customer_id: int) -> list[Contact]:
        return [c for c in self._uow.contacts._rows() if c.customer_id == customer_id and _live(c)]

    def _touched(self, customer: Customer) -> datetime:
        times = [
            i.created_at
            for i in self._uow.interactions._rows()
            if i.customer_id == customer.id and i.undone_at is None
        ]
        return max(times, default=customer.created_at)

    def _flags(self, customer: Customer) -> tuple[bool, bool, bool, bool]:
        contacts = self._contacts_of(customer.id)
        return (
            bool(customer.name),
            any(c.name for c in contacts),
            any(c.phones for c in contacts),
            customer.follow_up is not None,
        )

    def _open_deals(self, team_id: int, owner_id: int | None) -> list[Deal]:
        return [
            d
            for d in self._uow.deals._rows()
            if d.team_id == team_id
            and d.status is DealStatus.OPEN
            and d.archived_at is None
            and (owner_id is None or d.owner_id == owner_id)
            and self._uow.customers._row(d.customer_id) is not None
        ]

    def _has_next_step(self, deal: Deal, now: datetime) -> bool:
        customer = self._uow.customers._row(deal.customer_id)
        if customer is not None and customer.next_meeting is not None and customer.next_meeting > now:
            return True
        if any(r.customer_id == deal.customer_id and r.status in _OPEN for r in self._uow.reminders._rows()):
            return True
        return any(
            k.customer_id == deal.customer_id and k.done_at is None and (k.due_at is None or k.due_at >= now)
            for k in self._uow.commitments._rows()
        )

    async def figures(self, team_id: int, now: datetime, owner_id: int | None = None) -> dict[int, Figures]:
        found: dict[int, Figures] = {}
        cutoffs = [now - timedelta(days=days) for days in UNTOUCHED_DAYS]
        for customer in self._customers(team_id, owner_id):
            figures = found.setdefault(customer.owner_id, Figures())
            name, contact, phone, follow_up = self._flags(customer)
            touched = self._touched(customer)
            figures.customers += 1
            figures.missing_customer += not name
            figures.missing_contact += not contact
            figures.missing_phone += not phone
            figures.missing_follow_up += not follow_up
            figures.complete += name and contact and phone and follow_up
            figures.untouched_30 += touched < cutoffs[0]
            figures.untouched_60 += touched < cutoffs[1]
            figures.untouched_90 += touched < cutoffs[2]
        for person in self._uow.contacts._rows():
            if person.team_id == team_id and _live(person) and owner_id in (None, person.owner_id):
                figures = found.setdefault(person.owner_id, Figures())
                figures.contacts += 1
                figures.contacts_without_phone += not person.phones
        for deal in self._open_deals(team_id, owner_id):
            figures = found.setdefault(deal.owner_id, Figures())
            figures.open_deals += 1
            figures.deals_without_next_step += not self._has_next_step(deal, now)
        for flag in self._uow.duplicates._rows():
            new = self._uow.contacts._row(flag.contact_id)
            old = self._uow.contacts._row(flag.candidate_id)
            if (
                flag.team_id == team_id
                and flag.status is DuplicateStatus.OPEN
                and new is not None
                and old is not None
                and _live(new)
                and _live(old)
                and owner_id in (None, new.owner_id)
            ):
                found.setdefault(new.owner_id, Figures()).duplicates += 1
        return found

    def _latest(self, owner_id: int, field: str, record_id: int) -> int | None:
        ids = [
            i.id
            for i in self._uow.interactions._rows()
            if getattr(i, field) == record_id and i.author_id == owner_id and i.undone_at is None
        ]
        return max(ids, default=None)

    async def examples(
        self, team_id: int, owner_id: int, now: datetime, kinds: Sequence[GapKind], limit: int
    ) -> dict[GapKind, list[Example]]:
        found: dict[GapKind, list[Example]] = {}
        customers = sorted(self._customers(team_id, owner_id), key=lambda c: (c.created_at, c.id))
        for kind in kinds:
            examples: list[Example] = []
            if kind is GapKind.NO_PHONE:
                contacts = sorted(
                    (
                        c
                        for c in self._uow.contacts._rows()
                        if c.team_id == team_id and c.owner_id == owner_id and _live(c) and not c.phones
                    ),
                    key=lambda c: (c.created_at, c.id),
                )
                for contact in contacts:
                    customer = self._uow.customers._row(contact.customer_id) if contact.customer_id else None
                    examples.append(
                        Example(
                            contact.name,
                            customer.name if customer else None,
                            self._latest(owner_id, "contact_id", contact.id),
                        )
                    )
            elif kind is GapKind.NO_FOLLOW_UP:
                examples = [
                    Example(c.name, None, self._latest(owner_id, "customer_id", c.id))
                    for c in customers
                    if c.follow_up is None
                ]
            elif kind is GapKind.NO_NEXT_STEP:
                deals = sorted(
                    (d for d in self._open_deals(team_id, owner_id) if not self._has_next_step(d, now)),
                    key=lambda d: (d.created_at, d.id),
                )
                for deal in deals:
                    customer = self._uow.customers._row(deal.customer_id)
                    examples.append(
                        Example(deal.title or (customer.name if customer else None), None, deal.id)
                    )
            elif kind is GapKind.UNTOUCHED:
                cutoff = now - timedelta(days=UNTOUCHED_DAYS[0])
                stale = sorted(
                    ((self._touched(c), c) for c in customers if self._touched(c) < cutoff),
                    key=lambda pair: (pair[0], pair[1].id),
                )
                examples = [Example(c.name, None, c.id) for _, c in stale]
            else:
                examples = [Example(c.name, None, c.id) for c in customers if not self._flags(c)[1]]
            found[kind] = examples[:limit]
        return found


@dataclasses.dataclass
class _Nudge:
    team_id: int
    status: NudgeStatus
    attempts: int
    claimed_until: datetime


class NudgeDeliveryRepository:
    def __init__(self, uow: FakeUnitOfWork, name: str) -> None:
        self._uow = uow
        self.name = name

    def _row(self, key: tuple[int, date]) -> _Nudge | None:
        row = self._uow.view(self.name).get(key)
        return copy.deepcopy(row) if row is not None else None

    async def claim(
        self, team_id: int, member_id: int, week: date, now: datetime, lease_until: datetime
    ) -> bool:
        current = self._row((member_id, week))
        if current is None:
            self._uow.write(
                self.name, (member_id, week), _Nudge(team_id, NudgeStatus.CLAIMED, 1, lease_until)
            )
            return True
        if (
            current.status in (NudgeStatus.CLAIMED, NudgeStatus.FAILED)
            and current.claimed_until <= now
            and current.attempts < MAX_NUDGE_ATTEMPTS
        ):
            current.status, current.claimed_until = NudgeStatus.CLAIMED, lease_until
            current.attempts += 1
            self._uow.write(self.name, (member_id, week), current)
            return True
        return False

    async def settle(
        self,
        member_id: int,
        week: date,
        lease_until: datetime,
        status: NudgeStatus,
        at: datetime,
        retry_at: datetime | None = None,
    ) -> bool:
        current = self._row((member_id, week))
        if (
            current is None
            or current.status is not NudgeStatus.CLAIMED
            or current.claimed_until != lease_until
        ):
            return False
        current.status = status
        if retry_at is not None:
            current.claimed_until = retry_at
        self._uow.write(self.name, (member_id, week), current)
        return True

    async def settled(self, team_id: int, weeks: Sequence[date], now: datetime) -> set[tuple[int, date]]:
        return {
            key
            for key, row in self._uow.view(self.name).items()
            if row.team_id == team_id
            and key[1] in weeks
            and (
                row.status in (NudgeStatus.DELIVERED, NudgeStatus.SKIPPED)
                or row.attempts >= MAX_NUDGE_ATTEMPTS
                or row.claimed_until > now
            )
        }

    async def status(self, member_id: int, week: date) -> tuple[NudgeStatus, int] | None:
        current = self._row((member_id, week))
        return (current.status, current.attempts) if current is not None else None
