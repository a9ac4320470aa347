"""People's identities are sealed at rest (R35), bound to their row, findable only through
the blind index (R39), and every read is audited."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import crypto, datakeys, db
from screening import people
from screening.models import Person
from tests.helpers import raw_database_bytes
from tests.screening.conftest import CANARY

CANARIES = (
    "Canarygiven",
    "Canaryfamily",
    "2008-05-17",
    "Canaryregion",
    "canarycontact",
    "canarynote",
)


def test_identity_round_trips_and_reads_are_audited(app: Flask, register: Any) -> None:
    person = register()
    with app.app_context():
        store = db.session()
        assert people.read(store, store.get(Person, person.id)) == CANARY
        store.commit()
        actions = store.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["person.created", "person.read"]


def test_raw_database_holds_no_identifying_value(app: Flask, register: Any) -> None:
    register()
    raw = raw_database_bytes(app)
    for canary in CANARIES:
        assert canary.encode() not in raw, canary
        assert canary.lower().encode() not in raw.lower(), canary
    assert b"XK" in raw or b"ZZ" in raw  # the clear, non-identifying facts are there


def test_statistics_fields_hold_no_exact_age(app: Flask, register: Any) -> None:
    person = register()
    assert person.age_band == "12-17"
    assert person.age != b"17"


def assert_unreadable(app: Flask, person_id: Any) -> None:
    with app.app_context():
        store = db.session()
        person = store.get(Person, person_id)
        with pytest.raises(crypto.DecryptionError):
            people.read(store, person)


def _swap(app: Flask, column: str, value: Any, person_id: Any) -> None:
    with app.app_context():
        store = db.session()
        store.execute(sa.update(Person).where(Person.id == person_id).values({column: value}))
        store.commit()


def test_sealed_value_copied_to_another_row_does_not_open(app: Flask, register: Any) -> None:
    first = register()
    second = register(dataclasses.replace(CANARY, given_name="Otherperson"))
    _swap(app, "given_name", first.given_name, second.id)
    assert_unreadable(app, second.id)


def test_sealed_value_moved_to_another_column_does_not_open(app: Flask, register: Any) -> None:
    person = register()
    _swap(app, "family_name", person.given_name, person.id)
    assert_unreadable(app, person.id)


def test_flipped_bit_is_an_error_not_empty_data(app: Flask, register: Any) -> None:
    person = register()
    damaged = bytearray(person.contact or b"")
    damaged[-1] ^= 1
    _swap(app, "contact", bytes(damaged), person.id)
    assert_unreadable(app, person.id)


def test_earlier_record_found_by_name_and_year_however_typed(
    app: Flask, register: Any, clock: Any
) -> None:
    person = register()
    typed = people.Identity(
        given_name="  CANARYGIVEN ", family_name="canaryfamily", age=clock.now().year - 2008
    )
    with app.app_context():
        found = people.find_earlier(db.session(), typed, clock.now().date())
        assert [p.id for p in found] == [person.id]
        other_year = dataclasses.replace(typed, age=None, birth_date=date(2007, 1, 1))
        assert people.find_earlier(db.session(), other_year, clock.now().date()) == []
        no_family = people.Identity(given_name="Canarygiven", age=17)
        assert people.find_earlier(db.session(), no_family, clock.now().date()) == []


def test_people_survive_master_key_rotation(app: Flask, register: Any) -> None:
    from core import keys

    person = register()
    with app.app_context():
        target = keys.add_master_key(app)
        datakeys.rewrap(db.session(), target)
        keys.retire_master_key(app, 1)
        store = db.session()
        assert people.read(store, store.get(Person, person.id)).given_name == "Canarygiven"
