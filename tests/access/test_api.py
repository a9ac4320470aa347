"""API tokens and the JSON API: bearer authentication, the error shape, the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import ApiToken
from core import db
from tests.helpers import Account, Client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error_shape(response: Any, status: int, code: str) -> None:
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code


def test_token_authenticates_the_api(
    client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["partner"])
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {
        "id": str(accounts["partner"].id),
        "email": accounts["partner"].email,
        "role": "partner",
        "team": None,
        "partner": "org-a",
    }


def test_only_the_token_hash_is_stored(
    app: Flask, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["screener"])
    with app.app_context():
        stored = db.session().scalars(sa.select(ApiToken.token_hash)).all()
    assert token not in stored
    assert len(stored) == 1
    assert len(stored[0]) == 64


def test_missing_unknown_and_malformed_tokens_get_401(client: Client) -> None:
    for headers in ({}, bearer("psg_" + "A" * 43), bearer(""), {"Authorization": "Basic eDp5"}):
        assert_error_shape(client.get("/api/v1/me", headers=headers), 401, "unauthorized")


def test_expired_token_gets_401(
    client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["screener"], days=1)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    client.clock.advance(days=1, seconds=1)
    assert_error_shape(client.get("/api/v1/me", headers=bearer(token)), 401, "unauthorized")


def test_revoked_token_gets_401(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    from access import tokens

    token = issue_token(accounts["screener"])
    with app.app_context():
        store = db.session()
        token_id = store.scalar(sa.select(ApiToken.id))
        assert tokens.revoke_token(store, token_id, client.clock.now())
        store.commit()
    assert_error_shape(client.get("/api/v1/me", headers=bearer(token)), 401, "unauthorized")


def test_disabled_users_token_gets_401(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    from access import services

    token = issue_token(accounts["screener"])
    with app.app_context():
        store = db.session()
        services.disable_user(
            store, services.get_user(store, accounts["screener"].id), client.clock.now()
        )
        store.commit()
    assert_error_shape(client.get("/api/v1/me", headers=bearer(token)), 401, "unauthorized")


def test_session_cookie_does_not_authenticate_the_api(
    client: Client, accounts: dict[str, Account]
) -> None:
    client.sign_in(accounts["screener"])
    assert_error_shape(client.get("/api/v1/me"), 401, "unauthorized")


def test_unknown_api_path_and_method_use_the_error_shape(
    client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["screener"])
    assert_error_shape(client.get("/api/v1/nothing-here", headers=bearer(token)), 404, "not_found")
    assert_error_shape(
        client.raw.delete("/api/v1/me", headers=bearer(token)), 405, "method_not_allowed"
    )


def test_api_rate_limit_answers_429(
    make_app: Any, clock: Any, make_account: Any, issue_token: Any
) -> None:
    app = make_app(API_RATE_LIMIT="3 per minute")
    token = issue_token(make_account("auditor"))
    browser = app.test_client()
    statuses = [browser.get("/api/v1/me", headers=bearer(token)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert_error_shape(browser.get("/api/v1/me", headers=bearer(token)), 429, "too_many_requests")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer psg_not-a-real-token"}, "screener's token"],
    ids=["no token", "unknown token", "forbidden role"],
)
def test_refused_calls_count_towards_the_api_limit(
    make_app: Any, make_account: Any, issue_token: Any, headers: Any
) -> None:
    # A flood of calls the guard refuses (401, 403) is a flood too: refused before the
    # limit counted them, it went on for ever, each guess at a token answered.
    app = make_app(API_RATE_LIMIT="3 per minute")
    if headers == "screener's token":
        headers = bearer(issue_token(make_account("screener")))
    browser = app.test_client()
    statuses = [browser.get("/api/v1/audit/events", headers=headers).status_code for _ in range(5)]
    assert statuses[3:] == [429, 429]
    assert set(statuses[:3]) <= {401, 403}


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("auditor", "/api/v1/me"),
        ("screener", "/api/v1/instruments"),
        ("partner", "/api/v1/referrals"),
        ("supervisor", "/api/v1/stats"),
    ],
)
def test_every_api_blueprint_is_rate_limited(
    make_app: Any, make_account: Any, issue_token: Any, role: str, path: str
) -> None:
    app = make_app(API_RATE_LIMIT="1 per minute")
    token = issue_token(make_account(role))
    browser = app.test_client()
    statuses = [browser.get(path, headers=bearer(token)).status_code for _ in range(2)]
    assert statuses == [200, 429]


def test_openapi_document_describes_every_api_route(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    document = client.get(
        "/api/v1/openapi.json", headers=bearer(issue_token(accounts["auditor"]))
    ).get_json()
    assert document["openapi"].startswith("3.")
    described = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    served = {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == described
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
