"""The weekly data-health nudge on SQLite and PostgreSQL, with a fake clock: each rep at most once a
week, on a workday from 10:30 their time, in their language, naming the gaps they can fix from chat
(whose buttons fix them); exactly once across two processes, a lease that runs out taken over, a
refused delivery retried after a pause a few times; /health for managers and reps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.views import Act
from crm.data_health import GapKind, NudgeStatus, week_of
from crm.errors import NotAllowed
from crm.inputs import ChatMessage
from crm.model import Lang, Member
from nlu.extractor import Extractor
from reminders.nudges import NudgeJob
from storage import tables as t
from storage.db import create_engine
from tests.conftest import FakeClock, Team
from tests.support.deals import FixedCalendar, RecordingNotifier, make_deals_app

MONDAY_1030_SHANGHAI = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
MONDAY = MONDAY_1030_SHANGHAI.date()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_1030_SHANGHAI - timedelta(days=40))


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


def job(app: App) -> NudgeJob:
    """The nudge job of a process running `app` (what bot/wiring.py starts)."""
    return NudgeJob(app.data_health, app.members, app.ports.notifier, app.ports.clock)


async def seed(app: App, team: Team, clock: FakeClock) -> Member:
    """40 days ago rep captured a lead with no phone; rep2 (English) one with a phone. Both leads have
    no follow-up status and no next step; rep's is untouched since."""
    await app.capture.chat(
        team.rep, [ChatMessage("我是星辰科技有限公司的王芳，邮箱 wangfang@xingchen.com", key="s1")]
    )
    rep2 = await app.members.set_lang(team.rep2, Lang.EN)
    clock.moment = MONDAY_1030_SHANGHAI - timedelta(days=3)
    await app.capture.chat(
        rep2, [ChatMessage("Li Lei from Bluesea Trading Ltd, mobile 13600001111", key="s2")]
    )
    clock.moment = MONDAY_1030_SHANGHAI - timedelta(minutes=30)  # Monday 10:00
    return rep2


