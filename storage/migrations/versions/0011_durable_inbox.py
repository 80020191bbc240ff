"""durable inbox: jobs (the inbox of channel messages and every leased job), expiring keys (WeChat
nonces), chat menus (numbered buttons on text channels), and members.lang_auto

Revision ID: 0011_durable_inbox
Revises: 0010_imports
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011_durable_inbox'
down_revision: str | None = '0010_imports'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('lane', sa.String(length=160), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('key', name='uq_jobs_key')
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_queue_status_id', ['queue', 'status', 'id'], unique=False)
        batch_op.create_index('ix_jobs_queue_lane_status_id', ['queue', 'lane', 'status', 'id'], unique=False)

    op.create_table('expiring_keys',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_expiring_keys'))
    )
    with op.batch_alter_table('expiring_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expiring_keys_expires_at'), ['expires_at'], unique=False)

    op.create_table('chat_menus',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('member_id', ID, nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_chat_menus_member_id_members')),
    sa.PrimaryKeyConstraint('channel', 'member_id', name=op.f('pk_chat_menus'))
    )

    # Not in batch mode: SQLite would copy `members`, which other tables' rows point at; it adds a
    # column with a constant default in place.
    op.add_column('members', sa.Column('lang_auto', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    # Not in batch mode: SQLite would copy the table, and it cannot drop `members` while other tables'
    # rows point at it. SQLite 3.35 and later drop a plain column in place.
    op.drop_column('members', 'lang_auto')
    op.drop_table('chat_menus')
    with op.batch_alter_table('expiring_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expiring_keys_expires_at'))
    op.drop_table('expiring_keys')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_queue_lane_status_id')
        batch_op.drop_index('ix_jobs_queue_status_id')
    op.drop_table('jobs')
