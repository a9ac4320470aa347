"""The access package's part of the JSON API: who am I, the audit log for auditors, and the
OpenAPI description."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from access import audit
from access.forms import AuditFilterForm
from access.guard import requires
from access.roles import Role
from core import db, paging
from core.api import CURSOR_PARAMETERS, ApiSpec, page_body, page_schema
from core.errors import MalformedRequest
from core.ratelimit import limit_api, per_user_and_address

bp = limit_api(Blueprint("access_api", __name__, url_prefix="/api/v1"))
spec = ApiSpec()

USER_SCHEMA = {
    "type": "object",
    "required": ["id", "email", "role"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "email": {"type": "string"},
        "role": {
            "type": "string",
            "enum": [role.value for role in Role],
        },
        "team": {"type": ["string", "null"]},
        "partner": {"type": ["string", "null"]},
    },
}


@bp.route("/me")
@requires("account.manage")
@spec.operation(
    "/me",
    "get",
    summary="The account the token belongs to",
    responses={
        "200": {
            "description": "the account",
            "content": {"application/json": {"schema": USER_SCHEMA}},
        }
    },
)
def me() -> Any:
    """The account behind the bearer token."""
    return jsonify(
        id=str(current_user.id),
        email=current_user.email,
        role=str(current_user.role),
        team=current_user.team.name if current_user.team else None,
        partner=current_user.partner.slug if current_user.partner else None,
    )


@bp.route("/openapi.json")
@requires("api.describe")
@spec.operation(
    "/openapi.json",
    "get",
    summary="This API's OpenAPI 3 description",
    responses={
        "200": {
            "description": "the OpenAPI document",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def openapi() -> Any:
    """The OpenAPI document of every endpoint under /api/v1."""
    return jsonify(current_app.extensions["passage.openapi"])


EVENT_SCHEMA = {
    "type": "object",
    "required": ["id", "seq", "at", "action", "outcome", "mac", "prev_mac"],
    "properties": {
        "id": {"type": "integer"},
        # Null until the sealer has chained the event (within AUDIT_SEAL_MAX_DELAY_MS).
        "seq": {"type": ["integer", "null"]},
        "at": {"type": "string"},
        "actor_id": {"type": ["string", "null"]},
        "actor_role": {"type": ["string", "null"]},
        "actor_org": {"type": ["string", "null"]},
        "action": {"type": "string"},
        "object_type": {"type": ["string", "null"]},
        "object_id": {"type": ["string", "null"]},
        "outcome": {"type": "string", "enum": list(audit.OUTCOMES)},
        "client_ip": {"type": ["string", "null"]},
        "request_id": {"type": ["string", "null"]},
        "details": {"type": "object"},
        "prev_mac": {"type": ["string", "null"]},
        "mac": {"type": ["string", "null"]},
    },
}
FILTER_PARAMETERS = [
    {"name": name, "in": "query", "schema": {"type": "string"}}
    for name in ("actor", "action", "object_type", "object_id", "outcome", "since", "until")
] + CURSOR_PARAMETERS
VERIFICATION_SCHEMA = {
    "type": "object",
    "required": ["ok", "entries_checked"],
    "properties": {
        "ok": {"type": "boolean"},
        "entries_checked": {"type": "integer"},
        "first_bad_seq": {"type": ["integer", "null"]},
        "reason": {"type": ["string", "null"]},
        "expected": {"type": ["string", "null"]},
        "found": {"type": ["string", "null"]},
        "last_checkpoint_seq": {"type": ["integer", "null"]},
        "unsealed": {"type": "integer"},
        "oldest_unsealed_seconds": {"type": ["number", "null"]},
        "first_bad_id": {"type": ["integer", "null"]},
    },
}


@bp.route("/audit/events")
@per_user_and_address("audit_rate_limit")
@requires("audit.read")
@spec.operation(
    "/audit/events",
    "get",
    summary="Audit events, filtered and paginated",
    description="Newest first. Follow next (as after=) to page back through the log: every "
    "page then costs the same, however deep; page=N still works, but reads every row before "
    "the page.",
    parameters=FILTER_PARAMETERS,
    errors=(400, 401, 403),
    responses={
        "200": {
            "description": "a page of events",
            "content": {"application/json": {"schema": page_schema(EVENT_SCHEMA, cursors=True)}},
        }
    },
)
def audit_events() -> Any:
    """A page of audit events, newest first."""
    form = AuditFilterForm(formdata=request.args)
    form.validate()
    filters = {
        name: " ".join(map(str, errors))
        for name, errors in form.errors.items()
        if name not in paging.LIMITS
    }
    if filters:
        # Bad filters and bad paging are told together, in one refusal; bad paging alone
        # as every list tells it.
        raise MalformedRequest("invalid filters", {**filters, **paging.problems()[1]})
    page = paging.read()
    store = db.session()
    shown = audit.read_page(store, form.filters(), page, via="api")
    store.commit()
    return jsonify(page_body(shown, [audit.as_dict(row) for row in shown.rows]))


@bp.route("/audit/verify")
@per_user_and_address("audit_rate_limit")
@requires("audit.read")
@spec.operation(
    "/audit/verify",
    "get",
    summary="Verify the audit chain now",
    errors=(401, 403),
    responses={
        "200": {
            "description": "the verification result",
            "content": {"application/json": {"schema": VERIFICATION_SCHEMA}},
        }
    },
)
def audit_verify() -> Any:
    """The result of walking the audit chain."""
    store = db.session()
    result = audit.run_verification(store, via="api")
    store.commit()
    return jsonify(result.as_dict())
