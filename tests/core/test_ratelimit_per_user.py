"""Rate limits per signed-in user on the costly endpoints (exports, searches, the audit log),
beside their limits per client address (R59)."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa

from access.models import AuditEvent, RateLimitWindow
from core import db
from tests.helpers import Client

EXPORT = "/audit/events.csv"


def browser(app: Any, clock: Any, account: Any, address: str = "192.0.2.10") -> Client:
    client = Client(app, clock)
    client.raw.environ_base["REMOTE_ADDR"] = address
    client.sign_in(account)
    return client


def refusals(app: Any) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session().scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "rate_limited").order_by(AuditEvent.id)
        )
        found = [
            {"actor_id": row.actor_id, "client_ip": row.client_ip, **json.loads(row.details)}
            for row in rows
        ]
    for details in found:  # the window's keyed hash
        assert re.fullmatch(r"[0-9a-f]{64}", details.pop("window"))
    return found


def test_the_export_is_limited_per_user_and_the_refusal_audited(
    make_app: Any, make_account: Any, clock: Any
) -> None:
    auditor = make_account("auditor")
    app = make_app(EXPORT_RATE_LIMIT="2 per minute")
    client = browser(app, clock, auditor)
    assert [client.get(EXPORT).status_code for _ in range(2)] == [200, 200]
    refused = client.get(EXPORT)
    assert refused.status_code == 429
    assert "Too many" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]
    assert refusals(app) == [
        {
            "actor_id": str(auditor.id),
            "client_ip": "192.0.2.10",
            "limit": "2 per 1 minute",
            "per": "user",
            "endpoint": "audit.export",
            "window_start": "2026-03-02T09:00:00+00:00",
            "window_seconds": 60,
        }
    ]
    # More refusals in the window are counted, not logged again.
    assert [client.get(EXPORT).status_code for _ in range(3)] == [429, 429, 429]
    assert len(refusals(app)) == 1
    with app.app_context():
        rows = db.session().execute(sa.select(RateLimitWindow.__table__)).all()
    assert [row.refused for row in rows] == [4]
    assert str(auditor.id) not in repr(rows)
    assert "192.0.2.10" not in repr(rows)


def test_two_users_from_one_address_are_limited_separately(
    make_app: Any, make_account: Any, clock: Any
) -> None:
    first, second = make_account("auditor"), make_account("auditor")
    app = make_app(EXPORT_RATE_LIMIT="2 per minute")
    one = browser(app, clock, first)
    other = browser(app, clock, second)
    assert [one.get(EXPORT).status_code for _ in range(3)] == [200, 200, 429]
    assert [other.get(EXPORT).status_code for _ in range(3)] == [200, 200, 429]


def test_one_user_from_two_addresses_is_limited_as_one(
    make_app: Any, make_account: Any, clock: Any
) -> None:
    auditor = make_account("auditor")
    app = make_app(EXPORT_RATE_LIMIT="2 per minute")
    office = browser(app, clock, auditor, "192.0.2.10")
    home = browser(app, clock, auditor, "198.51.100.20")
    assert office.get(EXPORT).status_code == 200
    assert home.get(EXPORT).status_code == 200
    assert office.get(EXPORT).status_code == 429
    assert home.get(EXPORT).status_code == 429
    assert [(e["per"], e["client_ip"]) for e in refusals(app)] == [("user", "192.0.2.10")]


def test_an_address_is_limited_whoever_signs_in_from_it(
    make_app: Any, make_account: Any, clock: Any
) -> None:
    app = make_app(EXPORT_RATE_LIMIT="5 per minute", EXPORT_ADDRESS_RATE_LIMIT="3 per minute")
    one = browser(app, clock, make_account("auditor"))
    other = browser(app, clock, make_account("auditor"))
    assert [one.get(EXPORT).status_code for _ in range(2)] == [200, 200]
    assert [other.get(EXPORT).status_code for _ in range(2)] == [200, 429]
    assert [e["per"] for e in refusals(app)] == ["address"]


def test_the_audit_log_page_has_a_limit_of_its_own(
    make_app: Any, make_account: Any, clock: Any
) -> None:
    auditor = make_account("auditor")
    app = make_app(AUDIT_RATE_LIMIT="2 per minute")
    client = browser(app, clock, auditor)
    assert [client.get("/audit/events").status_code for _ in range(3)] == [200, 200, 429]
    # The page and the export are counted apart; the export counts as an export too.
    assert [client.get(EXPORT).status_code for _ in range(3)] == [200, 200, 429]
    assert [(e["endpoint"], e["per"], e["limit"]) for e in refusals(app)] == [
        ("audit.events", "user", "2 per 1 minute"),
        ("audit.export", "user", "2 per 1 minute"),
    ]


def test_the_api_audit_log_is_limited_per_token_user(
    make_app: Any, make_account: Any, issue_token: Any
) -> None:
    auditor = make_account("auditor")
    app = make_app(AUDIT_RATE_LIMIT="2 per minute")
    headers = {"Authorization": f"Bearer {issue_token(auditor)}"}
    api = app.test_client()
    statuses = [api.get("/api/v1/audit/events", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = api.get("/api/v1/audit/events", headers=headers)
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert [(e["endpoint"], e["per"], e["actor_id"]) for e in refusals(app)] == [
        ("access_api.audit_events", "user", str(auditor.id))
    ]


def test_searches_are_limited_per_user(make_app: Any, make_account: Any, clock: Any) -> None:
    app = make_app(SEARCH_RATE_LIMIT="2 per minute")
    client = browser(app, clock, make_account("screener"))
    assert [client.get("/cases/?status=all").status_code for _ in range(3)] == [200, 200, 429]
