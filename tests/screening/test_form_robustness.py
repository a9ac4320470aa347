"""Hostile input to the screening package's forms (R30): the safety check, consent, the
person, each question, changing an answer, the red-flag action, finishing and the neutral
exit, swept by tests/form_sweep.py."""

from __future__ import annotations

from tests.form_sweep import CHOICE, DATE, NUMBER, PERSON_KINDS, TEXT, Route, World, reread, sweep
from tests.form_world import at_question, consent_done, flag_waiting, safety_done
from tests.screening.test_views import CONSENT, PERSON, SAFE

# The fields of the other kinds of step (a list, "when?", the hand-over, numbers): as bodies
# are taken the interview moves on, and each kind of step meets them.
STEP_FIELDS = {
    "yes": CHOICE,
    "others": CHOICE,
    "when": CHOICE,
    "handover": CHOICE,
    "hours_per_day": NUMBER,
    "days_per_week": NUMBER,
    "pay_per_month": NUMBER,
}
ASK = Route(
    "screening.ask",
    "screener",
    "/screenings/{screening}/ask",
    {"key": "{key}", "answer": "no", "then": "next"},
    {"key": TEXT, "answer": CHOICE, "then": CHOICE, "group": CHOICE, **STEP_FIELDS},
    at_question,
)


ROUTES = [
    Route(
        "screening.new",
        "screener",
        "/screenings/new",
        SAFE,
        {
            "alone": CHOICE,
            "safe_to_talk": CHOICE,
            "child": CHOICE,
            "language": CHOICE,
            "interpreter_language": TEXT,
            "interpreter_independent": CHOICE,
            "present": CHOICE,
            "linked_present": CHOICE,
        },
    ),
    Route(
        "screening.consent",
        "screener",
        "/screenings/new/consent",
        CONSENT,
        {
            "screening": CHOICE,
            "storing": CHOICE,
            "referral": CHOICE,
            "statistics": CHOICE,
            "explained": CHOICE,
            "share": CHOICE,
            "basis": CHOICE,
            "assent": CHOICE,
        },
        safety_done,
    ),
    Route(
        "screening.person",
        "screener",
        "/screenings/new/person",
        PERSON,
        {**PERSON_KINDS, "needs": CHOICE},
        consent_done,
    ),
    ASK,
    Route(
        "screening.change",
        "screener",
        "/screenings/{screening}/change",
        {"key": "{first_key}"},
        {"key": TEXT},
    ),
    Route(
        "screening.red_flag",
        "screener",
        "/screenings/{flagged}/red-flag",
        {
            "flags": "{flag}",
            "contacted": ["emergency_services"],
            "contacted_note": "",
            "acted_at": "{acted_at}",
            "action": "called",
            "outcome": "Canaryform",
        },
        {
            "flags": CHOICE,
            "contacted": CHOICE,
            "contacted_note": TEXT,
            "acted_at": DATE,
            "action": CHOICE,
            "outcome": TEXT,
        },
        flag_waiting,
    ),
    Route("screening.review", "screener", "/screenings/{screening}/review"),
    Route("screening.neutral_exit", "screener", "/screenings/neutral-exit"),
]


def test_hostile_form_bodies_get_no_500_and_refusals_change_nothing(world: World) -> None:
    problems = sweep(world, ROUTES) + reread(world)
    assert problems == [], "\n".join(problems)
