"""Audit log filters in the log's order: the indexes on action, actor and object end with the
event's id, so a filtered page of the newest events is one index range on PostgreSQL, however
long the log (SQLite's indexes end with the rowid, which is the id, already).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0022'
down_revision: str | Sequence[str] | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("action", "actor_id", "object_id")


def upgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f'ix_audit_events_{column}', 'audit_events')
        op.create_index(f'ix_audit_events_{column}_id', 'audit_events', [column, 'id'])


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f'ix_audit_events_{column}_id', 'audit_events')
        op.create_index(f'ix_audit_events_{column}', 'audit_events', [column])
