"""E-mail through the configured SMTP relay, in two ways.

* :func:`deliver` hands one message to the relay and says what became of it: sent, refused
  for good, worth another try, or unknown (the connection broke while the relay had the
  message, so it may have been accepted). The durable notice outbox (``referral.outbox``)
  sends through it, outside any request.
* :func:`queue` keeps a message on a database session and sends it once that session
  commits; a rollback drops it. Only single-use password links go this way: they are
  credentials, so they are never written to the database, and a lost one is simply issued
  again.

Messages carry links, never a person's data, and failures are logged without the recipient.
"""

from __future__ import annotations

import enum
import logging
import smtplib
import ssl
import weakref
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import settings
from core.settings_type import Settings

log = logging.getLogger(__name__)
OUTBOX = "passage.outbox"  # messages waiting for the transaction to commit
TIMEOUT = 10  # seconds for each exchange with the relay


@dataclass(frozen=True)
class Message:
    """One e-mail to one address; ``message_id`` names it for the receiving side."""

    to: str
    subject: str
    body: str
    message_id: str | None = None


class Outcome(enum.Enum):
    """What became of one message handed to the relay."""

    SENT = "sent"  # the relay accepted it (250 after the data)
    RETRY = "retry"  # not accepted, for a reason that may pass (4xx, a broken connection)
    UNREACHABLE = "unreachable"  # no usable connection: nothing was offered to the relay
    REFUSED = "refused"  # refused for good (5xx for the recipient or the message)
    UNKNOWN = "unknown"  # the connection broke while the relay had it: it may have gone


@dataclass(frozen=True)
class Delivery:
    """An :class:`Outcome` and, unless sent, a short reason naming no one (``SMTP 451``,
    ``ConnectionRefusedError``)."""

    outcome: Outcome
    reason: str | None = None


def configured(config: Settings) -> bool:
    """Whether e-mail can be sent at all (``MAIL_SERVER`` is set)."""
    return bool(config.mail_server)


def queue(store: Session, to: str, subject: str, body: str) -> None:
    """Send this message after ``store`` commits (dropped on rollback or without SMTP)."""
    store.info.setdefault(OUTBOX, []).append(Message(to, subject, body))


def absolute_url(config: Settings, path: str) -> str:
    """``path`` on this site under the configured ``BASE_URL``, never the request's Host."""
    return f"{config.base_url.rstrip('/')}/{path.lstrip('/')}"


def _connect(config: Settings) -> smtplib.SMTP:
    """An open, authenticated connection to the relay."""
    smtp = smtplib.SMTP(config.mail_server, config.mail_port, timeout=TIMEOUT)
    try:
        if config.mail_use_tls:
            smtp.starttls(context=ssl.create_default_context())
        if config.mail_username:
            smtp.login(config.mail_username, config.mail_password)
        # Greet here (again after STARTTLS), so a relay hanging up before any message is
        # offered counts as unreachable, not as a message whose fate is unknown.
        smtp.ehlo_or_helo_if_needed()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _email(config: Settings, message: Message) -> EmailMessage:
    email = EmailMessage()
    email["From"], email["To"] = config.mail_from, message.to
    email["Subject"] = message.subject
    if message.message_id:
        email["Message-ID"] = message.message_id
    email.set_content(message.body)
    return email


def _reason(error: BaseException) -> str:
    # The relay's own text may quote the address; the code and the kind of error do not.
    code = getattr(error, "smtp_code", None)
    return f"SMTP {code}" if code else type(error).__name__


def deliver(config: Settings, message: Message) -> Delivery:
    """Offer ``message`` to the relay on a connection of its own and say what became of it.

    Only a broken connection *during* the message transaction is :attr:`Outcome.UNKNOWN`:
    smtplib cannot tell whether the relay had already accepted it. Every other failure is
    certain not to have delivered anything, so it may be tried again."""
    try:
        smtp = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        return Delivery(Outcome.UNREACHABLE, _reason(error))
    try:
        smtp.send_message(_email(config, message))
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        return Delivery(
            Outcome.REFUSED if min(codes) >= 500 else Outcome.RETRY,
            f"SMTP {max(codes)} for the recipient",
        )
    except smtplib.SMTPDataError as error:
        return Delivery(
            Outcome.REFUSED if error.smtp_code >= 500 else Outcome.RETRY, _reason(error)
        )
    except (smtplib.SMTPResponseException, smtplib.SMTPNotSupportedError) as error:
        return Delivery(Outcome.RETRY, _reason(error))  # refused before the message went
    except ValueError as error:  # the e-mail library cannot write these headers at all
        return Delivery(Outcome.REFUSED, _reason(error))
    except (OSError, smtplib.SMTPException) as error:
        return Delivery(Outcome.UNKNOWN, _reason(error))
    finally:
        _quit(smtp)
    return Delivery(Outcome.SENT)


def _quit(smtp: smtplib.SMTP) -> None:
    # The message's fate is settled by now; a relay hanging up rudely changes nothing.
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def send(config: Settings, messages: list[Message]) -> None:
    """Deliver ``messages`` through the configured SMTP relay in one connection."""
    try:
        with _connect(config) as smtp:
            for message in messages:
                smtp.send_message(_email(config, message))
    except (OSError, smtplib.SMTPException) as error:
        # What was committed stays committed; say only that mail failed, never to whom.
        log.warning("e-mail not sent: %s", type(error).__name__)


def init_app(app: Flask) -> None:
    """Send queued messages after each commit of this app's sessions, when SMTP is
    configured; a rollback drops them."""
    factory = app.extensions["passage.sessionmaker"]
    # SQLAlchemy's event registry keeps its listeners for good: a listener holding the app
    # itself would keep every app ever built alive. The settings are read when mail goes.
    app_ref = weakref.ref(app)

    def deliver_queued(store: Session) -> None:
        outbox = store.info.pop(OUTBOX, None)
        owner = app_ref()
        if not outbox or owner is None:
            return
        config = settings.of(owner)
        if configured(config):
            send(config, outbox)

    def drop(store: Session) -> None:
        store.info.pop(OUTBOX, None)

    event.listen(factory, "after_commit", deliver_queued)
    event.listen(factory, "after_rollback", drop)
