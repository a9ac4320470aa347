"""Application logging: one line per record, with control characters escaped so that text
from a request (an e-mail address typed at sign-in, a path) cannot forge extra log lines."""

from __future__ import annotations

import logging

from flask import Flask, g, has_request_context

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class SafeFormatter(logging.Formatter):
    """Escapes CR, LF and other control characters in the formatted record."""

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        text = super().format(record)
        return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)


def init_app(app: Flask) -> None:
    """Send the app's log records to standard error through :class:`SafeFormatter`."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(FORMAT))
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO)
    for name in ("core", "access", "screening", "referral"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
