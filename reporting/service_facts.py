"""Facts about the service rather than the screening (docs/reporting.md §1): each step of a
referral, and what routing found for each need of a completed screening — a vetted partner
with a free place, or the gap nearest to one. Written, like screening facts, only when the
person agreed to be counted, through the same queue and shuffled batches."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from core import clock, db
from referral import matching, routing
from reporting.facts import enqueue, month_of
from reporting.models import ANSWER_BANDS, SERVICES
from screening import instruments, opening, people, services
from screening.models import Screening

ANSWERS = ("accepted", "declined")


def answer_band(hours: int) -> str:
    """The band of an answer given ``hours`` after the referral was sent."""
    return next(label for limit, label in ANSWER_BANDS if limit is None or hours < limit)


def referral_fact(event: Mapping[str, Any]) -> dict[str, Any]:
    """The fact of one referral step (``referral.steps.Event`` as a dict)."""
    chosen = set(event["services"])
    answered = event["event"] in ANSWERS and event["hours"] is not None
    return {
        "hours_band": answer_band(event["hours"]) if answered else None,
        "month": month_of(event["at"]),
        "team_id": str(event["team_id"]),
        "partner_id": str(event["partner_id"]),
        "country": event["country"],
        "population": instruments.for_population(bool(event["child"])),
        "urgency": event["urgency"],
        "event": event["event"],
        "hours": event["hours"],
        "in_time": event["in_time"],
        "decline_reason": event["decline_reason"],
        "outcome": event["outcome"],
        "after_decline": event["after_decline"],
        **{f"service_{s}": s in chosen for s in SERVICES},
    }


def need_facts(
    screening: Screening, person: people.Person, partners: list[routing.Partner], today: date
) -> list[dict[str, Any]]:
    """One fact per need recorded at the screening, with routing's answer for it."""
    wanted = list(screening.needs)
    need = matching.need_of(person, wanted)
    month = month_of(screening.completed_at)
    return [
        {
            "month": month,
            "team_id": str(screening.team_id),
            "country": person.country,
            "population": "child" if need.child else "adult",
            "sex": person.sex,
            "service": service,
            "result": routing.coverage(service, need, partners, today),
        }
        for service in wanted
    ]


def on_referral_event(event: Mapping[str, Any]) -> None:
    """Receiver of ``referral.steps.referral_event``: queue the step's fact."""
    if event["counted"]:
        enqueue(db.session(), "referral", referral_fact(event))


def on_completed(screening_id: uuid.UUID) -> None:
    """Receiver of ``screening.services.completed_event``: queue the need facts."""
    store = db.session()
    screening = services.completed(store, screening_id)
    if screening is not None:
        record_needs(store, screening, clock.now().date())


def record_needs(store: Session, screening: Screening, today: date) -> int:
    """Queue the need facts of a completed screening whose person agreed to be counted;
    returns how many were queued."""
    if not opening.consent_of(screening).purposes.get("statistics"):
        return 0
    facts = need_facts(
        screening, people.get(store, screening.person_id), matching.partners(store), today
    )
    for fact in facts:
        enqueue(store, "need", fact)
    return len(facts)
