"""The morning digest on SQLite and PostgreSQL: who gets what, when, and exactly once per member and
day, across two processes (two engines on one database) and restarts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.views import Act, Reply
from crm.errors import InputRejected
from crm.inputs import ChatMessage
from crm.model import DigestStatus, Identity, Member, Role
from nlu.extractor import Extractor
from reminders.digest import DigestConfig
from storage import tables as t
from storage.db import create_engine
from tests.conftest import FakeClock, Team, person
from tests.support.deals import FixedCalendar, RecordingNotifier, digest_job, make_deals_app

MONDAY_0900_SHANGHAI = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    # The team joins two weeks before the Monday its digests are for: someone who joins after a day's
    # digest time gets their first digest the next workday.
    return FakeClock(MONDAY_0900_SHANGHAI - timedelta(days=14))


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def app(
    any_engine: AsyncEngine,
    clock: FakeClock,
    extractor: Extractor,
    tmp_path: Path,
    notifier: RecordingNotifier,
) -> App:
    return make_deals_app(any_engine, clock, extractor, tmp_path, notifier=notifier)


async def capture(app: App, rep: Member, text: str) -> int:
    result = await app.capture.chat(rep, [ChatMessage(text=text, sender="客户")])
    assert result.deal is not None
    return result.deal.id


async def seed(app: App, team: Team, clock: FakeClock) -> dict[str, int]:
    """A week ago: a stalled lead of rep's with an overdue promise, and a fresh one of rep2's."""
    clock.moment = MONDAY_0900_SHANGHAI - timedelta(days=8)
    stalled = await capture(
        app,
        team.rep,
        "我是华为技术有限公司的采购经理张伟，电话 138 1234 5678。预算50万，明年3月上线。我们周五前把报价发给您",
    )
    clock.moment = MONDAY_0900_SHANGHAI - timedelta(hours=20)
    fresh = await capture(app, team.rep2, "我是星辰科技的王芳，13911112222")
    clock.moment = MONDAY_0900_SHANGHAI - timedelta(minutes=30)
    return {"stalled": stalled, "fresh": fresh}


async def test_managers_and_reps_get_their_digest_once(
    app: App, team: Team, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    deals = await seed(app, team, clock)
    assert await digest_job(app).run_due() == 0  # 08:30: not yet
    assert notifier.sent == []

    clock.moment = MONDAY_0900_SHANGHAI
    delivered = await digest_job(app).run_due()
    # The admin and the manager get the team digest; rep has an overdue commitment; rep2 has nothing.
    assert delivered == 3
    assert {identity.member_id for identity, _ in notifier.sent} == {
        team.admin.id,
        team.manager.id,
        team.rep.id,
    }

    (manager_digest,) = notifier.to(team.manager.id)
    text = manager_digest.text
    assert "销售早报" in text and "进行中的商机：2 个" in text
    assert "停滞（本阶段超过 5 天）：1 个" in text and f"#D{deals['stalled']}" in text
    assert "1 项承诺已逾期" in text  # the suggested intervention for the stalled deal
    assert "① 线索激活  2" in text
    assert manager_digest.attachment is not None and manager_digest.attachment.data.startswith(b"\x89PNG")
    acts = {(b.act, b.target) for b in manager_digest.all_buttons()}
    assert (Act.DEAL_OPEN, deals["stalled"]) in acts and (Act.DEAL_PING, deals["stalled"]) in acts

    (rep_digest,) = notifier.to(team.rep.id)
    assert "逾期的承诺（1）" in rep_digest.text and "报价" in rep_digest.text

    clock.advance(hours=3)
    assert await digest_job(app).run_due() == 0
    assert len(notifier.sent) == 3


async def test_two_processes_and_a_restart_send_each_digest_once(
    app: App,
    team: Team,
    clock: FakeClock,
    notifier: RecordingNotifier,
    schema_url: str,
    extractor: Extractor,
    tmp_path: Path,
) -> None:
    await seed(app, team, clock)
    clock.moment = MONDAY_0900_SHANGHAI
    second_engine = create_engine(schema_url)
    try:
        other = make_deals_app(second_engine, clock, extractor, tmp_path / "other", notifier=notifier)
        results = await asyncio.gather(
            digest_job(app).run_due(), digest_job(other).run_due(), digest_job(app).run_due()
        )
        assert sum(results) == 3
        per_member = [identity.member_id for identity, _ in notifier.sent]
        assert sorted(per_member) == sorted({team.admin.id, team.manager.id, team.rep.id})

        # A restart later that morning: a new process finds the day's digests taken.
        restarted = make_deals_app(second_engine, clock, extractor, tmp_path / "restart", notifier=notifier)
        clock.advance(minutes=45)
        assert await digest_job(restarted).run_due() == 0
        assert len(notifier.sent) == 3
    finally:
        await second_engine.dispose()

    # The next workday brings the next digest.
    clock.advance(days=1)
    assert await digest_job(app).run_due() == 3


async def test_weekends_holidays_and_chosen_times(
    any_engine: AsyncEngine, team: Team, clock: FakeClock, notifier: RecordingNotifier, app: App
) -> None:
    await seed(app, team, clock)
    app.digests.calendar = FixedCalendar({MONDAY_0900_SHANGHAI.date()})
    clock.moment = MONDAY_0900_SHANGHAI
    assert await digest_job(app).run_due() == 0  # a holiday
    clock.moment = MONDAY_0900_SHANGHAI - timedelta(days=2)  # Saturday
    assert await digest_job(app).run_due() == 0
    app.digests.calendar = FixedCalendar()

    # The manager wants it at 08:00, the admin not at all.
    assert "08:00" in (await app.command(team.manager, "digest", "8:00")).text
    assert "关闭" in (await app.command(team.admin, "digest", "off")).text
    with pytest.raises(InputRejected) as bad:
        await app.command(team.admin, "digest", "早上")
    assert bad.value.key == "digest.bad_time"
    clock.moment = MONDAY_0900_SHANGHAI - timedelta(hours=1)  # 08:00 Monday
    assert await digest_job(app).run_due() == 1
    assert [identity.member_id for identity, _ in notifier.sent] == [team.manager.id]


async def _delivery(engine: AsyncEngine, member: Member) -> tuple[str, int]:
    async with engine.connect() as conn:
        query = select(t.digest_deliveries).where(t.digest_deliveries.c.member_id == member.id)
        row = (await conn.execute(query)).mappings().one()
    return row["status"], row["attempts"]


async def test_a_refused_delivery_is_retried_with_a_growing_wait_then_failed(
    app: App, team: Team, clock: FakeClock, notifier: RecordingNotifier, any_engine: AsyncEngine
) -> None:
    await seed(app, team, clock)
    clock.moment = MONDAY_0900_SHANGHAI
    notifier.refuse = {team.manager.id, team.rep.id}
    assert await digest_job(app).run_due() == 1  # the admin; the manager and rep are refused
    assert await _delivery(any_engine, team.rep) == ("retrying", 1)
    assert await digest_job(app).run_due() == 0  # the retry is a minute away
    assert notifier.refused == [team.manager.id, team.rep.id]

    notifier.refuse = {team.manager.id}  # the rep can be reached again, the manager never
    # The manager's attempts come 1, 2, 4 and 8 minutes apart: 09:01, 09:03, 09:07, 09:15.
    attempts_by_minute: dict[int, int] = {}
    for minute in range(1, 40):
        clock.moment = MONDAY_0900_SHANGHAI + timedelta(minutes=minute)
        before = notifier.refused.count(team.manager.id)
        await digest_job(app).run_due()
        if notifier.refused.count(team.manager.id) > before:
            attempts_by_minute[minute] = notifier.refused.count(team.manager.id)
    assert attempts_by_minute == {1: 2, 3: 3, 7: 4, 15: 5}
    assert await _delivery(any_engine, team.manager) == ("failed", 5)
    assert notifier.to(team.manager.id) == []

    (rep_digest,) = notifier.to(team.rep.id)  # delivered on its second attempt, once
    assert "逾期的承诺（1）" in rep_digest.text
    assert await _delivery(any_engine, team.rep) == ("delivered", 2)
    assert await _delivery(any_engine, team.manager) == ("failed", 5)


async def test_a_claim_whose_process_died_is_sent_by_another_process_once_its_lease_ran_out(
    app: App,
    team: Team,
    clock: FakeClock,
    notifier: RecordingNotifier,
    schema_url: str,
    extractor: Extractor,
    tmp_path: Path,
) -> None:
    await seed(app, team, clock)
    clock.moment = MONDAY_0900_SHANGHAI
    day = team.manager.local(clock.now()).date()
    # The first process claims the manager's digest and dies before sending it.
    dead = await app.digests.claim(team.manager, day, clock.now(), timedelta(seconds=120), 5)
    assert dead is not None and dead.attempt == 1
    second_engine = create_engine(schema_url)
    try:
        other = make_deals_app(second_engine, clock, extractor, tmp_path / "other", notifier=notifier)
        assert await digest_job(other).run_due() == 2  # the admin and the rep; the manager is held
        clock.moment = MONDAY_0900_SHANGHAI + timedelta(seconds=119)
        assert await digest_job(other).run_due() == 0  # not before the lease ran out
        assert notifier.to(team.manager.id) == []

        clock.moment = MONDAY_0900_SHANGHAI + timedelta(seconds=120)
        assert await digest_job(other).run_due() == 1
        (digest,) = notifier.to(team.manager.id)
        assert "销售早报" in digest.text
        # The dead claim is no longer anyone's to settle: a late settle from its process changes nothing.
        assert not await app.digests.settle(dead, DigestStatus.FAILED)
        assert await _delivery(second_engine, team.manager) == ("delivered", 2)

        clock.advance(minutes=5)
        assert await digest_job(other).run_due() == 0
        assert await digest_job(app).run_due() == 0
        assert len(notifier.to(team.manager.id)) == 1
    finally:
        await second_engine.dispose()


async def test_two_jobs_ticking_at_once_take_over_dead_claims_each_exactly_once(
    app: App,
    team: Team,
    clock: FakeClock,
    notifier: RecordingNotifier,
    schema_url: str,
    extractor: Extractor,
    tmp_path: Path,
) -> None:
    await seed(app, team, clock)
    engines = [create_engine(schema_url) for _ in range(2)]
    try:
        first, second = (
            make_deals_app(engine, clock, extractor, tmp_path / f"p{i}", notifier=notifier)
            for i, engine in enumerate(engines)
        )
        for day in range(3):  # Monday to Wednesday
            start = MONDAY_0900_SHANGHAI + timedelta(days=day)
            clock.moment = start
            # A process that died claimed every digest due.
            for member, local_day in await app.digests.due(clock.now()):
                assert await app.digests.claim(member, local_day, clock.now(), timedelta(seconds=120), 5)
            clock.moment = start + timedelta(minutes=2)
            before = len(notifier.sent)
            results = await asyncio.gather(
                *(digest_job(process).run_due() for process in (first, second, first, second))
            )
            assert sum(results) == 3
            assert await digest_job(second).run_due() == 0
            sent = [identity.member_id for identity, _ in notifier.sent[before:]]
            assert sorted(sent) == sorted([team.admin.id, team.manager.id, team.rep.id]), day
    finally:
        for engine in engines:
            await engine.dispose()


@dataclass
class HeldNotifier(RecordingNotifier):
    """Holds the first message to `member_id` until `release` is set (a slow channel)."""

    member_id: int = 0
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, identity: Identity, reply: Reply) -> None:
        if identity.member_id == self.member_id and not self.holding.is_set():
            self.holding.set()
            await self.release.wait()
        await super().send(identity, reply)


async def test_the_lease_is_renewed_while_a_digest_is_being_sent(
    any_engine: AsyncEngine, team: Team, clock: FakeClock, extractor: Extractor, tmp_path: Path, app: App
) -> None:
    await seed(app, team, clock)
    notifier = HeldNotifier(member_id=team.manager.id)
    first = make_deals_app(any_engine, clock, extractor, tmp_path / "first", notifier=notifier)
    second = make_deals_app(any_engine, clock, extractor, tmp_path / "second", notifier=notifier)
    clock.moment = MONDAY_0900_SHANGHAI
    # A short lease (in the fake clock's time) renewed every third of it (in real time).
    lease = DigestConfig(lease_seconds=0.3)
    sending = asyncio.create_task(digest_job(first, lease).run_due())
    await asyncio.wait_for(notifier.holding.wait(), 30)
    clock.advance(minutes=10)  # long past the claim's first lease
    for _ in range(600):  # up to 30 s on a loaded machine; the renewal comes every 0.1 s
        if await _lease_until(any_engine, team.manager) > clock.now():
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the lease of the digest being sent was not renewed")
    # Renewed: another process leaves the manager's digest alone (and sends those not yet taken).
    await digest_job(second).run_due()
    assert notifier.to(team.manager.id) == []
    notifier.release.set()
    await asyncio.wait_for(sending, 30)
    assert len(notifier.to(team.manager.id)) == 1
    assert sorted(identity.member_id for identity, _ in notifier.sent) == sorted(
        [team.admin.id, team.manager.id, team.rep.id]
    )
    assert await _delivery(any_engine, team.manager) == ("delivered", 1)


async def _lease_until(engine: AsyncEngine, member: Member) -> datetime:
    async with engine.connect() as conn:
        query = select(t.digest_deliveries.c.lease_until).where(t.digest_deliveries.c.member_id == member.id)
        until: datetime = (await conn.execute(query)).scalar_one()
    return until


async def test_ping_the_owner_from_the_digest(
    app: App, team: Team, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    deals = await seed(app, team, clock)
    reply = await app.press(team.manager, Act.DEAL_PING, deals["stalled"], "")
    assert "已提醒 小李" in reply.text
    (ping,) = notifier.to(team.rep.id)
    assert "经理 请你跟进" in ping.text and f"#D{deals['stalled']}" in ping.text
    assert ping.all_buttons()[0].act is Act.DEAL_OPEN
    notifier.refuse = {team.rep2.id}
    reply = await app.press(team.manager, Act.DEAL_PING, deals["fresh"], "")
    assert "没能联系到" in reply.text


async def test_no_digest_on_the_day_someone_joins_after_its_time_nor_for_an_empty_team(
    any_engine: AsyncEngine, extractor: Extractor, tmp_path: Path
) -> None:
    clock = FakeClock(MONDAY_0900_SHANGHAI + timedelta(hours=1))  # Monday 10:00 in Shanghai
    notifier = RecordingNotifier()
    app = make_deals_app(any_engine, clock, extractor, tmp_path, notifier=notifier)
    founded = await app.members.start(person("1", "Boss"), None)
    assert founded.member is not None
    assert await digest_job(app).run_due() == 0  # joined after 09:00 today
    clock.moment = MONDAY_0900_SHANGHAI + timedelta(days=1)  # Tuesday 09:00
    assert await digest_job(app).run_due() == 0  # no deals yet: nothing worth a message
    assert notifier.sent == []
    rep_invite = await app.members.invite(founded.member, Role.REP)
    rep = (await app.members.start(person("2", "小李"), rep_invite.code)).member
    assert rep is not None
    await app.chat(rep, [ChatMessage("星辰科技有限公司 王芳 13911112222 预算50万", key="d1")])
    clock.moment = MONDAY_0900_SHANGHAI + timedelta(days=2)  # Wednesday 09:00
    assert await digest_job(app).run_due() == 1  # the manager; the rep has nothing due
