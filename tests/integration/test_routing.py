"""Leads without an owner on SQLite and PostgreSQL: intake and routing with dedup and idempotency, the
lead card the rep receives, the pool with its scope, masks and claim limits, managers assigning and
picking a region, and the claim race (PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.territories.view import PoolAct
from crm.errors import InputRejected, NotAllowed, NotFound
from crm.inputs import ChatMessage
from crm.intake import FormErrors
from crm.leads import AssignedBy, LeadSource, LeadStatus
from crm.model import Role
from crm.pool import LeadTaken, PoolRefused
from crm.roster import Operator
from handlers.errors import guarded
from nlu.extractor import Extractor
from storage import tables as t
from storage.db import create_engine
from tests.conftest import FakeClock, person
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


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_a_form_lead_reaches_the_territory_rep_at_once_with_the_source_and_why(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock, engine: AsyncEngine
) -> None:
    routed = await pool_app.intake.form(team.admin.team_id, {**FORM, "source": "官网咨询"}, None)
    assert routed.assignee is not None and routed.assignee.id == team.li.id
    lead = routed.lead
    assert (lead.source, lead.status, lead.origin, lead.territory) == (
        LeadSource.API,
        LeadStatus.ASSIGNED,
        "官网咨询",
        "浦东",
    )
    assert lead.division is not None and lead.division.code == "310115"
    assert routed.customer.owner_id == team.li.id and routed.contact and routed.contact.owner_id == team.li.id

    sent = await lead_job(pool_app, notifier, clock).tick()
    assert sent.notices == 1
    (card,) = notifier.to(team.li.id)
    assert "张伟" in card.text and "+86 138 1234 4590" in card.text
    assert "网站表单（官网咨询）" in card.text and "为什么是你" in card.text and "浦东" in card.text
    # Sent once: the next pass finds nothing.
    assert (await lead_job(pool_app, notifier, clock).tick()).notices == 0
    async with engine.connect() as conn:
        actions = (
            await conn.execute(select(t.audit.c.action).where(t.audit.c.target_type == "lead"))
        ).scalars()
        assert list(actions) == ["lead.routed"]
        created = (await conn.execute(select(func.count()).select_from(t.field_journal))).scalar_one()
    assert created >= 3  # the customer, its deal and its contact, journaled as created


async def test_a_lead_matching_a_customer_goes_to_its_owner_not_through_routing(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock, engine: AsyncEngine
) -> None:
    await pool_app.chat(team.zhao, [ChatMessage("王总 13812344590 星海科技 想了解报价")])
    customers = await count(engine, t.customers)
    routed = await pool_app.intake.form(team.admin.team_id, FORM, None)
    assert routed.assignee is not None and routed.assignee.id == team.zhao.id
    assert routed.lead.assigned_by is AssignedBy.EXISTING
    assert routed.lead.reason["key"] == "routing.reason.existing_customer"
    assert await count(engine, t.customers) == customers
    await lead_job(pool_app, notifier, clock).tick()
    assert "你的客户又来了" in notifier.to(team.zhao.id)[0].text


async def test_the_same_idempotency_key_returns_the_first_lead(
    pool_app: App, team: SalesTeam, engine: AsyncEngine
) -> None:
    first = await pool_app.intake.form(team.admin.team_id, FORM, "form-1")
    again = await asyncio.gather(
        *(pool_app.intake.form(team.admin.team_id, FORM, "form-1") for _ in range(5))
    )
    assert {r.lead.id for r in again} == {first.lead.id} and all(r.repeated for r in again)
    assert await count(engine, t.leads) == 1


async def test_a_burst_of_form_leads_loses_and_doubles_none(
    pool_app: App, team: SalesTeam, engine: AsyncEngine
) -> None:
    places = ["上海市浦东新区", "上海市徐汇区", "广州天河区", "朝阳", "兰州", "New York"]

    async def post(number: int) -> int:
        form = {"name": f"客户{number}", "phone": f"139{number:08d}", "address": places[number % len(places)]}
        results = await asyncio.gather(
            pool_app.intake.form(team.admin.team_id, form, f"burst-{number}"),
            pool_app.intake.form(team.admin.team_id, form, f"burst-{number}"),  # the form's retry
        )
        assert results[0].lead.id == results[1].lead.id
        return results[0].lead.id

    ids = await asyncio.gather(*(post(n) for n in range(120)))
    assert len(set(ids)) == 120
    assert await count(engine, t.leads) == 120
    assert await count(engine, t.customers) == 120
    async with engine.connect() as conn:
        statuses: dict[str, int] = dict(
            (await conn.execute(select(t.leads.c.status, func.count()).group_by(t.leads.c.status))).all()
        )
    assert sum(statuses.values()) == 120 and set(statuses) <= {"assigned", "pool"}


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"phone": "12"}, {"phone": "invalid"}),
        ({"note": "只有备注"}, {"name": "required_one_of"}),
        ({"name": "x" * 101}, {"name": "too_long"}),
        ({"name": "张伟", "email": "not-an-email"}, {"email": "invalid"}),
        ({"name": 5}, {"name": "not_text"}),
        ({"name": "张伟", "fax": "1"}, {"fax": "unknown_field"}),
        ([1, 2], {"_": "not_an_object"}),
    ],
)
async def test_a_form_that_is_not_one_is_refused_field_by_field(
    pool_app: App, team: SalesTeam, engine: AsyncEngine, form: object, errors: dict[str, str]
) -> None:
    with pytest.raises(FormErrors) as caught:
        await pool_app.intake.form(team.admin.team_id, form, None)
    assert dict(caught.value.errors) == errors
    assert await count(engine, t.leads) == 0


async def pooled(app: App, team: SalesTeam, *, address: str = "朝阳", phone: str = "13812344590") -> int:
    routed = await app.intake.form(
        team.admin.team_id, {"name": "李雷", "phone": phone, "address": address}, None
    )
    assert routed.lead.status is LeadStatus.POOL
    return routed.lead.id


async def test_the_pool_lists_masked_leads_newest_first_and_a_claim_unmasks(
    pool_app: App, team: SalesTeam, clock: FakeClock
) -> None:
    older = await pooled(pool_app, team, phone="13812344590")
    clock.advance(minutes=5)
    newer = await pooled(pool_app, team, phone="13900001111")
    page = await pool_app.command(team.zhang, "pool", "")
    assert page.text.index(f"#L{newer}") < page.text.index(f"#L{older}")
    assert "138****4590" in page.text and "13812344590" not in page.text and "李*" in page.text
    claim = next(b for b in page.all_buttons() if b.target == older)
    assert claim.act is PoolAct.CLAIM
    card = await pool_app.press(team.zhang, claim.act, claim.target, claim.arg)
    assert "已领取" in card.text and "+86 138 1234 4590" in card.text
    late = await pool_app.press(team.zhao, PoolAct.CLAIM, older, "")
    assert "小张" in late.text  # told who took it


async def test_a_territory_s_pool_leads_are_claimable_by_its_members_only(
    pool_app: App, team: SalesTeam
) -> None:
    await pool_app.pool.set_away(team.li, weekly=frozenset(range(7)))
    await pool_app.pool.set_away(team.wang, weekly=frozenset(range(7)))
    routed = await pool_app.intake.form(team.admin.team_id, FORM, None)
    assert routed.lead.status is LeadStatus.POOL and routed.lead.territory == "浦东"
    assert routed.lead.reason["key"] == "routing.reason.nobody_eligible"
    assert (await pool_app.pool.listing(team.zhao)).total == 0
    with pytest.raises(NotFound, match=r"pool\.not_found"):
        await pool_app.pool.claim(team.zhao, routed.lead.id)
    assert (await pool_app.pool.listing(team.li)).total == 1
    assert (await pool_app.pool.listing(team.manager)).total == 1


async def test_claim_limits_name_the_limit_and_when_it_frees_up(
    pool_app: App, team: SalesTeam, clock: FakeClock
) -> None:
    leads = [await pooled(pool_app, team, phone=f"1391111000{n}") for n in range(5)]
    await pool_app.pool.claim(team.zhang, leads[0])
    await pool_app.pool.claim(team.zhang, leads[1])
    with pytest.raises(PoolRefused) as daily:
        await pool_app.pool.claim(team.zhang, leads[2])
    assert daily.value.key == "pool.refused.daily" and daily.value.params["limit"] == 2
    assert daily.value.params["until"].astimezone(team.zhang.tz).hour == 0  # midnight, team time
    refused = await pool_app.press(team.zhang, PoolAct.CLAIM, leads[2], "")
    assert "每日上限" in refused.text
    clock.advance(days=1)
    await pool_app.pool.claim(team.zhang, leads[2])  # three open deals now: the holding cap
    clock.advance(days=1)
    with pytest.raises(PoolRefused) as cap:
        await pool_app.pool.claim(team.zhang, leads[3])
    assert cap.value.key == "pool.refused.cap" and cap.value.params["limit"] == 3
    # Admins are exempt.
    await pool_app.pool.claim(team.admin, leads[3])
    await pool_app.pool.claim(team.admin, leads[4])


async def test_a_manager_assigns_or_picks_the_region_of_an_unclear_lead(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock
) -> None:
    lead_id = await pooled(pool_app, team, address="朝阳")
    await lead_job(pool_app, notifier, clock).tick()
    (notice,) = notifier.to(team.manager.id)
    assert "地区不明确" in notice.text
    places = [b for b in notice.all_buttons() if b.act is PoolAct.PICK]
    assert any("北京" in b.label for b in places) and any("辽宁" in b.label for b in places)
    with pytest.raises(NotAllowed):
        await pool_app.press(team.li, PoolAct.PICK, lead_id, places[0].arg)
    beijing = next(b for b in places if "北京" in b.label)
    reply = await pool_app.press(team.manager, beijing.act, beijing.target, beijing.arg)
    assert "北京市朝阳区" in reply.text and "公海" in reply.text  # no rule covers 华北
    lead = (await pool_app.pool.view(team.manager, lead_id)).lead
    assert lead.division is not None and lead.division.code == "110105" and not lead.candidates

    reply = await pool_app.press(team.manager, PoolAct.ASSIGN, lead_id, str(team.zhao.id))
    assert "小赵" in reply.text
    await lead_job(pool_app, notifier, clock).tick()
    (card,) = notifier.to(team.zhao.id)
    assert "王经理分配给你" in card.text


async def test_lead_command_routes_a_pasted_lead_for_managers_only(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock
) -> None:
    reply = await pool_app.command(
        team.manager, "lead", "广州天河区 陈总 13700001234 想要报价，公司：南方电气"
    )
    assert "小赵" in reply.text
    denied = await guarded(pool_app, team.li.lang, pool_app.command(team.li, "lead", "陈总 13700001234"))
    assert "只有经理" in denied.text
    prompt = await pool_app.command(team.manager, "lead", "")
    assert "粘贴或转发" in prompt.text
    manager = await pool_app.members.get(team.manager.id)
    assert manager is not None
    forwarded = await pool_app.chat(manager, [ChatMessage("我在浦东张江，电话13600002222", sender="周先生")])
    assert "小李" in forwarded.text or "小王" in forwarded.text


async def test_route_to_the_team_from_a_manager_s_capture_card(
    pool_app: App, team: SalesTeam, engine: AsyncEngine
) -> None:
    card = await pool_app.chat(team.manager, [ChatMessage("深圳南山 刘总 13500003333 公司：海湾科技")])
    route = next(b for b in card.all_buttons() if b.act is PoolAct.ROUTE)
    reply = await pool_app.press(team.manager, route.act, route.target, route.arg)
    assert "小赵" in reply.text
    async with engine.connect() as conn:
        owner = (
            await conn.execute(select(t.customers.c.owner_id).where(t.customers.c.name == "海湾科技"))
        ).scalar_one()
    assert owner == team.zhao.id
    again = await guarded(
        pool_app, team.manager.lang, pool_app.press(team.manager, route.act, route.target, route.arg)
    )
    assert "只能分配你自己录入的客户" in again.text
    rep_card = await pool_app.chat(team.li, [ChatMessage("杭州 赵总 13500004444 公司：西湖茶业")])
    assert not [b for b in rep_card.all_buttons() if b.act is PoolAct.ROUTE]


async def test_away_dates_keep_leads_from_a_rep(pool_app: App, team: SalesTeam, clock: FakeClock) -> None:
    reply = await pool_app.command(team.li, "away", "11月23日-11月27日")
    assert "2026年11月27日" in reply.text
    for n in range(3):
        routed = await pool_app.intake.form(
            team.admin.team_id, {"name": f"客户{n}", "phone": f"1370000000{n}", "address": "浦东新区"}, None
        )
        assert routed.assignee is not None and routed.assignee.id == team.wang.id
    weekly = await pool_app.command(team.li, "away", "每周六日")
    assert "周六" in weekly.text and "周日" in weekly.text
    assert "away.usage" not in (await pool_app.command(team.li, "away", "清除")).text
    assert "没有设置休假" in (await pool_app.command(team.li, "away", "")).text


async def test_a_rep_cannot_route_or_assign(pool_app: App, team: SalesTeam) -> None:
    lead_id = await pooled(pool_app, team)
    with pytest.raises(NotAllowed):
        await pool_app.pool.assign(team.li, lead_id, team.li.id)
    with pytest.raises(InputRejected):
        await pool_app.pool.forwarded(team.manager, "今天天气不错")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
async def test_twenty_reps_claim_at_once_and_exactly_one_wins_every_time(
    pool_app: App, team: SalesTeam, engine: AsyncEngine
) -> None:
    roomy = TERRITORIES.replace("holding_cap = 3", "holding_cap = 100").replace(
        "daily_claims = 2", "daily_claims = 100"
    )
    await load_territories(pool_app, team, roomy)
    reps = []
    for n in range(20):
        invite = await pool_app.members.invite(team.admin, Role.REP)
        rep = (await pool_app.members.start(person(f"r{n}", f"销售{n}"), invite.code)).member
        assert rep is not None
        reps.append(rep)
    for round_ in range(5):
        lead_id = await pooled(pool_app, team, phone=f"1380000{round_:04d}")

        async def claim(rep: object, lead: int = lead_id) -> int | None:
            try:
                view = await pool_app.pool.claim(rep, lead)  # type: ignore[arg-type]
            except LeadTaken:
                return None
            assert view.assignee is not None
            return view.assignee.id

        winners = [w for w in await asyncio.gather(*(claim(rep) for rep in reps)) if w is not None]
        assert len(winners) == 1, winners
        async with engine.connect() as conn:
            lead = (await conn.execute(select(t.leads).where(t.leads.c.id == lead_id))).mappings().one()
            owner = (
                await conn.execute(
                    select(t.customers.c.owner_id).where(t.customers.c.id == lead["customer_id"])
                )
            ).scalar_one()
            claims = (
                await conn.execute(
                    select(func.count()).where(
                        t.audit.c.action == "lead.claimed", t.audit.c.target_id == lead_id
                    )
                )
            ).scalar_one()
        assert lead["assignee_id"] == owner == winners[0] and lead["status"] == "assigned" and claims == 1


async def test_an_unclaimed_lead_is_alerted_once_to_its_manager_then_to_the_admins(
    pool_app: App,
    team: SalesTeam,
    engine: AsyncEngine,
    clock: FakeClock,
    extractor: Extractor,
    tmp_path: Path,
) -> None:
    await pool_app.pool.set_away(team.li, weekly=frozenset(range(7)))
    await pool_app.pool.set_away(team.wang, weekly=frozenset(range(7)))
    routed = await pool_app.intake.form(team.admin.team_id, FORM, None)
    assert routed.lead.status is LeadStatus.POOL
    # Two processes on one database: each alert goes out once.
    first, second = RecordingNotifier(), RecordingNotifier()
    other = make_pool_app(engine, clock, extractor, tmp_path / "other", second)
    jobs = [lead_job(pool_app, first, clock), lead_job(other, second, clock)]
    clock.advance(hours=1, minutes=59)
    for job in jobs:
        await job.tick()
    assert first.sent == second.sent == []
    clock.advance(minutes=2)
    await asyncio.gather(*(job.tick() for job in jobs))
    alerts = first.to(team.manager.id) + second.to(team.manager.id)
    assert len(alerts) == 1 and "无人领取" in alerts[0].text
    assert {b.label for b in alerts[0].all_buttons()} >= {"分配给小李", "分配给小王"}
    assert first.to(team.admin.id) + second.to(team.admin.id) == []
    clock.advance(hours=2)
    await asyncio.gather(*(job.tick() for job in jobs))
    await asyncio.gather(*(job.tick() for job in jobs))
    escalations = first.to(team.admin.id) + second.to(team.admin.id)
    assert len(escalations) == 1 and "仍无人领取" in escalations[0].text


async def test_alerts_stop_the_moment_a_lead_is_claimed(
    pool_app: App, team: SalesTeam, notifier: RecordingNotifier, clock: FakeClock
) -> None:
    lead_id = await pooled(pool_app, team)
    job = lead_job(pool_app, notifier, clock)
    await job.tick()  # the region-unclear notice
    notifier.sent.clear()
    clock.advance(hours=1)
    await pool_app.pool.claim(team.li, lead_id)
    clock.advance(hours=5)
    await job.tick()
    assert notifier.sent == []


async def test_the_digest_tells_managers_about_leads_and_the_pool(
    pool_app: App, team: SalesTeam, clock: FakeClock
) -> None:
    await pool_app.intake.form(team.admin.team_id, FORM, None)
    await pooled(pool_app, team, phone="13955556666")
    clock.advance(days=1)
    digest = await pool_app.command(team.manager, "digest", "")
    assert (
        "线索与公海" in digest.text and "昨日新线索 2 条" in digest.text and "公海待领取 1 条" in digest.text
    )
    assert "李雷" in digest.text


async def test_rep_card_after_claim_then_pool_is_empty_for_others(
    pool_app: App, team: SalesTeam, clock: FakeClock
) -> None:
    lead_id = await pooled(pool_app, team)
    await pool_app.pool.claim(team.zhao, lead_id)
    assert (await pool_app.pool.listing(team.li)).total == 0
    clock.advance(days=1)
    assert "公海里暂时没有" in (await pool_app.command(team.li, "pool", "")).text


async def test_the_pool_owner_is_no_member_to_manage(pool_app: App, team: SalesTeam) -> None:
    lead_id = await pooled(pool_app, team, address="朝阳")
    assert (await pool_app.pool.view(team.manager, lead_id)).lead.status is LeadStatus.POOL
    # The pool's holder exists (an inactive member named 公海) but neither /members nor the CLI lists
    # it, so nobody can reactivate it or hand its waiting leads over.
    roster = await pool_app.roster.roster(Operator.of(team.admin))
    names = [entry.member.name for entry in roster]
    assert "公海" not in names and team.li.name in names
