"""Configuration: sources in order, and production's refusal to start with unsafe settings."""

from __future__ import annotations

from typing import Any

import pytest

from core import keys, settings
from core.settings import ConfigError
from wsgi import create_app

SAFE_PRODUCTION: dict[str, Any] = {
    "ENV": "production",
    "SECRET_KEY": "k" * 48,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "BASE_URL": "https://passage.example.org",
}


def build(tmp_path: Any, **config: Any) -> Any:
    keys.create_missing_in(tmp_path / "keys")
    return create_app({"INSTANCE_PATH": str(tmp_path), **config})


def test_safe_production_config_starts(tmp_path: Any) -> None:
    app = build(tmp_path, **SAFE_PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-passage"
    assert app.debug is False
    assert app.testing is False


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("SECRET_KEY", None, "SECRET_KEY"),
        ("SECRET_KEY", "short-key", "SECRET_KEY"),
        ("DEBUG", True, "DEBUG"),
        ("TESTING", True, "TESTING"),
        ("SESSION_COOKIE_SECURE", False, "SESSION_COOKIE_SECURE"),
        ("SESSION_COOKIE_NAME", "passage", "__Host-"),
        ("RATELIMIT_STORAGE_URI", "memory://", "RATELIMIT_STORAGE_URI"),
        ("ARGON2_MEMORY_COST", 8, "ARGON2_MEMORY_COST"),
        ("ARGON2_TIME_COST", 1, "ARGON2_TIME_COST"),
        ("BASE_URL", None, "BASE_URL"),
        ("BASE_URL", "http://passage.example.org", "BASE_URL"),
        ("BASE_URL", "https://", "BASE_URL"),
        ("PASSWORD_LINK_HOURS", 25, "PASSWORD_LINK_HOURS"),
        ("PASSWORD_LINK_HOURS", 0, "PASSWORD_LINK_HOURS"),
        ("MAIL_MAX_ATTEMPTS", 0, "MAIL_MAX_ATTEMPTS"),
        ("MAIL_RETRY_DELAY", 0, "MAIL_RETRY_DELAY"),
        ("MAIL_RETRY_DELAY_MAX", 30, "MAIL_RETRY_DELAY_MAX"),
    ],
)
def test_production_refuses_unsafe_setting(
    tmp_path: Any, setting: str, value: Any, named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        build(tmp_path, **{**SAFE_PRODUCTION, setting: value})


def test_production_refuses_flask_debug_from_the_environment(
    tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="DEBUG must be off"):
        build(tmp_path, **SAFE_PRODUCTION)


@pytest.mark.parametrize(
    ("setting", "value"),
    [("ARGON2_MEMORY_COST", 65535), ("ARGON2_TIME_COST", 2), ("ARGON2_PARALLELISM", 0)],
)
def test_production_refuses_argon2_below_64_mib_3_passes_1_lane(
    tmp_path: Any, setting: str, value: int
) -> None:
    at_the_floor = {"ARGON2_MEMORY_COST": 65536, "ARGON2_TIME_COST": 3, "ARGON2_PARALLELISM": 1}
    build(tmp_path, **SAFE_PRODUCTION, **at_the_floor)
    with pytest.raises(ConfigError, match=setting):
        build(tmp_path, **{**SAFE_PRODUCTION, **at_the_floor, setting: value})


def test_production_is_the_default_environment(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("PASSAGE_ENV", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build(tmp_path)


@pytest.mark.parametrize("environment", ["production", "development", "testing"])
@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("MASTER_KEY_PERIOD_DAYS", 0),
        ("MASTER_KEY_PERIOD_DAYS", -30),
        ("BACKUP_RETENTION_DAYS", 0),
        ("BACKUP_RETENTION_DAYS", "a month"),
    ],
)
def test_key_periods_must_be_whole_days_everywhere(
    tmp_path: Any, environment: str, setting: str, value: Any
) -> None:
    with pytest.raises(ConfigError, match=setting):
        build(tmp_path, **{**SAFE_PRODUCTION, "ENV": environment, setting: value})


@pytest.mark.parametrize("value", [-1, "a minimum wage"])
def test_the_low_pay_line_is_an_amount_or_zero(tmp_path: Any, value: Any) -> None:
    with pytest.raises(ConfigError, match="LOW_PAY_PER_MONTH must be"):
        build(tmp_path, **{**SAFE_PRODUCTION, "ENV": "testing", "LOW_PAY_PER_MONTH": value})


@pytest.mark.parametrize("value", ["Athens", "Europe/Nowhere", "../../etc/passwd", ""])
def test_the_time_zone_is_an_iana_name(tmp_path: Any, value: str) -> None:
    with pytest.raises(ConfigError, match="TIME_ZONE must be an IANA time zone name"):
        build(tmp_path, **{**SAFE_PRODUCTION, "ENV": "testing", "TIME_ZONE": value})


def test_the_time_zone_comes_from_the_environment(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PASSAGE_TIME_ZONE", "Europe/Athens")
    app = build(tmp_path, **{**SAFE_PRODUCTION, "ENV": "testing"})
    assert settings.of(app).time_zone == "Europe/Athens"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Athens"


def test_key_periods_may_be_set_in_either_order(tmp_path: Any) -> None:
    app = build(tmp_path, **SAFE_PRODUCTION, MASTER_KEY_PERIOD_DAYS=90, BACKUP_RETENTION_DAYS=7)
    assert app.config["MASTER_KEY_PERIOD_DAYS"] == 90
    assert app.config["BACKUP_RETENTION_DAYS"] == 7


def test_unknown_environment_is_refused(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="PASSAGE_ENV"):
        build(tmp_path, ENV="staging")


def test_environment_variables_override_instance_file(tmp_path: Any, monkeypatch: Any) -> None:
    (tmp_path / "config.py").write_text(
        'SECRET_KEY = "from-the-instance-file-' + "x" * 32 + '"\nTOTP_ISSUER = "File"\n'
    )
    monkeypatch.setenv("PASSAGE_ENV", "development")
    monkeypatch.setenv("PASSAGE_TOTP_ISSUER", "Env")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"].startswith("from-the-instance-file-")
    assert app.config["TOTP_ISSUER"] == "Env"


def test_instance_path_variable_moves_database(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PASSAGE_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("PASSAGE_ENV", "development")
    app = create_app()
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'elsewhere' / 'passage.sqlite3'}"


def test_database_url_variable_is_used(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PASSAGE_DATABASE_URL", "sqlite:////tmp/other.sqlite3")
    app = build(tmp_path, ENV="development")
    assert app.config["DATABASE_URL"] == "sqlite:////tmp/other.sqlite3"


def test_development_uses_plain_http_cookie(tmp_path: Any) -> None:
    app = build(tmp_path, ENV="development")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_NAME"] == "passage"


def test_production_refuses_to_start_without_keys(tmp_path: Any) -> None:
    with pytest.raises(keys.MissingKeyError, match="master key"):
        create_app({"INSTANCE_PATH": str(tmp_path), **SAFE_PRODUCTION})


@pytest.mark.parametrize("name", ["audit.key", "checkpoint.key", "index.key", "master-v1.key"])
def test_production_names_the_missing_key(tmp_path: Any, name: str) -> None:
    keys.create_missing_in(tmp_path / "keys")
    (tmp_path / "keys" / name).unlink()
    with pytest.raises(keys.MissingKeyError, match=name.split("-")[0].split(".")[0]):
        create_app({"INSTANCE_PATH": str(tmp_path), **SAFE_PRODUCTION})


def test_keys_may_come_from_the_environment(tmp_path: Any, monkeypatch: Any) -> None:
    import base64
    import secrets

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    monkeypatch.setenv("PASSAGE_AUDIT_KEY", key())
    monkeypatch.setenv("PASSAGE_CHECKPOINT_KEY", key())
    monkeypatch.setenv("PASSAGE_INDEX_KEY", key())
    monkeypatch.setenv("PASSAGE_MASTER_KEYS", f"1:{key()},2:{key()}")
    app = create_app({"INSTANCE_PATH": str(tmp_path), **SAFE_PRODUCTION})
    assert app.extensions["passage.keys"].master_version == 2
    assert not (tmp_path / "keys").exists()


def test_production_registers_no_test_shortcuts(tmp_path: Any) -> None:
    app = build(tmp_path, **SAFE_PRODUCTION)
    assert not [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/_test")]


def test_development_registers_no_test_shortcuts(tmp_path: Any) -> None:
    app = build(tmp_path, ENV="development")
    assert not [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/_test")]


def test_requests_naming_another_host_are_refused(make_app: Any) -> None:
    app = make_app(BASE_URL="https://passage.example.org")
    client = app.test_client()
    assert client.get("/healthz", base_url="https://passage.example.org").status_code == 200
    assert client.get("/healthz", base_url="https://attacker.example").status_code == 400
    assert client.get("/login", headers={"Host": "attacker.example"}).status_code == 400


def test_extra_trusted_hosts_add_to_the_base_url_host(make_app: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PASSAGE_TRUSTED_HOSTS", "passage.internal, 10.0.0.5")
    app = make_app(BASE_URL="https://passage.example.org")
    assert app.config["TRUSTED_HOSTS"] == ["10.0.0.5", "passage.example.org", "passage.internal"]
    client = app.test_client()
    assert client.get("/healthz", base_url="http://passage.internal").status_code == 200


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o705, 0o701, 0o770, 0o707, 0o777])
def test_production_refuses_an_instance_folder_open_to_others(tmp_path: Any, mode: int) -> None:
    keys.create_missing_in(tmp_path / "keys")
    tmp_path.chmod(mode)
    with pytest.raises(ConfigError, match=r"instance folder .* chmod 700"):
        create_app({"INSTANCE_PATH": str(tmp_path), **SAFE_PRODUCTION})


def test_production_starts_with_a_private_instance_folder(tmp_path: Any) -> None:
    keys.create_missing_in(tmp_path / "keys")
    tmp_path.chmod(0o700)
    assert (
        create_app({"INSTANCE_PATH": str(tmp_path), **SAFE_PRODUCTION}).config["ENV"]
        == "production"
    )


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("SESSION_IDLE_TIMEOUT", 7 * 24 * 3600),
        ("SESSION_ABSOLUTE_TIMEOUT", 365 * 24 * 3600),
        ("STEP_UP_MAX_AGE", 24 * 3600),
    ],
)
def test_production_refuses_session_limits_far_beyond_the_policy(
    tmp_path: Any, setting: str, value: int
) -> None:
    # One mistyped variable must not turn R14 or R17 off: production refuses sessions idle
    # for a week, alive for a year, or a step-up valid for a day.
    keys.create_missing_in(tmp_path / "keys")
    config = {
        "INSTANCE_PATH": str(tmp_path),
        "ENV": "production",
        "SECRET_KEY": "k" * 48,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "BASE_URL": "https://passage.example.org",
        setting: value,
    }
    with pytest.raises(ConfigError, match=setting):
        create_app(config)
