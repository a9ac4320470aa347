"""Statistics at their edges (docs/reporting.md §2, §3.5, §4): a small row hidden whole is not
given away by its column totals; a period longer than a table lists keeps every month with
data, never a 500;
a filter usage does not record selects nothing; a sixth series ("unknown") beside five
classes is drawn as small multiples. Synthetic facts only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_a_wide_but_valid_period_is_answered_not_a_500(
    seed_facts: Callable[..., None], api: Callable[..., Any]
) -> None:
    """since=2000-01 is a valid month, and the period to the data's last month is longer
    than the 240 months a table lists empty months included: the table lists the months
    that hold data, never one that drops facts (or a 500)."""
    seed_facts(12, month="2026-02")
    answer = api("auditor", "GET", "/stats/screenings_by_month?since=2000-01")
    assert answer.status_code == 200, answer.status_code
    months = {r["month"] for r in answer.get_json()["rows"]}
    assert months == {"2026-02", "total"}


def test_a_small_row_hidden_whole_is_not_given_away_by_its_column_totals(
    seed_facts: Callable[..., None], api: Callable[..., Any]
) -> None:
    """docs/reporting.md §3.5: a row of fewer than 20 people all in one column is hidden
    whole, because showing it "gives away something about every one of its members". With
    the period narrowed to that one month the table has that one row, and its column totals
    would say it again (15 under "smuggling indications", 0 under every other result): they
    are hidden too."""
    seed_facts(15, month="2026-03", classification="smuggling_indicators", country="XK")
    rows = api(
        "auditor", "GET", "/stats/screenings_by_month?since=2026-03&until=2026-03"
    ).get_json()["rows"]
    march = {r["classification"]: r["count"] for r in rows if r["month"] == "2026-03"}
    assert set(march.values()) == {"<10"}  # the row itself is hidden whole
    column_totals = {
        r["classification"]: r["count"]
        for r in rows
        if r["month"] == "total" and r["classification"] != "total"
    }
    assert set(column_totals.values()) == {"<10"}, column_totals


def test_a_filter_usage_does_not_record_selects_nothing(
    accounts: dict[str, Any], api: Callable[..., Any]
) -> None:
    """docs/reporting.md §2: "A filter on something a report does not record (a country for
    usage) selects nothing rather than everything": a table labelled "country XK" must not
    count every account and every sign-in of the whole service."""
    rows = api("auditor", "GET", "/stats/usage?country=XK").get_json()["rows"]
    counts = {r["measure"]: r["count"] for r in rows}
    assert set(counts.values()) == {0}, counts


def test_a_result_outside_the_vocabulary_does_not_break_the_report_page(
    seed_facts: Callable[..., None], signed_in: Any
) -> None:
    """A value outside a report's vocabulary is counted as "unknown", last, never dropped:
    for screenings by month, a sixth result beside the five classifications, more than a
    stacked bar tells apart; the page draws small multiples instead."""
    seed_facts(12, month="2026-02", classification="no_indicators")
    seed_facts(12, month="2026-02", classification=None)
    page = signed_in("analyst").get("/reports/screenings_by_month")
    assert page.status_code == 200
