"""Bodies for ``POST /api/v1/screenings``: synthetic people with canary values, and answers
picked from the shipped catalogue to reach a known result."""

from __future__ import annotations

from typing import Any

from screening.instruments import load_catalogue

CATALOGUE = load_catalogue()


def pick(instrument: str, dimension: str, strength: str, count: int,
         exploitation: str = "labour") -> list[str]:
    """Ids of ``count`` indicators of the shipped instrument with this dimension and grade."""
    found = [i.id for i in CATALOGUE[instrument].indicators
             if i.dimension == dimension and i.strength == strength and not i.red_flag
             and i.exploitation in (exploitation, "any")]
    assert len(found) >= count, (instrument, dimension, strength)
    return found[:count]


def likely_adult_answers() -> dict[str, str]:
    ids = (pick("adult", "deceptive_recruitment", "strong", 1)
           + pick("adult", "deceptive_recruitment", "medium", 1)
           + pick("adult", "exploitative_conditions", "strong", 1)
           + pick("adult", "exploitative_conditions", "medium", 1)
           + pick("adult", "coercion_at_destination", "strong", 2))
    return dict.fromkeys(ids, "yes")


def body(**changes: Any) -> dict[str, Any]:
    data = {
        "instrument": "adult", "language": "en", "exploitation": "labour",
        "subject": {"given_name": "Canaryapi", "family_name": "Testperson", "age": 34,
                    "sex": "female", "nationality": "ZZ",
                    "location": {"country": "XK", "region": "Canaryregionapi"},
                    "languages": ["fr"], "contact": "canary-api-contact"},
        "answers": likely_adult_answers(), "needs": ["shelter", "legal"],
        "consent": {"screening": True, "referral": True, "share": ["given_name", "needs"]},
        "safety": {"alone": True, "safe_to_talk": True, "possibly_minor": False,
                   "interpreter_independent": "none"},
    }
    data.update(changes)
    return data


CHILD_CONSENT = {"screening": True, "referral": True, "share": ["given_name", "needs"],
                 "child": {"assent": True, "guardian_consent": True, "basis": None}}
CHILD_SAFETY = {"alone": False, "safe_to_talk": True, "possibly_minor": True,
                "present": ["social_worker"], "linked_present": False,
                "interpreter_independent": "none"}


def child_body(**changes: Any) -> dict[str, Any]:
    """A child's screening: the child instrument, a social worker present, the child's
    assent and a guardian's consent."""
    data = body(instrument="child", answers={}, consent=CHILD_CONSENT, safety=CHILD_SAFETY,
                subject={"given_name": "Canarychild", "age": 15, "age_source": "claimed",
                         "location": {"country": "XK"}, "languages": ["fr"]},
                needs=["child_protection", "shelter"])
    data.update(changes)
    return data
