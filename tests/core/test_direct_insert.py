"""New rows written at the commit without the unit of work (core/direct_insert.py,
docs/architecture.md, Performance): the same rows as a flush would write, or a flush when
the shortcut cannot be sure of that."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from access.models import PartnerOrganisation, Team, User
from access.roles import Role
from core import db
from tests.helpers import statements

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@contextmanager
def flushes(app: Flask) -> Iterator[list[list[str]]]:
    """Every unit-of-work flush of the app's sessions while the block runs: the kinds of
    the new rows it inserts."""
    factory = app.extensions["passage.sessionmaker"]
    seen: list[list[str]] = []

    def flushing(store: Session, *_args: Any) -> None:
        seen.append(sorted(type(row).__name__ for row in store.new))

    event.listen(factory, "before_flush", flushing)
    try:
        yield seen
    finally:
        event.remove(factory, "before_flush", flushing)


def screener(team: Team, **values: Any) -> User:
    return User(
        email=f"direct.{uuid.uuid4().hex[:8]}@test.passage.example",
        role=Role.SCREENER,
        team=team,
        created_at=NOW,
        **values,
    )


def stored(app: Flask, model: Any, row_id: uuid.UUID) -> Any:
    with Session(bind=app.extensions["passage.engine"]) as other:
        return other.execute(sa.select(model.__table__).where(model.__table__.c.id == row_id)).one()


def test_new_rows_are_inserted_directly_and_join_the_session(app: Flask) -> None:
    with app.app_context(), flushes(app) as seen:
        store = db.session()
        team = Team(id=uuid.uuid4(), name="Team Direct")
        user = screener(team, team_id=team.id)  # both named, as the services do
        store.add_all([team, user])
        store.commit()
        assert seen == []
        assert sa.inspect(team).persistent
        assert sa.inspect(user).persistent
        # Defaults the unit of work would have filled in are on the object, and reading
        # the rows back costs no query.
        with statements(app.extensions["passage.engine"]) as sent:
            assert store.get(User, user.id) is user
            assert user.failed_logins == 0
            assert user.totp_last_step == 0
            assert user.team is team
        assert sent == []
    row = stored(app, User, user.id)
    assert (row.team_id, row.failed_logins, row.totp_last_step) == (team.id, 0, 0)
    assert stored(app, Team, team.id).name == "Team Direct"


def test_the_id_default_is_applied_to_a_row_without_one(app: Flask) -> None:
    with app.app_context(), flushes(app) as seen:
        store = db.session()
        team = Team(name="Team Default Id")
        store.add(team)
        store.commit()
        assert seen == []
        assert isinstance(team.id, uuid.UUID)
    assert stored(app, Team, team.id).name == "Team Default Id"


def test_a_relationship_its_key_does_not_match_goes_through_the_unit_of_work(
    app: Flask,
) -> None:
    with app.app_context(), flushes(app) as seen:
        store = db.session()
        team = Team(id=uuid.uuid4(), name="Team Related")
        user = screener(team)  # team set, team_id not: the flush copies one into the other
        store.add_all([team, user])
        store.commit()
        assert seen == [["Team", "User"]]
    assert stored(app, User, user.id).team_id == team.id


def test_a_changed_row_sends_the_transaction_through_the_unit_of_work(app: Flask) -> None:
    with app.app_context():
        store = db.session()
        old = Team(id=uuid.uuid4(), name="Team Before")
        store.add(old)
        store.commit()
        with flushes(app) as seen:
            old.name = "Team After"
            new = Team(id=uuid.uuid4(), name="Team New")
            store.add(new)
            store.commit()
        assert seen == [["Team"]]  # the new team too: nothing is inserted beside the flush
    assert stored(app, Team, old.id).name == "Team After"
    assert stored(app, Team, new.id).name == "Team New"


def test_a_default_the_database_computes_goes_through_the_unit_of_work(app: Flask) -> None:
    with app.app_context(), flushes(app) as seen:
        store = db.session()
        organisation = PartnerOrganisation(id=uuid.uuid4(), slug="org-direct", name="Org")
        store.add(organisation)
        store.commit()
        assert seen == [["PartnerOrganisation"]]
    assert stored(app, PartnerOrganisation, organisation.id).vetting_status == "pending"


def test_rows_are_inserted_after_the_rows_they_refer_to(app: Flask) -> None:
    # Added child first: the foreign key would refuse the user if it went in first.
    with app.app_context(), statements(app.extensions["passage.engine"]) as sent:
        store = db.session()
        team = Team(id=uuid.uuid4(), name="Team Order")
        store.add(screener(team, team_id=team.id))
        store.add(team)
        store.commit()
    inserts = [s.sql.split()[2] for s in sent if s.sql.startswith("INSERT")]
    assert inserts[:2] == ["teams", "users"]


def test_rows_of_a_transaction_that_did_not_commit_leave_the_session(app: Flask) -> None:
    engine = app.extensions["passage.engine"]

    def refuse(_connection: Any) -> None:
        raise RuntimeError("the disk is full")

    with app.app_context():
        store = db.session()
        team = Team(id=uuid.uuid4(), name="Team Lost")
        store.add(team)
        event.listen(engine, "commit", refuse)
        try:
            with pytest.raises(RuntimeError, match="disk is full"):
                store.commit()
        finally:
            event.remove(engine, "commit", refuse)
        store.rollback()
        assert team not in store
        assert sa.inspect(team).transient
        assert store.get(Team, team.id) is None
