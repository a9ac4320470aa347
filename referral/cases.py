"""Cases: opened when a screening completes, read by their owner and the owner's supervisor
(or by another team's supervisor through break-glass, with a written reason), and linked to
the earlier case of a person screened again. The only module that queries cases and
break-glass grants."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from access import audit
from access.policy import authorize, require
from access.roles import Role
from core import clock, db
from core.errors import RefusedError
from referral.models import Case, CaseAccessGrant, Referral
from screening import people, retention
from screening import services as screenings
from screening.models import Person, Screening

REASON_MIN = 20  # characters: a real sentence, not "x"


class CaseError(RefusedError):
    """A change to a case that cannot be made."""


@dataclass(frozen=True)
class Consent:
    """What the person agreed to about referral: whether to be referred, and which fields
    may be shared."""

    referral: bool
    share: tuple[str, ...]


def consent(case: Case) -> Consent:
    """The person's current consent on this case."""
    given = json.loads(case.consent or "{}")
    return Consent(bool(given.get("referral")), tuple(given.get("share", [])))


def needs(case: Case) -> tuple[str, ...]:
    """The services the person needs."""
    return tuple(filter(None, case.needs.split(",")))


def open_for_screening(store: Session, screening_id: uuid.UUID, now: datetime,
                       retention_days: int) -> Case | None:
    """Open the case of a completed screening's person, or bring their case up to date: the
    latest consent and result apply, needs add up. Runs in the screening's transaction."""
    screening = screenings.completed(store, screening_id)
    if screening is None:
        return None
    case = store.scalar(sa.select(Case).where(Case.person_id == screening.person_id))
    if case is None:
        case = Case(id=uuid.uuid4(), person_id=screening.person_id, team_id=screening.team_id,
                    owner_id=screening.screener_id, status="open", opened_at=now, needs="",
                    urgent=False)
        store.add(case)
        action = "case.opened"
    else:
        action = "case.updated"
    _apply(case, screening, now)
    people.touch(people.get(store, case.person_id), now, retention_days)
    store.flush()
    audit.record(store, action, object_type="case", object_id=case.id,
                 details={"screening": str(screening.id)})
    return case


def _apply(case: Case, screening: Screening, now: datetime) -> None:
    given = screenings.consent_of(screening)
    case.consent = json.dumps({"referral": given.purposes.get("referral", False),
                               "share": list(given.share)})
    case.needs = ",".join(sorted(set(needs(case)) | set(filter(None,
                                                               screening.needs.split(",")))))
    case.urgent = case.urgent or screening.urgent
    case.classification = screening.classification
    case.updated_at = now


