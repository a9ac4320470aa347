"""Concurrent appends and sealers leave one unbroken chain (R50).

Several OS processes, each with its own app and connection pool, and several threads sharing
one app append at the same moment, each sealing after its own commits as commands do
(``AUDIT_SEALER = "thread"`` outside a request), so sealers race too; afterwards, once what
the skipped rounds left is sealed, the verifier passes, ``seq`` runs 1..total without gaps
and no two events share a ``prev_mac``. (That a hand-made fork is refused by the
database is tested in ``tests/access/test_audit.py``: ``test_a_fork_cannot_be_inserted``.)
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import audit, audit_verify
from access.models import AuditEvent, AuditHead
from core import clock, db, keys
from tests.helpers import seal_audit

pytestmark = pytest.mark.concurrency

PROCESSES = 4
EVENTS_PER_PROCESS = 50
THREADS = 8
EVENTS_PER_THREAD = 25
START_TIMEOUT = 60  # seconds to wait for every worker to be ready
JOIN_TIMEOUT = 120  # seconds for a worker to finish its appends


def _append_events(app: Flask, count: int, worker: str) -> None:
    """``count`` audited changes, each in its own transaction, as one worker."""
    with app.app_context():
        store = db.session()
        for number in range(count):
            audit.record(
                store, "concurrency.test", object_type="worker", object_id=f"{worker}:{number}"
            )
            store.commit()


def _process_worker(
    config: dict[str, Any], count: int, worker: str, ready: Any, errors: Any
) -> None:
    """Entry point of a spawned process: build an app on the shared database and instance,
    wait at the barrier until every worker has (imports take seconds), then append."""
    try:
        from wsgi import create_app

        app = create_app(config)
        ready.wait(START_TIMEOUT)
        _append_events(app, count, worker)
        app.extensions["passage.engine"].dispose()
    except BaseException:  # reported to the parent, which fails the test
        errors.put(f"{worker}: {traceback.format_exc()}")
        raise


def _assert_one_chain(app: Flask, total: int) -> None:
    seal_audit(app)
    with app.app_context():
        store = db.session()
        result = audit_verify.verify(store, keys.keyring().audit, clock.now(), 60)
        assert result.ok, result.as_dict()
        assert result.entries_checked == total
        seqs = store.scalars(sa.select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        assert seqs == list(range(1, total + 1))
        prev_macs = store.scalars(sa.select(AuditEvent.prev_mac)).all()
        assert len(set(prev_macs)) == total
        head = store.get(AuditHead, 1)
        assert head is not None
        assert head.seq == total


def test_appends_from_several_processes_form_one_chain(app: Flask, database_url: str) -> None:
    from tests.conftest import TEST_CONFIG

    config = {
        **TEST_CONFIG,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": app.instance_path,
        "AUDIT_SEALER": "thread",
    }
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(PROCESSES)
    errors = context.Queue()
    workers = [
        context.Process(
            target=_process_worker, args=(config, EVENTS_PER_PROCESS, f"p{n}", ready, errors)
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(JOIN_TIMEOUT)
    stuck = [w.pid for w in workers if w.is_alive()]
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
            worker.join()
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert not stuck, f"workers still running after {JOIN_TIMEOUT} s: {stuck}"
    assert not failures, "\n".join(failures)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    _assert_one_chain(app, PROCESSES * EVENTS_PER_PROCESS)


def test_appends_from_threads_of_one_app_form_one_chain(make_app: Any) -> None:
    app = make_app(AUDIT_SEALER="thread")
    barrier = threading.Barrier(THREADS)
    failures: list[str] = []

    def work(worker: str) -> Callable[[], None]:
        def run() -> None:
            try:
                barrier.wait(START_TIMEOUT)
                _append_events(app, EVENTS_PER_THREAD, worker)
            except BaseException:  # collected and asserted on below
                failures.append(f"{worker}: {traceback.format_exc()}")

        return run

    threads = [threading.Thread(target=work(f"t{n}")) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not [t.name for t in threads if t.is_alive()], "threads still running"
    assert not failures, "\n".join(failures)
    _assert_one_chain(app, THREADS * EVENTS_PER_THREAD)
