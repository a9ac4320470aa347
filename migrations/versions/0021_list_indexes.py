"""Lists at scale: each referral's place in an inbox kept by the database (a generated
column), and indexes that serve the lists in their order — a partner's and a team's inbox,
a team's overdue referrals, a screener's and a team's cases (open ones apart), and a user's
unread notices — so that a page reads one range of an index whatever the table holds.

SQLite cannot add a stored generated column to a table, so it rebuilds referrals
(migrations/env.py turns foreign keys off for that).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-10
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | Sequence[str] | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As referral.workflow.sql_inbox_rank writes it (a migration never imports the app's code).
INBOX_RANK = ("CASE state WHEN 'pending' THEN 0 WHEN 'accepted' THEN 2 ELSE 4 END"
              " + CASE urgency WHEN 'urgent' THEN 0 ELSE 1 END")
OVERDUE = "overdue_at IS NOT NULL AND state = 'pending'"
OPEN_CASES = "status IN ('active', 'follow_up')"
UNREAD = "read_at IS NULL"
KEY = ['created_at', 'id']
CASE_KEY = ['urgent', 'updated_at', 'id']


def _partial(condition: str) -> dict[str, sa.TextClause]:
    return {'postgresql_where': sa.text(condition), 'sqlite_where': sa.text(condition)}


def _rebuilt_on_sqlite() -> str:
    return 'always' if op.get_bind().dialect.name == 'sqlite' else 'auto'


def upgrade() -> None:
    """Upgrade schema."""
    rank = sa.Column('inbox_rank', sa.SmallInteger(), sa.Computed(INBOX_RANK, persisted=True),
                     nullable=False)
    with op.batch_alter_table('referrals', schema=None, recreate=_rebuilt_on_sqlite()) as batch_op:
        batch_op.add_column(rank)
    op.create_index('ix_referrals_partner_inbox', 'referrals',
                    ['partner_id', 'inbox_rank', *KEY], unique=False)
    op.create_index('ix_referrals_team_inbox', 'referrals',
                    ['team_id', 'inbox_rank', *KEY], unique=False)
    op.create_index('ix_referrals_team_overdue', 'referrals',
                    ['team_id', 'inbox_rank', *KEY], unique=False, **_partial(OVERDUE))
    # A screener's list names their team and themselves; a supervisor's, the team.
    for scope, columns in (('owner', ['team_id', 'owner_id']), ('team', ['team_id'])):
        op.create_index(f'ix_cases_{scope}_list', 'cases', [*columns, *CASE_KEY], unique=False)
        op.create_index(f'ix_cases_{scope}_open', 'cases', [*columns, *CASE_KEY], unique=False,
                        **_partial(OPEN_CASES))
    op.create_index('ix_notices_unread', 'notices', ['user_id', 'created_at'], unique=False,
                    **_partial(UNREAD))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_notices_unread', table_name='notices')
    for scope in ('owner', 'team'):
        op.drop_index(f'ix_cases_{scope}_open', table_name='cases')
        op.drop_index(f'ix_cases_{scope}_list', table_name='cases')
    for name in ('team_overdue', 'team_inbox', 'partner_inbox'):
        op.drop_index(f'ix_referrals_{name}', table_name='referrals')
    with op.batch_alter_table('referrals', schema=None, recreate=_rebuilt_on_sqlite()) as batch_op:
        batch_op.drop_column('inbox_rank')
