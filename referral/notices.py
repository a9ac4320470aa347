"""Notices: telling staff that something awaits them, in the app and, when SMTP is
configured, by e-mail. A notice names a kind and links to a referral; it never holds a
person's data, so an e-mail on a shared phone gives nothing away."""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from access import audit
from access.models import User
from access.policy import require
from referral.models import Notice

log = logging.getLogger(__name__)
KINDS = ("referral.received", "referral.accepted", "referral.declined", "referral.closed",
         "referral.withdrawn", "referral.expired", "referral.overdue",
         "referral.partner_suspended")
OUTBOX = "passage.outbox"  # e-mails waiting for the transaction to commit


def notify(store: Session, users: list[User], kind: str, referral_id: uuid.UUID,
           now: datetime) -> None:
    """Leave a notice for each active user; the e-mails go once the transaction commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    for user in users:
        if not user.is_active:
            continue
        store.add(Notice(id=uuid.uuid4(), user_id=user.id, kind=kind, referral_id=referral_id,
                         created_at=now))
        store.info.setdefault(OUTBOX, []).append((user.email, referral_id))


def partner_staff(store: Session, partner_id: uuid.UUID) -> list[User]:
    """Everyone who may answer for a partner organisation."""
    return list(store.scalars(sa.select(User).where(User.partner_id == partner_id,
                                                    User.role == "partner")))


def supervisors(store: Session, team_id: uuid.UUID) -> list[User]:
    """The supervisors of a team."""
    return list(store.scalars(sa.select(User).where(User.team_id == team_id,
                                                    User.role == "supervisor")))


def for_user(store: Session, user: Any, limit: int = 50) -> list[Notice]:
    """The user's notices, unread first, newest first."""
    return list(store.scalars(sa.select(Notice).where(Notice.user_id == user.id).order_by(
        Notice.read_at.is_not(None), Notice.created_at.desc()).limit(limit)))


def unread(store: Session, user: Any) -> int:
    """How many notices the user has not opened."""
    return store.scalar(sa.select(sa.func.count()).select_from(Notice).where(
        Notice.user_id == user.id, Notice.read_at.is_(None))) or 0


def open_notice(store: Session, user: Any, notice_id: uuid.UUID, now: datetime) -> Notice:
    """Mark one of the user's notices read (404 for anyone else's)."""
    notice = store.get(Notice, notice_id)
    require(user, "notices.read", notice, "notice", notice_id)
    if notice.read_at is None:  # type: ignore[union-attr]
        notice.read_at = now  # type: ignore[union-attr]
        audit.record(store, "notice.read", object_type="notice", object_id=notice_id)
    return notice  # type: ignore[return-value]


def _mail(config: dict[str, Any], outbox: list[tuple[str, uuid.UUID]]) -> None:
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            for address, referral_id in outbox:
                message = EmailMessage()
                message["From"], message["To"] = config["MAIL_FROM"], address
                message["Subject"] = "Passage: something is waiting for you"
                link = f"{config['BASE_URL'].rstrip('/')}/referrals/{referral_id}"
                message.set_content("Something new is waiting for you in Passage.\n"
                                    f"Sign in to see it: {link}\n")
                smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The in-app notice is already stored; say only that mail failed, never to whom.
        log.warning("notice e-mail not sent: %s", type(error).__name__)


def init_app(app: Flask) -> None:
    """Send queued e-mails after each commit of this app's sessions, when SMTP is
    configured; a rollback drops them with the notices."""
    config = app.config
    factory = app.extensions["passage.sessionmaker"]

    def send(store: Session) -> None:
        outbox = store.info.pop(OUTBOX, None)
        if outbox and config.get("MAIL_SERVER"):
            _mail(config, outbox)

    def drop(store: Session) -> None:
        store.info.pop(OUTBOX, None)

    event.listen(factory, "after_commit", send)
    event.listen(factory, "after_rollback", drop)
