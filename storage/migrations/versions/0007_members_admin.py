"""members admin: deactivated members, revoked invites, the admin claim code

Revision ID: 0007_members_admin
Revises: 0005_field_journal
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0007_members_admin'
down_revision: str | None = '0005_field_journal'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('admin_claims',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['used_by'], ['members.id'], name=op.f('fk_admin_claims_used_by_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_claims'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', storage.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('revoked_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_invites_revoked_by_members'), 'members', ['revoked_by'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invites_revoked_by_members'), type_='foreignkey')
        batch_op.drop_column('revoked_by')
        batch_op.drop_column('revoked_at')
    # Not in batch mode: SQLite would copy the table, and it cannot drop `members` while other tables'
    # rows point at it. SQLite 3.35 and later drop a plain column in place.
    op.drop_column('members', 'deactivated_at')
    op.drop_table('admin_claims')
