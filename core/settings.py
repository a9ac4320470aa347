"""Configuration: defaults, ``instance/config.py``, ``PASSAGE_*`` variables, then overrides.

Production (``PASSAGE_ENV`` unset or ``production``) refuses to start with any setting that
would weaken the service, or with an instance folder other users may open; :func:`check` names
the setting and how to fix it. The checked values then become the app's frozen, typed
:class:`~core.settings_type.Settings`, which the application reads through :func:`current`
(or :func:`of` an app); ``app.config`` stays for Flask and its extensions.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

from core import languages
from core.protocol_defaults import RED_FLAG_PROTOCOLS
from core.settings_type import (
    ConfigError as ConfigError,
)  # re-exported for instance files and callers
from core.settings_type import Settings, build, whole_number

EXTENSION = "passage.settings"

ENVIRONMENTS = ("production", "development", "testing")
# Development and tests serve on this machine; `make run` answers on 127.0.0.1:5000.
DEV_BASE_URL = "http://127.0.0.1:5000"
DEV_HOSTS = ("127.0.0.1", "localhost")

# Policy floor for Argon2id (OWASP / RFC 9106 second recommendation).
ARGON2_MIN = {"ARGON2_TIME_COST": 3, "ARGON2_MEMORY_COST": 65536, "ARGON2_PARALLELISM": 1}

KEY_PERIODS = ("MASTER_KEY_PERIOD_DAYS", "BACKUP_RETENTION_DAYS")

DEFAULTS: dict[str, Any] = {
    "ENV": "production",
    "SECRET_KEY": None,
    "DATABASE_URL": None,
    "DEBUG": False,
    "TESTING": False,
    "LANGUAGES": list(languages.LANGUAGES),
    "BABEL_DEFAULT_LOCALE": "en",
    # The deployment's time zone (IANA, such as Europe/Athens): pages show moments in it and
    # a red-flag action's time is written in it; stored times stay UTC, and the audit log
    # keeps UTC on its pages, as the servers' own logs do.
    "TIME_ZONE": "UTC",
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "TRUSTED_PROXIES": 0,
    "SESSION_IDLE_TIMEOUT": 30 * 60,
    "SESSION_ABSOLUTE_TIMEOUT": 12 * 60 * 60,
    "STEP_UP_MAX_AGE": 5 * 60,
    "SIGN_IN_STEP_MAX_AGE": 5 * 60,
    # Sign-in throttling per account (access.authn): free failures, then delays doubling
    # from LOGIN_DELAY up to LOGIN_DELAY_MAX seconds; failures are forgotten after
    # LOGIN_FAILURE_MEMORY seconds without one; LOCKOUT_THRESHOLD consecutive ones lock.
    "LOGIN_FAILURE_LIMIT": 5,
    "LOGIN_DELAY": 60,
    "LOGIN_DELAY_MAX": 15 * 60,
    "LOGIN_FAILURE_MEMORY": 24 * 60 * 60,
    "LOCKOUT_THRESHOLD": 100,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT": "30 per minute",
    "API_RATE_LIMIT": "600 per minute",
    # Costly endpoints, limited per signed-in user and, higher as an office's colleagues
    # share one address, per client address (R59): exports (CSV downloads, the person's
    # copy), searches (lists with filters, a case page's look for an earlier record of its
    # person), and the audit log's pages, export and checks.
    "EXPORT_RATE_LIMIT": "30 per hour",
    "EXPORT_ADDRESS_RATE_LIMIT": "300 per hour",
    "SEARCH_RATE_LIMIT": "300 per minute",
    "SEARCH_ADDRESS_RATE_LIMIT": "3000 per minute",
    "AUDIT_RATE_LIMIT": "60 per minute",
    "AUDIT_ADDRESS_RATE_LIMIT": "600 per minute",
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
    "TOTP_ISSUER": "Passage",
    "API_TOKEN_DAYS": 90,
    "PASSWORD_LINK_HOURS": 24,
    # Days an account change waits for a second person's approval before it expires.
    "ACCOUNT_CHANGE_DAYS": 3,
    "RETENTION_DAYS": 730,
    # `keys rotate` (core/rotation.py, docs/operations.md): a new master key once the newest
    # is this many days old; a master key retired (its last data key moved to a newer one)
    # for BACKUP_RETENTION_DAYS is destroyed, so backups older than that cannot be read and a
    # shredded person is gone from every backup within the sum of the two.
    "MASTER_KEY_PERIOD_DAYS": 30,
    "BACKUP_RETENTION_DAYS": 35,
    # Statistics: counts under this many people are never published (docs/reporting.md §3);
    # 10 at the least, whatever is configured.
    "STATS_THRESHOLD": 10,
    # What a screener does when a red flag is raised: one protocol per kind, each with a
    # title, the steps and who to call, in every interview language. Set the deployment's own
    # numbers and duty lines in instance/config.py (the whole mapping: screening.protocols
    # checks it at start-up and names anything missing).
    "RED_FLAG_PROTOCOLS": RED_FLAG_PROTOCOLS,
    # When the hours a person gives count as excessive working hours (the interview asks
    # for numbers, not a judgement): this many hours a day, or this many days a week.
    "EXCESSIVE_HOURS_PER_DAY": 12,
    "EXCESSIVE_DAYS_PER_WEEK": 7,
    # The pay in a month, in the local money, under which the pay a person gives counts as
    # very low pay (ec_low_pay): a legal minimum wage is the usual choice. 0 means not set,
    # and the interview then asks for the pay as a yes or no only; pay of 0 is "no pay".
    "LOW_PAY_PER_MONTH": 0,
    # Hours a partner has to answer a referral before the sender's supervisor is told, and
    # after which an unanswered referral expires so the sender can try the next partner.
    "REFERRAL_HOURS_URGENT": 24,
    "REFERRAL_HOURS_NORMAL": 72,
    "REFERRAL_EXPIRE_HOURS": 7 * 24,
    "BREAK_GLASS_MINUTES": 60,
    # E-mail for notices; none is sent while MAIL_SERVER is empty. Notices carry a link only.
    "MAIL_SERVER": "",
    "MAIL_PORT": 587,
    "MAIL_USE_TLS": True,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "passage@localhost",
    # `notices send` (referral.outbox): a notice's e-mail that fails is tried again after
    # MAIL_RETRY_DELAY seconds, doubling up to MAIL_RETRY_DELAY_MAX, and after
    # MAIL_MAX_ATTEMPTS attempts waits for an administrator (about two hours with these).
    "MAIL_MAX_ATTEMPTS": 8,
    "MAIL_RETRY_DELAY": 60,
    "MAIL_RETRY_DELAY_MAX": 60 * 60,
    # The audit sealer chains each committed event within AUDIT_SEAL_MAX_DELAY_MS
    # (docs/security.md, Audit trail): "thread" runs it in every web worker (they take
    # turns) and lets commands seal their own events; "external" leaves it to
    # `flask --app wsgi audit seal --watch`, run as a service of its own.
    "AUDIT_SEALER": "thread",
    "AUDIT_SEAL_MAX_DELAY_MS": 1000,
    # Where every link the service hands out points, e.g. https://passage.example.org; only
    # requests for its host are served. Required in production; elsewhere DEV_BASE_URL.
    "BASE_URL": None,
    # Further host names requests may use (an internal health-check name, say).
    "TRUSTED_HOSTS": None,
    "WTF_CSRF_TIME_LIMIT": None,
    # Referrer-Policy: no-referrer means browsers send no Referer, so Flask-WTF's referrer
    # check would refuse every form over HTTPS. The token and SameSite=Strict protect instead.
    "WTF_CSRF_SSL_STRICT": False,
    # None means "derive from ENV": Secure and __Host- everywhere but development.
    "SESSION_COOKIE_SECURE": None,
    "SESSION_COOKIE_NAME": None,
}


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from defaults, the instance file, the environment and ``overrides``,
    check it, and keep its :class:`Settings` for :func:`current` and :func:`of`."""
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("PASSAGE")
    app.config.update(overrides or {})
    _derive(app)
    check(app.config, app.instance_path)
    app.extensions[EXTENSION] = build(app.config)


