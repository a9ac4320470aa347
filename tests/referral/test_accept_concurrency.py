"""Accepting a referral happens exactly once (docs/architecture.md, Transactions: enforced in the
database).

Two staff of the receiving organisation accept the same referral at the same moment from two
threads, each request in its own transaction and connection; one gets 200 and the other
409, for every referral tried. CI runs this on PostgreSQL (``TEST_DATABASE_URL``), where the
two transactions really overlap. A second test makes the lost race deterministic: a worker
that read the referral as pending before another committed its acceptance still gets 409.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from access.services import get_user
from core import clock as clock_module
from core import db
from referral import referrals, workflow
from tests.helpers import Account, Client

pytestmark = pytest.mark.concurrency

ROUNDS = 8


def test_two_partners_accepting_at_once_yield_one_acceptance(
    app: Flask,
    referral: Callable[..., str],
    make_account: Any,
    issue_token: Any,
    accounts: dict[str, Account],
    clock: Any,
) -> None:
    colleague = make_account("partner", partner="org-a")
    tokens = [issue_token(accounts["partner"]), issue_token(colleague)]
    ids = [referral() for _ in range(ROUNDS)]
    for referral_id in ids:
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def accept(
            token: str,
            referral_id: str = referral_id,
            barrier: threading.Barrier = barrier,
            statuses: list[int] = statuses,
        ) -> None:
            client = Client(app, clock)
            barrier.wait(10)
            response = client.raw.post(
                f"/api/v1/referrals/{referral_id}/accept",
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=accept, args=(token,)) for token in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(statuses) == [200, 409], referral_id
    with app.app_context():
        accepted = (
            db.session()
            .scalars(
                sa.select(AuditEvent.object_id).where(AuditEvent.action == "referral.accepted")
            )
            .all()
        )
    assert sorted(accepted) == sorted(ids)


def test_a_worker_that_read_pending_before_the_other_committed_gets_a_conflict(
    app: Flask, referral: Callable[..., str], accounts: dict[str, Account], make_account: Any
) -> None:
    referral_id = uuid.UUID(referral())
    colleague = make_account("partner", partner="org-a")
    with app.app_context():
        late = app.extensions["passage.sessionmaker"]()
        late_user = get_user(late, colleague.id)
        stale = referrals.get(late, late_user, referral_id)
        assert stale.state == "pending"
        late.commit()  # the session keeps its (soon stale) copy: it still says pending

        first = db.session()
        referrals.answer(
            first,
            get_user(first, accounts["partner"].id),
            referral_id,
            "accept",
            None,
            clock_module.now(),
            30,
        )
        first.commit()

        with pytest.raises(workflow.IllegalTransition):
            referrals.answer(late, late_user, referral_id, "accept", None, clock_module.now(), 30)
        assert stale.state == "accepted"
        late.rollback()
        late.close()
        accepted = (
            db.session()
            .scalars(
                sa.select(AuditEvent.object_id).where(AuditEvent.action == "referral.accepted")
            )
            .all()
        )
    assert accepted == [str(referral_id)]
