"""Break-glass grants: a supervisor's time-limited, reasoned access to read a case outside
their team. The only module that queries grants; ``access.policy`` asks it at every use, so
a grant counts only while it lasts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.models import CaseAccessGrant
from core import db
from core.paging import Page


def live(store: Session, user_id: uuid.UUID, case_id: uuid.UUID, now: datetime) -> bool:
    """Whether ``user_id`` holds a grant on ``case_id`` that has not lapsed at ``now``."""
    return bool(
        store.scalar(
            sa.select(sa.func.count())
            .select_from(CaseAccessGrant)
            .where(
                CaseAccessGrant.case_id == case_id,
                CaseAccessGrant.user_id == user_id,
                CaseAccessGrant.expires_at > now,
            )
        )
    )


def give(
    store: Session, user_id: uuid.UUID, case_id: uuid.UUID, reason: str, now: datetime, minutes: int
) -> CaseAccessGrant:
    """Record a grant lasting ``minutes`` from ``now``; the caller has checked the reason."""
    grant = CaseAccessGrant(
        id=uuid.uuid4(),
        case_id=case_id,
        user_id=user_id,
        reason=reason,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    store.add(grant)
    store.flush()
    return grant


def end_all(store: Session, user_id: uuid.UUID, now: datetime) -> int:
    """End every grant ``user_id`` still holds, as of ``now`` (kept for the auditors, with
    the time it ended): a grant was given to the holder as they stood then, and must not
    come back to life if they are made supervisor again before it would have lapsed. How
    many ended."""
    ended = store.execute(
        sa.update(CaseAccessGrant)
        .where(CaseAccessGrant.user_id == user_id, CaseAccessGrant.expires_at > now)
        .values(expires_at=now)
    )
    return db.rowcount(ended)


def forget_reasons(store: Session, case_id: uuid.UUID) -> int:
    """Erase the written reasons of every grant on a case whose person is being shredded: a
    reason is free text about the person ("she called from the bus station"), and would
    outlive them. Who opened the case, when and until when stay for the auditors. How many
    reasons were erased."""
    erased = store.execute(
        sa.update(CaseAccessGrant)
        .where(CaseAccessGrant.case_id == case_id, CaseAccessGrant.reason != "")
        .values(reason="")
    )
    return db.rowcount(erased)


def recent(store: Session, page: Page) -> tuple[list[CaseAccessGrant], int]:
    """A page of grants, newest first, with their reasons; and how many there are."""
    query = sa.select(CaseAccessGrant).order_by(
        CaseAccessGrant.created_at.desc(), CaseAccessGrant.id
    )
    total = store.scalar(sa.select(sa.func.count(CaseAccessGrant.id))) or 0
    return list(store.scalars(query.offset(page.offset).limit(page.size))), total
