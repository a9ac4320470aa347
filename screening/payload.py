"""Reading the JSON body of ``POST /api/v1/screenings`` into service values, with an error
per field for anything missing, malformed or not allowed."""

from __future__ import annotations

import re
from typing import Any

from screening import people
from screening.instruments import LANGUAGES, Instrument
from screening.scoring import ANSWERS
from screening.services import PURPOSES, SERVICES, SHAREABLE, Consent, Safety, Start

COUNTRY = re.compile(r"[A-Z]{2}")  # ISO 3166-1 alpha-2
LANGUAGE = re.compile(r"[a-z]{2}")  # ISO 639-1
SEXES = ("female", "male", "other", "unknown")
TOP_LEVEL = {"instrument", "language", "subject", "answers", "needs", "consent", "safety",
             "exploitation"}


class PayloadError(ValueError):
    """The body is not acceptable; ``fields`` maps each field to what is wrong."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid screening")
        self.fields = fields


def _text(value: Any, limit: int, errors: dict[str, str], name: str,
          required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            errors[name] = "required"
        return None
    if not isinstance(value, str) or len(value) > limit:
        errors[name] = f"must be text of at most {limit} characters"
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
    age = data.get("age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool)
                            or not 0 <= age <= 120):
        errors["subject.age"] = "must be a whole number from 0 to 120"
        age = None
    sex = data.get("sex")
    if sex is not None and sex not in SEXES:
        errors["subject.sex"] = f"must be one of {', '.join(SEXES)}"
    location = data.get("location") or {}
    if not isinstance(location, dict):
        errors["subject.location"] = "must be an object"
        location = {}
    languages = data.get("languages") or []
    if not isinstance(languages, list) or len(languages) > 8:
        errors["subject.languages"] = "must be a list of at most 8 codes"
        languages = []
    codes = tuple(c for n, c in enumerate(languages)
                  if _code(c, LANGUAGE, errors, f"subject.languages[{n}]"))
    return people.Identity(
        given_name=_text(data.get("given_name"), 100, errors, "subject.given_name", True) or "",
        family_name=_text(data.get("family_name"), 100, errors, "subject.family_name"),
        age=age, sex=sex if sex in SEXES else None,
        nationality=_code(data.get("nationality"), COUNTRY, errors, "subject.nationality"),
        country=_code(location.get("country"), COUNTRY, errors, "subject.location.country"),
        region=_text(location.get("region"), 100, errors, "subject.location.region"),
        contact=_text(data.get("contact"), 200, errors, "subject.contact"), languages=codes)


def _consent(data: Any, errors: dict[str, str]) -> Consent:
    if not isinstance(data, dict):
        errors["consent"] = "required object"
        return Consent({})
    # The API's consent object names screening, referral and share; agreeing to be screened
    # through it includes keeping the record, unless "storing" says otherwise.
    purposes = {p: data.get(p, p == "storing" and data.get("screening") is True)
                for p in PURPOSES}
    for name, value in purposes.items():
        if not isinstance(value, bool):
            errors[f"consent.{name}"] = "must be true or false"
    if purposes["screening"] is not True:
        errors["consent.screening"] = "the person must agree to the screening"
    share = data.get("share", [])
    if not isinstance(share, list) or any(f not in SHAREABLE for f in share):
        errors["consent.share"] = f"must list fields among {', '.join(SHAREABLE)}"
        share = []
    if share and purposes["referral"] is not True:
        errors["consent.share"] = "sharing needs consent to referral"
    return Consent({k: v is True for k, v in purposes.items()}, tuple(share))


def _safety(data: Any, errors: dict[str, str]) -> Safety:
    data = data if isinstance(data, dict) else {"alone": True, "safe_to_talk": True}
    flags = {}
    for name in ("alone", "safe_to_talk"):
        value = data.get(name, True)
        if not isinstance(value, bool):
            errors[f"safety.{name}"] = "must be true or false"
        flags[name] = value is True
    independent = data.get("interpreter_independent")
    if independent is not None and not isinstance(independent, bool):
        errors["safety.interpreter_independent"] = "must be true or false"
    return Safety(flags["alone"], flags["safe_to_talk"],
                  _code(data.get("interpreter_language"), LANGUAGE, errors,
                        "safety.interpreter_language"), independent)


def _answers(data: Any, instrument: Instrument | None, errors: dict[str, str]) -> dict[str, str]:
    if not isinstance(data, dict):
        errors["answers"] = "required object of indicator id to answer"
        return {}
    known = {i.id for i in instrument.indicators} if instrument else set()
    for key, value in data.items():
        if instrument and key not in known:
            errors[f"answers.{key}"] = "not a question of this instrument"
        elif value not in ANSWERS:
            errors[f"answers.{key}"] = f"must be one of {', '.join(ANSWERS)}"
    return {k: v for k, v in data.items() if k in known and v in ANSWERS}


def parse(body: Any, catalogue: dict[str, Instrument]) -> tuple[Start, dict[str, str]]:
    """The start request and answers in ``body``; raises :class:`PayloadError`."""
    if not isinstance(body, dict):
        raise PayloadError({"body": "must be a JSON object"})
    errors: dict[str, str] = {f: "unknown field" for f in set(body) - TOP_LEVEL}
    instrument = catalogue.get(body.get("instrument"))  # type: ignore[arg-type]
    if instrument is None:
        errors["instrument"] = f"must be one of {', '.join(sorted(catalogue))}"
    language = body.get("language", "en")
    if language not in LANGUAGES:
        errors["language"] = f"must be one of {', '.join(LANGUAGES)}"
    exploitation = body.get("exploitation")
    if exploitation not in (None, "labour", "sexual"):
        errors["exploitation"] = "must be labour or sexual"
    needs = body.get("needs", [])
    if not isinstance(needs, list) or any(n not in SERVICES for n in needs):
        errors["needs"] = f"must list services among {', '.join(SERVICES)}"
        needs = []
    identity = _subject(body.get("subject"), errors)
    consent = _consent(body.get("consent"), errors)
    safety = _safety(body.get("safety"), errors)
    answers = _answers(body.get("answers", {}), instrument, errors)
    if errors or instrument is None:
        raise PayloadError(errors)
    return Start(instrument, language, identity, consent, safety, exploitation,
                 tuple(needs)), answers
