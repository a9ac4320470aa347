"""How a screening opens: the request made before the first question and its checks
(docs/screening.md §8.1 "Interviewing safely", §2.3 "Children"). The purposes a person
consents to and the fields they may let be shared, the safety check (alone and safe to talk;
for a child, who is present), and :func:`checked`, which refuses a start that lacks any of
them; :func:`consent_of` reads back the consent stored on a screening. Nothing here touches
the database: ``screening.services.start`` writes the rows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from core.errors import RefusedError
from screening import people
from screening.consent import NOBODY, ChildConsent, child_may_start, presence_problem, unexplained
from screening.instruments import ADULT, CHILD, Instrument
from screening.models import Screening

PURPOSES = ("screening", "storing", "referral", "statistics", "recontact")
SHAREABLE = (
    "given_name",
    "family_name",
    "age",
    "sex",
    "nationality",
    "location",
    "languages",
    "contact",
    "needs",
    "answers",
)
# The safety check's answer about the interpreter, as the web form and the API name it.
INTERPRETER_INDEPENDENT = {"yes": True, "no": False, "none": None}


class ScreeningError(RefusedError):
    """A screening request that cannot be carried out."""


@dataclass(frozen=True)
class Consent:
    """What the person agreed to, purpose by purpose, and which fields may be shared; for a
    child, their assent and who consented for them; what the screener explained first, and
    the version of the script read aloud (None when not recorded, as older API callers)."""

    purposes: dict[str, bool]
    share: tuple[str, ...] = ()
    child: ChildConsent | None = None
    explained: tuple[str, ...] | None = None
    script_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        given: dict[str, Any] = {**self.purposes, "share": list(self.share)}
        if self.child is not None:
            given["child"] = self.child.as_dict()
        if self.explained is not None:
            given["explained"] = list(self.explained)
            given["script_version"] = self.script_version
        return given


def consent_of(screening: Screening) -> Consent:
    """The consent the person gave at this screening."""
    given = screening.consent
    child = given.get("child")
    explained = given.get("explained")
    return Consent(
        {p: bool(given.get(p)) for p in PURPOSES},
        tuple(f for f in given.get("share", []) if f in SHAREABLE),
        ChildConsent(**child) if isinstance(child, dict) else None,
        tuple(explained) if isinstance(explained, list) else None,
        given.get("script_version"),
    )


@dataclass(frozen=True)
class Safety:
    """The safety check before any question."""

    alone: bool
    safe_to_talk: bool
    interpreter_language: str | None = None
    interpreter_independent: bool | None = None
    possibly_minor: bool | None = None
    # For a child, instead of "alone": who is in the room, and whether anyone there is linked
    # to the people who employ, brought or control them.
    present: tuple[str, ...] | None = None
    linked_present: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "alone": self.alone,
            "safe_to_talk": self.safe_to_talk,
            "interpreter_language": self.interpreter_language,
            "interpreter_independent": self.interpreter_independent,
            "possibly_minor": self.possibly_minor,
            "present": list(self.present) if self.present is not None else None,
            "linked_present": self.linked_present,
        }


def safe_to_screen(alone: bool, safe_to_talk: bool) -> bool:
    """The safety check's rule, for the web and the API alike: the questions are asked only
    when the person is alone with the screener and says it is safe to talk now. Anything
    else, including an answer not given, stops the interview."""
    return alone is True and safe_to_talk is True


def safe_for_child(linked_present: bool | None, safe_to_talk: bool) -> bool:
    """The child's safety check: a trusted adult may stay, but nobody linked to the people
    who employ, brought or control the child, and the child says it is safe to talk now."""
    return linked_present is False and safe_to_talk is True


@dataclass(frozen=True)
class Start:
    """Everything needed before the first question."""

    instrument: Instrument
    language: str
    identity: people.Identity
    consent: Consent
    safety: Safety
    needs: tuple[str, ...] = field(default_factory=tuple)
    key: str | None = None  # the web form's start key, or the API's (Screening.start_key)
    digest: str | None = None  # the API body's digest (screening/idempotency.py)


def _child_safety(safety: Safety, problems: dict[str, str]) -> Safety:
    present = tuple(safety.present) if safety.present is not None else None
    linked = safety.linked_present
    if present is None and linked is None and safety.alone is True:
        present, linked = (NOBODY,), False  # alone: nobody there, so nobody linked
    wrong = presence_problem(present or ())
    if wrong:
        problems["safety.present"] = wrong
    elif linked is None:
        problems["safety.linked_present"] = "required for a child: true or false"
    elif not safe_for_child(linked, safety.safe_to_talk):
        problems["safety"] = (
            "nobody linked to the people who employ, brought or control "
            "the child may be present, and it must be safe to talk"
        )
    return replace(safety, present=present, linked_present=linked, alone=present == (NOBODY,))


def checked(request: Start) -> Start:
    """The start request as it will be stored, or :class:`ScreeningError` naming every
    problem: consent to screen and to store; the safety check (for a child, who is present
    and nobody linked to their exploiters; for an adult, alone); for a child (people.is_child)
    the child instrument, their assent with a guardian's or representative's consent or a
    statutory basis; and every point explained, when the caller records them. The child
    instrument marks the person possibly a minor."""
    given, safety = request.consent, request.safety
    minor = bool(safety.possibly_minor) or request.instrument.population == CHILD
    child = people.is_child(minor, request.identity.age)
    problems: dict[str, str] = {}
    if not given.purposes.get("screening") or not given.purposes.get("storing"):
        problems["consent"] = "screening and storing must be agreed"
    if child:
        safety = _child_safety(safety, problems)
        if request.instrument.population == ADULT:
            problems["instrument"] = (
                "a child (under 18, or possibly a minor) is screened with the child instrument"
            )
        if not child_may_start(given.child):
            problems["consent.child"] = (
                "the child's assent with a guardian's or "
                "representative's consent, or a legal basis "
                "(child_protection, risk_to_life)"
            )
    else:
        given = replace(given, child=None)
        if not safe_to_screen(safety.alone, safety.safe_to_talk):
            problems["safety"] = "the person must be alone and safe to talk"
    missing = unexplained(given.explained) if given.explained is not None else []
    if missing:
        problems["consent.explained"] = "explain every point first: " + ", ".join(missing)
    if problems:
        raise ScreeningError(_refusal(problems), problems)
    return replace(request, consent=given, safety=replace(safety, possibly_minor=minor))


def _refusal(problems: dict[str, str]) -> str:
    if "safety" in problems:
        return "it is not safe to talk now; stop and follow the protocol"
    if "consent" in problems:
        return "consent to screening and to storing the record is needed"
    return "the screening cannot start as it is"
