"""The reports' pre-aggregates and the cache of published tables (reporting.aggregates,
docs/reporting.md §2 "Pre-aggregates and cache"): once built, every report reads them and
never the facts, with the same counts and cell keys as counting the facts, so the same
published numbers; a flush refreshes them in its own transaction; ``reports refresh``
rebuilds the same rows from scratch; and no published table from before a flush is served
after it.

A small example written out by hand first, then seeded synthetic fact sets checked against
``Report.direct``, the count straight from the facts.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core import db
from reporting import aggregates, catalogue, definition, disclosure, facts
from reporting.catalogue import CATALOGUE, TableCache
from reporting.definition import Filters, Report
from reporting.demo import load_demo_facts
from reporting.models import aggregate_state, screening_facts
from reporting.models import aggregates as aggregate_rows
from reporting.tables import Count, Rule
from screening.rule import CLASSES
from tests.conftest import START

TEAM_A, TEAM_B, TEAM_C = (uuid.UUID(int=n) for n in (0xA, 0xB, 0xC))
MONTHS = ("2025-11", "2025-12", "2026-01", "2026-02", "2026-03")
COUNTRIES = ("XK", "NG", "IT", None)
FILTERS = (
    Filters(),
    Filters(since="2026-01"),
    Filters(until="2025-12"),
    Filters("2025-12", "2026-02"),
    Filters(country="XK"),
    Filters(team=TEAM_A),
    Filters("2026-01", "2026-03", "NG", TEAM_B),
    Filters(country="FR"),
)
SMALL = {
    "month": "2026-01",
    "outcome": "completed",
    "instrument": "adult",
    "population": "adult",
    "classification": "no_indicators",
    "team_id": TEAM_A,
    "country": "XK",
}


@pytest.fixture
def store(app: Flask) -> Iterator[Session]:
    """The app's database session, in an app context, rolled back at the end (commit what
    others must see)."""
    with app.app_context():
        session = db.session()
        yield session
        session.rollback()


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Each test starts and ends with an empty cache of published tables."""
    catalogue.CACHE.clear()
    yield
    catalogue.CACHE.clear()


def insert(store: Session, *rows: dict[str, Any]) -> None:
    """Facts written straight into the table, each with the record key it gives, committed."""
    empty = dict.fromkeys(screening_facts.c.keys())
    store.execute(
        screening_facts.insert(),
        [{**empty, **SMALL, "fact_id": uuid.uuid4(), **row} for row in rows],
    )
    store.commit()


def rebuild(store: Session) -> int:
    written = aggregates.rebuild(store, catalogue.aggregated())
    store.commit()
    return written


def queue(store: Session, count: int, **columns: Any) -> None:
    """``count`` facts waiting for the next flush, as a completed screening queues them."""
    for _ in range(count):
        facts.enqueue(store, "screening", {**SMALL, "team_id": str(TEAM_A), **columns})
    store.commit()


def flush(store: Session) -> int:
    filed = facts.flush(store, force=True)
    store.commit()
    return filed


def stored_rows(store: Session) -> set[tuple[Any, ...]]:
    """Every pre-aggregated row, without its random id."""
    a = aggregate_rows.c
    return set(
        store.execute(
            sa.select(
                a.report, a.version, a.grain, a.month, a.team_id, a.country, a.cell, a.n, a.ckey
            )
        )
    )


def at_grain(store: Session, report: str, grain: str) -> set[tuple[Any, ...]]:
    """The report's rows at one grain: month, team, country, cell, count, cell key."""
    return {row[3:] for row in stored_rows(store) if row[0] == report and row[2] == grain}


