"""A sealer killed with SIGKILL mid-batch loses nothing and leaves no half-sealed batch
(docs/security.md, Audit trail): every batch is one transaction, so after the kill the chain
holds whole batches, verifies, and a restarted sealer seals the rest."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from access import audit_chain, audit_verify
from access.audit_sealer import BATCH
from access.models import AuditEvent
from core import clock, db, keys
from tests.conftest import TEST_CONFIG

pytestmark = pytest.mark.concurrency

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 30 * BATCH
events = AuditEvent.__table__


def _write_unsealed(app: Flask, count: int) -> None:
    # As requests write them (audit.append), in bulk: content and entry MAC, no seq.
    with app.app_context():
        key, now = keys.keyring().audit, clock.now()
        batch = []
        for number in range(count):
            values = {
                "at": now,
                "actor_id": None,
                "actor_role": "cli",
                "actor_org": None,
                "action": "crash.test",
                "object_type": "thing",
                "object_id": str(number),
                "outcome": "allowed",
                "client_ip": None,
                "request_id": None,
                "details": json.dumps({}),
                "nonce": secrets.token_hex(16),
            }
            batch.append({**values, "entry_mac": audit_chain.entry_mac(key, values)})
        store = db.session()
        store.execute(sa.insert(events), batch)
        store.commit()


def _sealer(app: Flask, database_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PASSAGE_ENV": "testing",
        "PASSAGE_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "PASSAGE_DATABASE_URL": database_url,
        "PASSAGE_INSTANCE_PATH": app.instance_path,
        "PASSAGE_AUDIT_SEALER": "external",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "audit", "seal", *args]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _state(database_url: str) -> tuple[int, int, int]:
    # A plain engine: Passage's SQLite transactions begin IMMEDIATE, and a reader queued
    # behind the sealer's write lock would only see the chain once every batch was done.
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            head = connection.scalar(sa.text("SELECT seq FROM audit_head WHERE id = 1"))
            sealed = connection.scalar(sa.select(sa.func.count()).where(events.c.seq.is_not(None)))
            total = connection.scalar(sa.select(sa.func.count()).select_from(events))
    finally:
        engine.dispose()
    return int(head or 0), int(sealed or 0), int(total or 0)


def test_a_sealer_killed_mid_batch_loses_nothing(app: Flask, database_url: str) -> None:
    _write_unsealed(app, EVENTS)
    sealer = _sealer(app, database_url, "--watch")
    deadline = time.monotonic() + 120
    while _state(database_url)[0] == 0 and time.monotonic() < deadline and sealer.poll() is None:
        time.sleep(0.005)
    sealer.kill()  # SIGKILL: no clean-up of any kind
    sealer.communicate()
    head, sealed, total = _state(database_url)
    assert 0 < head < EVENTS, "the kill should land while batches remain"
    assert (sealed, total) == (head, EVENTS)
    assert head % BATCH == 0  # whole batches only: the one it was sealing left no trace
    with app.app_context():
        result = audit_verify.verify(db.session(), keys.keyring().audit, clock.now(), 60)
    assert (result.ok, result.entries_checked, result.unsealed) == (True, head, EVENTS - head)

    restarted = _sealer(app, database_url)
    output, errors = restarted.communicate(timeout=300)
    assert restarted.returncode == 0, errors.decode()
    assert output.decode().strip() == f"sealed {EVENTS - head} events"
    assert _state(database_url) == (EVENTS, EVENTS, EVENTS)
    with app.app_context():
        result = audit_verify.verify(db.session(), keys.keyring().audit, clock.now(), 60)
        object_ids = db.session().scalars(sa.select(events.c.object_id).order_by(events.c.seq))
        assert sorted(int(i) for i in object_ids) == list(range(EVENTS))
    assert (result.ok, result.entries_checked, result.unsealed) == (True, EVENTS, 0)
