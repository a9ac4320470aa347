"""Rate limits per client address, in memory for development and in Redis shared by workers."""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from access.models import AuditEvent, RateLimitWindow
from core import db
from tests.helpers import Client


def login_attempt(client: Client) -> int:
    return client.post(
        "/login", {"email": "someone@test.passage.example", "password": "a wrong passphrase"}
    ).status_code


def test_sign_in_is_limited_per_address(make_app: Any, clock: Any) -> None:
    client = Client(make_app(LOGIN_RATE_LIMIT="3 per minute"), clock)
    assert [login_attempt(client) for _ in range(3)] == [422, 422, 422]
    refused = client.post(
        "/login", {"email": "someone@test.passage.example", "password": "a wrong passphrase"}
    )
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]
    with client.app.app_context():
        last = db.session().scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert (last.action, last.outcome) == ("rate_limited", "denied")
    assert json.loads(last.details)["endpoint"] == "access.login"


@pytest.mark.parametrize(
    "path", ["/login", "/login/code", "/login/enrol", "/password/no-such-link-token"]
)
def test_every_sign_in_step_is_limited_per_address(make_app: Any, clock: Any, path: str) -> None:
    client = Client(make_app(LOGIN_RATE_LIMIT="1 per minute"), clock)
    first = client.post(path, {"code": "123456"}, form_page="/login")
    second = client.post(path, {"code": "123456"}, form_page="/login")
    assert first.status_code != 429
    assert second.status_code == 429


@pytest.mark.parametrize(
    ("path", "answered"),
    [
        ("/login/code", 302),
        ("/login/enrol", 302),
        ("/password/a-synthetic-link-token-that-was-never-issued", 404),
    ],
)
def test_code_enrolment_and_password_link_pages_are_limited_per_address(
    make_app: Any, clock: Any, path: str, answered: int
) -> None:
    client = Client(make_app(LOGIN_RATE_LIMIT="3 per minute"), clock)
    statuses = [
        client.post(path, {"code": "000000"}, form_page="/login").status_code for _ in range(4)
    ]
    assert statuses == [answered, answered, answered, 429]


def test_addresses_are_limited_separately(make_app: Any, clock: Any) -> None:
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    first = Client(app, clock)
    second = Client(app, clock)
    second.raw.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert [login_attempt(first) for _ in range(3)] == [422, 422, 429]
    assert login_attempt(second) == 422


def test_trusted_proxy_address_is_used(make_app: Any, clock: Any) -> None:
    app = make_app(LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    clients = []
    for address in ("198.51.100.1", "198.51.100.2"):
        client = Client(app, clock)
        client.raw.environ_base["HTTP_X_FORWARDED_FOR"] = address
        clients.append(client)
    assert [login_attempt(clients[0]) for _ in range(3)] == [422, 422, 429]
    assert login_attempt(clients[1]) == 422


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL not set")
def test_redis_storage_is_shared_between_workers(make_app: Any, clock: Any) -> None:
    shared = {
        "RATELIMIT_STORAGE_URI": os.environ["TEST_REDIS_URL"],
        "RATELIMIT_KEY_PREFIX": f"passage-test-{uuid.uuid4().hex}",
        "LOGIN_RATE_LIMIT": "3 per minute",
    }
    worker_one = Client(make_app(**shared), clock)
    assert [login_attempt(worker_one) for _ in range(2)] == [422, 422]
    worker_two = Client(make_app(**shared), clock)
    assert [login_attempt(worker_two) for _ in range(2)] == [422, 429]


def rate_limited_events(app: Any) -> list[dict[str, Any]]:
    with app.app_context():
        rows = (
            db.session()
            .scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action == "rate_limited")
                .order_by(AuditEvent.id)
            )
            .all()
        )
        found = [{"client_ip": row.client_ip, **json.loads(row.details)} for row in rows]
    for details in found:  # the window's keyed hash, which the audit page counts by
        assert re.fullmatch(r"[0-9a-f]{64}", details.pop("window"))
    return found


def test_a_flood_leaves_one_audit_event_per_client_and_window(
    make_app: Any, make_account: Any, clock: Any
) -> None:
    auditor = make_account("auditor")
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    flooder = Client(app, clock)
    flooder.raw.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert [login_attempt(flooder) for _ in range(3)] == [422, 422, 422]
    assert {login_attempt(flooder) for _ in range(50)} == {429}
    assert rate_limited_events(app) == [
        {
            "client_ip": "192.0.2.7",
            "limit": "3 per 1 minute",
            "per": "address",
            "endpoint": "access.login",
            "window_start": "2026-03-02T09:00:00+00:00",
            "window_seconds": 60,
        }
    ]
    other = Client(app, clock)
    other.raw.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert [login_attempt(other) for _ in range(5)] == [422, 422, 422, 429, 429]
    assert [e["client_ip"] for e in rate_limited_events(app)] == ["192.0.2.7", "192.0.2.8"]
    # Auditors see how many requests each event stands for.
    reader = Client(app, clock)
    reader.sign_in(auditor)
    page = reader.get("/audit/events?action=rate_limited").get_data(as_text=True)
    assert "50 requests refused in this window" in page
    assert "2 requests refused in this window" in page
    # The next window of the service clock starts a new event.
    clock.advance(seconds=60)
    assert login_attempt(flooder) == 429
    events = rate_limited_events(app)
    assert [(e["client_ip"], e["window_start"]) for e in events] == [
        ("192.0.2.7", "2026-03-02T09:00:00+00:00"),
        ("192.0.2.8", "2026-03-02T09:00:00+00:00"),
        ("192.0.2.7", "2026-03-02T09:01:00+00:00"),
    ]


def test_refusal_counts_keep_no_client_address(make_app: Any, clock: Any) -> None:
    app = make_app(LOGIN_RATE_LIMIT="1 per minute")
    flooder = Client(app, clock)
    flooder.raw.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert [login_attempt(flooder) for _ in range(3)] == [422, 429, 429]
    with app.app_context():
        rows = db.session().execute(sa.select(RateLimitWindow.__table__)).all()
    assert [(row.refused, row.rate_limit, row.endpoint) for row in rows] == [
        (2, "1 per 1 minute", "access.login")
    ]
    assert "192.0.2.77" not in repr(rows)
