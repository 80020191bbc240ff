"""deal pipeline: evidence, stage history, digest deliveries; indexes for the digest

Deals keep their stage keys: "lead", where captures put new deals, is the first stage of the default
funnel, so existing rows need no change.

Revision ID: 0003_deal_pipeline
Revises: 0002_link_codes
Create Date: 2026-11-23 06:45:08.775993
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0003_deal_pipeline'
down_revision: str | None = '0002_link_codes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digest_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_digest_deliveries_member_id_members')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_digest_deliveries_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_deliveries')),
    sa.UniqueConstraint('member_id', 'local_date', name='uq_digest_deliveries_member_id_local_date')
    )
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_digest_deliveries_team_date', ['team_id', 'local_date'], unique=False)

    op.create_table('deal_stage_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('from_stage', sa.String(length=64), nullable=True),
    sa.Column('to_stage', sa.String(length=64), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('lost_reason', sa.Text(), nullable=True),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_deal_stage_changes_actor_id_members')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_stage_changes_deal_id_deals')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_deal_stage_changes_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_stage_changes'))
    )
    with op.batch_alter_table('deal_stage_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_stage_changes_deal_id'), ['deal_id'], unique=False)

    op.create_table('deal_evidence',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('file_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('interaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requirement', sa.String(length=64), nullable=True),
    sa.Column('guess', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], name=op.f('fk_deal_evidence_author_id_members')),
    sa.ForeignKeyConstraint(['confirmed_by'], ['members.id'], name=op.f('fk_deal_evidence_confirmed_by_members')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_evidence_deal_id_deals')),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_deal_evidence_file_id_files')),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_deal_evidence_interaction_id_interactions')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_deal_evidence_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_evidence'))
    )
    with op.batch_alter_table('deal_evidence', schema=None) as batch_op:
        batch_op.create_index('ix_deal_evidence_deal_status', ['deal_id', 'status'], unique=False)

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_team_status', ['team_id', 'status'], unique=False)

    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.create_index('ix_interactions_deal_last', ['deal_id', 'undone_at', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index('ix_interactions_deal_last')

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_team_status')

    with op.batch_alter_table('deal_evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_evidence_deal_status')

    op.drop_table('deal_evidence')
    with op.batch_alter_table('deal_stage_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_stage_changes_deal_id'))

    op.drop_table('deal_stage_changes')
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_digest_deliveries_team_date')

    op.drop_table('digest_deliveries')
