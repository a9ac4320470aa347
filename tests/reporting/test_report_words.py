"""What the report pages say about what they count (reporting/views.py, reporting/labels.py,
reporting/forms.py): partners and countries by name on the pages, codes in CSV and JSON; no
total across values that are not parts of one whole (steps of one referral, means of control
reported together, measures of use); a country filter by name in any language or by code."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import PartnerOrganisation, Team
from core import db
from reporting.models import referral_facts
from reporting.tables import Cell, PublishedTable, Rule, ordered_by_name
from tests.helpers import Account

TOTAL_COLUMN = '<th scope="col" class="num">Total</th>'


def total_row(page: str) -> bool:
    return ">Total</th>" in page.replace(TOTAL_COLUMN, "")


@pytest.fixture
def counted(app: Flask, accounts: dict[str, Account], seed_facts: Any, seed_rows: Any) -> None:
    """Referral steps at org-a, and screenings in Kosovo and Nigeria."""
    with app.app_context():
        store = db.session()
        team = store.scalar(sa.select(Team.id).where(Team.name == "Team A"))
        org_a = store.scalar(
            sa.select(PartnerOrganisation.id).where(PartnerOrganisation.slug == "org-a")
        )
    for event, n in (("sent", 40), ("accepted", 30), ("declined", 12)):
        seed_rows(
            referral_facts,
            n,
            team_id=team,
            partner_id=org_a,
            event=event,
            country="XK",
            population="adult",
            urgency="normal",
        )
    seed_facts(30, team_id=team, country="XK", moc_debt_bondage=1, moc_withholds_documents=1)
    seed_facts(25, team_id=team, country="NG", population="child", moc_debt_bondage=1)


@pytest.mark.usefixtures("counted")
def test_referral_steps_name_the_partner_and_add_up_no_steps(signed_in: Any) -> None:
    page = signed_in("analyst").get("/reports/referral_steps").get_data(as_text=True)
    assert '<th scope="row" data-label="Partner">Organisation org-a</th>' in page
    assert ">org-a<" not in page
    # Steps of one referral are not parts of a whole: no total across them, per partner or
    # overall; the total of each step over the partners stays.
    assert TOTAL_COLUMN not in page
    assert total_row(page)
    assert "The largest count is Organisation org-a, Sent: 40." in page


@pytest.mark.usefixtures("counted")
def test_the_csv_and_the_api_keep_the_partner_slug_and_only_the_totals_that_count(
    signed_in: Any, accounts: dict[str, Account], api: Callable[..., Any]
) -> None:
    rows = api("analyst", "GET", "/stats/referral_steps").get_json()["rows"]
    assert {(row["partner"], row["step"]) for row in rows if "total" in row.values()} == {
        ("total", "sent"),
        ("total", "accepted"),
        ("total", "declined"),
        ("total", "expired"),
        ("total", "withdrawn"),
        ("total", "closed"),
        ("total", "overdue"),
    }
    assert {row["partner"] for row in rows} == {"org-a", "total"}
    client = signed_in("analyst")
    client.reauth(accounts["analyst"])
    text = client.get("/reports/referral_steps.csv").get_data(as_text=True)
    lines = list(csv.DictReader(io.StringIO(text)))
    assert {line["partner"] for line in lines if line.get("step")} == {"org-a", "total"}
    assert all(line["step"] != "total" for line in lines if line.get("step"))


@pytest.mark.usefixtures("counted")
@pytest.mark.parametrize("name", ["means_of_control", "forced_labour_indicators", "needs"])
def test_flags_reported_together_have_no_total(
    signed_in: Any, api: Callable[..., Any], name: str
) -> None:
    page = signed_in("analyst").get(f"/reports/{name}").get_data(as_text=True)
    assert not total_row(page)
    rows = api("analyst", "GET", f"/stats/{name}").get_json()["rows"]
    assert rows
    assert all("total" not in row.values() for row in rows)


@pytest.mark.usefixtures("counted")
def test_measures_of_use_have_no_total(signed_in: Any) -> None:
    page = signed_in("admin").get("/reports/usage").get_data(as_text=True)
    assert "Active screeners" in page
    assert not total_row(page)


@pytest.mark.usefixtures("counted")
def test_parts_of_one_whole_keep_their_totals(signed_in: Any) -> None:
    page = signed_in("analyst").get("/reports/screenings_by_country").get_data(as_text=True)
    assert TOTAL_COLUMN in page
    assert total_row(page)


@pytest.mark.usefixtures("counted")
def test_countries_are_named_on_the_page_and_coded_in_the_csv(
    signed_in: Any, accounts: dict[str, Account]
) -> None:
    client = signed_in("analyst")
    page = client.get("/reports/screenings_by_country").get_data(as_text=True)
    assert '<th scope="row" data-label="Country">Kosovo</th>' in page
    assert '<th scope="row" data-label="Country">Nigeria</th>' in page
    assert ">XK<" not in page
    assert ">NG<" not in page
    # In the order of the names shown (Kosovo before Nigeria), not of the codes (NG, XK).
    assert page.index(">Kosovo</th>") < page.index(">Nigeria</th>")
    assert "Country (its name or two-letter code)" in page
    assert "Country (two-letter code)" not in page
    client.reauth(accounts["analyst"])
    text = client.get("/reports/screenings_by_country.csv").get_data(as_text=True)
    assert {line["country"] for line in csv.DictReader(io.StringIO(text))} >= {"XK", "NG"}


@pytest.mark.usefixtures("counted")
@pytest.mark.parametrize("typed", ["Nigeria", "nigeria", "Nigéria", "NG", "ng"])
def test_the_country_filter_takes_a_name_in_any_language_or_a_code(
    api: Callable[..., Any], typed: str
) -> None:
    answer = api("analyst", "GET", f"/stats/screenings_by_country?country={typed}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["filters"]["country"] == "NG"
    assert {row["country"] for row in body["rows"]} <= {"NG", "total"}


def test_an_unknown_country_is_sent_back_saying_what_to_write(signed_in: Any) -> None:
    response = signed_in("analyst").get("/reports/screenings_by_country?country=Narnia")
    assert response.status_code == 400
    assert "Not a country we know: write its name or its two-letter code." in response.get_data(
        as_text=True
    )


def test_rows_follow_the_names_case_and_accents_aside_with_unknown_and_totals_last() -> None:
    table = PublishedTable(
        ("country", "population"),
        {("CH", "adult"): Cell(10), ("EG", "adult"): Cell(15)},
        Rule("round"),
        (("CH", "DE", "EG", "unknown", "*"), ("adult", "*")),
    )
    names = {"CH": "Suisse", "DE": "allemagne", "EG": "Égypte"}
    ordered = ordered_by_name(table, 0, names)
    assert ordered.categories == (("DE", "EG", "CH", "unknown", "*"), ("adult", "*"))
    assert ordered.cells == table.cells
