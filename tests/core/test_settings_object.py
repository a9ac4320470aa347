"""The typed settings object: frozen, typed at start-up (bad values stop start-up naming the
setting), and the only way the application reads its settings (docs/architecture.md,
"…a setting")."""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
from collections.abc import Mapping
from pathlib import Path
from types import NoneType
from typing import Any

import pytest

from core import keys, settings
from core.settings import ConfigError
from wsgi import create_app

ROOT = Path(__file__).resolve().parents[2]

# Each field and the type its value has under the test configuration.
FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "env": str,
    "secret_key": str,
    "database_url": str,
    "base_url": str,
    "languages": tuple,
    "babel_default_locale": str,
    "time_zone": str,
    "trusted_proxies": int,
    "session_cookie_secure": bool,
    "session_idle_timeout": int,
    "session_absolute_timeout": int,
    "step_up_max_age": int,
    "sign_in_step_max_age": int,
    "login_failure_limit": int,
    "login_delay": int,
    "login_delay_max": int,
    "login_failure_memory": int,
    "lockout_threshold": int,
    "login_rate_limit": str,
    "api_rate_limit": str,
    "export_rate_limit": str,
    "export_address_rate_limit": str,
    "search_rate_limit": str,
    "search_address_rate_limit": str,
    "audit_rate_limit": str,
    "audit_address_rate_limit": str,
    "argon2_time_cost": int,
    "argon2_memory_cost": int,
    "argon2_parallelism": int,
    "totp_issuer": str,
    "api_token_days": int,
    "password_link_hours": int,
    "account_change_days": int,
    "retention_days": int,
    "master_key_period_days": int,
    "backup_retention_days": int,
    "stats_threshold": int,
    "red_flag_protocols": Mapping,
    "excessive_hours_per_day": int,
    "excessive_days_per_week": int,
    "low_pay_per_month": int,
    "referral_hours_urgent": int,
    "referral_hours_normal": int,
    "referral_expire_hours": int,
    "break_glass_minutes": int,
    "mail_server": str,
    "mail_port": int,
    "mail_use_tls": bool,
    "mail_username": str,
    "mail_password": str,
    "mail_from": str,
    "mail_max_attempts": int,
    "mail_retry_delay": int,
    "mail_retry_delay_max": int,
    "audit_sealer": str,
    "audit_seal_max_delay_ms": int,
    "instruments_path": NoneType,
    "safety_contact": NoneType,
}

SAFE_PRODUCTION: dict[str, Any] = {
    "ENV": "production",
    "SECRET_KEY": "k" * 48,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "BASE_URL": "https://passage.example.org",
}


def test_every_field_has_its_type_under_the_default_configuration(app: Any) -> None:
    values = settings.of(app)
    assert [field.name for field in dataclasses.fields(values)] == list(FIELD_TYPES)
    for name, kind in FIELD_TYPES.items():
        value = getattr(values, name)
        assert isinstance(value, kind), name
        # bool is an int to Python; an int setting must not hold a switch.
        assert kind is bool or not isinstance(value, bool), name
    assert values.languages == ("en", "fr", "es")
    assert values.retention_days == 730
    assert (values.master_key_period_days, values.backup_retention_days) == (30, 35)
    assert values.base_url == "http://127.0.0.1:5000"
    assert values.mail_use_tls is True


def test_settings_are_frozen(app: Any) -> None:
    values = settings.of(app)
    with pytest.raises(dataclasses.FrozenInstanceError):
        values.retention_days = 1  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        values.not_a_setting = 1  # type: ignore[attr-defined]
    assert settings.of(app).retention_days == 730


def test_current_reads_the_current_apps_settings(app: Any) -> None:
    with app.app_context():
        assert settings.current() is settings.of(app)


