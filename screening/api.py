"""The screening package's part of the JSON API: instruments, and screenings in one call or
opened as a draft, and read back. The draft's steps (next question, answers, reopen, red-flag
actions, complete) are in screening/draft_api.py, on this module's blueprint and OpenAPI
spec; the bodies both answer with, and the red-flag action both record, are built here."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from access.guard import requires
from core import clock, datakeys, db, settings
from core.api import ApiSpec, json_body
from core.errors import MalformedRequest
from core.ratelimit import limit_api
from core.text import CONTROL_PROBLEM, has_control
from screening import (
    idempotency,
    instruments,
    interview,
    payload,
    protocols,
    red_flags,
    services,
)
from screening.api_schemas import (
    ACTION_SCHEMA,
    CREATE_SCHEMA,
    DRAFT_SCHEMA,
    INSTRUMENT_SCHEMA,
    SCREENING_SCHEMA,
)

bp = limit_api(Blueprint("screening_api", __name__, url_prefix="/api/v1"))
spec = ApiSpec()

spec.link(
    "/screenings",
    "post",
    201,
    "GetScreening",
    "get_screening",
    parameters={"screening_id": "$response.body#/id"},
)


def _language() -> str:
    language = request.args.get("language", "en")
    if language not in instruments.LANGUAGES:
        raise MalformedRequest(
            "unknown language", {"language": "must be one of " + ", ".join(instruments.LANGUAGES)}
        )
    return language


@bp.route("/instruments")
@requires("instruments.read")
@spec.operation(
    "/instruments",
    "get",
    summary="Instruments with their indicators",
    parameters=[
        {
            "name": "language",
            "in": "query",
            "schema": {"type": "string", "enum": list(instruments.LANGUAGES)},
        }
    ],
    errors=(400, 401),
    responses={
        "200": {
            "description": "every instrument",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"items": {"type": "array", "items": INSTRUMENT_SCHEMA}},
                    }
                }
            },
        }
    },
)
def list_instruments() -> Any:
    """Every instrument, questions in the requested language."""
    language = _language()
    return jsonify(items=[i.as_dict(language) for i in instruments.catalogue().values()])


@bp.route("/screenings", methods=["POST"])
@requires("screenings.create")
@spec.operation(
    "/screenings",
    "post",
    summary="Start, or score and store, a screening",
    parameters=[
        {
            "name": idempotency.HEADER,
            "in": "header",
            "required": False,
            "description": "a new random key per screening, such as a UUID: sent again with "
            "the same body, the screening the first call stored is answered again",
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{8,100}$"},
        }
    ],
    requestBody={"required": True, "content": {"application/json": {"schema": CREATE_SCHEMA}}},
    errors=(400, 401, 403, 409, 422),
    responses={
        "201": {
            "description": "the stored screening (a draft when complete is false)",
            "content": {"application/json": {"schema": SCREENING_SCHEMA}},
        },
        "202": {
            "description": "stored as a draft: red flags wait for the action taken",
            "content": {"application/json": {"schema": DRAFT_SCHEMA}},
        },
    },
)
def create_screening() -> Any:
    """Record, score and store a whole screening in one call; or, with ``complete`` false,
    open a draft to go through question by question (``GET …/next``). A red flag raised
    by the answers keeps the screening a draft until what was done is recorded, in
    ``red_flag_actions`` or with ``POST …/red-flag-actions``."""
    # Refusals (a malformed body, no consent, a bad red-flag action) reach the one handler
    # in core.errors, which answers by their kind and rolls back what was started.
    body = json_body()
    claimed = idempotency.claim(request.headers.get(idempotency.HEADER), current_user.id, body)
    store = db.session()
    earlier = idempotency.earlier(store, current_user, claimed)
    if earlier is not None:
        return replay(store, earlier)
    start, answers = payload.parse(body, instruments.catalogue())
    if claimed is not None:
        start = replace(start, key=claimed.key, digest=claimed.digest)
    try:
        return create(store, body, start, answers)
    except IntegrityError:
        # The same key sent again while the first was being written: answer with what the
        # first stored (the person is recorded once).
        store.rollback()
        earlier = idempotency.earlier(store, current_user, claimed)
        if earlier is None:
            raise
        return replay(store, earlier)


def create(store: Any, body: Any, start: Any, answers: dict[str, str]) -> tuple[Response, int]:
    """Store a new screening as asked, and the answer to give."""
    now = clock.now()
    screening = services.start(store, current_user, start, now, settings.current().retention_days)
    interview.record(store, screening, start.instrument, answers, now)
    for action in body.get("red_flag_actions") or []:
        record_action(store, screening, action)
    if body.get("complete", True) is False or interview.waiting(store, screening, start.instrument):
        store.commit()
        draft = draft_body(store, screening, start.instrument)
        return jsonify(draft), 202 if draft["waiting"] else 201
    result = interview.finish(store, screening, start.instrument, start.identity.age, now)
    case_id = services.case_of(screening)
    store.commit()
    return jsonify(screening_body(screening, result, case_id)), 201


def replay(store: Any, screening: Any) -> tuple[Response, int]:
    """The answer to a screening sent again with its key: the screening as it is now, read
    (and audited) as ``GET /screenings/{id}`` would, marked ``Idempotent-Replayed``."""
    screening = services.get(store, current_user, screening.id)
    if screening.status == "draft":
        draft = draft_body(store, screening, instruments.catalogue()[screening.instrument])
        response, status = jsonify(draft), 202 if draft["waiting"] else 201
    else:
        response, status = jsonify(stored_body(store, screening)), 201
    store.commit()
    response.headers["Idempotent-Replayed"] = "true"
    return response, status


def draft_body(store: Any, screening: Any, instrument: instruments.Instrument) -> dict[str, Any]:
    """A draft as the API gives it: its flags, urgency, what waits and the next step."""
    flags = interview.raised(instrument, screening, services.answers(store, screening))
    child = interview.is_child(screening)
    step = interview.next_step(store, screening, instrument)
    return {
        "id": str(screening.id),
        "status": screening.status,
        "instrument": screening.instrument,
        "instrument_version": screening.instrument_version,
        "language": screening.language,
        "result": None,
        "urgent": interview.urgent(instrument, screening, services.answers(store, screening)),
        "red_flags": flags,
        "waiting": interview.waiting(store, screening, instrument),
        "protocols": protocols.protocols(flags, child, screening.language, protocols.configured()),
        "next": interview.describe(instrument, step, services.voice(store, screening)),
        "created_at": screening.created_at.isoformat(),
        "completed_at": None,
    }


def record_action(store: Any, screening: Any, data: Any) -> None:
    """Record one red-flag action from a request body, checked first."""
    # Fields of the wrong type are the body's shape (400); what the service refuses of
    # well-typed values (a time in the future, an unknown flag) is its rule (422).
    if not isinstance(data, dict):
        raise services.ScreeningMalformed("invalid action", {"action": "must be an object"})
    # A misspelt field ("outcomes") would be dropped while the answer says recorded: what was
    # done for a person in danger must not vanish unnoticed.
    unknown = sorted(set(data) - set(cast(dict[str, Any], ACTION_SCHEMA["properties"])))
    if unknown:
        raise services.ScreeningMalformed(
            "invalid action", {name: "unknown field" for name in unknown}
        )
    try:
        acted_at = datetime.fromisoformat(str(data.get("acted_at")))
    except ValueError as error:
        raise services.ScreeningMalformed(
            "invalid action", {"acted_at": "must be an ISO 8601 date and time"}
        ) from error
    if acted_at.tzinfo is None:
        acted_at = acted_at.replace(tzinfo=UTC)
    lists: dict[str, list[str]] = {}
    for name in ("flags", "contacted"):
        value = data.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise services.ScreeningMalformed("invalid action", {name: "must be a list of ids"})
        lists[name] = value
    texts = {name: data.get(name) for name in ("outcome", "contacted_note")}
    if any(v is not None and not isinstance(v, str) for v in texts.values()) or not isinstance(
        data.get("action"), str
    ):
        raise services.ScreeningMalformed(
            "invalid action", {"action": "action, outcome and contacted_note must be text"}
        )
    # The same rule as the page's form: the note is one line, the outcome may be several.
    controls = {
        name: CONTROL_PROBLEM
        for name, multiline in (("contacted_note", False), ("outcome", True))
        if has_control(texts[name] or "", multiline=multiline)
    }
    if controls:
        raise services.ScreeningMalformed("invalid action", controls)
    red_flags.record_action(
        store,
        current_user,
        screening,
        lists["flags"],
        lists["contacted"],
        acted_at,
        data["action"],
        texts["outcome"],
        clock.now(),
        contacted_note=texts["contacted_note"],
    )


@bp.route("/screenings/<uuid:screening_id>")
@requires("screenings.read")
@spec.operation(
    "/screenings/{screening_id}",
    "get",
    summary="A screening and its result",
    parameters=[
        {
            "name": "screening_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
    ],
    errors=(401, 403, 404),
    responses={
        "200": {
            "description": "the screening",
            "content": {"application/json": {"schema": SCREENING_SCHEMA}},
        }
    },
)
def get_screening(screening_id: uuid.UUID) -> Any:
    """One screening the caller may see."""
    store = db.session()
    body = stored_body(store, services.get(store, current_user, screening_id))
    store.commit()
    return jsonify(body)


def stored_body(store: Any, screening: Any) -> dict[str, Any]:
    """A stored screening as the API gives it, its result opened."""
    try:
        result = services.result(store, screening)
    except datakeys.ShreddedError:
        result = None  # erased at the end of its retention: the clear facts stay
    return screening_body(screening, result, services.case_of(screening))


def screening_body(
    screening: Any, result: dict[str, Any] | None, case_id: uuid.UUID | None
) -> dict[str, Any]:
    """A completed screening as the API gives it, with its result and case."""
    return {
        "id": str(screening.id),
        "case_id": str(case_id) if case_id else None,
        "status": screening.status,
        "instrument": screening.instrument,
        "instrument_version": screening.instrument_version,
        "language": screening.language,
        "result": result,
        "created_at": screening.created_at.isoformat(),
        "completed_at": screening.completed_at.isoformat() if screening.completed_at else None,
    }


# The draft's endpoints, one step at a time, register on this blueprint and this spec
# (screening/draft_api.py).
from screening import draft_api  # noqa: E402,F401
