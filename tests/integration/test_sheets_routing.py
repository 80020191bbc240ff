"""Imported rows without an owner go through territory routing where the team has territories: to the
rep of the row's territory, or to the pool, each recorded as a lead of source "import"."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.sheets.reader import SpreadsheetFiles
from bot.sheets.writer import XlsxWriter
from chat.app import App, Ports
from crm.imports import Outcome
from crm.leads import LeadSource, LeadStatus
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage import tables as t
from storage.files import FileSpool
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock
from tests.support.deals import RecordingNotifier
from tests.support.sheets import xlsx
from tests.support.territory import PLACES, SalesTeam, lead_job, load_territories, sales_team

HEADER = ["客户名称", "联系人", "手机", "地址", "负责人"]
ROWS = [
    ["浦东甲公司", "甲", "13800000001", "上海市浦东新区张江路88号", None],  # Pudong: 小李 or 小王
    ["广州乙公司", "乙", "13800000002", "广州市天河区体育西路1号", None],  # South China: 小赵
    ["丙公司", "丙", "13800000003", None, None],  # no place at all: the pool
    ["丁公司", "丁", "13800000004", "上海市浦东新区世纪大道1号", "小张"],  # named owner: no routing
]


@pytest.fixture
def app(any_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    return App(
        Ports(
            uow=SqlUnitOfWorkFactory(any_engine),
            clock=clock,
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(tmp_path / "spool"),
            places=PLACES,
            sheets=SpreadsheetFiles(),
            workbooks=XlsxWriter,
        )
    )


@pytest.fixture
async def team(app: App) -> SalesTeam:
    return await sales_team(app)


async def owners(engine: AsyncEngine) -> dict[str, tuple[int, int, int]]:
    """Each customer's owner, its contact's owner and its deal's owner."""
    c, p, d = t.customers.c, t.contacts.c, t.deals.c
    query = (
        select(c.name, c.owner_id, p.owner_id, d.owner_id)
        .join(t.contacts, p.customer_id == c.id)
        .join(t.deals, d.customer_id == c.id)
        .where(c.archived_at.is_(None))
    )
    async with engine.connect() as conn:
        return {row[0]: (row[1], row[2], row[3]) for row in (await conn.execute(query)).all()}


async def import_leads(engine: AsyncEngine) -> list[tuple[str, str, str | None]]:
    query = (
        select(t.customers.c.name, t.leads.c.status, t.leads.c.origin)
        .join(t.customers, t.customers.c.id == t.leads.c.customer_id)
        .where(t.leads.c.source == LeadSource.IMPORT.value)
        .order_by(t.customers.c.name)
    )
    async with engine.connect() as conn:
        return [(row[0], row[1], row[2]) for row in (await conn.execute(query)).all()]


async def test_rows_without_an_owner_are_routed_by_territory_and_undone_with_the_import(
    app: App, team: SalesTeam, any_engine: AsyncEngine
) -> None:
    await load_territories(app, team)
    data = xlsx([HEADER, *ROWS])

    dry = await app.imports.run(team.manager, data, "名单.xlsx", dry_run=True)
    assert dry.count(Outcome.CREATED) == 4
    assert await import_leads(any_engine) == []  # a dry run routes nothing

    result = await app.imports.run(team.manager, data, "名单.xlsx")
    assert result.count(Outcome.CREATED) == 4

    found = await owners(any_engine)
    assert found["浦东甲公司"][0] in (team.li.id, team.wang.id)
    assert found["广州乙公司"] == (team.zhao.id,) * 3  # the customer, its contact and its deal move together
    assert found["丁公司"] == (team.zhang.id,) * 3
    pool_owner = found["丙公司"][0]
    assert pool_owner not in {m.id for m in (team.admin, team.manager, *team.reps)}
    assert found["丙公司"] == (pool_owner,) * 3
    assert len(set(found["浦东甲公司"])) == 1
    assert await import_leads(any_engine) == [
        ("丙公司", LeadStatus.POOL.value, "名单.xlsx"),
        ("广州乙公司", LeadStatus.ASSIGNED.value, "名单.xlsx"),
        ("浦东甲公司", LeadStatus.ASSIGNED.value, "名单.xlsx"),
    ]
    assert (await app.pool.listing(team.admin)).total == 1

    # The same file again creates nothing and routes nothing.
    again = await app.imports.run(team.manager, data, "名单.xlsx")
    assert again.count(Outcome.CREATED) == 0
    assert len(await import_leads(any_engine)) == 3

    assert result.run_id is not None
    await app.imports.undo(team.manager, result.run_id)
    assert await owners(any_engine) == {}
    assert (await app.pool.listing(team.admin)).total == 0  # the pool shows no archived customer


async def test_a_reps_rows_stay_theirs_and_a_team_without_territories_keeps_the_importer(
    app: App, team: SalesTeam, any_engine: AsyncEngine
) -> None:
    await app.imports.run(team.manager, xlsx([HEADER, ROWS[0]]), "a.xlsx")
    assert (await owners(any_engine))["浦东甲公司"] == (team.manager.id,) * 3
    assert await import_leads(any_engine) == []

    await load_territories(app, team)
    await app.imports.run(team.zhang, xlsx([HEADER, ROWS[1]]), "b.xlsx")
    assert (await owners(any_engine))["广州乙公司"] == (team.zhang.id,) * 3
    assert await import_leads(any_engine) == []


async def test_many_rows_routed_to_one_rep_make_one_message_not_a_card_each(
    app: App, team: SalesTeam, clock: FakeClock
) -> None:
    await load_territories(app, team)
    names = ["广州星河科技", "佛山蓝海贸易", "深圳天元电子"]
    cities = ["广州市天河区体育西路1号", "佛山市顺德区北滘镇", "深圳市南山区科技园"]
    phones = ["13800000101", "13900000102", "13700000103"]
    south = [[name, f"客户{n}", phones[n], cities[n], None] for n, name in enumerate(names)]
    await app.imports.run(team.manager, xlsx([HEADER, *south, ROWS[0]]), "展会名单.xlsx")
    notifier = RecordingNotifier()
    sent = await lead_job(app, notifier, clock).tick()
    assert sent.notices == 4
    (summary,) = notifier.to(team.zhao.id)
    assert "导入的 3 条线索分配给了你（展会名单.xlsx）" in summary.text
    assert all(name in summary.text for name in names)
    pudong = notifier.to(team.li.id) + notifier.to(team.wang.id)
    assert len(pudong) == 1 and "新线索分配给你" in pudong[0].text  # one lead: its card
    assert (await lead_job(app, notifier, clock).tick()).notices == 0  # settled: sent once
