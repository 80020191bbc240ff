"""Two processes migrating one empty database at the same moment (two `chatcrm run` started together):
both succeed and the schema is built once, on PostgreSQL (advisory lock) and on an SQLite file (a lock
file beside it). Real OS processes, released together from a barrier after their imports, several
rounds; one round goes through the `chatcrm migrate` command itself."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

from storage.db import create_engine, sqlite_url
from storage.migrate import head_revision
from storage.tables import metadata
from tests.conftest import _fresh_postgres_database, _postgres_admin

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 6

# Imports first, then waits for the go on stdin: both processes start migrating within microseconds.
MIGRATE_AT_GO = """
import asyncio, sys
from storage.migrate import upgrade
print("ready", flush=True)
sys.stdin.readline()
asyncio.run(upgrade(sys.argv[1]))
"""


@pytest.fixture
async def fresh_database(backend: str, tmp_path: Path) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes empty databases of the backend on demand (one per round), dropped at the end."""
    made: list[str] = []

    async def make() -> str:
        if backend == "sqlite":
            return sqlite_url(tmp_path / f"race{len(made)}" / "chatcrm.db")
        url, name = await _fresh_postgres_database()
        made.append(name)
        return url

    try:
        yield make
    finally:
        for name in made:
            await _postgres_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


async def _together(url: str) -> list[tuple[int, str]]:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            MIGRATE_AT_GO,
            url,
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.stdout is not None
        assert await process.stdout.readline() == b"ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
    return await _results(processes)


async def _cli_together(url: str, tmp_path: Path) -> list[tuple[int, str]]:
    env = {"CHATCRM_DATABASE_URL": url, "CHATCRM_DATA_DIR": str(tmp_path / "cli"), "PATH": "/usr/bin:/bin"}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "migrate",
            cwd=REPO,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    return await _results(processes)


async def _results(processes: list[Any]) -> list[tuple[int, str]]:
    outputs = await asyncio.gather(*(process.communicate() for process in processes))
    return [
        (process.returncode, (out + err).decode(errors="replace"))
        for process, (out, err) in zip(processes, outputs, strict=True)
    ]


def _schema(conn: Connection) -> tuple[list[str], list[Any]]:
    versions = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return versions, list(compare_metadata(context, metadata))


async def _assert_at_head_once(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            versions, diff = await conn.run_sync(_schema)
    finally:
        await engine.dispose()
    assert versions == [head_revision()]
    assert diff == []


async def test_two_processes_migrating_one_empty_database_at_once_both_succeed(
    fresh_database: Callable[[], Awaitable[str]], tmp_path: Path
) -> None:
    for _ in range(ROUNDS):
        url = await fresh_database()
        results = await _together(url)
        assert [code for code, _ in results] == [0, 0], results
        await _assert_at_head_once(url)

    url = await fresh_database()
    results = await _cli_together(url, tmp_path)
    assert [code for code, _ in results] == [0, 0], results
    assert all(f"database at revision {head_revision()}" in output for _, output in results)
    await _assert_at_head_once(url)
