"""Statistics pre-aggregates: per report, the exact count and cell key of each cell in each
month, overall, by team, by country and by both, and per report the data version that keys the cache of published
tables (docs/reporting.md §2). Empty until the first ``reports flush`` or ``reports refresh``
builds them; until then reports count straight from the facts.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('stat_aggregate_state',
    sa.Column('report', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data_version', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('report', name=op.f('pk_stat_aggregate_state'))
    )
    op.create_table('stat_aggregates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('report', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('grain', sa.String(length=12), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('cell', sa.Text(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('ckey', sa.SmallInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stat_aggregates'))
    )
    with op.batch_alter_table('stat_aggregates', schema=None) as batch_op:
        batch_op.create_index('ix_stat_aggregates_report_grain_month', ['report', 'grain', 'month'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('stat_aggregates', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_aggregates_report_grain_month')

    op.drop_table('stat_aggregates')
    op.drop_table('stat_aggregate_state')
