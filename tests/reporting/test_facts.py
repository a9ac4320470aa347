"""The statistics facts (docs/reporting.md §1): written only with the person's consent,
holding nothing that leads back to the screening, filed in shuffled batches, and still
counted after the person's record is shredded."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask

from core import db
from reporting.models import screening_facts
from screening import retention
from screening.models import Person, Screening
from tests.reporting.conftest import fact_rows, queued
from tests.screening.test_views import SAFE

# Every column of a fact, written out by hand: a new column that could lead back to a
# person (an id, a time, a free text) has to be argued for here.
COLUMNS = {
    "fact_id",
    "record_key",
    "month",
    "outcome",
    "team_id",
    "instrument",
    "instrument_version",
    "rules",
    "population",
    "exploitation",
    "classification",
    "route",
    "urgent",
    "incomplete",
    "smuggling",
    "smuggling_risk",
    "red_flag",
    "sex",
    "age_band",
    "age_ctdc",
    "nationality",
    "country",
    "moc_physical_threats",
    "moc_threats_law_enforcement",
    "moc_threatens_children_family",
    "moc_debt_bondage",
    "moc_false_promises",
    "moc_physical_abuse",
    "moc_sexual_abuse",
    "moc_takes_earnings",
    "moc_restricts_financial_access",
    "moc_restricts_medical_care",
    "moc_withholds_necessities",
    "moc_psychological_abuse",
    "moc_psychoactive_substance",
    "moc_excessive_working_hours",
    "moc_withholds_documents",
    "moc_other",
    "moc_restricts_movement",
    "fl_abuse_of_vulnerability",
    "fl_deception",
    "fl_restriction_of_movement",
    "fl_physical_and_sexual_violence",
    "fl_intimidation_and_threats",
    "fl_retention_of_documents",
    "fl_withholding_of_wages",
    "fl_debt_bondage",
    "fl_abusive_conditions",
    "fl_excessive_overtime",
    "dim_deceptive_recruitment",
    "dim_coercive_recruitment",
    "dim_recruitment_abuse_of_vulnerability",
    "dim_exploitative_conditions",
    "dim_coercion_at_destination",
    "dim_abuse_of_vulnerability_at_destination",
    "rel_partner",
    "rel_family",
    "abduction",
    "illicit",
    "need_shelter",
    "need_medical",
    "need_psychosocial",
    "need_legal",
    "need_child_protection",
    "need_return_reintegration",
    "need_livelihood",
    "need_interpretation",
}


def ids_of_everything(app: Flask) -> set[str]:
    """Every id a fact could be joined on: screenings, people, cases, users, data keys (as
    32 hex digits, however the database spells them)."""
    with app.app_context():
        store = db.session()
        found: set[str] = set()
        for table in ("screenings", "people", "cases", "users", "data_keys"):
            query = sa.text(f"SELECT id FROM {table}")  # noqa: S608 - fixed names
            found |= {uuid.UUID(str(v)).hex for v in store.scalars(query)}
        return found


def as_ids(fact: dict[str, Any]) -> set[str]:
    """The values of a fact that read as ids."""
    found = set()
    for value in fact.values():
        try:
            found.add(uuid.UUID(str(value)).hex)
        except ValueError:
            continue
    return found


def test_a_counted_screening_gives_one_fact_of_coarse_values(
    app: Flask, screen: Any, flush: Any
) -> None:
    screen()
    assert queued(app) == 1
    assert fact_rows(app) == []  # waits in the queue, not yet countable
    assert flush() == 3  # the screening's fact and one for each of its two needs
    assert queued(app) == 0
    [fact] = fact_rows(app)
    assert set(fact) == COLUMNS
    assert (
        fact["month"],
        fact["outcome"],
        fact["instrument"],
        fact["population"],
        fact["classification"],
        fact["sex"],
        fact["age_band"],
        fact["age_ctdc"],
        fact["nationality"],
        fact["country"],
    ) == (
        "2026-03",
        "completed",
        "adult",
        "adult",
        "likely_trafficking",
        "female",
        "25-34",
        "30—38",
        "ZZ",
        "XK",
    )
    # Passport kept and a debt at work (payloads.LIKELY_ADULT); hours asked and excessive.
    assert (
        fact["moc_withholds_documents"],
        fact["moc_debt_bondage"],
        fact["moc_excessive_working_hours"],
    ) == (1, 1, 1)
    assert (fact["need_shelter"], fact["need_legal"], fact["need_medical"]) == (True, True, False)
    assert 0 <= fact["record_key"] <= 255


def test_no_fact_without_consent_to_statistics(app: Flask, screen: Any, flush: Any) -> None:
    screen(consent={"screening": True, "referral": False, "statistics": False})
    assert queued(app) == 0
    assert flush() == 0
    assert fact_rows(app) == []


def test_a_fact_holds_no_id_time_or_order_that_leads_back(
    app: Flask, screen: Any, flush: Any
) -> None:
    completed = [screen()["id"] for _ in range(3)]
    assert flush(force=False) == 0  # fewer than a batch: a lone fact would point at its source
    flush()
    facts = fact_rows(app)
    assert len(facts) == 3
    known = ids_of_everything(app)
    for fact in facts:
        assert as_ids(fact) == {fact["fact_id"].hex, fact["team_id"].hex}
        assert not as_ids(fact) & known
        assert str(fact["fact_id"]) not in completed
    assert not any(c.endswith("_at") or c in ("id", "created", "seq") for c in COLUMNS)


def test_facts_are_filed_in_another_transaction_than_their_screenings(
    app: Flask, screen: Any, flush: Any
) -> None:
    # On PostgreSQL a row's xmin names the transaction that wrote it: a fact written with its
    # screening would share it. SQLite has no such column; the queue keeps it apart anyway.
    for _ in range(2):
        screen()
    flush()
    with app.app_context():
        store = db.session()
        if store.get_bind().dialect.name != "postgresql":
            assert fact_rows(app)
            return
        facts_xmin = set(store.scalars(sa.text("SELECT xmin::text FROM stat_screening_facts")))
        screenings_xmin = set(store.scalars(sa.text("SELECT xmin::text FROM screenings")))
    assert len(facts_xmin) == 1
    assert not facts_xmin & screenings_xmin


def test_shredded_people_remain_counted(app: Flask, screen: Any, flush: Any, clock: Any) -> None:
    screening_id = uuid.UUID(screen()["id"])
    flush()
    before = fact_rows(app)
    with app.app_context():
        store = db.session()
        person = store.get(Person, store.get(Screening, screening_id).person_id)
        retention.shred(store, person, clock.now())
        store.commit()
    assert fact_rows(app) == before


def test_refusing_a_record_but_agreeing_to_be_counted_is_counted_anonymously(
    app: Flask, signed_in: Any, flush: Any
) -> None:
    client = signed_in("screener")
    assert client.post("/screenings/new", SAFE).location == "/screenings/new/consent"
    page = client.post("/screenings/new/consent", {"screening": "y", "statistics": "y"})
    assert page.status_code == 200
    flush()
    [fact] = fact_rows(app)
    assert (fact["outcome"], fact["month"], fact["instrument"], fact["population"]) == (
        "not_stored",
        "2026-03",
        "adult",
        "adult",
    )
    assert {k for k, v in fact.items() if v is not None} == {
        "fact_id",
        "record_key",
        "month",
        "outcome",
        "team_id",
        "instrument",
        "population",
    }


def test_refusing_everything_is_not_counted(app: Flask, signed_in: Any, flush: Any) -> None:
    client = signed_in("screener")
    assert client.post("/screenings/new", SAFE).location == "/screenings/new/consent"
    assert client.post("/screenings/new/consent", {"screening": "y"}).status_code == 200
    assert flush() == 0


def test_the_statistics_table_is_never_read_row_by_row_outside_reporting() -> None:
    # Only the reporting package may name the facts table (docs/reporting.md §1).
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    for path in root.glob("*/*.py"):
        if path.parts[-2] in ("reporting", "tests", "migrations", "bench", ".venv"):
            continue
        assert "stat_screening_facts" not in path.read_text(), path
    assert screening_facts.name == "stat_screening_facts"
