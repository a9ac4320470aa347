"""E-mail sent once the transaction that asked for it commits, when SMTP is configured.

Callers queue a message on the database session; a rollback drops it with everything else,
so nobody is told about something that did not happen. Messages carry links, never a
person's data, and failures are logged without the recipient.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
OUTBOX = "passage.outbox"  # messages waiting for the transaction to commit


@dataclass(frozen=True)
class Message:
    """One e-mail to one address."""

    to: str
    subject: str
    body: str


def configured(config: Mapping[str, Any]) -> bool:
    """Whether e-mail can be sent at all (``MAIL_SERVER`` is set)."""
    return bool(config.get("MAIL_SERVER"))


def queue(store: Session, to: str, subject: str, body: str) -> None:
    """Send this message after ``store`` commits (dropped on rollback or without SMTP)."""
    store.info.setdefault(OUTBOX, []).append(Message(to, subject, body))


def absolute_url(config: Mapping[str, Any], path: str) -> str:
    """``path`` on this site under the configured ``BASE_URL``, never the request's Host."""
    return f"{str(config['BASE_URL']).rstrip('/')}/{path.lstrip('/')}"


def send(config: Mapping[str, Any], messages: list[Message]) -> None:
    """Deliver ``messages`` through the configured SMTP relay in one connection."""
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            for message in messages:
                email = EmailMessage()
                email["From"], email["To"] = config["MAIL_FROM"], message.to
                email["Subject"] = message.subject
                email.set_content(message.body)
                smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as error:
        # What was committed stays committed; say only that mail failed, never to whom.
        log.warning("e-mail not sent: %s", type(error).__name__)


def init_app(app: Flask) -> None:
    """Send queued messages after each commit of this app's sessions, when SMTP is
    configured; a rollback drops them."""
    config = app.config
    factory = app.extensions["passage.sessionmaker"]

    def deliver(store: Session) -> None:
        outbox = store.info.pop(OUTBOX, None)
        if outbox and configured(config):
            send(config, outbox)

    def drop(store: Session) -> None:
        store.info.pop(OUTBOX, None)

    event.listen(factory, "after_commit", deliver)
    event.listen(factory, "after_rollback", drop)
