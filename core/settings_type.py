"""The typed, frozen settings the application reads: :class:`Settings` and :func:`build`.

``core.settings`` merges the sources into ``app.config`` and checks them (docs/architecture.md,
"…a setting"); :func:`build` then turns the merged values into one :class:`Settings`, a field
per setting named in lower case (``RETENTION_DAYS`` is ``retention_days``). A value of the wrong
type stops start-up with a :class:`ConfigError` naming the setting; text from an environment
variable becomes the number or switch the setting needs. Flask and its extensions keep reading
their own keys (``SECRET_KEY``, ``SESSION_COOKIE_*``, ``WTF_*``, ``RATELIMIT_*``, ``BABEL_*``)
from ``app.config``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, get_type_hints


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says which setting and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting the application reads; the defaults and their meaning are in
    ``core.settings.DEFAULTS`` and the README's configuration table."""

    env: str
    secret_key: str
    database_url: str
    base_url: str
    languages: tuple[str, ...]
    babel_default_locale: str
    time_zone: str
    trusted_proxies: int
    session_cookie_secure: bool
    session_idle_timeout: int
    session_absolute_timeout: int
    step_up_max_age: int
    sign_in_step_max_age: int
    login_failure_limit: int
    login_delay: int
    login_delay_max: int
    login_failure_memory: int
    lockout_threshold: int
    login_rate_limit: str
    api_rate_limit: str
    export_rate_limit: str
    export_address_rate_limit: str
    search_rate_limit: str
    search_address_rate_limit: str
    audit_rate_limit: str
    audit_address_rate_limit: str
    argon2_time_cost: int
    argon2_memory_cost: int
    argon2_parallelism: int
    totp_issuer: str
    api_token_days: int
    password_link_hours: int
    account_change_days: int
    retention_days: int
    master_key_period_days: int
    backup_retention_days: int
    stats_threshold: int
    red_flag_protocols: Mapping[str, Any]
    excessive_hours_per_day: int
    excessive_days_per_week: int
    low_pay_per_month: int
    referral_hours_urgent: int
    referral_hours_normal: int
    referral_expire_hours: int
    break_glass_minutes: int
    mail_server: str
    mail_port: int
    mail_use_tls: bool
    mail_username: str
    mail_password: str
    mail_from: str
    mail_max_attempts: int
    mail_retry_delay: int
    mail_retry_delay_max: int
    audit_sealer: str
    audit_seal_max_delay_ms: int
    # Tests point the catalogue elsewhere; unset, screening.instruments reads its own folder.
    instruments_path: str | None = None
    # Retired: screening.protocols refuses to start while it is set, naming where it went.
    safety_contact: object = None


_WHOLE = re.compile(r"[+-]?\d+")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def whole_number(name: str, value: Any) -> int:
    """``value`` as an int, from an int or its digits; else a :class:`ConfigError` naming
    ``name``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    raise ConfigError(f"{name} must be a whole number, not {value!r}")


def _switch(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"{name} must be on or off (true or false), not {value!r}")


def _text(name: str, value: Any) -> str:
    # An environment variable of digits arrives as a number (Flask parses it as JSON).
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    # The value is not repeated: a text setting may be a secret.
    raise ConfigError(f"{name} must be text, not {type(value).__name__}")


def _optional_text(name: str, value: Any) -> str | None:
    return None if value is None else _text(name, value)


def _secret(name: str, value: Any) -> str:
    # Flask accepts a bytes key; the application digests its text form, as it always has.
    return str(value) if isinstance(value, bytes) else _text(name, value)


def _texts(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # PASSAGE_LANGUAGES=en,fr
        value = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple) and all(isinstance(part, str) for part in value):
        return tuple(value)
    raise ConfigError(f"{name} must be a list of text, not {value!r}")


def _mapping(name: str, value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return MappingProxyType(dict(value))
    raise ConfigError(f"{name} must be a mapping, not {type(value).__name__}")


_COERCE: dict[Any, Callable[[str, Any], Any]] = {
    int: whole_number,
    bool: _switch,
    str: _text,
    str | None: _optional_text,
    tuple[str, ...]: _texts,
    Mapping[str, Any]: _mapping,
    object: lambda _name, value: value,
}
_HINTS = get_type_hints(Settings)


def build(config: Mapping[str, Any]) -> Settings:
    """The :class:`Settings` of the merged, checked ``config``; raise :class:`ConfigError`
    naming the first setting missing or of the wrong type."""
    values: dict[str, Any] = {}
    for field in fields(Settings):
        name = field.name.upper()
        if name not in config and field.default is None:
            continue
        if name not in config:
            raise ConfigError(f"{name} is not set")
        coerce = _secret if field.name == "secret_key" else _COERCE[_HINTS[field.name]]
        values[field.name] = coerce(name, config[name])
    return Settings(**values)
