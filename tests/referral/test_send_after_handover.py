"""A referral is sent, or withdrawn, only by someone still in charge of the case when its row
is locked (docs/case-work.md "Hand-over"): a hand-over that commits after the request read the
case but before it locked the row is seen, and the former owner's send or withdrawal is
refused (404, as for any case no longer theirs). On PostgreSQL the two transactions really
overlap; SQLite queues every writer from its BEGIN IMMEDIATE, so no hand-over can come between
there."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from referral.models import Referral
from tests.helpers import Account, Client
from tests.referral.conftest import FULL_CONSENT
from tests.referral.test_handover import browser, hand_over, owner

pytestmark = pytest.mark.concurrency


@pytest.fixture
def colleague(make_account: Callable[..., Account]) -> Account:
    """A second screener of Team A, to take the case over."""
    return make_account("screener", email="colleague@test.passage.example", team="Team A")


def test_a_send_by_an_owner_handed_off_before_the_lock_is_refused(
    app: Flask,
    open_case: Callable[..., str],
    api: Callable[..., Any],
    accounts: dict[str, Account],
    colleague: Account,
    new_client: Callable[[], Client],
) -> None:
    engine = app.extensions["passage.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite queues writers from BEGIN IMMEDIATE: nothing can come between")
    case_id = open_case(consent=FULL_CONSENT)
    supervisor = browser(new_client, accounts["supervisor"])
    handed: list[int] = []

    def hand_over_first(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The moment the send is about to lock the case's row, the supervisor's hand-over
        # runs to its commit on a connection of its own.
        if not handed and "FOR UPDATE" in statement and "cases" in statement:
            handed.append(0)
            worker = threading.Thread(
                target=lambda: handed.append(
                    hand_over(supervisor, case_id, colleague.id).status_code
                )
            )
            worker.start()
            worker.join(30)

    sa.event.listen(engine, "before_cursor_execute", hand_over_first)
    try:
        sent = api(
            "screener",
            "POST",
            f"/cases/{case_id}/referrals",
            {"partner": "org-a", "services": ["shelter"], "share": ["given_name"]},
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", hand_over_first)
    assert handed == [0, 302]
    assert owner(app, case_id) == str(colleague.id)
    assert sent.status_code == 404, sent.get_json()
    with app.app_context():
        made = (
            db.session()
            .scalars(sa.select(Referral).where(Referral.case_id == uuid.UUID(case_id)))
            .all()
        )
    assert made == []


def test_a_withdrawal_by_an_owner_handed_off_before_the_lock_is_refused(
    app: Flask,
    referral: Callable[..., str],
    api: Callable[..., Any],
    accounts: dict[str, Account],
    make_account: Callable[..., Account],
    new_client: Callable[[], Client],
) -> None:
    """referrals.answer asks the policy again once it holds the case's row lock: a hand-over
    that commits between the first check and the lock leaves the former owner's withdrawal
    refused (404), as a send is (docs/case-work.md, "Hand-over"). On PostgreSQL only: SQLite
    queues every writer from BEGIN IMMEDIATE."""
    engine = app.extensions["passage.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite queues writers from BEGIN IMMEDIATE: nothing can come between")
    colleague = make_account("screener", email="colleague.b@test.passage.example", team="Team A")
    referral_id = referral()
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    supervisor = new_client()
    supervisor.sign_in(accounts["supervisor"])
    handed: list[int] = []

    def hand_over_first(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not handed and "FOR UPDATE" in statement and "cases" in statement:
            handed.append(0)
            worker = threading.Thread(
                target=lambda: handed.append(
                    supervisor.post(
                        f"/cases/{case_id}/owner",
                        {"owner": str(colleague.id)},
                        form_page=f"/cases/{case_id}",
                    ).status_code
                )
            )
            worker.start()
            worker.join(30)

    sa.event.listen(engine, "before_cursor_execute", hand_over_first)
    try:
        withdrawn = api("screener", "POST", f"/referrals/{referral_id}/withdraw")
    finally:
        sa.event.remove(engine, "before_cursor_execute", hand_over_first)
    assert handed == [0, 302]
    assert withdrawn.status_code == 404, withdrawn.get_json()
    with app.app_context():
        state = db.session().scalar(
            sa.select(Referral.state).where(Referral.id == uuid.UUID(referral_id))
        )
    assert state == "pending"
