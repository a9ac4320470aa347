"""A case's life after the referral, after HTCDS ``cas_Status``: active, in follow-up,
closed with an outcome (closed-referred when the person was referred on), reopened with a
written reason; and closed by retention before the person's record is shredded
(docs/case-work.md).

    active <--follow-up / back--> follow_up
    active | follow_up --close(outcome)--> closed | closed_referred
    closed | closed_referred --reopen(reason)--> active

A case does not close while referrals are open, unless the screener withdraws them in the
same step (each partner is told)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.orm import Session

from access import audit, grants
from access.policy import require, state_rule
from core import db
from core.errors import RefusedError
from referral import cases, endings, notes, tasks
from referral.models import Case
from screening import retention

OUTCOMES = (
    "services_provided",
    "person_declined",
    "lost_contact",
    "referred_on",
    "moved_away",
    "other",
)
# Set by the service only: the record reached the end of its retention period.
RETENTION = "retention"
CLOSED = ("closed", "closed_referred")


class CaseStatusError(RefusedError):
    """A change of status that cannot be made as asked."""


def closed_status(outcome: str) -> str:
    """The status a case closes with: closed-referred when the person was referred on."""
    return "closed_referred" if outcome == "referred_on" else "closed"


def _end(case: Case, outcome: str, now: datetime) -> None:
    case.status, case.outcome, case.closed_at, case.updated_at = (
        closed_status(outcome),
        outcome,
        now,
        now,
    )


def close(
    store: Session,
    user: Any,
    case: Case,
    outcome: str,
    withdraw_open: bool,
    now: datetime,
    retention_days: int,
) -> int:
    """Close the case with an outcome from :data:`OUTCOMES`. Refused while referrals are
    open, unless ``withdraw_open``: then each is withdrawn and its partner told. Checked on
    the locked row, so a referral sent meanwhile is seen. Returns how many were withdrawn."""
    cases.lock(store, case)
    require(user, "cases.close", case, "case", case.id)
    if outcome not in OUTCOMES:
        raise CaseStatusError(
            "choose how the case ended",
            {"outcome": _l("must be one of %(choices)s", choices=", ".join(OUTCOMES))},
        )
    waiting = endings.still_open(store, case)
    if waiting and not withdraw_open:
        raise CaseStatusError(
            "referrals are still open",
            {
                "withdraw": lazy_ngettext(
                    "%(num)d referral is still open: withdraw it to close the case.",
                    "%(num)d referrals are still open: withdraw them to close the case.",
                    len(waiting),
                )
            },
        )
    withdrawn = endings.end_open(store, case, now)
    _end(case, outcome, now)
    cases.touch(store, case, now, retention_days)
    audit.record(
        store,
        "case.closed",
        object_type="case",
        object_id=case.id,
        details={"outcome": outcome, "withdrawn": withdrawn},
    )
    return withdrawn


def reopen(
    store: Session, user: Any, case: Case, reason: str, now: datetime, retention_days: int
) -> None:
    """Make a closed case active again. The reason is kept as a sealed note (it may speak
    of the person); the audit event names the note, not what it says."""
    cases.lock(store, case)
    require(user, "cases.reopen", case, "case", case.id)
    text = notes.clean(reason, "reason")
    if len(" ".join(text.split())) < cases.REASON_MIN:
        raise CaseStatusError(
            "write why the case is reopened",
            {"reason": _l("at least %(count)d characters", count=cases.REASON_MIN)},
        )
    note = notes.write(store, user, case, text, now, kind="reopened")
    before, outcome = case.status, case.outcome
    case.status, case.outcome, case.closed_at = "active", None, None
    cases.touch(store, case, now, retention_days)
    audit.record(
        store,
        "case.reopened",
        object_type="case",
        object_id=case.id,
        details={"from": before, "outcome": outcome, "note": str(note.id)},
    )


def follow_up(
    store: Session, user: Any, case: Case, on: bool, now: datetime, retention_days: int
) -> None:
    """Put an open case into follow-up (help given, the caseworker keeps in touch), or
    back to active."""
    cases.lock(store, case)
    require(user, "cases.manage", case, "case", case.id)
    status = "follow_up" if on else "active"
    if case.status == status:
        return
    case.status = status
    cases.touch(store, case, now, retention_days)
    audit.record(
        store,
        "case.status_changed",
        object_type="case",
        object_id=case.id,
        details={"status": status},
    )


def close_for_retention(store: Session, case: Case, now: datetime) -> int:
    """Before the person's record is shredded: open referrals are withdrawn (partners told),
    no partner keeps a packet, the case closes as ``retention``, and its notes, follow-ups
    and the reasons written for break-glass access to it go. Returns how many referrals
    were withdrawn."""
    withdrawn = endings.end_open(store, case, now, reason=RETENTION)
    endings.forget_packets(store, case, now)
    if cases.is_open(case):
        _end(case, RETENTION, now)
    forgotten = notes.forget(store, case.id)
    dropped = tasks.forget(store, case)
    # The cases linked into this one were the same person's: their reasons go too.
    linked = [c.id for c in cases.merged_into(store, case)]
    reasons = grants.forget_reasons(store, [case.id, *linked])
    audit.record(
        store,
        "case.closed",
        object_type="case",
        object_id=case.id,
        details={
            "outcome": RETENTION,
            "withdrawn": withdrawn,
            "notes": forgotten,
            "tasks": dropped,
            "grant_reasons": reasons,
        },
    )
    return withdrawn


def _reopenable(case: Case) -> bool:
    # A record shredded by retention is not brought back: there is nothing left to work on.
    return case.status in CLOSED and case.record_kept


def _takes_notes(case: Case) -> bool:
    # Notes are sealed with the person's key: none once it is destroyed.
    return case.status != "merged" and case.record_kept


state_rule("cases.close", cases.is_open)
state_rule("cases.reopen", _reopenable)
state_rule("cases.notes", _takes_notes)


def on_shredding(person_id: uuid.UUID, now: datetime) -> None:
    """Receiver of ``screening.retention.shredding``: the person's case closes first. Its
    row is locked before anything is read, as a referral being sent locks it, and the person
    is asked again whether they are still due: a referral sent meanwhile has committed (and
    moved the retention date on) or waits until the case is closed, and is then refused."""
    store = db.session()
    case = cases.of_person(store, person_id)
    if case is None or case.status == "merged":
        return
    cases.lock(store, case)
    person = cases.person(store, case)
    db.lock(store, person)
    if retention.still_due(person, now):
        close_for_retention(store, case, now)
