"""Rate limits per client address (Flask-Limiter), kept in Redis in production."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# The extension object is unbound until init_app; views decorate with its limits.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_app(app: Flask) -> None:
    """Bind the limiter to ``app`` with the configured storage."""
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)


def limit_api(blueprint: Blueprint) -> Blueprint:
    """Put an API blueprint under ``API_RATE_LIMIT`` per client address; returns it."""
    limiter.limit(lambda: str(current_app.config["API_RATE_LIMIT"]))(blueprint)
    return blueprint