def synthetic_fact(rng: random.Random) -> dict[str, Any]:
    """A fact drawn at random: every report's columns, with no value and the refusals'
    ``not_stored`` among them. Nobody real."""
    fact: dict[str, Any] = {
        "fact_id": uuid.UUID(int=rng.getrandbits(128)),
        "record_key": rng.randrange(256),
        "month": rng.choice(MONTHS),
        "team_id": rng.choice((TEAM_A, TEAM_B, TEAM_C, None)),
        "country": rng.choice(COUNTRIES),
        "population": rng.choice(("adult", "child")),
        "classification": rng.choice(CLASSES),
        "outcome": "completed",
    }
    if rng.random() < 0.1:  # a refusal: month, team and instrument only, never counted
        return {**fact, "outcome": "not_stored", "country": None, "classification": None}
    for column in (*catalogue.MOC.values(), *catalogue.FL.values()):
        fact[column] = rng.choice((1, 1, 0, None))
    for column in catalogue.NEEDS.values():
        fact[column] = rng.choice((True, False, None))
    return fact


# --- a small example, by hand --------------------------------------------------------------


@pytest.fixture
def tiny(store: Session) -> None:
    """Four counted facts and one refusal, record keys chosen by hand:

    - 2026-01, Team A, XK, likely trafficking, keys 200 and 100 (debt bondage, shelter
      for the first): 2 facts, cell key 300 mod 256 = 44;
    - 2026-01, Team B, NG, likely trafficking, key 7: 1 fact, cell key 7;
    - 2026-02, Team A, no country, no indicators, key 255;
    - a not_stored refusal in 2026-01, key 1, never counted.
    """
    likely = {"classification": "likely_trafficking", "moc_debt_bondage": 1}
    insert(
        store,
        {**likely, "record_key": 200, "need_shelter": True},
        {**likely, "record_key": 100},
        {**likely, "record_key": 7, "team_id": TEAM_B, "country": "NG"},
        {"record_key": 255, "month": "2026-02", "country": None},
        {"record_key": 1, "outcome": "not_stored", "classification": None},
    )
    rebuild(store)


@pytest.mark.usefixtures("tiny")
def test_the_pre_aggregates_hold_each_month_team_and_country_with_its_cell_key(
    store: Session,
) -> None:
    assert at_grain(store, "screenings_by_month", "team_country") == {
        ("2026-01", TEAM_A, "XK", '["2026-01", "likely_trafficking"]', 2, 44),
        ("2026-01", TEAM_B, "NG", '["2026-01", "likely_trafficking"]', 1, 7),
        ("2026-02", TEAM_A, None, '["2026-02", "no_indicators"]', 1, 255),
    }
    # Rolled up over teams and countries: 200 + 100 + 7 = 307, cell key 307 mod 256 = 51.
    assert at_grain(store, "screenings_by_month", "month") == {
        ("2026-01", None, None, '["2026-01", "likely_trafficking"]', 3, 51),
        ("2026-02", None, None, '["2026-02", "no_indicators"]', 1, 255),
    }
    assert at_grain(store, "screenings_by_month", "team") == {
        ("2026-01", TEAM_A, None, '["2026-01", "likely_trafficking"]', 2, 44),
        ("2026-01", TEAM_B, None, '["2026-01", "likely_trafficking"]', 1, 7),
        ("2026-02", TEAM_A, None, '["2026-02", "no_indicators"]', 1, 255),
    }
    assert at_grain(store, "screenings_by_country", "country") == {
        ("2026-01", None, "XK", '["XK", "adult"]', 2, 44),
        ("2026-01", None, "NG", '["NG", "adult"]', 1, 7),
        ("2026-02", None, None, '["unknown", "adult"]', 1, 255),
    }
    assert at_grain(store, "needs", "team_country") == {
        ("2026-01", TEAM_A, "XK", '["shelter"]', 1, 200)
    }


@pytest.mark.parametrize(
    ("filters", "grain"),
    [
        (Filters(), "month"),
        (Filters("2026-01", "2026-02"), "month"),
        (Filters(team=TEAM_A), "team"),
        (Filters(country="XK"), "country"),
        (Filters(country="XK", team=TEAM_A), "team_country"),
    ],
)
def test_a_request_reads_the_coarsest_grain_its_filters_allow(filters: Filters, grain: str) -> None:
    assert definition.grain_of(filters) == grain


