"""People screened: registering them with sealed identities, reading them back (audited),
correcting them with a sealed history of previous values, finding an earlier record of the
same person, and moving their retention date on activity. The only module that queries people
and their corrections (docs/case-work.md "Correcting the record")."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from core import crypto, datakeys, db, keys
from core.errors import RefusedError
from screening.models import SEALED_FIELDS, Person, PersonChange

TABLE = "people"
HISTORY_TABLE = "person_changes"
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
    if year is None or not identity.family_name:
        return None
    return crypto.blind_index(
        keys.keyring().index, "person", identity.given_name, identity.family_name, str(year)
    )


def _sealed_values(identity: Identity) -> dict[str, str | None]:
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
    for name, value in _sealed_values(identity).items():
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


# What a correction may change, in the order forms and the history show them.
CORRECTABLE = (
    "given_name",
    "family_name",
    "birth_date",
    "age",
    "age_source",
    "region",
    "contact",
    "notes",
    "sex",
    "nationality",
    "country",
    "languages",
)
# The clear flag is recorded in the history like a field, so lifting it is traceable.
MINOR_FLAG = "possibly_minor"
_INDEXED = frozenset({"given_name", "family_name", "birth_date", "age"})
OLDEST = 120


class CorrectionError(RefusedError):
    """A correction that cannot be made as asked; nothing was changed."""


@dataclass(frozen=True)
class Change:
    """One correction as the history shows it: when, by whom, which fields, and what they
    held before (opened with the person's key)."""

    at: datetime
    by: uuid.UUID | None
    fields: tuple[str, ...]
    previous: dict[str, Any]


def age_on(birth_date: date, today: date) -> int:
    """Whole years from ``birth_date`` to ``today``."""
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def _checked(identity: Identity, today: date) -> Identity:
    # A birth date gives the age when none was typed; both typed are both kept, and each
    # counts when judging minority (minor_after).
    problems: dict[str, str] = {}
    if not identity.given_name.strip():
        problems["given_name"] = "required"
    if identity.age is not None and not 0 <= identity.age <= OLDEST:
        problems["age"] = f"must be a whole number from 0 to {OLDEST}"
    if identity.age_source is not None and identity.age_source not in AGE_SOURCES:
        problems["age_source"] = "must be one of " + ", ".join(AGE_SOURCES)
    if identity.birth_date is not None:
        if identity.birth_date > today:
            problems["birth_date"] = "cannot be in the future"
        elif age_on(identity.birth_date, today) > OLDEST:
            problems["birth_date"] = f"more than {OLDEST} years ago"
    if problems:
        raise CorrectionError("the details cannot be corrected as they are", problems)
    if identity.age is None and identity.birth_date is not None:
        return replace(identity, age=age_on(identity.birth_date, today))
    return identity


def ages(identity: Identity, today: date) -> tuple[int, ...]:
    """Every age the details give: the age typed, and the age from the birth date."""
    known = [identity.age]
    if identity.birth_date is not None:
        known.append(age_on(identity.birth_date, today))
    return tuple(a for a in known if a is not None)


def minor_after(
    was_child: bool, known_ages: tuple[int, ...], age_source: str | None, wanted: bool | None
) -> bool:
    """Whether the person is presumed possibly a minor after a correction. Any age under 18
    makes them so; otherwise the presumption stays as it was (``wanted`` None), or as the
    screener ticks it. Lifting it is honoured only on an identity document showing 18 or
    more: a claimed or estimated age never lifts it (docs/screening.md §2.3: minority is
    presumed while in doubt). Raises :class:`CorrectionError` otherwise."""
    if any(age < ADULT_AGE for age in known_ages):
        return True
    if wanted is None:
        return was_child
    if wanted or not was_child:
        return wanted
    if age_source == "document" and known_ages:
        return False
    raise CorrectionError(
        "the presumption of minority stays",
        {MINOR_FLAG: "only an identity document showing 18 or more lifts it"},
    )


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value


def correct(
    store: Session,
    person: Person,
    identity: Identity,
    changed_by: uuid.UUID | None,
    now: datetime,
    possibly_minor: bool | None = None,
) -> tuple[str, ...]:
    """Correct a person's details. The fields that changed are resealed, the clear facts and
    the blind index follow, and a history row keeps the previous values sealed with the
    person's key (so it is shredded with them); audited with field names only. Whether the
    person may be a minor is judged again (:func:`minor_after`) and a change of it audited
    on its own. Returns the names of the fields changed (none: nothing written)."""
    current = read(store, person)
    today = now.date()
    identity = _checked(identity, today)
    was_child = child_on_record(person)
    minor = minor_after(was_child, ages(identity, today), identity.age_source, possibly_minor)
    changed = [name for name in CORRECTABLE if getattr(current, name) != getattr(identity, name)]
    previous = {name: _plain(getattr(current, name)) for name in changed}
    if minor != person.possibly_minor:
        changed.append(MINOR_FLAG)
        previous[MINOR_FLAG] = person.possibly_minor
    if not changed:
        return ()
    cipher = datakeys.cipher(store, person.data_key_id)
    row = PersonChange(
        id=uuid.uuid4(),
        person_id=person.id,
        changed_by=changed_by,
        changed_at=now,
        fields=tuple(changed),
    )
    row.previous = cipher.seal(
        HISTORY_TABLE, "previous", row.id, json.dumps(previous, sort_keys=True)
    )
    store.add(row)
    for name, value in _sealed_values(identity).items():
        if name in changed:
            setattr(person, name, cipher.seal(TABLE, name, person.id, value))
    person.age_band, person.sex = age_band(identity.age), identity.sex
    person.nationality, person.country = identity.nationality, identity.country
    person.languages, person.age_source = tuple(identity.languages), identity.age_source
    if _INDEXED & set(changed):  # otherwise an age-based year would drift with the date
        person.identity_index = identity_index(identity, today)
    if MINOR_FLAG in changed:
        person.possibly_minor = minor
        audit.record(
            store,
            "person.minor_presumption",
            object_type="person",
            object_id=person.id,
            details={"possibly_minor": minor},
        )
    store.flush()
    audit.record(
        store,
        "person.corrected",
        object_type="person",
        object_id=person.id,
        details={"fields": changed},
    )
    return tuple(changed)


def history(store: Session, person: Person) -> list[Change]:
    """The corrections of a person's details, newest first, with the previous values; read
    as personal data (audited). Raises ShreddedError once the person is shredded."""
    rows = list(
        store.scalars(
            sa.select(PersonChange)
            .where(PersonChange.person_id == person.id)
            .order_by(PersonChange.changed_at.desc(), PersonChange.id)
        )
    )
    audit.record(
        store,
        "person.history_read",
        object_type="person",
        object_id=person.id,
        details={"count": len(rows)},
    )
    cipher = datakeys.cipher(store, person.data_key_id)
    return [
        Change(
            at=row.changed_at,
            by=row.changed_by,
            fields=row.fields,
            previous=json.loads(
                cipher.open(HISTORY_TABLE, "previous", row.id, row.previous) or "{}"
            ),
        )
        for row in rows
    ]


def forget_history(store: Session, person: Person) -> int:
    """Delete a person's correction history (for retention, when the person is shredded:
    the sealed values are unreadable by then, the rows go too). Returns how many went."""
    done = store.execute(sa.delete(PersonChange).where(PersonChange.person_id == person.id))
    return db.rowcount(done)
