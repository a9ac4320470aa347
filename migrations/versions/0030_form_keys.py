"""A case note and a follow-up keep the random key of the form that wrote them, unique, so
that the form sent twice (a slow connection, a second click) writes them once. Rows written
before, and notes written by other means (the reason for reopening), have none.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("case_notes", "case_tasks"):
        op.add_column(table, sa.Column("form_key", sa.String(length=32), nullable=True))
        op.create_index(f"ix_{table}_form_key", table, ["form_key"], unique=True)


def downgrade() -> None:
    for table in ("case_tasks", "case_notes"):
        op.drop_index(f"ix_{table}_form_key", table_name=table)
        op.drop_column(table, "form_key")
