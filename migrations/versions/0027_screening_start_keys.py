"""A screening remembers the random key of the web form's setup that started it, unique, so
that the person form sent twice (a slow connection, a second click) leads to the draft the
first made instead of recording the person twice. Screenings made before, and through the
API, have none.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("screenings", sa.Column("start_key", sa.String(length=32), nullable=True))
    op.create_index("ix_screenings_start_key", "screenings", ["start_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_screenings_start_key", table_name="screenings")
    op.drop_column("screenings", "start_key")
