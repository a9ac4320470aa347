"""A person screened again, and their earlier case: finding the open cases of the team that
may be the same person's (the identity blind index), and linking the newer case into the
earlier one once the screener confirms it (docs/access-policy.md, "Linking two records of one
person" and "Consent only narrows without the person"). The cases themselves are read and
locked through ``referral.cases``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from access import audit
from access.policy import authorize, require
from referral import cases, referrals
from referral.models import Case
from screening import people, retention
from screening import services as screenings


def earlier_cases(
    store: Session, user: Any, case: Case, who: people.Identity, today: date
) -> list[Case]:
    """Open cases of the same team, which the user may link, whose person has the same name
    and year of birth (the identity blind index): maybe the same person, screened before.
    Nothing is offered for a case the user may not link or that has referrals already. The
    screener confirms before anything is linked."""
    if not authorize(user, "cases.link", case) or referrals.any_of_case(store, case):
        return []
    others = [p.id for p in people.find_earlier(store, who, today) if p.id != case.person_id]
    if not others:
        return []
    found = cases.open_of_people(store, others, case.team_id)
    return [c for c in found if authorize(user, "cases.link", c)]


def _same_person(store: Session, case: Case, earlier: Case, today: date) -> bool:
    who = cases.identity(store, case)
    return earlier.person_id in {p.id for p in people.find_earlier(store, who, today)}


def link(
    store: Session,
    user: Any,
    case: Case,
    earlier_id: uuid.UUID,
    now: datetime,
    retention_days: int,
    carry: Callable[[Case, Case], None] | None = None,
) -> Case:
    """Confirmed by the screener: this case's person is the earlier case's person. The
    screenings move to the earlier record; the duplicate record is shredded and this case
    points at the earlier one.

    Only two open cases of one team whose people share the identity blind index may be
    linked, by someone in charge of both (never under break-glass: linking cannot be undone),
    and only before the newer case was referred. The earlier case keeps the most restrictive
    of the two consents until the person consents anew on a new screening. ``carry`` moves
    what else the newer case holds (its notes, sealed with the key about to be shredded)
    onto the earlier one first."""
    require(user, "cases.link", case, "case", case.id)
    earlier = cases.get(store, user, earlier_id, "cases.link")
    # Both rows locked, in one order for every worker (no deadlock), and both read again:
    # a withdrawal or a referral on either case meanwhile is seen, never overwritten.
    for row in sorted({case.id: case, earlier.id: earlier}.values(), key=lambda c: str(c.id)):
        cases.lock(store, row)
        require(user, "cases.link", row, "case", row.id)
    if (
        earlier.id == case.id
        or earlier.team_id != case.team_id
        or not _same_person(store, case, earlier, now.date())
    ):
        raise cases.CaseError(
            "these cases cannot be linked",
            {"earlier": "not an open case of the same person in your team"},
        )
    if referrals.any_of_case(store, case):
        raise cases.CaseError(
            "this case already has referrals; it cannot be linked",
            {"earlier": "referrals were already sent from this case"},
        )
    target = cases.person(store, earlier)
    for screening in reversed(cases.screenings_of(store, case)):
        screenings.move_to(store, screening, target, now)
        cases.absorb(earlier, screening, now)
    cases.set_consent(earlier, cases.narrowed(cases.consent(earlier), cases.consent(case)))
    earlier.consent_withdrawn_at = earlier.consent_withdrawn_at or case.consent_withdrawn_at
    earlier.urgent = earlier.urgent or case.urgent
    case.status, case.merged_into_id, case.updated_at = "merged", earlier.id, now
    if carry is not None:
        carry(case, earlier)
    retention.shred(store, cases.person(store, case), now)
    people.touch(target, now, retention_days)
    audit.record(
        store,
        "case.linked",
        object_type="case",
        object_id=earlier.id,
        details={"from": str(case.id)},
    )
    return earlier
