"""A screening started through the API with an ``Idempotency-Key`` keeps, beside the keyed
hash of that key (``start_key``), a keyed digest of the request's body: the same key sent
again with another body is refused instead of answered with the first person's screening.
Screenings made before, through the web form, or without the header have none.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("screenings", sa.Column("start_digest", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("screenings", "start_digest")
