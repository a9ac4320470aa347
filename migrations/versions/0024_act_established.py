"""Whether a child's screening recorded an act, kept in the clear beside the class on
screenings and cases, so lists and the case page word a child's exploitation with no
recorded act as the result page does (docs/screening.md §2.3). Screenings completed before
keep NULL: their class is shown as it was.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("screenings", sa.Column("act_established", sa.Boolean(), nullable=True))
    op.add_column("cases", sa.Column("act_established", sa.Boolean(), nullable=True))


def downgrade() -> None:
    for table in ("cases", "screenings"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("act_established")
