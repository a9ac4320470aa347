"""Audit events carry a nonce: 128 random bits under the entry MAC, so that no two events'
entry MACs are alike and a copy of an event (entry MAC and all) is refused at its INSERT by a
unique index; ``audit_head.unbound_until`` remembers the last event written before nonces, so
that the sealer refuses a copy of one of those too (docs/security.md, R49).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NONCED = sa.text("nonce IS NOT NULL")
# The append-only triggers of 0020, now also refusing a change to an unsealed event's nonce
# (its entry MAC would catch it too; the trigger refuses it first).
BEFORE = (
    "id", "at", "actor_id", "actor_role", "actor_org", "action", "object_type", "object_id",
    "outcome", "client_ip", "request_id", "details", "entry_mac",
)


def _postgres_function(columns: Sequence[str]) -> str:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    return f"""CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NOT ({changed}) THEN RETURN NEW; END IF;
      RAISE EXCEPTION 'audit_events is append-only';
    END $$"""


def _sqlite_trigger(columns: Sequence[str]) -> str:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    return f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       WHEN OLD.seq IS NOT NULL OR {changed}
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"""


def _guard(columns: Sequence[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_postgres_function(columns))
        return
    op.execute("DROP TRIGGER audit_events_no_update")
    op.execute(_sqlite_trigger(columns))


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("nonce", sa.String(length=32), nullable=True))
    _guard((*BEFORE, "nonce"))
    op.create_index(
        "ux_audit_events_entry_mac",
        "audit_events",
        ["entry_mac"],
        unique=True,
        postgresql_where=NONCED,
        sqlite_where=NONCED,
    )
    op.add_column(
        "audit_head",
        sa.Column("unbound_until", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute(
        "UPDATE audit_head SET unbound_until = (SELECT COALESCE(MAX(id), 0) FROM audit_events)"
    )


def downgrade() -> None:
    op.drop_column("audit_head", "unbound_until")
    op.drop_index("ux_audit_events_entry_mac", table_name="audit_events")
    _guard(BEFORE)  # SQLite drops no column a trigger names
    op.drop_column("audit_events", "nonce")
