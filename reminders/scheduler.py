"""The reminder scheduler: sleeps until the next reminder falls due, then claims, sends and settles.

Exactly once across processes sharing one database: a reminder is sent only by the process whose
claim (a lease, `claimed_until`) took it. A process that dies after claiming leaves the lease to run
out, and whoever claims next delivers it. A failed send keeps the claim, moved to a retry time that
doubles with each attempt, until `max_attempts` claims have been spent; then it is given up (logged
and audited). The one window left is a crash after the message went out and before the delivery was
recorded: that reminder is sent again when its lease runs out.
"""

from __future__ import annotations

import asyncio
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
            sent = await asyncio.gather(*(self._send(item) for item in batch))
            ok = [item for item, done in zip(batch, sent, strict=True) if done]
            failed = [item for item, done in zip(batch, sent, strict=True) if not done]
            now = self._clock.now()
            retry = [(item, now + self._backoff(item)) for item in failed if not self._exhausted(item)]
            abandoned = [item for item in failed if self._exhausted(item)]
            for item in abandoned:
                logger.warning(
                    "reminder %s for member %s given up after %d attempts",
                    item.reminder.id,
                    item.reminder.member_id,
                    item.reminder.attempts,
                )
            await self._service.settle(now, delivered=ok, retry=retry, abandoned=abandoned)
            delivered += len(ok)
            if ok:
                logger.info("delivered %d reminder(s)", len(ok))
            if len(batch) < self.config.batch:
                return delivered

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
