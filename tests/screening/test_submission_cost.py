"""What one screening submission costs the database (issue 14, docs/architecture.md,
Performance): a bounded number of SQL statements, so that a regression that adds a re-read
or a flush per event fails here rather than in production."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

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
