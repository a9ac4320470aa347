"""Signing in: the password step, the code step, growing delays per account and lock-out.

Every failure looks the same to the person signing in, whether the account is unknown,
the password or code wrong, the account locked, disabled, or the attempts delayed (R8).

Failures are counted per account name in its canonical form (the form ``find_user`` looks
up), so case, spaces or Unicode variants of one address share one count. Throttling lives
in the database (``sign_in_throttles``), so every worker sees the same count:

* the first ``LOGIN_FAILURE_LIMIT`` (5) consecutive failures cost nothing;
* each further failure refuses every attempt on that name, right ones included, for a delay
  that starts at ``LOGIN_DELAY`` (60 s) and doubles with each failure, up to
  ``LOGIN_DELAY_MAX`` (15 min); attempts refused during a delay are not counted, so the
  owner trying again never lengthens it;
* the count is forgotten after a successful sign-in, or ``LOGIN_FAILURE_MEMORY`` (24 h)
  after the last failure.

With the 15-minute cap an attacker needs about 23 hours of steady guessing to make 100
failures; at ``LOCKOUT_THRESHOLD`` (100, the ceiling NIST SP 800-63B allows) consecutive
failures of a real account it is locked. The lock is lifted by an administrator, or without
one by the user completing a valid password link with their second factor, which also
resets the count. The same password and code checks, counted and delayed alike, serve
signing in, re-authentication, changing one's password and password links. Delays, locks
and every failure are audited (R45).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, Request, Response, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy.orm import Session

from access import audit, passwords, services, tokens, totp
from access.models import PasswordLink, SignInThrottle, User
from access.services import find_user, totp_secret
from access.sessions import end_all_sessions
from access.standing import in_standing
from core import clock, db
from core.errors import API_PREFIX
from core.settings_type import Settings

# Beyond this many doublings the delay is at its cap anyway; bounds the exponent.
_MAX_DOUBLINGS = 30


def canonical_account(email: str) -> str:
    """The account name as ``find_user`` looks it up; a name that is not a valid address
    (no account can have it) still gets one stable form: NFKC, no spaces, case-folded."""
    try:
        return services.normalise_email(email)
    except services.UserError:
        return "".join(unicodedata.normalize("NFKC", email).split()).casefold()


def account_key(email: str, secret_key: str) -> str:
    """A keyed digest of the canonical account name: failures are counted per account
    without storing the names people type."""
    name = canonical_account(email).encode()
    return hmac.new(str(secret_key).encode(), b"login-throttle:" + name, hashlib.sha256).hexdigest()


def delay_after(failures: int, config: Settings) -> timedelta | None:
    """How long attempts are refused after ``failures`` consecutive failures, or None."""
    beyond = failures - config.login_failure_limit
    if beyond < 0:
        return None
    seconds = config.login_delay * 2 ** min(beyond, _MAX_DOUBLINGS)
    return timedelta(seconds=min(seconds, config.login_delay_max))


def is_throttled(store: Session, key: str, now: datetime) -> bool:
    """True while attempts on the account name ``key`` are refused."""
    until = store.scalar(
        sa.select(SignInThrottle.blocked_until).where(SignInThrottle.account_key == key)
    )
    return until is not None and until > now


def _upsert_failure(store: Session, key: str, now: datetime, config: Settings) -> None:
    # One statement, so concurrent workers never lose a failure; a count older than the
    # memory starts again at one.
    forgotten = now - timedelta(seconds=config.login_failure_memory)
    insert = db.insert(store, SignInThrottle).values(
        account_key=key, failures=1, last_failure_at=now
    )
    store.execute(
        insert.on_conflict_do_update(
            index_elements=[SignInThrottle.account_key],
            set_={
                "failures": sa.case(
                    (SignInThrottle.last_failure_at < forgotten, 1),
                    else_=SignInThrottle.failures + 1,
                ),
                "last_failure_at": now,
            },
        )
    )


def record_failure(
    store: Session, key: str, now: datetime, user: User | None, config: Settings
) -> None:
    """Count a failure against the account name (starting or lengthening a delay) and, for a
    real account, towards lock-out; delays and locks are audited."""
    # Forgotten counts go first, this name's included, so that concurrent workers take the
    # same rows in the same order and the upsert then starts a forgotten count afresh.
    forgotten = now - timedelta(seconds=config.login_failure_memory)
    store.execute(sa.delete(SignInThrottle).where(SignInThrottle.last_failure_at < forgotten))
    _upsert_failure(store, key, now, config)
    failures = (
        store.scalar(sa.select(SignInThrottle.failures).where(SignInThrottle.account_key == key))
        or 0
    )
    delay = delay_after(failures, config)
    if delay is not None:
        store.execute(
            sa.update(SignInThrottle)
            .where(SignInThrottle.account_key == key)
            .values(blocked_until=now + delay)
        )
        audit.record(
            store,
            "sign_in.delayed",
            "denied",
            object_type="user",
            object_id=user.id if user else None,
            actor=audit.actor_for(user) if user else audit.Actor(),
            details={"failures": failures, "seconds": int(delay.total_seconds())},
        )
    if user is None:
        return
    # Incremented in SQL so concurrent workers never lose a failure.
    store.execute(
        sa.update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    locked = store.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            User.locked_at.is_(None),
            User.failed_logins >= config.lockout_threshold,
        )
        .values(locked_at=now)
    )
    store.flush()
    store.refresh(user)
    if db.rowcount(locked):
        audit.record(
            store,
            "account.locked",
            "denied",
            object_type="user",
            object_id=user.id,
            actor=audit.actor_for(user),
        )


def clear_failures(store: Session, user: User, config: Settings) -> None:
    """Forget ``user``'s failures: no delay, and the lock-out count starts again."""
    user.failed_logins = 0
    store.execute(
        sa.delete(SignInThrottle).where(
            SignInThrottle.account_key == account_key(user.email, config.secret_key)
        )
    )


