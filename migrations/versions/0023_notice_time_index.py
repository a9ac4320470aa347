"""The notices page in time order: a user's notices by (user_id, created_at) replace the index
on user_id alone, so the read notices under the unread ones are one index range, newest
first, however many a user has had (docs/architecture.md, "Lists at scale").

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0023'
down_revision: str | Sequence[str] | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_notices_user_time', 'notices', ['user_id', 'created_at'])
    op.drop_index('ix_notices_user_id', 'notices')


def downgrade() -> None:
    op.create_index('ix_notices_user_id', 'notices', ['user_id'])
    op.drop_index('ix_notices_user_time', 'notices')