def test_numbers_and_switches_given_as_text_are_converted(
    make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PASSAGE_RETENTION_DAYS", "365")
    monkeypatch.setenv("PASSAGE_MAIL_USE_TLS", "false")
    app = make_app(BREAK_GLASS_MINUTES=" 30 ", MAIL_PORT="2525", LANGUAGES="en, fr")
    values = settings.of(app)
    assert values.retention_days == 365
    assert values.mail_use_tls is False
    assert values.break_glass_minutes == 30
    assert values.mail_port == 2525
    assert values.languages == ("en", "fr")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PASSAGE_RETENTION_DAYS", "two years"),
        ("PASSAGE_RETENTION_DAYS", "7.5"),
        ("PASSAGE_RETENTION_DAYS", "true"),
        ("PASSAGE_MAIL_PORT", "smtp"),
        ("PASSAGE_MAIL_USE_TLS", "maybe"),
    ],
)
def test_a_bad_environment_value_stops_start_up_naming_the_setting(
    make_app: Any, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable.removeprefix("PASSAGE_")):
        make_app()


def test_production_names_a_number_that_is_not_one(tmp_path: Path) -> None:
    keys.create_missing_in(tmp_path / "keys")
    with pytest.raises(ConfigError, match="PASSWORD_LINK_HOURS must be a whole number"):
        create_app(
            {"INSTANCE_PATH": str(tmp_path), **SAFE_PRODUCTION, "PASSWORD_LINK_HOURS": "a day"}
        )


def test_a_text_setting_of_another_type_is_named_without_its_value(make_app: Any) -> None:
    with pytest.raises(ConfigError, match="MAIL_PASSWORD must be text") as raised:
        make_app(MAIL_PASSWORD=["hunter2-synthetic"])
    assert "hunter2-synthetic" not in str(raised.value)


# House rule: the application reads its settings through core.settings, never by string key
# from app.config. Only these keys of Flask's extensions are set or read there by our code.
EXTENSION_KEYS = {"RATELIMIT_HEADERS_ENABLED", "RATELIMIT_ENABLED"}
LOADER = "core/settings.py"  # fills app.config from the sources, and builds the settings
CONFIG_USE = re.compile(
    r"(?P<owner>[\w.]+)\.config\b"
    r"(?:\s*\[\s*[\"'](?P<item>\w+)[\"']\s*\]|\.(?:get|setdefault)\(\s*[\"'](?P<call>\w+)[\"'])?"
)
TEMPLATE_CONFIG = re.compile(r"\bconfig\s*[.\[]")


def config_reads(source: str) -> list[str]:
    """Every use of a Flask config in ``source`` other than an allowed extension key."""
    found = []
    for use in CONFIG_USE.finditer(source):
        if use["owner"] == "alembic":  # the migration tool's module, not Flask's config
            continue
        key = use["item"] or use["call"]
        if key not in EXTENSION_KEYS:
            found.append(use.group(0))
    return found


def code_of(source: str) -> str:
    """``source`` without its docstrings and comments, which may name ``app.config`` in prose."""
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            for number in range(body[0].lineno - 1, body[0].end_lineno or body[0].lineno):
                lines[number] = ""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, column = token.start
            lines[row - 1] = lines[row - 1][:column]
    return "\n".join(lines)


def application_sources() -> list[Path]:
    packages = ("core", "access", "screening", "referral", "reporting", "bench")
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py")) + [
        ROOT / "wsgi.py"
    ]


def test_the_rule_sees_string_key_reads() -> None:
    source = (
        '"""Read from app.config, says a docstring."""  # and app.config in a comment\n'
        'a = current_app.config["RETENTION_DAYS"]\n'
        'b = app.config.get("INSTRUMENTS_PATH")\n'
        "c = current_app.config\n"
        'app.config["RATELIMIT_HEADERS_ENABLED"] = True\n'
        "from alembic.config import Config\n"
    )
    assert config_reads(code_of(source)) == [
        'current_app.config["RETENTION_DAYS"]',
        'app.config.get("INSTRUMENTS_PATH"',
        "current_app.config",
    ]


def test_no_application_module_reads_settings_from_flask_config() -> None:
    offenders = {
        path.relative_to(ROOT).as_posix(): config_reads(code_of(path.read_text()))
        for path in application_sources()
        if path.relative_to(ROOT).as_posix() != LOADER
    }
    assert {path: reads for path, reads in offenders.items() if reads} == {}


def test_no_template_reads_flask_config() -> None:
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "templates").rglob("*.html")
        if TEMPLATE_CONFIG.search(path.read_text())
    ]
    assert offenders == []
