"""Releases that could be subtracted (reporting/overlap.py, docs/reporting.md §3.8): a month
goes into at most one CTDC file and into at most one exact (``--suppress``) release of each
table, whatever the channel or the other filters, because January–February less January is
February's people, however few; months not yet released, and rounded tables, go out as
before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from reporting import exports, overlap
from reporting.definition import Filters
from reporting.models import releases
from tests.helpers import Account
from tests.referral.test_races import meanwhile, postgres_only

LIKELY = {"classification": "likely_trafficking", "sex": "female", "nationality": "NG"}
REFUSED = (
    "Months from 2026-01 to 2026-02 were already released this way on 2026-03-02. Releasing "
    "any of them again would let the two files be subtracted to single people out: choose "
    "months not released yet."
)


def registered(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session().execute(
            sa.select(releases.c.report, releases.c.method, releases.c.filters).order_by(
                releases.c.released_at
            )
        )
        return [tuple(r) for r in rows]


def test_a_ctdc_file_over_months_already_released_is_refused_and_others_go_out(
    app: Flask, seed_facts: Callable[..., None], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    seed_facts(10, month="2026-01", exploitation="labour", **LIKELY)
    seed_facts(1, month="2026-02", exploitation="sexual", **LIKELY)
    seed_facts(10, month="2026-03", exploitation="labour", **LIKELY)
    ctdc = ("reports", "export", "ctdc")
    wide = run_cli(*ctdc, "--since", "2026-01", "--until", "2026-02", "--out", str(tmp_path / "a"))
    assert wide.exit_code == 0, wide.output
    narrow = tmp_path / "jan.csv"
    again = run_cli(*ctdc, "--since", "2026-01", "--until", "2026-01", "--out", str(narrow))
    assert again.exit_code == 1
    assert REFUSED in " ".join(again.output.split())
    assert not narrow.exists()  # refused before the file was opened
    by_country = run_cli(*ctdc, "--until", "2026-01", "--country", "NG", "--out", str(narrow))
    assert by_country.exit_code == 1  # another filter over the same months is a difference too
    later = run_cli(*ctdc, "--since", "2026-03", "--until", "2026-03", "--out", str(tmp_path / "b"))
    assert later.exit_code == 0, later.output
    assert [(r, m) for r, m, _ in registered(app)] == [
        ("ctdc", "k_anonymous"),
        ("ctdc", "k_anonymous"),
    ]


def test_the_ctdc_download_over_months_already_released_says_why_and_sends_nothing(
    app: Flask,
    seed_facts: Callable[..., None],
    run_cli: Callable[..., Any],
    signed_in: Any,
    accounts: dict[str, Account],
) -> None:
    seed_facts(10, month="2026-01", exploitation="labour", **LIKELY)
    seed_facts(10, month="2026-02", exploitation="labour", **LIKELY)
    assert (
        run_cli("reports", "export", "ctdc", "--since", "2026-01", "--until", "2026-02").exit_code
        == 0
    )
    analyst = signed_in("analyst")
    analyst.reauth(accounts["analyst"])
    refused = analyst.get("/reports/exports/ctdc.csv?since=2026-02&until=2026-02")
    assert (refused.status_code, refused.location) == (303, "/reports/")
    page = analyst.get("/reports/").get_data(as_text=True)
    assert REFUSED in " ".join(page.replace("&#39;", "'").split())
    assert len(registered(app)) == 1


def test_an_exact_table_over_months_already_released_exactly_is_refused_a_rounded_one_is_not(
    app: Flask, seed_facts: Callable[..., None], run_cli: Callable[..., Any]
) -> None:
    seed_facts(12, month="2026-01", country="IT", **LIKELY)
    seed_facts(1, month="2026-02", country="GB", **LIKELY)
    export = ("reports", "export", "screenings_by_country", "--format", "json")
    exact = run_cli(*export, "--since", "2026-01", "--until", "2026-02", "--suppress")
    assert exact.exit_code == 0, exact.output
    again = run_cli(*export, "--since", "2026-01", "--until", "2026-01", "--suppress")
    assert again.exit_code == 1
    assert REFUSED in " ".join(again.output.split())
    rounded = run_cli(*export, "--since", "2026-01", "--until", "2026-01")
    assert rounded.exit_code == 0, rounded.output
    assert [(r, m) for r, m, _ in registered(app)] == [
        ("screenings_by_country", "suppress"),
        ("screenings_by_country", "cellkey"),
    ]


@pytest.mark.concurrency
def test_two_ctdc_files_over_the_same_months_at_once_release_one(app: Flask, clock: Any) -> None:
    engine = postgres_only(app)
    span = Filters(since="2026-01", until="2026-02")

    def release() -> str:
        with app.app_context():
            store = db.session()
            try:
                exports.release_ctdc(store, None, "cli", span, 10, clock.now())
            except overlap.ReleasedBefore:
                store.rollback()
                return "refused"
            store.commit()
            return "released"

    # The other release runs while this one is about to record itself: it waits for this
    # one's lock, then finds its row in the register.
    with meanwhile(
        engine, lambda s: s.lstrip().startswith("INSERT INTO stat_releases"), release
    ) as done:
        mine = release()
    assert done[0] == "fired"
    assert len(done) == 2, done
    assert sorted([mine, done[1]]) == ["refused", "released"]
    assert [r[:2] for r in registered(app)] == [("ctdc", "k_anonymous")]
