"""Rate limits per client address (Flask-Limiter), kept in Redis in production."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from core import settings
from core.hooks import Hook

# Told ``limit`` and ``seconds`` (its window) of every refused request; whoever composes the
# app decides what a breach leaves behind (an audit event; core/hooks.py).
breached = Hook("core.rate-limited")


def _on_breach(limit: RequestLimit) -> None:
    breached.tell(limit=str(limit.limit), seconds=limit.limit.get_expiry())


# The extension object is unbound until init_app; views decorate with its limits.
limiter = Limiter(key_func=get_remote_address, default_limits=[], on_breach=_on_breach)


def init_app(app: Flask) -> None:
    """Bind the limiter to ``app`` with the configured storage."""
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)


def limit_api(blueprint: Blueprint) -> Blueprint:
    """Put an API blueprint under ``API_RATE_LIMIT`` per client address; returns it."""
    limiter.limit(lambda: settings.current().api_rate_limit)(blueprint)
    return blueprint
