"""territories: leads, the public pool, availability, daily runs, reclaim marks

Leads without an owner (web forms, forwards, WeChat strangers, imports, reclaims) with their routing,
the pool owner of each team, members' days off and away periods, the once-a-day run of reclaim, and a
deal's reclaim bookkeeping. Existing rows need no change.

Revision ID: 0008_territories
Revises: 0007_members_admin
Create Date: 2026-12-06 12:14:57.543829
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0008_territories'
down_revision: str | None = '0007_members_admin'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lead_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('claimed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_lead_runs_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_runs')),
    sa.UniqueConstraint('team_id', 'day', 'kind', name='uq_lead_runs_team_day_kind')
    )
    op.create_table('member_availability',
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('weekly_off', sa.JSON(), nullable=False),
    sa.Column('away', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_availability_member_id_members')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_member_availability_team_id_teams')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_availability'))
    )
    op.create_table('pool_owners',
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_pool_owners_member_id_members')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_pool_owners_team_id_teams')),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_pool_owners'))
    )
    op.create_table('deal_reclaim',
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('extended_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('warned_for', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_reclaim_deal_id_deals')),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_deal_reclaim_owner_id_members')),
    sa.PrimaryKeyConstraint('deal_id', name=op.f('pk_deal_reclaim'))
    )
    op.create_table('leads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('interaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=True),
    sa.Column('assignee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('assigned_by', sa.String(length=16), nullable=True),
    sa.Column('assigned_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pool', sa.String(length=100), nullable=True),
    sa.Column('territory', sa.String(length=100), nullable=True),
    sa.Column('region', sa.String(length=40), nullable=True),
    sa.Column('province', sa.String(length=64), nullable=True),
    sa.Column('city', sa.String(length=64), nullable=True),
    sa.Column('district', sa.String(length=64), nullable=True),
    sa.Column('code', sa.String(length=12), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('country', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.JSON(), nullable=False),
    sa.Column('pooled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alert_stage', sa.Integer(), nullable=False),
    sa.Column('alert_due_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notify', sa.Boolean(), nullable=False),
    sa.Column('former_owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lost_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('external_ref', sa.String(length=200), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['members.id'], name=op.f('fk_leads_assignee_id_members')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_leads_contact_id_contacts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_leads_customer_id_customers')),
    sa.ForeignKeyConstraint(['former_owner_id'], ['members.id'], name=op.f('fk_leads_former_owner_id_members')),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_leads_interaction_id_interactions')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_leads_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('team_id', 'idempotency_key', name='uq_leads_team_idempotency_key')
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_assignee_assigned', ['assignee_id', 'assigned_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_leads_notify', ['notify'], unique=False)
        batch_op.create_index('ix_leads_status_alert_due', ['status', 'alert_due_at'], unique=False)
        batch_op.create_index('ix_leads_team_created', ['team_id', 'created_at'], unique=False)
        batch_op.create_index('ix_leads_team_external_ref', ['team_id', 'external_ref'], unique=False)
        batch_op.create_index('ix_leads_team_status_pooled', ['team_id', 'status', 'pooled_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_team_status_pooled')
        batch_op.drop_index('ix_leads_team_external_ref')
        batch_op.drop_index('ix_leads_team_created')
        batch_op.drop_index('ix_leads_status_alert_due')
        batch_op.drop_index('ix_leads_notify')
        batch_op.drop_index(batch_op.f('ix_leads_customer_id'))
        batch_op.drop_index('ix_leads_assignee_assigned')

    op.drop_table('leads')
    op.drop_table('deal_reclaim')
    op.drop_table('pool_owners')
    op.drop_table('member_availability')
    op.drop_table('lead_runs')
