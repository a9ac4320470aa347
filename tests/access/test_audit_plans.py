"""The audit log's pages read indexes, on PostgreSQL, with a log long enough that the planner
would rather scan the table than use a poor index (migration 0022; docs/architecture.md,
"Lists at scale"): 50,000 events, analysed. The first page and the deepest page (walked to by
cursor) of the whole log and of each filter read an index in the log's order (no sort), and
no statement, the capped count included, scans the table. For a value as common as one event
in five the planner may walk the primary key backwards and filter, which costs a handful of
rows a match; for a rare one (an object) only the filter's own index serves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from access import audit
from core import db
from core.paging import Page
from tests.access import bulk_audit
from tests.helpers import Statement, statements

pytestmark = pytest.mark.postgresql
EVENTS = 50_000
INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
FILTERS = {
    "the whole log": ({}, "pk_audit_events"),
    "an action": ({"action": "person.read"}, "ix_audit_events_action_id"),
    "an actor": ({"actor_id": "actor-7"}, "ix_audit_events_actor_id_id"),
    "an object": ({"object_id": "object-42"}, "ix_audit_events_object_id_id"),
    # The short form the pages show: a range on the id's text, read from the same indexes.
    "an actor's first digits": ({"actor_id": "b9ae4ac5"}, "ix_audit_events_actor_id_id"),
    "an object's first digits": ({"object_id": "b9ae4ac5-12"}, "ix_audit_events_object_id_id"),
}
RARE = ("the whole log", "an object", "an actor's first digits", "an object's first digits")


@pytest.fixture
def seeded(app: Flask) -> None:
    if app.extensions["passage.engine"].dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL (TEST_DATABASE_URL)")
    bulk_audit.seed(app, EVENTS)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _explained(statement: Statement) -> list[dict[str, Any]]:
    connection = db.session().connection().connection.driver_connection
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement.sql, statement.parameters)
        (plan,) = cursor.fetchone()
    return list(_nodes((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]))


def _sent(app: Flask, filters: dict[str, str], deepest: bool) -> list[Statement]:
    engine = app.extensions["passage.engine"]
    with statements(engine) as seen:
        shown = audit.events(db.session(), filters, Page(1, 500))
    for _ in range(100 if deepest else 0):  # as deep as 50,000 rows go at 500 a page
        if shown.next is None:
            break
        with statements(engine) as seen:
            shown = audit.events(db.session(), filters, Page(1, 500, after=shown.next))
    assert shown.prev is not None or not deepest or shown.total <= 500  # deep, if it can be
    return [s for s in seen if s.sql.lstrip().upper().startswith("SELECT")]


def test_every_page_of_the_log_reads_an_index(app: Flask, seeded: None) -> None:
    with app.app_context():
        for name, (filters, index) in FILTERS.items():
            for deepest in (False, True):
                for statement in _sent(app, filters, deepest):
                    nodes = _explained(statement)
                    kinds = {node["Node Type"] for node in nodes}
                    assert "Seq Scan" not in kinds, (name, deepest, statement.sql)
                    assert kinds & INDEX_SCANS, (name, deepest, kinds)
                    if "count(" not in statement.sql:
                        used = {n["Index Name"] for n in nodes if n["Node Type"] in INDEX_SCANS}
                        rare = name in RARE
                        allowed = {index} if rare else {index, "pk_audit_events"}
                        assert used, (name, deepest, nodes)
                        assert used <= allowed, (name, deepest, used)
                        if name == "the whole log":  # a rare object's few rows may be sorted
                            assert "Sort" not in kinds, (name, deepest, kinds)
        db.session().rollback()
