"""API tokens end with their owner's standing (finding 15): disabling an account, a new
password and a new second factor revoke every token, and enabling the account again revives
none; a disabled or locked account's tokens are refused while it stays so."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from access import passwords, services, tokens
from access.models import ApiToken, AuditEvent, User
from core import db
from tests.helpers import Account, Client


def me(client: Client, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def admin(new_client: Any, accounts: dict[str, Account]) -> Client:
    browser = new_client()
    browser.sign_in(accounts["admin"])
    browser.reauth(accounts["admin"])
    return browser


def test_disabling_revokes_tokens_and_enabling_does_not_revive_them(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["screener"])
    assert me(client, token) == 200
    browser = admin(new_client, accounts)
    target = f"/admin/users/{accounts['screener'].id}"
    assert browser.post(f"{target}/disable", form_page=target).status_code == 302
    assert me(client, token) == 401
    assert browser.post(f"{target}/enable", form_page=target).status_code == 302
    assert me(client, token) == 401
    with app.app_context():
        store = db.session()
        assert store.scalar(sa.select(ApiToken.revoked_at)) is not None
        assert (
            store.scalar(
                sa.select(AuditEvent.details).where(AuditEvent.action == "tokens.revoked_all")
            )
            == '{"count":1}'
        )


def test_disabling_from_the_command_line_revokes_tokens(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["partner"])
    result = app.test_cli_runner().invoke(args=["users", "disable", accounts["partner"].email])
    assert result.exit_code == 0
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(User).where(User.id == accounts["partner"].id).values(disabled_at=None)
        )
        store.commit()
    assert me(client, token) == 401


def test_password_change_revokes_tokens(
    client: Client, new_client: Any, accounts: dict[str, Account], issue_token: Any
) -> None:
    account = accounts["screener"]
    token = issue_token(account)
    browser = new_client()
    browser.sign_in(account)
    browser.clock.advance(seconds=30)
    response = browser.post(
        "/account/password",
        {
            "current": account.password,
            "password": "another synthetic passphrase",
            "confirm": "another synthetic passphrase",
            "code": browser.code_for(account),
        },
    )
    assert response.status_code == 302
    assert me(client, token) == 401


def test_password_set_through_a_link_revokes_tokens(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    account = accounts["auditor"]
    token = issue_token(account)
    with app.app_context():
        store = db.session()
        link = passwords.issue_password_link(
            store, services.get_user(store, account.id), client.clock.now(), 24
        )
        store.commit()
    client.clock.advance(seconds=30)
    response = client.post(
        f"/password/{link}",
        {
            "password": "another synthetic passphrase",
            "confirm": "another synthetic passphrase",
            "code": client.code_for(account),
        },
    )
    assert response.status_code == 302
    assert me(client, token) == 401


def test_second_factor_reset_revokes_tokens(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["supervisor"])
    with app.app_context():
        store = db.session()
        services.reset_second_factor(
            store, services.get_user(store, accounts["supervisor"].id), client.clock.now()
        )
        store.commit()
    assert me(client, token) == 401


def test_tokens_of_a_locked_account_are_refused_until_it_is_unlocked(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["screener"])
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(User)
            .where(User.id == accounts["screener"].id)
            .values(locked_at=client.clock.now(), failed_logins=100)
        )
        store.commit()
    assert me(client, token) == 401
    browser = admin(new_client, accounts)
    target = f"/admin/users/{accounts['screener'].id}"
    browser.post(f"{target}/unlock", form_page=target)
    assert me(client, token) == 200


def test_tokens_of_a_disabled_account_are_refused_even_if_not_revoked(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["screener"])
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(User)
            .where(User.id == accounts["screener"].id)
            .values(disabled_at=client.clock.now())
        )
        store.commit()
    assert me(client, token) == 401


def refusals(app: Flask) -> list[tuple[str, str | None, str | None, str | None]]:
    """The ``token.refused`` events: outcome, actor, the token's id and the details."""
    with app.app_context():
        return [
            (e.outcome, e.actor_id, e.object_id, e.details)
            for e in db.session().scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action == "token.refused")
                .order_by(AuditEvent.id)
            )
        ]


def test_each_use_of_a_dead_token_is_audited_and_an_unknown_one_leaves_nothing(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    revoked, expiring = issue_token(accounts["screener"]), issue_token(accounts["screener"], 1)
    with app.app_context():
        store = db.session()
        ids = {row.token_hash: str(row.id) for row in store.scalars(sa.select(ApiToken))}
        store.execute(
            sa.update(ApiToken)
            .where(ApiToken.token_hash == tokens.digest(revoked))
            .values(revoked_at=client.clock.now())
        )
        store.commit()
    assert me(client, revoked) == 401
    assert me(client, revoked) == 401
    client.clock.advance(days=2)
    assert me(client, expiring) == 401
    assert me(client, "psg_" + "x" * 40) == 401  # never issued
    assert me(client, "not even a token") == 401
    revoked_id, expired_id = ids[tokens.digest(revoked)], ids[tokens.digest(expiring)]
    # Nobody proved who is calling: the events name the token, not its holder.
    assert refusals(app) == [
        ("denied", None, revoked_id, '{"reason":"revoked"}'),
        ("denied", None, revoked_id, '{"reason":"revoked"}'),
        ("denied", None, expired_id, '{"reason":"expired"}'),
    ]


def test_an_api_token_needs_a_confirmed_second_factor(
    client: Client, make_account: Any, issue_token: Any
) -> None:
    # R5: until a second factor is enrolled and confirmed nothing but signing in and
    # enrolment is reachable. A bearer token of an account that never confirmed one (new,
    # or whose factor was reset) reads the API all the same.
    account = make_account("screener", enrolled=False)
    token = issue_token(account)
    assert me(client, token) == 401
