"""Long tables read in key order (core/row_stream.py): every matching row once, in order,
from any starting key; and a caller that stops early, or a query that fails, leaves the
session's connection usable, on SQLite and on PostgreSQL (where a helper thread fetches
ahead)."""

from __future__ import annotations

from contextlib import closing

import pytest
import sqlalchemy as sa
from flask import Flask

from access import audit
from access.models import AuditEvent
from core import db, row_stream
from tests.helpers import seal_audit

EVENTS = AuditEvent.__table__


@pytest.fixture
def chain(app: Flask) -> int:
    """A sealed chain of 23 synthetic events, and nothing else; its length."""
    with app.app_context():
        store = db.session()
        for number in range(23):
            audit.record(store, "case.read", object_type="case", object_id=f"c-{number}")
        store.commit()
    seal_audit(app)
    with app.app_context():
        store = db.session()
        length = store.scalar(sa.select(sa.func.max(EVENTS.c.seq))) or 0
        store.rollback()  # on SQLite an open transaction would hold the write lock
    return length


def _read(app: Flask, size: int, after: int = 0) -> list[int]:
    with app.app_context():
        store = db.session()
        columns = [EVENTS.c.seq, EVENTS.c.object_id]
        sealed = EVENTS.c.seq.is_not(None)
        return [
            seq
            for rows in row_stream.batches(store, columns, EVENTS.c.seq, sealed, size, after)
            for seq, _ in rows
        ]


@pytest.mark.parametrize("size", [1, 5, 23, 100])
def test_every_row_comes_once_in_key_order(app: Flask, chain: int, size: int) -> None:
    assert chain == 23
    assert _read(app, size) == list(range(1, 24))


def test_reading_starts_after_the_given_key(app: Flask, chain: int) -> None:
    assert _read(app, 4, after=20) == [21, 22, 23]


def test_stopping_early_leaves_the_connection_usable(app: Flask, chain: int) -> None:
    with app.app_context():
        store = db.session()
        stream = row_stream.batches(
            store, [EVENTS.c.seq], EVENTS.c.seq, EVENTS.c.seq.is_not(None), 2
        )
        with closing(stream):
            first = next(stream)
        assert [row[0] for row in first] == [1, 2]
        assert store.scalar(sa.select(sa.func.count()).select_from(EVENTS)) >= chain


def test_a_failing_query_raises_to_the_caller(app: Flask, chain: int) -> None:
    with app.app_context():
        store = db.session()
        broken = sa.literal_column("no_such_column")
        with pytest.raises(Exception, match="no_such_column"):  # the driver's own error
            for _ in row_stream.batches(
                store, [EVENTS.c.seq, broken], EVENTS.c.seq, EVENTS.c.seq.is_not(None), 5
            ):
                pass
