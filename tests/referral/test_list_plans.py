"""The lists' queries read their indexes, on PostgreSQL, with tables full enough that the
planner would rather scan a table than use a poor index (migration 0021; docs/architecture.md,
"Lists at scale").

The test asks the planner for its own choice: 20,000 referrals of one team (10,000 of them to
the one partner) with their cases and the partner's notices, analysed as autovacuum would. Switching
sequential scans off instead would make it pick any index at all, even one that only filters
the rows and then sorts them all, which would prove nothing. Each list is read through its
service, and the statements it sent are explained exactly as they were sent:

- the first page reads the list's own index in the list's order (nothing sorted), so a page
  costs its rows and not the list's length;
- the deepest page, walked to by cursor, reads an index range that starts at the cursor (the
  row comparison is in the index condition); the planner may sort those few rows;
- no statement of either, the capped count included, scans a table."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import User
from core import db
from core.clock import FrozenClock
from core.keyset import Window
from core.paging import Page
from referral import cases, inbox, notices
from referral.models import Notice
from tests.helpers import Statement, statements
from tests.referral import bulk

pytestmark = pytest.mark.postgresql
FIRST = 25  # rows on a first page, as the inbox shows them
SIZE = 100  # rows a page while walking to the last
INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
SORTS = {"Sort", "Incremental Sort"}


@pytest.fixture
def seeded(app: Flask, clock: FrozenClock) -> bulk.Seeded:
    if app.extensions["passage.engine"].dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL (TEST_DATABASE_URL)")
    return bulk.seed(app, bulk.Shape(20_000, teams=1, packet_bytes=300), clock.now())


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _explained(app: Flask, statement: Statement) -> list[dict[str, Any]]:
    connection = db.session().connection().connection.driver_connection
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement.sql, statement.parameters)
        (plan,) = cursor.fetchone()
    return list(_nodes((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]))


def _sent(
    app: Flask, read: Callable[[Any, Page], Window], user: Any, deepest: bool
) -> list[Statement]:
    """The SELECTs sent for the first page of a list, or for its last, walked to by cursor."""
    with statements(app.extensions["passage.engine"]) as seen:
        shown = read(user, Page(1, SIZE if deepest else FIRST))
    while deepest and shown.next:
        with statements(app.extensions["passage.engine"]) as seen:
            following = read(user, Page(1, SIZE, after=shown.next))
        shown = following
    assert shown.prev is not None or not deepest  # really a deep page
    return [s for s in seen if s.sql.lstrip().upper().startswith("SELECT")]


def _user(email: str) -> Any:
    return db.session().scalar(sa.select(User).where(User.email == email))


LISTS: dict[str, tuple[str, Callable[[Any, Page], Window], str]] = {
    "partner inbox": (
        "partner",
        lambda user, page: inbox.list_for(db.session(), user, page),
        "ix_referrals_partner_inbox",
    ),
    "team's referrals": (
        "supervisor",
        lambda user, page: inbox.list_for(db.session(), user, page),
        "ix_referrals_team_inbox",
    ),
    "overdue referrals": (
        "supervisor",
        lambda user, page: inbox.list_for(db.session(), user, page, overdue_only=True),
        "ix_referrals_team_overdue",
    ),
    "screener's open cases": (
        "screener",
        lambda user, page: cases.list_for(db.session(), user, page),
        "ix_cases_owner_open",
    ),
    "screener's cases": (
        "screener",
        lambda user, page: cases.list_for(db.session(), user, page, cases.ALL),
        "ix_cases_owner_list",
    ),
    "team's cases": (
        "supervisor",
        lambda user, page: cases.list_for(db.session(), user, page, cases.ALL),
        "ix_cases_team_list",
    ),
}


def test_every_list_reads_its_index_in_order_on_every_page(app: Flask, seeded: bulk.Seeded) -> None:
    with app.test_request_context("/"):
        for name, (reader, read, index) in LISTS.items():
            user = _user(getattr(seeded, reader).email)
            for deepest in (False, True):
                _check(app, name, index, deepest, _sent(app, read, user, deepest))
        db.session().rollback()


def _check(app: Flask, name: str, index: str, deepest: bool, sent: list[Statement]) -> None:
    (count,) = [s for s in sent if "count(*)" in s.sql]
    (page,) = [s for s in sent if "ORDER BY" in s.sql and s is not count]
    for statement in (page, count):
        kinds = {node["Node Type"] for node in _explained(app, statement)}
        assert "Seq Scan" not in kinds, (name, deepest, statement.sql)
        assert kinds & INDEX_SCANS, (name, deepest, kinds)
    nodes = _explained(app, page)
    scans = [n for n in nodes if n["Node Type"] in INDEX_SCANS]
    if deepest:
        assert all("ROW(" in n["Index Cond"] for n in scans), (name, scans)
    else:
        assert not SORTS & {n["Node Type"] for n in nodes}, (name, nodes)
        assert [n["Index Name"] for n in scans] == [index], (name, scans)


def test_the_unread_count_reads_only_unread_notices(app: Flask, seeded: bulk.Seeded) -> None:
    with app.test_request_context("/"):
        user = _user(seeded.partner.email)
        with statements(app.extensions["passage.engine"]) as seen:
            assert notices.unread(db.session(), user) == notices.UNREAD_LIMIT + 1
        (statement,) = seen
        nodes = _explained(app, statement)
        assert "Seq Scan" not in {node["Node Type"] for node in nodes}
        assert [n["Index Name"] for n in nodes if n["Node Type"] in INDEX_SCANS] == [
            "ix_notices_unread"
        ]
        db.session().rollback()


def test_the_notices_page_reads_the_users_notices_by_time(app: Flask, seeded: bulk.Seeded) -> None:
    """Ten unread and thousands read: the page reads the ten along the unread index, then
    the rest of a page along the index by time, newest first, sorting nothing."""
    with app.test_request_context("/"):
        user = _user(seeded.partner.email)
        store = db.session()
        newest_unread = (
            sa.select(Notice.id)
            .where(Notice.user_id == user.id, Notice.read_at.is_(None))
            .order_by(Notice.created_at.desc())
            .limit(10)
        )
        store.execute(
            sa.update(Notice)
            .where(
                Notice.user_id == user.id,
                Notice.read_at.is_(None),
                Notice.id.not_in(newest_unread.scalar_subquery()),
            )
            .values(read_at=Notice.created_at)
        )
        store.execute(sa.text("ANALYZE notices"))
        with statements(app.extensions["passage.engine"]) as seen:
            shown = notices.for_user(store, user)
        assert [n.read_at is None for n in shown] == [True] * 10 + [False] * 40
        for statement, index in zip(
            seen, ["ix_notices_unread", "ix_notices_user_time"], strict=True
        ):
            nodes = _explained(app, statement)
            kinds = {node["Node Type"] for node in nodes}
            assert not kinds & (SORTS | {"Seq Scan"}), (index, kinds)
            assert [n["Index Name"] for n in nodes if n["Node Type"] in INDEX_SCANS] == [index]
        store.rollback()
