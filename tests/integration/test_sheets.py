"""Spreadsheet import and export end to end, on real SQLite files and the CI PostgreSQL: real .xlsx
(openpyxl, with a merged title and a merged group header), .xls (xlwt, BIFF8), UTF-8, UTF-8 BOM and
GBK CSV files with duplicates and bad rows; export then import changes nothing; importing a file twice
creates nothing the second time; undo takes an import back as a whole."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.sheets.reader import SpreadsheetFiles
from crm.errors import InputRejected
from crm.exports import Entity
from crm.imports import ImportService, Outcome
from crm.inputs import ChatMessage
from crm.model import DealStatus, DuplicateStatus, ImportMode, ImportStatus, ReminderStatus
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage import tables as t
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock, Team
from tests.support.sheets import csv_bytes, read_xlsx, sheets_app, xls, xlsx
from tests.support.team import join_team

HEADER = ["客户名称", "联系人", "职位", "手机", "邮箱", "阶段", "预算", "下次跟进", "行业"]
ROWS = [
    [
        "华为技术有限公司",
        "张伟",
        "采购经理",
        "13800138000",
        "zw@huawei.com",
        "需求锁定",
        "50万",
        "2026-12-01",
        "通信",
    ],
    # the same person again, phone typed with spaces: one record
    ["华为技术有限公司", "张伟", None, "138 0013 8000", None, None, None, None, None],
    ["腾讯科技", "李娜", None, "12345", None, None, None, None, None],  # bad phone
    ["阿里巴巴", "王芳", None, "13900139000", None, "第九阶段", None, None, None],  # unknown stage
    ["字节跳动", None, None, None, None, None, None, None, "互联网"],  # a company only
    [None, None, "经理", None, None, None, None, None, None],  # neither company nor name
]


async def count(engine: AsyncEngine, table: Table, *where: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


async def snapshot(engine: AsyncEngine, table: Table) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(table).order_by(table.c.id))).mappings()
        return [dict(row) for row in rows]


@pytest.fixture
async def kit(
    any_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> tuple[Any, Team, AsyncEngine]:
    app = sheets_app(any_engine, clock, extractor, tmp_path)
    return app, await join_team(app), any_engine


async def test_an_xlsx_with_merged_headers_is_imported_with_dedup_and_reasons(
    kit: tuple[Any, Team, AsyncEngine],
) -> None:
    app, team, engine = kit
    data = xlsx([HEADER, *ROWS], title="2026年客户名单", group=("联系方式", 4, 5))
    result = await app.imports.run(team.manager, data, "客户名单.xlsx")

    assert result.count(Outcome.CREATED) == 2
    assert result.count(Outcome.MERGED) == 1  # the repeated 张伟 row went to the first one's record
    assert result.count(Outcome.FAILED) == 3
    reasons = {(f.line, f.problem.key) for f in result.failures}
    # line numbers count the title and the group header rows above the header
    assert reasons == {
        (6, "import.row.bad_phone"),
        (7, "import.row.unknown_stage"),
        (9, "import.row.no_name"),
    }
    assert result.unknown_columns == ["行业"]
    assert await count(engine, t.customers) == 2
    assert await count(engine, t.contacts) == 1  # 字节跳动 names no one: a customer without a contact
    async with engine.connect() as conn:
        deal = (
            (await conn.execute(select(t.deals).where(t.deals.c.title == "华为技术有限公司")))
            .mappings()
            .one()
        )
        customer = (
            (await conn.execute(select(t.customers).where(t.customers.c.name == "华为技术有限公司")))
            .mappings()
            .one()
        )
        contact = (await conn.execute(select(t.contacts))).mappings().one()
        notes = (
            (await conn.execute(select(t.interactions.c.content).where(t.interactions.c.source == "note")))
            .scalars()
            .all()
        )
        reminder = (await conn.execute(select(t.reminders))).mappings().one()
    assert deal["stage"] == "requirements" and deal["amount_cny"] == 500_000
    assert customer["budget_cny"] == 500_000
    assert customer["next_meeting"] == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert contact["phones"] == ["+8613800138000"] and contact["title"] == "采购经理"
    assert sorted(notes) == ["行业: 互联网", "行业: 通信"]
    assert reminder["member_id"] == team.manager.id and reminder["status"] == ReminderStatus.PENDING.value


async def test_importing_the_same_file_twice_creates_nothing_the_second_time(
    kit: tuple[Any, Team, AsyncEngine],
) -> None:
    app, team, engine = kit
    data = xlsx([HEADER, *ROWS])
    await app.imports.run(team.manager, data, "a.xlsx")
    before = {
        table.name: await snapshot(engine, table) for table in (t.customers, t.contacts, t.deals, t.reminders)
    }
    notes = await count(engine, t.interactions, t.interactions.c.source == "note")
    live = await count(engine, t.interactions, t.interactions.c.undone_at.is_(None))

    again = await app.imports.run(team.manager, data, "a.xlsx")

    assert again.count(Outcome.CREATED) == 0
    assert again.count(Outcome.UNCHANGED) == 3  # 张伟 twice and 字节跳动; the bad rows fail again
    assert again.count(Outcome.FAILED) == 3
    after = {
        table.name: await snapshot(engine, table) for table in (t.customers, t.contacts, t.deals, t.reminders)
    }
    assert after == before
    assert await count(engine, t.interactions, t.interactions.c.source == "note") == notes
    # Not even the import's own bookkeeping interaction stays (exports and histories show none).
    assert await count(engine, t.interactions, t.interactions.c.undone_at.is_(None)) == live


async def test_export_then_import_changes_nothing(
    kit: tuple[Any, Team, AsyncEngine], clock: FakeClock
) -> None:
    app, team, engine = kit
    # Records made the usual ways: captures, an import, and a second owner with the same name as nobody.
    await app.capture.chat(
        team.rep, [ChatMessage("星辰科技有限公司 王磊 13812345678 wl@xc.com，预算30万", key="c1")]
    )
    await app.capture.chat(team.manager, [ChatMessage("上海浦东 蓝海贸易 刘洋 经理 18611112222", key="c2")])
    await app.imports.run(team.manager, xlsx([HEADER, *ROWS]), "a.xlsx")
    clock.advance(hours=1)
    tables = (t.customers, t.contacts, t.deals, t.reminders, t.duplicate_flags, t.contact_keys)
    before = {table.name: await snapshot(engine, table) for table in tables}
    notes = await count(engine, t.interactions, t.interactions.c.source == "note")

    exported = await app.exports.export(team.manager, Entity.ALL)
    result = await app.imports.run(team.manager, exported.data, exported.file_name)

    assert result.count(Outcome.CREATED) == result.count(Outcome.UPDATED) == result.count(Outcome.FAILED) == 0
    assert result.count(Outcome.UNCHANGED) == exported.rows[Entity.CUSTOMERS] + exported.rows[Entity.CONTACTS]
    assert set(result.skipped_sheets) == {"商机", "跟进记录"}
    assert {table.name: await snapshot(engine, table) for table in tables} == before
    assert await count(engine, t.interactions, t.interactions.c.source == "note") == notes


async def test_the_export_speaks_the_members_language_and_scope(kit: tuple[Any, Team, AsyncEngine]) -> None:
    app, team, engine = kit
    await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 王磊 13812345678", key="c1")])
    await app.capture.chat(team.rep2, [ChatMessage("蓝海贸易 刘洋 18611112222", key="c2")])
    team.rep.lang = team.rep.lang.__class__("en")

    own = await app.exports.export(team.rep, Entity.ALL)
    sheets = read_xlsx(own.data)

    assert list(sheets) == ["Customers", "Contacts", "Deals", "Interactions"]
    assert sheets["Contacts"][0][:5] == ["ID", "Company", "Name", "Title", "Phone"]
    assert [row[2] for row in sheets["Contacts"][1:]] == ["王磊"]  # a rep exports only their own
    assert sheets["Contacts"][1][4] == "+8613812345678"  # a phone stays text
    assert sheets["Customers"][1][7] == "Lead activated"  # the funnel's name, in the member's language
    assert sheets["Interactions"][1][1] == datetime(2026, 11, 23, 10, 0)  # Shanghai time, not UTC
    team_wide = await app.exports.export(team.manager, Entity.CONTACTS)
    assert team_wide.rows == {Entity.CONTACTS: 2} and team_wide.team
    async with engine.connect() as conn:
        audits = (await conn.execute(select(t.audit).where(t.audit.c.action == "export"))).mappings().all()
    assert [(a["actor_id"], a["detail"]["rows"]) for a in audits] == [
        (team.rep.id, {"customers": 1, "contacts": 1, "deals": 1, "interactions": 1}),
        (team.manager.id, {"contacts": 2}),
    ]


@pytest.mark.parametrize(
    ("kind", "encoding"),
    [("xls", None), ("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gbk")],
)
async def test_xls_and_csv_files_in_their_encodings(
    kit: tuple[Any, Team, AsyncEngine], kind: str, encoding: str | None
) -> None:
    app, team, engine = kit
    rows = [
        ["公司", "姓名", "电话", "邮箱", "备注"],
        ["北京字节跳动科技有限公司", "王芳", "13900139000", "wf@bytedance.com", "展会认识"],
        ["北京字节跳动科技有限公司", "王芳", "13900139000", None, None],
        ["深圳市大疆创新科技有限公司", "陈晨", "not a phone", None, None],
    ]
    if kind == "xls":
        data, name = xls(rows, title="客户"), "clients.xls"
    else:
        assert encoding is not None
        data, name = csv_bytes(rows, encoding), "clients.csv"
    result = await app.imports.run(team.manager, data, name)

    assert (result.count(Outcome.CREATED), result.count(Outcome.MERGED), result.count(Outcome.FAILED)) == (
        1,
        1,
        1,
    )
    async with engine.connect() as conn:
        customer = (await conn.execute(select(t.customers.c.name))).scalars().one()
        note = (
            (await conn.execute(select(t.interactions.c.content).where(t.interactions.c.source == "note")))
            .scalars()
            .one()
        )
    assert customer == "北京字节跳动科技有限公司"  # decoded right, whatever the encoding
    assert note == "展会认识"


async def test_a_dry_run_reports_the_same_and_writes_nothing(kit: tuple[Any, Team, AsyncEngine]) -> None:
    app, team, engine = kit
    data = xlsx([HEADER, *ROWS])
    tables = (t.customers, t.contacts, t.deals, t.interactions, t.audit, t.import_runs, t.field_journal)
    before = {table.name: await count(engine, table) for table in tables}

    dry = await app.imports.run(team.manager, data, "a.xlsx", dry_run=True)

    assert {table.name: await count(engine, table) for table in tables} == before
    real = await app.imports.run(team.manager, data, "a.xlsx")
    assert dry.counts == real.counts and dry.flagged == real.flagged
    assert [(f.line, f.problem) for f in dry.failures] == [(f.line, f.problem) for f in real.failures]
    assert dry.run_id is None and real.run_id is not None


async def test_matched_records_fill_only_empty_fields_and_the_modes(
    kit: tuple[Any, Team, AsyncEngine],
) -> None:
    app, team, engine = kit
    captured = await app.capture.chat(
        team.manager, [ChatMessage("星辰科技有限公司 王磊 13812345678", key="c1")]
    )
    assert captured.contact is not None and captured.customer is not None
    header = ["客户名称", "联系人", "手机", "职位", "邮箱"]
    row = ["星辰科技有限公司", "王磊二号", "13812345678", "总监", "wl@xc.com"]

    skipped = await app.imports.run(team.manager, xlsx([header, row]), "a.xlsx", mode=ImportMode.SKIP)
    assert skipped.count(Outcome.SKIPPED) == 1
    refused = await app.imports.run(team.manager, xlsx([header, row]), "a.xlsx", mode=ImportMode.CREATE)
    assert [f.problem.key for f in refused.failures] == ["import.row.exists"]
    assert refused.failures[0].problem.params == {"ids": f"#{captured.contact.id}"}
    updated = await app.imports.run(team.manager, xlsx([header, row]), "a.xlsx")
    assert updated.count(Outcome.UPDATED) == 1
    async with engine.connect() as conn:
        contact = (await conn.execute(select(t.contacts))).mappings().one()
    assert contact["name"] == "王磊"  # filled already: kept
    assert contact["title"] == "总监" and contact["emails"] == ["wl@xc.com"]  # empty: filled
    assert await count(engine, t.contacts) == 1

    # A row saying it is newer than the record replaces what it had.
    newer = ["客户名称", "联系人", "手机", "职位", "更新时间"]
    later = ["星辰科技有限公司", "王磊", "13812345678", "副总裁", "2027-01-01 10:00"]
    await app.imports.run(team.manager, xlsx([newer, later]), "b.xlsx")
    async with engine.connect() as conn:
        assert (await conn.execute(select(t.contacts.c.title))).scalar_one() == "副总裁"


async def test_several_matches_fail_and_a_near_match_is_flagged(kit: tuple[Any, Team, AsyncEngine]) -> None:
    app, team, engine = kit
    await app.capture.chat(team.manager, [ChatMessage("星辰科技有限公司 王磊 13812345678", key="c1")])
    await app.capture.chat(team.manager, [ChatMessage("蓝海贸易有限公司 刘洋 wl@lanhai.com", key="c2")])
    header = ["客户名称", "联系人", "手机", "邮箱"]
    rows = [
        ["新公司", "某人", "13812345678", "wl@lanhai.com"],  # the phone of one contact, the e-mail of another
        ["星晨科技", "王磊", None, None],  # 87.5 like 星辰科技 王磊: imported, and flagged for review
    ]
    result = await app.imports.run(team.manager, xlsx([header, *rows]), "a.xlsx")

    assert [f.problem.key for f in result.failures] == ["import.row.several_matches"]
    assert result.failures[0].problem.params["ids"].count("#") == 2
    assert result.count(Outcome.CREATED) == 1 and result.flagged == 1
    async with engine.connect() as conn:
        flag = (await conn.execute(select(t.duplicate_flags))).mappings().one()
    assert flag["kind"] == "review" and flag["status"] == DuplicateStatus.OPEN.value


async def test_owners_reps_and_routing(kit: tuple[Any, Team, AsyncEngine]) -> None:
    app, team, engine = kit
    header = ["客户名称", "联系人", "负责人"]
    rows = [
        ["甲公司", "甲", "小王"],  # another rep
        ["乙公司", "乙", "小李"],  # the rep themselves
        ["丙公司", "丙", None],  # no owner: the importer
        ["丁公司", "丁", "不存在的人"],
    ]
    by_rep = await app.imports.run(team.rep, xlsx([header, *rows]), "a.xlsx")
    assert sorted(f.problem.key for f in by_rep.failures) == [
        "import.row.owner_not_allowed",
        "import.row.owner_unknown",
    ]
    by_manager = await app.imports.run(team.manager, xlsx([header, rows[0]]), "b.xlsx")
    assert by_manager.count(Outcome.CREATED) == 1
    async with engine.connect() as conn:
        owners = dict((await conn.execute(select(t.customers.c.name, t.customers.c.owner_id))).all())
    assert owners == {"乙公司": team.rep.id, "丙公司": team.rep.id, "甲公司": team.rep2.id}


async def test_undo_archives_what_it_made_and_restores_what_it_filled(
    kit: tuple[Any, Team, AsyncEngine], clock: FakeClock
) -> None:
    app, team, engine = kit
    captured = await app.capture.chat(
        team.manager, [ChatMessage("星辰科技有限公司 王磊 13812345678", key="c1")]
    )
    assert captured.contact is not None
    header = ["客户名称", "联系人", "手机", "职位", "下次跟进"]
    rows = [
        ["星辰科技有限公司", "王磊", "13812345678", "总监", None],  # fills the title of an existing contact
        ["新公司甲", "张三", "13900001111", None, "2026-12-01"],
        ["新公司乙", "李四", "13900002222", None, None],
    ]
    result = await app.imports.run(team.manager, xlsx([header, *rows]), "a.xlsx")
    assert result.run_id is not None
    clock.advance(minutes=5)
    # A colleague's later work on one created record keeps it.
    kept = await app.capture.chat(team.rep, [ChatMessage("新公司乙 李四 13900002222 预算20万", key="c2")])
    assert kept.outcome.value in ("colleague", "updated")

    undone = await app.imports.undo(team.manager, result.run_id)

    async with engine.connect() as conn:
        contacts = {r["name"]: r for r in (await conn.execute(select(t.contacts))).mappings()}
        reminders = (await conn.execute(select(t.reminders.c.status))).scalars().all()
        run = (await conn.execute(select(t.import_runs))).mappings().one()
    assert contacts["王磊"]["title"] is None and contacts["王磊"]["archived_at"] is None
    assert contacts["张三"]["archived_at"] is not None
    assert reminders == [ReminderStatus.CANCELLED.value]
    assert run["status"] == ImportStatus.UNDONE.value
    assert len(undone.undone.reverted) == 1
    with pytest.raises(InputRejected):
        await app.imports.undo(team.manager, result.run_id)


async def test_a_file_without_a_company_or_name_column_is_refused_before_anything_is_written(
    kit: tuple[Any, Team, AsyncEngine],
) -> None:
    app, team, engine = kit
    data = xlsx([["手机", "邮箱"], ["13800138000", "a@b.com"]])
    with pytest.raises(InputRejected) as refused:
        await app.imports.run(team.manager, data, "a.xlsx")
    assert refused.value.key == "import.no_columns" and "手机" in refused.value.params["found"]
    assert (
        await count(engine, t.import_runs) == 0
        and await count(engine, t.audit, t.audit.c.action == "import") == 0
    )


async def test_more_than_ten_thousand_rows_are_refused_with_the_limit(
    kit: tuple[Any, Team, AsyncEngine],
) -> None:
    app, team, engine = kit
    rows = [["客户名称"], *([f"公司{i}"] for i in range(10_001))]
    with pytest.raises(InputRejected) as refused:
        await app.imports.run(team.manager, csv_bytes(rows, "utf-8"), "big.csv")
    assert refused.value.key == "import.too_many_rows" and refused.value.params == {"limit": 10_000}
    assert await count(engine, t.customers) == 0


async def test_a_won_deal_and_a_stage_change_by_a_newer_row(kit: tuple[Any, Team, AsyncEngine]) -> None:
    app, team, engine = kit
    header = ["客户名称", "阶段", "更新时间"]
    await app.imports.run(
        team.manager, xlsx([header, ["甲公司", "赢单", None], ["乙公司", "线索激活", None]]), "a.xlsx"
    )
    await app.imports.run(team.manager, xlsx([header, ["乙公司", "③", "2027-01-01"]]), "b.xlsx")
    await app.imports.run(team.rep, xlsx([header, ["乙公司", "④", "2027-02-01"]]), "c.xlsx")  # not the rep's
    async with engine.connect() as conn:
        deals = {r["title"]: r for r in (await conn.execute(select(t.deals))).mappings()}
        moves = (await conn.execute(select(t.deal_stage_changes))).mappings().all()
    assert deals["甲公司"]["status"] == DealStatus.WON.value
    assert deals["乙公司"]["stage"] == "solution"
    assert [(m["to_stage"], m["override_reason"]) for m in moves] == [("solution", "import")]


@pytest.mark.parametrize("dry_run", [True, False])
async def test_progress_is_reported_after_each_chunk(
    kit: tuple[Any, Team, AsyncEngine], clock: FakeClock, dry_run: bool
) -> None:
    _, team, engine = kit
    # The bot's chunks are 1,000 rows (CHUNK_ROWS); 100 here keeps the test small.
    imports = ImportService(
        SqlUnitOfWorkFactory(engine), clock, Normalizer(), SpreadsheetFiles(), chunk_rows=100
    )
    rows = [["客户名称", "联系人", "手机"]]
    rows += [[f"进度测试公司{i:03d}", f"联系人{i:03d}", f"139{i:08d}"] for i in range(250)]
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    result = await imports.run(
        team.manager, csv_bytes(rows, "utf-8"), "a.csv", dry_run=dry_run, progress=progress
    )

    assert result.count(Outcome.CREATED) == 250
    assert seen == [(100, 250), (200, 250), (250, 250)]
    assert await count(engine, t.customers) == (0 if dry_run else 250)
