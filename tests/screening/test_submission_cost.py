"""What one screening submission costs the database (issue 14, docs/architecture.md,
Performance): a bounded number of SQL statements, so that a regression that adds a re-read
or a flush per event fails here rather than in production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tests.helpers import Client
from tests.screening.payloads import body

# Statements of one completed submission through the API, sign-in and token check included
# (docs/architecture.md, Performance: at most twelve).
STATEMENT_BUDGET = 12


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = app.extensions["passage.engine"]
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_a_submission_stays_within_its_statement_budget(
    app: Flask, client: Client, accounts: Any, issue_token: Any
) -> None:
    headers = {"Authorization": f"Bearer {issue_token(accounts['screener'])}"}
    client.raw.post("/api/v1/screenings", json=body(), headers=headers)  # warm caches
    with statements(app) as seen:
        response = client.raw.post("/api/v1/screenings", json=body(), headers=headers)
    assert response.status_code == 201
    assert len(seen) <= STATEMENT_BUDGET, "\n".join(seen)
    # Five events (person and screening created, answers, completion, case opened): one
    # statement, written just before the commit.
    assert [s for s in seen if s.startswith("INSERT INTO audit_events")] == [seen[-1]]
    # Nothing the transaction wrote is read back: the person, their key and the new case.
    reads = [re.search(r"\bFROM\s+(\w+)", s)[1] for s in seen if s.startswith("SELECT")]
    assert reads.count("data_keys") == 0
    assert reads.count("screenings") == 0
