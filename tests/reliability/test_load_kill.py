"""Load held through a worker's SIGKILL (issue 14; docs/operations.md): screeners, partner
caseworkers racing to accept and an auditor keep gunicorn's four workers busy for twenty
seconds; one worker is killed halfway. Only requests the dead worker held may fail; nothing
is half-written, each accepted referral is accepted once, and the audit chain verifies.
The longer run is ``python -m bench.load_kill``."""

from __future__ import annotations

import os

import pytest

from bench import load_kill

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]


def test_killing_a_worker_under_load_loses_nothing_else() -> None:
    server = os.environ.get("TEST_DATABASE_URL")  # PostgreSQL in CI, else SQLite
    result = load_kill.run(server, 20)
    checks = result["checks"]
    assert result["failures_elsewhere"] == []
    assert len(result["failures_at_kill"]) <= 5  # at most one per client
    assert (checks["completed_without_case"], checks["referrals_without_case"]) == (0, 0)
    assert checks["accepted"] > 0
    assert checks["accepted_with_other_than_one_event"] == []
    assert checks["accepted_by_other_than_one_answer"] == []
    assert checks["answered_but_not_accepted"] == []
    assert checks["audit"]["ok"], checks["audit"]
    assert result["ok"]
