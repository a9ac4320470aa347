"""Red-flag actions: what the screener did about the red flags of a screening (who was
contacted, when, the action); the outcome and the note on who was contacted sealed with the
person's data key, the codes in the clear.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('red_flag_actions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('screening_id', sa.Uuid(), nullable=False),
    sa.Column('flags', sa.String(length=500), nullable=False),
    sa.Column('protocols', sa.String(length=120), nullable=False),
    sa.Column('contacted', sa.String(length=120), nullable=False),
    sa.Column('contacted_note', sa.LargeBinary(), nullable=True),
    sa.Column('acted_at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.LargeBinary(), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_red_flag_actions_recorded_by_users')),
    sa.ForeignKeyConstraint(['screening_id'], ['screenings.id'], name=op.f('fk_red_flag_actions_screening_id_screenings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_red_flag_actions'))
    )
    with op.batch_alter_table('red_flag_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_red_flag_actions_screening_id'), ['screening_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('red_flag_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_red_flag_actions_screening_id'))

    op.drop_table('red_flag_actions')
