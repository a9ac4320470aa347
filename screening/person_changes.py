"""Correcting a person's record, and the history of corrections: what a correction may
change, the checks the new details must pass, whether the person is still presumed possibly
a minor afterwards (docs/screening.md §2.3, "Child safeguards"), and the sealed history of
previous values, read back (audited) and deleted when the person is shredded (docs/case-work.md
"Correcting the record"). The only module that queries corrections; the person's own record
is screening/people.py."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit
from core import datakeys, db
from core.errors import RefusedError
from screening.models import Person, PersonChange
from screening.people import (
    ADULT_AGE,
    AGE_SOURCES,
    TABLE,
    Identity,
    age_band,
    child_on_record,
    identity_index,
    read,
    sealed_values,
)

HISTORY_TABLE = "person_changes"
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
        problems["given_name"] = _l("Write the name the person uses.")
    if identity.age is not None and not 0 <= identity.age <= OLDEST:
        problems["age"] = _l("The age is a whole number from 0 to %(max)d.", max=OLDEST)
    if identity.age_source is not None and identity.age_source not in AGE_SOURCES:
        problems["age_source"] = _l("Choose how the age is known.")
    if identity.birth_date is not None and (
        identity.birth_date > today or age_on(identity.birth_date, today) > OLDEST
    ):
        problems["birth_date"] = _l(
            "The date of birth cannot be in the future, nor more than %(max)d years ago.",
            max=OLDEST,
        )
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
        {
            MINOR_FLAG: _l(
                "The person may still be under 18: only an identity document "
                "showing they are 18 or more lifts this. Keep the box ticked, or "
                "record the age from the document."
            )
        },
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
    for name, value in sealed_values(identity).items():
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
