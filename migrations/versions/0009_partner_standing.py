"""Partner standing: the vetting status and its expiry move from the directory entry
(partner_profiles) to the organisation (partner_organisations), replacing the separate
``active`` flag, so one record decides both routing and whether the staff may sign in; and
referrals keep why the system withdrew them (``withdraw_reason``).

An organisation without a directory entry had no vetting and gets none ("pending"); one
deactivated under the old flag is "suspended".

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

organisations = sa.table('partner_organisations', sa.column('id', sa.Uuid()),
                         sa.column('active', sa.Boolean()),
                         sa.column('vetting_status', sa.String(10)),
                         sa.column('vetting_valid_until', sa.Date()))
profiles = sa.table('partner_profiles', sa.column('organisation_id', sa.Uuid()),
                    sa.column('vetting_status', sa.String(10)),
                    sa.column('vetting_valid_until', sa.Date()))
CHECK = "vetting_status IN ('vetted', 'pending', 'suspended')"


def _of_profile(column: str) -> sa.ScalarSelect:
    return sa.select(profiles.c[column]).where(
        profiles.c.organisation_id == organisations.c.id).scalar_subquery()


def _of_organisation(column: str) -> sa.ScalarSelect:
    return sa.select(organisations.c[column]).where(
        organisations.c.id == profiles.c.organisation_id).scalar_subquery()


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('partner_organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vetting_status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('vetting_valid_until', sa.Date(), nullable=True))
    op.execute(organisations.update().values(
        vetting_status=_of_profile('vetting_status'),
        vetting_valid_until=_of_profile('vetting_valid_until')))
    op.execute(organisations.update().where(organisations.c.vetting_status.is_(None))
               .values(vetting_status='pending'))
    op.execute(organisations.update().where(organisations.c.active.is_(sa.false()))
               .values(vetting_status='suspended'))
    with op.batch_alter_table('partner_organisations', schema=None) as batch_op:
        batch_op.alter_column('vetting_status', existing_type=sa.String(length=10),
                              nullable=False)
        batch_op.create_check_constraint(op.f('ck_partner_organisations_vetting_status'), CHECK)
        batch_op.drop_column('active')
    with op.batch_alter_table('partner_profiles', schema=None) as batch_op:
        batch_op.drop_column('vetting_valid_until')
        batch_op.drop_column('vetting_status')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdraw_reason', sa.String(length=24), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('withdraw_reason')
    with op.batch_alter_table('partner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vetting_status', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('vetting_valid_until', sa.Date(), nullable=True))
    op.execute(profiles.update().values(
        vetting_status=_of_organisation('vetting_status'),
        vetting_valid_until=_of_organisation('vetting_valid_until')))
    with op.batch_alter_table('partner_profiles', schema=None) as batch_op:
        batch_op.alter_column('vetting_status', existing_type=sa.String(length=10),
                              nullable=False)
    with op.batch_alter_table('partner_organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=True))
    op.execute(organisations.update().values(
        active=organisations.c.vetting_status != 'suspended'))
    with op.batch_alter_table('partner_organisations', schema=None) as batch_op:
        batch_op.alter_column('active', existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_constraint(op.f('ck_partner_organisations_vetting_status'), type_='check')
        batch_op.drop_column('vetting_valid_until')
        batch_op.drop_column('vetting_status')
