"""Notices: telling staff that something awaits them, in the app and, when SMTP is
configured, by e-mail. A notice names a kind and links to a referral or a case; it never
holds a person's data, so an e-mail on a shared phone gives nothing away. Each e-mail is written to
the outbox in the notice's own transaction (``referral.outbox``) and sent by
``notices send``: a notice and its e-mail are kept or dropped together."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access.models import User
from access.policy import found, require, visible
from core import keyset, mail, settings
from referral import outbox
from referral.models import Notice

# Unread notices the header counts exactly; past this many it says "more than".
UNREAD_LIMIT = 99
KINDS = (
    "referral.received",
    "referral.accepted",
    "referral.declined",
    "referral.closed",
    "referral.withdrawn",
    "referral.expired",
    "referral.overdue",
    "referral.partner_suspended",
    "referral.partner_unavailable",
    "case.handed_over",
    "case.taken_over",
    "case.owner_disabled",
    "task.due",
    "task.overdue",
)


def notify(
    store: Session,
    users: list[User],
    kind: str,
    now: datetime,
    *,
    referral_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
) -> int:
    """Leave a notice about a referral or a case for each active user and, when SMTP is
    configured, its e-mail in the outbox, both in ``store``'s transaction; return how many
    users it reached."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    if (referral_id is None) == (case_id is None):
        raise ValueError("a notice is about one referral or one case")
    config = settings.current()
    link = mail.absolute_url(config, where(kind, referral_id, case_id))
    told = 0
    for user in users:
        if not user.is_active:
            continue
        told += 1
        notice = Notice(
            id=uuid.uuid4(),
            user_id=user.id,
            kind=kind,
            referral_id=referral_id,
            case_id=case_id,
            created_at=now,
        )
        store.add(notice)
        if mail.configured(config):
            outbox.queue(store, notice_id=notice.id, user=user, kind=kind, link=link, now=now)
    return told


def where(kind: str, referral_id: uuid.UUID | None, case_id: uuid.UUID | None) -> str:
    """The path a notice leads to: its referral or case, or the case list for a case that
    is no longer the user's (handed over to someone else)."""
    if referral_id is not None:
        return f"/referrals/{referral_id}"
    if kind == "case.taken_over" or case_id is None:
        return "/cases/"
    return f"/cases/{case_id}"


def partner_staff(store: Session, partner_id: uuid.UUID) -> list[User]:
    """Everyone who may answer for a partner organisation."""
    return list(
        store.scalars(sa.select(User).where(User.partner_id == partner_id, User.role == "partner"))
    )


def supervisors(store: Session, team_id: uuid.UUID) -> list[User]:
    """The supervisors of a team."""
    return list(
        store.scalars(sa.select(User).where(User.team_id == team_id, User.role == "supervisor"))
    )


def for_user(store: Session, user: Any, limit: int = 50) -> list[Notice]:
    """The user's notices, unread first, newest first, at most ``limit``. Two reads, each
    along an index of the user's notices by time (``ix_notices_unread``, then
    ``ix_notices_user_time`` for the read ones) that stops at the page's end: a page costs
    its rows, never a sort of everything the user was ever told (docs/architecture.md,
    "Lists at scale")."""
    mine = sa.select(Notice).where(visible(user, "notices.read", Notice))
    shown = list(
        store.scalars(
            mine.where(Notice.read_at.is_(None)).order_by(Notice.created_at.desc()).limit(limit)
        )
    )
    if len(shown) < limit:
        read = mine.where(Notice.read_at.is_not(None)).order_by(Notice.created_at.desc())
        shown += store.scalars(read.limit(limit - len(shown)))
    return shown


def unread(store: Session, user: Any) -> int:
    """How many notices the user has not opened, counted up to :data:`UNREAD_LIMIT` + 1
    (the header says "more than" past the limit). Every page asks, so it reads at most that
    many entries of the index of unread notices, however many wait."""
    query = sa.select(Notice.user_id).where(
        visible(user, "notices.read", Notice), Notice.read_at.is_(None)
    )
    return keyset.count(store, query, UNREAD_LIMIT + 1)[0]


def open_notice(store: Session, user: Any, notice_id: uuid.UUID, now: datetime) -> Notice:
    """Mark one of the user's notices read (404 for anyone else's)."""
    looked_up = store.get(Notice, notice_id)
    require(user, "notices.read", looked_up, "notice", notice_id)
    notice = found(looked_up)
    if notice.read_at is None:
        notice.read_at = now
        audit.record(store, "notice.read", object_type="notice", object_id=notice_id)
    return notice
