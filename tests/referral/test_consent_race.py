"""Consent withdrawal and a referral being sent at the same moment (issue 9, finding 3).

The screener's colleague sends the case to a partner through the API while the screener
records, on the case page, that the person withdraws consent: two requests, two threads, two
connections, started together. Whichever commits first, no partner may hold a packet once
the withdrawal has committed: either the send is refused (422), or the referral it made is
withdrawn and its packet cleared. CI runs this on PostgreSQL, where both transactions really
overlap and the case row's lock is what orders them; before the lock, 8 of 12 tries leaked.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from referral.models import Case, Referral
from tests.helpers import Account, Client, csrf_from
from tests.referral.conftest import FULL_CONSENT

pytestmark = pytest.mark.concurrency

ROUNDS = 12


def together(**requests: Callable[[], Any]) -> dict[str, int]:
    """Start each request in its own thread at the same moment; their status codes by name."""
    barrier = threading.Barrier(len(requests))
    statuses: dict[str, int] = {}

    def run(name: str, request: Callable[[], Any]) -> None:
        barrier.wait(10)
        statuses[name] = request().status_code

    threads = [threading.Thread(target=run, args=item) for item in requests.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def test_no_packet_survives_a_withdrawal_that_raced_a_send(
    app: Flask,
    open_case: Callable[..., str],
    issue_token: Any,
    accounts: dict[str, Account],
    clock: Any,
) -> None:
    token = issue_token(accounts["screener"])
    page = Client(app, clock)
    page.sign_in(accounts["screener"])
    outcomes: list[tuple[int, int]] = []
    for _ in range(ROUNDS):
        case_id = open_case(consent=FULL_CONSENT)
        csrf = csrf_from(page.get(f"/cases/{case_id}"))
        statuses = together(
            send=lambda case_id=case_id: Client(app, clock).raw.post(
                f"/api/v1/cases/{case_id}/referrals",
                json={
                    "partner": "org-a",
                    "services": ["shelter"],
                    "share": ["given_name", "needs"],
                },
                headers={"Authorization": f"Bearer {token}"},
            ),
            withdraw=lambda case_id=case_id, csrf=csrf: page.raw.post(
                f"/cases/{case_id}/consent/withdraw", data={"csrf_token": csrf}
            ),
        )
        assert statuses["withdraw"] == 302, statuses
        assert statuses["send"] in (201, 422), statuses
        with app.app_context():
            store = db.session()
            case = store.get(Case, uuid.UUID(case_id))
            assert case is not None
            assert case.consent_withdrawn_at is not None
            left = store.execute(
                sa.select(Referral.state, Referral.packet).where(Referral.case_id == case.id)
            ).all()
        assert all(state == "withdrawn" and packet is None for state, packet in left), left
        outcomes.append((statuses["send"], len(left)))
    # Every round ended safely, however the two requests were ordered.
    assert all(outcome in ((201, 1), (422, 0)) for outcome in outcomes), outcomes


def test_a_withdrawal_racing_a_link_is_never_undone(
    app: Flask, open_case: Callable[..., str], accounts: dict[str, Account], clock: Any
) -> None:
    linker, withdrawer = Client(app, clock), Client(app, clock)
    linker.sign_in(accounts["screener"])
    withdrawer.sign_in(accounts["supervisor"])
    for _ in range(ROUNDS // 2):
        earlier = open_case(consent=FULL_CONSENT)
        newer = open_case(consent=FULL_CONSENT)
        tokens = (
            csrf_from(linker.get(f"/cases/{newer}")),
            csrf_from(withdrawer.get(f"/cases/{newer}")),
        )
        statuses = together(
            link=lambda newer=newer, earlier=earlier, csrf=tokens[0]: linker.raw.post(
                f"/cases/{newer}/link",
                data={"csrf_token": csrf, "earlier": earlier, "confirm": "y"},
            ),
            withdraw=lambda newer=newer, csrf=tokens[1]: withdrawer.raw.post(
                f"/cases/{newer}/consent/withdraw", data={"csrf_token": csrf}
            ),
        )
        # The withdrawal either came first (and the link carries it over) or found the case
        # already linked and was refused (409): it is never recorded and then lost.
        assert statuses["link"] == 302, statuses
        assert statuses["withdraw"] in (302, 409), statuses
        with app.app_context():
            kept = db.session().get(Case, uuid.UUID(earlier))
            assert kept is not None
            if statuses["withdraw"] == 302:
                assert kept.consent["referral"] is False, statuses
