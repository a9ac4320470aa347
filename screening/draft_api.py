"""The screening API's draft, one step at a time: the next question, saving answers, asking
again from one answer on, recording what was done about red flags, and completing
(docs/screening.md §4, §4.1.1 and §7; README, *API*). ``POST /screenings`` with
``"complete": false`` opens the draft (screening/api.py); these endpoints register on that
module's blueprint and OpenAPI description, and share its helpers for the draft's body."""

from __future__ import annotations

import uuid
from typing import Any

from flask import jsonify
from flask_login import current_user

from access.guard import requires
from core import clock, db
from core.api import json_body
from core.errors import MalformedRequest
from screening import instruments, interview, revisit, services
from screening.api import bp, draft_body, record_action, screening_body, spec
from screening.api_schemas import (
    ACTION_SCHEMA,
    ANSWERS_SCHEMA,
    DRAFT_SCHEMA,
    ID_PARAMETER,
    SCREENING_SCHEMA,
)


def _draft_of(screening_id: uuid.UUID) -> tuple[Any, Any, instruments.Instrument]:
    store = db.session()
    screening = services.get(store, current_user, screening_id)
    return store, screening, instruments.catalogue()[screening.instrument]


@bp.route("/screenings/<uuid:screening_id>/next")
@requires("screenings.read")
@spec.operation(
    "/screenings/{screening_id}/next",
    "get",
    summary="The next question",
    parameters=ID_PARAMETER,
    errors=(401, 403, 404, 409),
    responses={
        "200": {
            "description": "the draft with its next step",
            "content": {"application/json": {"schema": DRAFT_SCHEMA}},
        }
    },
)
def next_question(screening_id: uuid.UUID) -> Any:
    """What to ask next (one gate, member, "when?" or follow-up), in the interview
    language, with the red flags raised so far and those still waiting for an action."""
    store, screening, instrument = _draft_of(screening_id)
    services.still_draft(screening)
    body = draft_body(store, screening, instrument)
    store.commit()
    return jsonify(body)


@bp.route("/screenings/<uuid:screening_id>/answers", methods=["POST"])
@requires("screenings.read")
@spec.operation(
    "/screenings/{screening_id}/answers",
    "post",
    summary="Answer one page of the interview",
    parameters=ID_PARAMETER,
    requestBody={
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["answers"],
                    "additionalProperties": False,
                    "properties": {"answers": ANSWERS_SCHEMA},
                }
            }
        },
    },
    errors=(400, 401, 403, 404, 409, 422),
    responses={
        "200": {
            "description": "saved; the red flags this answer raised and the next step",
            "content": {"application/json": {"schema": DRAFT_SCHEMA}},
        }
    },
)
def post_answers(screening_id: uuid.UUID) -> Any:
    """Save answers (usually the one the last ``next`` asked); ``raised`` names the red
    flags they raised, with their protocols, at once."""
    body = json_body()
    if (
        not isinstance(body, dict)
        or set(body) != {"answers"}
        or not isinstance(body["answers"], dict)
    ):
        raise MalformedRequest("invalid answers", {"answers": "required object of key to answer"})
    store, screening, instrument = _draft_of(screening_id)
    services.still_draft(screening)
    raised = interview.record(store, screening, instrument, body["answers"], clock.now())
    store.commit()
    return jsonify({**draft_body(store, screening, instrument), "raised": raised})


@bp.route("/screenings/<uuid:screening_id>/reopen", methods=["POST"])
@requires("screenings.read")
@spec.operation(
    "/screenings/{screening_id}/reopen",
    "post",
    summary="Ask again from one answer on",
    parameters=ID_PARAMETER,
    requestBody={
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["key"],
                    "additionalProperties": False,
                    "properties": {"key": {"type": "string", "maxLength": 100}},
                }
            }
        },
    },
    errors=(400, 401, 403, 404, 409),
    responses={
        "200": {
            "description": "cleared; the next step is the reopened question",
            "content": {"application/json": {"schema": DRAFT_SCHEMA}},
        }
    },
)
def reopen(screening_id: uuid.UUID) -> Any:
    """Clear the answer stored under ``key`` and every answer given after it, as the review
    page's "Change" does (docs/screening.md §4.1.1); ``next`` then asks that question."""
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"key"} or not isinstance(body["key"], str):
        raise MalformedRequest("invalid key", {"key": "required string: an answer's key"})
    store, screening, instrument = _draft_of(screening_id)
    services.still_draft(screening)
    if not revisit.change(store, screening, instrument, body["key"], clock.now()):
        raise services.ScreeningConflict(
            "no answer of this interview is stored under that key",
            {"key": "not the key of an answer given in this interview"},
        )
    store.commit()
    return jsonify(draft_body(store, screening, instrument))


@bp.route("/screenings/<uuid:screening_id>/red-flag-actions", methods=["POST"])
@requires("screenings.read")
@spec.operation(
    "/screenings/{screening_id}/red-flag-actions",
    "post",
    summary="Record what was done about red flags",
    parameters=ID_PARAMETER,
    requestBody={"required": True, "content": {"application/json": {"schema": ACTION_SCHEMA}}},
    errors=(400, 401, 403, 404, 409, 422),
    responses={
        "201": {
            "description": "recorded",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def post_red_flag_action(screening_id: uuid.UUID) -> Any:
    """Record who was contacted, when, what was done and the outcome (also after the
    screening is completed: help often comes later)."""
    body = json_body()
    if not isinstance(body, dict):
        raise MalformedRequest("invalid action", {"body": "must be a JSON object"})
    store, screening, _instrument = _draft_of(screening_id)
    record_action(store, screening, body)
    store.commit()
    return jsonify({"recorded": True, "flags": body.get("flags")}), 201


@bp.route("/screenings/<uuid:screening_id>/complete", methods=["POST"])
@requires("screenings.read")
@spec.operation(
    "/screenings/{screening_id}/complete",
    "post",
    summary="Score and complete a draft",
    parameters=ID_PARAMETER,
    errors=(401, 403, 404, 409),
    responses={
        "200": {
            "description": "the completed screening",
            "content": {"application/json": {"schema": SCREENING_SCHEMA}},
        }
    },
)
def complete(screening_id: uuid.UUID) -> Any:
    """Complete the draft with what was answered (questions not reached count as unknown
    for an adult); refused while a red flag waits for its action."""
    store, screening, instrument = _draft_of(screening_id)
    services.still_draft(screening)
    age = services.subject(store, screening).age
    result = interview.finish(store, screening, instrument, age, clock.now())
    case_id = services.case_of(screening)
    store.commit()
    return jsonify(screening_body(screening, result, case_id))
