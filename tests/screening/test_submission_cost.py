"""What one screening submission costs the database (issue 14, docs/architecture.md,
Performance): a bounded number of SQL statements, so that a regression that adds a re-read
or a flush per event fails here rather than in production."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from core import db
from tests.helpers import Client, statements
from tests.screening.payloads import body

# Statements of one completed submission through the API, sign-in and token check included
# (docs/architecture.md, Performance: at most twelve).
STATEMENT_BUDGET = 12


def test_a_submission_stays_within_its_statement_budget(
    app: Flask, client: Client, accounts: Any, issue_token: Any
) -> None:
    headers = {"Authorization": f"Bearer {issue_token(accounts['screener'])}"}
    client.raw.post("/api/v1/screenings", json=body(), headers=headers)  # warm caches
    with statements(app.extensions["passage.engine"]) as sent:
        response = client.raw.post("/api/v1/screenings", json=body(), headers=headers)
    seen = [statement.sql for statement in sent]
    assert response.status_code == 201
    assert len(seen) <= STATEMENT_BUDGET, "\n".join(seen)
    # Five events (person and screening created, answers, completion, case opened): one
    # statement, written just before the commit.
    assert [s for s in seen if s.startswith("INSERT INTO audit_events")] == [seen[-1]]
    # Nothing the transaction wrote is read back: the person, their key and the new case.
    reads = [re.search(r"\bFROM\s+(\w+)", s)[1] for s in seen if s.startswith("SELECT")]
    assert reads.count("data_keys") == 0
    assert reads.count("screenings") == 0
    assert reads.count("people") == 0
    assert reads.count("cases") == 0
    # One flush, at the commit: each row is inserted once, complete, and never updated.
    assert [s for s in seen if s.startswith("UPDATE")] == []
    inserted = [re.search(r"^INSERT INTO (\w+)", s)[1] for s in seen if s.startswith("INSERT")]
    assert sorted(inserted) == ["audit_events", "cases", "data_keys", "people", "screenings"]
    position = {table: inserted.index(table) for table in inserted}
    assert position["data_keys"] < position["people"] < position["screenings"]
    assert position["people"] < position["cases"]


def test_on_sqlite_a_submission_holds_the_write_lock_for_its_inserts_alone(
    app: Flask, client: Client, accounts: Any, issue_token: Any
) -> None:
    # SQLite has one write lock for the whole database: held while a view parses, scores
    # and encrypts, it would make every worker wait (docs/architecture.md, Transactions).
    engine = app.extensions["passage.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    headers = {"Authorization": f"Bearer {issue_token(accounts['screener'])}"}
    client.raw.post("/api/v1/screenings", json=body(), headers=headers)  # warm caches
    log: list[str] = []

    def began(connection: Any) -> None:
        reads = connection.get_execution_options().get(db.READS_ONLY)
        log.append("BEGIN (reads only)" if reads else "BEGIN IMMEDIATE")

    def sent(_connection: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        table = re.search(r"\b(?:FROM|INTO)\s+(\w+)", sql)
        log.append(f"{sql.split()[0]} {table[1] if table else '?'}")

    def committed(_connection: Any) -> None:
        log.append("COMMIT")

    def flushing(*_args: Any) -> None:
        log.append("flush")

    factory = app.extensions["passage.sessionmaker"]
    listeners = [
        (engine, "begin", began),
        (engine, "before_cursor_execute", sent),
        (engine, "commit", committed),
        (factory, "before_flush", flushing),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        response = client.raw.post("/api/v1/screenings", json=body(), headers=headers)
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)
    assert response.status_code == 201
    # The token is checked without the write lock; the lock is taken at the commit, for
    # the inserts alone, written directly without the unit of work (core/direct_insert.py).
    assert log[:4] == ["BEGIN (reads only)", "SELECT api_tokens", "COMMIT", "BEGIN IMMEDIATE"]
    assert "flush" not in log
    assert sorted(log[4:-1]) == [
        "INSERT audit_events",
        "INSERT cases",
        "INSERT data_keys",
        "INSERT people",
        "INSERT screenings",
    ]
    assert log[-1] == "COMMIT"
