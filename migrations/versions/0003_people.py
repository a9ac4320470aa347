"""People screened: identifying fields sealed with each person's data key, a blind index of
name and year of birth, non-identifying facts for statistics, and the retention date.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('people',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('identity_index', sa.LargeBinary(length=16), nullable=True),
    sa.Column('given_name', sa.LargeBinary(), nullable=True),
    sa.Column('family_name', sa.LargeBinary(), nullable=True),
    sa.Column('birth_date', sa.LargeBinary(), nullable=True),
    sa.Column('age', sa.LargeBinary(), nullable=True),
    sa.Column('region', sa.LargeBinary(), nullable=True),
    sa.Column('contact', sa.LargeBinary(), nullable=True),
    sa.Column('notes', sa.LargeBinary(), nullable=True),
    sa.Column('age_band', sa.String(length=8), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=True),
    sa.Column('nationality', sa.String(length=2), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('languages', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(), nullable=False),
    sa.Column('retention_until', sa.DateTime(), nullable=False),
    sa.Column('legal_hold', sa.Boolean(), nullable=False),
    sa.Column('shredded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_people_created_by_users')),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_people_data_key_id_data_keys')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_people_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_identity_index'), ['identity_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_retention_until'), ['retention_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_people_team_id'), ['team_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_team_id'))
        batch_op.drop_index(batch_op.f('ix_people_retention_until'))
        batch_op.drop_index(batch_op.f('ix_people_identity_index'))

    op.drop_table('people')
