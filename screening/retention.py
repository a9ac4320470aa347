"""Retention: crypto-shredding people whose retention date has passed.

Shredding destroys the person's data key, so every sealed field, in the database and in any
backup, becomes unreadable; the blind index goes too. The non-identifying facts and the audit
trail stay. Running it again finds nothing more to do.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from core import datakeys, db
from core.hooks import Hook
from screening import person_changes
from screening.models import SEALED_FIELDS, Person

# Told by a retention run before each person is shredded, in the run's transaction, with
# ``person_id`` and ``now``: the referral package closes the person's case, withdrawing its
# open referrals, while it still can (docs/case-work.md; attached in wsgi.create_app).
# Linking a duplicate record shreds it without this: the case lives on in the earlier one.
shredding = Hook("retention.shredding")


def due(store: Session, now: datetime) -> list[uuid.UUID]:
    """Ids of people past their retention date, not on legal hold, not yet shredded."""
    return list(
        store.scalars(
            sa.select(Person.id)
            .where(
                Person.retention_until <= now,
                Person.shredded_at.is_(None),
                Person.legal_hold.is_(False),
            )
            .order_by(Person.retention_until)
        )
    )


def still_due(person: Person, now: datetime) -> bool:
    """Whether ``person``, as read now, is past retention, not on legal hold and not yet
    shredded: asked again under the row's lock before shredding, since a request may have
    worked on the record (moving its retention date on) after the run listed it."""
    return (
        person.shredded_at is None
        and not person.legal_hold
        and person.retention_until is not None
        and person.retention_until <= now
    )


def shred(store: Session, person: Person, now: datetime) -> None:
    """Crypto-shred one person (audited with their pseudonymous id)."""
    datakeys.shred(store, person.data_key_id, now)
    person_changes.forget_history(store, person)
    for name in SEALED_FIELDS:
        setattr(person, name, None)
    person.identity_index = None
    person.shredded_at = now
    audit.record(store, "person.shredded", object_type="person", object_id=person.id)


def apply(store: Session, now: datetime, dry_run: bool) -> list[uuid.UUID]:
    """Shred everyone due (or, with ``dry_run``, only list them); audited either way. Each
    is asked again under their row's lock (:func:`still_due`): a record worked on since the
    run listed it is kept. The receivers of :data:`shredding` lock the person's case first,
    in the order requests take them (the case, then the person), and ask the same."""
    ids = due(store, now)
    shredded: list[uuid.UUID] = []
    for person_id in ids if not dry_run else []:
        person = store.get(Person, person_id)
        if person is None:
            continue
        shredding.tell(person_id=person_id, now=now)
        db.lock(store, person)
        if still_due(person, now):
            shred(store, person, now)
            shredded.append(person_id)
    details = {"due": len(ids), "dry_run": dry_run}
    if not dry_run:
        details["shredded"] = len(shredded)
    audit.record(store, "retention.applied", details=details)
    return ids if dry_run else shredded
