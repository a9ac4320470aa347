"""A break-glass reason is sealed with the data key of the person whose case was opened, so it
goes with their record, in the database and in every backup, as a note does. Reasons written
before stay in ``reason`` in the clear until the person's record is shredded, which erases
them (a migration never reaches a key: tests/core/test_migration_sources.py).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_access_grants") as table:
        table.add_column(sa.Column("reason_sealed", sa.LargeBinary(), nullable=True))
        table.add_column(sa.Column("data_key_id", sa.Uuid(), nullable=True))
        table.create_foreign_key(
            op.f("fk_case_access_grants_data_key_id_data_keys"),
            "data_keys",
            ["data_key_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("case_access_grants") as table:
        table.drop_constraint(
            op.f("fk_case_access_grants_data_key_id_data_keys"), type_="foreignkey"
        )
        table.drop_column("data_key_id")
        table.drop_column("reason_sealed")
