"""Fixtures for reporting tests: screenings completed through the API (synthetic people),
and facts written straight into the statistics table for the report tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from reporting import facts
from reporting.models import fact_queue, screening_facts
from tests.referral.conftest import api, partners  # noqa: F401 - fixtures used here
from tests.screening.payloads import body

COUNTED = {"screening": True, "referral": False, "statistics": True}


@pytest.fixture
def screen(api: Callable[..., Any], partners: None) -> Callable[..., dict[str, Any]]:  # noqa: F811
    """Complete a screening through the API (counted unless ``consent`` says otherwise);
    returns the API's answer."""

    def make(name: str = "screener", **changes: Any) -> dict[str, Any]:
        response = api(name, "POST", "/screenings", body(**{"consent": COUNTED, **changes}))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def flush(app: Flask) -> Callable[..., int]:
    """File the waiting facts (forced by default: tests make fewer than a batch)."""

    def run(force: bool = True) -> int:
        with app.app_context():
            store = db.session()
            filed = facts.flush(store, force)
            store.commit()
            return filed

    return run


def fact_rows(app: Flask) -> list[dict[str, Any]]:
    """Every filed fact, as a dict."""
    with app.app_context():
        return [dict(row._mapping) for row in db.session().execute(sa.select(screening_facts))]


def queued(app: Flask, kind: str = "screening") -> int:
    """How many facts of ``kind`` wait in the queue."""
    with app.app_context():
        return int(
            db.session().scalar(
                sa.select(sa.func.count()).select_from(fact_queue).where(fact_queue.c.kind == kind)
            )
            or 0
        )


@pytest.fixture
def seed_rows(app: Flask) -> Callable[..., None]:
    """``seed_rows(table, n, **columns)`` adds ``n`` facts with those values to ``table``."""

    def seed(table: sa.Table, n: int, **columns: Any) -> None:
        with app.app_context():
            store = db.session()
            store.execute(
                table.insert(),
                [
                    {
                        "month": "2026-02",
                        **columns,
                        "fact_id": uuid.uuid4(),
                        "record_key": number % 256,
                    }
                    for number in range(n)
                ],
            )
            store.commit()

    return seed


@pytest.fixture
def seed_facts(app: Flask) -> Callable[..., None]:
    """Write facts straight into the table: ``seed_facts(n, **columns)`` adds ``n`` rows
    with those values (record keys 0, 1, 2, ... so cell keys are known)."""

    def seed(n: int, **columns: Any) -> None:
        defaults = {
            "month": "2026-02",
            "outcome": "completed",
            "instrument": "adult",
            "population": "adult",
            "classification": "no_indicators",
        }
        with app.app_context():
            store = db.session()
            store.execute(
                screening_facts.insert(),
                [
                    {**defaults, **columns, "fact_id": uuid.uuid4(), "record_key": number % 256}
                    for number in range(n)
                ],
            )
            store.commit()

    return seed


@pytest.fixture
def run_cli(app: Flask) -> Callable[..., Any]:
    """Run a ``flask`` command of the app under test."""
    return lambda *args: app.test_cli_runner().invoke(args=list(args))
