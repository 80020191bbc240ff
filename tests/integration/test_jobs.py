"""Durable jobs (crm.jobs, storage.jobs) and the inbox (crm.inbox) on SQLite and PostgreSQL: each job
once across processes, a lane's jobs in order and one at a time, leases renewed while a job runs and
taken over when their process died, retries with backoff, the last attempt and giving up, and a busy
sender that cannot starve the others. Two "processes" are two unit-of-work factories on two engines."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from crm.clock import SystemClock
from crm.inbox import Admission, Inbox, Incoming
from crm.jobs import JobConfig, JobRunner
from crm.model import Job, NewJob
from storage.db import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock
from tests.support.telegram_inbox import until


@pytest.fixture
async def second_engine(schema_url: str, any_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """A second engine on the same database: another process's connections."""
    engine = create_engine(schema_url)
    yield engine
    await engine.dispose()


async def write(engine: AsyncEngine, jobs: list[NewJob], at: datetime | None = None) -> None:
    uow_factory = SqlUnitOfWorkFactory(engine)
    async with uow_factory() as uow:
        await uow.jobs.add(jobs, at or datetime.now(UTC))
        await uow.commit()


@contextlib.asynccontextmanager
async def running(*runners: JobRunner) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(r.run()) for r in runners]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


Handle = Callable[[Job, bool], Awaitable[None]]


def runner(engine: AsyncEngine, handle: Handle, clock: object | None = None, **config: object) -> JobRunner:
    settings: dict[str, object] = {"queue": "test", "slots": 3, "poll_seconds": 0.05, "lease_seconds": 5.0}
    settings.update(config)
    return JobRunner(SqlUnitOfWorkFactory(engine), clock or SystemClock(), JobConfig(**settings), handle)  # type: ignore[arg-type]


async def test_two_processes_handle_each_job_once_and_each_lane_in_order(
    any_engine: AsyncEngine, second_engine: AsyncEngine
) -> None:
    lanes, per_lane = 8, 12
    await write(
        any_engine,
        [NewJob("test", f"lane-{n % lanes}", f"k-{n}", {"n": n}) for n in range(lanes * per_lane)],
    )
    handled: list[tuple[str, int, str]] = []
    active: dict[str, int] = {}

    def handler(name: str) -> Handle:
        async def handle(job: Job, final: bool) -> None:
            active[job.lane] = active.get(job.lane, 0) + 1
            assert active[job.lane] == 1, "two jobs of one lane at once"
            await asyncio.sleep(0.002)
            handled.append((job.lane, int(job.payload["n"]), name))
            active[job.lane] -= 1

        return handle

    one, two = runner(any_engine, handler("one")), runner(second_engine, handler("two"))
    async with running(one, two):
        await until(lambda: len(handled) == lanes * per_lane)
        await asyncio.sleep(0.2)  # nothing more comes
    assert sorted(n for _, n, _ in handled) == list(range(lanes * per_lane))  # each once
    for lane in range(lanes):
        order = [n for name, n, _ in handled if name == f"lane-{lane}"]
        assert order == sorted(order)  # written order, whichever process took each
    assert {name for _, _, name in handled} == {"one", "two"}  # both took part


async def test_a_job_of_a_dead_process_is_taken_over_when_its_lease_ends(
    any_engine: AsyncEngine, clock: FakeClock
) -> None:
    await write(any_engine, [NewJob("test", "o-1", "k-1")], clock.now())
    # A process claimed it, then died (kill -9): nobody renews or settles its lease.
    async with SqlUnitOfWorkFactory(any_engine)() as uow:
        (taken,) = await uow.jobs.claim(
            "test", "dead", clock.now(), clock.now() + timedelta(seconds=30), limit=1
        )
        await uow.commit()
    assert taken.attempts == 1
    seen: list[int] = []

    async def handle(job: Job, final: bool) -> None:
        seen.append(job.attempts)

    survivor = runner(any_engine, handle, clock, lease_seconds=30.0)
    async with running(survivor):
        await asyncio.sleep(0.3)
        assert seen == []  # the lease still holds
        clock.advance(seconds=31)
        await until(lambda: seen == [2])