def of(app: Flask) -> Settings:
    """The settings of ``app`` (CLI commands and benchmarks that hold the app object)."""
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def current() -> Settings:
    """The settings of the current app."""
    return of(current_app)


def _derive(app: Flask) -> None:
    config = app.config
    if config["DATABASE_URL"] is None:
        config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'passage.sqlite3'}"
    if config["SECRET_KEY"] is None and config["ENV"] != "production":
        # Development and tests may run without a configured key; sessions die with the process.
        logging.getLogger(__name__).warning("no SECRET_KEY configured; using a throwaway key")
        config["SECRET_KEY"] = secrets.token_urlsafe(48)
    if config["SESSION_COOKIE_SECURE"] is None:
        config["SESSION_COOKIE_SECURE"] = config["ENV"] != "development"
    secure = config["SESSION_COOKIE_SECURE"]
    if config["SESSION_COOKIE_NAME"] is None:
        # The __Host- prefix makes browsers refuse the cookie unless Secure, path=/, no domain.
        config["SESSION_COOKIE_NAME"] = "__Host-passage" if secure else "passage"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Strict"
    config["SESSION_COOKIE_PATH"] = "/"
    config["SESSION_COOKIE_DOMAIN"] = None
    config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
    config["BABEL_DEFAULT_TIMEZONE"] = config["TIME_ZONE"]  # what flask_babel.get_timezone says
    _derive_hosts(config)


