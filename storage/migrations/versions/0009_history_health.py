"""history and data health: the weekly nudge's deliveries; indexes for `chatcrm audit --since` and for
the next-step check of open deals

Revision ID: 0009_history_health
Revises: 0008_territories
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0009_history_health'
down_revision: str | None = '0008_territories'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('nudge_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_until', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_nudge_deliveries_member_id_members')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_nudge_deliveries_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nudge_deliveries')),
    sa.UniqueConstraint('member_id', 'week', name='uq_nudge_deliveries_member_id_week')
    )
    with op.batch_alter_table('nudge_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_nudge_deliveries_team_week', ['team_id', 'week'], unique=False)

    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index('ix_audit_team_created', ['team_id', 'created_at'], unique=False)

    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_customer_status', ['customer_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_customer_status')

    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_team_created')

    with op.batch_alter_table('nudge_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_nudge_deliveries_team_week')

    op.drop_table('nudge_deliveries')
