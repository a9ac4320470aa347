"""Partner standing: the vetting status and its expiry move from the directory entry
(partner_profiles) to the organisation (partner_organisations), replacing the separate
``active`` flag, so one record decides both routing and whether the staff may sign in; and
referrals keep why the system withdrew them (``withdraw_reason``).

An organisation without a directory entry had no vetting and gets none ("pending"); one
deactivated under the old flag is "suspended".

Columns are added and dropped in place (SQLite 3.35 and later drop columns natively): a
batch copy of partner_organisations would have to drop a table that users, profiles and
referrals point at, which SQLite refuses while foreign keys are enforced.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

organisations = sa.table('partner_organisations', sa.column('id', sa.Uuid()),
                         sa.column('active', sa.Boolean()),
                         sa.column('vetting_status', sa.String(10)),
                         sa.column('vetting_valid_until', sa.Date()))
profiles = sa.table('partner_profiles', sa.column('organisation_id', sa.Uuid()),
                    sa.column('vetting_status', sa.String(10)),
                    sa.column('vetting_valid_until', sa.Date()))


def _of_profile(column: str) -> sa.ScalarSelect:
    return sa.select(profiles.c[column]).where(
        profiles.c.organisation_id == organisations.c.id).scalar_subquery()


def _of_organisation(column: str) -> sa.ScalarSelect:
    return sa.select(organisations.c[column]).where(
        organisations.c.id == profiles.c.organisation_id).scalar_subquery()


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('partner_organisations', sa.Column(
        'vetting_status', sa.String(length=10), server_default='pending', nullable=False))
    op.add_column('partner_organisations', sa.Column('vetting_valid_until', sa.Date(),
                                                     nullable=True))
    has_entry = sa.exists().where(profiles.c.organisation_id == organisations.c.id)
    op.execute(organisations.update().where(has_entry).values(
        vetting_status=_of_profile('vetting_status'),
        vetting_valid_until=_of_profile('vetting_valid_until')))
    op.execute(organisations.update().where(organisations.c.active.is_(sa.false()))
               .values(vetting_status='suspended'))
    op.drop_column('partner_organisations', 'active')
    op.drop_column('partner_profiles', 'vetting_valid_until')
    op.drop_column('partner_profiles', 'vetting_status')
    op.add_column('referrals', sa.Column('withdraw_reason', sa.String(length=24),
                                         nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('referrals', 'withdraw_reason')
    op.add_column('partner_profiles', sa.Column(
        'vetting_status', sa.String(length=10), server_default='pending', nullable=False))
    op.add_column('partner_profiles', sa.Column('vetting_valid_until', sa.Date(),
                                                nullable=True))
    op.execute(profiles.update().values(
        vetting_status=_of_organisation('vetting_status'),
        vetting_valid_until=_of_organisation('vetting_valid_until')))
    op.add_column('partner_organisations', sa.Column(
        'active', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute(organisations.update().values(
        active=organisations.c.vetting_status != 'suspended'))
    op.drop_column('partner_organisations', 'vetting_valid_until')
    op.drop_column('partner_organisations', 'vetting_status')
