"""Signing in: the password step, the code step, throttling per account name and lock-out.

Every failure looks the same to the person signing in, whether the account is unknown,
the password or code wrong, the account locked, disabled, or the attempts throttled.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Request, Response, request, session
from flask_login import LoginManager
from sqlalchemy.orm import Session

from access import audit, passwords, tokens, totp
from access.models import LoginFailure, User
from access.services import find_user, totp_secret
from core import clock, db
from core.errors import API_PREFIX


def account_key(email: str, secret_key: str) -> str:
    """A keyed digest of the account name as typed (trimmed, case-folded): failures are
    counted per name without storing the names people type."""
    name = email.strip().casefold().encode()
    return hmac.new(str(secret_key).encode(), b"login-throttle:" + name, hashlib.sha256).hexdigest()


def is_throttled(store: Session, key: str, now: datetime, config: Any) -> bool:
    """True when the account name has had too many failures within the window."""
    since = now - timedelta(seconds=config["LOGIN_FAILURE_WINDOW"])
    count = store.scalar(sa.select(sa.func.count()).select_from(LoginFailure)
                         .where(LoginFailure.account_key == key, LoginFailure.at > since))
    return bool(count and count >= config["LOGIN_FAILURE_LIMIT"])


def record_failure(store: Session, key: str, now: datetime, user: User | None,
                   config: Any) -> None:
    """Count a failure against the account name and, for a real account, towards lock-out
    (audited when it locks the account)."""
    store.execute(sa.delete(LoginFailure).where(
        LoginFailure.at < now - timedelta(seconds=config["LOGIN_FAILURE_WINDOW"])))
    store.add(LoginFailure(account_key=key, at=now))
    if user is None:
        return
    # Incremented in SQL so concurrent workers never lose a failure.
    store.execute(sa.update(User).where(User.id == user.id)
                  .values(failed_logins=User.failed_logins + 1))
    locked = store.execute(sa.update(User).where(
        User.id == user.id, User.locked_at.is_(None),
        User.failed_logins >= config["LOCKOUT_THRESHOLD"]).values(locked_at=now))
    store.flush()
    store.refresh(user)
    if locked.rowcount:  # type: ignore[attr-defined]
        audit.record(store, "account.locked", "denied", object_type="user", object_id=user.id,
                     actor=audit.actor_for(user))


def _failed(store: Session, user: User | None, factor: str, reason: str,
            outcome: str = "failed") -> None:
    # Which factor failed and why is for auditors only; the person sees one message.
    audit.record(store, f"sign_in.{factor}", outcome, object_type="user",
                 object_id=user.id if user else None,
                 actor=audit.actor_for(user) if user else audit.Actor(),
                 details={"reason": reason})


def check_password(store: Session, email: str, password: str, now: datetime,
                   config: Any) -> User | None:
    """The user who may go on to the code step, or None after recording the failure."""
    key = account_key(email, config["SECRET_KEY"])
    user = find_user(store, email)
    if is_throttled(store, key, now, config):
        passwords.verify_password(None, password)  # same cost as a real attempt
        _failed(store, user, "password", "throttled", "denied")
        return None
    valid = passwords.verify_password(user.password_hash if user else None, password)
    if not valid or user is None:
        record_failure(store, key, now, user, config)
        _failed(store, user, "password", "wrong_password" if user else "unknown_account")
        return None
    if not user.is_active:
        _failed(store, user, "password", "account_inactive", "denied")
        return None
    if passwords.needs_rehash(user.password_hash or ""):
        user.password_hash = passwords.hash_password(password)
    audit.record(store, "sign_in.password", object_type="user", object_id=user.id,
                 actor=audit.actor_for(user))
    return user


def check_code(store: Session, user: User, code: str, now: datetime, config: Any) -> bool:
    """Accept a code from the user's app; a wrong code counts as a failure.

    The first accepted code confirms a pending second factor (enrolment).
    """
    key = account_key(user.email, config["SECRET_KEY"])
    if is_throttled(store, key, now, config) or not user.is_active:
        _failed(store, user, "code", "throttled" if user.is_active else "account_inactive",
                "denied")
        return False
    step = totp.accepted_step(totp_secret(store, user), code, now, user.totp_last_step)
    if step is None:
        record_failure(store, key, now, user, config)
        _failed(store, user, "code", "wrong_code")
        return False
    user.totp_last_step = step
    if user.totp_confirmed_at is None:
        user.totp_confirmed_at = now
        audit.record(store, "second_factor.enrolled", object_type="user", object_id=user.id,
                     actor=audit.actor_for(user))
    return True


def signed_in(store: Session, user: User) -> None:
    """Both factors succeeded: reset the failure count and audit the sign-in."""
    user.failed_logins = 0
    audit.record(store, "sign_in", object_type="user", object_id=user.id,
                 actor=audit.actor_for(user))


def _load_user(user_id: str) -> User | None:
    # Looked up on every request, so a disabled, locked or suspended account is out at once.
    try:
        user = db.session().get(User, uuid.UUID(user_id))
    except ValueError:
        return None
    return user if user is not None and user.is_active else None


def _load_bearer(request: Request) -> User | None:
    if not request.path.startswith(API_PREFIX):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return tokens.authenticate_token(db.session(), token.strip(), clock.now())


class SignInOnlyLoginManager(LoginManager):
    """Flask-Login without its remember-me cookie.

    That cookie is ``user_id|HMAC(SECRET_KEY)``: anyone holding the secret key, or one such
    cookie, would be signed in with no password, no second factor and no audit event, and it
    outlives every server-side session end. A session here comes only from signing in.
    """

    def _load_user_from_remember_cookie(self, cookie: str) -> User | None:
        # Flask-Login skips the request loader when the cookie is present; a stray cookie
        # must not change how a bearer token is read, nor sign anyone in.
        return self._load_user_from_request(request)  # type: ignore[no-any-return]

    def _update_remember_cookie(self, response: Response) -> Response:
        session.pop("_remember", None)
        return response


def init_app(app: Flask) -> None:
    """Wire Flask-Login to Passage's users, sessions and bearer tokens."""
    manager = SignInOnlyLoginManager(app)
    manager.session_protection = None  # sessions are renewed and revoked server-side instead
    manager.user_loader(_load_user)
    manager.request_loader(_load_bearer)