async def test_a_lease_is_renewed_while_its_job_runs(
    any_engine: AsyncEngine, second_engine: AsyncEngine
) -> None:
    await write(any_engine, [NewJob("test", "o-1", "slow")])
    runs: list[str] = []
    started = asyncio.Event()

    def slow(name: str) -> Handle:
        async def handle(job: Job, final: bool) -> None:
            runs.append(name)
            started.set()
            await asyncio.sleep(4.5)  # several lease lengths

        return handle

    # Leases long enough that a renewal every third of one survives a loaded machine's pauses.
    first = runner(any_engine, slow("first"), lease_seconds=1.5)
    async with running(first):
        await asyncio.wait_for(started.wait(), 30)
        other = runner(second_engine, slow("other"), lease_seconds=1.5)
        async with running(other):
            await asyncio.sleep(5.0)
    assert runs == ["first"]


async def test_failures_are_retried_with_backoff_and_the_last_attempt_is_final(
    any_engine: AsyncEngine,
) -> None:
    await write(any_engine, [NewJob("test", "o-1", "flaky"), NewJob("test", "o-2", "broken")])
    attempts: list[tuple[str, int, bool]] = []
    given_up: list[str] = []

    async def handle(job: Job, final: bool) -> None:
        attempts.append((job.key, job.attempts, final))
        if job.key == "broken" or job.attempts < 3:
            raise RuntimeError("the database went away")

    async def give_up(job: Job) -> None:
        given_up.append(job.key)

    jobs = JobRunner(
        SqlUnitOfWorkFactory(any_engine),
        SystemClock(),
        JobConfig("test", poll_seconds=0.02, max_attempts=4, retry_seconds=0.05),
        handle,
        give_up=give_up,
    )
    async with running(jobs):
        await until(lambda: given_up == ["broken"] and ("flaky", 3, False) in attempts)
        await asyncio.sleep(0.3)
    assert [a for a in attempts if a[0] == "flaky"] == [
        ("flaky", 1, False),
        ("flaky", 2, False),
        ("flaky", 3, False),
    ]
    assert [a for a in attempts if a[0] == "broken"] == [
        ("broken", 1, False),
        ("broken", 2, False),
        ("broken", 3, False),
        ("broken", 4, True),
    ]
    async with SqlUnitOfWorkFactory(any_engine)() as uow:
        assert (
            await uow.jobs.claim(
                "test", "x", datetime.now(UTC) + timedelta(days=1), datetime.now(UTC), limit=9
            )
            == []
        )


async def test_a_job_that_kills_its_process_every_time_is_given_up(
    any_engine: AsyncEngine, clock: FakeClock
) -> None:
    await write(any_engine, [NewJob("test", "o-1", "poison")], clock.now())
    for _ in range(3):  # three processes died on it
        async with SqlUnitOfWorkFactory(any_engine)() as uow:
            assert await uow.jobs.claim(
                "test", "dead", clock.now(), clock.now() + timedelta(seconds=5), limit=1
            )
            await uow.commit()
        clock.advance(seconds=6)
    handled: list[int] = []
    given_up: list[int] = []

    async def handle(job: Job, final: bool) -> None:
        handled.append(job.attempts)

    async def give_up(job: Job) -> None:
        given_up.append(job.attempts)

    jobs = JobRunner(
        SqlUnitOfWorkFactory(any_engine),
        clock,
        JobConfig("test", poll_seconds=0.02, max_attempts=3),
        handle,
        give_up=give_up,
    )
    async with running(jobs):
        await until(lambda: given_up == [4])
    assert handled == []


