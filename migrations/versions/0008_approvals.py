"""Account changes that wait for a second person's approval.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('account_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('team', sa.String(length=80), nullable=True),
    sa.Column('partner', sa.String(length=64), nullable=True),
    sa.Column('requested_by', sa.Uuid(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.Uuid(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.CheckConstraint("kind IN ('create', 'change', 'reset_second_factor')",
                       name=op.f('ck_account_changes_kind')),
    sa.CheckConstraint("outcome IN ('approved', 'refused', 'expired')",
                       name=op.f('ck_account_changes_outcome')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'],
                            name=op.f('fk_account_changes_decided_by_users')),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'],
                            name=op.f('fk_account_changes_requested_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                            name=op.f('fk_account_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_changes'))
    )
    op.create_index(op.f('ix_account_changes_expires_at'), 'account_changes', ['expires_at'],
                    unique=False)
    op.create_index(op.f('ix_account_changes_user_id'), 'account_changes', ['user_id'],
                    unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_account_changes_user_id'), table_name='account_changes')
    op.drop_index(op.f('ix_account_changes_expires_at'), table_name='account_changes')
    op.drop_table('account_changes')
