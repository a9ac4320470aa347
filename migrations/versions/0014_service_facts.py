"""Service facts: one row per step of a counted person's referral, and one per need of a
counted screening with what routing found for it (docs/reporting.md §1).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICES = ('shelter', 'medical', 'psychosocial', 'legal', 'child_protection',
            'return_reintegration', 'livelihood', 'interpretation')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('stat_referral_facts',
    sa.Column('fact_id', sa.Uuid(), nullable=False),
    sa.Column('record_key', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('partner_id', sa.Uuid(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('population', sa.String(length=8), nullable=False),
    sa.Column('urgency', sa.String(length=6), nullable=False),
    sa.Column('event', sa.String(length=10), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=True),
    sa.Column('hours_band', sa.String(length=8), nullable=True),
    sa.Column('in_time', sa.Boolean(), nullable=True),
    sa.Column('decline_reason', sa.String(length=24), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('after_decline', sa.Boolean(), nullable=True),
    *[sa.Column(f'service_{s}', sa.Boolean(), nullable=True) for s in SERVICES],
    sa.PrimaryKeyConstraint('fact_id', name=op.f('pk_stat_referral_facts'))
    )
    with op.batch_alter_table('stat_referral_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_referral_facts_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_referral_facts_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_referral_facts_team_id'), ['team_id'], unique=False)

    op.create_table('stat_need_facts',
    sa.Column('fact_id', sa.Uuid(), nullable=False),
    sa.Column('record_key', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('population', sa.String(length=8), nullable=False),
    sa.Column('sex', sa.String(length=8), nullable=True),
    sa.Column('service', sa.String(length=24), nullable=False),
    sa.Column('result', sa.String(length=24), nullable=False),
    sa.PrimaryKeyConstraint('fact_id', name=op.f('pk_stat_need_facts'))
    )
    with op.batch_alter_table('stat_need_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_need_facts_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_need_facts_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('stat_need_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_need_facts_team_id'))
        batch_op.drop_index(batch_op.f('ix_stat_need_facts_month'))
    op.drop_table('stat_need_facts')
    with op.batch_alter_table('stat_referral_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_referral_facts_team_id'))
        batch_op.drop_index(batch_op.f('ix_stat_referral_facts_partner_id'))
        batch_op.drop_index(batch_op.f('ix_stat_referral_facts_month'))
    op.drop_table('stat_referral_facts')
