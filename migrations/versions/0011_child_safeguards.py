"""Children's safeguards: a person keeps, in the clear and after shredding, whether they may
be a minor (``possibly_minor``) and how their age is known (``age_source``); a referral keeps
the legal basis it was sent on (``basis``: ``consent``, or ``child_protection`` for a child
referred without consent).

Everyone screened before is marked possibly a minor when one of their screenings used the
child instrument or its safety check said so (the safety JSON is kept in the clear), since an
unknown age no longer presumes minority by itself. Earlier referrals all rested on consent.

Columns are added and dropped in place (SQLite 3.35 and later drop columns natively), as in
0009: no batch copy of tables that others point at.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

people = sa.table('people', sa.column('id', sa.Uuid()),
                  sa.column('possibly_minor', sa.Boolean()))
screenings = sa.table('screenings', sa.column('person_id', sa.Uuid()),
                      sa.column('instrument', sa.String(64)), sa.column('safety', sa.Text()))


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('people', sa.Column('possibly_minor', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    op.add_column('people', sa.Column('age_source', sa.String(length=10), nullable=True))
    op.add_column('referrals', sa.Column('basis', sa.String(length=24),
                                         server_default='consent', nullable=False))
    # json.dumps wrote the safety check with its default separators.
    flagged = sa.select(screenings.c.person_id).where(sa.or_(
        screenings.c.instrument == 'child',
        screenings.c.safety.like('%"possibly_minor": true%')))
    op.execute(people.update().where(people.c.id.in_(flagged)).values(possibly_minor=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('referrals', 'basis')
    op.drop_column('people', 'age_source')
    op.drop_column('people', 'possibly_minor')
