"""Spreadsheets on WeChat and WeCom through the real callback app (envelopes made with wechatpy's
crypto) on a real SQLite file, the replies caught by the fake WeChat API: a file message has no caption,
so a spreadsheet is asked about (or, after /import, dry-run at once), confirmed by a typed number and
imported once; /export and the template go out as WeCom file messages, and an Official Account, which
has no file messages, says so and offers what it can."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.sheets.reader import SpreadsheetFiles
from chat.app import App
from chat.sheets.acts import SheetAct
from crm.imports import ImportService
from crm.model import Channel
from handlers.wechat.inbound import Inbound
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.uow import SqlUnitOfWorkFactory
from tests.channels.test_wechat import Callback, Connect
from tests.channels.test_wechat import connect as connect  # noqa: PLC0414 - the fixture, shared
from tests.channels.test_wechat import fake as fake  # noqa: PLC0414 - the fixture, shared
from tests.conftest import FakeClock
from tests.support import wechat as wx
from tests.support.fake_wechat import FakeWeChat
from tests.support.sheets import csv_bytes, sheets_app, xlsx

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOSS = "boss"
ROWS = [
    ["公司", "姓名", "手机"],
    ["华为技术有限公司", "张伟", "13800138000"],
    ["远山机械有限公司", "孙八", "13500003333"],
]
# What each language says at each step, as the catalogues word it.
SAYS = {
    "zh": {
        "ask": "要怎么处理",
        "dry": "试导入（未写入任何数据）",
        "done": "导入完成",
        "created": "新建 {n} ",
        "replayed": "之前已经执行过",
        "no_file": "微信公众号不能发送文件",
        "exported": "已导出",
        "column": "客户名称 *",
    },
    "en": {
        "ask": "What should I do with it?",
        "dry": "Dry run (nothing was written)",
        "done": "Imported",
        "created": "created {n} ",
        "replayed": "had already run",
        "no_file": "Official Account cannot send files",
        "exported": "Exported",
        "column": "Company *",
    },
}


@pytest.fixture
def app(sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    return sheets_app(sqlite_engine, clock, extractor, tmp_path, files=True)


def customers(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "chatcrm.db") as conn:
        rows = conn.execute("SELECT name FROM customers WHERE archived_at IS NULL ORDER BY name")
        return [row[0] for row in rows]


def import_runs(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "chatcrm.db") as conn:
        return int(conn.execute("SELECT count(*) FROM import_runs").fetchone()[0])


async def say(cb: Callback, fake: FakeWeChat, text: str) -> str:
    """Sends a text and returns everything answered to it, joined."""
    before = len(fake.texts(BOSS))
    await cb.post(wx.text(BOSS, text))
    await cb.done()
    return "\n".join(fake.texts(BOSS)[before:])


async def send_file(cb: Callback, fake: FakeWeChat, data: bytes, name: str, media_id: str) -> str:
    fake.media[media_id] = (data, "application/octet-stream")
    before = len(fake.texts(BOSS))
    await cb.post(wx.message_xml(BOSS, "file", MediaId=media_id, FileName=name))
    await cb.done()
    return "\n".join(fake.texts(BOSS)[before:])


async def founder(cb: Callback, fake: FakeWeChat, lang: str) -> None:
    await say(cb, fake, "/start")
    if lang == "en":
        await say(cb, fake, "/lang en")


# --- import -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_spreadsheet_is_asked_about_dry_run_confirmed_and_imported_once(
    connect: Connect, app: App, fake: FakeWeChat, tmp_path: Path, lang: str
) -> None:
    says = SAYS[lang]
    cb = await connect(app, "wecom")
    await founder(cb, fake, lang)
    data = xlsx(ROWS)

    asked = await send_file(cb, fake, data, "客户.xlsx", "m-1")
    # No caption, no /import before: what is it for? (An .xlsx may also be deal evidence.)
    assert says["ask"] in asked
    assert "1. " in asked and "2. " in asked and "3. " in asked
    assert customers(tmp_path) == []

    dry = await say(cb, fake, "1")
    assert says["dry"] in dry and says["created"].format(n=2) in dry
    assert customers(tmp_path) == []  # a dry run writes nothing

    done = await say(cb, fake, "1")
    assert says["done"] in done and says["created"].format(n=2) in done
    assert customers(tmp_path) == ["华为技术有限公司", "远山机械有限公司"]

    # The same file again, announced by /import: the dry run comes at once and creates nothing.
    await say(cb, fake, "/import")
    again = await send_file(cb, fake, data, "客户.xlsx", "m-2")
    assert says["ask"] not in again and says["dry"] in again
    assert says["created"].format(n=0) in again
    done_again = await say(cb, fake, "1")
    assert says["created"].format(n=0) in done_again
    assert customers(tmp_path) == ["华为技术有限公司", "远山机械有限公司"]
    assert import_runs(tmp_path) == 2


async def test_a_csv_after_import_is_dry_run_and_cancel_writes_nothing(
    connect: Connect, app: App, fake: FakeWeChat, tmp_path: Path
) -> None:
    cb = await connect(app, "wecom")
    await founder(cb, fake, "zh")
    asked = await send_file(cb, fake, csv_bytes(ROWS, "gbk"), "客户.csv", "m-csv")
    # A CSV is never deal evidence: only import or cancel are offered.
    assert SAYS["zh"]["ask"] in asked and "2. 取消" in asked and "3. " not in asked
    await say(cb, fake, "2")
    assert customers(tmp_path) == []

    await say(cb, fake, "/import skip")
    dry = await send_file(cb, fake, csv_bytes(ROWS, "gbk"), "客户.csv", "m-csv2")
    assert "跳过已有记录" in dry  # the mode named after /import
    assert "取消" in dry
    cancelled = await say(cb, fake, "2")
    assert "不做处理" in cancelled
    assert customers(tmp_path) == [] and import_runs(tmp_path) == 0


async def test_a_spreadsheet_kept_as_evidence_goes_to_the_deal(
    connect: Connect, app: App, fake: FakeWeChat, tmp_path: Path
) -> None:
    cb = await connect(app, "wecom")
    await founder(cb, fake, "zh")
    await say(cb, fake, "孙八 13500003333 远山机械有限公司 下周见面")
    await send_file(cb, fake, xlsx(ROWS), "客户名单.xlsx", "m-3")
    offer = await say(cb, fake, "2")
    assert "客户名单.xlsx" in offer and "远山机械有限公司" in offer
    assert customers(tmp_path) == ["远山机械有限公司"]  # nothing imported


async def test_files_that_are_no_sheet_of_customers_keep_their_way(
    connect: Connect, app: App, fake: FakeWeChat, tmp_path: Path
) -> None:
    cb = await connect(app, "wecom")
    await founder(cb, fake, "zh")
    await say(cb, fake, "孙八 13500003333 远山机械有限公司 下周见面")
    # A price list: a spreadsheet, but no company or contact column: deal evidence as before.
    quote = await send_file(cb, fake, xlsx([["产品", "单价"], ["主轴", 1200]]), "报价单.xlsx", "m-4")
    assert "要怎么处理" not in quote and "收到「报价单.xlsx」" in quote and "#D1" in quote
    # Not a spreadsheet at all, whatever its name says: refused as evidence is, nothing asked.
    junk = await send_file(cb, fake, b"\x00\x01garbage\xff" * 50, "名单.csv", "m-5")
    assert "要怎么处理" not in junk and "不能作为证据保存" in junk
    # Announced by /import, a file that cannot be imported says why.
    await say(cb, fake, "/import")
    refused = await send_file(cb, fake, xlsx([["产品", "单价"], ["主轴", 1200]]), "报价单.xlsx", "m-6")
    assert "产品" in refused and "#D1" not in refused
    assert customers(tmp_path) == ["远山机械有限公司"]


async def test_a_number_handled_again_does_not_pick_from_its_own_answer(
    connect: Connect, app: App, fake: FakeWeChat, tmp_path: Path
) -> None:
    """The inbox runs a message's job again when the first run was not settled (a crash after the
    answer went out): "1" (import) must not then confirm the dry run it offered, nor "1" (confirm)
    undo the import its answer offered to undo."""
    cb = await connect(app, "wecom")
    await founder(cb, fake, "zh")
    await send_file(cb, fake, xlsx(ROWS), "客户.xlsx", "m-1")

    async def number(msg_id: int, handled_again: bool = False) -> str:
        before = len(fake.texts(BOSS))
        if handled_again:
            message = Inbound(
                Channel.WECOM, "text", BOSS, created=1_700_000_000, msg_id=str(msg_id), text="1"
            )
            await cb.channel.handler.handle(message)
        else:
            await cb.post(wx.text(BOSS, "1", msg_id=msg_id))
            await cb.done()
        return "\n".join(fake.texts(BOSS)[before:])

    assert "试导入" in await number(4711)
    assert "已经处理过" in await number(4711, handled_again=True)
    assert customers(tmp_path) == [] and import_runs(tmp_path) == 0

    assert "导入完成" in await number(4712)
    assert "已经处理过" in await number(4712, handled_again=True)
    assert customers(tmp_path) == ["华为技术有限公司", "远山机械有限公司"]  # not undone
    # The undo the answer offered is still the member's to choose.
    assert "撤销" in await number(4713)
    assert customers(tmp_path) == []


async def test_a_repeated_confirmation_imports_once_and_a_stopped_one_goes_on(
    app: App, sqlite_engine: AsyncEngine, clock: FakeClock, tmp_path: Path
) -> None:
    """The inbox may run a message's job again (a crash before it was settled): the confirmation's
    button, pressed twice, is one import; one that stopped part way goes on where it stopped."""
    from tests.conftest import person

    founded = await app.members.start(person("1", "Admin"), None)
    admin = founded.member
    assert admin is not None
    data = xlsx(ROWS)
    file_id = await app.imports.keep(admin, data, "客户.xlsx")

    first = await app.press(admin, SheetAct.RUN, file_id, "update-abcd")
    second = await app.press(admin, SheetAct.RUN, file_id, "update-abcd")
    assert "新建 2 " in first.text and "之前已经执行过" not in first.text
    assert "新建 2 " in second.text and "之前已经执行过" in second.text
    assert import_runs(tmp_path) == 1 and len(customers(tmp_path)) == 2

    # One row a chunk; the process "dies" right after the first chunk committed.
    rows = [*ROWS, ["三一重工", "李娜", "13900001111"]]
    service = ImportService(
        SqlUnitOfWorkFactory(sqlite_engine), clock, Normalizer(), SpreadsheetFiles(), chunk_rows=1
    )

    async def crash(done: int, _total: int) -> None:
        raise RuntimeError(f"stopped after {done}")

    with pytest.raises(RuntimeError):
        await service.run(admin, xlsx(rows), "更多.xlsx", key="k-1", progress=crash)
    resumed = await service.run(admin, xlsx(rows), "更多.xlsx", key="k-1")
    assert resumed.done == 3 and not resumed.replayed
    assert sum(resumed.counts.values()) == 3  # the first row's outcome counted once, with the others'
    assert import_runs(tmp_path) == 2
    assert customers(tmp_path) == ["三一重工", "华为技术有限公司", "远山机械有限公司"]


# --- export and the template ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_export_and_template_are_wecom_file_messages(
    connect: Connect, app: App, fake: FakeWeChat, lang: str
) -> None:
    says = SAYS[lang]
    cb = await connect(app, "wecom")
    await founder(cb, fake, lang)
    await send_file(cb, fake, xlsx(ROWS), "客户.xlsx", "m-1")
    await say(cb, fake, "1")
    await say(cb, fake, "1")

    answer = await say(cb, fake, "/export")
    assert says["exported"] in answer and says["no_file"] not in answer
    data, name = fake.files(BOSS)[-1]
    assert name.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    values = {cell for ws in book.worksheets for row in ws.iter_rows(values_only=True) for cell in row}
    assert {"华为技术有限公司", "远山机械有限公司", "张伟"} <= values
    assert any("13800138000" in str(value) for value in values)  # the phone, as text
    kinds = [kind for kind, _ in fake.upload_kinds.values()]
    assert kinds.count("file") == 1 and "image" not in kinds

    template = await say(cb, fake, "/import")
    assert "/import" in template
    data, name = fake.files(BOSS)[-1]
    assert name == ("chatcrm-导入模板.xlsx" if lang == "zh" else "chatcrm-import-template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.worksheets[0]["A1"].value == says["column"]


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_an_official_account_says_it_cannot_send_files(
    connect: Connect, app: App, fake: FakeWeChat, lang: str
) -> None:
    says = SAYS[lang]
    cb = await connect(app, "safe")
    await founder(cb, fake, lang)
    exported = await say(cb, fake, "/export")
    assert says["exported"] in exported and says["no_file"] in exported
    assert "chatcrm export" in exported  # what is possible instead
    template = await say(cb, fake, "/import")
    assert says["no_file"] in template and says["column"] in template
    assert fake.uploads == {} and all(sent.kind == "text" for sent in fake.sent)


@pytest.mark.parametrize("mode", ["wecom", "safe"])
async def test_failed_rows_come_as_errors_xlsx_where_files_can_be_sent(
    connect: Connect, app: App, fake: FakeWeChat, mode: str
) -> None:
    cb = await connect(app, mode)
    await founder(cb, fake, "zh")
    await say(cb, fake, "/import")
    dry = await send_file(cb, fake, xlsx([*ROWS, ["腾讯", "李娜", "12345"]]), "客户.xlsx", "m-err")
    assert "手机号无效：12345" in dry  # the first rows' reasons, on both
    if mode == "wecom":
        errors, name = fake.files(BOSS)[-1]
        assert name == "errors.xlsx"
        sheet = openpyxl.load_workbook(io.BytesIO(errors)).worksheets[0]
        assert (sheet["A2"].value, sheet["B2"].value) == ("手机号无效：12345", "腾讯")
    else:
        assert "不能发送错误明细文件" in dry
        assert fake.files(BOSS) == [] and all(sent.kind == "text" for sent in fake.sent)
