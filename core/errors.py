"""Errors at the edge: the JSON error shape for the API and plain, generic HTML pages elsewhere.

Neither ever carries a traceback, SQL, a path, a key or a person's data.

Every refusal of a request is a :class:`RefusedError` raised where the problem is found, with
its fields; its ``kind`` alone decides the status, here, once for the API and once for the
pages (docs/architecture.md, "Refusals and errors"). Views that show a form catch refusals to
put them on its fields; any other refusal reaches the handler below, never a 500.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any, ClassVar, Self

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from core import datakeys, db

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
    415: _l("This page takes only what its own form sends"),
    429: _l("Too many attempts; please wait a moment"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is unavailable for a moment"),
}
# A refused request changed nothing, whatever the rule or the state that refused it.
TITLES[409] = TITLES[422] = _l("Refused. Nothing was changed.")

# What is wrong with a refused request decides its status, in the API and on the pages alike.
SHAPE = "shape"  # the request itself is malformed: a missing or mistyped field, bad paging
RULE = "rule"  # well formed, but a rule refuses it: no consent, an unknown partner
STATE = "state"  # allowed, but not in the object's present state: already answered
STATUS_OF_KIND = {SHAPE: 400, RULE: 422, STATE: 409}


class RefusedError(ValueError):
    """A request refused as asked; ``fields`` says, field by field, what to fix, under the
    names the caller used (``answers.b2``, ``partner.slug``). Views show it as form errors,
    the API as the JSON error shape; ``kind`` says which status (:data:`STATUS_OF_KIND`).
    A subclass names its domain; one whose refusals differ in kind mixes in
    :class:`MalformedRequest` or :class:`NotNow` for those."""

    kind: ClassVar[str] = RULE

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}

    @classmethod
    def on(cls, field: str, message: str) -> Self:
        """A refusal about one field, whose problem is the message itself."""
        return cls(message, {field: message})

    @property
    def status(self) -> int:
        """The HTTP status this refusal answers with, wherever it is raised."""
        return STATUS_OF_KIND[self.kind]


class MalformedRequest(RefusedError):
    """The request's shape is wrong: a body that is not the object expected, a field of the
    wrong type, paging that is not a whole number in range (400)."""

    kind = SHAPE


class NotNow(RefusedError):
    """The user may act on the object, but not in its present state (409): a referral
    already answered, a screening already completed or with a red flag waiting."""

    kind = STATE


class ApiError(Exception):
    """A client error in the JSON API, rendered as ``{"error": {...}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.code = code or ERROR_CODES.get(status, "error")


def is_api_request() -> bool:
    """True when the current request is for the JSON API."""
    return request.path.startswith(API_PREFIX)


def json_error(
    status: int, message: str, fields: dict[str, Any] | None = None, code: str | None = None
) -> Response:
    """Build the API's error response."""
    body = {
        "error": {
            "code": code or ERROR_CODES.get(status, "error"),
            "message": message,
            "fields": fields or {},
        }
    }
    response = jsonify(body)
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into the JSON shape or a generic page."""
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(RefusedError, _handle_refusal)
    app.register_error_handler(datakeys.ShreddedError, _handle_erased)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected)


def _handle_api_error(error: ApiError) -> Response:
    db.discard()  # as for a refusal: nothing the request did before is kept
    return json_error(error.status, error.message, error.fields, error.code)


def _handle_refusal(error: RefusedError) -> Any:
    # A refused request changes nothing: whatever it wrote before the refusal is undone now,
    # before the page is rendered (rendering may flush the session).
    db.discard()
    if is_api_request():
        # str(): a message may be a lazily translated string, in the request's language.
        return json_error(
            error.status, str(error), {name: str(problem) for name, problem in error.fields.items()}
        )
    return Response(
        render_template("errors/error.html", status=error.status, title=TITLES[error.status]),
        status=error.status,
        mimetype="text/html",
    )


ERASED = _l("This record was erased at the end of its retention period.")


def _handle_erased(_error: datakeys.ShreddedError) -> Any:
    # Past retention a person's data key is destroyed: what it sealed can never be read, nor
    # sealed again. Said as such wherever it is met (409 in the API: the record's state;
    # 410 on a page: gone), and nothing the request did before is kept.
    db.discard()
    if is_api_request():
        message = "this record was erased at the end of its retention"
        return json_error(409, message, {"status": "erased"})
    page = render_template("errors/error.html", status=410, title=ERASED)
    return Response(page, status=410, mimetype="text/html")


def _handle_http_error(error: HTTPException) -> Any:
    # An error page shows nothing of what the request read or wrote: its changes (and the
    # audit events of accesses it did not complete) are dropped, as for a refusal.
    db.discard()
    status = error.code or 500
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page is rendered.
        return Response(f"{TITLES[400]}\n", status=400, mimetype="text/plain")
    if is_api_request():
        response = json_error(status, str(TITLES.get(status, error.name)))
    else:
        title = TITLES.get(status, error.name)
        response = Response(
            render_template("errors/error.html", status=status, title=title),
            status=status,
            mimetype="text/html",
        )
    # Keep the headers werkzeug attaches (Allow on 405, Retry-After on 429).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _handle_unexpected(error: Exception) -> Any:
    # Log the type and where it happened, never the message: it may quote a person's data.
    # The traceback's frames and source lines are kept; values and the message are not.
    logger.error(
        "unhandled %s in %s %s\n%s",
        type(error).__name__,
        request.method,
        request.url_rule.rule if request.url_rule else "?",
        "".join(traceback.format_tb(error.__traceback__)),
    )
    return _handle_http_error(InternalServerError())
