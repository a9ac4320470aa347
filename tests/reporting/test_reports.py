"""The report catalogue through every way out — page, CSV, API, command line: nothing
between 1 and 9 is ever published, who reads what follows the policy, bad filters get clear
errors, and every release is audited and registered with its hash (docs/reporting.md)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent, PartnerOrganisation, Team
from core import db
from reporting.catalogue import CATALOGUE
from reporting.forms import is_month
from reporting.models import need_facts, referral_facts, releases
from tests.helpers import Account

REPORTS = sorted(CATALOGUE)


def partner_of(app: Flask, slug: str) -> Any:
    with app.app_context():
        return db.session().scalar(
            sa.select(PartnerOrganisation.id).where(PartnerOrganisation.slug == slug)
        )


def team_id(app: Flask, name: str) -> Any:
    with app.app_context():
        return db.session().scalar(sa.select(Team.id).where(Team.name == name))


@pytest.fixture
def small_population(
    app: Flask, accounts: dict[str, Account], seed_facts: Any, seed_rows: Any
) -> None:
    """Few people, so that most exact counts lie between 1 and 9."""
    team_a, team_b = team_id(app, "Team A"), team_id(app, "Team B")
    org_a = partner_of(app, "org-a")
    for event, n, extra in (
        ("sent", 13, {}),
        ("accepted", 6, {"in_time": True, "after_decline": False}),
        ("declined", 4, {"in_time": False, "decline_reason": "no_capacity"}),
        ("closed", 3, {"outcome": "services_provided"}),
    ):
        seed_rows(
            referral_facts,
            n,
            team_id=team_a,
            partner_id=org_a,
            population="adult",
            urgency="normal",
            event=event,
            country="XK",
            **extra,
        )
    seed_rows(
        need_facts,
        12,
        team_id=team_a,
        population="adult",
        service="shelter",
        result="matched",
        country="XK",
    )
    seed_rows(
        need_facts,
        2,
        team_id=team_b,
        population="child",
        service="legal",
        result="no_capacity",
        country="NG",
    )
    seed_facts(
        3,
        team_id=team_a,
        classification="likely_trafficking",
        country="XK",
        moc_debt_bondage=1,
        moc_withholds_documents=1,
        fl_debt_bondage=1,
        need_shelter=True,
    )
    seed_facts(
        12,
        team_id=team_a,
        classification="possible_trafficking",
        country="XK",
        moc_debt_bondage=1,
        fl_deception=1,
        need_legal=True,
        month="2026-01",
    )
    seed_facts(15, team_id=team_a, classification="no_indicators", country="XK", month="2026-01")
    seed_facts(
        7,
        team_id=team_b,
        classification="no_indicators",
        country="NG",
        population="child",
        moc_physical_threats=0,
        need_child_protection=True,
    )
    seed_facts(
        1,
        team_id=team_b,
        classification="smuggling_indicators",
        country="NG",
        month="2026-03",
        need_medical=True,
    )


def published_counts(rows: list[dict[str, Any]]) -> list[Any]:
    return [row["count"] for row in rows]


def assert_safe(counts: list[Any]) -> None:
    assert counts, "the report published nothing"
    for count in counts:
        assert count == "<10" or (isinstance(count, int) and count % 5 == 0), count
        assert not (isinstance(count, int) and 1 <= count <= 9), count


def csv_counts(text: str) -> list[Any]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return [row["count"] if row["count"] == "<10" else int(row["count"]) for row in rows]


def page_counts(page: str) -> list[str]:
    """Every number in the cells of the page's tables (the charts carry the same ones)."""
    tables = "".join(re.findall(r"<table.*?</table>", page, flags=re.S))
    return re.findall(
        r"<td[^>]*>\s*(?:<[^>]+>)*\s*([0-9][0-9,]*|&lt;10)\s*(?:<[^>]+>)*\s*</td>", tables
    )


