"""The request's transaction (core/db.py): a response never goes out while the session holds
the audit event of the access it serves, uncommitted (docs/architecture.md "Transactions")."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from access import audit
from access.guard import public
from access.models import AuditEvent
from core import db
from core.paging import Page

SECRET = "Synthetic-Person-Zed"


def _app(make_app: Callable[..., Flask], commits: bool) -> Flask:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/_test/read")
    @public
    def read() -> str:
        store = db.session()
        audit.record(store, "case.read", object_type="case", object_id="c-1")
        if commits:
            store.commit()
        return SECRET

    return app


def _reads(app: Flask) -> int:
    with app.app_context():
        return audit.events(db.session(), {"action": "case.read"}, Page(1, 10)).total


def test_a_view_that_forgets_to_commit_its_audit_event_is_refused(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(make_app, commits=False)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/_test/read")
    assert response.status_code == 500
    assert SECRET not in response.get_data(as_text=True)
    assert _reads(app) == 0
    assert "UncommittedAccess" in caplog.text


def test_a_view_that_commits_its_audit_event_answers(make_app: Callable[..., Flask]) -> None:
    app = _app(make_app, commits=True)
    response = app.test_client().get("/_test/read")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == SECRET
    assert _reads(app) == 1


def test_an_error_page_drops_the_unfinished_access_quietly(make_app: Callable[..., Flask]) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/_test/gone")
    @public
    def gone() -> str:
        audit.record(db.session(), "case.read", object_type="case", object_id="c-2")
        raise LookupError

    response = app.test_client().get("/_test/gone")
    assert response.status_code == 500
    assert _reads(app) == 0


def test_a_long_read_lets_writers_go_on(app: Flask) -> None:
    # audit verify walks the chain in such a session: on SQLite its transaction must not
    # hold the write lock, or every request would wait for the whole walk.
    with app.app_context():
        store = db.session()
        with db.reading(store) as reader:
            before = _reads(app)
            assert reader.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) is not None
            audit.record(store, "case.read", object_type="case", object_id="c-2")
            store.commit()  # a writer, while the reader's transaction is open
        assert _reads(app) == before + 1


def test_nothing_is_written_through_a_read_only_transaction(app: Flask) -> None:
    # On SQLite such a transaction holds no write lock: a write would take it late and fail
    # whenever another writer came between, so it is refused every time instead.
    if app.extensions["passage.engine"].dialect.name != "sqlite":
        pytest.skip("read-only transactions are begun on SQLite only")
    with app.app_context():
        store = db.session()
        with db.reading(store) as reader:
            assert reader.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) is not None
            with pytest.raises(RuntimeError, match="a write in a read-only transaction"):
                reader.execute(sa.delete(AuditEvent))
        db.begin_sign_in_reads(store)
        with pytest.raises(RuntimeError, match="a write in a read-only transaction"):
            store.execute(sa.update(AuditEvent).values(outcome="denied"))
        store.rollback()
        assert store.scalar(sa.select(sa.func.count()).where(AuditEvent.outcome == "denied")) == 0
