"""Reminders after they are planned: the bookkeeping of their delivery (claim, settle) that the
scheduler in reminders/ drives, and what a rep does with one (done, snooze, another time, the list).

Delivery is "claim, send, settle": a short transaction leases due reminders to this process, the
messages go out with no transaction open, and a second short transaction settles each claim. Settling
only touches a reminder whose lease is still the one this process took, so a reminder the rep closed
or snoozed meanwhile, or one another process re-claimed after the lease ran out, is left alone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from crm.errors import NotFound
from crm.events import Event, ReminderScheduled
from crm.model import AuditEntry, Customer, Identity, Member, Reminder, ReminderKind, ReminderStatus
from crm.ports import Clock, UnitOfWork, UnitOfWorkFactory
from crm.reminder_plan import adjust_due

logger = logging.getLogger(__name__)

OPEN = (ReminderStatus.PENDING, ReminderStatus.DELIVERED)
LIST_LIMIT = 20
SNOOZE = timedelta(hours=1)
MORNING = time(9, 0)


class Wakeup:
    """Wakes the scheduler early when a reminder now falls due before it planned to look again.

    `ReminderService.committed` calls `due(moment)` after a unit of work committed a pending reminder
    (a capture's, a snoozed one); the scheduler sleeps in `sleep()`. A `due()` while the scheduler is
    busy is kept for its next sleep.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._until: datetime | None = None

    def due(self, moment: datetime) -> None:
        if self._until is None or moment < self._until:
            self._event.set()

    async def sleep(self, until: datetime, seconds: float) -> bool:
        """Waits `seconds` (planning to look again at `until`); True when woken early."""
        self._until = until
        try:
            # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that arrives as the
            # event is set, and the scheduler would then not stop.
            async with asyncio.timeout(max(seconds, 0.0)):
                await self._event.wait()
        except TimeoutError:
            return False
        finally:
            self._until = None
        self._event.clear()
        return True


@dataclass(frozen=True, slots=True)
class Due:
    """A reminder this process claimed, with what delivering it takes."""

    reminder: Reminder
    lease_until: datetime
    member: Member | None
    identities: tuple[Identity, ...]
    customer: str | None


@dataclass(frozen=True, slots=True)
class Listed:
    """A reminder as a rep's list shows it."""

    reminder: Reminder
    customer: str | None


@dataclass(frozen=True, slots=True)
class Rescheduled:
    reminder: Reminder
    customer: str | None
    moved: bool  # the member's quiet hours or weekend preference moved the time asked for


@dataclass(frozen=True, slots=True)
class Closed:
    reminder: Reminder
    customer: str | None


class ReminderService:
    """Reminders once planned: delivery bookkeeping for the scheduler, and the rep's actions on them."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, wakeup: Wakeup | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self.wakeup = wakeup or Wakeup()

    # --- creation ---------------------------------------------------------------------------------

    async def add(
        self,
        actor: Member,
        kind: ReminderKind,
        text: str,
        due: datetime,
        *,
        customer_id: int | None = None,
        interaction_id: int | None = None,
        commitment_id: int | None = None,
    ) -> Reminder:
        """One reminder for `actor`, moved out of their quiet hours (and weekend, if they asked)."""
        reminder = Reminder(
            id=0,
            team_id=actor.team_id,
            member_id=actor.id,
            kind=kind,
            text=text,
            due_at=adjust_due(actor, due),
            status=ReminderStatus.PENDING,
            created_at=self._clock.now(),
            customer_id=customer_id,
            interaction_id=interaction_id,
            commitment_id=commitment_id,
        )
        async with self._uow() as uow:
            await uow.reminders.add(reminder)
            await uow.commit()
        return reminder

    def committed(self, events: Sequence[Event]) -> None:
        """Subscribed to the units of work: when one committed pending reminders (a capture's, a
        snoozed one), the scheduler looks again if one falls due before it planned to."""
        due = [event.due_at for event in events if isinstance(event, ReminderScheduled)]
        if due:
            self.wakeup.due(min(due))

    # --- delivery (driven by the scheduler) -------------------------------------------------------

    async def next_due_at(self) -> datetime | None:
        # Read-only: polled every few seconds, it must not queue behind (or block) writers.
        async with self._uow(read_only=True) as uow:
            return await uow.reminders.next_due_at()

    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Due]:
        """Leases up to `limit` due reminders to this process, with their members and addresses."""
        lease_until = now + lease
        async with self._uow() as uow:
            claimed = await uow.reminders.claim_due(now, lease_until, limit)
            members: dict[int, Member | None] = {}
            identities: dict[int, tuple[Identity, ...]] = {}
            customers: dict[int, str | None] = {}
            items: list[Due] = []
            for reminder in claimed:
                if reminder.member_id not in members:
                    members[reminder.member_id] = await uow.members.get(reminder.member_id)
                    identities[reminder.member_id] = tuple(
                        await uow.identities.for_member(reminder.member_id)
                    )
                customer = None
                if reminder.customer_id is not None:
                    if reminder.customer_id not in customers:
                        customers[reminder.customer_id] = _name(await uow.customers.get(reminder.customer_id))
                    customer = customers[reminder.customer_id]
                items.append(
                    Due(
                        reminder=reminder,
                        lease_until=lease_until,
                        member=members[reminder.member_id],
                        identities=identities[reminder.member_id],
                        customer=customer,
                    )
                )
            await uow.commit()
        return items

    async def settle(
        self,
        at: datetime,
        *,
        delivered: Sequence[Due] = (),
        retry: Sequence[tuple[Due, datetime]] = (),
        abandoned: Sequence[Due] = (),
    ) -> int:
        """Settles claims in one transaction: delivered, to be retried at a time, or given up on.
        Returns how many claims were still this process's to settle."""
        settled = 0
        async with self._uow() as uow:
            for item in delivered:
                settled += await uow.reminders.mark_delivered(item.reminder.id, item.lease_until, at)
            for item, retry_at in retry:
                settled += await uow.reminders.retry_later(item.reminder.id, item.lease_until, retry_at)
            for item in abandoned:
                if await uow.reminders.give_up(item.reminder.id, item.lease_until):
                    settled += 1
                    await _audit(
                        uow, item.reminder, "reminder.gave_up", {"attempts": item.reminder.attempts}, at
                    )
            await uow.commit()
        return settled

    async def renew(self, items: Sequence[Due], until: datetime) -> list[Due]:
        """Extends the claims still held among `items` to `until` (a send taking long); returns
        those, with their new lease."""
        async with self._uow() as uow:
            renew = uow.reminders.renew
            held = [item for item in items if await renew(item.reminder.id, item.lease_until, until)]
            await uow.commit()
        return [dataclasses.replace(item, lease_until=until) for item in held]

    # --- what a rep does --------------------------------------------------------------------------

    async def open_for(self, actor: Member, limit: int = LIST_LIMIT) -> list[Listed]:
        """The member's open reminders (not yet done), earliest first."""
        async with self._uow(read_only=True) as uow:
            reminders = await uow.reminders.listing(actor.id, OPEN, limit)
            names = await _customer_names(uow, reminders)
        return [Listed(r, names.get(r.customer_id) if r.customer_id else None) for r in reminders]

    async def get_open(self, actor: Member, reminder_id: int) -> Reminder:
        async with self._uow(read_only=True) as uow:
            return await _open_reminder(uow, actor, reminder_id)

    async def done(self, actor: Member, reminder_id: int) -> Closed:
        """Marks the reminder done (and the commitment it reminds of, if any)."""
        now = self._clock.now()
        async with self._uow() as uow:
            reminder = await _open_reminder(uow, actor, reminder_id)
            reminder.status = ReminderStatus.DONE
            reminder.done_at = now
            # The claim stays: pressed on the message itself, "done" can arrive before the scheduler
            # recorded that message's delivery, and that record still has to find its claim.
            await uow.reminders.update(reminder)
            if reminder.commitment_id is not None and reminder.interaction_id is not None:
                for commitment in await uow.commitments.for_interaction(reminder.interaction_id):
                    if commitment.id == reminder.commitment_id and commitment.done_at is None:
                        commitment.done_at = now
                        await uow.commitments.update(commitment)
            names = await _customer_names(uow, [reminder])
            await uow.commit()
        return Closed(reminder, names.get(reminder.customer_id) if reminder.customer_id else None)

    async def snooze(self, actor: Member, reminder_id: int, choice: str) -> Rescheduled:
        """ "1h": an hour from now; "tomorrow": 09:00 tomorrow in the member's timezone. Either is
        moved out of the member's quiet hours (and weekend, if they asked so)."""
        now = self._clock.now()
        if choice == "tomorrow":
            day = actor.local(now).date() + timedelta(days=1)
            asked = datetime.combine(day, MORNING, tzinfo=actor.tz)
        else:
            asked = now + SNOOZE
        return await self.reschedule(actor, reminder_id, asked)

    async def reschedule(self, actor: Member, reminder_id: int, asked: datetime) -> Rescheduled:
        """Pending again at `asked` (adjusted to the member's preferences), a fresh set of attempts."""
        due = adjust_due(actor, asked)
        async with self._uow() as uow:
            reminder = await _open_reminder(uow, actor, reminder_id)
            reminder.status = ReminderStatus.PENDING
            reminder.due_at = due
            reminder.claimed_until = None
            reminder.delivered_at = None
            reminder.attempts = 0
            await uow.reminders.update(reminder)
            names = await _customer_names(uow, [reminder])
            await uow.commit()
        customer = names.get(reminder.customer_id) if reminder.customer_id else None
        return Rescheduled(reminder, customer, moved=due != asked)

    # --- for operators (`chatcrm reminders list`) --------------------------------------------------

    async def listing(
        self, member_id: int | None, *, include_closed: bool, limit: int
    ) -> list[tuple[Reminder, Member | None]]:
        async with self._uow(read_only=True) as uow:
            reminders = await uow.reminders.listing(member_id, None if include_closed else OPEN, limit)
            members: dict[int, Member | None] = {}
            for reminder in reminders:
                if reminder.member_id not in members:
                    members[reminder.member_id] = await uow.members.get(reminder.member_id)
        return [(r, members[r.member_id]) for r in reminders]


def _name(customer: Customer | None) -> str | None:
    return customer.name if customer is not None else None


async def _customer_names(uow: UnitOfWork, reminders: Sequence[Reminder]) -> dict[int, str | None]:
    names: dict[int, str | None] = {}
    for reminder in reminders:
        if reminder.customer_id is not None and reminder.customer_id not in names:
            names[reminder.customer_id] = _name(await uow.customers.get(reminder.customer_id))
    return names


async def _open_reminder(uow: UnitOfWork, actor: Member, reminder_id: int) -> Reminder:
    reminder = await uow.reminders.get(reminder_id)
    # Another member's reminder reads as missing: its text is theirs.
    if reminder is None or reminder.member_id != actor.id:
        raise NotFound()
    if reminder.status not in OPEN:
        raise NotFound("reminder.closed")
    return reminder


async def _audit(
    uow: UnitOfWork, reminder: Reminder, action: str, detail: dict[str, object], at: datetime
) -> None:
    await uow.audit.add(
        AuditEntry(
            id=0,
            team_id=reminder.team_id,
            actor_id=None,  # the scheduler, not a member
            action=action,
            target_type="reminder",
            target_id=reminder.id,
            detail=dict(detail),
            created_at=at,
        )
    )
