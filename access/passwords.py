"""Passwords: the rules (12 to 128 characters after NFKC, no composition rules, a blocklist
of common and context words), hashing with Argon2id at the configured cost, setting a user's
password, and the single-use links by which a user chooses one (docs/security.md, R1 to R4
and R9). Functions that take a session never commit."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

import sqlalchemy as sa
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit
from access.models import PasswordLink, User
from access.sessions import end_all_sessions
from access.tokens import digest, revoke_all
from core import mail, settings
from core.errors import RefusedError
from core.settings_type import Settings

MIN_LENGTH = 12
MAX_LENGTH = 128

# Words anyone guessing a Passage password would try first.
CONTEXT_WORDS = (
    "passage",
    "trafficking",
    "screening",
    "screener",
    "referral",
    "partner",
    "organisation",
    "organization",
    "password",
    "welcome",
)
_LETTERS = re.compile(r"[^\W\d_]+")  # runs of letters, as a context word is split


class PasswordRejected(RefusedError):
    """The password breaks a rule; ``str(error)`` is a message fit for the user, and the
    problem of the ``password`` field."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields or {"password": message})


def normalise(password: str) -> str:
    """NFKC form, so the same visible password hashes the same however it was typed."""
    return unicodedata.normalize("NFKC", password)


def check_policy(password: str, email: str, extra_words: Iterable[str] = ()) -> None:
    """Raise :class:`PasswordRejected` unless ``password`` may be chosen by ``email``'s owner."""
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.casefold()
    if lowered in common_passwords():
        raise PasswordRejected(_l("This password is too common. Choose another."))
    name = email.split("@", 1)[0].casefold()
    if len(name) >= 3 and name in lowered:
        raise PasswordRejected(_l("The password must not contain your user name."))
    letters = re.sub(r"[\W\d_]+", "", lowered)
    # A slug or name ("demo-shelter", "Demo Shelter Network") counts word by word, its
    # letters taken as the password's are.
    words = [
        w for phrase in (*CONTEXT_WORDS, *extra_words) for w in _LETTERS.findall(phrase.casefold())
    ]
    if letters and _made_of(letters, words):
        raise PasswordRejected(_l("This password is too easy to guess. Choose another."))


def _made_of(letters: str, words: list[str]) -> bool:
    # True when the letters are nothing but context words, e.g. "Passage2026!!" or
    # "screening-referral".
    pattern = "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")+"
    return re.fullmatch(pattern, letters) is not None


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, case-folded."""
    text = resources.files("access").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def make_hasher(config: Settings) -> PasswordHasher:
    """An Argon2id hasher with the configured cost."""
    return PasswordHasher(
        time_cost=config.argon2_time_cost,
        memory_cost=config.argon2_memory_cost,
        parallelism=config.argon2_parallelism,
        type=Type.ID,
    )


def _hasher() -> PasswordHasher:
    # Flask types current_app as the Flask it stands for, hiding the proxy's own method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "passage.hasher" not in app.extensions:
        app.extensions["passage.hasher"] = make_hasher(settings.of(app))
    hasher: PasswordHasher = app.extensions["passage.hasher"]
    return hasher


def hash_password(password: str) -> str:
    """Hash ``password`` (after NFKC) with the configured Argon2id parameters."""
    return _hasher().hash(normalise(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``password_hash``; with no hash, spend the same time and fail.

    Unknown accounts cost one Argon2 verification too, so timing does not tell them apart.
    """
    hasher = _hasher()
    if password_hash is None:
        # Flask types current_app as the Flask it stands for, hiding the proxy's own method.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if "passage.dummy_hash" not in app.extensions:
            app.extensions["passage.dummy_hash"] = hasher.hash(secrets.token_urlsafe(16))
        _safe_verify(hasher, app.extensions["passage.dummy_hash"], password)
        return False
    return _safe_verify(hasher, password_hash, password)


def _safe_verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` was made with parameters below the current policy."""
    return _hasher().check_needs_rehash(password_hash)


def _partner_words(user: User) -> tuple[str, ...]:
    return (user.partner.slug, user.partner.name) if user.partner else ()


def set_password(store: Session, user: User, password: str, via: str, now: datetime) -> None:
    """Replace ``user``'s password after checking the policy; ends all their sessions and
    revokes their API tokens."""
    check_policy(password, user.email, _partner_words(user))
    user.password_hash = hash_password(password)
    end_all_sessions(store, user.id)
    revoke_all(store, user.id, now)
    cancel_password_links(store, user, now)
    audit.record(
        store,
        "password.changed",
        object_type="user",
        object_id=user.id,
        actor=audit.actor_for(user),
        details={"via": via},
    )


def issue_password_link(store: Session, user: User, now: datetime, hours: int) -> str:
    """Create a single-use link token for ``user`` to choose a password; return the token.

    Earlier unused links of the user stop working. Only the token's SHA-256 is stored.
    """
    cancel_password_links(store, user, now)
    token = secrets.token_urlsafe(32)
    store.add(
        PasswordLink(
            id=uuid.uuid4(),
            user_id=user.id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    audit.record(store, "password_link.issued", object_type="user", object_id=user.id)
    return token


def cancel_password_links(store: Session, user: User, now: datetime) -> None:
    """Every unused password link of ``user`` stops working: a link is issued for the
    account as it stood then, and must not outlive a new link, a new password, a disabled
    account or a reset second factor (docs/security.md, R9). A link of an account with no
    confirmed second factor sets a password with no code, so one issued before a reset
    would otherwise hand the account to whoever holds it."""
    store.execute(
        sa.update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
    )


def send_password_link(store: Session, user: User, now: datetime, config: Settings) -> bool:
    """E-mail ``user`` a fresh link to choose a password, once the transaction commits.

    False, issuing nothing, when no mail server is configured: then only the operator at the
    console can hand out a link (``users link``). The link is never shown to whoever asked.
    """
    if not mail.configured(config):
        return False
    token = issue_password_link(store, user, now, config.password_link_hours)
    mail.queue(
        store,
        user.email,
        "Passage: choose your password",
        "Choose your Passage password with this single-use link. It expires in "
        f"{config.password_link_hours} hours:\n{password_link_url(config, token)}\n"
        "If you did not expect this message, tell your administrator.\n",
    )
    return True


def password_link_url(config: Settings, token: str) -> str:
    """The address of a password link, under ``BASE_URL`` whatever Host a request named."""
    return mail.absolute_url(config, f"/password/{token}")


def find_password_link(store: Session, token: str, now: datetime) -> PasswordLink | None:
    """The usable link for ``token``: unknown, used or expired links answer None."""
    link = store.scalar(sa.select(PasswordLink).where(PasswordLink.token_hash == digest(token)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    if link.user.disabled_at is not None:
        return None
    return link


def check_new_password(user: User, password: str) -> None:
    """Raise ``PasswordRejected`` unless ``user`` may choose ``password``."""
    check_policy(password, user.email, _partner_words(user))


def use_password_link(store: Session, link: PasswordLink, password: str, now: datetime) -> None:
    """Set the password through ``link`` and spend it; the caller has checked the second
    factor (``access.authn.complete_password_link``). A lock-out is lifted: the link came
    from an administrator, and the user proved they hold it (and their second factor, once
    enrolled), which no one guessing passwords can."""
    user = link.user
    set_password(store, user, password, via="link", now=now)
    link.used_at = now
    if user.locked_at is not None:
        user.locked_at = None
        audit.record(
            store,
            "user.unlocked",
            object_type="user",
            object_id=user.id,
            actor=audit.actor_for(user),
            details={"via": "link"},
        )
    user.failed_logins = 0
