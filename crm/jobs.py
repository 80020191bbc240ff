"""Durable jobs: work that must survive a crash, shared by every process on one database.

The pattern, for any background work (the inbox of channel messages, voice-note transcription, and
whatever comes next: imports, alerts):

1. Write the job (`uow.jobs.add([NewJob(queue, lane, key, payload)], now)`) in the same transaction
   that makes it due, before anyone is told it was taken. Its `key` is unique: written twice (a
   redelivery, a second process), it is one job.
2. Run a `JobRunner` for the queue in every process (`await runner.run()` beside the other jobs; call
   `runner.wake()` after writing a job for it to start at once instead of at the next poll).
3. The runner claims a job with a short lease, renews the lease while the handler works, and settles
   the job one by one as soon as its handler returns: done; or, when the handler raised, released to
   be retried after a backoff that doubles; or, after its last attempt, failed, with `give_up` told
   (to tell the member, say). The handler is told when an attempt is the last (`final`), so that it
   can answer instead of raising.
4. A process that dies (kill -9, out of memory) leaves its leases to run out; another process, or the
   same one restarted, claims the job then. So a job may run more than once (at-least-once): a job
   whose work was done but not yet settled when its process died is done again, and handlers are
   idempotent by the job's key. A job that kills its process every time is given up after
   `max_attempts` claims.

Lanes: the jobs of one lane (one sender's messages) run one at a time, in the order they were
written, by whichever process claims the lane's first job; or, with `together`, at once in the one
process that holds the lane's first job (Telegram's bursts and albums are collected in memory). A lane
never takes more than one of a runner's slots, so a busy sender cannot starve the others.

Claims are atomic across processes (storage: FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional
UPDATE on SQLite).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from crm.errors import StorageError
from crm.model import Job
from crm.ports import Clock, JobRepository, UnitOfWorkFactory

logger = logging.getLogger(__name__)

Handler = Callable[[Job, bool], Awaitable[None]]
GiveUp = Callable[[Job], Awaitable[None]]

PURGE_EVERY_SECONDS = 3600.0


async def wait_a_while(event: asyncio.Event, seconds: float) -> None:
    """Until `event` is set or `seconds` passed. Not asyncio.wait_for: on Python 3.11 it swallows a
    cancellation that arrives as the event is set, and a cancelled runner would then poll forever."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


