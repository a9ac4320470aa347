"""People screened: registering them with sealed identities, reading them back (audited),
finding an earlier record of the same person, moving their retention date on activity, and
who is treated as a child (docs/screening.md §2.3). Correcting a person's details, with the
sealed history of previous values, is in screening/person_changes.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from core import crypto, datakeys, db, keys
from screening.models import SEALED_FIELDS, Person

TABLE = "people"
# How the age was learnt (docs/screening.md §2.3, child safeguards): from an identity document,
# as the person says, or as the screener estimates it.
AGE_SOURCES = ("document", "claimed", "estimated")
# How the person describes their sex, kept in the clear for routing and statistics.
SEXES = ("female", "male", "other", "unknown")
ADULT_AGE = 18
YOUNGER_CHILD_AGE = 12  # under it, a child hears the simpler wording (docs/screening.md §2.3)
AGE_BANDS = (
    (0, 11, "0-11"),
    (12, 17, "12-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 49, "35-49"),
    (50, 64, "50-64"),
    (65, 200, "65+"),
)


@dataclass(frozen=True)
class Identity:
    """What a screener records about a person. Everything but the last group is sealed."""

    given_name: str
    family_name: str | None = None
    birth_date: date | None = None
    age: int | None = None
    region: str | None = None
    contact: str | None = None
    notes: str | None = None
    # Non-identifying, kept in the clear for statistics and routing:
    sex: str | None = None
    nationality: str | None = None
    country: str | None = None
    languages: tuple[str, ...] = field(default_factory=tuple)
    age_source: str | None = None


def is_child(possibly_minor: bool | None, age: int | None) -> bool:
    """Whether the person is treated as a child: possibly a minor (the safety check or the
    screener's judgement), or an age under 18. Minority is presumed while it is in doubt: a
    claimed age of 18 or more never lifts the presumption ``possibly_minor`` sets, and an
    unknown age alone makes no one a child (docs/screening.md §2.3)."""
    return bool(possibly_minor) or (age is not None and age < ADULT_AGE)


def _band_floor(band: str | None) -> int | None:
    # The youngest age of a statistics band: enough to tell a minor's band from an adult's.
    return next((low for low, _high, label in AGE_BANDS if label == band), None)


def child_on_record(person: Person) -> bool:
    """:func:`is_child` from a person's clear facts (the flag and the age band), without
    opening the sealed age; still true after the record is shredded."""
    return is_child(person.possibly_minor, _band_floor(person.age_band))


def younger_child_on_record(person: Person) -> bool:
    """Whether the person's recorded age band lies under :data:`YOUNGER_CHILD_AGE`; an
    unknown age is not (the usual child wording then)."""
    return any(
        label == person.age_band and high < YOUNGER_CHILD_AGE for _low, high, label in AGE_BANDS
    )


def details(who: Identity) -> dict[str, Any]:
    """A person's details as the case's team sees them and a referral packet may carry
    them (each field only when shared)."""
    return {
        "given_name": who.given_name,
        "family_name": who.family_name,
        "age": who.age,
        "sex": who.sex,
        "nationality": who.nationality,
        "location": {"country": who.country, "region": who.region},
        "languages": list(who.languages),
        "contact": who.contact,
    }


def age_band(age: int | None) -> str | None:
    """The statistics band for ``age``."""
    if age is None:
        return None
    return next(label for low, high, label in AGE_BANDS if low <= age <= high)


def birth_year(identity: Identity, today: date) -> int | None:
    """Year of birth, from the date when known, else estimated from the age."""
    if identity.birth_date is not None:
        return identity.birth_date.year
    return today.year - identity.age if identity.age is not None else None


def identity_index(identity: Identity, today: date) -> bytes | None:
    """The blind index of name and year of birth, or None when either is unknown."""
    year = birth_year(identity, today)
    family_name = identity.family_name or ""
    # A family name of spaces alone is no family name: indexed, it would match every person
    # of that given name and year whose family name was left as blank.
    if year is None or not crypto.normalise(family_name):
        return None
    return crypto.blind_index(
        keys.keyring().index, "person", identity.given_name, family_name, str(year)
    )


def sealed_values(identity: Identity) -> dict[str, str | None]:
    """The sealed fields of ``identity`` as text, by column name (before sealing)."""
    return {
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "birth_date": identity.birth_date.isoformat() if identity.birth_date else None,
        "age": str(identity.age) if identity.age is not None else None,
        "region": identity.region,
        "contact": identity.contact,
        "notes": identity.notes,
    }


def register(
    store: Session,
    identity: Identity,
    team_id: uuid.UUID,
    created_by: uuid.UUID | None,
    now: datetime,
    retention_days: int,
    possibly_minor: bool = False,
) -> Person:
    """Record a person with their own data key; identifying fields are sealed. Whether they
    may be a minor, and how their age is known, stay in the clear."""
    cipher = datakeys.create(store, "person", now)
    person = Person(
        id=uuid.uuid4(),
        data_key_id=cipher.key_id,
        data_key=datakeys.created(store, cipher),
        team_id=team_id,
        created_by=created_by,
        identity_index=identity_index(identity, now.date()),
        age_band=age_band(identity.age),
        sex=identity.sex,
        nationality=identity.nationality,
        country=identity.country,
        languages=tuple(identity.languages),
        possibly_minor=bool(possibly_minor),
        age_source=identity.age_source,
        created_at=now,
        last_activity_at=now,
        retention_until=now + timedelta(days=retention_days),
    )
    for name, value in sealed_values(identity).items():
        setattr(person, name, cipher.seal(TABLE, name, person.id, value))
    store.add(person)
    audit.record(store, "person.created", object_type="person", object_id=person.id)
    return db.keep(store, person)


def read(store: Session, person: Person) -> Identity:
    """Open a person's identity; the read is audited. Raises ShreddedError once shredded."""
    audit.record(store, "person.read", object_type="person", object_id=person.id)
    cipher = datakeys.cipher(store, person.data_key_id)
    opened = {
        name: cipher.open(TABLE, name, person.id, getattr(person, name)) for name in SEALED_FIELDS
    }
    return Identity(
        given_name=opened["given_name"] or "",
        family_name=opened["family_name"],
        birth_date=date.fromisoformat(opened["birth_date"]) if opened["birth_date"] else None,
        age=int(opened["age"]) if opened["age"] else None,
        region=opened["region"],
        contact=opened["contact"],
        notes=opened["notes"],
        sex=person.sex,
        nationality=person.nationality,
        country=person.country,
        languages=person.languages,
        age_source=person.age_source,
    )


def get(store: Session, person_id: uuid.UUID) -> Person:
    """A person record by id (callers have already checked the user may reach it)."""
    person = db.get(store, Person, person_id)
    if person is None:
        raise LookupError("no such person")
    return db.keep(store, person)


def find_earlier(store: Session, identity: Identity, today: date) -> list[Person]:
    """People already recorded with the same name and year of birth (live records only)."""
    index = identity_index(identity, today)
    if index is None:
        return []
    found = list(
        store.scalars(
            sa.select(Person).where(Person.identity_index == index, Person.shredded_at.is_(None))
        )
    )
    audit.record(store, "person.searched", details={"matches": len(found)})
    return found


def touch(person: Person, now: datetime, retention_days: int) -> None:
    """Note activity on the person's record: the retention date moves on."""
    person.last_activity_at = now
    person.retention_until = now + timedelta(days=retention_days)
