"""Bodies for ``POST /api/v1/screenings``: synthetic people with canary values, and answers
that reach a known result with the shipped catalogue (docs/screening.md §3 keys)."""

from __future__ import annotations

from typing import Any

# Adult, likely trafficking: deceived about the job (strong) and the pay (medium); excessive
# hours (strong) and low pay (medium); passport kept and a debt at work (two strong).
LIKELY_ADULT = {
    "dr_job_nature": "yes",
    "d2": "yes",
    "dr_pay": "yes",
    "ec_excessive_hours": "yes",
    "b2": "yes",
    "ec_low_pay": "yes",
    "documents": "yes",
    "documents_when": "work",
    "debt": "yes",
    "debt_when": "work",
}


def likely_adult_answers() -> dict[str, str]:
    """Answers that make trafficking likely for an adult, with no red flag."""
    return dict(LIKELY_ADULT)


def body(**changes: Any) -> dict[str, Any]:
    data = {
        "instrument": "adult",
        "language": "en",
        "subject": {
            "given_name": "Canaryapi",
            "family_name": "Testperson",
            "age": 34,
            "sex": "female",
            "nationality": "ZZ",
            "location": {"country": "XK", "region": "Canaryregionapi"},
            "languages": ["fr"],
            "contact": "canary-api-contact",
        },
        "answers": likely_adult_answers(),
        "needs": ["shelter", "legal"],
        "consent": {"screening": True, "referral": True, "share": ["given_name", "needs"]},
        "safety": {
            "alone": True,
            "safe_to_talk": True,
            "possibly_minor": False,
            "interpreter_independent": "none",
        },
    }
    data.update(changes)
    return data


CHILD_CONSENT = {
    "screening": True,
    "referral": True,
    "share": ["given_name", "needs"],
    "child": {"assent": True, "guardian_consent": True, "basis": None},
}
CHILD_SAFETY = {
    "alone": False,
    "safe_to_talk": True,
    "possibly_minor": True,
    "present": ["social_worker"],
    "linked_present": False,
    "interpreter_independent": "none",
}


def child_body(**changes: Any) -> dict[str, Any]:
    """A child's screening: the child instrument, a social worker present, the child's
    assent and a guardian's consent."""
    data = body(
        instrument="child",
        answers={},
        consent=CHILD_CONSENT,
        safety=CHILD_SAFETY,
        subject={
            "given_name": "Canarychild",
            "age": 15,
            "age_source": "claimed",
            "location": {"country": "XK"},
            "languages": ["fr"],
        },
        needs=["child_protection", "shelter"],
    )
    data.update(changes)
    return data
