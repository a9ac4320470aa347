"""Break-glass grants: a supervisor's time-limited, reasoned access to read a case outside
their team. The only module that queries grants; ``access.policy`` asks it at every use, so
a grant counts only while it lasts. The written reason is sealed with the data key of the
person whose case was opened: shredding their record erases it, in every backup too
(docs/security.md, R38)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.models import CaseAccessGrant
from core import datakeys, db
from core.paging import Page

TABLE = "case_access_grants"


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
    store: Session,
    user_id: uuid.UUID,
    case_id: uuid.UUID,
    key_id: uuid.UUID,
    reason: str,
    now: datetime,
    minutes: int,
) -> CaseAccessGrant:
    """Record a grant lasting ``minutes`` from ``now``, its reason sealed with ``key_id``,
    the data key of the case's person; the caller has checked the reason."""
    grant_id = uuid.uuid4()
    grant = CaseAccessGrant(
        id=grant_id,
        case_id=case_id,
        user_id=user_id,
        reason="",
        reason_sealed=datakeys.cipher(store, key_id).seal(TABLE, "reason", grant_id, reason),
        data_key_id=key_id,
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


def reason_of(store: Session, grant: CaseAccessGrant) -> str | None:
    """The reason as written, or None once it went with the person's record."""
    if grant.reason_sealed is None or grant.data_key_id is None:
        return grant.reason or None  # written before reasons were sealed (migration 0029)
    try:
        cipher = datakeys.cipher(store, grant.data_key_id)
    except datakeys.ShreddedError:
        return None
    return cipher.open(TABLE, "reason", grant.id, grant.reason_sealed)


def reseal(store: Session, old_key_id: uuid.UUID, new_key_id: uuid.UUID) -> int:
    """Seal again with ``new_key_id`` every reason sealed with ``old_key_id``: a confirmed
    link moves the person to their earlier record, whose key stays when the duplicate's
    goes; the grant still names the case that was opened. How many were sealed again."""
    rows = list(
        store.scalars(sa.select(CaseAccessGrant).where(CaseAccessGrant.data_key_id == old_key_id))
    )
    if rows:
        opener, sealer = datakeys.cipher(store, old_key_id), datakeys.cipher(store, new_key_id)
        for row in rows:
            text = opener.open(TABLE, "reason", row.id, row.reason_sealed)
            row.reason_sealed = sealer.seal(TABLE, "reason", row.id, text)
            row.data_key_id = new_key_id
        store.flush()
    return len(rows)


def forget_reasons(store: Session, case_ids: Collection[uuid.UUID]) -> int:
    """Erase the written reasons of every grant on these cases (one person's, being
    shredded, with the cases linked into theirs): a reason is free text that may be about
    the person ("she called from the bus station"), and must not outlive them. Sealed ones
    could no longer be read anyway; the clear ones written before sealing would. Who opened
    the case, when and until when stay for the auditors. How many reasons were erased."""
    erased = store.execute(
        sa.update(CaseAccessGrant)
        .where(
            CaseAccessGrant.case_id.in_(list(case_ids)),
            sa.or_(CaseAccessGrant.reason != "", CaseAccessGrant.reason_sealed.is_not(None)),
        )
        .values(reason="", reason_sealed=None)
    )
    return db.rowcount(erased)


def recent(store: Session, page: Page) -> tuple[list[CaseAccessGrant], int]:
    """A page of grants, newest first, with their reasons; and how many there are."""
    query = sa.select(CaseAccessGrant).order_by(
        CaseAccessGrant.created_at.desc(), CaseAccessGrant.id
    )
    total = store.scalar(sa.select(sa.func.count(CaseAccessGrant.id))) or 0
    return list(store.scalars(query.offset(page.offset).limit(page.size))), total
