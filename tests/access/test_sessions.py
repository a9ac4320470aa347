"""Server-side sessions: opaque cookie (R11), its attributes (R12), timeouts (R14), sign-out
(R15), ending every session at once (R16), and one's own session list (R18)."""

from __future__ import annotations

import hashlib
import hmac
from http.cookies import SimpleCookie
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import current_user

from access.models import AuditEvent, WebSession
from access.tokens import digest
from core import db
from tests.helpers import Account, Client, replace_settings


def set_cookie_header(response: Any, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert headers, f"no Set-Cookie for {name}"
    return headers[-1]


def test_cookie_holds_only_a_random_token(
    client: Client, accounts: dict[str, Account], app: Any
) -> None:
    client.sign_in(accounts["screener"])
    token = client.cookie()
    assert token is not None
    assert len(token) == 43
    assert "." not in token
    assert accounts["screener"].email not in token
    with app.app_context():
        rows = db.session().scalars(sa.select(WebSession.id)).all()
    assert token not in rows  # only the token's digest is stored


def test_tokens_are_unique(client: Client, new_client: Any) -> None:
    tokens = set()
    for _ in range(200):
        browser = new_client()
        browser.get("/login")
        tokens.add(browser.cookie())
    assert len(tokens) == 200


def test_tampered_cookie_is_anonymous(client: Client, accounts: dict[str, Account]) -> None:
    client.sign_in(accounts["screener"])
    token = client.cookie() or ""
    tampered = token[:-1] + ("B" if token.endswith("A") else "A")
    client.raw.set_cookie(client.app.config["SESSION_COOKIE_NAME"], tampered)
    assert client.get("/").status_code == 302


def test_cookie_attributes(client: Client, accounts: dict[str, Account]) -> None:
    client.password_step(accounts["screener"])
    client.clock.advance(seconds=30)
    response = client.post("/login/code", {"code": client.code_for(accounts["screener"])})
    header = set_cookie_header(response, "__Host-passage")
    parts = {p.strip().split("=")[0].lower() for p in header.split(";")}
    assert {"secure", "httponly", "path", "samesite"} <= parts
    assert "domain" not in parts
    assert "expires" not in parts
    assert "SameSite=Strict" in header
    assert "Path=/" in header
    morsel = SimpleCookie(header)["__Host-passage"]
    assert morsel["path"] == "/"


def test_idle_timeout(client: Client, accounts: dict[str, Account]) -> None:
    client.sign_in(accounts["screener"])
    client.clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    client.clock.advance(minutes=31)
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "inactivity" in page


@pytest.mark.parametrize(("seconds", "minutes"), [(30 * 60, 30), (45 * 60, 45), (150, 2)])
def test_home_page_states_the_configured_idle_timeout(
    client: Client, app: Flask, accounts: dict[str, Account], seconds: int, minutes: int
) -> None:
    # The page reads SESSION_IDLE_TIMEOUT, in whole minutes rounded down, never a literal.
    replace_settings(app, session_idle_timeout=seconds)
    client.sign_in(accounts["screener"])
    page = client.get("/").get_data(as_text=True)
    assert f"Your session ends after {minutes} minutes without activity." in page


def test_absolute_timeout(client: Client, accounts: dict[str, Account]) -> None:
    client.sign_in(accounts["screener"])
    for _ in range(36):  # a request every 20 minutes for 12 hours
        client.clock.advance(minutes=20)
        assert client.get("/").status_code == 200
    client.clock.advance(minutes=1)
    assert client.get("/").status_code == 302


def test_logout_needs_post(client: Client, accounts: dict[str, Account]) -> None:
    client.sign_in(accounts["screener"])
    assert client.get("/logout").status_code == 405


def test_logout_ends_session_on_server(
    client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    client.sign_in(accounts["screener"])
    old = client.cookie()
    response = client.post("/logout", form_page="/")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    replay = new_client()
    replay.raw.set_cookie(client.app.config["SESSION_COOKIE_NAME"], old or "")
    assert replay.get("/").status_code == 302


def test_logout_deletes_the_session_on_the_server(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    client.sign_in(accounts["screener"])
    with app.app_context():
        before = db.session().scalar(sa.select(sa.func.count()).select_from(WebSession))
    client.post("/logout", form_page="/")
    with app.app_context():
        after = db.session().scalar(sa.select(sa.func.count()).select_from(WebSession))
    assert (before, after) == (1, 0)


def test_logout_without_csrf_token_is_refused(client: Client, accounts: dict[str, Account]) -> None:
    client.sign_in(accounts["screener"])
    assert client.raw.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def _two_browsers(new_client: Any, account: Account) -> tuple[Client, Client]:
    first, second = new_client(), new_client()
    first.sign_in(account)
    second.sign_in(account)
    return first, second


def test_password_change_ends_every_session(new_client: Any, accounts: dict[str, Account]) -> None:
    account = accounts["screener"]
    first, second = _two_browsers(new_client, account)
    first.clock.advance(seconds=30)
    response = first.post(
        "/account/password",
        {
            "current": account.password,
            "password": "another synthetic passphrase",
            "confirm": "another synthetic passphrase",
            "code": first.code_for(account),
        },
    )
    assert response.status_code == 302
    assert "/login" in response.location
    assert second.get("/").status_code == 302
    assert first.get("/").status_code == 302


def test_password_change_needs_current_password_and_code(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    from access.models import User

    account = accounts["screener"]
    client.sign_in(account)
    with app.app_context():
        before = db.session().get(User, account.id).password_hash
    client.clock.advance(seconds=30)
    wrong = client.post(
        "/account/password",
        {
            "current": "not my password at all",
            "password": "another synthetic passphrase",
            "confirm": "another synthetic passphrase",
            "code": client.code_for(account),
        },
    )
    assert wrong.status_code == 422
    client.clock.advance(seconds=30)
    no_code = client.post(
        "/account/password",
        {
            "current": account.password,
            "password": "another synthetic passphrase",
            "confirm": "another synthetic passphrase",
            "code": "000000",
        },
    )
    assert no_code.status_code == 422
    with app.app_context():
        assert db.session().get(User, account.id).password_hash == before


def test_disabling_a_user_ends_their_sessions(
    new_client: Any, app: Any, clock: Any, accounts: dict[str, Account]
) -> None:
    from access import services

    first, second = _two_browsers(new_client, accounts["screener"])
    with app.app_context():
        store = db.session()
        services.disable_user(store, services.get_user(store, accounts["screener"].id), clock.now())
        store.commit()
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302


def test_enabling_a_disabled_user_does_not_revive_their_sessions(
    new_client: Any, app: Any, clock: Any, accounts: dict[str, Account]
) -> None:
    from access import services

    first, second = _two_browsers(new_client, accounts["screener"])
    with app.app_context():
        store = db.session()
        user = services.get_user(store, accounts["screener"].id)
        services.disable_user(store, user, clock.now())
        store.commit()
        services.enable_user(store, user)
        store.commit()
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302


def test_a_role_change_ends_every_session_and_token(
    new_client: Any, app: Any, clock: Any, accounts: dict[str, Account], issue_token: Any
) -> None:
    from access import services

    first, second = _two_browsers(new_client, accounts["screener"])
    token = issue_token(accounts["screener"])
    with app.app_context():
        store = db.session()
        user = services.get_user(store, accounts["screener"].id)
        services.change_role(store, user, "supervisor", clock.now(), team="Team A")
        store.commit()
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302
    me = first.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


def test_second_factor_reset_ends_their_sessions(
    new_client: Any, app: Any, clock: Any, accounts: dict[str, Account]
) -> None:
    from access import services

    first, _second = _two_browsers(new_client, accounts["screener"])
    with app.app_context():
        store = db.session()
        services.reset_second_factor(
            store, services.get_user(store, accounts["screener"].id), clock.now()
        )
        store.commit()
    assert first.get("/").status_code == 302


def test_suspending_a_partner_organisation_signs_out_its_staff(
    client: Client, app: Any, accounts: dict[str, Account]
) -> None:
    from access.models import PartnerOrganisation

    client.sign_in(accounts["partner"])
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(PartnerOrganisation)
            .where(PartnerOrganisation.slug == "org-a")
            .values(vetting_status="suspended")
        )
        store.commit()
    assert client.get("/").status_code == 302


def test_user_ends_another_of_their_sessions(
    new_client: Any, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    first, second = _two_browsers(new_client, account)
    first.reauth(account)
    page = first.get("/account").get_data(as_text=True)
    assert page.count('/end"') == 1  # one other session, with an End button
    with app.app_context():
        own = (
            db.session()
            .scalars(sa.select(WebSession).where(WebSession.user_id == account.id))
            .all()
        )
    current = {s.id for s in own} - {s.id for s in own if f"/account/sessions/{s.id}/end" in page}
    other = next(s.id for s in own if s.id not in current)
    response = first.post(f"/account/sessions/{other}/end", form_page="/account")
    assert response.status_code == 302
    assert second.get("/").status_code == 302
    assert first.get("/").status_code == 200


def test_ending_one_of_ones_own_sessions_is_audited(
    new_client: Any, app: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    first, second = _two_browsers(new_client, account)
    first.reauth(account)
    with app.app_context():
        other = db.session().scalar(
            sa.select(WebSession.id).where(
                WebSession.user_id == account.id, WebSession.id != digest(first.cookie() or "")
            )
        )
    first.post(f"/account/sessions/{other}/end", form_page="/account")
    assert second.get("/").status_code == 302
    with app.app_context():
        last = db.session().scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert (last.action, last.outcome, last.object_id) == (
        "session.ended",
        "allowed",
        str(account.id),
    )


def test_user_ends_all_their_other_sessions_but_this_one(
    new_client: Any, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    first, second = _two_browsers(new_client, account)
    third = new_client()
    third.sign_in(account)
    first.reauth(account)
    first.post("/account/sessions/end-others", form_page="/account")
    assert second.get("/").status_code == 302
    assert third.get("/").status_code == 302
    assert first.get("/").status_code == 200


def test_an_administrator_ends_every_session_of_an_account(
    new_client: Any, accounts: dict[str, Account]
) -> None:
    first, second = _two_browsers(new_client, accounts["screener"])
    admin = new_client()
    admin.sign_in(accounts["admin"])
    admin.reauth(accounts["admin"])
    target = f"/admin/users/{accounts['screener'].id}"
    admin.post(f"{target}/end-sessions", form_page=target)
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302


def test_user_cannot_end_someone_elses_session(
    new_client: Any, app: Any, accounts: dict[str, Account]
) -> None:
    victim = new_client()
    victim.sign_in(accounts["screener_b"])
    attacker = new_client()
    attacker.sign_in(accounts["screener"])
    attacker.reauth(accounts["screener"])
    with app.app_context():
        foreign = db.session().scalar(
            sa.select(WebSession.id).where(WebSession.user_id == accounts["screener_b"].id)
        )
    response = attacker.post(f"/account/sessions/{foreign}/end", form_page="/account")
    assert response.status_code == 404
    assert victim.get("/").status_code == 200


def test_ending_sessions_needs_a_recent_reauth(
    new_client: Any, accounts: dict[str, Account]
) -> None:
    first, _second = _two_browsers(new_client, accounts["screener"])
    first.clock.advance(minutes=6)
    response = first.post("/account/sessions/end-others", form_page="/account")
    assert "/reauth" in response.location


@pytest.mark.parametrize("path", ["/", "/account", "/admin/users"])
def test_forged_remember_me_cookie_signs_nobody_in(
    client: Client, app: Flask, accounts: dict[str, Account], path: str
) -> None:
    # Exactly the cookie Flask-Login would set: "user_id|HMAC-SHA512(SECRET_KEY, user_id)".
    user_id = str(accounts["admin"].id)
    digest = hmac.new(
        app.config["SECRET_KEY"].encode(), user_id.encode(), hashlib.sha512
    ).hexdigest()
    client.raw.set_cookie("remember_token", f"{user_id}|{digest}")
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert "remember_token" not in response.headers.get("Set-Cookie", "")
    with app.test_request_context(path, headers={"Cookie": f"remember_token={user_id}|{digest}"}):
        assert not current_user.is_authenticated


def test_signing_in_sets_no_remember_me_cookie(
    client: Client, accounts: dict[str, Account]
) -> None:
    response = client.sign_in(accounts["screener"])
    assert "remember_token" not in response.headers.get("Set-Cookie", "")
    assert client.raw.get_cookie("remember_token") is None


def test_step_up_does_not_restart_the_absolute_session_timeout(
    client: Client, accounts: dict[str, Account]
) -> None:
    # R14: a session ends 12 hours after sign-in, whatever happens in it. Stepping up
    # renews the session id (R13), and the renewed row is stamped as created now, so the
    # 12 hours start again: a step-up every 11 hours keeps one sign-in alive for good.
    account = accounts["supervisor"]
    client.sign_in(account)
    for _ in range(35):  # a request every 20 minutes for 11 h 40 min
        client.clock.advance(minutes=20)
        assert client.get("/").status_code == 200
    assert client.reauth(account).status_code == 302
    client.clock.advance(minutes=21)  # 12 h 02 min after signing in
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")
