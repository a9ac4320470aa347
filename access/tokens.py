"""API tokens: issued once, stored as a SHA-256, presented as ``Authorization: Bearer``."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access.models import ApiToken, User
from core import db

PREFIX = "psg_"


def issue_token(store: Session, user: User, now: datetime, days: int) -> tuple[ApiToken, str]:
    """Create a token for ``user`` valid for ``days``; return the row and the token itself,
    which is shown once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=uuid.uuid4(),
        user_id=user.id,
        token_hash=digest(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    store.add(row)
    audit.record(
        store,
        "token.issued",
        object_type="api_token",
        object_id=row.id,
        details={"user": str(user.id), "days": days},
    )
    return row, token


# Built once: every API call asks it, and building the query cost as much as running it.
_BY_DIGEST = sa.select(ApiToken).where(ApiToken.token_hash == sa.bindparam("digest"))


@dataclass(frozen=True)
class Checked:
    """What a bearer token is worth: the active user behind a live token; or, for a token
    Passage issued that no longer works, that token and why (``revoked``, ``expired``, or
    ``account`` when its holder may not sign in now or has no confirmed second factor);
    neither for a token never issued."""

    user: User | None
    refused: ApiToken | None = None
    reason: str = ""


def check_token(store: Session, token: str, now: datetime) -> Checked:
    """Check a bearer token as presented (see :class:`Checked`)."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return Checked(None)
    row = store.scalar(_BY_DIGEST, {"digest": digest(token)})
    if row is None:
        return Checked(None)
    if row.revoked_at is not None:
        return Checked(None, row, "revoked")
    if row.expires_at <= now:
        return Checked(None, row, "expired")
    # Until a second factor is confirmed (a new account, or one whose factor was reset)
    # nothing but signing in and enrolling is open to its holder (R5): a token neither.
    if not row.user.is_active or row.user.totp_confirmed_at is None:
        return Checked(None, row, "account")
    return Checked(row.user)


def list_tokens(store: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    return list(
        store.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc())
        )
    )


def revoke_token(store: Session, token_id: uuid.UUID, now: datetime) -> bool:
    """Revoke one token by id; False when there is no live token with that id."""
    result = store.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if not db.rowcount(result):
        return False
    audit.record(store, "token.revoked", object_type="api_token", object_id=token_id)
    return True


def revoke_all(store: Session, user_id: uuid.UUID, now: datetime) -> int:
    """Revoke every live token of a user; return how many. A token carries its owner's
    standing at the time it was issued, so losing that standing (disabled, new password, new
    second factor, new role) must take the tokens with it."""
    result = store.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    count = db.rowcount(result)
    if count:
        audit.record(
            store,
            "tokens.revoked_all",
            object_type="user",
            object_id=user_id,
            details={"count": count},
        )
    return count


def digest(token: str) -> str:
    """The stored form of a random token (API token, session token, password link).

    Tokens carry 256 random bits, so a fast hash is enough to make a stolen table useless.
    """
    return hashlib.sha256(token.encode()).hexdigest()