def _failed(
    store: Session, user: User | None, action: str, reason: str, outcome: str = "failed"
) -> None:
    # Which factor failed and why is for auditors only; the person sees one message.
    audit.record(
        store,
        action,
        outcome,
        object_type="user",
        object_id=user.id if user else None,
        actor=audit.actor_for(user) if user else audit.Actor(),
        details={"reason": reason},
    )


def check_password(
    store: Session, email: str, password: str, now: datetime, config: Settings
) -> User | None:
    """The user who may go on to the code step, or None after recording the failure."""
    key = account_key(email, config.secret_key)
    user = find_user(store, email)
    if is_throttled(store, key, now):
        passwords.verify_password(None, password)  # same cost as a real attempt
        _failed(store, user, "sign_in.password", "throttled", "denied")
        return None
    valid = passwords.verify_password(user.password_hash if user else None, password)
    if not valid or user is None:
        record_failure(store, key, now, user, config)
        _failed(store, user, "sign_in.password", "wrong_password" if user else "unknown_account")
        return None
    if not user.is_active:
        _failed(store, user, "sign_in.password", "account_inactive", "denied")
        return None
    if passwords.needs_rehash(user.password_hash or ""):
        user.password_hash = passwords.hash_password(password)
    audit.record(
        store,
        "sign_in.password",
        object_type="user",
        object_id=user.id,
        actor=audit.actor_for(user),
    )
    return user


def _may_use_link(user: User) -> bool:
    # A lock is exactly what a password link may lift; a disabled account or a partner
    # organisation out of standing is not.
    return user.active_on(clock.now().date(), lock_counts=False)


def check_code(
    store: Session, user: User, code: str, now: datetime, config: Settings, *, via: str = "sign_in"
) -> bool:
    """Accept a code from the user's app; a wrong code counts as a failure and is audited.

    ``via`` is ``"sign_in"`` (signing in, enrolment, re-authentication) or
    ``"password_link"``, which names the audit events and lets a locked account through so
    that the link can unlock it. The first accepted code confirms a pending second factor.
    """
    action = f"{via}.code"
    key = account_key(user.email, config.secret_key)
    usable = _may_use_link(user) if via == "password_link" else user.is_active
    if not usable:
        _failed(store, user, action, "account_inactive", "denied")
        return False
    if is_throttled(store, key, now):
        _failed(store, user, action, "throttled", "denied")
        return False
    step = totp.accepted_step(totp_secret(store, user), code, now, user.totp_last_step)
    if step is None or not _claim_step(store, user, step):
        record_failure(store, key, now, user, config)
        _failed(store, user, action, "wrong_code")
        return False
    if user.totp_confirmed_at is None:
        user.totp_confirmed_at = now
        audit.record(
            store,
            "second_factor.enrolled",
            object_type="user",
            object_id=user.id,
            actor=audit.actor_for(user),
        )
    return True


def _claim_step(store: Session, user: User, step: int) -> bool:
    """Take the code's time step for the account, once (R6): the condition is in the UPDATE,
    so of two requests sending the same code at the same moment the second finds the step
    taken once the first commits (PostgreSQL asks the condition again under the row lock),
    however stale its own copy of the account."""
    claimed = store.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return db.rowcount(claimed) == 1


