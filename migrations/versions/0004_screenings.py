"""Screenings: answers and result sealed with the person's data key; the result's headline,
consent, safety check and needs in the clear.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('screenings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('screener_id', sa.Uuid(), nullable=False),
    sa.Column('instrument', sa.String(length=64), nullable=False),
    sa.Column('instrument_version', sa.String(length=32), nullable=False),
    sa.Column('rules', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('exploitation', sa.String(length=10), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('answers', sa.LargeBinary(), nullable=True),
    sa.Column('result', sa.LargeBinary(), nullable=True),
    sa.Column('classification', sa.String(length=24), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('incomplete', sa.Boolean(), nullable=False),
    sa.Column('smuggling', sa.Boolean(), nullable=False),
    sa.Column('route', sa.String(length=32), nullable=True),
    sa.Column('consent', sa.Text(), nullable=False),
    sa.Column('safety', sa.Text(), nullable=False),
    sa.Column('needs', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_screenings_person_id_people')),
    sa.ForeignKeyConstraint(['screener_id'], ['users.id'], name=op.f('fk_screenings_screener_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_screenings_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screenings'))
    )
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screenings_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screenings_screener_id'), ['screener_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screenings_team_id'), ['team_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screenings_team_id'))
        batch_op.drop_index(batch_op.f('ix_screenings_screener_id'))
        batch_op.drop_index(batch_op.f('ix_screenings_person_id'))

    op.drop_table('screenings')
