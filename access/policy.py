"""The access policy, in one place: which role may take which action, which objects a user
may touch, and the guard that refuses every endpoint that has not declared a rule.

A view declares its rule with :func:`public` or :func:`requires`; the guard runs before every
request. ``authorize`` answers the same question for web views, the API and services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import Forbidden, NotFound

from access import audit, refusals
from access.roles import ALL_ROLES, Role
from core import clock, db
from core.errors import ApiError, is_api_request

F = TypeVar("F", bound=Callable[..., Any])

# Role -> action permission table. Every action a view or service names must be here.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "home.view": ALL_ROLES,
    "account.manage": ALL_ROLES,
    "api.describe": ALL_ROLES,
    "users.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.AUDITOR}),
    "instruments.read": ALL_ROLES,
    "screenings.create": frozenset({Role.SCREENER, Role.SUPERVISOR}),
    "screenings.read": frozenset({Role.SCREENER, Role.SUPERVISOR}),
    "partners.manage": frozenset({Role.ADMIN}),
    "cases.read": frozenset({Role.SCREENER, Role.SUPERVISOR}),
    "cases.manage": frozenset({Role.SCREENER, Role.SUPERVISOR}),
    "cases.break_glass": frozenset({Role.SUPERVISOR}),
    "referrals.read": frozenset({Role.SCREENER, Role.SUPERVISOR, Role.PARTNER}),
    "referrals.respond": frozenset({Role.PARTNER}),
    "referrals.withdraw": frozenset({Role.SCREENER, Role.SUPERVISOR}),
    "notices.read": ALL_ROLES,
}

# Object-level scopes: (user, object) -> may the user touch it. An object outside its scope
# answers 404, exactly as one that does not exist.
SCOPES: dict[str, Callable[[Any, Any], bool]] = {
    "account.manage": lambda user, obj: getattr(obj, "user_id", None) == user.id,
    # A screener sees their own screenings; a supervisor those of their team.
    "screenings.read": lambda user, obj: obj.team_id == user.team_id and (
        user.role == Role.SUPERVISOR or obj.screener_id == user.id),
    # A case: its owner, or a supervisor of its team (break-glass is checked by the service).
    "cases.read": lambda user, obj: _in_team(user, obj, obj.owner_id),
    "cases.manage": lambda user, obj: _in_team(user, obj, obj.owner_id),
    # A referral: the receiving organisation's staff, its sender, the sender's supervisor.
    "referrals.read": lambda user, obj: (
        obj.partner_id == user.partner_id if user.role == Role.PARTNER
        else _in_team(user, obj, obj.sent_by)),
    "referrals.respond": lambda user, obj: obj.partner_id == user.partner_id,
    "referrals.withdraw": lambda user, obj: _in_team(user, obj, obj.sent_by),
    "notices.read": lambda user, obj: obj.user_id == user.id,
}


def _in_team(user: Any, obj: Any, person_in_charge: Any) -> bool:
    """The object is the team's, and the user is in charge of it or supervises the team."""
    return obj.team_id == user.team_id and (
        user.role == Role.SUPERVISOR or person_in_charge == user.id)


@dataclass(frozen=True)
class Rule:
    """What an endpoint needs: nothing (public), or an action, perhaps with a recent re-auth."""

    action: str | None
    step_up: bool = False


def public(view: F) -> F:
    """Declare ``view`` reachable without signing in."""
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


def authorize(user: Any, action: str, obj: Any = None) -> bool:
    """May ``user`` take ``action`` (on ``obj``, when given)? Deny when in doubt."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role not in PERMISSIONS.get(action, frozenset()):
        return False
    scope = SCOPES.get(action)
    return obj is None or scope is None or scope(user, obj)


def require(user: Any, action: str, obj: Any, object_type: str | None = None,
            object_id: Any = None) -> None:
    """Raise NotFound unless ``user`` may take ``action`` on ``obj`` (None counts as missing).

    The refusal is audited with what was asked for, exactly as a missing object would be.
    """
    if obj is None or not authorize(user, action, obj):
        _audit_denial(action, request.endpoint, object_type, object_id)
        if is_api_request():
            raise ApiError(404, "not found")
        raise NotFound()


def _audit_denial(action: str | None, endpoint: str | None, object_type: str | None = None,
                  object_id: Any = None) -> None:
    # Committed on its own: the refused request changes nothing else.
    store = db.session()
    store.rollback()
    audit.record(store, "access.denied", "denied", object_type=object_type,
                 object_id=object_id, details={"action": action, "endpoint": endpoint})
    store.commit()


def recently_authenticated(now: datetime) -> bool:
    """Whether the current web session proved both factors within ``STEP_UP_MAX_AGE``."""
    proved = session.get("auth_at")
    limit = timedelta(seconds=current_app.config["STEP_UP_MAX_AGE"])
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
        _audit_denial(rule.action, request.endpoint)
        if is_api_request():
            raise ApiError(403, "not allowed for your role")
        raise Forbidden()
    if rule.step_up and not recently_authenticated(clock.now()):
        store = db.session()
        audit.record(store, "step_up.required", "denied", details={"endpoint": request.endpoint})
        store.commit()
        flash(_l("Confirm it is you before going on."), "info")
        return redirect(url_for("access.reauth", next=request.full_path))
    return None


def _not_signed_in() -> Any:
    if is_api_request():
        raise ApiError(401, "a valid bearer token is required")
    if getattr(session, "expired", None):
        flash(_l("You were signed out after a period of inactivity. Please sign in again.")
              if session.expired == "idle" else  # type: ignore[attr-defined]
              _l("Your session has ended. Please sign in again."), "info")
    pending = session.get("pending_step")
    if pending in ("code", "enrol"):
        return redirect(url_for(f"access.{pending}"))
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("access.login", next=target))


def audit_rate_limited(limit: str, window_seconds: int) -> None:
    """Record a request refused by a rate limit (committed on its own): one audit event per
    client, limit and window, and a count of the refusals (``access.refusals``)."""
    store = db.session()
    store.rollback()
    refusals.record_refusal(store, client=request.remote_addr, limit=limit,
                            window_seconds=window_seconds, endpoint=request.endpoint,
                            now=clock.now(), secret_key=current_app.config["SECRET_KEY"])
    store.commit()


def init_app(app: Flask) -> None:
    """Install the deny-by-default guard in front of every endpoint."""
    app.before_request(_guard)
