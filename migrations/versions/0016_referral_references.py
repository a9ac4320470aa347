"""Referral references: a short random reference per referral, to speak of it by phone
without naming the person; existing referrals get one each.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As referral.receipts (a migration never imports the app's code, which moves on).
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def _reference(taken: set[str]) -> str:
    while True:
        letters = "".join(secrets.choice(ALPHABET) for _ in range(8))
        reference = f"{letters[:4]}-{letters[4:]}"
        if reference not in taken:
            taken.add(reference)
            return reference


def upgrade() -> None:
    """Upgrade schema."""
    # Added as nullable with a unique index: SQLite would rebuild the table for a NOT NULL
    # or a constraint, and notices point at it (foreign keys stay on in the migration).
    op.add_column('referrals', sa.Column('reference', sa.String(length=9), nullable=True))
    connection = op.get_bind()
    taken: set[str] = set()
    for (referral_id,) in connection.execute(sa.text("SELECT id FROM referrals")).all():
        connection.execute(sa.text("UPDATE referrals SET reference = :reference WHERE id = :id"),
                           {"reference": _reference(taken), "id": referral_id})
    op.create_index(op.f('ix_referrals_reference'), 'referrals', ['reference'], unique=True)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_referrals_reference'), table_name='referrals')
    op.drop_column('referrals', 'reference')  # SQLite 3.35+ drops a column without a rebuild
