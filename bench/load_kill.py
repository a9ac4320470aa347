"""Load held through a worker's death (issue 14 item 6; docs/operations.md).

Run from the project root::

    python -m bench.load_kill [--seconds 60] [--database-url postgresql+psycopg://…]

Serves Passage with ``gunicorn -w 4 --preload`` on loopback (PostgreSQL when given, SQLite
otherwise) and, for ``--seconds``, keeps it busy as a reception centre and its partners do:
two screeners screening and referring, two partner caseworkers accepting what arrives (both
try each referral, so that acceptances race), an auditor reading the log. Halfway through,
one worker is killed with SIGKILL; gunicorn starts another. Then it checks, in the database:

- no request failed but those the killed worker held (connection errors or 5xx within a
  second of the kill, at most one per client);
- nothing half-written: every completed screening has its case, every referral its case;
- every referral accepted once: one ``referral.accepted`` event for each accepted referral,
  and exactly one 200 among the caseworkers' tries for it;
- the audit chain verifies once the sealers have caught up.

Prints one JSON object; ``ok`` says whether every check held.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from access import audit_sealer, audit_verify, tokens
from access.models import AuditEvent
from access.services import get_user
from bench import harness
from core import clock, db, keys
from referral import directory_import
from referral.models import Case, Referral
from screening.models import Screening
from tests.helpers import create_account
from tests.screening.payloads import body

PARTNER = {
    "slug": "org-load",
    "name": "Load Test Shelter",
    "capacity": 1_000_000,
    "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
    "services": ["shelter", "legal"],
    "areas": [{"country": "XK"}],
    "populations": ["women", "men"],
    "languages": ["fr", "en"],
}
CONSENT = {"screening": True, "referral": True, "share": ["given_name", "needs", "languages"]}
REFERRAL = {"partner": "org-load", "services": ["shelter"], "urgency": "normal"}


class Workload:
    """The clients' shared state: tokens, referrals waiting for an answer, what happened."""

    def __init__(self, port: int, tokens_: dict[str, str], stop_at: float) -> None:
        self.port, self.tokens, self.stop_at = port, tokens_, stop_at
        self.waiting: queue.Queue[str] = queue.Queue()
        self.lock = threading.Lock()
        self.failures: list[tuple[float, str]] = []
        self.requests = Counter[str]()
        self.accepted = Counter[str]()  # referral id: 200 answers to its acceptance

    def call(self, connection: Any, who: str, method: str, path: str, data: Any = None) -> Any:
        """One request; None (and a failure noted) on a dropped connection or a 5xx."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        try:
            status, answer = harness.call(connection, (method, path, data, headers))
        except (OSError, http.client.HTTPException) as error:
            self._fail(type(error).__name__)
            connection.close()
            return None
        with self.lock:
            self.requests[who] += 1
        if status >= 500:
            self._fail(f"{method} {path.split('/')[3]} {status}")
            return None
        return status, (json.loads(answer) if answer else None)

    def _fail(self, what: str) -> None:
        with self.lock:
            self.failures.append((time.monotonic(), what))

    def running(self) -> bool:
        return time.monotonic() < self.stop_at


def _screener(work: Workload, number: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", work.port, timeout=60)
    count = 0
    while work.running():
        count += 1
        subject = {**body()["subject"], "given_name": f"Canaryload{number}x{count}"}
        made = work.call(
            connection,
            "screener",
            "POST",
            "/api/v1/screenings",
            body(subject=subject, consent=CONSENT),
        )
        if made is None or made[0] != 201:
            continue
        sent = work.call(
            connection,
            "screener",
            "POST",
            f"/api/v1/cases/{made[1]['case_id']}/referrals",
            REFERRAL,
        )
        if sent is not None and sent[0] == 201:
            work.waiting.put(sent[1]["id"])
            work.waiting.put(sent[1]["id"])  # the other caseworker tries it too


def _caseworker(work: Workload) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", work.port, timeout=60)
    while work.running():
        try:
            referral = work.waiting.get(timeout=0.5)
        except queue.Empty:
            work.call(connection, "partner", "GET", "/api/v1/referrals")
            continue
        answered = work.call(connection, "partner", "POST", f"/api/v1/referrals/{referral}/accept")
        if answered is not None and answered[0] == 200:
            with work.lock:
                work.accepted[referral] += 1


def _auditor(work: Workload) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", work.port, timeout=60)
    while work.running():
        work.call(connection, "auditor", "GET", "/api/v1/audit/events?per_page=50")


def _tokens(app: Any, clock_: Any) -> dict[str, str]:
    with app.app_context():
        store = db.session()
        directory_import.import_partners(store, [PARTNER], clock_.now())
        store.commit()
    accounts = {
        "screener": create_account(app, clock_, "screener"),
        "partner": create_account(app, clock_, "partner", partner="org-load"),
        "auditor": create_account(app, clock_, "auditor"),
    }
    issued = {}
    with app.app_context():
        store = db.session()
        for name, account in accounts.items():
            _row, issued[name] = tokens.issue_token(
                store, get_user(store, account.id), clock_.now(), 1
            )
        store.commit()
    return issued


def _checks(app: Any, work: Workload) -> dict[str, Any]:
    audit_sealer.of(app).seal_now()
    with app.app_context():
        store = db.session()
        completed = store.scalar(
            sa.select(sa.func.count()).select_from(Screening).where(Screening.status == "completed")
        )
        without_case = store.scalar(
            sa.select(sa.func.count())
            .select_from(Screening)
            .where(
                Screening.status == "completed",
                ~sa.exists().where(Case.person_id == Screening.person_id),
            )
        )
        referrals = store.scalar(sa.select(sa.func.count()).select_from(Referral))
        orphans = store.scalar(
            sa.select(sa.func.count())
            .select_from(Referral)
            .where(~sa.exists().where(Case.id == Referral.case_id))
        )
        accepted = sa.select(Referral.id).where(Referral.state == "accepted")
        accepted_ids = {str(i) for i in store.scalars(accepted)}
        events = Counter(
            store.scalars(
                sa.select(AuditEvent.object_id).where(AuditEvent.action == "referral.accepted")
            )
        )
        verified = audit_verify.verify(store, keys.keyring().audit, clock.now(), 3600)
        store.rollback()
    answered_twice = [r for r, n in work.accepted.items() if n != 1]
    return {
        "completed_screenings": completed,
        "completed_without_case": without_case,
        "referrals": referrals,
        "referrals_without_case": orphans,
        "accepted": len(accepted_ids),
        "accepted_with_other_than_one_event": sorted(r for r in accepted_ids if events.get(r) != 1),
        "accepted_by_other_than_one_answer": answered_twice,
        "answered_but_not_accepted": sorted(set(work.accepted) - accepted_ids),
        "audit": verified.as_dict(),
    }


def _clients(work: Workload) -> list[threading.Thread]:
    screeners = [threading.Thread(target=_screener, args=(work, n)) for n in range(2)]
    caseworkers = [threading.Thread(target=_caseworker, args=(work,)) for _ in range(2)]
    return [*screeners, *caseworkers, threading.Thread(target=_auditor, args=(work,))]


def run(server_url: str | None, seconds: float) -> dict[str, Any]:
    """The load, the kill halfway and the checks; the figures."""
    with tempfile.TemporaryDirectory(prefix="passage-bench-") as directory:
        folder = Path(directory)
        with harness.database(server_url, folder) as url:
            settings = harness.settings_for(url, folder)
            with harness.seeded_app(settings) as (app, clock_):
                issued = _tokens(app, clock_)
                with harness.gunicorn(settings, 4) as server:
                    work = Workload(server.port, issued, time.monotonic() + seconds)
                    clients = [threading.Thread(target=_screener, args=(work, n)) for n in range(2)]
                    clients += [
                        threading.Thread(target=_caseworker, args=(work,)) for _ in range(2)
                    ]
                    clients.append(threading.Thread(target=_auditor, args=(work,)))
                    for client in clients:
                        client.start()
                    time.sleep(seconds / 2)
                    victim = server.workers()[0]
                    killed_at = time.monotonic()
                    os.kill(victim, signal.SIGKILL)
                    for client in clients:
                        client.join()
                    time.sleep(1.5)  # the sealers' last round
                    checks = _checks(app, work)
    at_kill = [what for when, what in work.failures if killed_at <= when <= killed_at + 1]
    elsewhere = [what for when, what in work.failures if not killed_at <= when <= killed_at + 1]
    ok = (
        not elsewhere
        and len(at_kill) <= len(clients)
        and checks["completed_without_case"] == 0
        and checks["referrals_without_case"] == 0
        and not checks["accepted_with_other_than_one_event"]
        and not checks["accepted_by_other_than_one_answer"]
        and not checks["answered_but_not_accepted"]
        and checks["audit"]["ok"]
        and checks["accepted"] > 0
    )
    return {
        "ok": ok,
        "seconds": seconds,
        "requests": dict(work.requests),
        "failures_at_kill": at_kill,
        "failures_elsewhere": elsewhere,
        "checks": checks,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the load (60)")
    parser.add_argument("--database-url", help="a PostgreSQL server (SQLite otherwise)")
    args = parser.parse_args(argv)
    database = "postgresql" if args.database_url else "sqlite"
    output = {
        "benchmark": "load_kill",
        "parameters": vars(args),
        "results": {database: run(args.database_url, args.seconds)},
    }
    json.dump(output, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
