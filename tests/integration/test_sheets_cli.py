"""`chatcrm import` and `chatcrm export` on a real SQLite file: import with an errors file, the
template, export, a dry run of the export that changes nothing, and undo."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.cli import main
from nlu.extractor import Extractor
from storage import tables as t
from storage.db import create_engine
from storage.migrate import upgrade
from tests.conftest import FakeClock
from tests.support.deals import RecordingNotifier
from tests.support.sheets import sheets_app, xlsx
from tests.support.team import join_team


async def test_import_export_template_and_undo_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], extractor: Extractor
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}"
    await upgrade(url)
    engine = create_engine(url)
    team = await join_team(sheets_app(engine, FakeClock(), extractor, tmp_path))
    monkeypatch.setenv("CHATCRM_DATABASE_URL", url)
    source = tmp_path / "客户.xlsx"
    source.write_bytes(
        xlsx(
            [
                ["客户名称", "联系人", "手机", "负责人"],
                ["华为", "张伟", "13800138000", "小李"],
                ["腾讯", "李娜", "123", None],
            ]
        )
    )

    capsys.readouterr()
    assert await _cli(["import", str(source), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["counts"] == {"created": 1, "failed": 1}
    assert [f["reason"] for f in result["failures"]] == ["import.row.bad_phone"]
    errors = openpyxl.load_workbook(result["errors_file"]).worksheets[0]
    assert [c.value for c in errors[1]] == ["错误原因", "客户名称", "联系人", "手机", "负责人"]
    assert [c.value for c in errors[2]] == ["手机号无效：123", "腾讯", "李娜", "123", None]
    async with engine.connect() as conn:
        owner = (await conn.execute(select(t.customers.c.owner_id))).scalar_one()
    assert owner == team.rep.id

    exported = tmp_path / "all.xlsx"
    assert await _cli(["export", "all", "-o", str(exported)]) == 0
    assert openpyxl.load_workbook(exported).sheetnames == ["客户", "联系人", "商机", "跟进记录"]
    capsys.readouterr()
    assert await _cli(["import", str(exported), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"] == {"unchanged": 2}

    template = tmp_path / "template.xlsx"
    assert await _cli(["import", "template", "-o", str(template), "--lang", "en"]) == 0
    assert openpyxl.load_workbook(template).worksheets[0]["A1"].value == "Company *"

    assert await _cli(["import", "undo", str(result["import"])]) == 0
    async with engine.connect() as conn:
        live = select(func.count()).select_from(t.customers).where(t.customers.c.archived_at.is_(None))
        assert (await conn.execute(live)).scalar_one() == 0
    await engine.dispose()


async def _cli(argv: list[str]) -> int:
    # The command line runs its own event loop: run it off this test's loop.
    import asyncio

    return await asyncio.to_thread(main, argv)


async def test_the_command_line_routes_rows_without_an_owner_by_territory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extractor: Extractor
) -> None:
    from tests.support.territory import load_territories, make_pool_app, sales_team

    url = f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}"
    await upgrade(url)
    engine = create_engine(url)
    app = make_pool_app(engine, FakeClock(), extractor, tmp_path, RecordingNotifier())
    team = await sales_team(app)
    await load_territories(app, team)
    monkeypatch.setenv("CHATCRM_DATABASE_URL", url)
    source = tmp_path / "线索.xlsx"
    source.write_bytes(xlsx([["客户名称", "联系人", "地址"], ["华南某厂", "陈", "广州市天河区体育西路1号"]]))

    assert await _cli(["import", str(source)]) == 0
    async with engine.connect() as conn:
        owner = (await conn.execute(select(t.customers.c.owner_id))).scalar_one()
        source_of = (await conn.execute(select(t.leads.c.source))).scalar_one()
    assert owner == team.zhao.id  # South China's rep, not the admin the command line acts as
    assert source_of == "import"
    await engine.dispose()
