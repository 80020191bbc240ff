"""Spreadsheet benchmarks: reading a 10,000-row file with each reader (medians of 3), importing 10,000
rows of which 20% match existing contacts on SQLite and PostgreSQL (target < 30 s), undoing that
import, and exporting 100,000 interactions (target < 20 s), each with its peak memory.

Peak memory is the process's resident peak (VmHWM), reset before each phase through
/proc/self/clear_refs, so each figure is the phase's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import python_calamine
import xlrd
import xlwt
from sqlalchemy import insert, text

from bot.sheets.reader import SpreadsheetFiles
from bot.sheets.writer import XlsxWriter
from chat.app import App, Ports
from crm.clock import SystemClock
from crm.exports import Entity
from crm.imports import Outcome
from crm.inputs import Newcomer
from crm.model import Channel, Member, Role
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage import tables as t
from storage.db import create_engine, sqlite_url
from storage.files import FileSpool
from storage.tables import metadata
from storage.uow import SqlUnitOfWorkFactory

ROWS = 10_000
MATCHING = 0.2
INTERACTIONS = 100_000
HEADER = [
    "客户名称",
    "联系人",
    "职位",
    "手机",
    "邮箱",
    "微信",
    "地址",
    "省",
    "市",
    "区",
    "负责人",
    "阶段",
    "预算",
    "下次跟进",
    "备注",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲红兰飞鹏宇浩凯"
STEMS = "星辰华信远航蓝海恒通启明天成金桥中科云图创新鼎盛博雅嘉禾瑞丰泰和宏达永安利民兴业正大新锐优品联合"
PLACES = [
    ("广东", "深圳", "南山"),
    ("上海", "上海", "浦东新区"),
    ("浙江", "杭州", "西湖"),
    ("北京", "北京", "海淀"),
]
STAGES = ["线索激活", "需求锁定", "方案匹配", None]


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def person(rng: random.Random, i: int) -> list[Any]:
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
    company = f"{rng.choice(STEMS)}{rng.choice(STEMS)}{i}科技有限公司"
    province, city, district = rng.choice(PLACES)
    return [
        company,
        name,
        rng.choice(["采购经理", "总监", "工程师", None]),
        f"1{rng.choice('3589')}{i:09d}",
        f"user{i}@example{i % 97}.com",
        f"wx_{i}",
        f"{city}市{district}区科技园{i}号",
        province,
        city,
        district,
        None,
        rng.choice(STAGES),
        rng.randrange(10, 500) * 10_000,
        None,
        rng.choice(["展会认识", "老客户介绍", None, None]),
    ]


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def old_workbook(rows: list[list[Any]]) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户")
    for col, value in enumerate(HEADER):
        sheet.write(0, col, value)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is not None:
                sheet.write(r, col, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _median(work: Callable[[], object], runs: int = 3) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        reset_peak()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
        peaks.append(peak_mb())
    return statistics.median(times), max(peaks)


def readers(rows: list[list[Any]]) -> None:
    data, old = workbook(rows), old_workbook(rows)
    csv_data = "\n".join(
        ",".join("" if v is None else str(v) for v in row) for row in [HEADER, *rows]
    ).encode("gbk")

    def calamine() -> None:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sum(1 for _ in book.get_sheet_by_index(0).iter_rows())

    def openpyxl_read_only() -> None:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
        book.close()

    def calamine_xls() -> None:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(old))
        sum(1 for _ in book.get_sheet_by_index(0).iter_rows())

    def xlrd_xls() -> None:
        sheet = xlrd.open_workbook(file_contents=old, ragged_rows=True).sheet_by_index(0)
        sum(1 for r in range(sheet.nrows) for _ in [sheet.row_values(r)])

    files = SpreadsheetFiles()
    print(f"reading {ROWS:,} rows x {len(HEADER)} columns (median of 3)")
    print(f"{'reader':<44}{'seconds':>9}{'peak MB':>9}")
    results = {}
    for name, work in [
        ("xlsx: python-calamine", calamine),
        ("xlsx: openpyxl read-only", openpyxl_read_only),
        ("xlsx: ours (extent scan + calamine)", lambda: files.read(data, "a.xlsx", ROWS + 30)),
        ("xls: python-calamine", calamine_xls),
        ("xls: xlrd (ours)", xlrd_xls),
        ("csv GBK: ours (charset-normalizer + csv)", lambda: files.read(csv_data, "a.csv", ROWS + 30)),
    ]:
        seconds, peak = _median(work)
        results[name] = seconds
        print(f"{name:<44}{seconds:>9.3f}{peak:>9.0f}")
    ratio = results["xlsx: openpyxl read-only"] / results["xlsx: python-calamine"]
    print(f"openpyxl read-only / calamine on .xlsx: {ratio:.1f}x")


async def _postgres_database(admin_url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))

    async def drop() -> None:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()

    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}", drop


async def _app(url: str, workdir: Path, extractor: Extractor) -> tuple[App, Any, Member]:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    app = App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=SystemClock(),
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(workdir / "spool"),
            sheets=SpreadsheetFiles(),
            workbooks=XlsxWriter,
        )
    )
    started = await app.members.start(Newcomer(Channel.CONSOLE, "boss", "boss", "Boss"), None)
    assert started.member is not None
    admin = started.member
    invite = await app.members.invite(admin, Role.MANAGER)
    manager = (await app.members.start(Newcomer(Channel.CONSOLE, "m", "m", "经理"), invite.code)).member
    assert manager is not None
    return app, engine, manager


async def import_bench(
    backend: str, workdir: Path, extractor: Extractor, *, undo: bool = True
) -> dict[str, float]:
    drop: Callable[[], Awaitable[None]] | None = None
    if backend == "sqlite":
        url = sqlite_url(workdir / "import.db")
    else:
        url, drop = await _postgres_database(os.environ["CHATCRM_TEST_POSTGRES_URL"])
    app, engine, manager = await _app(url, workdir, extractor)
    try:
        rng = random.Random(7)
        existing = [person(rng, i) for i in range(int(ROWS * MATCHING))]
        fresh = [person(rng, i) for i in range(len(existing), ROWS)]
        started = time.perf_counter()
        seeded = await app.imports.run(manager, workbook(existing), "existing.xlsx")
        seed_s = time.perf_counter() - started
        assert seeded.count(Outcome.CREATED) == len(existing)
        # The file: the existing people again (their phones match), with a new title, among new ones.
        again = [[*row[:2], "总监", *row[3:]] for row in existing]
        rows = again + fresh
        rng.shuffle(rows)
        data = workbook(rows)
        reset_peak()
        started = time.perf_counter()
        result = await app.imports.run(manager, data, "ten-thousand.xlsx")
        seconds = time.perf_counter() - started
        peak = peak_mb()
        # Generated names are dense: a new row now and then is a fuzzy match (>= 88) of an existing one.
        matched = result.count(Outcome.UPDATED) + result.count(Outcome.UNCHANGED)
        assert result.count(Outcome.FAILED) == 0, result.counts
        assert len(existing) <= matched < len(existing) + 50, result.counts
        assert result.run_id is not None
        undo_s = float("nan")
        reset_peak()
        if undo:
            started = time.perf_counter()
            await app.imports.undo(manager, result.run_id)
            undo_s = time.perf_counter() - started
        return {
            "seed": seed_s,
            "import": seconds,
            "peak": peak,
            "undo": undo_s,
            "undo_peak": peak_mb(),
            "created": result.count(Outcome.CREATED),
            "matched": matched,
        }
    finally:
        await engine.dispose()
        if drop is not None:
            await drop()


async def export_bench(workdir: Path, extractor: Extractor) -> dict[str, float]:
    app, engine, manager = await _app(sqlite_url(workdir / "export.db"), workdir, extractor)
    rng = random.Random(3)
    now = datetime.now(UTC)
    try:
        rows = [person(rng, i) for i in range(1_000)]
        await app.imports.run(manager, workbook(rows), "customers.xlsx")
        async with engine.begin() as conn:
            customers = [
                (row[0], row[1]) for row in (await conn.execute(text("SELECT id, name FROM customers")))
            ]
            batch = []
            for i in range(INTERACTIONS):
                customer_id, name = customers[i % len(customers)]
                batch.append(
                    {
                        "team_id": manager.team_id,
                        "author_id": manager.id,
                        "customer_id": customer_id,
                        "source": "chat",
                        "content": (
                            f"{name}的采购经理来电，确认预算{rng.randrange(10, 90)}万，"
                            "希望下个月上线，约了下周三下午3点拜访。"
                        ),
                        "facts": {},
                        "created_at": now - timedelta(minutes=i),
                    }
                )
                if len(batch) == 10_000:
                    await conn.execute(insert(t.interactions), batch)
                    batch = []
        reset_peak()
        started = time.perf_counter()
        result = await app.exports.export(manager, Entity.INTERACTIONS)
        seconds = time.perf_counter() - started
        assert result.rows[Entity.INTERACTIONS] >= INTERACTIONS
        return {"export": seconds, "peak": peak_mb(), "mb": len(result.data) / 1024 / 1024}
    finally:
        await engine.dispose()


async def amain() -> None:
    extractor = Extractor()
    backends = ["sqlite"] + (["postgres"] if os.environ.get("CHATCRM_TEST_POSTGRES_URL") else [])
    if "postgres" not in backends:
        print("CHATCRM_TEST_POSTGRES_URL not set: PostgreSQL skipped (source scripts/test-postgres)")
    print(
        f"\nimport of {ROWS:,} rows, {MATCHING:.0%} matching existing contacts (target < 30 s; one run each)"
    )
    print(
        f"{'backend':<10}{'seed 2,000 s':>13}{'import s':>10}{'rows/s':>8}{'peak MB':>9}{'created':>9}"
        f"{'matched':>9}{'undo s':>9}{'peak MB':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            figures = await import_bench(backend, Path(tmp), extractor)
            print(
                f"{backend:<10}{figures['seed']:>13.1f}{figures['import']:>10.1f}"
                f"{ROWS / figures['import']:>8.0f}{figures['peak']:>9.0f}{figures['created']:>9.0f}"
                f"{figures['matched']:>9.0f}{figures['undo']:>9.1f}{figures['undo_peak']:>9.0f}"
            )
        figures = await export_bench(Path(tmp), extractor)
    print(f"\nexport of {INTERACTIONS:,} interactions, SQLite (target < 20 s)")
    print(f"{figures['export']:.1f} s, peak {figures['peak']:.0f} MB, file {figures['mb']:.1f} MB")


def main() -> None:
    rng = random.Random(1)
    if not os.environ.get("BENCH_SHEETS_SKIP_READERS"):
        readers([person(rng, i) for i in range(ROWS)])
    asyncio.run(amain())


if __name__ == "__main__":
    main()
