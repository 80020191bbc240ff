"""Alembic migrations on SQLite and PostgreSQL: up, down, up again, and no drift from the tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, text

from storage import tables as t
from storage.db import create_engine
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.tables import metadata


def _diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    await upgrade(database_url)
    assert await current_revision(database_url) == head_revision()
    await downgrade(database_url, "base")
    assert await current_revision(database_url) is None
    await upgrade(database_url)
    assert await current_revision(database_url) == head_revision()

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(_tables)
            diff = await conn.run_sync(_diff)
    finally:
        await engine.dispose()
    assert set(metadata.tables) <= tables
    assert diff == []


async def test_upgrade_is_idempotent(database_url: str) -> None:
    await upgrade(database_url)
    await upgrade(database_url)
    assert await current_revision(database_url) == head_revision()


async def test_voice_status_moves_from_the_facts_to_its_column_and_back(database_url: str) -> None:
    await upgrade(database_url, "0003_deal_pipeline")
    engine = create_engine(database_url)
    created = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    rows = [  # (id, facts): a failed note, a note from before the marker, one being transcribed
        (1, {"voice": {"status": "failed", "reason": "error", "duration": 8.0}}),
        (2, {"summary": "拜访华为"}),
        (3, {"voice": {"status": "transcribing", "duration": 3.5}}),
    ]
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(t.teams).values(id=1, name="T", created_at=created, settings={}))
            await conn.execute(
                insert(t.members).values(
                    id=1, team_id=1, name="rep", role="rep", lang="zh", timezone="Asia/Shanghai",
                    active=True, created_at=created,
                )
            )  # fmt: skip
            for row_id, facts in rows:
                await conn.execute(
                    insert(t.interactions).values(
                        id=row_id, team_id=1, author_id=1, source="voice", content="", facts=facts,
                        created_at=created,
                    )
                )  # fmt: skip
        await upgrade(database_url)
        async with engine.connect() as conn:
            found = (
                await conn.execute(text("SELECT id, voice_status, facts FROM interactions ORDER BY id"))
            ).all()
        assert [(row[0], row[1]) for row in found] == [(1, "failed"), (2, "done"), (3, "transcribing")]
        assert [_json(row[2]) for row in found] == [
            {"voice": {"reason": "error", "duration": 8.0}},
            {"summary": "拜访华为", "voice": {}},
            {"voice": {"duration": 3.5}},
        ]

        await downgrade(database_url, "0003_deal_pipeline")
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT facts FROM interactions ORDER BY id"))).scalars().all()
        assert [_json(facts)["voice"]["status"] for facts in back] == ["failed", "done", "transcribing"]
    finally:
        await engine.dispose()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def test_failed_digests_with_attempts_left_wait_for_their_retry_after_the_lease_revision(
    database_url: str,
) -> None:
    await upgrade(database_url, "0011_durable_inbox")
    engine = create_engine(database_url)
    created = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    day = created.date()
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(t.teams).values(id=1, name="T", created_at=created, settings={}))
            for member_id in (1, 2, 3):
                await conn.execute(
                    insert(t.members).values(
                        id=member_id, team_id=1, name="m", role="rep", lang="zh", timezone="Asia/Shanghai",
                        active=True, created_at=created,
                    )
                )  # fmt: skip
            # A failed digest with attempts left, one given up (the old limit: 3), one claimed.
            for member_id, status, attempts in ((1, "failed", 1), (2, "failed", 3), (3, "claimed", 1)):
                await conn.execute(
                    text(
                        "INSERT INTO digest_deliveries (team_id, member_id, local_date, kind, status, attempts, "
                        "claimed_at) VALUES (1, :member, :day, 'rep', :status, :attempts, :at)"
                    ),
                    {"member": member_id, "day": day, "status": status, "attempts": attempts, "at": created},
                )
        await upgrade(database_url)
        query = "SELECT member_id, status, lease_until FROM digest_deliveries ORDER BY member_id"
        async with engine.connect() as conn:
            rows = [tuple(row) for row in (await conn.execute(text(query))).all()]
        assert rows == [(1, "retrying", None), (2, "failed", None), (3, "claimed", None)]

        await downgrade(database_url, "0011_durable_inbox")
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT status FROM digest_deliveries ORDER BY member_id"))).all()
        assert [row[0] for row in back] == ["failed", "failed", "claimed"]
    finally:
        await engine.dispose()