@pytest.mark.usefixtures("small_population")
@pytest.mark.parametrize("name", REPORTS)
def test_no_way_out_publishes_a_count_between_1_and_9(
    app: Flask, signed_in: Any, api: Callable[..., Any], name: str, run_cli: Callable[..., Any]
) -> None:
    answer = api("auditor", "GET", f"/stats/{name}")
    assert answer.status_code == 200, answer.get_json()
    assert_safe(published_counts(answer.get_json()["rows"]))
    client = signed_in("analyst" if "analyst" in CATALOGUE[name].readers else "auditor")
    download = client.get(f"/reports/{name}.csv")
    assert download.status_code == 200
    assert_safe(csv_counts(download.get_data(as_text=True)))
    page = client.get(f"/reports/{name}")
    assert page.status_code == 200
    shown = page_counts(page.get_data(as_text=True))
    assert shown
    for value in shown:
        assert value == "&lt;10" or int(value.replace(",", "")) % 5 == 0, value
    exported = run_cli("reports", "export", name, "--format", "json")
    assert exported.exit_code == 0, exported.output
    assert_safe(published_counts(json.loads(exported.output)["rows"]))
    exact = run_cli("reports", "export", name, "--format", "json", "--suppress")
    assert exact.exit_code == 0, exact.output
    for count in published_counts(json.loads(exact.output)["rows"]):
        assert count == "<10" or count == 0 or count >= 10, count
    filtered = api("auditor", "GET", f"/stats/{name}?since=2026-02&until=2026-03&country=XK")
    assert_safe(published_counts(filtered.get_json()["rows"]))
    reader = next(
        (role for role in ("partner", "supervisor", "admin") if role in CATALOGUE[name].readers),
        None,
    )
    if reader:
        assert_safe(published_counts(api(reader, "GET", f"/stats/{name}").get_json()["rows"]))


@pytest.mark.usefixtures("small_population")
def test_the_published_numbers_are_the_rule_applied_to_the_exact_counts(
    api: Callable[..., Any],
) -> None:
    rows = api("auditor", "GET", "/stats/screenings_by_month").get_json()["rows"]
    by_key = {(row["month"], row["classification"]): row["count"] for row in rows}
    # 12 possible in January: perturbed by at most 2, then rounded to 10 or 15.
    assert by_key["2026-01", "possible_trafficking"] in (10, 15)
    assert by_key["2026-01", "no_indicators"] in (15, 20)
    assert by_key["2026-02", "likely_trafficking"] == "<10"  # 3 people
    assert by_key["2026-02", "possible_trafficking"] == 0
    assert by_key["2026-03", "smuggling_indicators"] == "<10"  # 1 person


@pytest.mark.usefixtures("small_population")
def test_asking_twice_gives_the_same_numbers(api: Callable[..., Any]) -> None:
    first = api("auditor", "GET", "/stats/screenings_by_country").get_json()["rows"]
    again = api("analyst", "GET", "/stats/screenings_by_country").get_json()["rows"]
    assert first == again


@pytest.mark.usefixtures("small_population")
def test_a_supervisor_sees_only_their_own_team(app: Flask, api: Callable[..., Any]) -> None:
    other = team_id(app, "Team B")
    rows = api("supervisor", "GET", f"/stats/screenings_by_country?team={other}")
    assert rows.status_code == 400  # Team B is not a choice for a Team A supervisor
    rows = api("supervisor", "GET", "/stats/screenings_by_country").get_json()
    countries = {row["country"] for row in rows["rows"]}
    assert countries == {"XK", "total"}  # Team B's NG people are not counted
    assert rows["filters"]["team"] == str(team_id(app, "Team A"))


def test_screeners_read_no_statistics(signed_in: Any, api: Callable[..., Any]) -> None:
    assert api("screener", "GET", "/stats").status_code == 403
    assert api("screener", "GET", "/stats/needs").status_code == 403
    assert signed_in("screener").get("/reports/needs").status_code == 403


