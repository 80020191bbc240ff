"""SQLite for SQLAlchemy's async engine, run on the event loop's own thread.

aiosqlite sends every call to a thread of its own and back: creating a cursor, executing, fetching
and closing are four round trips per statement, and a capture makes a dozen statements. SQLite on a
local file answers those calls in microseconds, so the round trips were most of the time a capture
spent in the database (bench/bench_capture.py shows the difference).

This module gives SQLAlchemy's aiosqlite dialect an aiosqlite-shaped connection whose coroutines run
the sqlite3 calls at once. The one call that could wait long is taking the write lock while another
process writes; that never blocks the loop: connections here have no busy timeout, and the unit of
work retries BEGIN IMMEDIATE with asyncio.sleep (storage/uow.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class InlineCursor:
    """aiosqlite.Cursor's interface over a sqlite3 cursor."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _CursorFactory:
    """What `connection.cursor()` returns: SQLAlchemy enters it with `async with`-style __aenter__."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    async def __aenter__(self) -> InlineCursor:
        return InlineCursor(self._connection.cursor())

    def __await__(self) -> Any:
        return self.__aenter__().__await__()


class _RunNow:
    """Stands in for aiosqlite's request queue: SQLAlchemy puts (future, function) pairs on it to run
    a function on the connection's thread, which here is the caller's own."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)


class InlineConnection:
    """aiosqlite.Connection's interface over a sqlite3 connection, without a thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()

    def cursor(self) -> _CursorFactory:
        return _CursorFactory(self._conn)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        cursor = InlineCursor(self._conn.cursor())
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        """aiosqlite's forced close (SQLAlchemy's terminate)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._conn.isolation_level = value


async def connect(database: str) -> InlineConnection:
    """Opens `database` for the async engine (`async_creator`); the busy timeout is set by the
    engine's connect hook (storage/db.py), short on purpose."""
    # Connections are used on the loop's thread; the pool may close one from another thread at exit.
    return InlineConnection(sqlite3.connect(database, check_same_thread=False))
