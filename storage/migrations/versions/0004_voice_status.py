"""voice status: where a voice note stands, in a column of its own

Voice notes kept their state as facts["voice"]["status"]; it moves to interactions.voice_status
(transcribing, failed, rejected, done, discarded), and out of the facts. A voice interaction without
the marker was made complete, so it becomes "done". Downgrading puts the marker back into the facts.

Revision ID: 0004_voice_status
Revises: 0003_deal_pipeline
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0004_voice_status'
down_revision: str | None = '0003_deal_pipeline'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("transcribing", "failed", "rejected", "done", "discarded")
BATCH = 500

interactions = sa.table(
    "interactions",
    sa.column("id", sa.BigInteger()),
    sa.column("source", sa.String(16)),
    sa.column("facts", sa.JSON()),
    sa.column("voice_status", sa.String(16)),
)


def _voice_rows(conn: sa.Connection) -> list[Any]:
    query = sa.select(interactions.c.id, interactions.c.facts, interactions.c.voice_status).where(
        interactions.c.source == "voice"
    )
    return list(conn.execute(query.order_by(interactions.c.id)).all())


def _update(conn: sa.Connection, changes: list[dict[str, Any]]) -> None:
    # Row by row in batches: portable between SQLite and PostgreSQL, and voice notes are few.
    statement = (
        sa.update(interactions)
        .where(interactions.c.id == sa.bindparam("row_id"))
        .values(facts=sa.bindparam("new_facts"), voice_status=sa.bindparam("new_status"))
    )
    for start in range(0, len(changes), BATCH):
        conn.execute(statement, changes[start : start + BATCH])


def upgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voice_status', sa.String(length=16), nullable=True))

    conn = op.get_bind()
    changes = []
    for row_id, facts, _ in _voice_rows(conn):
        facts = dict(facts or {})
        voice = dict(facts.get("voice") or {})
        status = voice.pop("status", None)
        facts["voice"] = voice
        changes.append(
            {
                "row_id": row_id,
                "new_facts": facts,
                "new_status": status if status in STATUSES else "done",
            }
        )
    _update(conn, changes)


def downgrade() -> None:
    conn = op.get_bind()
    changes = []
    for row_id, facts, status in _voice_rows(conn):
        facts = dict(facts or {})
        facts["voice"] = {**(facts.get("voice") or {}), "status": status or "done"}
        changes.append({"row_id": row_id, "new_facts": facts, "new_status": status})
    _update(conn, changes)

    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_column('voice_status')
