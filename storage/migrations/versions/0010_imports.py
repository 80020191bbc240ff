"""spreadsheet imports: one row per import with its counts, for the result and the undo of an import

Revision ID: 0010_imports
Revises: 0009_history_health
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0010_imports'
down_revision: str | None = '0009_history_health'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('import_runs',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('team_id', _ID, nullable=False),
    sa.Column('actor_id', _ID, nullable=True),
    sa.Column('audit_id', _ID, nullable=True),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('undone_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_import_runs_actor_id_members')),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_import_runs_audit_id_audit')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_import_runs_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_runs_team_id'))

    op.drop_table('import_runs')
