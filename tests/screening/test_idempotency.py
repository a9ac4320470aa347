"""A screening sent twice through the API with the same ``Idempotency-Key`` (a slow connection,
a retry queue) is stored once; the same key with another person's screening is refused; keys
are the caller's own (docs/screening.md §3.1)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import services as access_services
from access.models import AuditEvent
from core import db
from referral import handover
from referral.models import Case
from screening.models import Person, Screening
from tests.helpers import Account, Client, raw_database_bytes
from tests.referral.test_races import caller, meanwhile, postgres_only
from tests.screening.payloads import body

KEY = "5f0c6a2e-synthetic-retry-0001"


def send(client: Client, token: str, data: Any, key: str | None = KEY, raw: bool = False) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    if raw:  # the body exactly as given, in its own key order and spacing
        headers["Content-Type"] = "application/json"
        return client.raw.post("/api/v1/screenings", data=data, headers=headers)
    return client.raw.post("/api/v1/screenings", json=data, headers=headers)


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        store = db.session()
        return tuple(  # type: ignore[return-value]
            store.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Person, Screening, Case)
        )


@pytest.fixture
def token(accounts: dict[str, Account], issue_token: Any) -> str:
    return str(issue_token(accounts["screener"]))


def test_the_same_screening_sent_again_with_its_key_is_stored_once(
    app: Flask, client: Client, token: str
) -> None:
    first = send(client, token, body())
    assert first.status_code == 201, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    again = send(client, token, body())
    assert again.status_code == 201, again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert counts(app) == (1, 1, 1)


def test_the_replay_is_a_read_of_the_screening_and_audited_as_one(
    app: Flask, client: Client, token: str
) -> None:
    screening_id = send(client, token, body()).get_json()["id"]
    send(client, token, body())
    with app.app_context():
        reads = db.session().scalars(
            sa.select(AuditEvent.object_id).where(AuditEvent.action == "screening.read")
        )
        assert [str(r) for r in reads] == [screening_id]


def test_key_order_and_spacing_do_not_make_another_request(
    app: Flask, client: Client, token: str
) -> None:
    data = body()
    first = send(client, token, json.dumps(data), raw=True)
    assert first.status_code == 201, first.get_json()
    reordered = json.dumps(dict(reversed(list(data.items()))), indent=2)
    again = send(client, token, reordered, raw=True)
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
    assert again.get_json()["id"] == first.get_json()["id"]
    assert counts(app) == (1, 1, 1)


def test_the_same_key_with_another_screening_is_refused_and_stores_nothing(
    app: Flask, client: Client, token: str
) -> None:
    first = send(client, token, body())
    other = body(subject={**body()["subject"], "given_name": "Canaryother"})
    refused = send(client, token, other)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "Idempotency-Key": "this key was sent before with another screening"
    }
    assert "Canaryother" not in refused.get_data(as_text=True)
    assert counts(app) == (1, 1, 1)
    assert b"Canaryother" not in raw_database_bytes(app)
    # The first screening is untouched.
    assert send(client, token, body()).get_json() == first.get_json()


def test_without_a_key_each_call_is_a_new_screening(app: Flask, client: Client, token: str) -> None:
    ids = {send(client, token, body(), key=None).get_json()["id"] for _ in range(2)}
    assert len(ids) == 2
    assert counts(app)[1] == 2


def test_keys_are_the_callers_own(
    app: Flask,
    client: Client,
    token: str,
    make_account: Any,
    issue_token: Any,
) -> None:
    colleague = make_account("screener", email="keys-colleague@test.passage.example", team="Team A")
    mine = send(client, token, body()).get_json()["id"]
    theirs = send(client, issue_token(colleague), body())
    assert theirs.status_code == 201, theirs.get_json()
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["id"] != mine


@pytest.mark.parametrize(
    "key",
    ["short", "x" * 101, "has space in it", "semi;colon-key", "ключ-ключ-ключ"],
)
def test_a_malformed_key_gets_400_and_stores_nothing(
    app: Flask, client: Client, token: str, key: str
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    refused = client.raw.post("/api/v1/screenings", json=body(), headers=headers)
    assert refused.status_code == 400
    assert list(refused.get_json()["error"]["fields"]) == ["Idempotency-Key"]
    assert counts(app) == (0, 0, 0)


def test_a_draft_sent_again_answers_the_draft(app: Flask, client: Client, token: str) -> None:
    data = body(answers={}, complete=False)
    first = send(client, token, data)
    assert first.status_code == 201, first.get_json()
    again = send(client, token, data)
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["status"] == "draft"
    assert counts(app) == (1, 1, 0)


def test_a_key_whose_screening_the_caller_may_no_longer_open_is_refused(
    app: Flask,
    client: Client,
    clock: Any,
    token: str,
    accounts: dict[str, Account],
    make_account: Any,
) -> None:
    made = send(client, token, body()).get_json()
    colleague = make_account("screener", email="taker@test.passage.example", team="Team A")
    with app.app_context():
        store = db.session()
        supervisor = access_services.get_user(store, accounts["supervisor"].id)
        case = store.get(Case, uuid.UUID(made["case_id"]))
        assert case is not None
        handover.hand_over(store, supervisor, case, colleague.id, clock.now())
        store.commit()
    refused = send(client, token, body())
    assert refused.status_code == 409
    assert refused.get_json()["error"]["fields"] == {
        "Idempotency-Key": "this key was used before; send a new one"
    }
    assert made["id"] not in refused.get_data(as_text=True)
    assert counts(app) == (1, 1, 1)


@pytest.mark.concurrency
def test_the_same_key_sent_twice_at_once_stores_one_screening(
    app: Flask, clock: Any, token: str
) -> None:
    engine = postgres_only(app)
    call = caller(app, clock, token)

    def post() -> Any:
        return Client(app, clock).raw.post(
            "/api/v1/screenings",
            json=body(),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY},
        )

    # The second send arrives while the first is writing its screening, before its commit.
    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("INSERT INTO screenings"),
        lambda: post(),
    ) as done:
        first = post()
    assert done[0] == "fired"
    second = done[1]
    assert sorted([first.status_code, second.status_code]) == [201, 201]
    assert [r.headers.get("Idempotent-Replayed") for r in (first, second)].count("true") == 1
    assert first.get_json()["id"] == second.get_json()["id"]
    assert counts(app) == (1, 1, 1)
    assert call("GET", f"/screenings/{first.get_json()['id']}").status_code == 200