def case_of_person(store: Session, person_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the case holding a person's record, following a confirmed link."""
    case = store.scalar(sa.select(Case).where(Case.person_id == person_id))
    if case is not None and case.merged_into_id is not None:
        return case.merged_into_id
    return case.id if case is not None else None


def _granted(store: Session, user: Any, case: Case, now: datetime) -> bool:
    if user.role != Role.SUPERVISOR:
        return False
    return store.scalar(sa.select(sa.func.count()).select_from(CaseAccessGrant).where(
        CaseAccessGrant.case_id == case.id, CaseAccessGrant.user_id == user.id,
        CaseAccessGrant.expires_at > now)) > 0


def get(store: Session, user: Any, case_id: uuid.UUID, now: datetime,
        action: str = "cases.read") -> Case:
    """A case the user may reach for ``action`` (404 otherwise); every access is audited, and
    an access through break-glass is flagged as such."""
    case = store.get(Case, case_id)
    if case is not None and not authorize(user, action, case) and \
            authorize(user, action) and _granted(store, user, case, now):
        audit.record(store, action.replace("cases.", "case."), object_type="case",
                     object_id=case.id, details={"break_glass": True})
        return case
    require(user, action, case, "case", case_id)
    audit.record(store, action.replace("cases.", "case."), object_type="case",
                 object_id=case_id)
    return case  # type: ignore[return-value]


def holding(store: Session, case_id: uuid.UUID) -> Case:
    """The case a referral belongs to; the caller has already checked access to the
    referral."""
    case = store.get(Case, case_id)
    if case is None:
        raise LookupError("no such case")
    return case


def for_break_glass(store: Session, user: Any, case_id: uuid.UUID) -> Case:
    """A case a supervisor may ask break-glass access to (404 when there is none)."""
    case = store.get(Case, case_id)
    require(user, "cases.break_glass", case, "case", case_id)
    return case  # type: ignore[return-value]


def break_glass(store: Session, user: Any, case_id: uuid.UUID, reason: str, now: datetime,
                minutes: int) -> CaseAccessGrant:
    """Give a supervisor time-limited access to a case outside their team, with a written
    reason (kept for auditors; the event is flagged)."""
    case = store.get(Case, case_id)
    require(user, "cases.break_glass", case, "case", case_id)
    reason = " ".join(reason.split())
    if len(reason) < REASON_MIN:
        raise CaseError("write why you need this case",
                        {"reason": f"at least {REASON_MIN} characters"})
    grant = CaseAccessGrant(id=uuid.uuid4(), case_id=case_id, user_id=user.id, reason=reason,
                            created_at=now, expires_at=now + timedelta(minutes=minutes))
    store.add(grant)
    store.flush()
    audit.record(store, "case.break_glass", object_type="case", object_id=case_id,
                 details={"break_glass": True, "grant": str(grant.id), "minutes": minutes})
    return grant


def grants(store: Session, limit: int = 200) -> list[CaseAccessGrant]:
    """Break-glass grants, newest first, with their reasons: for auditors to review."""
    found = list(store.scalars(sa.select(CaseAccessGrant).order_by(
        CaseAccessGrant.created_at.desc()).limit(limit)))
    audit.record(store, "break_glass.reviewed", details={"count": len(found)})
    return found


def list_for(store: Session, user: Any, limit: int = 100) -> list[Case]:
    """Open cases the user is in charge of: their own, or their team's for a supervisor;
    urgent first, then the most recently active."""
    query = sa.select(Case).where(Case.team_id == user.team_id, Case.status == "open")
    if user.role != Role.SUPERVISOR:
        query = query.where(Case.owner_id == user.id)
    found = list(store.scalars(query.order_by(Case.urgent.desc(), Case.updated_at.desc())
                               .limit(limit)))
    audit.record(store, "cases.listed", details={"count": len(found)})
    return found


def person(store: Session, case: Case) -> Person:
    """The person record of a case."""
    return people.get(store, case.person_id)


def identity(store: Session, case: Case) -> people.Identity:
    """The person's details (an audited read)."""
    return people.read(store, person(store, case))


def screenings_of(store: Session, case: Case) -> list[Screening]:
    """The case's completed screenings, newest first."""
    return screenings.of_person(store, case.person_id)


def earlier_cases(store: Session, user: Any, case: Case, who: people.Identity,
                  today: date) -> list[Case]:
    """Open cases the user may see whose person has the same name and year of birth: maybe
    the same person, screened before. The screener confirms before anything is linked."""
    if case.status != "open":
        return []
    others = [p.id for p in people.find_earlier(store, who, today) if p.id != case.person_id]
    if not others:
        return []
    found = store.scalars(sa.select(Case).where(Case.person_id.in_(others),
                                                Case.status == "open"))
    return [c for c in found if authorize(user, "cases.read", c)]


def link(store: Session, user: Any, case: Case, earlier_id: uuid.UUID, now: datetime,
         retention_days: int) -> Case:
    """Confirmed by the screener: this case's person is the earlier case's person. The
    screenings move to the earlier record, which takes the latest consent; the duplicate
    record is shredded and this case points at the earlier one."""
    earlier = get(store, user, earlier_id, now, "cases.manage")
    if earlier.id == case.id or earlier.status != "open" or case.status != "open":
        raise CaseError("these cases cannot be linked", {"earlier": "not an open other case"})
    if store.scalar(sa.select(sa.func.count()).select_from(Referral).where(
            Referral.case_id == case.id)):
        raise CaseError("this case already has referrals; it cannot be linked",
                        {"earlier": "referrals were already sent from this case"})
    target = person(store, earlier)
    moved = screenings_of(store, case)
    for screening in reversed(moved):
        screenings.move_to(store, screening, target, now)
        _apply(earlier, screening, now)
    earlier.urgent = earlier.urgent or case.urgent
    case.status, case.merged_into_id, case.updated_at = "merged", earlier.id, now
    retention.shred(store, person(store, case), now)
    people.touch(target, now, retention_days)
    audit.record(store, "case.linked", object_type="case", object_id=earlier.id,
                 details={"from": str(case.id)})
    return earlier


def touch(store: Session, case: Case, now: datetime, retention_days: int) -> None:
    """Activity on the case keeps the person's record for the retention period from now."""
    case.updated_at = now
    people.touch(person(store, case), now, retention_days)


def _on_completed(app: Flask, screening_id: uuid.UUID) -> uuid.UUID | None:
    case = open_for_screening(db.session(), screening_id, clock.now(),
                              app.config["RETENTION_DAYS"])
    return case.id if case is not None else None


def _on_case_wanted(_app: Flask, person_id: uuid.UUID) -> uuid.UUID | None:
    return case_of_person(db.session(), person_id)


def init_app(app: Flask) -> None:
    """Open a case whenever this app completes a screening."""
    screenings.screening_completed.connect(_on_completed, sender=app)
    screenings.case_wanted.connect(_on_case_wanted, sender=app)
