"""The ``users`` and ``tokens`` commands."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from access.models import ApiToken, User
from core import db
from tests.helpers import replace_settings


def run(app: Flask, *args: str, stdin: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def test_users_create_prints_provisioning_uri_once(app: Flask) -> None:
    result = run(
        app,
        "users",
        "create",
        "Cli.Person@Test.Passage.Example",
        "--role",
        "supervisor",
        "--team",
        "Night shift",
        "--password-stdin",
        stdin="a synthetic cli passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "otpauth://totp/Passage:cli.person%40test.passage.example?secret=" in result.output
    assert "a synthetic cli passphrase" not in result.output
    with app.app_context():
        user = db.session().scalar(
            sa.select(User).where(User.email == "cli.person@test.passage.example")
        )
        assert user is not None
        assert user.team.name == "Night shift"
        assert user.password_hash.startswith("$argon2id$")
        assert user.totp_confirmed_at is None


def test_users_create_refuses_weak_password_and_bad_membership(app: Flask) -> None:
    weak = run(
        app,
        "users",
        "create",
        "weak.one@test.passage.example",
        "--role",
        "auditor",
        "--password-stdin",
        stdin="short\n",
    )
    assert weak.exit_code == 1
    assert "at least 12" in weak.output
    no_team = run(
        app,
        "users",
        "create",
        "lonely@test.passage.example",
        "--role",
        "screener",
        "--password-stdin",
        stdin="a synthetic cli passphrase\n",
    )
    assert no_team.exit_code == 1
    assert "team" in no_team.output
    no_partner = run(
        app,
        "users",
        "create",
        "staff@test.passage.example",
        "--role",
        "partner",
        "--partner",
        "missing-org",
        "--password-stdin",
        stdin="a synthetic cli passphrase\n",
    )
    assert no_partner.exit_code == 1
    assert "partner organisation" in no_partner.output
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_users_create_refuses_a_team_name_longer_than_its_column(app: Flask) -> None:
    result = run(
        app,
        "users",
        "create",
        "long.team@test.passage.example",
        "--role",
        "screener",
        "--team",
        "Synthetic " * 9,
        "--password-stdin",
        stdin="a synthetic cli passphrase\n",
    )
    assert result.exit_code == 1
    assert result.output == "error: a team name has at most 80 characters\n"
    assert "long.team@test.passage.example" not in run(app, "users", "list").output


def test_users_list_and_disable(app: Flask, make_account: Any) -> None:
    account = make_account("auditor")
    listed = run(app, "users", "list")
    assert f"{account.email}\tauditor\t-\tactive" in listed.output
    assert run(app, "users", "disable", account.email).exit_code == 0
    assert f"{account.email}\tauditor\t-\tdisabled" in run(app, "users", "list").output
    assert run(app, "users", "disable", "nobody@test.passage.example").exit_code == 1


def test_tokens_issue_prints_token_once_and_stores_hash(app: Flask, make_account: Any) -> None:
    account = make_account("partner")
    result = run(app, "tokens", "issue", account.email, "--days", "7")
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[0]
    assert token.startswith("psg_")
    assert len(token) > 40
    with app.app_context():
        row = db.session().scalar(sa.select(ApiToken))
        assert row is not None
        assert token not in row.token_hash
        assert (row.expires_at - row.created_at).days == 7
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_tokens_list_and_revoke(app: Flask, make_account: Any) -> None:
    account = make_account("auditor")
    token = run(app, "tokens", "issue", account.email).stdout.strip().splitlines()[0]
    token_id = run(app, "tokens", "list", account.email).output.split("\t", 1)[0]
    assert run(app, "tokens", "revoke", token_id).exit_code == 0
    assert "revoked" in run(app, "tokens", "list", account.email).output
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_demo_refuses_production(make_app: Any) -> None:
    app = make_app()
    replace_settings(app, env="production")  # as a production app's CLI would see it
    result = run(app, "demo")
    assert result.exit_code == 1
    assert "production" in result.output


def test_demo_loads_users_who_can_sign_in(make_app: Any, clock: Any) -> None:
    from access.cli import DEMO_PASSWORD
    from tests.helpers import Account, Client

    app = make_app(ENV="development")
    assert run(app, "demo").exit_code == 0
    assert run(app, "demo").exit_code == 0  # loading twice is harmless
    code = run(app, "demo", "code", "screener@demo.passage.example").output.strip()
    assert code.isdigit()
    assert len(code) == 6
    browser = Client(app, clock)
    account = Account(None, "screener@demo.passage.example", "screener", "", DEMO_PASSWORD)
    assert browser.password_step(account).location.endswith("/login/code")
    assert browser.post("/login/code", {"code": code}).location.endswith("/")
    assert run(app, "demo", "code", "nobody@test.passage.example").exit_code == 1


def test_tokens_issue_refuses_an_account_without_a_confirmed_second_factor(
    app: Flask, make_account: Any
) -> None:
    account = make_account("screener", enrolled=False)
    result = run(app, "tokens", "issue", account.email)
    assert result.exit_code == 1
    assert result.output == (
        "error: the account has no confirmed second factor: it must sign in and enrol first\n"
    )
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
