"""The admin claim code: on a fresh installation with a public channel, only the person who brings the
code `chatcrm run` printed founds the team. Stored in the database, single use, the same for two
processes (two engines on one database, SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from crm.errors import InviteInvalid
from crm.members import CLAIM_ALPHABET, CLAIM_LENGTH, StartOutcome, show_claim
from crm.model import Channel, Lang, Role
from nlu.extractor import Extractor
from storage import tables as t
from storage.db import create_engine
from tests.conftest import FakeClock, make_app, person


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


@pytest.fixture
async def two(
    schema_url: str, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> AsyncIterator[tuple[App, App, AsyncEngine]]:
    """Two applications on one database, as two `chatcrm run` processes."""
    engines = [create_engine(schema_url), create_engine(schema_url)]
    try:
        yield (
            make_app(engines[0], clock, extractor, tmp_path / "a"),
            make_app(engines[1], clock, extractor, tmp_path / "b"),
            engines[0],
        )
    finally:
        for engine in engines:
            await engine.dispose()


async def test_one_code_for_every_process_until_it_is_used(two: tuple[App, App, AsyncEngine]) -> None:
    first, second, engine = two
    codes = await asyncio.gather(first.members.claim_code(), second.members.claim_code())
    assert codes[0] is not None and codes[0] == codes[1]
    code = codes[0]
    assert len(code) == CLAIM_LENGTH and set(code) <= set(CLAIM_ALPHABET)
    assert await first.members.claim_code() == code  # a restart prints the same code
    assert await count(engine, t.admin_claims) == 1

    # A stranger who finds the bot first: told what it takes, nothing stored.
    stranger = await first.members.start(person("666", "Stranger"), None)
    assert stranger.outcome is StartOutcome.CLAIM_REQUIRED
    with pytest.raises(InviteInvalid):
        await first.members.start(person("666", "Stranger"), "ABCD-EFGH-JKLM")
    assert await count(engine, t.members) == 0 and await count(engine, t.teams) == 0

    # The founder types it as printed, in lower case, on the other process.
    founded = await second.members.start(person("1", "Boss"), show_claim(code).lower())
    assert founded.outcome is StartOutcome.FOUNDED
    assert founded.member is not None and founded.member.role is Role.ADMIN
    assert await first.members.claim_code() is None

    # Used: the code founds nothing more, and strangers are strangers again.
    with pytest.raises(InviteInvalid):
        await first.members.start(person("667", "Late"), code)
    assert (await first.members.start(person("667", "Late"), None)).outcome is StartOutcome.UNKNOWN
    assert await first.members.identify(Channel.TELEGRAM, "667") is None
    assert await count(engine, t.teams) == 1


async def test_two_founders_racing_with_the_code_make_one_team(two: tuple[App, App, AsyncEngine]) -> None:
    first, second, engine = two
    code = await first.members.claim_code()
    assert code is not None
    results = await asyncio.gather(
        first.members.start(person("1", "甲"), code),
        second.members.start(person("2", "乙"), code),
        return_exceptions=True,
    )
    founded = [r for r in results if not isinstance(r, BaseException) and r.outcome is StartOutcome.FOUNDED]
    assert len(founded) == 1, results
    assert await count(engine, t.teams) == 1 and await count(engine, t.members) == 1


async def test_the_console_founds_without_the_code_and_spends_it(
    app: App, sqlite_engine: AsyncEngine
) -> None:
    code = await app.members.claim_code()
    assert code is not None
    founded = await app.members.start(person("root", "root"), None, on_server=True)
    assert founded.outcome is StartOutcome.FOUNDED
    async with sqlite_engine.connect() as conn:
        row = (await conn.execute(select(t.admin_claims.c.used_by, t.admin_claims.c.used_at))).one()
    assert founded.member is not None and row[0] == founded.member.id and row[1] is not None
    with pytest.raises(InviteInvalid):
        await app.members.start(person("2"), code)


async def test_without_a_claim_the_first_start_founds_as_before(app: App) -> None:
    # An installation whose `chatcrm run` never had a public channel (the console, the service tests).
    founded = await app.members.start(person("1", "Boss"), None)
    assert founded.outcome is StartOutcome.FOUNDED
    assert await app.members.claim_code() is None


async def test_what_the_stranger_and_the_founder_read(app: App) -> None:
    code = await app.members.claim_code()
    assert code is not None
    asked = await app.start(person("9", lang="en"), None)
    assert "claim code" in asked.text and "/start" in asked.text
    with pytest.raises(InviteInvalid) as wrong:
        await app.start(person("9", lang="en"), "nope")
    assert "claim code is wrong" in app.error(Lang.EN, wrong.value).text
    founded = await app.start(person("1"), code)
    assert "你是管理员" in founded.text
