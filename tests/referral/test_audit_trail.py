"""Every access to a case or referral is audited in the same transaction, with the actor and
the request (R43), and nothing is shown or changed when the audit event cannot be written
(R44)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import audit
from access.models import AuditEvent
from core import db
from tests.helpers import Account

API = Callable[..., Any]


def _events_after(app: Flask, seq: int) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(AuditEvent).where(AuditEvent.id > seq).order_by(AuditEvent.id)
            )
        )


def _last_seq(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.max(AuditEvent.id))) or 0


# (account, method, path, body, the events the call writes, in order)
CALLS = [
    ("screener", "GET", "/cases/{case}", None, ["case.read", "person.read"]),
    ("screener", "GET", "/cases/{case}/matches", None, ["case.read", "person.read"]),
    (
        "screener",
        "POST",
        "/cases/{case}/referrals",
        {"partner": "org-b", "services": ["legal"], "share": ["given_name"]},
        ["case.manage", "person.read", "referral.sent"],
    ),
    ("partner", "GET", "/referrals", None, ["referrals.listed"]),
    ("partner", "GET", "/referrals/{referral}", None, ["referral.read"]),
    (
        "partner",
        "POST",
        "/referrals/{referral}/accept",
        None,
        ["referral.read", "referral.accepted"],
    ),
    ("partner_b", "GET", "/referrals/{referral}", None, ["access.denied"]),
    ("screener_b", "GET", "/cases/{case}", None, ["access.denied"]),
]


@pytest.mark.parametrize(("who", "method", "path", "data", "expected"), CALLS)
def test_each_call_writes_exactly_its_events(
    app: Flask,
    api: API,
    referral: Callable[..., str],
    accounts: dict[str, Account],
    who: str,
    method: str,
    path: str,
    data: Any,
    expected: list[str],
) -> None:
    referral_id = referral()
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    api(who, "GET", "/instruments")  # the token exists before we count
    before = _last_seq(app)
    response = api(who, method, path.format(case=case_id, referral=referral_id), data)
    assert response.status_code < 500
    written = _events_after(app, before)
    assert [e.action for e in written] == expected
    assert {e.actor_id for e in written} == {str(accounts[who].id)}
    assert all(e.request_id for e in written)


def test_a_packet_is_not_shown_when_its_reading_cannot_be_audited(
    app: Flask, api: API, referral: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    referral_id = referral()
    api("partner", "GET", "/instruments")
    monkeypatch.setattr(audit, "append", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    response = api("partner", "GET", f"/referrals/{referral_id}")
    assert response.status_code == 500
    assert "Canaryapi" not in response.get_data(as_text=True)


def test_an_acceptance_that_cannot_be_audited_does_not_happen(
    app: Flask, api: API, referral: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    referral_id = referral()
    api("partner", "GET", "/instruments")
    real = audit.append

    def refuse_acceptance(
        store: Any, key: bytes, now: Any, action: str, *args: Any, **kwargs: Any
    ) -> Any:
        if action == "referral.accepted":
            raise OSError("audit store unavailable")
        return real(store, key, now, action, *args, **kwargs)

    monkeypatch.setattr(audit, "append", refuse_acceptance)
    assert api("partner", "POST", f"/referrals/{referral_id}/accept").status_code == 500
    monkeypatch.undo()
    assert api("partner", "GET", f"/referrals/{referral_id}").get_json()["state"] == "pending"
