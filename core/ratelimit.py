"""Rate limits per client address and per signed-in user (Flask-Limiter), kept in Redis in
production so every worker counts the same requests (R59)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, request
from flask_limiter import ApplicationLimit, Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import current_user

from core import settings
from core.hooks import Hook

F = TypeVar("F", bound=Callable[..., Any])

# Told ``limit`` and ``seconds`` (its window) of every refused request, ``client`` (whom the
# limit counted: an address, or ``user:<id>``) and ``per`` ("address" or "user"); whoever
# composes the app decides what a breach leaves behind (an audit event; core/hooks.py).
breached = Hook("core.rate-limited")

# The scope of a per-user limit ends so; its per-address twin ends in PER_ADDRESS.
PER_USER = "per-user"
PER_ADDRESS = "per-address"


def user_or_address() -> str:
    """Whom a per-user limit counts: the signed-in user (web session or bearer token) as
    ``user:<id>``, so one person is one budget from any address; else the client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return get_remote_address()


def _on_breach(limit: RequestLimit) -> None:
    # The arguments end with the key and the scope (after the key prefix, when one is set).
    client, scope = limit.request_args[-2:]
    per = "user" if scope.endswith(PER_USER) and client.startswith("user:") else "address"
    breached.tell(limit=str(limit.limit), seconds=limit.limit.get_expiry(), client=client, per=per)


# The settings a view may name in per_user_and_address, each a limit of the costly endpoints.
COSTLY_LIMITS = ("export_rate_limit", "search_rate_limit", "audit_rate_limit")


def limits_of_view() -> tuple[str, ...]:
    """The settings the current request's view is limited by (per_user_and_address)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return tuple(getattr(view, "passage_limits", ()))


def address_setting(setting: str) -> str:
    """The setting of the per-address twin of a per-user limit: ``export_rate_limit`` per user
    has ``export_address_rate_limit`` per address, higher, as colleagues behind one office
    address share it."""
    return setting.removesuffix("_rate_limit") + "_address_rate_limit"


def _costly_limit(setting: str, per: str) -> ApplicationLimit:
    # Application limits are counted before any before_request of the app's own, the access
    # guard included (wsgi.py), as the per-address limits of the API are; a limit decorated
    # on a view would only be counted once the guard let the request through. The scope
    # names the endpoint: each view has its own budget under each setting.
    per_user = per == PER_USER
    value = setting if per_user else address_setting(setting)
    return ApplicationLimit(
        limit_provider=lambda: str(getattr(settings.current(), value)),
        key_function=user_or_address if per_user else get_remote_address,
        scope=lambda endpoint: f"{endpoint}:{setting}:{per}",
        exempt_when=lambda: setting not in limits_of_view(),
    )


# The extension object is unbound until init_app; views decorate with its limits.
limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    application_limits=[
        _costly_limit(setting, per) for setting in COSTLY_LIMITS for per in (PER_USER, PER_ADDRESS)
    ],
    on_breach=_on_breach,
)


def init_app(app: Flask) -> None:
    """Bind the limiter to ``app`` with the configured storage."""
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)


def limit_api(blueprint: Blueprint) -> Blueprint:
    """Put an API blueprint under ``API_RATE_LIMIT`` per client address; returns it."""
    limiter.limit(lambda: settings.current().api_rate_limit)(blueprint)
    return blueprint


def per_user_and_address(setting: str) -> Callable[[F], F]:
    """Limit a view per signed-in user by ``setting`` (one of :data:`COSTLY_LIMITS`, such as
    ``export_rate_limit``) and per client address by its twin (:func:`address_setting`).

    A view may name several settings (the audit export is an export and an audit page): each
    is counted on its own. The limits add to a blueprint's own (the API's).
    """
    if setting not in COSTLY_LIMITS:
        raise KeyError(f"unknown rate limit {setting!r}: add it to core.ratelimit.COSTLY_LIMITS")

    def declare(view: F) -> F:
        named = (*getattr(view, "passage_limits", ()), setting)
        view.passage_limits = named  # type: ignore[attr-defined]
        return view

    return declare
