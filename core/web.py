"""HTTP hardening applied to every request and response: security headers, caching rules,
trusted proxies, bodies refused at the door (NUL characters; JSON or files sent to a page);
the one check of every ``next`` address a page redirects to; the status of a page whose form
its own checks sent back, and the one way a page puts a service's refusal on its form."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from werkzeug.exceptions import BadRequest, MethodNotAllowed, UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix

from core import errors, settings

if TYPE_CHECKING:
    from flask_wtf import FlaskForm

    from core.errors import RefusedError

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
        "interest-cohort=(), browsing-topics=()"
    ),
}

HSTS = "max-age=31536000; includeSubDomains"
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


def _json_text(raw: bytes) -> str:
    # In whichever encoding json.loads would read it (UTF-8, -16 or -32), so that a NUL
    # escaped in UTF-16 is seen as one in UTF-8 is; bytes no encoding reads say nothing.
    try:
        return raw.decode(json.detect_encoding(raw))
    except UnicodeDecodeError:
        return ""


def init_app(app: Flask) -> None:
    """Trust ``TRUSTED_PROXIES`` reverse proxies and add the headers to every response."""
    config = settings.of(app)
    hops = config.trusted_proxies
    if hops:
        # Flask's documented way to wrap its WSGI app, which its hints declare as a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    hsts = config.session_cookie_secure

    @app.before_request
    def refuse_nul_characters() -> None:
        # No text anyone types contains NUL, and PostgreSQL cannot store it: refuse it at the
        # door rather than fail deep inside a query.
        values = [*request.args.values(), *request.form.values()]
        if any("\x00" in value for value in values) or (
            request.is_json and "\\u0000" in _json_text(request.get_data())
        ):
            raise BadRequest("NUL characters are not allowed")

    @app.before_request
    def refuse_options_on_the_api() -> None:
        # The API answers JSON only, and serves no other site (no CORS): Flask's automatic
        # answer to OPTIONS, an empty page labelled HTML, gives way to the JSON 405.
        if request.method == "OPTIONS" and errors.is_api_request() and request.url_rule:
            allowed = sorted((request.url_rule.methods or set()) - {"OPTIONS"})
            raise MethodNotAllowed(valid_methods=allowed)

    @app.before_request
    def refuse_what_no_form_sends() -> None:
        # A page's form sends text fields. Flask-WTF would also read a JSON body, or an
        # uploaded file, as a form's fields: numbers, lists, objects, lone surrogates or files
        # where every form and service expects text. The API takes JSON; the pages take none.
        if request.method in ("GET", "HEAD", "OPTIONS") or errors.is_api_request():
            return
        if request.is_json or request.files:
            raise UnsupportedMediaType()

    @app.before_request
    def assign_request_id() -> None:
        # Ties audit events and log lines of one request together; a proxy may supply it.
        supplied = request.headers.get("X-Request-Id", "")
        g.request_id = supplied if REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        if hsts:
            response.headers["Strict-Transport-Security"] = HSTS
        if not (request.endpoint == "static" and response.status_code in (200, 304)):
            # Pages may show personal data: never keep them in a browser or proxy cache.
            # Only static files under their fingerprinted names are kept (core.static_files).
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        response.headers.pop("Server", None)
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response


def safe_next(target: str | None, within: str = "/") -> str | None:
    """``target`` if it is a path on this site under ``within``, else None: no open redirects
    (another site, ``//host``, a backslash that browsers read as a slash), and no control
    characters that could split the Location header or hide where it leads. A trailing ``?``
    (Flask's ``full_path`` of a request without a query) is dropped. Every ``next`` is checked
    here: after signing in, re-authenticating, switching the language, recording a red flag's
    action."""
    if not target or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in target):
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith(within)
        or target.startswith("//")
        or "\\" in target
    ):
        return None
    return target.rstrip("?")


def form_status(form: FlaskForm) -> int:
    """The status of a page showing ``form``: 200 when it is only shown, 400 when it was sent
    and its own checks refused it (a field missing, too long, not one of its choices: the
    request's shape). A view whose service then refuses the form answers the refusal's status
    instead (:func:`show_refusal`; docs/architecture.md, "Refusals and errors")."""
    return 400 if form.is_submitted() else 200


def show_refusal(
    form: FlaskForm,
    error: RefusedError,
    *,
    fallback: str | None = None,
    names: Mapping[str, str | None] | None = None,
    instead: str | None = None,
) -> int:
    """Put a service's refusal on the page's ``form`` and return its status (422 for a rule,
    409 for a state: docs/architecture.md, "Refusals and errors"). Each problem goes, in the
    service's own words, on the field it names; ``names`` maps the service's names to the
    form's where they differ (None: about the form as a whole). A problem naming no field of
    the form goes on the ``fallback`` field, or else above the form (``form.form_errors``,
    which the page shows or the view flashes), said as ``instead`` when the service's words
    for it are not this page's. Each message is said once in each place."""
    names = names or {}
    for name, problem in error.fields.items():
        if name in names:
            target, words = names[name], problem
        elif name in form:
            target, words = name, problem
        else:
            target, words = fallback, instead or problem
        if target is not None and target in form:
            field = form[target]
            if words not in field.errors:
                # A new list: a field no validator has run on holds WTForms' shared tuple.
                field.errors = [*field.errors, words]
        elif words not in form.form_errors:
            form.form_errors.append(words)
    return error.status
