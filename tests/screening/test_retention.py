"""Retention: records past their date are crypto-shredded once, audited, and unreadable
afterwards (R38, R42)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import datakeys, db
from screening import people
from screening.models import Person
from tests.screening.conftest import CANARY


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["retention", "apply", *args])


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session().scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_nothing_is_due_before_the_date(app: Flask, register: Any, clock: Any) -> None:
    register()
    clock.advance(days=729)
    assert run(app).output.startswith("shredded 0 records")


def test_expired_record_is_shredded_once_and_audited_once(
    app: Flask, register: Any, clock: Any
) -> None:
    person = register()
    clock.advance(days=731)
    first = run(app)
    assert first.output.startswith("shredded 1 records")
    assert str(person.id) in first.output
    assert run(app).output.startswith("shredded 0 records")
    assert audit_actions(app).count("person.shredded") == 1
    with app.app_context():
        store = db.session()
        row = store.get(Person, person.id)
        assert row is not None
        assert row.shredded_at is not None
        assert (row.given_name, row.contact, row.identity_index) == (None, None, None)
        assert (row.age_band, row.nationality, row.country) == ("12-17", "ZZ", "XK")
        with pytest.raises(datakeys.ShreddedError):
            people.read(store, row)
        assert people.find_earlier(store, CANARY, clock.now().date()) == []


def test_copies_of_shredded_ciphertext_stay_unreadable(
    app: Flask, register: Any, clock: Any
) -> None:
    person = register()  # its sealed bytes are what a backup would hold
    clock.advance(days=731)
    run(app)
    with app.app_context(), pytest.raises(datakeys.ShreddedError):
        datakeys.cipher(db.session(), person.data_key_id).open(
            "people", "given_name", person.id, person.given_name
        )


def test_dry_run_changes_nothing(app: Flask, register: Any, clock: Any) -> None:
    person = register()
    clock.advance(days=731)
    assert run(app, "--dry-run").output.startswith("would shred 1 records")
    with app.app_context():
        store = db.session()
        assert people.read(store, store.get(Person, person.id)).given_name == "Canarygiven"


def test_activity_and_legal_hold_keep_a_record(app: Flask, register: Any, clock: Any) -> None:
    active, held = register(), register()
    clock.advance(days=700)
    with app.app_context():
        store = db.session()
        people.touch(store.get(Person, active.id), clock.now(), app.config["RETENTION_DAYS"])
        store.execute(sa.update(Person).where(Person.id == held.id).values(legal_hold=True))
        store.commit()
    clock.advance(days=100)
    assert run(app).output.startswith("shredded 0 records")
