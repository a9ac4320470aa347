"""Statistics facts: one row per counted screening, holding no person, case, screening or
user id and nothing finer than a month, and the queue where a fact waits for the shuffled
batch that files it (docs/reporting.md §1).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('stat_fact_queue',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_fact_queue'))
    )
    op.create_table('stat_releases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=False),
    sa.Column('released_by', sa.Uuid(), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('report', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['released_by'], ['users.id'], name=op.f('fk_stat_releases_released_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_releases'))
    )
    with op.batch_alter_table('stat_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_releases_released_at'), ['released_at'], unique=False)

    op.create_table('stat_screening_facts',
    sa.Column('fact_id', sa.Uuid(), nullable=False),
    sa.Column('record_key', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('instrument', sa.String(length=16), nullable=False),
    sa.Column('instrument_version', sa.String(length=16), nullable=True),
    sa.Column('rules', sa.String(length=64), nullable=True),
    sa.Column('population', sa.String(length=8), nullable=False),
    sa.Column('exploitation', sa.String(length=10), nullable=True),
    sa.Column('classification', sa.String(length=24), nullable=True),
    sa.Column('route', sa.String(length=32), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=True),
    sa.Column('incomplete', sa.Boolean(), nullable=True),
    sa.Column('smuggling', sa.Boolean(), nullable=True),
    sa.Column('smuggling_risk', sa.Boolean(), nullable=True),
    sa.Column('red_flag', sa.Boolean(), nullable=True),
    sa.Column('sex', sa.String(length=8), nullable=True),
    sa.Column('age_band', sa.String(length=8), nullable=True),
    sa.Column('age_ctdc', sa.String(length=8), nullable=True),
    sa.Column('nationality', sa.String(length=2), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('moc_physical_threats', sa.SmallInteger(), nullable=True),
    sa.Column('moc_threats_law_enforcement', sa.SmallInteger(), nullable=True),
    sa.Column('moc_threatens_children_family', sa.SmallInteger(), nullable=True),
    sa.Column('moc_debt_bondage', sa.SmallInteger(), nullable=True),
    sa.Column('moc_false_promises', sa.SmallInteger(), nullable=True),
    sa.Column('moc_physical_abuse', sa.SmallInteger(), nullable=True),
    sa.Column('moc_sexual_abuse', sa.SmallInteger(), nullable=True),
    sa.Column('moc_takes_earnings', sa.SmallInteger(), nullable=True),
    sa.Column('moc_restricts_financial_access', sa.SmallInteger(), nullable=True),
    sa.Column('moc_restricts_medical_care', sa.SmallInteger(), nullable=True),
    sa.Column('moc_withholds_necessities', sa.SmallInteger(), nullable=True),
    sa.Column('moc_psychological_abuse', sa.SmallInteger(), nullable=True),
    sa.Column('moc_psychoactive_substance', sa.SmallInteger(), nullable=True),
    sa.Column('moc_excessive_working_hours', sa.SmallInteger(), nullable=True),
    sa.Column('moc_withholds_documents', sa.SmallInteger(), nullable=True),
    sa.Column('moc_other', sa.SmallInteger(), nullable=True),
    sa.Column('moc_restricts_movement', sa.SmallInteger(), nullable=True),
    sa.Column('fl_abuse_of_vulnerability', sa.SmallInteger(), nullable=True),
    sa.Column('fl_deception', sa.SmallInteger(), nullable=True),
    sa.Column('fl_restriction_of_movement', sa.SmallInteger(), nullable=True),
    sa.Column('fl_physical_and_sexual_violence', sa.SmallInteger(), nullable=True),
    sa.Column('fl_intimidation_and_threats', sa.SmallInteger(), nullable=True),
    sa.Column('fl_retention_of_documents', sa.SmallInteger(), nullable=True),
    sa.Column('fl_withholding_of_wages', sa.SmallInteger(), nullable=True),
    sa.Column('fl_debt_bondage', sa.SmallInteger(), nullable=True),
    sa.Column('fl_abusive_conditions', sa.SmallInteger(), nullable=True),
    sa.Column('fl_excessive_overtime', sa.SmallInteger(), nullable=True),
    sa.Column('dim_deceptive_recruitment', sa.Boolean(), nullable=True),
    sa.Column('dim_coercive_recruitment', sa.Boolean(), nullable=True),
    sa.Column('dim_recruitment_abuse_of_vulnerability', sa.Boolean(), nullable=True),
    sa.Column('dim_exploitative_conditions', sa.Boolean(), nullable=True),
    sa.Column('dim_coercion_at_destination', sa.Boolean(), nullable=True),
    sa.Column('dim_abuse_of_vulnerability_at_destination', sa.Boolean(), nullable=True),
    sa.Column('rel_partner', sa.SmallInteger(), nullable=True),
    sa.Column('rel_family', sa.SmallInteger(), nullable=True),
    sa.Column('abduction', sa.SmallInteger(), nullable=True),
    sa.Column('illicit', sa.SmallInteger(), nullable=True),
    sa.Column('need_shelter', sa.Boolean(), nullable=True),
    sa.Column('need_medical', sa.Boolean(), nullable=True),
    sa.Column('need_psychosocial', sa.Boolean(), nullable=True),
    sa.Column('need_legal', sa.Boolean(), nullable=True),
    sa.Column('need_child_protection', sa.Boolean(), nullable=True),
    sa.Column('need_return_reintegration', sa.Boolean(), nullable=True),
    sa.Column('need_livelihood', sa.Boolean(), nullable=True),
    sa.Column('need_interpretation', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('fact_id', name=op.f('pk_stat_screening_facts'))
    )
    with op.batch_alter_table('stat_screening_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stat_screening_facts_month'), ['month'], unique=False)
        batch_op.create_index(batch_op.f('ix_stat_screening_facts_team_id'), ['team_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('stat_screening_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_screening_facts_team_id'))
        batch_op.drop_index(batch_op.f('ix_stat_screening_facts_month'))

    op.drop_table('stat_screening_facts')
    with op.batch_alter_table('stat_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stat_releases_released_at'))

    op.drop_table('stat_releases')
    op.drop_table('stat_fact_queue')
