"""Partner directory: what each partner offers, where and to whom, its vetting, and its
contact details sealed with a data key of its own.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('partner_profiles',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('vetting_status', sa.String(length=10), nullable=False),
    sa.Column('vetting_valid_until', sa.Date(), nullable=True),
    sa.Column('services', sa.String(length=200), nullable=False),
    sa.Column('populations', sa.String(length=100), nullable=False),
    sa.Column('languages', sa.String(length=100), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('data_key_id', sa.Uuid(), nullable=False),
    sa.Column('contact', sa.LargeBinary(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_partner_profiles_data_key_id_data_keys')),
    sa.ForeignKeyConstraint(['organisation_id'], ['partner_organisations.id'], name=op.f('fk_partner_profiles_organisation_id_partner_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_profiles')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_partner_profiles_organisation_id'))
    )
    op.create_table('partner_areas',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('profile_id', sa.Uuid(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['profile_id'], ['partner_profiles.id'], name=op.f('fk_partner_areas_profile_id_partner_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_areas'))
    )
    with op.batch_alter_table('partner_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_areas_profile_id'), ['profile_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('partner_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_areas_profile_id'))

    op.drop_table('partner_areas')
    op.drop_table('partner_profiles')