async def test_a_busy_sender_takes_one_slot_and_others_go_on(any_engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    await write(any_engine, [NewJob("test", "busy", f"busy-{n}") for n in range(30)], now)
    await write(any_engine, [NewJob("test", "quiet", "quiet-1")], now + timedelta(milliseconds=1))
    done: list[str] = []

    async def handle(job: Job, final: bool) -> None:
        await asyncio.sleep(0.01)
        done.append(job.key)

    async with running(runner(any_engine, handle, slots=2)):
        await until(lambda: len(done) == 31)
    assert done.index("quiet-1") < 3  # not after the busy sender's thirty


async def test_together_lanes_run_in_one_process_at_once(
    any_engine: AsyncEngine, second_engine: AsyncEngine
) -> None:
    """Telegram's lanes: a sender's updates go to the one process holding the lane's first update, all
    at once (the burst collector there waits for the rest of a forwarded conversation)."""
    await write(any_engine, [NewJob("test", "o-1", "first")])
    gate = asyncio.Event()
    seen: list[tuple[str, str]] = []

    def handler(name: str) -> Handle:
        async def handle(job: Job, final: bool) -> None:
            seen.append((name, job.key))
            await gate.wait()

        return handle

    one = runner(any_engine, handler("one"), together=True)
    async with running(one):
        await until(lambda: len(seen) == 1)
        two = runner(second_engine, handler("two"), together=True)
        async with running(two):
            await write(second_engine, [NewJob("test", "o-1", "second"), NewJob("test", "o-1", "third")])
            await until(lambda: len(seen) == 3)  # while "first" still runs
            gate.set()
            await asyncio.sleep(0.2)
    assert seen == [("one", "first"), ("one", "second"), ("one", "third")]


# --- the inbox ------------------------------------------------------------------------------------


async def test_two_processes_accept_a_message_once(
    any_engine: AsyncEngine, second_engine: AsyncEngine
) -> None:
    clock = SystemClock()
    one, two = (
        Inbox(SqlUnitOfWorkFactory(any_engine), clock),
        Inbox(SqlUnitOfWorkFactory(second_engine), clock),
    )
    message = Incoming("wechat", "o-1", "wx:o-1:42", {"fields": {"Content": "hi"}})
    results = await asyncio.gather(*(inbox.accept(message) for inbox in (one, two, one, two)))
    assert sorted(results) == sorted([Admission.ACCEPTED, *[Admission.DUPLICATE] * 3])
    # Much later, in another process: still known.
    assert await two.accept(message) is Admission.DUPLICATE
    async with SqlUnitOfWorkFactory(any_engine)() as uow:
        assert await uow.jobs.waiting("wechat", ["o-1"]) == {"o-1": 1}


async def test_a_replayed_request_is_recognised_by_its_nonce_in_any_process(
    any_engine: AsyncEngine, second_engine: AsyncEngine
) -> None:
    clock = SystemClock()
    one, two = (
        Inbox(SqlUnitOfWorkFactory(any_engine), clock),
        Inbox(SqlUnitOfWorkFactory(second_engine), clock),
    )
    assert (
        await one.accept(Incoming("wechat", "o-1", "wx:o-1:1", nonce="1700000000:777")) is Admission.ACCEPTED
    )
    # The same signed request with another message inside (plaintext mode signs no body).
    assert await two.accept(Incoming("wechat", "o-1", "wx:o-1:2", nonce="1700000000:777")) is Admission.REPLAY
    assert (
        await two.accept(Incoming("wechat", "o-1", "wx:o-1:2", nonce="1700000000:778")) is Admission.ACCEPTED
    )


async def test_one_sender_cannot_fill_the_inbox(any_engine: AsyncEngine) -> None:
    inbox = Inbox(SqlUnitOfWorkFactory(any_engine), SystemClock(), max_waiting=3)
    burst = [Incoming("wechat", "o-busy", f"wx:o-busy:{n}", nonce=f"1:{n}") for n in range(5)]
    results = await asyncio.gather(*(inbox.accept(m) for m in burst))
    assert results.count(Admission.ACCEPTED) == 3 and results.count(Admission.FULL) == 2
    assert await inbox.accept(Incoming("wechat", "o-other", "wx:o-other:1")) is Admission.ACCEPTED
    # A refused request was not remembered: the same request sent again is not a replay (still full).
    assert await inbox.accept(burst[4]) is Admission.FULL


async def test_old_dedup_keys_and_expired_nonces_are_purged_and_nothing_else(
    any_engine: AsyncEngine, clock: FakeClock
) -> None:
    uow_factory = SqlUnitOfWorkFactory(any_engine)
    inbox = Inbox(uow_factory, clock)
    assert await inbox.accept(Incoming("wechat", "o-1", "wx:o-1:1", nonce="1:1")) is Admission.ACCEPTED
    async with uow_factory() as uow:
        # a capture's own dedup key (not the inbox's): kept however old
        await uow.processed.add(["tg:1:1"], clock.now())
        await uow.commit()
    clock.advance(days=1)
    assert await inbox.accept(Incoming("wechat", "o-1", "wx:o-1:2", nonce="1:2")) is Admission.ACCEPTED
    clock.advance(days=6, hours=12)
    # the first message's key is 7.5 days old, the second's 6.5; both nonces expired long ago
    assert await inbox.purge() == 3
    async with uow_factory() as uow:
        assert await uow.processed.seen(["in:wx:o-1:1", "in:wx:o-1:2", "tg:1:1"]) == {"in:wx:o-1:2", "tg:1:1"}
    assert await inbox.purge() == 0  # nothing more to forget
