"""Test helpers: a test-client wrapper that carries CSRF tokens and signs in like a person,
and a record of the SQL statements an engine runs (to count them, or to explain them)."""

from __future__ import annotations

import dataclasses
import html
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from access import audit_sealer, services, totp
from core import db, settings
from core.clock import FrozenClock
from core.settings_type import Settings

CSRF_PATTERN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "a synthetic passphrase for tests"


@dataclass
class Account:
    """A test user and what it takes to sign in as them."""

    id: Any
    email: str
    role: str
    secret: str
    password: str = PASSWORD


def csrf_from(response: TestResponse) -> str:
    """The CSRF token in a page's first form."""
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, "page has no CSRF token"
    return match.group(1)


def error_of(page: str, field: str) -> str:
    """The error a page shows for the input or group whose id is ``field`` (unescaped), or ""
    when it shows none; a shown error must describe its field (aria-describedby)."""
    shown = re.search(rf'<p class="error" id="{re.escape(field)}-error">([^<]*)</p>', page)
    if shown is None:
        return ""
    tied = re.search(rf'aria-describedby="[^"]*\b{re.escape(field)}-error\b', page)
    assert tied is not None, f"the error of {field} describes nothing"
    return html.unescape(shown.group(1))


class Client:
    """A browser-like wrapper around Flask's test client, with CSRF on as in production."""

    def __init__(self, app: Flask, clock: FrozenClock) -> None:
        self.app = app
        self.clock = clock
        self.raw: FlaskClient = app.test_client()

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.raw.get(url, **kwargs)

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        form_page: str | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """POST ``data`` with the CSRF token from ``form_page`` (or from ``url`` itself)."""
        token = csrf_from(self.raw.get(form_page or url))
        return self.raw.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)

    def code_for(self, account: Account, steps_ahead: int = 0) -> str:
        """A valid code for ``account`` at the test clock's time (plus ``steps_ahead`` steps)."""
        return totp.code_at(account.secret, totp.step_at(self.clock.now()) + steps_ahead)

    def password_step(self, account: Account, password: str | None = None) -> TestResponse:
        return self.post(
            "/login", {"email": account.email, "password": password or account.password}
        )

    def sign_in(self, account: Account) -> TestResponse:
        """Sign in with password and code; the clock moves on a step so codes stay fresh."""
        first = self.password_step(account)
        assert first.status_code == 302, first.get_data(as_text=True)
        step = first.location.rsplit("/", 1)[-1]
        self.clock.advance(seconds=30)
        response = self.post(f"/login/{step}", {"code": self.code_for(account)})
        assert response.status_code == 302
        assert "/login" not in response.location, response.location
        return response

    def reauth(self, account: Account) -> TestResponse:
        self.clock.advance(seconds=30)
        return self.post("/reauth", {"password": account.password, "code": self.code_for(account)})

    def cookie(self) -> str | None:
        cookie = self.raw.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
        return cookie.value if cookie else None


@contextmanager
def throwaway_postgres_database(base_url: str, prefix: str = "passage_test") -> Iterator[str]:
    """A database of its own on the server of ``base_url``, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def raw_database_bytes(app: Flask) -> bytes:
    """Every byte the database holds: the SQLite files, or every row of every table."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    with app.extensions["passage.engine"].connect() as connection:
        return repr(
            [list(connection.execute(sa.select(t))) for t in db.Base.metadata.sorted_tables]
        ).encode()


def create_account(
    app: Flask,
    clock: FrozenClock,
    role: str = "screener",
    *,
    email: str | None = None,
    team: str | None = None,
    partner: str | None = None,
    enrolled: bool = True,
    password: str = PASSWORD,
) -> Account:
    """Create a user (enrolled in the second factor unless ``enrolled=False``); a screener or
    supervisor joins Team A and a partner org-a unless told."""
    email = email or f"{role}.{uuid.uuid4().hex[:12]}@test.passage.example"
    if role in ("screener", "supervisor"):
        team = team or "Team A"
    if role == "partner":
        partner = partner or "org-a"
    with app.app_context():
        store = db.session()
        if partner:
            organisation = services.ensure_partner_organisation(
                store, partner, f"Organisation {partner}"
            )
            if organisation.vetting_valid_until is None:
                # Only staff of an organisation in standing sign in: vetted, as
                # `partners import` of the test directory would leave it.
                organisation.vetting_status = "vetted"
                organisation.vetting_valid_until = date(2099, 12, 31)
        user = services.create_user(
            store, email, role, clock.now(), team=team, partner=partner, password=password
        )
        if enrolled:
            user.totp_confirmed_at = clock.now()
        store.commit()
        return Account(user.id, user.email, role, services.totp_secret(store, user), password)


def replace_settings(app: Flask, **changes: Any) -> Settings:
    """Give ``app`` settings with ``changes`` (lower-case field names) from now on, and return
    them. The settings are frozen and built once at start-up, so writing to ``app.config``
    afterwards changes nothing: a test that switches a setting on a built app comes here."""
    changed = dataclasses.replace(settings.of(app), **changes)
    app.extensions[settings.EXTENSION] = changed
    return changed


def seal_audit(app: Flask) -> int:
    """Seal every committed audit event now, as the sealer would within its delay."""
    return audit_sealer.of(app).seal_now()


@dataclass
class Statement:
    """One SQL statement as the driver received it, with its parameters."""

    sql: str
    parameters: Any


@contextmanager
def statements(engine: Engine) -> Iterator[list[Statement]]:
    """Record every statement ``engine`` sends to the database while the block runs (an
    ``executemany`` is one statement), in order: ``len()`` counts them. The listener is
    removed at the end, since SQLAlchemy would otherwise keep it, and the app, for good."""
    seen: list[Statement] = []

    def record(
        _connection: Any,
        _cursor: Any,
        sql: str,
        parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        seen.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