@pytest.mark.parametrize(
    ("role", "report"),
    [
        ("partner", "needs"),
        ("partner", "service_gaps"),
        ("partner", "usage"),
        ("admin", "needs"),
        ("admin", "referral_steps"),
        ("supervisor", "usage"),
    ],
)
def test_a_report_outside_the_role_is_not_there(
    api: Callable[..., Any], role: str, report: str
) -> None:
    assert api(role, "GET", f"/stats/{report}").status_code == 404


def test_the_catalogue_lists_each_report_with_its_rule(api: Callable[..., Any]) -> None:
    items = api("analyst", "GET", "/stats").get_json()["items"]
    assert [item["name"] for item in items] == [
        "screenings_by_month",
        "screenings_by_country",
        "means_of_control",
        "forced_labour_indicators",
        "needs",
        "referral_steps",
        "answer_times",
        "answered_in_time",
        "decline_reasons",
        "referral_outcomes",
        "next_partner",
        "service_gaps",
    ]
    partner = [item["name"] for item in api("partner", "GET", "/stats").get_json()["items"]]
    assert partner == [
        "referral_steps",
        "answer_times",
        "answered_in_time",
        "decline_reasons",
        "referral_outcomes",
        "next_partner",
    ]
    admin = [item["name"] for item in api("admin", "GET", "/stats").get_json()["items"]]
    assert admin == ["usage"]
    for item in items:
        assert item["rule"]["threshold"] == 10
        assert item["rule"]["method"] == "cellkey"
        assert "10" in item["rule"]["text"]


def test_bad_filters_get_clear_errors(signed_in: Any, api: Callable[..., Any]) -> None:
    answer = api("auditor", "GET", "/stats/needs?since=2026-13&country=narnia")
    assert answer.status_code == 400
    fields = answer.get_json()["error"]["fields"]
    assert set(fields) == {"since", "country"}
    assert api("auditor", "GET", "/stats/needs?since=2026-05&until=2026-01").status_code == 400
    assert api("auditor", "GET", "/stats/nonsense").status_code == 404
    page = signed_in("auditor").get("/reports/needs?until=May")
    assert page.status_code == 400
    assert "A month as YYYY-MM" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        ("2000-01", True),
        ("2026-12", True),
        ("2999-12", True),
        ("0000-01", False),  # months compare as text: this one sorted before every other
        ("1999-12", False),
        ("3000-01", False),
        ("2026-00", False),
        ("2026-13", False),
        ("2026-1", False),
        ("2026-01\n", False),
        ("\u0662\u0660\u0662\u0666-01", False),  # Arabic-Indic digits are not a month here
    ],
)
def test_a_month_is_a_real_one_from_2000(text: str, taken: bool) -> None:
    assert is_month(text) is taken


def test_a_month_before_2000_is_refused_by_the_pages_and_the_api(
    signed_in: Any, api: Callable[..., Any]
) -> None:
    answer = api("auditor", "GET", "/stats/needs?since=0000-01")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["fields"] == {
        "since": "A month as YYYY-MM from 2000-01 to 2999-12, for example 2026-01."
    }
    page = signed_in("auditor").get("/reports/needs?until=1999-12")
    assert page.status_code == 400
    assert "A month as YYYY-MM from 2000-01 to 2999-12, for example 2026-12." in (
        page.get_data(as_text=True)
    )


@pytest.mark.usefixtures("small_population")
def test_every_release_is_audited_and_registered_with_its_hash(
    app: Flask,
    signed_in: Any,
    api: Callable[..., Any],
    new_client: Any,
    accounts: dict[str, Account],
) -> None:
    client = signed_in("analyst")
    download = client.get("/reports/needs.csv?country=XK")
    body = download.get_data()
    digest = hashlib.sha256(body).hexdigest()
    assert download.headers["X-Content-SHA256"] == digest
    answer = api("auditor", "GET", "/stats/means_of_control")
    with app.app_context():
        store = db.session()
        entries = store.execute(sa.select(releases).order_by(releases.c.channel)).all()
        events = store.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "stats.released")
        ).all()
    assert [(e.channel, e.report, e.format, json.loads(e.filters)) for e in entries] == [
        ("api", "means_of_control", "json", {}),
        ("web", "needs", "csv", {"country": "XK"}),
    ]
    web = next(e for e in entries if e.channel == "web")
    assert (web.sha256, web.rows, web.threshold) == (digest, len(body.splitlines()) - 1, 10)
    api_entry = next(e for e in entries if e.channel == "api")
    assert api_entry.sha256 == hashlib.sha256(answer.get_data()).hexdigest()
    assert len(events) == 2
    auditor = new_client()
    auditor.sign_in(accounts["auditor"])
    assert digest in auditor.get("/reports/releases").get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "status"), [("auditor", 200), ("analyst", 403), ("supervisor", 403)]
)
def test_only_auditors_read_the_release_register(signed_in: Any, role: str, status: int) -> None:
    assert signed_in(role).get("/reports/releases").status_code == status


