"""digest leases: a claimed digest is held by one process (claimed_by) until lease_until, renewed while
it is composed and sent; when the lease runs out (its process died) any process claims it again. A
failed send waits in "retrying" until lease_until; "failed" is final.

Revision ID: 0012_digest_leases
Revises: 0011_durable_inbox
Create Date: 2026-12-06 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012_digest_leases'
down_revision: str | None = '0011_durable_inbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_MAX_ATTEMPTS = 3  # before this revision a failed digest was claimable again up to its third attempt


def upgrade() -> None:
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    # A failed digest that had attempts left waits for its retry (no lease: claimable at once); the
    # claims left behind have no lease either, so a claim of a process that died is taken over.
    op.execute(
        sa.text(
            "UPDATE digest_deliveries SET status = 'retrying' "
            "WHERE status = 'failed' AND attempts < :max_attempts"
        ).bindparams(max_attempts=OLD_MAX_ATTEMPTS)
    )


def downgrade() -> None:
    op.execute(sa.text("UPDATE digest_deliveries SET status = 'failed' WHERE status = 'retrying'"))
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claimed_by')
