"""Case references: a short random reference per case, so a screener and their supervisor
can find and speak of a case without naming the person; existing cases get one each.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
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
    # Nullable with a unique index, as for referrals (0016): SQLite would rebuild the table
    # for a NOT NULL, and referrals and notes point at it.
    op.add_column("cases", sa.Column("reference", sa.String(length=9), nullable=True))
    connection = op.get_bind()
    taken: set[str] = set()
    for (case_id,) in connection.execute(sa.text("SELECT id FROM cases")).all():
        connection.execute(
            sa.text("UPDATE cases SET reference = :reference WHERE id = :id"),
            {"reference": _reference(taken), "id": case_id},
        )
    op.create_index(op.f("ix_cases_reference"), "cases", ["reference"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_reference"), table_name="cases")
    op.drop_column("cases", "reference")