def process_owner() -> str:
    """This process's name on the leases it holds: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class JobConfig:
    queue: str
    slots: int = 4  # lanes worked on at once
    lease_seconds: float = 30.0  # renewed every third of it while a job runs
    poll_seconds: float = 0.5  # look for jobs written by other processes at least this often
    max_attempts: int = 5
    retry_seconds: float = 1.0  # the first retry; each further one waits twice as long
    max_retry_seconds: float = 60.0
    together: bool = False  # a lane's jobs at once in one process, instead of one by one
    keep_days: float = 7.0  # finished jobs are deleted after this


class JobRunner:
    """Claims, runs and settles the jobs of one queue; see the module's docstring."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        config: JobConfig,
        handle: Handler,
        *,
        give_up: GiveUp | None = None,
        owner: str | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.config = config
        self._handle = handle
        self._give_up = give_up
        self.owner = owner or process_owner()
        self._wake = asyncio.Event()
        self._stopping = False
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._held: set[int] = set()
        self.settled = 0  # jobs this runner finished, retried or gave up (tests and benchmarks)
        self._settled_event = asyncio.Event()

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.config.lease_seconds)

    @property
    def busy(self) -> bool:
        return bool(self._lanes)

    def wake(self) -> None:
        """A job was written for this queue: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Claims and runs jobs until cancelled (or stopped by `drain`; run again after that, it resumes)."""
        self._stopping = False
        renewer = asyncio.create_task(self._renew_leases(), name=f"{self.config.queue}-leases")
        purged_at = 0.0
        loop = asyncio.get_running_loop()
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    await self._fill_slots()
                    if loop.time() - purged_at > PURGE_EVERY_SECONDS:
                        purged_at = loop.time()
                        await self._purge()
                except StorageError as exc:
                    logger.warning(
                        "%s jobs: database unavailable (%s)", self.config.queue, type(exc).__name__
                    )
                await wait_a_while(self._wake, self.config.poll_seconds)
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await self._cancel_lanes()

    async def drain(self, grace_seconds: float) -> None:
        """Stops claiming and lets the running jobs finish for up to `grace_seconds`; what is left
        keeps its lease until it runs out, then another process (or this one restarted) takes it."""
        self._stopping = True
        self._wake.set()
        running = list(self._lanes.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=grace_seconds)
            if pending:
                logger.warning(
                    "%s jobs: %d still running at shutdown; another process takes them over when their "
                    "lease ends",
                    self.config.queue,
                    len(pending),
                )
        await self._cancel_lanes()

    async def idle(self) -> None:
        """Returns once nothing runs and nothing is claimable (tests)."""
        while True:
            if not self._lanes and not await self._claimable():
                return
            self._settled_event.clear()
            await wait_a_while(self._settled_event, self.config.poll_seconds)

    # --- claiming -------------------------------------------------------------------------------

    async def _claim(self, limit: int, lane: str | None = None) -> list[Job]:
        now = self._clock.now()
        async with self._uow() as uow:
            jobs = await uow.jobs.claim(
                self.config.queue,
                self.owner,
                now,
                now + self.lease,
                limit=limit,
                lane=lane,
                skip_lanes=list(self._lanes) if lane is None else (),
                together=self.config.together,
            )
            await uow.commit()
        self._held.update(job.id for job in jobs)
        return jobs

    async def _claimable(self) -> bool:
        # A claim with limit 0 is not possible; look without taking anything: the same query, rolled back.
        now = self._clock.now()
        async with self._uow() as uow:
            found = await uow.jobs.claim(
                self.config.queue, self.owner, now, now, limit=1, skip_lanes=list(self._lanes)
            )
        return bool(found)

    async def _fill_slots(self) -> None:
        free = self.config.slots - len(self._lanes)
        if free <= 0 or self._stopping:
            return
        for job in await self._claim(free):
            self._start_lane(job)

    def _start_lane(self, job: Job) -> None:
        work = self._together(job) if self.config.together else self._in_order(job)
        task = asyncio.create_task(work, name=f"{self.config.queue}-{job.lane}")
        self._lanes[job.lane] = task
        task.add_done_callback(functools.partial(self._lane_done, job.lane))

    def _lane_done(self, lane: str, _task: asyncio.Task[None]) -> None:
        self._lanes.pop(lane, None)
        self._wake.set()  # a slot is free

    async def _in_order(self, first: Job) -> None:
        job: Job | None = first
        while job is not None:
            await self._attempt(job)
            if self._stopping:
                return
            try:
                more = await self._claim(1, lane=job.lane)
            except StorageError:
                return  # the next poll (or another process) takes the lane's next job
            job = more[0] if more else None

    async def _together(self, first: Job) -> None:
        running = {asyncio.create_task(self._attempt(first))}
        try:
            while running:
                if not self._stopping:
                    with contextlib.suppress(StorageError):
                        for job in await self._claim(self.config.slots * 4, lane=first.lane):
                            running.add(asyncio.create_task(self._attempt(job)))
                done, running = await asyncio.wait(
                    running, timeout=self.config.poll_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    if not task.cancelled() and task.exception() is not None:
                        logger.error("%s job task failed", self.config.queue, exc_info=task.exception())
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def _cancel_lanes(self) -> None:
        lanes = list(self._lanes.values())
        for task in lanes:
            task.cancel()
        await asyncio.gather(*lanes, return_exceptions=True)

    # --- one attempt ----------------------------------------------------------------------------

    async def _attempt(self, job: Job) -> None:
        config = self.config
        try:
            if job.attempts > config.max_attempts:
                # Every attempt so far ended with its process (the lease ran out each time).
                logger.error("%s job %s given up: its process died on each attempt", config.queue, job.id)
                await self._settle_failed(job, "no attempt finished")
                return
            final = job.attempts >= config.max_attempts
            try:
                await self._handle(job, final)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if final:
                    logger.exception("%s job %s failed on its last attempt", config.queue, job.id)
                    await self._settle_failed(job, _describe(exc))
                    return
                delay = min(config.retry_seconds * 2 ** (job.attempts - 1), config.max_retry_seconds)
                logger.warning(
                    "%s job %s failed (attempt %d of %d), retrying in %.0f s: %s",
                    config.queue,
                    job.id,
                    job.attempts,
                    config.max_attempts,
                    delay,
                    _describe(exc),
                    exc_info=not isinstance(exc, StorageError),
                )
                error = _describe(exc)
                retry_at = self._clock.now() + timedelta(seconds=delay)
                await self._settle(lambda jobs: jobs.retry(job.id, self.owner, retry_at, error))
                return
            await self._settle(lambda jobs: jobs.finish(job.id, self.owner, self._clock.now()))
        finally:
            self._held.discard(job.id)
            self.settled += 1
            self._settled_event.set()

    async def _settle_failed(self, job: Job, error: str) -> None:
        if self._give_up is not None:
            try:
                await self._give_up(job)
            except Exception:
                logger.exception("%s job %s: telling about the failure failed", self.config.queue, job.id)
        await self._settle(lambda jobs: jobs.fail(job.id, self.owner, self._clock.now(), error))

    async def _settle(self, change: Callable[[JobRepository], Awaitable[bool]]) -> None:
        try:
            async with self._uow() as uow:
                held = await change(uow.jobs)
                await uow.commit()
        except StorageError:
            # The lease runs out and the job is run again: at-least-once, as documented.
            logger.warning("%s job could not be settled: the database failed", self.config.queue)
            return
        if not held:
            logger.warning("%s job settled after its lease was lost to another process", self.config.queue)

    # --- leases ---------------------------------------------------------------------------------

    async def _renew_leases(self) -> None:
        interval = max(self.config.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            held = sorted(self._held)
            if not held:
                continue
            try:
                async with self._uow() as uow:
                    kept = await uow.jobs.renew(held, self.owner, self._clock.now() + self.lease)
                    await uow.commit()
            except StorageError as exc:
                logger.warning("%s jobs: leases not renewed (%s)", self.config.queue, type(exc).__name__)
                continue
            lost = {job_id for job_id in held if job_id not in kept and job_id in self._held}
            if lost:
                logger.warning(
                    "%s jobs %s: lease lost (another process may run them)", self.config.queue, lost
                )

    async def _purge(self) -> None:
        before = self._clock.now() - timedelta(days=self.config.keep_days)
        async with self._uow() as uow:
            removed = await uow.jobs.purge(self.config.queue, before)
            await uow.commit()
        if removed:
            logger.info("%s jobs: %d finished ones deleted", self.config.queue, removed)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
