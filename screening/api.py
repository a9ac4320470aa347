"""The screening package's part of the JSON API: instruments, and screenings in one call."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from access.policy import requires
from core import clock, db
from core.api import ApiSpec, json_body
from core.errors import ApiError
from core.ratelimit import limit_api
from screening import consent, instruments, payload, people, services

bp = limit_api(Blueprint("screening_api", __name__, url_prefix="/api/v1"))
spec = ApiSpec()

INDICATOR_SCHEMA = {"type": "object", "required": ["id", "dimension", "strength", "population",
                                                   "exploitation", "red_flag", "question"]}
INSTRUMENT_SCHEMA = {"type": "object",
                     "required": ["id", "version", "title", "population", "indicators"],
                     "properties": {"indicators": {"type": "array",
                                                   "items": INDICATOR_SCHEMA}}}
RESULT_SCHEMA = {"type": "object", "required": [
    "classification", "urgent", "incomplete", "smuggling", "red_flags", "route", "dimensions"]}
SCREENING_SCHEMA = {"type": "object", "required": ["id", "status", "instrument", "result"],
                    "properties": {"id": {"type": "string", "format": "uuid"},
                                   "case_id": {"type": ["string", "null"]},
                                   "result": RESULT_SCHEMA}}
ANSWER_VALUES = ["yes", "no", "unknown", "declined"]
SUBJECT_SCHEMA = {
    "type": "object", "required": ["given_name"], "additionalProperties": False,
    "properties": {
        "given_name": {"type": "string", "minLength": 1, "maxLength": 100},
        "family_name": {"type": "string", "maxLength": 100},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "sex": {"type": "string", "enum": ["female", "male", "other", "unknown"]},
        "nationality": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "location": {"type": "object", "additionalProperties": False, "properties": {
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "region": {"type": "string", "maxLength": 100}}},
        "languages": {"type": "array", "maxItems": 8,
                      "items": {"type": "string", "pattern": "^[a-z]{2}$"}},
        "contact": {"type": "string", "maxLength": 200},
    },
}
CONSENT_SCHEMA = {
    "type": "object", "required": ["screening"], "additionalProperties": False,
    # Screening without the person's agreement is refused: true is the only value accepted.
    "properties": {"screening": {"type": "boolean", "enum": [True]},
                   "referral": {"type": "boolean"},
                   "storing": {"type": "boolean"}, "statistics": {"type": "boolean"},
                   "recontact": {"type": "boolean"},
                   "share": {"type": "array", "items": {"type": "string",
                                                        "enum": list(services.SHAREABLE)}}},
}
CREATE_SCHEMA = {
    "type": "object", "required": ["instrument", "subject", "consent", "safety"],
    "additionalProperties": False,
    "properties": {
        "instrument": {"type": "string", "enum": ["adult", "child"]},
        "language": {"type": "string", "enum": ["en", "fr", "es"]},
        "subject": SUBJECT_SCHEMA,
        "answers": {"type": "object", "maxProperties": 200,
                    "propertyNames": {"type": "string", "pattern": "^[a-z0-9_]{1,64}$"},
                    "additionalProperties": {"enum": ANSWER_VALUES}},
        "needs": {"type": "array", "items": {"type": "string", "enum": list(services.SERVICES)}},
        "consent": CONSENT_SCHEMA,
        "safety": {"type": "object", "required": ["alone", "safe_to_talk"],
                   "additionalProperties": False, "properties": {
            "alone": {"type": "boolean"}, "safe_to_talk": {"type": "boolean"},
            "possibly_minor": {"type": "boolean"},
            "interpreter_independent": {"type": "string", "enum": ["yes", "no", "none"]},
            "interpreter_language": {"type": "string", "pattern": "^[a-z]{2}$"}}},
        "exploitation": {"type": "string", "enum": ["labour", "sexual"]},
    },
}
# Children's safeguards: optional fields beside the ones above (screening/consent.py).
SUBJECT_SCHEMA["properties"]["age_source"] = {  # type: ignore[index]
    "type": "string", "enum": list(people.AGE_SOURCES)}
CONSENT_SCHEMA["properties"].update({  # type: ignore[attr-defined]
    "child": {"type": "object", "additionalProperties": False, "properties": {
        "assent": {"type": "boolean"}, "guardian_consent": {"type": "boolean"},
        "basis": {"type": ["string", "null"], "enum": [*consent.CHILD_BASES, None]}}},
    "explained": {"type": "array", "items": {"type": "string",
                                             "enum": list(consent.EXPLAINED)}},
    "script_version": {"type": "string", "maxLength": 32}})
CREATE_SCHEMA["properties"]["safety"]["properties"].update({  # type: ignore[index]
    "present": {"type": "array", "minItems": 1,
                "items": {"type": "string", "enum": list(consent.PRESENT)}},
    "linked_present": {"type": "boolean"}})


spec.link("/screenings", "post", 201, "GetScreening", "get_screening",
          parameters={"screening_id": "$response.body#/id"})


def _language() -> str:
    language = request.args.get("language", "en")
    if language not in instruments.LANGUAGES:
        raise ApiError(400, "unknown language", {"language": "must be en, fr or es"})
    return language


@bp.route("/instruments")
@requires("instruments.read")
@spec.operation("/instruments", "get", summary="Instruments with their indicators",
                parameters=[{"name": "language", "in": "query",
                             "schema": {"type": "string", "enum": ["en", "fr", "es"]}}],
                errors=(400, 401),
                responses={"200": {"description": "every instrument", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "items": {"type": "array", "items": INSTRUMENT_SCHEMA}}}}}}})
def list_instruments() -> Any:
    """Every instrument, questions in the requested language."""
    language = _language()
    return jsonify(items=[i.as_dict(language) for i in instruments.catalogue().values()])


@bp.route("/screenings", methods=["POST"])
@requires("screenings.create")
@spec.operation("/screenings", "post", summary="Score and store a screening",
                requestBody={"required": True, "content": {
                    "application/json": {"schema": CREATE_SCHEMA}}},
                errors=(400, 401, 403, 422),
                responses={"201": {"description": "the stored screening", "content": {
                    "application/json": {"schema": SCREENING_SCHEMA}}}})
def create_screening() -> Any:
    """Record, score and store a whole screening in one call."""
    try:
        start, answers = payload.parse(json_body(), instruments.catalogue())
    except payload.PayloadError as error:
        raise ApiError(400, "invalid screening", error.fields) from error
    store, now = db.session(), clock.now()
    try:
        screening = services.start(store, current_user, start, now,
                                   current_app.config["RETENTION_DAYS"])
    except services.ScreeningError as error:
        raise ApiError(422, str(error), error.fields) from error
    services.save_answers(store, screening, answers, now)
    result = services.complete(store, screening, start.instrument, start.identity.age, now)
    case_id = services.announce(current_app._get_current_object(), screening)  # type: ignore[attr-defined]
    store.commit()
    return jsonify(_screening(screening, result, case_id)), 201


@bp.route("/screenings/<uuid:screening_id>")
@requires("screenings.read")
@spec.operation("/screenings/{screening_id}", "get", summary="A screening and its result",
                parameters=[{"name": "screening_id", "in": "path", "required": True,
                             "schema": {"type": "string", "format": "uuid"}}],
                errors=(401, 403, 404),
                responses={"200": {"description": "the screening", "content": {
                    "application/json": {"schema": SCREENING_SCHEMA}}}})
def get_screening(screening_id: uuid.UUID) -> Any:
    """One screening the caller may see."""
    store = db.session()
    screening = services.get(store, current_user, screening_id)
    body = _screening(screening, services.result(store, screening),
                      services.case_of(current_app._get_current_object(), screening))  # type: ignore[attr-defined]
    store.commit()
    return jsonify(body)


def _screening(screening: Any, result: dict[str, Any] | None,
               case_id: uuid.UUID | None) -> dict[str, Any]:
    return {"id": str(screening.id), "case_id": str(case_id) if case_id else None,
            "status": screening.status,
            "instrument": screening.instrument,
            "instrument_version": screening.instrument_version,
            "language": screening.language, "result": result,
            "created_at": screening.created_at.isoformat(),
            "completed_at": screening.completed_at.isoformat()
            if screening.completed_at else None}
