"""Deny by default (R19), the role matrix (R20), object scopes answering 404 (R21), the auditor
changes nothing (R24), permission changes at once (R25), and CSRF on every change (R27)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from sqlalchemy import event

from access import policy
from access.models import User
from access.roles import Role
from core import db
from tests.conftest import ROLES
from tests.helpers import Account, Client

PUBLIC_ENDPOINTS = {"static", "healthz", "test_boom", "access.login", "access.code",
                    "access.enrol", "access.logout", "access.set_password", "access.language"}


def endpoints(app: Flask) -> Iterator[tuple[str, Any]]:
    for rule in app.url_map.iter_rules():
        yield rule.endpoint, rule


def test_every_endpoint_declares_a_rule(app: Flask) -> None:
    missing = [e for e, _r in endpoints(app) if policy.rule_for(app, e) is None]
    assert missing == []


def test_only_the_short_list_is_public(app: Flask) -> None:
    public = {e for e, _r in endpoints(app) if policy.rule_for(app, e).action is None}
    assert public == PUBLIC_ENDPOINTS


def test_endpoint_without_a_rule_is_refused(make_app: Any) -> None:
    app = make_app()
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    assert app.test_client().get("/undeclared").status_code == 403


def test_unknown_action_cannot_be_declared() -> None:
    with pytest.raises(KeyError):
        policy.requires("cases.read.everything")


NO_SUCH_OBJECT = "00000000-0000-0000-0000-00000000beef"
# Values for the other path parameters; any *_id but user_id names an object that does not
# exist, so a role that may use the endpoint meets the object check (404), not the role check.
PATH_VALUES = {"action": "unlock", "move": "accept", "phase": "recruitment",
               "session_id": "f" * 64}
# Where a role that may use the endpoint is sent elsewhere first (the questionnaire's order).
ALLOWED_STATUS = {"screening.consent": 302, "screening.person": 302}


def _url(app: Flask, rule: Any, account_id: Any) -> str:
    values = {name: account_id if name == "user_id" else PATH_VALUES.get(name, NO_SUCH_OBJECT)
              for name in rule.arguments}
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def allowed_status(rule: Any) -> int:
    """What a role permitted by the policy gets from a GET of ``rule`` in the matrix."""
    if any(name.endswith("_id") and name != "user_id" for name in rule.arguments):
        return 404
    return ALLOWED_STATUS.get(rule.endpoint, 200)


def protected_rules(app: Flask) -> list[Any]:
    return [r for e, r in endpoints(app) if e not in PUBLIC_ENDPOINTS]


def test_anonymous_requests_to_protected_pages_are_turned_away(app: Flask,
                                                               client: Client) -> None:
    for rule in protected_rules(app):
        url = _url(app, rule, "00000000-0000-0000-0000-000000000000")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.raw.open(url, method=method)
            if url.startswith("/api/"):
                assert response.status_code == 401, (method, url)
                assert response.get_json()["error"]["code"] == "unauthorized"
            else:
                assert response.status_code == 302, (method, url)
                assert "/login" in response.location


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_for_web_pages(app: Flask, client: Client, accounts: dict[str, Account],
                                   role: str) -> None:
    account = accounts[role]
    client.sign_in(account)
    client.reauth(account)
    for rule in protected_rules(app):
        if "GET" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = _url(app, rule, account.id)
        allowed = Role(role) in policy.PERMISSIONS[policy.rule_for(app, rule.endpoint).action]
        response = client.get(url)
        assert response.status_code == (allowed_status(rule) if allowed else 403), (role, url)
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_for_the_api(app: Flask, client: Client, accounts: dict[str, Account],
                                 role: str, issue_token: Any) -> None:
    token = issue_token(accounts[role])
    for rule in protected_rules(app):
        if not rule.rule.startswith("/api/"):
            continue
        url = _url(app, rule, accounts[role].id)
        allowed = Role(role) in policy.PERMISSIONS[policy.rule_for(app, rule.endpoint).action]
        if "GET" not in rule.methods:
            continue
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == (allowed_status(rule) if allowed else 403), (role, url)


def test_auditor_cannot_change_anything(app: Flask, signed_in: Any,
                                        accounts: dict[str, Account]) -> None:
    client = signed_in("auditor")
    client.reauth(accounts["auditor"])
    target = accounts["screener"].id
    for rule in protected_rules(app):
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        if policy.rule_for(app, rule.endpoint).action in ("account.manage", "notices.read"):
            continue  # their own account (language, password, sessions) and notices
        response = client.post(_url(app, rule, target), form_page="/")
        assert response.status_code == 403, rule.rule


def test_role_change_applies_on_next_request(app: Flask, signed_in: Any,
                                             accounts: dict[str, Account]) -> None:
    client = signed_in("admin")
    client.reauth(accounts["admin"])
    assert client.get("/admin/users").status_code == 200
    with app.app_context():
        store = db.session()
        store.execute(sa.update(User).where(User.id == accounts["admin"].id)
                      .values(role="auditor"))
        store.commit()
    assert client.get("/admin/users").status_code == 403


@contextmanager
def counting_writes(app: Flask) -> Iterator[list[str]]:
    writes: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    engine = app.extensions["passage.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield writes
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("role", ROLES)
def test_posts_without_csrf_token_are_refused_and_write_nothing(
        app: Flask, client: Client, accounts: dict[str, Account], role: str) -> None:
    account = accounts[role]
    client.sign_in(account)
    client.reauth(account)
    client.get("/")
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        action = policy.rule_for(app, rule.endpoint).action
        if action is not None and Role(role) not in policy.PERMISSIONS[action]:
            continue  # refused by role before CSRF matters, as the matrix shows
        url = _url(app, rule, accounts["screener"].id)
        with counting_writes(app) as writes:
            response = client.raw.post(url, data={"email": account.email, "locale": "fr"})
        assert response.status_code == 400, url
        assert writes == [], url


def test_get_requests_write_nothing_but_sessions_and_audit(
        app: Flask, client: Client, accounts: dict[str, Account]) -> None:
    account = accounts["admin"]
    client.sign_in(account)
    client.reauth(account)
    for rule in protected_rules(app):
        if "GET" not in rule.methods:
            continue
        with counting_writes(app) as writes:
            client.get(_url(app, rule, account.id))
        bookkeeping = ("web_sessions", "audit_events", "audit_head")
        assert [w for w in writes if not any(t in w for t in bookkeeping)] == [], rule.rule