@pytest.mark.usefixtures("tiny")
def test_a_report_sums_the_pre_aggregates_to_known_counts_and_cell_keys(store: Session) -> None:
    month, country = CATALOGUE["screenings_by_month"], CATALOGUE["screenings_by_country"]
    # 200 + 100 + 7 = 307, and 307 mod 256 = 51: the cell key of the three together.
    assert month.raw(store, Filters()).cells == {
        ("2026-01", "likely_trafficking"): Count(3, 51),
        ("2026-02", "no_indicators"): Count(1, 255),
    }
    assert month.raw(store, Filters(team=TEAM_A)).cells == {
        ("2026-01", "likely_trafficking"): Count(2, 44),
        ("2026-02", "no_indicators"): Count(1, 255),
    }
    assert month.raw(store, Filters(since="2026-02")).cells == {
        ("2026-02", "no_indicators"): Count(1, 255)
    }
    assert country.raw(store, Filters()).cells == {
        ("XK", "adult"): Count(2, 44),
        ("NG", "adult"): Count(1, 7),
        ("unknown", "adult"): Count(1, 255),
    }
    assert CATALOGUE["means_of_control"].raw(store, Filters(country="NG")).cells == {
        ("DebtBondage",): Count(1, 7)
    }
    for report in catalogue.aggregated():
        for filters in FILTERS:
            assert report.raw(store, filters) == report.direct(store, filters)


# --- random fact sets against the facts ----------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_report_from_pre_aggregates_equals_the_count_of_the_facts(
    store: Session, seed: int
) -> None:
    rng = random.Random(seed)
    insert(store, *(synthetic_fact(rng) for _ in range(400)))
    assert definition.data_version(store, CATALOGUE["needs"]) is None  # not built yet
    rebuild(store)
    for report in catalogue.aggregated():
        assert definition.data_version(store, report) is not None
        for filters in FILTERS:
            expected = report.direct(store, filters)
            assert report.raw(store, filters) == expected, (report.name, filters)
            assert catalogue.published(store, report, filters, 10) == report.meaningful(
                disclosure.publish(expected, Rule(report.method))
            )
        assert report.direct(store, Filters()).cells  # the check compared something


def test_once_built_a_report_never_reads_the_facts(store: Session) -> None:
    insert(store, *({"record_key": n} for n in range(12)))
    rebuild(store)
    report = CATALOGUE["screenings_by_month"]
    # Facts removed behind the pre-aggregates' back (nothing in Passage does this): the
    # report still answers from the pre-aggregates, the facts say nothing is left.
    store.execute(screening_facts.delete())
    store.commit()
    assert report.direct(store, Filters()).cells == {}
    assert report.raw(store, Filters()).cells == {
        ("2026-01", "no_indicators"): Count(12, sum(range(12)) % 256)
    }


def test_without_pre_aggregates_a_report_counts_the_facts_and_caches_nothing(
    store: Session,
) -> None:
    insert(store, *({"record_key": n} for n in range(25)))
    report = CATALOGUE["screenings_by_month"]
    # Record keys 0 to 24 add up to 300: cell key 44.
    assert report.raw(store, Filters()).cells == {("2026-01", "no_indicators"): Count(25, 44)}
    table = catalogue.published(store, report, Filters(), 10)
    assert table.cells[("2026-01", "no_indicators")].value == 25  # 25 +- 2 rounds to 25
    assert len(catalogue.CACHE) == 0


