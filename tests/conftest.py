"""Fixtures: an app on a temporary instance, a frozen clock, accounts for every role, clients.

The suite runs on SQLite, or on PostgreSQL when ``TEST_DATABASE_URL`` is set: each run gets
its own database, migrated once with Alembic, emptied after every test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import settings

from access import audit_chain, audit_sealer, services
from access.models import AuditHead
from access.roles import Role
from core import db, keys
from core.cli import upgrade
from core.clock import FrozenClock
from tests import form_world
from tests.helpers import (
    Account,
    Client,
    create_account,
    replace_settings,
    throwaway_postgres_database,
)
from wsgi import create_app

# Hypothesis profiles (R57). The normal run keeps Hypothesis's bounds: 100 examples for a
# property that does not set its own. The nightly run, `HYPOTHESIS_PROFILE=nightly`, tries
# far more, with no time limit per example (docs/security.md, R57; README, Tests).
settings.register_profile("nightly", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

TEST_CONFIG: dict[str, Any] = {
    "ENV": "testing",
    "SECRET_KEY": "test-only-secret-key-" + "x" * 32,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT": "1000 per minute",
    "API_RATE_LIMIT": "1000 per minute",
    "EXPORT_RATE_LIMIT": "1000 per minute",
    "EXPORT_ADDRESS_RATE_LIMIT": "1000 per minute",
    "SEARCH_RATE_LIMIT": "1000 per minute",
    "SEARCH_ADDRESS_RATE_LIMIT": "1000 per minute",
    "AUDIT_RATE_LIMIT": "1000 per minute",
    "AUDIT_ADDRESS_RATE_LIMIT": "1000 per minute",
    # Tests seal the audit chain when they mean to (tests.helpers.seal_audit), not a thread.
    "AUDIT_SEALER": "external",
}


def _migrate(url: str, instance: Any) -> None:
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    upgrade(app)
    app.extensions["passage.engine"].dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once for this run: an SQLite file to copy, or a PostgreSQL
    database of this run's own."""
    instance = tmp_path_factory.mktemp("migrate")
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.sqlite3'}"
        _migrate(url, instance)
        yield url
        return
    with throwaway_postgres_database(base) as url:
        _migrate(url, instance)
        yield url


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    """The test's database: a fresh copy on SQLite; on PostgreSQL the run's database,
    emptied afterwards (audit triggers bypassed as only a superuser can)."""
    if template_database.startswith("sqlite"):
        copy = tmp_path / "passage.sqlite3"
        shutil.copyfile(template_database.removeprefix("sqlite:///"), copy)
        yield f"sqlite:///{copy}"
        return
    yield template_database
    cleaner = db.create_engine(template_database)
    with cleaner.begin() as connection:
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in reversed(db.Base.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(sa.insert(AuditHead).values(id=1, seq=0, mac=audit_chain.GENESIS))
    cleaner.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    """A clock standing at a fixed moment until a test moves it."""
    return FrozenClock(START)


@pytest.fixture
def make_app(
    database_url: str, tmp_path: Any, clock: FrozenClock
) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test's database and instance, with extra configuration."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        app = create_app(
            {
                **TEST_CONFIG,
                "DATABASE_URL": database_url,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                **overrides,
            },
            clock,
        )
        keys.create_missing(app)  # random keys of this test's own instance
        apps.append(app)
        return app

    yield build
    for app in apps:
        audit_sealer.of(app).stop()  # a thread sealer must not outlive its test's database
        app.extensions["passage.engine"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app under test, with the test configuration."""
    return make_app()


@pytest.fixture
def client(app: Flask, clock: FrozenClock) -> Client:
    """An anonymous browser."""
    return Client(app, clock)


@pytest.fixture
def new_client(app: Flask, clock: FrozenClock) -> Callable[[], Client]:
    """Make further independent browsers."""
    return lambda: Client(app, clock)


@pytest.fixture
def make_account(app: Flask, clock: FrozenClock) -> Callable[..., Account]:
    """Create a user (enrolled in the second factor unless ``enrolled=False``)."""
    counter = iter(range(1, 10_000))

    def make(role: str = "screener", **where: Any) -> Account:
        where.setdefault("email", f"{role}.{next(counter)}@test.passage.example")
        return create_account(app, clock, role, **where)

    return make


@pytest.fixture
def accounts(make_account: Callable[..., Account]) -> dict[str, Account]:
    """One enrolled account per role, plus a second team and a second partner organisation."""
    return {
        "screener": make_account("screener", team="Team A"),
        "supervisor": make_account("supervisor", team="Team A"),
        "screener_b": make_account("screener", team="Team B"),
        "supervisor_b": make_account("supervisor", team="Team B"),
        "partner": make_account("partner", partner="org-a"),
        "partner_b": make_account("partner", partner="org-b"),
        "auditor": make_account("auditor"),
        "analyst": make_account("analyst"),
        "admin": make_account("admin"),
    }


@pytest.fixture
def signed_in(client: Client, accounts: dict[str, Account]) -> Callable[[str], Client]:
    """Sign the client in as the account of a role name from ``accounts``."""

    def sign_in(name: str) -> Client:
        client.sign_in(accounts[name])
        return client

    return sign_in


ROLES = [role.value for role in Role]


@pytest.fixture
def issue_token(app: Flask, clock: FrozenClock) -> Callable[..., str]:
    """Issue an API token for an account and return it."""
    from access import tokens

    def issue(account: Account, days: int = 30) -> str:
        with app.app_context():
            store = db.session()
            user = services.get_user(store, account.id)
            assert user is not None
            _row, token = tokens.issue_token(store, user, clock.now(), days)
            store.commit()
            return token

    return issue


class FakeSMTP:
    """An SMTP relay that keeps what it is given."""

    sent: list[Any] = []

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *_exc: Any) -> None:
        return None

    def ehlo_or_helo_if_needed(self) -> None:
        return None

    def starttls(self, context: Any) -> None:
        return None

    def login(self, user: str, password: str) -> None:
        return None

    def send_message(self, message: Any) -> None:
        FakeSMTP.sent.append(message)

    def quit(self) -> None:
        return None

    def close(self) -> None:
        return None


@pytest.fixture
def mail_relay(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Configure a mail server for ``app``; the list fills with the messages sent."""
    from core import mail

    replace_settings(app, mail_server="relay.test.passage.example")
    monkeypatch.setattr(FakeSMTP, "sent", [])
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    return FakeSMTP.sent


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """Compile the translation catalogues the app serves (``make`` does it too)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parents[1] / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


@pytest.fixture
def world(
    app: Flask,
    clock: FrozenClock,
    accounts: dict[str, Account],
    make_account: Callable[..., Account],
    new_client: Callable[[], Client],
    issue_token: Callable[..., str],
    mail_relay: list[Any],
) -> Any:
    """The synthetic rows and signed-in browsers the form sweep points at (tests/form_world)."""
    return form_world.build(app, clock, accounts, make_account, new_client, issue_token, mail_relay)
