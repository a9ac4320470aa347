"""Reading the JSON body of ``POST /api/v1/screenings`` into service values, with an error
per field for anything missing, malformed or not allowed."""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from core.text import CONTROL_PROBLEM, has_control
from screening import interview, people
from screening.consent import CHILD_BASES, EXPLAINED, PRESENT, ChildConsent, presence_problem
from screening.instruments import LANGUAGES, Instrument
from screening.opening import INTERPRETER_INDEPENDENT, PURPOSES, SHAREABLE, Consent, Safety, Start
from screening.services import SERVICES, ScreeningMalformed

COUNTRY = re.compile(r"[A-Z]{2}")  # ISO 3166-1 alpha-2
LANGUAGE = re.compile(r"[a-z]{2}")  # ISO 639-1
SEXES = people.SEXES
TOP_LEVEL = {
    "instrument",
    "language",
    "subject",
    "answers",
    "needs",
    "consent",
    "safety",
    "red_flag_actions",
    "complete",
}


class PayloadError(ScreeningMalformed):
    """The body is not acceptable (400); ``fields`` maps each field to what is wrong."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid screening", fields)


def _is_one_of(value: Any, allowed: Any) -> TypeGuard[str]:
    # JSON may put an object or a list where a name is expected: only a string can be one.
    return isinstance(value, str) and value in allowed


def _strings(value: Any, allowed: Any) -> bool:
    return isinstance(value, list) and all(_is_one_of(v, allowed) for v in value)


def _text(
    value: Any, limit: int, errors: dict[str, str], name: str, required: bool = False
) -> str | None:
    if value is None or value == "":
        if required:
            errors[name] = "required"
        return None
    if not isinstance(value, str) or len(value) > limit:
        errors[name] = f"must be text of at most {limit} characters"
        return None
    if has_control(value):  # every text of the body is one line, as on the pages' forms
        errors[name] = CONTROL_PROBLEM
        return None
    return value.strip()


def _code(value: Any, pattern: re.Pattern[str], errors: dict[str, str], name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        errors[name] = "must be an ISO code" if pattern is COUNTRY else "must be an ISO 639-1 code"
        return None
    return value


def _subject(data: Any, errors: dict[str, str]) -> people.Identity:
    if not isinstance(data, dict):
        errors["subject"] = "required object"
        data = {}
    for name in sorted(set(data) - SUBJECT_FIELDS):
        errors[f"subject.{name}"] = "unknown field"
    age = data.get("age")
    if age is not None and (
        not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 120
    ):
        errors["subject.age"] = "must be a whole number from 0 to 120"
        age = None
    sex = data.get("sex")
    if sex is not None and not _is_one_of(sex, SEXES):
        errors["subject.sex"] = f"must be one of {', '.join(SEXES)}"
    age_source = data.get("age_source")
    if age_source is not None and not _is_one_of(age_source, people.AGE_SOURCES):
        errors["subject.age_source"] = f"must be one of {', '.join(people.AGE_SOURCES)}"
        age_source = None
    location = data.get("location") or {}
    if not isinstance(location, dict):
        errors["subject.location"] = "must be an object"
        location = {}
    for name in sorted(set(location) - {"country", "region"}):
        errors[f"subject.location.{name}"] = "unknown field"
    languages = data.get("languages") or []
    if not isinstance(languages, list) or len(languages) > 8:
        errors["subject.languages"] = "must be a list of at most 8 codes"
        languages = []
    codes = tuple(
        c for n, c in enumerate(languages) if _code(c, LANGUAGE, errors, f"subject.languages[{n}]")
    )
    return people.Identity(
        given_name=_text(data.get("given_name"), 100, errors, "subject.given_name", True) or "",
        family_name=_text(data.get("family_name"), 100, errors, "subject.family_name"),
        age=age,
        sex=sex if _is_one_of(sex, SEXES) else None,
        nationality=_code(data.get("nationality"), COUNTRY, errors, "subject.nationality"),
        country=_code(location.get("country"), COUNTRY, errors, "subject.location.country"),
        region=_text(location.get("region"), 100, errors, "subject.location.region"),
        contact=_text(data.get("contact"), 200, errors, "subject.contact"),
        languages=codes,
        age_source=age_source,
    )


def _consent(data: Any, errors: dict[str, str]) -> Consent:
    if not isinstance(data, dict):
        errors["consent"] = "required object"
        return Consent({})
    for name in sorted(set(data) - {*PURPOSES, "share", *CONSENT_RECORDS}):
        errors[f"consent.{name}"] = "unknown field"
    # The API's consent object names screening, referral and share; agreeing to be screened
    # through it includes keeping the record, unless "storing" says otherwise.
    purposes = {p: data.get(p, p == "storing" and data.get("screening") is True) for p in PURPOSES}
    for name, value in purposes.items():
        if not isinstance(value, bool):
            errors[f"consent.{name}"] = "must be true or false"
    if purposes["screening"] is not True:
        errors["consent.screening"] = "the person must agree to the screening"
    share = data.get("share", [])
    if not _strings(share, SHAREABLE):
        errors["consent.share"] = f"must list fields among {', '.join(SHAREABLE)}"
        share = []
    if share and purposes["referral"] is not True:
        errors["consent.share"] = "sharing needs consent to referral"
    explained = data.get("explained")
    if explained is not None and not _strings(explained, EXPLAINED):
        errors["consent.explained"] = f"must list points among {', '.join(EXPLAINED)}"
        explained = None
    return Consent(
        {k: v is True for k, v in purposes.items()},
        tuple(share),
        _child_consent(data.get("child"), errors),
        tuple(explained) if explained is not None else None,
        _text(data.get("script_version"), 32, errors, "consent.script_version"),
    )


# Optional records beside the purposes: a child's assent and who consented for them, and what
# the screener explained from which script (screening.consent).
CONSENT_RECORDS = {"child", "explained", "script_version"}
CHILD_CONSENT_FIELDS = {"assent", "guardian_consent", "basis"}


def _child_consent(data: Any, errors: dict[str, str]) -> ChildConsent | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        errors["consent.child"] = "must be an object with assent, guardian_consent, basis"
        return None
    for name in sorted(set(data) - CHILD_CONSENT_FIELDS):
        errors[f"consent.child.{name}"] = "unknown field"
    flags = {}
    for name in ("assent", "guardian_consent"):
        value = data.get(name, False)
        if not isinstance(value, bool):
            errors[f"consent.child.{name}"] = "must be true or false"
        flags[name] = value is True
    basis = data.get("basis")
    if basis is not None and not _is_one_of(basis, CHILD_BASES):
        errors["consent.child.basis"] = f"must be one of {', '.join(CHILD_BASES)}"
        basis = None
    return ChildConsent(flags["assent"], flags["guardian_consent"], basis)


SUBJECT_FIELDS = {
    "given_name",
    "family_name",
    "age",
    "sex",
    "nationality",
    "location",
    "languages",
    "contact",
    "age_source",
}
SAFETY_FIELDS = {
    "alone",
    "safe_to_talk",
    "possibly_minor",
    "interpreter_independent",
    "interpreter_language",
    "present",
    "linked_present",
}


def _safety(data: Any, errors: dict[str, str]) -> Safety:
    # A safety check not answered is not a safe one: the web form requires both answers too.
    if not isinstance(data, dict):
        errors["safety"] = "required object with alone and safe_to_talk"
        return Safety(False, False)
    for name in sorted(set(data) - SAFETY_FIELDS):
        errors[f"safety.{name}"] = "unknown field"
    flags = {}
    for name in ("alone", "safe_to_talk"):
        value = data.get(name)
        if not isinstance(value, bool):
            errors[f"safety.{name}"] = "required: true or false"
        flags[name] = value is True
    minor = data.get("possibly_minor")
    if minor is not None and not isinstance(minor, bool):
        errors["safety.possibly_minor"] = "must be true or false"
        minor = None
    independent = data.get("interpreter_independent", "none")
    if not _is_one_of(independent, INTERPRETER_INDEPENDENT):
        errors["safety.interpreter_independent"] = "must be one of yes, no, none"
        independent = "none"
    present, linked = _presence(data, errors)
    return Safety(
        flags["alone"],
        flags["safe_to_talk"],
        _code(data.get("interpreter_language"), LANGUAGE, errors, "safety.interpreter_language"),
        INTERPRETER_INDEPENDENT[independent],
        minor,
        present,
        linked,
    )


def _presence(
    data: dict[str, Any], errors: dict[str, str]
) -> tuple[tuple[str, ...] | None, bool | None]:
    # For a child: who is in the room, and whether anyone there is linked to their exploiters.
    present = data.get("present")
    if present is not None:
        if not isinstance(present, list) or not all(isinstance(v, str) for v in present):
            errors["safety.present"] = f"must list some of {', '.join(PRESENT)}"
            present = None
        elif problem := presence_problem(present):
            errors["safety.present"] = problem
            present = None
    linked = data.get("linked_present")
    if linked is not None and not isinstance(linked, bool):
        errors["safety.linked_present"] = "must be true or false"
        linked = None
    return (tuple(present) if present is not None else None), linked


def _answers(data: Any, instrument: Instrument | None, errors: dict[str, str]) -> dict[str, str]:
    if not isinstance(data, dict):
        errors["answers"] = "required object of question to answer"
        return {}
    if instrument is None:
        return {}
    wrong = interview.problems(instrument, data)
    errors.update({f"answers.{key}": problem for key, problem in wrong.items()})
    return {k: v for k, v in data.items() if k not in wrong}


def parse(body: Any, catalogue: dict[str, Instrument]) -> tuple[Start, dict[str, str]]:
    """The start request and answers in ``body``; raises :class:`PayloadError`."""
    if not isinstance(body, dict):
        raise PayloadError({"body": "must be a JSON object"})
    errors: dict[str, str] = {f: "unknown field" for f in set(body) - TOP_LEVEL}
    name = body.get("instrument")
    instrument = catalogue[name] if _is_one_of(name, catalogue) else None
    if instrument is None:
        errors["instrument"] = f"must be one of {', '.join(sorted(catalogue))}"
    language = body.get("language", "en")
    if not _is_one_of(language, LANGUAGES):
        errors["language"] = f"must be one of {', '.join(LANGUAGES)}"
    actions = body.get("red_flag_actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        errors["red_flag_actions"] = "must be a list of objects"
    if not isinstance(body.get("complete", True), bool):
        errors["complete"] = "must be true or false"
    needs = body.get("needs", [])
    if not _strings(needs, SERVICES):
        errors["needs"] = f"must list services among {', '.join(SERVICES)}"
        needs = []
    identity = _subject(body.get("subject"), errors)
    consent = _consent(body.get("consent"), errors)
    safety = _safety(body.get("safety"), errors)
    answers = _answers(body.get("answers", {}), instrument, errors)
    if errors or instrument is None:
        raise PayloadError(errors)
    return Start(instrument, language, identity, consent, safety, tuple(needs)), answers