def test_a_threshold_under_10_stops_start_up(make_app: Callable[..., Flask]) -> None:
    from core.settings import ConfigError

    with pytest.raises(ConfigError, match="STATS_THRESHOLD"):
        make_app(STATS_THRESHOLD=9)


@pytest.mark.usefixtures("small_population")
def test_a_small_row_all_in_one_result_is_hidden_whole(api: Callable[..., Any]) -> None:
    # March holds one person, all "smuggling indications": even "<10" beside zeros would
    # tell that everyone counted that month had the same result.
    rows = api("auditor", "GET", "/stats/screenings_by_month").get_json()["rows"]
    march = {row["classification"]: row["count"] for row in rows if row["month"] == "2026-03"}
    assert set(march.values()) == {"<10"}


# --- the CTDC contribution file ------------------------------------------------------------

QUASI = ("citizenship", "ageBroad", "CountryOfExploitation", "gender", "yearOfRegistration")


def ctdc_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_ctdc_file_has_no_rare_combination_and_no_zero(
    app: Flask, signed_in: Any, seed_facts: Any
) -> None:
    seed_facts(
        12,
        sex="female",
        nationality="NG",
        country="IT",
        age_ctdc="18—20",
        month="2026-01",
        classification="likely_trafficking",
        exploitation="labour",
        moc_debt_bondage=1,
        moc_withholds_documents=0,
    )
    seed_facts(
        3,
        sex="male",
        nationality="ER",
        country="IT",
        age_ctdc="9—17",
        month="2026-01",
        classification="possible_trafficking",
        exploitation="sexual",
    )
    download = signed_in("analyst").get("/reports/exports/ctdc.csv")
    assert download.status_code == 200
    text = download.get_data(as_text=True)
    rows = ctdc_rows(text)
    assert len(rows) == 12  # the three Eritrean boys stay rarer than 10 however blanked
    combinations: dict[tuple[str, ...], int] = {}
    for row in rows:
        key = tuple(row[q] for q in QUASI)
        combinations[key] = combinations.get(key, 0) + 1
        assert "0" not in row.values()  # no information is empty, never 0
    assert min(combinations.values()) >= 10
    nigerians = [row for row in rows if row["citizenship"] == "NGA"]
    assert len(nigerians) == 12
    assert {
        (
            r["gender"],
            r["ageBroad"],
            r["CountryOfExploitation"],
            r["isForcedLabour"],
            r["meansDebtBondageEarnings"],
            r["meansWithholdDocs"],
        )
        for r in nigerians
    } == {("Woman", "18—20", "ITA", "1", "1", "")}
    assert download.headers["X-Content-SHA256"] == hashlib.sha256(text.encode()).hexdigest()


def test_the_ctdc_file_is_for_auditors_and_analysts_and_is_registered(
    app: Flask, signed_in: Any, run_cli: Callable[..., Any], seed_facts: Any
) -> None:
    seed_facts(10, sex="female", nationality="NG", country="IT", age_ctdc="18—20")
    assert signed_in("supervisor").get("/reports/exports/ctdc.csv").status_code == 403
    exported = run_cli("reports", "export", "ctdc")
    assert exported.exit_code == 0, exported.output
    assert len(ctdc_rows(exported.output)) == 10
    with app.app_context():
        [entry] = db.session().execute(sa.select(releases)).all()
    assert (entry.report, entry.channel, entry.method, entry.rows, entry.sha256) == (
        "ctdc",
        "cli",
        "k_anonymous",
        10,
        hashlib.sha256(exported.stdout_bytes).hexdigest(),
    )