def _derive_hosts(config: Any) -> None:
    # Links are built from BASE_URL, never from the Host header a client sends, and a request
    # naming another host is refused (400) rather than answered under a name we do not own.
    extra = config["TRUSTED_HOSTS"] or []
    if isinstance(extra, str):  # PASSAGE_TRUSTED_HOSTS=a.example,b.example
        extra = [name.strip() for name in extra.split(",") if name.strip()]
    extra = list(extra)
    if config["BASE_URL"] is None and config["ENV"] != "production":
        config["BASE_URL"] = DEV_BASE_URL
        extra.extend(DEV_HOSTS)
    host = urlsplit(str(config["BASE_URL"] or "")).hostname
    config["TRUSTED_HOSTS"] = sorted({*extra, host} - {None}) or None


SEALERS = ("thread", "external")


def check(config: Any, instance_path: str | None = None) -> None:
    """Raise :class:`ConfigError` when ``config`` (or the instance folder at
    ``instance_path``) is unsafe for its environment."""
    env = config["ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"PASSAGE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    if config["AUDIT_SEALER"] not in SEALERS:
        raise ConfigError(f"AUDIT_SEALER must be one of {', '.join(SEALERS)}")
    if not 10 <= _whole(config, "AUDIT_SEAL_MAX_DELAY_MS") <= 3_600_000:
        raise ConfigError("AUDIT_SEAL_MAX_DELAY_MS must be from 10 to 3600000 (an hour)")
    for name in KEY_PERIODS:
        if _whole(config, name) < 1:
            # Zero would make every `keys rotate` run make a key, or destroy the key of the
            # backup taken a minute ago.
            raise ConfigError(f"{name} must be a whole number of days, at least 1")
    if not _zone(config["TIME_ZONE"]):
        raise ConfigError("TIME_ZONE must be an IANA time zone name, such as Europe/Athens or UTC")
    if _whole(config, "LOW_PAY_PER_MONTH") < 0:
        raise ConfigError("LOW_PAY_PER_MONTH must be 0 (not set) or a whole amount of money")
    if env != "production":
        return
    problems = list(_production_problems(config))
    if instance_path is not None:
        problems.extend(_instance_problems(Path(instance_path)))
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))


