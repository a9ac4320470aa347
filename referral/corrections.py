"""Correcting the record (docs/case-work.md "Correcting the record"): the caseworker in charge
of a case, or the team's supervisor, corrects the person's details; the correction's history
keeps the previous values. A correction may make the person a child, or (on an identity
document only) an adult, so the case's referrals are then held to what may still rest on
consent or on child protection (``endings.keep_within_consent``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from access import services as access_services
from access.policy import require, state_rule
from access.roles import Role
from referral import case_status, cases, endings
from referral.models import Case
from screening import people, person_changes

# A closed case may still be put right (a wrong name would follow the person into the
# statistics and their own copy); a case linked into another has no record of its own left.
CORRECTABLE_STATUSES = (*cases.OPEN, *case_status.CLOSED)


@dataclass(frozen=True)
class Correction:
    """What a correction did: the names of the fields changed, and how many open referrals
    had to be withdrawn because they no longer rest on consent or child protection."""

    fields: tuple[str, ...]
    withdrawn: int = 0


@dataclass(frozen=True)
class Entry:
    """One correction as the history page shows it."""

    change: person_changes.Change
    by_role: Role | None
    by_email: str | None


def correct_person(
    store: Session,
    user: Any,
    case: Case,
    identity: people.Identity,
    now: datetime,
    retention_days: int,
    possibly_minor: bool | None = None,
) -> Correction:
    """Correct the person's details on ``case`` (``person_changes.correct``). The case's row is
    locked and the user's authority asked again under it, so a case handed over or linked
    away meanwhile answers 404 or 409. When anything changed, whether the person is a child
    may have changed with it: the case's referrals are held to their legal basis again, and
    the case counts as active. Raises ``person_changes.CorrectionError`` (nothing changed) when the
    details cannot be taken as they are."""
    cases.lock(store, case)
    require(user, "cases.correct", case, "case", case.id)
    changed = person_changes.correct(
        store, cases.person(store, case), identity, user.id, now, possibly_minor=possibly_minor
    )
    if not changed:
        return Correction(())
    withdrawn = endings.keep_within_consent(store, case, now)
    cases.touch(store, case, now, retention_days)
    return Correction(changed, withdrawn)


def history(store: Session, case: Case) -> list[Entry]:
    """The corrections of the case's person, newest first, with who made each (the caller
    has checked ``cases.history``). Raises ``datakeys.ShreddedError`` once the record is
    shredded."""
    entries = []
    for change in person_changes.history(store, cases.person(store, case)):
        by = access_services.get_user(store, change.by) if change.by else None
        entries.append(Entry(change, by.role if by else None, by.email if by else None))
    return entries


def _correctable(case: Case) -> bool:
    return case.status in CORRECTABLE_STATUSES


state_rule("cases.correct", _correctable)