async def test_each_rep_once_a_week_in_their_language(
    app: App, team: Team, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    await seed(app, team, clock)
    assert await job(app).run_due() == 0  # 10:00: not yet
    clock.moment = MONDAY_1030_SHANGHAI
    assert await job(app).run_due() == 2
    assert {identity.member_id for identity, _ in notifier.sent} == {team.rep.id, team.rep2.id}  # reps only

    (zh,) = notifier.to(team.rep.id)
    assert zh.text.startswith("🧹 每周数据小提醒")
    assert "• 1 位联系人没有电话：发来他的名片，或点下面的名字输入号码（如 王芳·星辰科技有限公司）" in zh.text
    assert "• 1 个客户没有跟进状态" in zh.text and "• 1 个商机没有下一步" in zh.text
    assert "• 1 个客户超过 30 天没有联系" in zh.text
    phone = next(b for b in zh.all_buttons() if b.act is Act.EDIT_FIELD)
    assert (phone.label, phone.arg) == ("☎ 王芳", "phone")
    (en,) = notifier.to(team.rep2.id)
    assert en.text.startswith("🧹 Your weekly data check")
    assert "• 1 customer has no follow-up status" in en.text and "(e.g. Bluesea Trading Ltd)" in en.text
    assert "no phone" not in en.text
    assert "untouched" not in en.text  # captured three days ago

    for later in (timedelta(hours=3), timedelta(days=1), timedelta(days=4)):  # Monday 13:30, Tuesday, Friday
        clock.moment = MONDAY_1030_SHANGHAI + later
        assert await job(app).run_due() == 0
    clock.moment = MONDAY_1030_SHANGHAI + timedelta(days=7)  # next Monday
    assert await job(app).run_due() == 2
    assert len(notifier.sent) == 4


async def test_the_nudges_buttons_fix_what_they_name(
    app: App, team: Team, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    await seed(app, team, clock)
    clock.moment = MONDAY_1030_SHANGHAI
    await job(app).run_due()
    (nudge,) = notifier.to(team.rep.id)
    phone = next(b for b in nudge.all_buttons() if b.act is Act.EDIT_FIELD)
    prompt = await app.press(team.rep, phone.act, phone.target, phone.arg)
    assert "电话" in prompt.text
    await app.text(team.rep, "13812345678")
    follow_up = next(b for b in nudge.all_buttons() if b.act is Act.FOLLOW_UP)
    choices = await app.press(team.rep, follow_up.act, follow_up.target, follow_up.arg)
    pick = next(b for b in choices.all_buttons() if b.arg == "interested")
    await app.press(team.rep, pick.act, pick.target, pick.arg)

    health = await app.data_health.member(team.rep)
    kinds = {gap.kind for gap in health.gaps}
    assert GapKind.NO_PHONE not in kinds and GapKind.NO_FOLLOW_UP not in kinds
    assert health.figures.complete == 1 and health.figures.completeness == 100
    # The rep's own /health says the same, with buttons for what is left.
    mine = await app.command(team.rep, "health", "")
    assert mine.text.startswith("🩺 你的客户数据：核心字段完整率 100%（1 个客户）")
    assert "没有下一步" in mine.text and "没有电话" not in mine.text


async def test_a_holiday_monday_moves_it_to_the_next_workday(
    app: App, team: Team, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    await seed(app, team, clock)
    app.data_health._calendar = FixedCalendar({MONDAY})
    clock.moment = MONDAY_1030_SHANGHAI
    assert await job(app).run_due() == 0
    clock.moment = MONDAY_1030_SHANGHAI + timedelta(days=1)
    assert await job(app).run_due() == 2
    clock.moment = MONDAY_1030_SHANGHAI - timedelta(days=2)  # the Saturday before: no workday
    assert await job(app).run_due() == 0


async def test_two_processes_send_each_nudge_once(
    app: App,
    team: Team,
    clock: FakeClock,
    notifier: RecordingNotifier,
    schema_url: str,
    extractor: Extractor,
    tmp_path: Path,
) -> None:
    await seed(app, team, clock)
    clock.moment = MONDAY_1030_SHANGHAI
    second_engine = create_engine(schema_url)
    try:
        other = make_deals_app(second_engine, clock, extractor, tmp_path / "other", notifier=notifier)
        results = await asyncio.gather(job(app).run_due(), job(other).run_due(), job(app).run_due())
    finally:
        await second_engine.dispose()
    assert sum(results) == 2
    assert sorted(identity.member_id for identity, _ in notifier.sent) == sorted([team.rep.id, team.rep2.id])


async def test_a_claim_whose_process_died_is_taken_over_after_its_lease(
    app: App, team: Team, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    await seed(app, team, clock)
    clock.moment = MONDAY_1030_SHANGHAI
    # A process claims rep's nudge and dies before sending it.
    assert await app.data_health.claim(team.rep, MONDAY, clock.now()) is not None
    assert await job(app).run_due() == 1  # rep2's; rep's is held
    clock.advance(minutes=5)
    assert await job(app).run_due() == 0
    clock.advance(minutes=6)  # the lease (10 minutes) ran out
    assert await job(app).run_due() == 1
    assert len(notifier.to(team.rep.id)) == 1


async def test_a_refused_nudge_is_retried_after_a_pause_three_times_at_most(
    app: App, team: Team, clock: FakeClock, notifier: RecordingNotifier, any_engine: AsyncEngine
) -> None:
    await seed(app, team, clock)
    clock.moment = MONDAY_1030_SHANGHAI
    notifier.refuse = {team.rep.id}
    assert await job(app).run_due() == 1
    clock.advance(minutes=30)
    assert await job(app).run_due() == 0  # pausing
    for _ in range(3):
        clock.advance(hours=1)
        await job(app).run_due()
    async with any_engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    select(t.nudge_deliveries).where(t.nudge_deliveries.c.member_id == team.rep.id)
                )
            )
            .mappings()
            .one()
        )
    assert (row["status"], row["attempts"], row["week"]) == (NudgeStatus.FAILED.value, 3, week_of(MONDAY))
    notifier.refuse = set()
    clock.advance(hours=1)
    assert await job(app).run_due() == 0  # given up for this week
    clock.moment = MONDAY_1030_SHANGHAI + timedelta(days=7)
    assert await job(app).run_due() == 2


async def test_nothing_to_fix_is_no_nudge_and_managers_can_turn_them_off(
    app: App, team: Team, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    clock.moment = MONDAY_1030_SHANGHAI
    assert await job(app).run_due() == 0  # reps with no customers: nothing to fix
    assert notifier.sent == []
    assert await app.data_health.due(clock.now()) == []  # and settled as skipped for the week

    clock.moment = MONDAY_1030_SHANGHAI + timedelta(days=6)
    await app.capture.chat(team.rep, [ChatMessage("我是星辰科技有限公司的王芳", key="o1")])
    with pytest.raises(NotAllowed):
        await app.command(team.rep, "health", "off")
    assert "已关闭" in (await app.command(team.manager, "health", "off")).text
    clock.moment = MONDAY_1030_SHANGHAI + timedelta(days=7)
    assert await job(app).run_due() == 0
    report = await app.command(team.manager, "health", "")
    assert "每周数据提醒已关闭" in report.text
    assert "已打开" in (await app.command(team.manager, "health", "on")).text
    assert await job(app).run_due() == 1


async def test_the_managers_report(app: App, team: Team, clock: FakeClock) -> None:
    await seed(app, team, clock)
    clock.moment = MONDAY_1030_SHANGHAI
    report = await app.command(team.manager, "health", "")
    lines = report.text.splitlines()
    assert lines[0] == "🩺 数据健康 · 2026年11月23日"
    assert lines[1] == "核心字段完整率（3+1：客户名称、联系人、电话、跟进状态）：62% · 2 个客户，0 个完整"
    assert "缺客户名称 0 · 缺联系人 0 · 缺电话 1 · 缺跟进状态 2" in report.text
    assert "📵 没有电话的联系人：1（共 2 位）" in report.text
    assert "💤 未联系的客户：≥30天 1 · ≥60天 0 · ≥90天 0" in report.text
    assert "🧭 没有下一步的商机：2（共 2 个进行中）" in report.text
    assert "• 小李：完整率 50%（1 个客户） · 缺电话 1 · 缺跟进 1 · ≥30天未联系 1 · 无下一步 1" in report.text
    assert "• 小王：完整率 75%（1 个客户） · 缺跟进 1 · 无下一步 1" in report.text
