"""Errors at the edge: the JSON error shape for the API and plain, generic HTML pages elsewhere.

Neither ever carries a traceback, SQL, a path, a key or a person's data.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

# Codes and messages for the API's error shape; the message is safe to show anyone.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Please sign in"),
    403: _l("You are not allowed to do this"),
    404: _l("Page not found"),
    405: _l("This action is not available here"),
    413: _l("What you sent is too large"),
    429: _l("Too many attempts; please wait a moment"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is unavailable for a moment"),
}


class RefusedError(ValueError):
    """A request a service refuses as asked; ``fields`` says, field by field, what to fix.
    Views show it as form errors, the API as the JSON error shape."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class ApiError(Exception):
    """A client error in the JSON API, rendered as ``{"error": {...}}``."""

    def __init__(self, status: int, message: str, fields: dict[str, Any] | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.code = code or ERROR_CODES.get(status, "error")


def is_api_request() -> bool:
    """True when the current request is for the JSON API."""
    return request.path.startswith(API_PREFIX)


def json_error(status: int, message: str, fields: dict[str, Any] | None = None,
               code: str | None = None) -> Response:
    """Build the API's error response."""
    body = {"error": {"code": code or ERROR_CODES.get(status, "error"),
                      "message": message, "fields": fields or {}}}
    response = jsonify(body)
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into the JSON shape or a generic page."""
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected)


def _handle_api_error(error: ApiError) -> Response:
    return json_error(error.status, error.message, error.fields, error.code)


def _handle_http_error(error: HTTPException) -> Any:
    status = error.code or 500
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page is rendered.
        return Response(f"{TITLES[400]}\n", status=400, mimetype="text/plain")
    if is_api_request():
        response = json_error(status, str(TITLES.get(status, error.name)))
    else:
        title = TITLES.get(status, error.name)
        response = Response(render_template("errors/error.html", status=status, title=title),
                            status=status, mimetype="text/html")
    # Keep the headers werkzeug attaches (Allow on 405, Retry-After on 429).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _handle_unexpected(error: Exception) -> Any:
    # Log the type and where it happened, never the message: it may quote a person's data.
    # The traceback's frames and source lines are kept; values and the message are not.
    logger.error("unhandled %s in %s %s\n%s", type(error).__name__, request.method,
                 request.url_rule.rule if request.url_rule else "?",
                 "".join(traceback.format_tb(error.__traceback__)))
    return _handle_http_error(InternalServerError())
