"""field journal: per-field changes of each operation, for conditional undo and record history

Revision ID: 0005_field_journal
Revises: 0004_voice_status
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_field_journal'
down_revision: str | None = '0004_voice_status'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('field_journal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('audit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record_type', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=True),
    sa.Column('value_before', sa.JSON(), nullable=True),
    sa.Column('value_after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_field_journal_audit_id_audit')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_field_journal_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_journal'))
    )
    with op.batch_alter_table('field_journal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_journal_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index('ix_field_journal_record', ['record_type', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('field_journal', schema=None) as batch_op:
        batch_op.drop_index('ix_field_journal_record')
        batch_op.drop_index(batch_op.f('ix_field_journal_audit_id'))

    op.drop_table('field_journal')
