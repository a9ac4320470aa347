"""Sealing the audit chain (docs/security.md, Audit trail): requests write events unsealed
and never wait for the chain head; the sealer numbers and chains what is committed, refuses
what was altered while it waited, and ``verify`` fails once an event waits past the delay.
The sealer killed mid-batch is in tests/reliability/test_audit_sealer_crash.py."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError

from access import audit, audit_chain, audit_sealer, audit_verify
from access.models import AuditEvent
from core import clock, db, keys
from tests.access.test_audit import tampering
from tests.helpers import Account, Client, seal_audit

events = AuditEvent.__table__


def record(app: Flask, count: int) -> None:
    with app.app_context():
        store = db.session()
        for number in range(count):
            audit.record(store, "test.event", object_type="thing", object_id=str(number))
        store.commit()


def rows(app: Flask) -> list[Any]:
    with app.app_context():
        return list(db.session().execute(sa.select(events).order_by(events.c.id)).all())


def verify(app: Flask) -> audit_verify.Verification:
    with app.app_context():
        store, key = db.session(), keys.keyring().audit
        return audit_verify.verify(store, key, clock.now(), 1.0)


def unsealed(app: Flask) -> int:
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(events).where(events.c.seq.is_(None))
        return int(db.session().scalar(query) or 0)


def test_events_are_written_unsealed_and_sealed_in_order(app: Flask) -> None:
    record(app, 3)
    written = rows(app)
    assert [(r.seq, r.prev_mac, r.mac) for r in written] == [(None, None, None)] * 3
    assert all(len(r.entry_mac) == 64 for r in written)
    assert verify(app).as_dict() | {"oldest_unsealed_seconds": None} == {
        "ok": True,
        "entries_checked": 0,
        "first_bad_seq": None,
        "reason": None,
        "expected": None,
        "found": None,
        "last_checkpoint_seq": None,
        "unsealed": 3,
        "oldest_unsealed_seconds": None,
        "first_bad_id": None,
    }
    assert seal_audit(app) == 3
    sealed = rows(app)
    assert [r.seq for r in sealed] == [1, 2, 3]
    assert sealed[0].prev_mac == "0" * 64
    assert [r.prev_mac for r in sealed[1:]] == [r.mac for r in sealed[:2]]
    assert (verify(app).ok, verify(app).entries_checked, verify(app).unsealed) == (True, 3, 0)
    assert seal_audit(app) == 0


def test_an_event_altered_while_it_waits_is_left_out_and_named(app: Flask) -> None:
    record(app, 3)
    altered = rows(app)[1].id
    with tampering(app) as connection:
        connection.execute(events.update().where(events.c.id == altered).values(outcome="denied"))
    assert seal_audit(app) == 2
    assert [(r.id == altered, r.seq) for r in rows(app)] == [(False, 1), (True, None), (False, 2)]
    result = verify(app)
    assert (result.ok, result.reason, result.first_bad_id) == (False, "entry_altered", altered)
    assert result.entries_checked == 2


def test_verify_fails_once_an_event_waits_past_the_delay(app: Flask, clock: Any) -> None:
    record(app, 1)
    assert verify(app).ok
    clock.advance(seconds=2)
    result = verify(app)
    assert (result.ok, result.reason, result.unsealed) == (False, "sealing_overdue", 1)
    assert result.oldest_unsealed_seconds == 2.0
    seal_audit(app)
    assert verify(app).ok


def test_verify_command_reports_what_waits(app: Flask) -> None:
    record(app, 2)
    seal_audit(app)
    record(app, 1)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    # The verification is itself an event: it waits too, once committed.
    assert result.output.strip() == "intact: 2 events; 1 waiting to be sealed"


def test_seal_command_seals_what_is_committed(app: Flask) -> None:
    record(app, 4)
    result = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert (result.exit_code, result.output.strip()) == (0, "sealed 4 events")
    assert unsealed(app) == 0


def test_the_database_lets_an_event_be_sealed_once_and_changed_in_no_other_way(
    app: Flask,
) -> None:
    record(app, 1)
    [row] = rows(app)
    engine = app.extensions["passage.engine"]
    refused = (
        events.update().values(action="rewritten"),
        events.update().values(entry_mac="0" * 64),
        events.update().values(id=row.id + 1000),
        events.delete(),
    )
    for statement in refused:
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(statement)
    sealing = {"seq": 1, "prev_mac": "0" * 64, "mac": "a" * 64}
    with engine.begin() as connection:
        connection.execute(events.update().values(sealing))
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(events.update().values(seq=2, prev_mac="b" * 64, mac="c" * 64))
    assert [(r.action, r.seq, r.mac) for r in rows(app)] == [("test.event", 1, "a" * 64)]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("at", datetime(2001, 1, 1, tzinfo=UTC)),
        ("actor_id", "someone-else"),
        ("actor_role", "admin"),
        ("actor_org", "another-org"),
        ("action", "rewritten"),
        ("object_type", "another-type"),
        ("object_id", "another-id"),
        ("outcome", "failed"),
        ("client_ip", "192.0.2.99"),
        ("request_id", "another-request"),
        ("details", '{"rewritten":true}'),
        ("entry_mac", "0" * 64),
    ],
)
def test_no_field_of_a_waiting_event_may_change(app: Flask, column: str, value: Any) -> None:
    record(app, 1)
    with pytest.raises(DBAPIError), app.extensions["passage.engine"].begin() as connection:
        connection.execute(events.update().values({column: value}))


def test_a_request_never_waits_for_the_chain_head(
    app: Flask, client: Client, accounts: dict[str, Account]
) -> None:
    engine = app.extensions["passage.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every writer anyway")
    finished: list[int] = []
    with engine.begin() as holder:
        # A sealer holding the head for as long as this block lasts.
        holder.execute(sa.text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
        worker = threading.Thread(
            target=lambda: finished.append(client.sign_in(accounts["screener"]).status_code)
        )
        worker.start()
        worker.join(timeout=20)
        assert finished == [302]
        with app.app_context():  # a second sealer skips the round instead of queuing
            store = db.session()
            assert audit_chain.seal(store, keys.keyring().audit) is None
            store.rollback()
    assert unsealed(app) > 0
    seal_audit(app)
    assert verify(app).ok


def test_worker_thread_seals_a_request_s_events_within_the_delay(
    make_app: Any, clock: Any, make_account: Any
) -> None:
    app = make_app(AUDIT_SEALER="thread", AUDIT_SEAL_MAX_DELAY_MS=200)
    Client(app, clock).sign_in(make_account("screener"))
    deadline = time.monotonic() + 10
    while unsealed(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert unsealed(app) == 0
    assert verify(app).entries_checked > 0
    audit_sealer.of(app).stop()


def test_a_command_seals_its_own_events(make_app: Any, make_account: Any) -> None:
    app = make_app(AUDIT_SEALER="thread")
    account = make_account("auditor")
    seal_audit(app)
    result = app.test_cli_runner().invoke(args=["tokens", "issue", account.email])
    assert result.exit_code == 0
    assert unsealed(app) == 0
    assert rows(app)[-1].action == "token.issued"


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.one_of(st.none(), st.text()), min_size=10, max_size=10),
    seq=st.integers(min_value=1, max_value=2**62),
)
def test_canonical_bytes_are_sorted_compact_ascii_json(texts: list[str | None], seq: int) -> None:
    names = ["actor_id", "actor_role", "actor_org", "action", "object_type", "object_id"]
    names += ["outcome", "client_ip", "request_id", "details"]
    at = datetime(2026, 12, 2, 9, 30, 5, 7, tzinfo=UTC)
    values = {"seq": seq, "at": at, **dict(zip(names, texts, strict=True))}
    expected = {**values, "at": "2026-12-02T09:30:05.000007Z"}
    assert (
        audit_chain.canonical(values)
        == json.dumps(expected, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    )


@pytest.mark.parametrize("microsecond", [0, 7, 999999])
def test_times_read_back_by_the_database_give_the_same_bytes(
    app: Flask, clock: Any, microsecond: int
) -> None:
    # The sealer formats times in Python, the verifier has the database format them.
    clock.advance(microseconds=microsecond - clock.now().microsecond)
    assert clock.now().microsecond == microsecond
    record(app, 2)
    seal_audit(app)
    assert (verify(app).ok, verify(app).entries_checked) == (True, 2)


def test_verify_walks_on_past_text_the_database_encodes_otherwise(app: Flask) -> None:
    # The database writes "é" as itself where the canonical JSON escapes it: the walk's fast
    # comparison fails, the bytes rebuilt in Python decide, and the walk resumes after it.
    record(app, 2)
    with app.app_context():
        store = db.session()
        audit.record(store, "test.event", object_type="thing", object_id="Synthétique-Zoë")
        store.commit()
    record(app, 3)
    seal_audit(app)
    result = verify(app)
    assert (result.ok, result.entries_checked, result.reason) == (True, 6, None)


def test_a_sealer_whose_head_moved_while_it_maced_leaves_the_round_to_the_other(
    app: Flask,
) -> None:
    # A sealer reads and MACs its batch before it locks the head (docs/security.md,
    # "Batches are MACed before the lock"). Here a second sealer seals those events and one
    # more in between: writing its batch then would move the head back over the fourth.
    record(app, 3)
    moved: list[int] = []

    def second_sealer(_store: Any) -> None:
        if not moved:
            record(app, 1)
            moved.append(seal_audit(app))

    with app.app_context():
        store, key = db.session(), keys.keyring().audit
        sa.event.listen(store, "after_rollback", second_sealer)
        try:
            assert audit_chain.seal(store, key) is None
            store.commit()
        finally:
            sa.event.remove(store, "after_rollback", second_sealer)
        assert moved == [4]
        assert audit_chain.head(store)[0] == 4
    assert [r.seq for r in rows(app)] == [1, 2, 3, 4]
    assert verify(app).ok


def test_a_sealer_leaves_the_round_to_the_one_that_has_the_turn(app: Flask) -> None:
    # Each web worker runs a sealer; one at a time reads and MACs a batch, the others skip
    # the round at once (docs/security.md, "Batches are MACed before the lock").
    record(app, 2)
    with app.app_context():
        holder = db.session()
        with db.turn(holder, "audit-sealer") as mine:
            assert mine is True
            assert audit_sealer.of(app).seal_now(wait=0) == 0  # as the watching loop
            assert unsealed(app) == 2
            started = time.monotonic()
            assert audit_sealer.of(app).seal_now(wait=0.3) == 0  # a command waits first
            assert time.monotonic() - started >= 0.3
        assert seal_audit(app) == 2
    assert unsealed(app) == 0
    assert verify(app).ok


def test_a_command_waits_for_the_turn_and_seals_what_it_committed(app: Flask) -> None:
    # A command's events are sealed before it ends, even while a web worker's sealer has
    # the turn (docs/security.md, "Who seals"): it waits for it, then seals.
    record(app, 3)
    taken, release = threading.Event(), threading.Event()

    def worker_sealer() -> None:
        with app.app_context(), db.turn(db.session(), "audit-sealer") as mine:
            assert mine is True
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=worker_sealer)
    holder.start()
    assert taken.wait(10)
    threading.Timer(0.2, release.set).start()
    assert audit_sealer.of(app).seal_now(wait=10) == 3
    holder.join(10)
    assert unsealed(app) == 0


def test_verify_walks_the_chain_across_its_batches(app: Flask) -> None:
    # The walk reads the chain a batch at a time by seq (R53; core/row_stream.py, whose
    # tests show every row comes once, in order): a break in a later batch is still found
    # at its own seq, and an intact chain is counted whole.
    record(app, 25)
    seal_audit(app)

    def walked() -> audit_verify.Verification:
        with app.app_context():
            store, key = db.session(), keys.keyring().audit
            return audit_verify.verify(store, key, clock.now(), 1.0, batch=10)

    assert (walked().ok, walked().entries_checked) == (True, 25)
    with tampering(app) as connection:
        connection.execute(events.update().where(events.c.seq == 23).values(action="altered"))
    broken = walked()
    assert (broken.ok, broken.first_bad_seq, broken.entries_checked) == (False, 23, 22)
