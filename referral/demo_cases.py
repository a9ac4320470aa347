"""Demo cases for ``make run``: three synthetic people screened, scored and referred through
the services a screener and a partner use, so that each demo role finds work waiting: the
screener's cases and a follow-up, the partner's inbox, the audit trail. Loaded by
``flask --app wsgi demo`` once (not again while the demo screener has screenings), which is
refused in production (README.md, "Two commands")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import click
from sqlalchemy.orm import Session

from access import services as access_services
from core import settings
from referral import cases, referrals, tasks
from screening import instruments, interview, payload
from screening import services as screening_services

SCREENER = "screener@demo.passage.example"
PARTNER = "partner@demo.passage.example"

_CONSENT = {"screening": True, "referral": True, "share": ["given_name", "needs", "languages"]}
_ADULT_SAFETY = {
    "alone": True,
    "safe_to_talk": True,
    "possibly_minor": False,
    "interpreter_independent": "none",
}
_CHILD_SAFETY = {
    "alone": False,
    "safe_to_talk": True,
    "possibly_minor": True,
    "present": ["social_worker"],
    "linked_present": False,
    "interpreter_independent": "none",
}
_SHARED = ("given_name", "needs", "languages")


def _person(given: str, age: int, sex: str, country: str) -> dict[str, Any]:
    return {
        "given_name": given,
        "family_name": "Example",
        "age": age,
        "sex": sex,
        "location": {"country": country},
        "languages": ["en"],
    }


# (the screening as the API takes it, where it is referred, whether the partner accepted)
PEOPLE: tuple[tuple[dict[str, Any], referrals.Send, bool], ...] = (
    (
        {
            "instrument": "adult",
            "subject": _person("Alpha", 34, "female", "GR"),
            # Deceived about the job and the pay, long hours for little, passport kept and a
            # debt at work: the three elements of trafficking.
            "answers": {
                "dr_job_nature": "yes",
                "dr_pay": "yes",
                "ec_excessive_hours": "yes",
                "ec_low_pay": "yes",
                "documents": "yes",
                "documents_when": "work",
                "debt": "yes",
                "debt_when": "work",
            },
            "needs": ["shelter", "legal"],
            "consent": _CONSENT,
            "safety": _ADULT_SAFETY,
        },
        referrals.Send("demo-shelter", ("shelter",), _SHARED),
        False,
    ),
    (
        {
            "instrument": "adult",
            "subject": _person("Beta", 41, "male", "IT"),
            # Hard and underpaid work in poor housing, without deception or coercion.
            "answers": {
                "ec_excessive_hours": "yes",
                "ec_hazardous": "yes",
                "ec_low_pay": "yes",
                "ec_living_conditions": "yes",
            },
            "needs": ["shelter", "medical"],
            "consent": _CONSENT,
            "safety": _ADULT_SAFETY,
        },
        referrals.Send("demo-shelter", ("shelter", "medical"), _SHARED),
        True,
    ),
    (
        {
            "instrument": "child",
            "subject": {**_person("Gamma", 15, "female", "ES"), "age_source": "claimed"},
            # A child kept at home to work long hours, out of school: stops on disclosure.
            "answers": {
                "ec_excessive_hours": "yes",
                "ec_no_education": "yes",
                "confinement": "yes",
                "confinement_when": "work",
            },
            "needs": ["child_protection", "shelter"],
            "consent": {
                **_CONSENT,
                "child": {"assent": True, "guardian_consent": True, "basis": None},
            },
            "safety": _CHILD_SAFETY,
        },
        referrals.Send("demo-children", ("child_protection",), _SHARED, urgency="urgent"),
        False,
    ),
)


def load_demo_cases(store: Session, now: datetime) -> None:
    """Screen and refer the demo people, unless the demo screener has screened anyone."""
    screener = access_services.find_user(store, SCREENER)
    partner = access_services.find_user(store, PARTNER)
    if screener is None or partner is None or screening_services.list_for(store, screener, 1):
        return
    current = settings.current()
    deadlines, days = referrals.Deadlines.from_settings(current), current.retention_days
    catalogue = instruments.catalogue()
    for body, send, accepted in PEOPLE:
        start, answers = payload.parse(body, catalogue)
        screening = screening_services.start(store, screener, start, now, days)
        interview.record(store, screening, start.instrument, answers, now)
        interview.finish(store, screening, start.instrument, start.identity.age, now)
        case_id = screening_services.case_of(screening)
        if case_id is None:  # completing opens the case; there is nothing to refer without it
            continue
        case = cases.get(store, screener, case_id, "cases.manage")
        referral = referrals.send(
            store, screener, case, send, now, deadlines, current.retention_days
        ).referral
        if accepted:
            referrals.answer(
                store, partner, referral.id, "accept", None, now, current.retention_days
            )
            tasks.add(
                store,
                screener,
                case,
                "Call the shelter to confirm the place",
                (now + timedelta(days=2)).date(),
                screener.id,
                now,
            )
    click.echo(
        f"Demo cases: {len(PEOPLE)} synthetic people screened and referred; "
        "the partner has referrals waiting."
    )