def _zone(name: Any) -> bool:
    try:
        ZoneInfo(str(name))
    except (ValueError, ZoneInfoNotFoundError):
        return False
    return True


def _instance_problems(folder: Path) -> Any:
    # Configuration, keys and the SQLite database live here: nobody but the service user
    # may list, read or write it.
    if folder.exists() and folder.stat().st_mode & 0o077:
        mode = oct(folder.stat().st_mode & 0o777)[2:]
        yield (
            f"the instance folder {folder} is open to other users (mode {mode}): run "
            f"chmod 700 {folder} so that only the service user can read or write it"
        )


# What production accepts for the session rules, in seconds: an idle session for two hours
# at most, a sign-in for a day, a re-authentication for a quarter of an hour (docs/security.md,
# R14, R17).
SESSION_BOUNDS = {
    "SESSION_IDLE_TIMEOUT": (60, 2 * 60 * 60),
    "SESSION_ABSOLUTE_TIMEOUT": (60 * 60, 24 * 60 * 60),
    "STEP_UP_MAX_AGE": (60, 15 * 60),
}


def _production_problems(config: Any) -> Any:
    key = config["SECRET_KEY"]
    if not key or len(str(key).encode()) < 32:
        yield (
            "SECRET_KEY must be set to at least 32 random bytes (instance/config.py or "
            "PASSAGE_SECRET_KEY); generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if config["DEBUG"] or os.environ.get("FLASK_DEBUG", "0") not in ("", "0", "false"):
        yield "DEBUG must be off"
    if config["TESTING"]:
        yield "TESTING must be off"
    if not config["SESSION_COOKIE_SECURE"]:
        yield "SESSION_COOKIE_SECURE must be on (serve over HTTPS)"
    if not str(config["SESSION_COOKIE_NAME"]).startswith("__Host-"):
        yield "SESSION_COOKIE_NAME must keep the __Host- prefix"
    if str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        yield (
            "RATELIMIT_STORAGE_URI must point at shared storage such as "
            "redis://127.0.0.1:6379/0 (in-memory limits multiply with workers)"
        )
    base = urlsplit(str(config["BASE_URL"] or ""))
    if base.scheme != "https" or not base.hostname or base.path.strip("/") or base.query:
        yield (
            "BASE_URL must be set to this service's public https address, such as "
            "https://passage.example.org (PASSAGE_BASE_URL): links to set a password are "
            "built from it, and requests naming any other host are refused"
        )
    if not 1 <= _whole(config, "PASSWORD_LINK_HOURS") <= 24:
        # A link to set a password is a credential in someone's mailbox: a day at most (R9).
        yield "PASSWORD_LINK_HOURS must be from 1 to 24"
    if (
        _whole(config, "MAIL_MAX_ATTEMPTS") < 1
        or _whole(config, "MAIL_RETRY_DELAY") < 1
        or _whole(config, "MAIL_RETRY_DELAY_MAX") < _whole(config, "MAIL_RETRY_DELAY")
    ):
        yield (
            "MAIL_MAX_ATTEMPTS and MAIL_RETRY_DELAY must be at least 1, and "
            "MAIL_RETRY_DELAY_MAX at least MAIL_RETRY_DELAY"
        )
    for name, floor in ARGON2_MIN.items():
        if _whole(config, name) < floor:
            yield f"{name} must be at least {floor}"
    # One mistyped variable must not turn the session rules off for everyone (R14, R17).
    for name, (low, high) in SESSION_BOUNDS.items():
        if not low <= _whole(config, name) <= high:
            yield f"{name} must be from {low} to {high} seconds"


def _whole(config: Any, name: str) -> int:
    # A value that is no number is named here, not left to fail as a bare ValueError.
    return whole_number(name, config[name])