def test_a_new_report_or_version_is_built_whole_by_the_next_refresh(store: Session) -> None:
    rng = random.Random(7)
    insert(store, *(synthetic_fact(rng) for _ in range(200)))
    rebuild(store)
    # Declared here, three dimensions: no new table, no new column.
    wide = Report(
        "wide",
        "test",
        1,
        ("month", "country", "population"),
        (definition.MONTHS, definition.SEEN, ("adult", "child")),
        group_by=("month", "country", "population"),
    )
    newer = dataclasses.replace(CATALOGUE["needs"], version=2)
    assert definition.data_version(store, wide) is None
    assert definition.data_version(store, newer) is None  # built for version 1 only
    aggregates.refresh(store, [wide, newer], months={"2026-03"})
    store.commit()
    for report in (wide, newer):
        for filters in FILTERS:
            assert report.raw(store, filters) == report.direct(store, filters)
    versions = {row[1] for row in stored_rows(store) if row[0] == "needs"}
    assert versions == {2}  # version 1's rows went with the rebuild


# --- refreshed on write --------------------------------------------------------------------


def test_a_flush_refreshes_the_months_it_files_and_moves_the_numbers(store: Session) -> None:
    report = CATALOGUE["screenings_by_month"]
    queue(store, 12)
    queue(store, 3, month="2025-12", classification="likely_trafficking")
    facts.count_refusal(store, TEAM_A, "adult", START)  # filed in the batch, never counted
    assert flush(store) == 16
    first = definition.data_version(store, report)
    assert first is not None
    assert {key: c.n for key, c in report.raw(store, Filters()).cells.items()} == {
        ("2026-01", "no_indicators"): 12,
        ("2025-12", "likely_trafficking"): 3,
    }
    december = set(
        store.scalars(sa.select(aggregate_rows.c.id).where(aggregate_rows.c.month == "2025-12"))
    )
    queue(store, 5)
    queue(store, 2, classification="possible_trafficking", need_legal=True)
    assert flush(store) == 7
    assert definition.data_version(store, report) not in (None, first)
    assert {key: c.n for key, c in report.raw(store, Filters()).cells.items()} == {
        ("2026-01", "no_indicators"): 17,
        ("2026-01", "possible_trafficking"): 2,
        ("2025-12", "likely_trafficking"): 3,
    }
    assert CATALOGUE["needs"].raw(store, Filters()).cells[("legal",)].n == 2
    for every in catalogue.aggregated():
        for filters in FILTERS:
            assert every.raw(store, filters) == every.direct(store, filters)
    # Only January was filed the second time: December's rows are the ones written first.
    assert (
        set(
            store.scalars(sa.select(aggregate_rows.c.id).where(aggregate_rows.c.month == "2025-12"))
        )
        == december
    )


def test_reports_refresh_from_scratch_gives_the_same_rows(
    store: Session, run_cli: Callable[..., Any]
) -> None:
    queue(store, 11)
    queue(store, 4, month="2026-02", country="NG", moc_physical_threats=1)
    flush(store)
    queue(store, 9, month="2026-02", classification="indicators_present")
    flush(store)
    before = stored_rows(store)
    assert before
    store.execute(aggregate_rows.delete())
    store.execute(aggregate_state.delete())
    store.commit()
    result = run_cli("reports", "refresh")
    assert result.exit_code == 0, result.output
    assert result.output == (f"wrote {len(before)} pre-aggregated rows for 5 reports\n")
    store.rollback()  # a new snapshot: see what the command committed
    assert stored_rows(store) == before


def test_demo_facts_come_with_their_pre_aggregates(store: Session) -> None:
    load_demo_facts(store, START)
    store.commit()
    for report in catalogue.aggregated():
        assert definition.data_version(store, report) is not None
        assert report.raw(store, Filters()) == report.direct(store, Filters())


# --- the cache -----------------------------------------------------------------------------


