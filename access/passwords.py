"""Password rules and hashing: 12 to 128 characters after NFKC, no composition rules, a
blocklist of common and context words, Argon2id with parameters from the configuration."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

from core import settings
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
    words = [w.casefold() for w in (*CONTEXT_WORDS, *extra_words) if w]
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