def complete_password_link(
    store: Session, link: PasswordLink, password: str, code: str, now: datetime, config: Settings
) -> None:
    """Set the password through ``link``; a user with a confirmed second factor must also
    give a valid code, checked exactly as at sign-in. Success spends the link, lifts a lock
    and forgets earlier failures.

    Raises ``PasswordRejected`` before anything is written, and :class:`services.UserError`
    for a wrong or delayed code, whose failure must be committed to count.
    """
    user = link.user
    passwords.check_new_password(user, password)
    if user.totp_confirmed_at is not None and not check_code(
        store, user, code, now, config, via="password_link"
    ):
        raise services.UserError.on("code", _l("The code is wrong or has already been used."))
    passwords.use_password_link(store, link, password, now)
    clear_failures(store, user, config)


def change_password(
    store: Session, user: User, current: str, new: str, code: str, now: datetime, config: Settings
) -> None:
    """Change the signed-in user's password; the current password and a fresh code are
    checked, counted and delayed exactly as at sign-in. Ends all the user's sessions and
    revokes their API tokens.

    Raises ``PasswordRejected`` before anything is written, and :class:`services.UserError`
    for a wrong or delayed credential, whose failure must be committed to count.
    """
    passwords.check_new_password(user, new)
    if check_password(store, user.email, current, now, config) is None or not check_code(
        store, user, code, now, config
    ):
        raise services.UserError.on("current", _l("The current password or the code is wrong."))
    passwords.set_password(store, user, new, via="account", now=now)


def unlock(store: Session, user: User, config: Settings) -> None:
    """An administrator lifts a lock-out, and any delay with it: the owner may sign in now."""
    services.unlock_user(store, user)
    clear_failures(store, user, config)


def signed_in(store: Session, user: User, config: Settings) -> None:
    """Both factors succeeded: forget the failures and audit the sign-in."""
    clear_failures(store, user, config)
    audit.record(
        store, "sign_in", object_type="user", object_id=user.id, actor=audit.actor_for(user)
    )


def _load_user(user_id: str) -> User | None:
    # Looked up on every request, so a disabled, locked or suspended account is out at once.
    store = db.session()
    try:
        user = store.get(User, uuid.UUID(user_id))
    except ValueError:
        return None
    if (
        user is not None
        and user.partner is not None
        and not in_standing(user.partner, clock.now().date())
    ):
        # A lapse by date has no event to end the sessions, so the first request after it
        # does: re-vetting later restores signing in afresh, not this session.
        ended = end_all_sessions(store, user.id)
        audit.record(
            store,
            "sessions.ended",
            "denied",
            object_type="user",
            object_id=user.id,
            actor=audit.actor_for(user),
            details={"reason": "partner_out_of_standing", "sessions": ended},
        )
        store.commit()
        return None
    return user if user is not None and user.is_active else None


def _load_bearer(request: Request) -> User | None:
    if not request.path.startswith(API_PREFIX):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    store = db.session()
    db.begin_sign_in_reads(store)
    checked = tokens.check_token(store, token.strip(), clock.now())
    if checked.refused is not None:
        # A token Passage issued, used after it stopped working: perhaps a stolen copy
        # replayed, so auditors see each use. The caller is not its holder, as far as anyone
        # knows. A token never issued leaves nothing, or anyone could fill the log.
        store.rollback()
        audit.record(
            store,
            "token.refused",
            "denied",
            object_type="api_token",
            object_id=checked.refused.id,
            details={"reason": checked.reason},
            actor=audit.Actor(),
        )
        store.commit()
    return checked.user


# Flask-Login ships no type hints, so LoginManager is Any to mypy.
class SignInOnlyLoginManager(LoginManager):  # type: ignore[misc]
    """Flask-Login without its remember-me cookie.

    That cookie is ``user_id|HMAC(SECRET_KEY)``: anyone holding the secret key, or one such
    cookie, would be signed in with no password, no second factor and no audit event, and it
    outlives every server-side session end. A session here comes only from signing in.
    """

    def _load_user_from_remember_cookie(self, cookie: str) -> User | None:
        # Flask-Login skips the request loader when the cookie is present; a stray cookie
        # must not change how a bearer token is read, nor sign anyone in.
        user: User | None = self._load_user_from_request(request)
        return user

    def _update_remember_cookie(self, response: Response) -> Response:
        session.pop("_remember", None)
        return response


def init_app(app: Flask) -> None:
    """Wire Flask-Login to Passage's users, sessions and bearer tokens."""
    manager = SignInOnlyLoginManager(app)
    manager.session_protection = None  # sessions are renewed and revoked server-side instead
    manager.user_loader(_load_user)
    manager.request_loader(_load_bearer)
