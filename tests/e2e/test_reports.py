"""The auditor's statistics in a real Chromium: open the catalogue, filter a report, read
its chart and the table of the same numbers, download the CTDC file; axe-core finds no
violation and the browser reports no breach of the Content Security Policy."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from core import db
from core.clock import FrozenClock
from reporting.models import need_facts, screening_facts
from tests.e2e.test_screening import violations
from tests.e2e.test_sign_in import sign_in
from tests.helpers import Account

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect


def seed(app: Flask) -> None:
    """Synthetic facts: enough for rounded counts, and a rare result for a "<10" cell."""
    rows: list[dict[str, Any]] = []
    for month, classification, count in (
        ("2026-01", "no_indicators", 30),
        ("2026-01", "likely_trafficking", 12),
        ("2026-02", "no_indicators", 25),
        ("2026-02", "possible_trafficking", 14),
        ("2026-02", "smuggling_indicators", 3),
    ):
        rows += [
            {
                "fact_id": uuid.uuid4(),
                "record_key": n,
                "month": month,
                "outcome": "completed",
                "instrument": "adult",
                "population": "adult",
                "classification": classification,
                "country": "IT",
                "sex": "female",
                "nationality": "NG",
                "age_ctdc": "18—20",
                "moc_debt_bondage": 1,
            }
            for n in range(count)
        ]
    needs = [
        {
            "fact_id": uuid.uuid4(),
            "record_key": n,
            "month": "2026-02",
            "population": "adult",
            "service": service,
            "result": result,
            "country": "IT",
        }
        for service, result, count in (
            ("shelter", "no_capacity", 14),
            ("legal", "no_partner_in_area", 11),
        )
        for n in range(count)
    ]
    with app.app_context():
        store = db.session()
        store.execute(screening_facts.insert(), rows)
        store.execute(need_facts.insert(), needs)
        store.commit()
        assert store.scalar(sa.select(sa.func.count()).select_from(screening_facts)) == 84


def watch_csp(page: Page) -> list[str]:
    """Every console message about the Content Security Policy, as it comes."""
    breaches: list[str] = []
    page.on(
        "console",
        lambda message: (
            breaches.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return breaches


def test_the_auditor_reads_filters_and_downloads_statistics(
    app: Flask,
    page: Page,
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
) -> None:
    seed(app)
    breaches = watch_csp(page)
    sign_in(page, live_server, make_account("auditor"), clock)
    page.get_by_role("link", name="Statistics", exact=True).click()
    expect(page.get_by_role("heading", name="Statistics", exact=True)).to_be_visible()
    found = violations(page)
    page.get_by_role("link", name="Screenings by month and result").click()
    chart = page.get_by_role("img", name="Screenings by month and result")
    expect(chart).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_contain_text("<10")  # three smuggling indications in February
    expect(page.locator("p.rule")).to_contain_text("counts under 10 are shown as")
    found += violations(page)
    page.get_by_label("From month (YYYY-MM)").fill("2026-02")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/reports/screenings_by_month\?since=2026-02&"))
    expect(page.get_by_role("table")).not_to_contain_text("2026-01")
    found += violations(page)
    page.get_by_role("link", name="All reports").click()
    page.get_by_role("link", name="Needs no partner could meet, and why").click()
    expect(page.get_by_role("img", name="Needs no partner could meet, and why")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("No free place")
    found += violations(page)
    page.get_by_role("link", name="All reports").click()
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the CTDC contribution file").click()
    download = waiting.value
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert len(rows) == 84  # nationality, age band, country, gender and year: all alike
    assert {row["citizenship"] for row in rows} == {"NGA"}
    assert found == []
    assert breaches == []
