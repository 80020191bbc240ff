"""Reminder delivery lag: 1,000 reminders due within the same minute, delivered by the real scheduler
loop on the real clock through a recording notifier. Prints p50/p99/max of (sent - due) on SQLite and,
when CHATCRM_TEST_POSTGRES_URL is set, PostgreSQL. Target: every reminder within 5 s of its due time."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from chat.app import App, Ports
from chat.views import Reply
from crm.clock import SystemClock
from crm.inputs import Newcomer
from crm.model import Channel, Identity, Member, Reminder, ReminderKind, ReminderStatus
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from reminders.scheduler import ReminderScheduler, SchedulerConfig
from storage.db import create_engine, sqlite_url
from storage.files import FileSpool
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWorkFactory

COUNT = 1000
TARGET_SECONDS = 5.0
LEAD_SECONDS = 3.0  # the first reminder falls due this long after seeding, so the loop is asleep


class Recorder:
    """chat.ports.Notifier that notes when each reminder was sent."""

    def __init__(self) -> None:
        self.sent_at: dict[str, datetime] = {}
        self.all_sent = asyncio.Event()

    async def send(self, identity: Identity, reply: Reply) -> None:
        self.sent_at[reply.text.splitlines()[0]] = datetime.now(UTC)
        if len(self.sent_at) >= COUNT:
            self.all_sent.set()


async def _seed(app: App, spread_seconds: float) -> tuple[Member, dict[str, datetime]]:
    founded = await app.members.start(Newcomer(Channel.CONSOLE, "bench", "bench", "Bench", "zh"), None)
    member = founded.member
    assert member is not None
    start = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    due: dict[str, datetime] = {}
    async with app.ports.uow() as uow:
        for i in range(COUNT):
            moment = start + timedelta(seconds=spread_seconds * i / COUNT)
            reminder = Reminder(
                id=0,
                team_id=member.team_id,
                member_id=member.id,
                kind=ReminderKind.ASK,
                text=f"r{i}",
                due_at=moment,
                status=ReminderStatus.PENDING,
                created_at=datetime.now(UTC),
            )
            await uow.reminders.add(reminder)
            due[f"⏰ 提醒：r{i}"] = moment
        await uow.commit()
    return member, due


async def _measure(url: str, spread_seconds: float, spool: Path) -> list[float]:
    await upgrade(url)
    engine = create_engine(url)
    try:
        app = App(
            Ports(
                uow=SqlUnitOfWorkFactory(engine),
                clock=SystemClock(),
                extractor=Extractor(),
                normalizer=Normalizer(),
                spool=FileSpool(spool),
            )
        )
        _, due = await _seed(app, spread_seconds)
        recorder = Recorder()
        scheduler = ReminderScheduler(app.reminders, recorder, SystemClock(), SchedulerConfig())
        task = asyncio.create_task(scheduler.run())
        try:
            await asyncio.wait_for(recorder.all_sent.wait(), timeout=spread_seconds + 120)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await engine.dispose()
    return [(recorder.sent_at[key] - moment).total_seconds() for key, moment in due.items()]


def _report(label: str, lags: list[float]) -> None:
    ordered = sorted(lags)
    p50 = statistics.median(ordered)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    verdict = "within" if ordered[-1] <= TARGET_SECONDS else "OVER"
    print(
        f"{label:<40} n={len(ordered)}  p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  "
        f"max {ordered[-1] * 1000:7.1f} ms  ({verdict} the {TARGET_SECONDS:.0f} s target)",
        flush=True,
    )


async def _postgres_database(base_url: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return f"{base_url.rpartition('/')[0]}/{name}", name


async def _drop_postgres(base_url: str, name: str) -> None:
    admin = create_engine(base_url)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def _main() -> None:
    postgres = os.environ.get("CHATCRM_TEST_POSTGRES_URL")
    print(f"{COUNT} reminders, real scheduler loop and clock, recording notifier; lag = sent - due")
    for spread, shape in ((60.0, "spread over one minute"), (0.0, "all due at the same instant")):
        with tempfile.TemporaryDirectory() as tmp:
            lags = await _measure(sqlite_url(Path(tmp) / "bench.db"), spread, Path(tmp) / "spool")
            _report(f"SQLite, {shape}", lags)
        if postgres:
            url, name = await _postgres_database(postgres)
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    lags = await _measure(url, spread, Path(tmp) / "spool")
                _report(f"PostgreSQL, {shape}", lags)
            finally:
                await _drop_postgres(postgres, name)
    if not postgres:
        print("PostgreSQL skipped: CHATCRM_TEST_POSTGRES_URL is not set")


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
