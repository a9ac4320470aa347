"""Many audit events at once, by SQL alone, for scale tests and the audit log bench: sealed
events with MACs that are not real (nothing here verifies them), spread over a few actions,
actors and objects as a log is. A million takes seconds on SQLite, about a minute on
PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from core import db

ACTIONS = ("person.read", "case.read", "sign_in", "screening.created", "referral.accepted")
ACTORS = 20  # actors named actor-00 … actor-19
OBJECTS = 5_000  # objects named object-0 … object-4999


def seed(app: Flask, count: int) -> None:
    """Add ``count`` sealed events after the chain's head, and move the head."""
    engine = app.extensions["passage.engine"]
    postgres = engine.dialect.name == "postgresql"
    numbers = (
        "SELECT generate_series(1, :count) AS n"
        if postgres
        else "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :count) "
        "SELECT n FROM s"
    )
    hex_of = "lpad(to_hex(h.seq + s.n), 64, '0')" if postgres else "printf('%064x', h.seq + s.n)"
    previous = (
        "lpad(to_hex(h.seq + s.n - 1), 64, '0')" if postgres else "printf('%064x', h.seq + s.n - 1)"
    )
    at = (
        "TIMESTAMP '2026-01-01' + (s.n || ' seconds')::interval"
        if postgres
        else "datetime('2026-01-01', '+' || s.n || ' seconds')"
    )
    actions = " ".join(f"WHEN {i} THEN '{a}'" for i, a in enumerate(ACTIONS))
    with app.app_context():
        store = db.session()
        store.execute(
            sa.text(
                "INSERT INTO audit_events (seq, at, actor_id, actor_role, action, object_type, "  # noqa: S608 - constants of this module only
                "object_id, outcome, details, entry_mac, prev_mac, mac) "
                f"SELECT h.seq + s.n, {at}, 'actor-' || (s.n % {ACTORS}), 'screener', "
                f"CASE s.n % {len(ACTIONS)} {actions} END, 'case', "
                f"'object-' || (s.n % {OBJECTS}), 'allowed', '{{}}', NULL, {previous}, {hex_of} "
                f"FROM ({numbers}) AS s CROSS JOIN audit_head AS h WHERE h.id = 1"
            ),
            {"count": count},
        )
        store.execute(sa.text("UPDATE audit_head SET seq = seq + :count"), {"count": count})
        store.execute(sa.text("ANALYZE audit_events"))
        store.commit()
