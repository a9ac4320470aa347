"""Fixtures for referral tests: a synthetic partner directory, cases opened through the API
with canary values, a JSON caller per account, and notices queued for e-mail."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import services
from core import db
from core.clock import FrozenClock
from referral import directory_import, notices
from referral.models import OutboxMessage
from tests.helpers import Account, Client
from tests.screening.payloads import body

PARTNERS = [
    {
        "slug": "org-a",
        "name": "Alpha Shelter",
        "capacity": 3,
        "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
        "services": ["shelter", "legal", "medical", "psychosocial"],
        "areas": [{"country": "XK"}],
        "populations": ["women", "men"],
        "languages": ["fr", "en"],
        "contact": {"phone": "+00 0000 canary-partner-phone"},
    },
    {
        "slug": "org-b",
        "name": "Beta Legal",
        "capacity": 2,
        "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
        "services": ["legal", "shelter"],
        "areas": [{"country": "XK"}],
        "populations": ["women"],
        "languages": ["en"],
    },
    {
        "slug": "org-c",
        "name": "Gamma Suspended",
        "capacity": 9,
        "vetting": {"status": "suspended", "valid_until": "2035-12-31"},
        "services": ["shelter", "legal"],
        "areas": [{"country": "XK"}],
    },
    {
        "slug": "org-k",
        "name": "Kappa Child Protection",
        "capacity": 2,
        "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
        "services": ["child_protection", "shelter"],
        "areas": [{"country": "XK"}],
        "populations": ["children"],
        "languages": ["fr"],
    },
]


@pytest.fixture
def partners(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Callable[..., Account]
) -> None:
    """The synthetic directory; org-a and org-b are the organisations of the partner
    accounts, and org-k has a staff account of its own (a partner without one is never
    offered)."""
    make_account("partner", partner="org-k")
    with app.app_context():
        store = db.session()
        directory_import.import_partners(store, PARTNERS, clock.now())
        store.commit()


@pytest.fixture
def api(client: Client, accounts: dict[str, Account], issue_token: Any) -> Callable[..., Any]:
    """``api(account_name, method, url, json=None)`` with that account's bearer token."""
    tokens: dict[str, str] = {}

    def call(name: str, method: str, url: str, json: Any = None) -> Any:
        if name not in tokens:
            tokens[name] = issue_token(accounts[name])
        return client.raw.open(
            f"/api/v1{url}",
            method=method,
            json=json,
            headers={"Authorization": f"Bearer {tokens[name]}"},
        )

    return call


@pytest.fixture
def open_case(api: Callable[..., Any], partners: None) -> Callable[..., str]:
    """Screen a synthetic person through the API and return the id of the case it opens."""

    def make(name: str = "screener", **changes: Any) -> str:
        response = api(name, "POST", "/screenings", body(**changes))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["case_id"]

    return make


SHARED = ["given_name", "needs", "languages"]
FULL_CONSENT = {
    "screening": True,
    "referral": True,
    "share": ["given_name", "needs", "languages", "answers"],
}


@pytest.fixture
def referral(api: Callable[..., Any], open_case: Callable[..., str]) -> Callable[..., str]:
    """Open a case and refer it; returns the referral id."""

    def make(
        partner: str = "org-a",
        share: list[str] | None = None,
        urgency: str = "normal",
        sender: str = "screener",
    ) -> str:
        case_id = open_case(sender, consent=FULL_CONSENT)
        response = api(
            sender,
            "POST",
            f"/cases/{case_id}/referrals",
            {
                "partner": partner,
                "services": ["shelter"],
                "urgency": urgency,
                "share": SHARED if share is None else share,
                "note": "synthetic note",
            },
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    return make


@pytest.fixture
def notice_referral(app: Flask, referral: Callable[..., str]) -> str:
    """A referral to write notices about; the e-mail of its own notice is taken out of the
    outbox, so each test starts from an empty one."""
    made = referral()
    with app.app_context():
        store = db.session()
        store.execute(sa.delete(OutboxMessage))
        store.commit()
    return made


@pytest.fixture
def queue_notices(
    app: Flask, clock: FrozenClock, accounts: dict[str, Account], notice_referral: str
) -> Callable[..., None]:
    """``queue_notices(count)``: that many notices, and so e-mails, for the partner account
    about one referral, committed."""

    def make(count: int = 1) -> None:
        with app.app_context():
            store = db.session()
            user = services.get_user(store, accounts["partner"].id)
            notices.notify(
                store,
                [user] * count,
                "referral.received",
                clock.now(),
                referral_id=uuid.UUID(notice_referral),
            )
            store.commit()

    return make
