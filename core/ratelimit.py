"""Rate limits per client address (Flask-Limiter), kept in Redis in production."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, current_app
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address


def _on_breach(limit: RequestLimit) -> None:
    # Whoever composes the app decides what a breach leaves behind (an audit event).
    listener = current_app.extensions.get("passage.on_rate_limit")
    if listener is not None:
        listener(str(limit.limit), limit.limit.get_expiry())


# The extension object is unbound until init_app; views decorate with its limits.
limiter = Limiter(key_func=get_remote_address, default_limits=[], on_breach=_on_breach)


def init_app(app: Flask, on_breach: Callable[[str, int], None] | None = None) -> None:
    """Bind the limiter to ``app`` with the configured storage; ``on_breach`` hears of every
    refused request, with the limit and the length of its window in seconds."""
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.extensions["passage.on_rate_limit"] = on_breach
    limiter.init_app(app)


def limit_api(blueprint: Blueprint) -> Blueprint:
    """Put an API blueprint under ``API_RATE_LIMIT`` per client address; returns it."""
    limiter.limit(lambda: str(current_app.config["API_RATE_LIMIT"]))(blueprint)
    return blueprint
