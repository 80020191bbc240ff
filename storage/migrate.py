"""Alembic, driven from code: `chatcrm migrate` and the start of `chatcrm run` call `upgrade`.

Several processes may start at once on one database (two `chatcrm run` behind one webhook URL). Each
upgrade or downgrade therefore runs under a lock that spans looking at the current revision and
applying what is missing, so the second process waits, then finds the database at head and does
nothing:

- PostgreSQL: a session-level advisory lock (`pg_advisory_lock`) taken on the connection Alembic then
  runs on, released after the migration committed (or when the session ends, should the process die).
- SQLite: an exclusive `fcntl.flock` on a lock file beside the database file, taken before the first
  connection. A lock inside SQLite is not enough: a fresh file's first connection switches it to WAL,
  which itself needs the file to itself, and the engine's short busy timeout would fail the second
  process instead of making it wait. The kernel drops the lock when the process dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"

# Any fixed 64-bit number works as long as nothing else on the server uses it: "chatcrm" + "M".
ADVISORY_LOCK_KEY = int.from_bytes(b"chatcrmM", "big")
LOCK_POLL_SECONDS = 0.05


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        # env.py runs on this connection instead of opening its own (Alembic's connection sharing).
        config.attributes["connection"] = connection
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Brings the database at `url` to `revision`; safe when several processes do it at once."""
    async with _migration_connection(url) as conn:
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(url, sync), revision))


async def downgrade(url: str, revision: str) -> None:
    async with _migration_connection(url) as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(url, sync), revision))


@contextlib.asynccontextmanager
async def _migration_connection(url: str) -> AsyncIterator[AsyncConnection]:
    """A connection to migrate on, held under the migration lock of its database; commits at the end."""
    async with _sqlite_file_lock(url):
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                postgres = conn.dialect.name == "postgresql"
                if postgres:
                    # Session-level, not transaction-level: it must outlive the commits Alembic makes.
                    await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
                    await conn.commit()
                yield conn
                await conn.commit()
                if postgres:
                    # On failure the lock goes with the session instead, when the engine is disposed.
                    await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                    await conn.commit()
        finally:
            await engine.dispose()


@contextlib.asynccontextmanager
async def _sqlite_file_lock(url: str) -> AsyncIterator[None]:
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        yield  # not SQLite, or a database no other process can open
        return
    path = Path(f"{database}.migrate-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # Polled without blocking, so that waiting never blocks the event loop and can be cancelled.
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        # Closing the descriptor releases the lock. The file stays: removing it would let a third
        # process lock a new file while the second still holds the old one.
        os.close(fd)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()