@pytest.mark.usefixtures("small_population")
def test_partner_staff_see_only_their_own_organisation(api: Callable[..., Any]) -> None:
    own = api("partner", "GET", "/stats/referral_steps").get_json()
    assert {row["partner"] for row in own["rows"]} == {"org-a", "total"}
    sent = next(r["count"] for r in own["rows"] if r["partner"] == "org-a" and r["step"] == "sent")
    assert sent in (10, 15)  # 13 sent, perturbed then rounded
    other = api("partner_b", "GET", "/stats/referral_steps").get_json()
    assert {row["partner"] for row in other["rows"]} <= {"total"}
    assert all(row["count"] == 0 for row in other["rows"])
    assert other["filters"]["partner"] != own["filters"]["partner"]


@pytest.mark.usefixtures("small_population")
def test_service_gaps_count_needs_no_partner_could_meet(api: Callable[..., Any]) -> None:
    rows = api("analyst", "GET", "/stats/service_gaps").get_json()["rows"]
    # Two children without a free place for legal help: a small row all in one column is
    # hidden whole; the twelve met shelter needs are not gaps at all.
    assert {r["count"] for r in rows if r["need"] == "legal"} == {"<10"}
    assert {r["count"] for r in rows if r["need"] == "shelter"} == {0}
    assert all(r["gap"] != "matched" for r in rows)


@pytest.mark.usefixtures("small_population")
def test_an_audited_export_publishes_exact_counts_and_hides_what_would_reveal_a_small_one(
    app: Flask, run_cli: Callable[..., Any]
) -> None:
    exported = run_cli("reports", "export", "screenings_by_month", "--format", "json", "--suppress")
    document = json.loads(exported.output)
    assert document["rule"]["method"] == "suppress"
    cells = {(r["month"], r["classification"]): r["count"] for r in document["rows"]}
    # Exact where shown: 27 people in January, 22 without indicators, 38 in all.
    assert (
        cells["2026-01", "total"],
        cells["total", "no_indicators"],
        cells["total", "total"],
    ) == (27, 22, 38)
    assert cells["2026-02", "likely_trafficking"] == "<10"  # three people
    # Seven in February had no indicators: hidden, so January's 15 in that column is too,
    # or the column's total would give the seven away; and January's 12 with it, or
    # January's total would give the 15 away.
    assert cells["2026-02", "no_indicators"] == cells["2026-01", "no_indicators"] == "<10"
    assert cells["2026-01", "possible_trafficking"] == "<10"
    with app.app_context():
        [entry] = db.session().execute(sa.select(releases)).all()
    assert (entry.method, entry.channel) == ("suppress", "cli")


@pytest.mark.usefixtures("small_population")
def test_a_value_outside_the_vocabulary_is_counted_as_unknown(api: Callable[..., Any]) -> None:
    # The seeded answers carry no time band: counted under "unknown", never dropped.
    rows = api("auditor", "GET", "/stats/answer_times").get_json()["rows"]
    assert "unknown" in {r["answer_time"] for r in rows}


@pytest.mark.parametrize("url", ["/reports/needs.csv", "/reports/exports/ctdc.csv"])
def test_files_of_statistics_are_exports_and_need_a_recent_reauth(
    signed_in: Any, accounts: dict[str, Account], url: str
) -> None:
    # R17: exports need the password and code proved within the last five minutes.
    client = signed_in("analyst")
    client.clock.advance(minutes=6)
    refused = client.get(url)
    assert refused.status_code == 302
    assert "/reauth" in refused.location
    client.reauth(accounts["analyst"])
    answered = client.get(url)
    assert answered.status_code == 200
    assert answered.headers["Content-Type"].startswith("text/csv")
