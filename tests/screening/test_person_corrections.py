"""Correcting a person's details (docs/case-work.md "Correcting the record"): the changed
fields are resealed and their previous values kept sealed with the person's key, the clear
facts and the blind index follow, the audit names fields and never values, and minority is
presumed while in doubt: any age under 18 sets it, only a document lifts it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent, Team
from core import db
from screening import people, person_changes, retention
from screening.models import Person, PersonChange
from tests.helpers import raw_database_bytes

ADULT = people.Identity(
    given_name="Canarygiven",
    family_name="Canaryfamily",
    age=34,
    region="Canaryregion",
    contact="+00 0000 canarycontact",
    sex="female",
    nationality="ZZ",
    country="XK",
    languages=("fr",),
    age_source="claimed",
)


@pytest.fixture
def person(app: Flask, clock: Any, make_account: Any) -> Callable[..., Any]:
    """Register a synthetic person for Team A; returns their id."""
    make_account("screener", team="Team A")

    def make(identity: people.Identity = ADULT, possibly_minor: bool = False) -> Any:
        with app.app_context():
            store = db.session()
            team = store.scalar(sa.select(Team).where(Team.name == "Team A"))
            assert team is not None
            made = people.register(
                store,
                identity,
                team.id,
                None,
                clock.now(),
                app.config["RETENTION_DAYS"],
                possibly_minor=possibly_minor,
            )
            store.commit()
            return made.id

    return make


def held_by(store: Any, person_id: Any) -> Person:
    person = store.get(Person, person_id)
    assert person is not None
    return person


def correct(
    app: Flask,
    clock: Any,
    person_id: Any,
    identity: people.Identity,
    possibly_minor: bool | None = None,
) -> tuple[str, ...]:
    with app.app_context():
        store = db.session()
        changed = person_changes.correct(
            store,
            held_by(store, person_id),
            identity,
            None,
            clock.now(),
            possibly_minor=possibly_minor,
        )
        store.commit()
        return changed


def events(app: Flask, *actions: str) -> list[tuple[str, dict[str, Any] | None]]:
    with app.app_context():
        rows = (
            db.session()
            .execute(
                sa.select(AuditEvent.action, AuditEvent.details)
                .where(AuditEvent.action.in_(actions))
                .order_by(AuditEvent.id)
            )
            .all()
        )
    return [(action, json.loads(details) if details else None) for action, details in rows]


def test_a_correction_reseals_what_changed_and_keeps_the_previous_values_sealed(
    app: Flask, clock: Any, person: Callable[..., Any]
) -> None:
    person_id = person()
    clock.advance(seconds=60)
    new = replace(ADULT, given_name="Canarynewgiven", contact="canarynewcontact")
    assert correct(app, clock, person_id, new) == ("given_name", "contact")
    with app.app_context():
        store = db.session()
        held = held_by(store, person_id)
        assert people.read(store, held) == new
        [change] = person_changes.history(store, held)
        store.commit()
    assert (change.at, change.by, change.fields) == (clock.now(), None, ("given_name", "contact"))
    assert change.previous == {"given_name": "Canarygiven", "contact": "+00 0000 canarycontact"}
    raw = raw_database_bytes(app)
    for canary in ("Canarygiven", "canarycontact", "Canarynewgiven", "canarynewcontact"):
        assert canary.encode() not in raw, canary
    assert events(app, "person.corrected", "person.history_read") == [
        ("person.corrected", {"fields": ["given_name", "contact"]}),
        ("person.history_read", {"count": 1}),
    ]


def test_no_change_writes_nothing_and_audits_only_the_read(
    app: Flask, clock: Any, person: Callable[..., Any]
) -> None:
    person_id = person()
    assert correct(app, clock, person_id, ADULT) == ()
    with app.app_context():
        assert db.session().scalars(sa.select(PersonChange)).all() == []
    assert events(app, "person.corrected", "person.minor_presumption") == []
    assert [a for a, _d in events(app, "person.read")] == ["person.read"]


def test_the_clear_facts_and_the_blind_index_follow_the_correction(
    app: Flask, clock: Any, person: Callable[..., Any]
) -> None:
    person_id = person()
    new = replace(
        ADULT,
        family_name="Canaryother",
        age=52,
        sex="male",
        nationality="YY",
        country="XJ",
        languages=("en", "ar"),
    )
    correct(app, clock, person_id, new)
    with app.app_context():
        store = db.session()
        held = held_by(store, person_id)
        assert (held.age_band, held.sex, held.nationality, held.country, held.languages) == (
            "50-64",
            "male",
            "YY",
            "XJ",
            ("en", "ar"),
        )
        assert [p.id for p in people.find_earlier(store, new, clock.now().date())] == [person_id]
        assert people.find_earlier(store, ADULT, clock.now().date()) == []


def test_a_correction_of_the_contact_leaves_the_blind_index_alone(
    app: Flask, clock: Any, person: Callable[..., Any]
) -> None:
    person_id = person()
    with app.app_context():
        before = held_by(db.session(), person_id).identity_index
    clock.advance(days=400)  # an age-based year of birth would now be a year later
    correct(app, clock, person_id, replace(ADULT, contact="canaryelsewhere"))
    with app.app_context():
        assert held_by(db.session(), person_id).identity_index == before


@pytest.mark.parametrize(
    ("was_child", "ages", "source", "wanted", "after"),
    [
        (False, (16,), "claimed", False, True),  # any age under 18 makes a child
        (False, (25, 16), "document", False, True),  # the birth date's age counts too
        (False, (25,), "claimed", None, False),
        (False, (25,), "claimed", True, True),  # the screener may always presume it
        (True, (25,), "claimed", None, True),
        (True, (25,), "claimed", True, True),
        (True, (25,), "document", None, True),  # a document does not lift it unasked
        (True, (25,), "document", False, False),
        (True, (18,), "document", False, False),
    ],
)
def test_minority_is_presumed_while_in_doubt(
    was_child: bool, ages: tuple[int, ...], source: str, wanted: bool | None, after: bool
) -> None:
    assert person_changes.minor_after(was_child, ages, source, wanted) is after


@pytest.mark.parametrize(
    ("ages", "source"), [((25,), "claimed"), ((25,), "estimated"), ((25,), None), ((), "document")]
)
def test_only_a_document_showing_an_adult_lifts_the_presumption(
    ages: tuple[int, ...], source: str | None
) -> None:
    with pytest.raises(person_changes.CorrectionError) as refused:
        person_changes.minor_after(True, ages, source, False)
    assert set(refused.value.fields) == {"possibly_minor"}


def test_an_age_under_18_makes_the_person_possibly_a_minor(
    app: Flask, clock: Any, person: Callable[..., Any]
) -> None:
    person_id = person(replace(ADULT, age=25))
    assert correct(app, clock, person_id, replace(ADULT, age=16), possibly_minor=False) == (
        "age",
        "possibly_minor",
    )
    with app.app_context():
        held = held_by(db.session(), person_id)
        assert (held.possibly_minor, held.age_band, people.child_on_record(held)) == (
            True,
            "12-17",
            True,
        )
    assert events(app, "person.minor_presumption") == [
        ("person.minor_presumption", {"possibly_minor": True})
    ]


def test_a_birth_date_gives_the_age_and_a_childs_birth_date_makes_a_child(
    app: Flask, clock: Any, person: Callable[..., Any]
) -> None:
    person_id = person()
    born = date(2012, 1, 10)  # 14 on the test clock's day (2026-03-02)
    correct(app, clock, person_id, replace(ADULT, age=None, birth_date=born))
    with app.app_context():
        store = db.session()
        held = held_by(store, person_id)
        assert people.read(store, held).age == 14
        assert held.possibly_minor is True


def test_a_claimed_adult_age_keeps_the_presumption(
    app: Flask, clock: Any, person: Callable[..., Any]
) -> None:
    person_id = person(replace(ADULT, age=16), possibly_minor=True)
    with pytest.raises(person_changes.CorrectionError):
        correct(app, clock, person_id, replace(ADULT, age=25), possibly_minor=False)
    assert correct(app, clock, person_id, replace(ADULT, age=25), possibly_minor=True) == ("age",)
    with app.app_context():
        assert people.child_on_record(held_by(db.session(), person_id)) is True


def test_a_documented_adult_age_lifts_the_presumption_when_asked(
    app: Flask, clock: Any, person: Callable[..., Any]
) -> None:
    person_id = person(replace(ADULT, age=16), possibly_minor=True)
    documented = replace(ADULT, age=25, age_source="document")
    assert correct(app, clock, person_id, documented, possibly_minor=False) == (
        "age",
        "age_source",
        "possibly_minor",
    )
    with app.app_context():
        store = db.session()
        held = held_by(store, person_id)
        assert people.child_on_record(held) is False
        [change] = person_changes.history(store, held)
    assert change.previous == {"age": 16, "age_source": "claimed", "possibly_minor": True}
    assert events(app, "person.minor_presumption") == [
        ("person.minor_presumption", {"possibly_minor": False})
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"birth_date": date(2026, 3, 3)}, "birth_date"),
        ({"birth_date": date(1890, 1, 1)}, "birth_date"),
        ({"age": 121}, "age"),
        ({"given_name": "  "}, "given_name"),
        ({"age_source": "rumour"}, "age_source"),
    ],
)
def test_impossible_details_are_refused(
    app: Flask, clock: Any, person: Callable[..., Any], change: dict[str, Any], field: str
) -> None:
    person_id = person()
    with pytest.raises(person_changes.CorrectionError) as refused:
        correct(app, clock, person_id, replace(ADULT, **change))
    assert set(refused.value.fields) == {field}


def test_the_history_goes_with_the_persons_key(
    app: Flask, clock: Any, person: Callable[..., Any]
) -> None:
    person_id = person()
    correct(app, clock, person_id, replace(ADULT, given_name="Canarynewgiven"))
    with app.app_context():
        store = db.session()
        held = held_by(store, person_id)
        assert len(store.scalars(sa.select(PersonChange)).all()) == 1
        retention.shred(store, held, clock.now())
        store.commit()
        # Shredding deletes the rows: what they sealed could never be read again.
        assert store.scalars(sa.select(PersonChange)).all() == []
        assert person_changes.forget_history(store, held) == 0
