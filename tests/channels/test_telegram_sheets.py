"""Spreadsheets on Telegram, through Dispatcher.feed_update with a recording session that serves file
downloads: /import sends the template, a file captioned /import is imported with a progress message
and answered with errors.xlsx and an undo button, /export sends the workbook."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from aiogram import Bot
from aiogram.types import BufferedInputFile
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_dispatcher
from chat.app import App
from crm.model import Role
from nlu.extractor import Extractor
from storage import tables as t
from tests.channels.test_telegram_deals import ADMIN, MANAGER, FileSession, Tg, _newcomer, message_update
from tests.conftest import FakeClock
from tests.support.sheets import sheets_app, xlsx
from tests.support.telegram import text_update


@pytest.fixture
def app(sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    return sheets_app(sqlite_engine, clock, extractor, tmp_path)


@pytest.fixture
async def tg(app: App) -> Tg:
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    session = FileSession()
    tg = Tg(dp, Bot("42:TEST-TOKEN", session=session), session)
    await tg.feed(text_update(ADMIN, "/start"))
    admin = await app.identify(_newcomer(ADMIN))
    assert admin is not None
    invite = await app.members.invite(admin, Role.MANAGER)
    await tg.feed(text_update(MANAGER, f"/start {invite.code}"))
    session.clear()
    return tg


def sent_workbook(tg: Tg) -> openpyxl.Workbook:
    document = tg.session.documents()[-1].document
    assert isinstance(document, BufferedInputFile)
    return openpyxl.load_workbook(io.BytesIO(document.data))


async def test_import_from_chat_with_errors_file_and_undo(tg: Tg, sqlite_engine: AsyncEngine) -> None:
    await tg.feed(text_update(MANAGER, "/import"))
    template = sent_workbook(tg)
    assert template.worksheets[0]["A1"].value == "客户名称 *"
    assert "/import" in tg.last_text()

    rows = [["公司", "姓名", "手机"], ["华为技术有限公司", "张伟", "13800138000"], ["腾讯", "李娜", "12345"]]
    tg.session.clear()
    file_id = "sheet1"
    tg.session.files[file_id] = xlsx(rows)
    await tg.feed(
        message_update(
            MANAGER, caption="/import", file=(file_id, "客户.xlsx", len(tg.session.files[file_id]), False)
        )
    )

    assert "正在读取" in tg.session.texts()[0]  # the status message, before the work
    result = tg.session.edits()[-1].text if tg.session.edits() else tg.last_text()
    assert "新建 1" in (tg.last_text() or "") or "新建 1" in (result or "")
    errors = sent_workbook(tg)
    assert errors.worksheets[0]["A1"].value == "错误原因"
    assert errors.worksheets[0]["A2"].value == "手机号无效：12345"
    assert errors.worksheets[0]["B2"].value == "腾讯"
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(t.customers))).scalar_one() == 1

    await tg.press(MANAGER, "撤销")
    async with sqlite_engine.connect() as conn:
        live = select(func.count()).select_from(t.customers).where(t.customers.c.archived_at.is_(None))
        assert (await conn.execute(live)).scalar_one() == 0


async def test_export_from_chat(tg: Tg) -> None:
    await tg.feed(text_update(MANAGER, "/export 客户"))
    book = sent_workbook(tg)
    assert book.sheetnames == ["客户"]
    assert "已导出团队的全部数据" in tg.last_text()
