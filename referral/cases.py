"""Cases: opened when a screening completes, read by their owner and the owner's supervisor
(or by another team's supervisor through break-glass, with a written reason), and linked to
the earlier case of a person screened again (``referral.case_links`` finds and links it).
The only module that queries cases. Who may do what to a case, break-glass included, is
``access.policy``'s to say (docs/access-policy.md)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload

from access import audit, grants
from access.models import CaseAccessGrant
from access.policy import found, require, state_rule, visible
from core import clock, db, keyset, settings
from core.errors import RefusedError
from core.keyset import Window
from core.paging import Page
from referral import receipts
from referral.models import OPEN_CASE_STATUSES, Case
from screening import opening, people
from screening import services as screenings
from screening.models import Person, Screening

REASON_MIN = 20  # characters: a real sentence, not "x"
# The statuses of a case still being worked on (HTCDS Active and FollowUp); docs/case-work.md.
OPEN = OPEN_CASE_STATUSES
CLOSED = ("closed", "closed_referred")
ALL = (*OPEN, *CLOSED)  # every case of the list (a merged case is the earlier one's)
# The case list: urgent first, then the most recently active (indexes ix_cases_*_list and
# _open serve it), showing these columns only.
LIST_ORDER = keyset.Keyset("cases", (Case.urgent, Case.updated_at, Case.id), descending=True)
LIST_COLUMNS = (
    Case.id,
    Case.reference,
    Case.opened_at,
    Case.status,
    Case.outcome,
    Case.classification,
    Case.act_established,
    Case.urgent,
    Case.needs,
    Case.updated_at,
)


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
    given = case.consent
    return Consent(bool(given.get("referral")), tuple(given.get("share", [])))


def needs(case: Case) -> tuple[str, ...]:
    """The services the person needs."""
    return case.needs


def open_for_screening(
    store: Session, screening_id: uuid.UUID, now: datetime, retention_days: int
) -> Case | None:
    """Open the case of a completed screening's person, or bring their case up to date: the
    latest consent and result apply, needs add up. Runs in the screening's transaction."""
    screening = screenings.completed(store, screening_id)
    if screening is None:
        return None
    person = people.get(store, screening.person_id)
    # A person recorded in this very transaction has no case yet: no need to look.
    earlier = not db.created_here(store, person)
    case = earlier and store.scalar(sa.select(Case).where(Case.person_id == person.id)) or None
    if case is None:
        case = Case(
            id=uuid.uuid4(),
            person_id=person.id,
            person=person,
            team_id=screening.team_id,
            owner_id=screening.screener_id,
            reference=receipts.new_reference(),
            status="active",
            opened_at=now,
            needs=(),
            urgent=False,
        )
        store.add(case)
        action = "case.opened"
    else:
        action = "case.updated"
    _apply(case, screening, now)
    people.touch(person, now, retention_days)
    audit.record(
        store,
        action,
        object_type="case",
        object_id=case.id,
        details={"screening": str(screening.id)},
    )
    return case


def _apply(case: Case, screening: Screening, now: datetime) -> None:
    # A new screening is the person speaking for themselves: their consent now applies.
    given = opening.consent_of(screening)
    set_consent(case, Consent(bool(given.purposes.get("referral", False)), tuple(given.share)))
    absorb(case, screening, now)


def absorb(case: Case, screening: Screening, now: datetime) -> None:
    """Add a screening's needs, urgency and classification to the case."""
    case.needs = tuple(sorted(set(needs(case)) | set(screening.needs)))
    case.urgent = case.urgent or screening.urgent
    case.classification = screening.classification
    case.act_established = screening.act_established
    case.updated_at = now


def set_consent(case: Case, given: Consent) -> None:
    """Write a consent onto the case."""
    case.consent = {"referral": given.referral, "share": sorted(given.share)}


def narrowed(first: Consent, second: Consent) -> Consent:
    """The most restrictive of two consents: referral only when both agreed, and only the
    fields both allowed to be shared. Without the person, consent only ever narrows."""
    return Consent(
        first.referral and second.referral, tuple(sorted(set(first.share) & set(second.share)))
    )


