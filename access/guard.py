"""The request guard: every view declares the access rule it needs, and the guard enforces
it before every request (docs/access-policy.md; requirements R17, R19, R46 and R59 of
docs/security.md).

A view declares :func:`public` (reachable without signing in) or :func:`requires` (an action
of ``access.policy.PERMISSIONS``, perhaps with ``step_up``). The guard, installed by
:func:`init_app`, denies by default (R19): an endpoint that declared nothing answers 403; a
visitor who is not signed in is sent to sign in (the API answers 401); a role the policy does
not grant the action gets 403, and the refusal is audited as ``access.denied`` (R46); an
action declared with ``step_up`` needs both factors proved within ``STEP_UP_MAX_AGE``, or the
request is audited as ``step_up.required`` and sent to re-authenticate first (R17). The module
also records requests refused by a rate limit (R59). Which role may take which action, on
which object, is ``access.policy``'s to say: the guard asks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from access import audit, refusals
from access.policy import PERMISSIONS, audit_denial, authorize
from core import clock, db, settings
from core.errors import ApiError, is_api_request
from core.web import safe_next

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Rule:
    """What an endpoint needs: nothing (public), or an action, perhaps with a recent re-auth."""

    action: str | None
    step_up: bool = False


def public(view: F) -> F:
    """Declare ``view`` reachable without signing in."""
    # mypy cannot type an attribute set on a function; rule_for() reads it back.
    view.passage_rule = Rule(None)  # type: ignore[attr-defined]
    return view


def requires(action: str, *, step_up: bool = False) -> Callable[[F], F]:
    """Declare that ``view`` needs ``action`` (and, with ``step_up``, a recent re-auth)."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}: add it to access.policy.PERMISSIONS")

    def declare(view: F) -> F:
        view.passage_rule = Rule(action, step_up)  # type: ignore[attr-defined]
        return view

    return declare


def rule_for(app: Flask, endpoint: str) -> Rule | None:
    """The rule ``endpoint`` declared, or None when it declared none."""
    if endpoint == "static":
        return Rule(None)
    return getattr(app.view_functions.get(endpoint), "passage_rule", None)


def recently_authenticated(now: datetime) -> bool:
    """Whether the current web session proved both factors within ``STEP_UP_MAX_AGE``."""
    proved = session.get("auth_at")
    limit = timedelta(seconds=settings.current().step_up_max_age)
    return proved is not None and now - datetime.fromisoformat(proved) <= limit


def _guard() -> Any:
    if request.endpoint is None:
        return None  # no route: routing answers 404/405
    rule = rule_for(current_app, request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        raise Forbidden()
    if rule.action is None:
        return None
    if not current_user.is_authenticated:
        return _not_signed_in()
    if not authorize(current_user, rule.action):
        audit_denial(rule.action, request.endpoint)
        if is_api_request():
            raise ApiError(403, "not allowed for your role")
        raise Forbidden()
    if rule.step_up and not recently_authenticated(clock.now()):
        store = db.session()
        audit.record(store, "step_up.required", "denied", details={"endpoint": request.endpoint})
        store.commit()
        flash(_l("Confirm it is you before going on."), "info")
        return redirect(url_for("access.reauth", next=safe_next(request.full_path)))
    db.end_sign_in_reads(db.session())
    return None


def _not_signed_in() -> Any:
    if is_api_request():
        raise ApiError(401, "a valid bearer token is required")
    expired = getattr(session, "expired", None)
    if expired:
        flash(
            _l("You were signed out after a period of inactivity. Please sign in again.")
            if expired == "idle"
            else _l("Your session has ended. Please sign in again."),
            "info",
        )
    pending = session.get("pending_step")
    if pending in ("code", "enrol"):
        return redirect(url_for(f"access.{pending}"))
    target = safe_next(request.full_path) if request.method == "GET" else None
    return redirect(url_for("access.login", next=target))


def audit_rate_limited(limit: str, seconds: int, client: str, per: str) -> None:
    """Record a request refused by a rate limit (committed on its own): one audit event per
    client (an address, or ``user:<id>`` for a limit per user), limit and window, and a count
    of the refusals (``access.refusals``); ``per`` says which the limit counts."""
    store = db.session()
    store.rollback()
    refusals.record_refusal(
        store,
        client=client,
        per=per,
        limit=limit,
        window_seconds=seconds,
        endpoint=request.endpoint,
        now=clock.now(),
        secret_key=settings.current().secret_key,
    )
    store.commit()


def init_app(app: Flask) -> None:
    """Install the deny-by-default guard in front of every endpoint."""
    app.before_request(_guard)