def test_the_cache_never_serves_a_table_from_before_a_flush(store: Session) -> None:
    report = CATALOGUE["screenings_by_month"]
    queue(store, 20)
    flush(store)
    first = catalogue.published(store, report, Filters(), 10)
    # 20, moved by at most 2 by its cell key, rounds to 20 whatever the random record keys.
    assert first.cells[("2026-01", "no_indicators")].value == 20
    assert catalogue.published(store, report, Filters(), 10) is first  # kept
    queue(store, 30)
    flush(store)
    after = catalogue.published(store, report, Filters(), 10)
    assert after.cells[("2026-01", "no_indicators")].value == 50  # 50 +- 2 rounds to 50
    assert after == disclosure.publish(report.direct(store, Filters()), Rule("cellkey"))


@pytest.mark.usefixtures("accounts")
def test_the_api_shows_the_numbers_of_the_last_flush(
    app: Flask, store: Session, api: Callable[..., Any]
) -> None:
    def january() -> Any:
        rows = api("auditor", "GET", "/stats/screenings_by_month?since=2026-01&until=2026-01")
        return {row["classification"]: row["count"] for row in rows.get_json()["rows"]}[
            "no_indicators"
        ]

    queue(store, 20)
    flush(store)
    assert january() == 20
    assert january() == 20
    queue(store, 30)
    flush(store)
    assert january() == 50


def test_the_cache_key_holds_filters_and_threshold(store: Session) -> None:
    report = CATALOGUE["screenings_by_country"]
    queue(store, 25)
    queue(store, 25, country="NG", team_id=str(TEAM_B))
    flush(store)
    everyone = catalogue.published(store, report, Filters(), 10)
    team_a = catalogue.published(store, report, Filters(team=TEAM_A), 10)
    stricter = catalogue.published(store, report, Filters(), 20)
    assert everyone.cells[("NG", "adult")].value == 25
    assert ("NG", "adult") not in team_a.cells  # Team B's people are not Team A's
    assert team_a.cells[("XK", "adult")].value == 25
    assert stricter.rule.k == 20
    assert len(catalogue.CACHE) == 3


def test_the_cache_drops_the_least_recently_used_beyond_its_size() -> None:
    cache = TableCache(2)
    tables = {
        name: disclosure.publish(
            catalogue.CATALOGUE["needs"].table({}, Filters()), Rule("round", k=k)
        )
        for name, k in (("a", 10), ("b", 20), ("c", 30))
    }
    cache.put("a", tables["a"])
    cache.put("b", tables["b"])
    assert cache.get("a") is tables["a"]  # now the most recently used
    cache.put("c", tables["c"])
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (tables["a"], None, tables["c"])
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0


# --- two refreshes at once -----------------------------------------------------------------


def test_two_batches_filed_at_once_count_each_fact_once(app: Flask, store: Session) -> None:
    if store.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite queues writers already (BEGIN IMMEDIATE, core.db)")
    queue(store, 10)
    flush(store)  # built: the next refreshes replace rows
    engine = app.extensions["passage.engine"]
    first, second = Session(engine), Session(engine)
    insert_january(first, 10)
    aggregates.refresh(first, catalogue.aggregated(), {"2026-01"})  # holds the lock, uncommitted
    insert_january(second, 5)
    waiting = threading.Thread(target=refresh_and_commit, args=(second,))
    waiting.start()
    waiting.join(timeout=1)
    assert waiting.is_alive()  # queued behind the first refresh
    first.commit()
    waiting.join(timeout=30)
    first.close()
    second.close()
    report = CATALOGUE["screenings_by_month"]
    assert report.raw(store, Filters()).cells[("2026-01", "no_indicators")].n == 25
    assert report.raw(store, Filters()) == report.direct(store, Filters())


def insert_january(session: Session, count: int) -> None:
    session.execute(
        screening_facts.insert(),
        [{**SMALL, "fact_id": uuid.uuid4(), "record_key": n} for n in range(count)],
    )


def refresh_and_commit(session: Session) -> None:
    aggregates.refresh(session, catalogue.aggregated(), {"2026-01"})
    session.commit()
