"""The reminder scheduler: sleeps until the next reminder falls due, then claims, sends and settles.

Across processes sharing one database a reminder is sent only by the process whose claim (a lease,
`claimed_until`) took it; the claim is renewed every third of its length while the batch is being
sent, and each reminder is settled in its own transaction as soon as its send returned. A process that
dies after claiming leaves its unsettled claims to run out, and whoever claims next delivers them. A
failed send keeps the claim, moved to a retry time that doubles with each attempt, until
`max_attempts` claims have been spent; then it is given up (logged and audited).

So delivery is at-least-once with a duplicate window: a process killed after a message went out and
before its settlement committed (milliseconds) has that reminder sent again once its lease ends.
Exactly-once is impossible there: the messenger's API takes the message and our database records it in
two steps that no transaction spans.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chat.delivery import deliver
from chat.ports import Notifier
from chat.reminders.view import delivery
from crm.errors import StorageError
from crm.ports import Clock
from crm.reminders import Due, ReminderService, Wakeup

logger = logging.getLogger(__name__)

MIN_SLEEP_SECONDS = 0.005


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    """How often to look without being woken, and how claims and retries are timed."""

    poll_seconds: float = 2.0  # another process may add reminders; look at least this often
    lease_seconds: float = 120.0  # a claim's life: longer than any send, short enough to recover
    batch: int = 100
    concurrency: int = 16  # sends in flight at once
    max_attempts: int = 8
    retry_seconds: float = 30.0  # the first retry; each further one waits twice as long
    max_retry_seconds: float = 1800.0
    overdue_after_seconds: float = 60.0


class ReminderScheduler:
    """Delivers due reminders through the Notifier, in the member's language and timezone."""

    def __init__(
        self,
        service: ReminderService,
        notifier: Notifier,
        clock: Clock,
        config: SchedulerConfig | None = None,
        wakeup: Wakeup | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        """`ready` says whether a channel to send on is up yet; until it is, nothing is claimed."""
        self._service = service
        self._notifier = notifier
        self._clock = clock
        self.config = config or SchedulerConfig()
        self._wakeup = wakeup or service.wakeup
        self._sending = asyncio.Semaphore(self.config.concurrency)
        self._ready = ready

    async def run(self) -> None:
        """Runs until cancelled. Reminders that fell due while no process ran go out at once."""
        logger.info("reminder scheduler started")
        while True:
            next_due: datetime | None = None
            if self._ready is None or self._ready():
                try:
                    await self.tick()
                    next_due = await self._service.next_due_at()
                except StorageError as exc:
                    logger.warning("reminders: database unavailable (%s); retrying", type(exc).__name__)
                except Exception:
                    logger.exception("reminder scheduler pass failed")
            now = self._clock.now()
            until = now + timedelta(seconds=self.config.poll_seconds)
            if next_due is not None and next_due < until:
                until = max(next_due, now)
            # Never less than a moment: a lease ending exactly now is claimable only once it has passed.
            await self._wakeup.sleep(until, max((until - now).total_seconds(), MIN_SLEEP_SECONDS))

    async def tick(self) -> int:
        """Delivers every reminder due now, batch by batch; returns how many were delivered."""
        delivered = 0
        lease = timedelta(seconds=self.config.lease_seconds)
        while True:
            batch = await self._service.claim(self._clock.now(), lease, self.config.batch)
            if not batch:
                return delivered
            held = {item.reminder.id: item for item in batch}
            # Renewing and settling both replace a claim's end (its token): one at a time.
            claims = asyncio.Lock()
            renewer = asyncio.create_task(self._renew(held, claims), name="reminder-leases")
            try:
                sent = await asyncio.gather(*(self._deliver(item, held, claims) for item in batch))
            finally:
                renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewer
            delivered += sum(sent)
            if any(sent):
                logger.info("delivered %d reminder(s)", sum(sent))
            if len(batch) < self.config.batch:
                return delivered

    async def _deliver(self, item: Due, held: dict[int, Due], claims: asyncio.Lock) -> bool:
        """Sends one reminder and settles it at once; True when it was delivered."""
        ok = await self._send(item)
        async with claims:
            current = held.pop(item.reminder.id, None)
            if current is None:
                return ok  # the claim was lost while sending (another process may send it again)
            now = self._clock.now()
            try:
                if ok:
                    await self._service.settle(now, delivered=[current])
                elif self._exhausted(current):
                    logger.warning(
                        "reminder %s for member %s given up after %d attempts",
                        current.reminder.id,
                        current.reminder.member_id,
                        current.reminder.attempts,
                    )
                    await self._service.settle(now, abandoned=[current])
                else:
                    await self._service.settle(now, retry=[(current, now + self._backoff(current))])
            except StorageError as exc:
                # Unsettled, the claim runs out and the reminder is sent again: at-least-once.
                logger.warning("reminder %s not settled (%s)", current.reminder.id, type(exc).__name__)
        return ok

    async def _renew(self, held: dict[int, Due], claims: asyncio.Lock) -> None:
        interval = self.config.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            async with claims:
                if not held:
                    continue
                until = self._clock.now() + timedelta(seconds=self.config.lease_seconds)
                try:
                    renewed = await self._service.renew(list(held.values()), until)
                except StorageError as exc:
                    logger.warning("reminder leases not renewed (%s)", type(exc).__name__)
                    continue
                # A claim not renewed keeps its old end: a reminder the rep marked done meanwhile
                # still gets its delivery recorded with it; one taken over by another process after
                # the lease ran out is simply not settled by this one.
                held.update((item.reminder.id, item) for item in renewed)

    async def _send(self, item: Due) -> bool:
        """True when one of the member's channels took the message."""
        member = item.member
        if member is None or not member.active:
            return False
        async with self._sending:
            overdue_after = timedelta(seconds=self.config.overdue_after_seconds)
            reply = delivery(member, item, self._clock.now(), overdue_after)
            sent = await deliver(self._notifier, item.identities, reply, what=f"reminder {item.reminder.id}")
        return sent is not None

    def _exhausted(self, item: Due) -> bool:
        member = item.member
        if member is None or not member.active:
            return True  # nobody left to tell
        return item.reminder.attempts >= self.config.max_attempts

    def _backoff(self, item: Due) -> timedelta:
        seconds = self.config.retry_seconds * 2 ** max(item.reminder.attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.config.max_retry_seconds))
