"""Rate limits per client address, in memory for development and in Redis shared by workers."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from access.models import AuditEvent
from core import db
from tests.helpers import Client


def login_attempt(client: Client) -> int:
    return client.post("/login", {"email": "someone@test.passage.example",
                                  "password": "a wrong passphrase"}).status_code


def test_sign_in_is_limited_per_address(make_app: Any, clock: Any) -> None:
    client = Client(make_app(LOGIN_RATE_LIMIT="3 per minute"), clock)
    assert [login_attempt(client) for _ in range(3)] == [200, 200, 200]
    refused = client.post("/login", {"email": "someone@test.passage.example",
                                     "password": "a wrong passphrase"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]
    with client.app.app_context():
        last = db.session().scalars(sa.select(AuditEvent).order_by(AuditEvent.seq.desc())
                                    ).first()
    assert last is not None
    assert (last.action, last.outcome) == ("rate_limited", "denied")
    assert json.loads(last.details)["endpoint"] == "access.login"


def test_addresses_are_limited_separately(make_app: Any, clock: Any) -> None:
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    first = Client(app, clock)
    second = Client(app, clock)
    second.raw.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert [login_attempt(first) for _ in range(3)] == [200, 200, 429]
    assert login_attempt(second) == 200


def test_trusted_proxy_address_is_used(make_app: Any, clock: Any) -> None:
    app = make_app(LOGIN_RATE_LIMIT="2 per minute", TRUSTED_PROXIES=1)
    clients = []
    for address in ("198.51.100.1", "198.51.100.2"):
        client = Client(app, clock)
        client.raw.environ_base["HTTP_X_FORWARDED_FOR"] = address
        clients.append(client)
    assert [login_attempt(clients[0]) for _ in range(3)] == [200, 200, 429]
    assert login_attempt(clients[1]) == 200


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL not set")
def test_redis_storage_is_shared_between_workers(make_app: Any, clock: Any) -> None:
    shared = {"RATELIMIT_STORAGE_URI": os.environ["TEST_REDIS_URL"],
              "RATELIMIT_KEY_PREFIX": f"passage-test-{uuid.uuid4().hex}",
              "LOGIN_RATE_LIMIT": "3 per minute"}
    worker_one = Client(make_app(**shared), clock)
    assert [login_attempt(worker_one) for _ in range(2)] == [200, 200]
    worker_two = Client(make_app(**shared), clock)
    assert [login_attempt(worker_two) for _ in range(2)] == [200, 429]
