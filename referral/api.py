"""The referral package's part of the JSON API: cases, their matches, referrals, the inbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify
from flask_login import current_user

from access.guard import requires
from core import clock, db, paging, settings
from core.api import CURSOR_PARAMETERS, ApiSpec, F, json_body, page_body, page_schema
from core.errors import MalformedRequest
from core.ratelimit import limit_api, per_user_and_address
from core.text import CONTROL_PROBLEM, has_control
from referral import cases, inbox, matching, overview, referrals
from referral.presenting import case_body, referral_body
from screening import opening
from screening import services as screenings

bp = limit_api(Blueprint("referral_api", __name__, url_prefix="/api/v1"))
spec = ApiSpec()


def _id(name: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
    ]


MATCH_SCHEMA = {"type": "object", "required": ["partner", "name", "score", "matched", "lacking"]}
REFERRAL_REQUIRED = ["id", "reference", "state", "urgency", "services", "created_at", "due_at"]
REFERENCE = {"type": "string", "pattern": "^[A-Z0-9]{4}-[A-Z0-9]{4}$"}
REFERRAL_SCHEMA = {
    "type": "object",
    "required": REFERRAL_REQUIRED,
    "properties": {"reference": REFERENCE},
}
# A referral just sent or moved also says how many people were told of it (referrals.Notified):
# 0 means nobody could be, and the caller should phone the other side with the reference.
MOVED_SCHEMA = {
    "type": "object",
    "required": [*REFERRAL_REQUIRED, "notified"],
    "properties": {"reference": REFERENCE, "notified": {"type": "integer", "minimum": 0}},
}
CASE_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "consent", "needs", "person", "screenings", "referrals"],
}
SEND_SCHEMA = {
    "type": "object",
    "required": ["partner", "services"],
    "properties": {
        "partner": {"type": "string", "maxLength": 64},
        "services": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": list(screenings.SERVICES)},
        },
        "share": {"type": "array", "items": {"type": "string", "enum": list(opening.SHAREABLE)}},
        "urgency": {"type": "string", "enum": list(referrals.URGENCIES)},
        "note": {"type": "string", "maxLength": referrals.NOTE_MAX},
    },
}
ANSWER_BODIES = {
    "accept": None,
    "withdraw": None,
    "decline": ("reason", referrals.DECLINE_REASONS),
    "close": ("outcome", referrals.OUTCOMES),
}


# What one call returns leads to the next: a screening to its case, a case to its matches and
# a referral to the best of them, a referral (sent, or in an inbox) to the answers it takes.
CASE_ID = {"case_id": "$response.body#/case_id"}
for _source, _method, _status in (
    ("/screenings", "post", 201),
    ("/referrals/{referral_id}", "get", 200),
):
    spec.link(_source, _method, _status, "GetCase", "get_case", parameters=CASE_ID)
    spec.link(_source, _method, _status, "GetMatches", "case_matches", parameters=CASE_ID)
    spec.link(_source, _method, _status, "SendReferral", "send_referral", parameters=CASE_ID)
spec.link(
    "/cases/{case_id}/matches",
    "get",
    200,
    "ReferToBestMatch",
    "send_referral",
    parameters={"case_id": "$request.path.case_id"},
    requestBody={"partner": "$response.body#/items/0/partner", "services": ["shelter"]},
)
for _source, _method, _status, _id_at in (
    ("/cases/{case_id}/referrals", "post", 201, "$response.body#/id"),
    ("/referrals", "get", 200, "$response.body#/items/0/id"),
):
    for _name, _target in (
        ("GetReferral", "get_referral"),
        ("Accept", "accept_referral"),
        ("Decline", "decline_referral"),
        ("Close", "close_referral"),
        ("Withdraw", "withdraw_referral"),
    ):
        spec.link(_source, _method, _status, _name, _target, parameters={"referral_id": _id_at})


@bp.route("/cases/<uuid:case_id>")
@requires("cases.read")
@spec.operation(
    "/cases/{case_id}",
    "get",
    summary="A case, its screenings and referrals",
    parameters=_id("case_id"),
    errors=(401, 403, 404),
    responses={
        "200": {"description": "the case", "content": {"application/json": {"schema": CASE_SCHEMA}}}
    },
)
def get_case(case_id: uuid.UUID) -> Any:
    """One case the caller is in charge of."""
    store, now = db.session(), clock.now()
    case = cases.get(store, current_user, case_id)
    body = case_body(store, overview.of(store, case, now.date()))
    store.commit()
    return jsonify(body)


@bp.route("/cases/<uuid:case_id>/matches")
@requires("cases.read")
@spec.operation(
    "/cases/{case_id}/matches",
    "get",
    summary="Partners ranked for a case",
    parameters=_id("case_id"),
    errors=(401, 403, 404),
    responses={
        "200": {
            "description": "matches, best first",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"items": {"type": "array", "items": MATCH_SCHEMA}},
                    }
                }
            },
        }
    },
)
def case_matches(case_id: uuid.UUID) -> Any:
    """Vetted partners in date that may serve the case, each with why."""
    store, now = db.session(), clock.now()
    case = cases.get(store, current_user, case_id)
    items = [
        {
            "partner": m.slug,
            "name": m.name,
            "score": m.score,
            "matched": m.matched,
            "lacking": m.lacking,
        }
        for m in overview.of(store, case, now.date()).matches
    ]
    store.commit()
    return jsonify(items=items)


def _strings(body: dict[str, Any], name: str) -> tuple[str, ...]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedRequest("invalid referral", {name: "must be a list of strings"})
    return tuple(value)


def _send_request(body: Any) -> referrals.Send:
    if not isinstance(body, dict):
        raise MalformedRequest("a JSON object is required")
    unknown = set(body) - set(SEND_SCHEMA["properties"])
    if unknown:
        raise MalformedRequest("invalid referral", {name: "unknown field" for name in unknown})
    partner, urgency, note = (
        body.get("partner"),
        body.get("urgency", "normal"),
        body.get("note", ""),
    )
    fields = {
        name: "must be a string"
        for name, value in (("partner", partner), ("urgency", urgency), ("note", note))
        if not isinstance(value, str)
    }
    if isinstance(note, str) and has_control(note, multiline=True):  # a textarea on the page
        fields["note"] = CONTROL_PROBLEM
    if fields or not isinstance(partner, str):  # a partner not a string is in fields
        raise MalformedRequest("invalid referral", fields)
    return referrals.Send(
        partner=partner,
        services=_strings(body, "services"),
        share=_strings(body, "share"),
        urgency=urgency,
        note=note,
    )


@bp.route("/cases/<uuid:case_id>/referrals", methods=["POST"])
@requires("cases.manage")
@spec.operation(
    "/cases/{case_id}/referrals",
    "post",
    summary="Refer a case to a partner with the consented fields",
    parameters=_id("case_id"),
    requestBody={"required": True, "content": {"application/json": {"schema": SEND_SCHEMA}}},
    errors=(400, 401, 403, 404, 409, 422),
    responses={
        "201": {
            "description": "the referral, and how many people were told of it",
            "content": {"application/json": {"schema": MOVED_SCHEMA}},
        }
    },
)
def send_referral(case_id: uuid.UUID) -> Any:
    """Send the case to one partner; 422 when consent or the directory forbids it, 409 when
    the partner already has an open referral of the case (core.errors answers both)."""
    send = _send_request(json_body())
    store, now = db.session(), clock.now()
    case = cases.get(store, current_user, case_id, "cases.manage")
    sent = referrals.send(
        store,
        current_user,
        case,
        send,
        now,
        referrals.Deadlines.from_settings(settings.current()),
        settings.current().retention_days,
    )
    body = {**referral_body(store, sent.referral, current_user), "notified": sent.told}
    store.commit()
    return jsonify(body), 201


@bp.route("/referrals")
@per_user_and_address("search_rate_limit")
@requires("referrals.read")
@spec.operation(
    "/referrals",
    "get",
    summary="Referrals: a partner's inbox, or what was sent",
    description="Open and urgent first, the longest waiting on top. Follow next (as after=) "
    "to page through: every page then costs the same, however deep; page=N still works, "
    "but reads every row before the page.",
    parameters=CURSOR_PARAMETERS,
    errors=(400, 401, 403),
    responses={
        "200": {
            "description": "a page of referrals",
            "content": {"application/json": {"schema": page_schema(REFERRAL_SCHEMA, cursors=True)}},
        }
    },
)
def list_referrals() -> Any:
    """Open and urgent first, the longest waiting on top."""
    page = paging.read()
    store = db.session()
    shown = inbox.list_for(store, current_user, page)
    names = matching.partner_names(store)
    store.commit()
    return jsonify(page_body(shown, [referrals.summary(r, names) for r in shown.rows]))


@bp.route("/referrals/<uuid:referral_id>")
@requires("referrals.read")
@spec.operation(
    "/referrals/{referral_id}",
    "get",
    summary="A referral and its packet",
    parameters=_id("referral_id"),
    errors=(401, 403, 404),
    responses={
        "200": {
            "description": "the referral",
            "content": {"application/json": {"schema": REFERRAL_SCHEMA}},
        }
    },
)
def get_referral(referral_id: uuid.UUID) -> Any:
    """The packet: the partner sees the consented fields sent, and nothing else."""
    store = db.session()
    referral = referrals.get(store, current_user, referral_id)
    body = referral_body(store, referral, current_user)
    store.commit()
    return jsonify(body)


def _answer_detail(action: str) -> str | None:
    # Accept and withdraw take no body; decline and close take an object of one string.
    wanted = ANSWER_BODIES[action]
    body = json_body()
    if wanted is None:
        return None
    name, allowed = wanted
    if not isinstance(body, dict):
        raise MalformedRequest(f"{action} needs a {name}", {name: "one of " + ", ".join(allowed)})
    fields = {key: "unknown field" for key in body if key != name}
    if not isinstance(body.get(name), str):
        fields[name] = "one of " + ", ".join(allowed)
    if fields:
        raise MalformedRequest(f"{action} needs a {name}", fields)
    answer: str = body[name]
    return answer


def _answer(referral_id: uuid.UUID, action: str) -> Any:
    # A reason not on the list is refused by the service (422), a move the referral's state
    # does not allow too (409); core.errors answers both, as for sending.
    detail = _answer_detail(action)
    store = db.session()
    moved = referrals.answer(
        store,
        current_user,
        referral_id,
        action,
        detail,
        clock.now(),
        settings.current().retention_days,
    )
    result = {**referral_body(store, moved.referral, current_user), "notified": moved.told}
    store.commit()
    return jsonify(result)


def _answer_operation(action: str, who: str) -> Callable[[F], F]:
    wanted = ANSWER_BODIES[action]
    extra: dict[str, Any] = {}
    if wanted:
        extra["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": [wanted[0]],
                        "properties": {wanted[0]: {"type": "string", "enum": list(wanted[1])}},
                    }
                }
            },
        }
    return spec.operation(
        f"/referrals/{{referral_id}}/{action}",
        "post",
        summary=f"{action.capitalize()} a referral ({who})",
        parameters=_id("referral_id"),
        errors=(400, 401, 403, 404, 409, 422),
        responses={
            "200": {
                "description": "the referral, and how many people were told of it",
                "content": {"application/json": {"schema": MOVED_SCHEMA}},
            }
        },
        **extra,
    )


@bp.route("/referrals/<uuid:referral_id>/accept", methods=["POST"])
@requires("referrals.respond")
@_answer_operation("accept", "receiving partner")
def accept_referral(referral_id: uuid.UUID) -> Any:
    """Accept: exactly one acceptance, whatever the concurrency."""
    return _answer(referral_id, "accept")


@bp.route("/referrals/<uuid:referral_id>/decline", methods=["POST"])
@requires("referrals.respond")
@_answer_operation("decline", "receiving partner")
def decline_referral(referral_id: uuid.UUID) -> Any:
    """Decline with a reason; the sender is offered the next partner."""
    return _answer(referral_id, "decline")


@bp.route("/referrals/<uuid:referral_id>/close", methods=["POST"])
@requires("referrals.respond")
@_answer_operation("close", "receiving partner")
def close_referral(referral_id: uuid.UUID) -> Any:
    """Close an accepted referral with its outcome."""
    return _answer(referral_id, "close")


@bp.route("/referrals/<uuid:referral_id>/withdraw", methods=["POST"])
@requires("referrals.withdraw")
@_answer_operation("withdraw", "sender")
def withdraw_referral(referral_id: uuid.UUID) -> Any:
    """Withdraw a referral not yet closed."""
    return _answer(referral_id, "withdraw")
