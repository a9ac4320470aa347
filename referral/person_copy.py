"""The person's own copy (README "The person's own copy"; docs/access-policy.md): everything
Passage holds about a person, in their interview language, with a disclosure log — which
organisations received which details and when, and who in which role and organisation opened
the record and when (never a staff member's name). Built from the case, its screenings, its
referrals and the audit chain; how a person exercises their right of access. Producing it is
audited by the caller."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from access import audit
from access import services as access_services
from referral import cases, notes, referrals, tasks
from referral.models import Case
from referral.presenting import identity_or_none
from screening import explain, instruments, interview, people, person_changes, services

# What counts as opening the record: reading the case (its page, its follow-ups, the history
# of corrections), the person (their details, their former details), a screening or a
# referral (a partner reading its packet included), and a supervisor's break-glass.
OPENINGS = (
    "case.read",
    "case.history",
    "case.tasks_read",
    "person.read",
    "person.history_read",
    "screening.read",
    "referral.read",
    "case.break_glass",
)
WHAT = {"case": "case", "person": "record", "screening": "screening", "referral": "referral"}


def language_of(store: Session, case: Case) -> str:
    """The language of the person's latest screening: the copy is written in it."""
    done = cases.screenings_of(store, case)
    return done[0].language if done else "en"


def copy_of(store: Session, case: Case, now: datetime) -> dict[str, Any]:
    """Everything held about the case's person, as JSON-ready values (codes, not words:
    the page translates them into the interview language)."""
    who = identity_or_none(store, case)
    screened = cases.screenings_of(store, case)
    sent = referrals.of_case(store, case)
    names = access_services.organisation_names(store)
    consent = cases.consent(case)
    return {
        "produced_at": now.isoformat(timespec="minutes"),
        "language": language_of(store, case),
        "person": {
            **people.details(who),
            "birth_date": who.birth_date.isoformat() if who.birth_date else None,
            "notes": who.notes,
        }
        if who
        else None,
        "needs": list(cases.needs(case)),
        "consent": {"referral": consent.referral, "share": list(consent.share)},
        "case": {"status": case.status, "outcome": case.outcome},
        "case_notes": [
            {"at": n.created_at.isoformat(timespec="minutes"), "kind": n.kind, "text": n.text}
            for n in notes.of_case(store, case)
        ],
        "corrections": [
            {
                "at": c.at.isoformat(timespec="minutes"),
                "fields": list(c.fields),
                "previous": c.previous,
            }
            for c in (person_changes.history(store, cases.person(store, case)) if who else [])
        ],
        "follow_ups": [
            {"title": t.title, "due_on": t.due_on.isoformat(), "done": t.done_at is not None}
            for t in tasks.tasks_of(store, case)
        ],
        "screenings": [_screening(store, s) for s in screened],
        "shared_with": [
            {
                "organisation": names.get(str(r.partner_id), ""),
                "sent_at": r.created_at.isoformat(timespec="minutes"),
                "state": r.state,
                "details": list(r.share),
                "services": list(r.services),
            }
            for r in reversed(sent)
        ],
        "opened": [
            {
                "at": event.at.isoformat(timespec="minutes"),
                "role": event.actor_role or "system",
                "organisation": names.get(event.actor_org or "", ""),
                "what": WHAT.get(event.object_type or "", event.object_type or ""),
                "break_glass": json.loads(event.details or "{}").get("break_glass") is True,
            }
            for event in audit.openings(store, _ids(store, case, screened, sent), OPENINGS)
        ],
    }


def _ids(store: Session, case: Case, screened: list[Any], sent: list[Any]) -> list[str]:
    # A case linked into this one keeps its own id and person record: what was opened
    # through them before the link is still an opening of this person's record.
    linked = (case, *cases.merged_into(store, case))
    return [
        *(str(c.id) for c in linked),
        *(str(c.person_id) for c in linked),
        *(str(s.id) for s in screened),
        *(str(r.id) for r in sent),
    ]


def _screening(store: Session, screening: Any) -> dict[str, Any]:
    instrument = instruments.catalogue().get(screening.instrument)
    result = services.result(store, screening) or {}
    answers = interview.indicator_answers(store, screening, instrument) if instrument else {}
    return {
        "completed_at": screening.completed_at.isoformat(timespec="minutes")
        if screening.completed_at
        else None,
        "classification": screening.classification,
        "result": explain.headline(result) if result.get("classification") else "",
        "red_flags": [
            explain.label(instrument, f, screening.language) for f in result.get("red_flags", [])
        ],
        "answers": [
            {"question": explain.label(instrument, item, screening.language), "answer": value}
            for item, value in answers.items()
        ],
    }
