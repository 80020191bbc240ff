"""Reclaim with a fake clock on SQLite and PostgreSQL: the warning two days before with its one-tap
replies, the reclaim with its notice, audit and cooldown, what counts as a follow-up and what does not,
won deals, the routed-only scope, and one daily run whatever the number of processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.territories.view import PoolAct
from crm.customers import EditableField
from crm.inputs import ChatMessage
from crm.leads import LeadSource, LeadStatus
from crm.pool import PoolRefused
from handlers.errors import guarded
from nlu.extractor import Extractor
from storage import tables as t
from storage.db import create_engine
from tests.conftest import FakeClock
from tests.support.deals import RecordingNotifier
from tests.support.territory import (
    TERRITORIES,
    SalesTeam,
    lead_job,
    load_territories,
    make_pool_app,
    sales_team,
)

FORM = {"name": "张伟", "company": "星海科技", "phone": "13812344590", "address": "上海市浦东新区张江路88号"}


@pytest.fixture
async def engine(schema_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(schema_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def pool_app(
    engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path, notifier: RecordingNotifier
) -> App:
    return make_pool_app(engine, clock, extractor, tmp_path, notifier)


@pytest.fixture
async def team(pool_app: App) -> SalesTeam:
    team = await sales_team(pool_app)
    await load_territories(pool_app, team)
    return team


async def owner_of(engine: AsyncEngine, customer_id: int) -> int:
    async with engine.connect() as conn:
        found: int = (
            await conn.execute(select(t.customers.c.owner_id).where(t.customers.c.id == customer_id))
        ).scalar_one()
    return found


async def days(app: App, notifier: RecordingNotifier, clock: FakeClock, count: int) -> None:
    """`count` days go by, the lead job running each morning."""
    job = lead_job(app, notifier, clock)
    for _ in range(count):
        clock.advance(days=1)
        await job.tick()


async def test_a_neglected_lead_is_warned_then_reclaimed_audited_and_its_former_owner_waits(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock, engine: AsyncEngine
) -> None:
    routed = await pool_app.intake.form(team.admin.team_id, FORM, None)
    assert routed.assignee is not None and routed.assignee.id == team.li.id
    await days(pool_app, notifier, clock, 4)
    assert not [r for r in notifier.to(team.li.id) if "收回公海" in r.text]
    await days(pool_app, notifier, clock, 1)  # day 5 of 7 in 线索激活
    (warning,) = [r for r in notifier.to(team.li.id) if "收回公海" in r.text]
    assert "星海科技" in warning.text and "线索激活" in warning.text and "7 天" in warning.text
    assert {b.act for b in warning.all_buttons()} == {PoolAct.VOICE, PoolAct.EXTEND}
    voice = next(b for b in warning.all_buttons() if b.act is PoolAct.VOICE)
    assert "语音" in (await pool_app.press(team.li, voice.act, voice.target, voice.arg)).text
    await days(pool_app, notifier, clock, 1)
    assert len([r for r in notifier.to(team.li.id) if "收回公海" in r.text]) == 1  # warned once
    await days(pool_app, notifier, clock, 1)  # day 7
    (notice,) = [r for r in notifier.to(team.li.id) if "已收回公海" in r.text]
    assert "7 天内你不能重新领取" in notice.text

    pool_owner = await owner_of(engine, routed.customer.id)
    assert pool_owner not in {m.id for m in team.reps}
    async with engine.connect() as conn:
        rows = (await conn.execute(select(t.leads).order_by(t.leads.c.id))).mappings().all()
        audit = (
            (await conn.execute(select(t.audit).where(t.audit.c.action == "lead.reclaimed"))).mappings().one()
        )
    assert [(r["source"], r["status"]) for r in rows] == [("api", "reclaimed"), ("reclaim", "pool")]
    reclaimed = rows[1]
    assert reclaimed["former_owner_id"] == team.li.id and reclaimed["territory"] == "浦东"
    assert audit["detail"]["stage"] == "lead" and audit["detail"]["days"] == 7

    with pytest.raises(PoolRefused) as cooldown:
        await pool_app.pool.claim(team.li, reclaimed["id"])
    assert cooldown.value.key == "pool.refused.cooldown"
    refused = await guarded(
        pool_app, team.li.lang, pool_app.press(team.li, PoolAct.CLAIM, reclaimed["id"], "")
    )
    assert "7 天内不能重新领取" in refused.text
    await pool_app.pool.claim(team.wang, reclaimed["id"])
    assert await owner_of(engine, routed.customer.id) == team.wang.id


async def test_a_follow_up_keeps_the_lead_and_editing_a_field_does_not(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock, engine: AsyncEngine
) -> None:
    kept = await pool_app.intake.form(team.admin.team_id, FORM, None)
    other = await pool_app.intake.form(
        team.admin.team_id,
        {"name": "陈总", "company": "东方电气", "phone": "13700001111", "address": "浦东新区"},
        None,
    )
    assert other.assignee is not None and kept.assignee is not None
    await days(pool_app, notifier, clock, 6)
    # A forwarded chat by the owner is a follow-up; changing a field of the other lead is not.
    kept_owner = await pool_app.members.get(kept.assignee.id)
    assert kept_owner is not None
    await pool_app.chat(kept_owner, [ChatMessage("张伟 13812344590：报价收到了，下周给答复")])
    other_owner = await pool_app.members.get(other.assignee.id)
    assert other_owner is not None and other.lead.interaction_id is not None
    edited = await pool_app.customers.edit(
        team.manager, other.lead.interaction_id, EditableField.TITLE, "总经理"
    )
    assert edited.contact is not None and edited.contact.title == "总经理"
    await days(pool_app, notifier, clock, 1)
    assert await owner_of(engine, kept.customer.id) == kept.assignee.id
    assert await owner_of(engine, other.customer.id) != other.assignee.id


async def test_i_am_on_it_moves_the_reclaim_once(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock, engine: AsyncEngine
) -> None:
    routed = await pool_app.intake.form(team.admin.team_id, FORM, None)
    await days(pool_app, notifier, clock, 5)
    (warning,) = [r for r in notifier.to(team.li.id) if "收回公海" in r.text]
    extend = next(b for b in warning.all_buttons() if b.act is PoolAct.EXTEND)
    assert "+7" in extend.label
    done = await pool_app.press(team.li, extend.act, extend.target, extend.arg)
    assert "前不会收回" in done.text
    again = await guarded(
        pool_app, team.li.lang, pool_app.press(team.li, extend.act, extend.target, extend.arg)
    )
    assert "只能延期一次" in again.text
    await days(pool_app, notifier, clock, 7)  # day 12: still theirs (7 + 7 days)
    assert await owner_of(engine, routed.customer.id) == team.li.id
    warnings = [r for r in notifier.to(team.li.id) if "收回公海" in r.text and "已收回" not in r.text]
    assert len(warnings) == 2 and not [b for b in warnings[1].all_buttons() if b.act is PoolAct.EXTEND]
    await days(pool_app, notifier, clock, 2)  # day 14
    assert await owner_of(engine, routed.customer.id) != team.li.id


async def test_won_deals_are_never_reclaimed_and_later_stages_wait_longer(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock, engine: AsyncEngine
) -> None:
    won = await pool_app.intake.form(team.admin.team_id, FORM, None)
    later = await pool_app.intake.form(
        team.admin.team_id, {"name": "陈总", "phone": "13700001111", "address": "浦东新区"}, None
    )
    async with engine.begin() as conn:
        await conn.execute(
            update(t.deals).where(t.deals.c.customer_id == won.customer.id).values(status="won")
        )
        await conn.execute(
            update(t.deals).where(t.deals.c.customer_id == later.customer.id).values(stage="closing")
        )
    await days(pool_app, notifier, clock, 29)
    assert await owner_of(engine, later.customer.id) == later.lead.assignee_id
    await days(pool_app, notifier, clock, 1)
    assert await owner_of(engine, later.customer.id) != later.lead.assignee_id
    await days(pool_app, notifier, clock, 30)
    assert await owner_of(engine, won.customer.id) == won.lead.assignee_id


async def test_routed_only_scope_leaves_reps_own_captures_alone(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock, engine: AsyncEngine
) -> None:
    await load_territories(pool_app, team, TERRITORIES + '\n[reclaim]\nscope = "routed"\n')
    await pool_app.chat(team.zhao, [ChatMessage("深圳 刘总 13500003333 公司：海湾科技")])
    routed = await pool_app.intake.form(team.admin.team_id, FORM, None)
    await days(pool_app, notifier, clock, 8)
    async with engine.connect() as conn:
        own = (
            await conn.execute(select(t.customers.c.owner_id).where(t.customers.c.name == "海湾科技"))
        ).scalar_one()
    assert own == team.zhao.id
    assert await owner_of(engine, routed.customer.id) != team.li.id


async def test_two_processes_run_the_day_once(
    pool_app: App,
    team: SalesTeam,
    engine: AsyncEngine,
    clock: FakeClock,
    extractor: Extractor,
    tmp_path: Path,
) -> None:
    await pool_app.intake.form(team.admin.team_id, FORM, None)
    first, second = RecordingNotifier(), RecordingNotifier()
    other = make_pool_app(engine, clock, extractor, tmp_path / "other", second)
    jobs = [lead_job(pool_app, first, clock), lead_job(other, second, clock)]
    for _ in range(7):
        clock.advance(days=1)
        for job in jobs:
            await job.tick()
    texts = [r.text for r in first.to(team.li.id) + second.to(team.li.id)]
    assert len([x for x in texts if "将于" in x]) == 1 and len([x for x in texts if "已收回公海" in x]) == 1
    async with engine.connect() as conn:
        leads = (await conn.execute(select(t.leads.c.source, t.leads.c.status))).all()
    assert sorted(leads) == sorted(
        [(LeadSource.API.value, "reclaimed"), (LeadSource.RECLAIM.value, LeadStatus.POOL.value)]
    )