def of_person(store: Session, person_id: uuid.UUID) -> Case | None:
    """The case opened for a person record, if any (a merged one included)."""
    return db.pending(store, Case, person_id=person_id) or store.scalar(
        sa.select(Case).where(Case.person_id == person_id)
    )


def case_of_person(store: Session, person_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the case holding a person's record, following a confirmed link."""
    case = of_person(store, person_id)
    if case is not None and case.merged_into_id is not None:
        return case.merged_into_id
    return case.id if case is not None else None


def merged_into(store: Session, case: Case) -> list[Case]:
    """Every case linked into ``case`` as the same person, however many links deep (a
    case that absorbed another and was then linked on): their ids and their shredded person
    records still name what was opened before the link."""
    found: list[Case] = []
    wanted = [case.id]
    while wanted:
        more = list(store.scalars(sa.select(Case).where(Case.merged_into_id.in_(wanted))))
        found += more
        wanted = [c.id for c in more]
    return found


_WITH_PERSON = (joinedload(Case.person).joinedload(Person.data_key),)


def get(store: Session, user: Any, case_id: uuid.UUID, action: str = "cases.read") -> Case:
    """A case the user may reach for ``action`` (404 otherwise, 409 when its state forbids
    the action); every access is audited, and one through break-glass is flagged as such."""
    # The person and their data key come in the same statement: nearly every caller shows
    # the case, and reading them one by one cost two more round trips per page.
    case = store.get(Case, case_id, options=_WITH_PERSON)
    how = require(user, action, case, "case", case_id)
    audit.record(
        store,
        action.replace("cases.", "case."),
        object_type="case",
        object_id=case_id,
        details={"break_glass": True} if how == "grant" else None,
    )
    return found(case)


def lock(store: Session, case: Case) -> Case:
    """Take the case's row lock for the rest of the transaction and re-read it, so that what
    was read before the lock (consent above all) cannot be stale: sending a referral and
    withdrawing consent queue on it instead of racing (SQLite's immediate transactions already
    queue every writer)."""
    store.execute(sa.select(Case.id).where(Case.id == case.id).with_for_update())
    store.refresh(case)
    return case


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
    return found(case)


def break_glass(
    store: Session, user: Any, case_id: uuid.UUID, reason: str, now: datetime, minutes: int
) -> CaseAccessGrant:
    """Give a supervisor time-limited access to read a case outside their team, with a
    written reason (kept for auditors; the event is flagged)."""
    case = for_break_glass(store, user, case_id)
    reason = " ".join(reason.split())
    if len(reason) < REASON_MIN:
        raise CaseError(
            "write why you need this case",
            {
                "reason": _l(
                    "Say why you need this case in at least %(count)d characters; "
                    "repeated spaces count as one.",
                    count=REASON_MIN,
                )
            },
        )
    grant = grants.give(
        store, user.id, case_id, person(store, case).data_key_id, reason, now, minutes
    )
    audit.record(
        store,
        "case.break_glass",
        object_type="case",
        object_id=case_id,
        details={"break_glass": True, "grant": str(grant.id), "minutes": minutes},
    )
    return grant


@dataclass(frozen=True)
class GrantShown:
    """A break-glass grant as auditors review it; ``reason`` None once it went with the
    person's record."""

    created_at: datetime
    user_id: uuid.UUID
    case_id: uuid.UUID
    expires_at: datetime
    reason: str | None


def recent_grants(store: Session, page: Page) -> tuple[list[GrantShown], int]:
    """A page of break-glass grants, newest first, with their reasons, for auditors to
    review; and how many there are."""
    found, total = grants.recent(store, page)
    audit.record(store, "break_glass.reviewed", details={"count": len(found)})
    shown = [
        GrantShown(g.created_at, g.user_id, g.case_id, g.expires_at, grants.reason_of(store, g))
        for g in found
    ]
    return shown, total


def list_for(
    store: Session,
    user: Any,
    page: Page,
    statuses: tuple[str, ...] = OPEN,
    reference: str | None = None,
) -> Window:
    """A page of the cases in these statuses (open ones unless asked) that the user is in
    charge of (the policy's list scope: their own, or their team's for a supervisor);
    urgent first, then the most recently active; only the one with ``reference`` (as said
    on the phone: any case, dashes optional) when given. Rows carry :data:`LIST_COLUMNS`."""
    # The statuses written into the SQL: PostgreSQL matches the partial index of open cases
    # only by constants it sees in any plan.
    shown: sa.BindParameter[str] = sa.bindparam(
        "statuses", statuses, expanding=True, literal_execute=True
    )
    query = sa.select(*LIST_COLUMNS).where(
        visible(user, "cases.read", Case), Case.status.in_(shown)
    )
    if reference:
        query = query.where(Case.reference == receipts.normalise(reference))
    found = keyset.window(store, query, LIST_ORDER, page)
    audit.record(store, "cases.listed", details={"count": len(found.rows)})
    return found


def open_owned(
    store: Session,
    user: Any,
    action: str,
    owner_ids: Collection[uuid.UUID],
    *,
    others: bool = False,
) -> list[Case]:
    """Open cases in ``user``'s list scope for ``action`` whose owner is one of
    ``owner_ids`` (with ``others``: is none of them), urgent first, then the oldest. For
    handing cases over; each is checked again under its lock before it moves."""
    owned = Case.owner_id.in_(list(owner_ids))
    query = sa.select(Case).where(
        visible(user, action, Case), Case.status.in_(OPEN), sa.not_(owned) if others else owned
    )
    return list(store.scalars(query.order_by(Case.urgent.desc(), Case.opened_at, Case.id)))


def open_of_owner(store: Session, owner_id: uuid.UUID) -> list[Case]:
    """Every open case an account is in charge of, in any team, urgent first, then the
    oldest: a system job, once the account is disabled (no user's scope applies)."""
    return list(
        store.scalars(
            sa.select(Case)
            .where(Case.owner_id == owner_id, Case.status.in_(OPEN))
            .order_by(Case.urgent.desc(), Case.opened_at, Case.id)
        )
    )


def person(store: Session, case: Case) -> Person:
    """The person record of a case."""
    return people.get(store, case.person_id)


def identity(store: Session, case: Case) -> people.Identity:
    """The person's details (an audited read)."""
    return people.read(store, person(store, case))


def screenings_of(store: Session, case: Case) -> list[Screening]:
    """The case's completed screenings, newest first."""
    return screenings.of_person(store, case.person_id)


def open_of_people(
    store: Session, person_ids: Collection[uuid.UUID], team_id: uuid.UUID
) -> list[Case]:
    """The open cases of a team opened for any of these person records (the caller checks
    each against the user)."""
    return list(
        store.scalars(
            sa.select(Case).where(
                Case.person_id.in_(person_ids), Case.team_id == team_id, Case.status.in_(OPEN)
            )
        )
    )


def touch(store: Session, case: Case, now: datetime, retention_days: int) -> None:
    """Activity on the case keeps the person's record for the retention period from now."""
    case.updated_at = now
    people.touch(person(store, case), now, retention_days)


def on_completed(screening_id: uuid.UUID) -> uuid.UUID | None:
    """Receiver of ``screening.services.open_case``: the completed screening's case."""
    case = open_for_screening(
        db.session(), screening_id, clock.now(), settings.current().retention_days
    )
    return case.id if case is not None else None


def on_case_wanted(person_id: uuid.UUID) -> uuid.UUID | None:
    """Receiver of ``screening.services.find_case``."""
    return case_of_person(db.session(), person_id)


def is_open(case: Case) -> bool:
    """Whether the case is still being worked on (active or in follow-up)."""
    return case.status in OPEN


# Changing a case for the person, linking it and handing it over are for open cases only.
state_rule("cases.manage", is_open)
state_rule("cases.link", is_open)
state_rule("cases.hand_over", is_open)
# Consent is withdrawn on a closed case too, while the record is kept; a merged case's
# consent went to the earlier case.
state_rule("cases.withdraw_consent", lambda case: case.status != "merged" and case.record_kept)
