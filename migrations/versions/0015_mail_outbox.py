"""The notice outbox: each notice's e-mail, written in the notice's transaction and sent by
``notices send`` with retries, dead letters and unknown outcomes (docs/notices.md).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('outbox_messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('notice_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('state', sa.String(length=9), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('claimed_by', sa.Uuid(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=64), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'dead', 'unknown', 'dismissed')", name=op.f('ck_outbox_messages_state')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_outbox_messages_notice_id_notices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_messages_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('notice_id', name=op.f('uq_outbox_messages_notice_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_state_due', ['state', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_state_due')
    op.drop_table('outbox_messages')
