"""Shared fixtures: a fake clock, real databases (SQLite files; PostgreSQL from
CHATCRM_TEST_POSTGRES_URL), and the application wired on them."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App, Ports
from crm.inputs import Newcomer
from crm.model import Channel, Member, Role
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.db import create_engine, sqlite_url
from storage.files import FileSpool
from storage.tables import metadata
from storage.uow import SqlUnitOfWorkFactory

POSTGRES_URL = os.environ.get("CHATCRM_TEST_POSTGRES_URL")


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    extractor = Extractor()
    extractor.warm_up()
    return extractor


def _backends() -> list[str]:
    return ["sqlite", "postgres"]


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgres" and not POSTGRES_URL:
        pytest.fail("CHATCRM_TEST_POSTGRES_URL is not set: run the suite through `make test` or .ci/run")
    return name


async def _postgres_admin(statement: str) -> None:
    assert POSTGRES_URL
    admin = create_engine(POSTGRES_URL)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


async def _fresh_postgres_database() -> tuple[str, str]:
    """A new database on the test server, so that tests never see each other's rows."""
    assert POSTGRES_URL
    name = f"t_{uuid.uuid4().hex[:12]}"
    await _postgres_admin(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}", name


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the parametrized backend (no tables yet)."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "test.db")
        return
    url, name = await _fresh_postgres_database()
    try:
        yield url
    finally:
        await _postgres_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


# The schema made from the tables, once per session and backend; each test gets a copy (a file copy on
# SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL), several times cheaper than creating the tables.
_TEMPLATES: dict[str, str] = {}


@pytest.fixture(scope="session", autouse=True)
def _schema_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    path = tmp_path_factory.mktemp("schema") / "template.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    _TEMPLATES["sqlite"] = str(path)
    yield
    if "postgres" in _TEMPLATES:
        asyncio.run(_postgres_admin(f'DROP DATABASE "{_TEMPLATES.pop("postgres")}" WITH (FORCE)'))


async def _postgres_with_schema() -> tuple[str, str]:
    if "postgres" not in _TEMPLATES:
        url, name = await _fresh_postgres_database()
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
        finally:
            await engine.dispose()
        _TEMPLATES["postgres"] = name
    assert POSTGRES_URL
    name = f"t_{uuid.uuid4().hex[:12]}"
    await _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{_TEMPLATES["postgres"]}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}", name


def _sqlite_with_schema(path: Path) -> str:
    shutil.copyfile(_TEMPLATES["sqlite"], path)
    return sqlite_url(path)


@pytest.fixture
async def schema_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database of the parametrized backend with the schema made from the tables."""
    if backend == "sqlite":
        yield _sqlite_with_schema(tmp_path / "test.db")
        return
    url, name = await _postgres_with_schema()
    try:
        yield url
    finally:
        await _postgres_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A real SQLite file with the schema created from the table metadata."""
    engine = create_engine(_sqlite_with_schema(tmp_path / "chatcrm.db"))
    yield engine
    await engine.dispose()


@pytest.fixture
async def any_engine(schema_url: str) -> AsyncIterator[AsyncEngine]:
    """The schema on SQLite and on PostgreSQL."""
    engine = create_engine(schema_url)
    yield engine
    await engine.dispose()


def make_app(engine: AsyncEngine, clock: FakeClock, extractor: Extractor, spool_dir: Path) -> App:
    return App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=clock,
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(spool_dir),
        )
    )


@pytest.fixture
def app(sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    return make_app(sqlite_engine, clock, extractor, tmp_path / "spool")


def person(external_id: str, name: str = "", lang: str = "zh-hans") -> Newcomer:
    return Newcomer(Channel.TELEGRAM, external_id, external_id, name or f"user{external_id}", lang)


class Team:
    """An admin, a manager and two reps, joined through real invites."""

    def __init__(self, admin: Member, manager: Member, rep: Member, rep2: Member) -> None:
        self.admin, self.manager, self.rep, self.rep2 = admin, manager, rep, rep2


@pytest.fixture
async def team(app: App) -> Team:
    founded = await app.members.start(person("1", "Admin"), None)
    assert founded.member is not None
    admin = founded.member
    invite = await app.members.invite(admin, Role.MANAGER)
    manager = (await app.members.start(person("2", "经理"), invite.code)).member
    rep_invite = await app.members.invite(admin, Role.REP)
    rep = (await app.members.start(person("3", "小李"), rep_invite.code)).member
    rep2_invite = await app.members.invite(admin, Role.REP)
    rep2 = (await app.members.start(person("4", "小王"), rep2_invite.code)).member
    assert manager and rep and rep2
    return Team(admin, manager, rep, rep2)


@pytest.fixture
async def voice_kit(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> AsyncIterator[tuple[App, Any]]:
    """The application with file storage, the real ffprobe checks and a scripted speech engine
    (tests.support.voice.ScriptedSpeech), for tests that wire their own team."""
    from tests.support.voice import ScriptedSpeech, make_voice_app  # it imports this module

    speech = ScriptedSpeech()
    app = make_voice_app(sqlite_engine, clock, extractor, tmp_path, speech)
    yield app, speech
    await app.voice.aclose()
