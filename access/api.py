"""The access package's part of the JSON API: who am I, and the OpenAPI description."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask_login import current_user

from access.policy import requires
from core.api import ApiSpec
from core.ratelimit import limit_api

bp = limit_api(Blueprint("access_api", __name__, url_prefix="/api/v1"))
spec = ApiSpec()

USER_SCHEMA = {
    "type": "object",
    "required": ["id", "email", "role"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "email": {"type": "string"},
        "role": {"type": "string",
                 "enum": ["screener", "supervisor", "partner", "auditor", "admin"]},
        "team": {"type": ["string", "null"]},
        "partner": {"type": ["string", "null"]},
    },
}


@bp.route("/me")
@requires("account.manage")
@spec.operation("/me", "get", summary="The account the token belongs to",
                responses={"200": {"description": "the account",
                                   "content": {"application/json": {"schema": USER_SCHEMA}}}})
def me() -> Any:
    """The account behind the bearer token."""
    return jsonify(id=str(current_user.id), email=current_user.email,
                   role=str(current_user.role),
                   team=current_user.team.name if current_user.team else None,
                   partner=current_user.partner.slug if current_user.partner else None)


@bp.route("/openapi.json")
@requires("api.describe")
@spec.operation("/openapi.json", "get", summary="This API's OpenAPI 3 description",
                responses={"200": {"description": "the OpenAPI document", "content": {
                    "application/json": {"schema": {"type": "object"}}}}})
def openapi() -> Any:
    """The OpenAPI document of every endpoint under /api/v1."""
    return jsonify(current_app.extensions["passage.openapi"])
