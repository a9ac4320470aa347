"""Report catalogue at scale: each report's time at 1,000,000 facts against 10,000, on
PostgreSQL, through its pre-aggregates (issue 11 point 7: within 1.2 times).

Run from the project root, with PostgreSQL running (README.md, "Two commands")::

    python -m bench.reporting_scale [--small 10000] [--large 1000000] [--runs 51]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Prints one JSON object on stdout and asserts nothing about timing. It works in a database of
its own, ``passage_bench_<random>``, created on that server and dropped at the end (the role
needs ``CREATEDB``), never in the database of the URL. In it, two schemas hold the same
reporting tables (``stat_screening_facts``, ``stat_aggregates``, ``stat_aggregate_state``,
from the app's metadata, which ``tests/core/test_migrations.py`` holds equal to the
migrations): ``small`` with the first ``--small`` synthetic facts, ``large`` with the first
``--large`` (the same rows and more). Facts are made by PostgreSQL itself (``INSERT ...
SELECT ... generate_series``), every value drawn from an MD5 of the row number and
``--seed``: deterministic, and nobody real. Then ``reporting.aggregates.rebuild`` in each
schema, and every catalogue report published through ``catalogue.published`` with its cache
emptied before each call (so the time is the query and the disclosure control, never a cache
hit), alternating the two schemas run by run so that both see the same machine; medians.

Synthetic shape: 24 months (2025-01 to 2026-12), 12 teams each working in one of 6
countries, 3 % with no country, 3 % refusals (``not_stored``, never counted). A report reads
at most months x teams x countries x categories pre-aggregated rows, so its time depends on
those, not on the number of facts; ``aggregate_rows`` shows both schemas' counts.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from reporting import aggregates, catalogue, disclosure
from reporting.catalogue import CATALOGUE
from reporting.definition import Filters, Report
from reporting.models import (
    FORCED_LABOUR,
    MEANS_OF_CONTROL,
    SERVICES,
    aggregate_state,
    screening_facts,
)
from reporting.models import aggregates as aggregate_rows
from tests.helpers import throwaway_postgres_database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GOAL = 1.2  # issue 11 point 7: the time at the large size over the time at the small one
K = 10
TABLES = [screening_facts, aggregate_rows, aggregate_state]
# What is asked: everything; a year in one country; one team's figures (as its supervisor
# sees them). Each reads another grain of the pre-aggregates.
ASKED = {
    "all": Filters(),
    "year_in_country": Filters(since="2026-01", until="2026-12", country="GR"),
    "team": Filters(team=uuid.UUID(int=1)),
}
COUNTRIES = ("GR", "IT", "ES", "MT", "FR", "CY")
TEAMS = 12
# Classification by the byte drawn for it (0-255): roughly 35/25/20/12/8 %.
CLASSES = (
    (90, "no_indicators"),
    (154, "indicators_present"),
    (205, "possible_trafficking"),
    (236, "likely_trafficking"),
    (256, "smuggling_indicators"),
)


def _byte(n: int) -> str:
    """The SQL of the ``n``-th pseudo-random byte of the row (48 bytes: three MD5s)."""
    return f"get_byte(d, {n})"


def _flag(n: int, yes_below: int) -> str:
    # 1/0 as a tag column holds them, and no value for one row in seven (not asked).
    return f"CASE WHEN {_byte(n)} % 7 = 0 THEN NULL WHEN {_byte(n)} < {yes_below} THEN 1 ELSE 0 END"


def _columns() -> dict[str, str]:
    """Each fact column the benchmark fills, with the SQL that draws its value."""
    team = f"({_byte(3)} % {TEAMS})"
    classes = " ".join(f"WHEN {_byte(6)} < {bound} THEN '{name}'" for bound, name in CLASSES)
    countries = ",".join(f"'{code}'" for code in COUNTRIES)
    columns = {
        "fact_id": "md5(:seed || ':id:' || i)::uuid",
        "record_key": _byte(0),
        "month": f"to_char(date '2025-01-01' + ({_byte(1)} % 24) * interval '1 month', 'YYYY-MM')",
        "outcome": f"CASE WHEN {_byte(2)} < 8 THEN 'not_stored' ELSE 'completed' END",
        "team_id": f"('00000000-0000-0000-0000-' || lpad(to_hex({team} + 1), 12, '0'))::uuid",
        "country": f"CASE WHEN {_byte(4)} < 8 THEN NULL "
        f"ELSE (ARRAY[{countries}])[{team} % {len(COUNTRIES)} + 1] END",
        "instrument": f"CASE WHEN {_byte(5)} < 38 THEN 'child' ELSE 'adult' END",
        "population": f"CASE WHEN {_byte(5)} < 38 THEN 'child' ELSE 'adult' END",
        "classification": f"CASE {classes} END",
    }
    for n, column in enumerate(MEANS_OF_CONTROL.values()):
        columns[f"moc_{column}"] = _flag(7 + n, 30 + 8 * n)
    for n, tag in enumerate(FORCED_LABOUR):
        columns[f"fl_{tag}"] = _flag(24 + n, 40 + 10 * n)
    for n, service in enumerate(SERVICES):
        columns[f"need_{service}"] = f"{_byte(34 + n)} < {70 if n < 4 else 15}"
    return columns


def seed_facts(engine: Engine, count: int, seed: str) -> float:
    """Insert facts 1 to ``count`` into the engine's schema; the seconds it took."""
    columns = _columns()
    names, values = ", ".join(columns), ", ".join(columns.values())
    # OFFSET 0 stops PostgreSQL inlining the subquery, which would compute the three MD5s
    # again for every column that reads a byte of them (ten times slower).
    rows = (
        "SELECT i, decode(md5(:seed || ':a:' || i) || md5(:seed || ':b:' || i) || "
        "md5(:seed || ':c:' || i), 'hex') AS d FROM generate_series(1, :count) AS i "
        "OFFSET 0"
    )
    statement = sa.text(
        f"INSERT INTO stat_screening_facts ({names}) "  # noqa: S608 - fixed names
        f"SELECT {values} FROM ({rows}) AS drawn"
    )
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(statement, {"seed": seed, "count": count})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE stat_screening_facts"))
    return time.perf_counter() - started


def build(engine: Engine) -> dict[str, Any]:
    """Build every report's pre-aggregates from all facts, then refresh one month as a
    flush would; the seconds each took and the rows written."""
    with Session(engine) as store:
        started = time.perf_counter()
        rows = aggregates.rebuild(store, CATALOGUE.values())
        store.commit()
        rebuilt = time.perf_counter() - started
        started = time.perf_counter()
        aggregates.refresh(store, CATALOGUE.values(), {"2026-12"})
        store.commit()
        month = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE stat_aggregates"))
    return {
        "aggregate_rows": rows,
        "rebuild_seconds": round(rebuilt, 2),
        "refresh_one_month_seconds": round(month, 2),
    }


def published_once(store: Session, report: Report, filters: Filters) -> float:
    """Seconds for one ``catalogue.published`` call with an empty cache."""
    catalogue.CACHE.clear()
    started = time.perf_counter()
    catalogue.published(store, report, filters, K)
    elapsed = time.perf_counter() - started
    store.rollback()  # end the transaction: each call starts as a request would
    return elapsed


def direct_once(store: Session, report: Report, filters: Filters) -> float:
    """Seconds for the same table counted straight from the facts (the reference)."""
    started = time.perf_counter()
    disclosure.publish(report.direct(store, filters), catalogue.rule_of(report, K))
    elapsed = time.perf_counter() - started
    store.rollback()
    return elapsed


def medians(
    stores: dict[str, Session], timed: Callable[[Session], float], runs: int
) -> dict[str, float]:
    """Median milliseconds per schema, the schemas alternating run by run after one
    untimed warm-up call each; Python's garbage collector paused meanwhile, as ``timeit``
    does, so that a collection falls on neither size."""
    times: dict[str, list[float]] = {size: [] for size in stores}
    for store in stores.values():
        timed(store)
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            for size, store in stores.items():
                times[size].append(timed(store))
    finally:
        gc.enable()
    return {size: round(1000 * statistics.median(values), 3) for size, values in times.items()}


def compare(
    stores: dict[str, Session], report: Report, filters: Filters, runs: int
) -> dict[str, Any]:
    """The report's two medians through the pre-aggregates, their ratio and the goal."""
    ms = medians(stores, lambda store: published_once(store, report, filters), runs)
    ratio = round(ms["large"] / ms["small"], 3)
    return {
        "small_ms": ms["small"],
        "large_ms": ms["large"],
        "ratio": ratio,
        "within_goal": ratio <= GOAL,
    }


def bench_reports(engines: dict[str, Engine], runs: int, direct_runs: int) -> dict[str, Any]:
    """Every catalogue report, for each of ``ASKED``, and its direct count (everything,
    straight from the facts) for scale."""
    stores = {size: Session(engine) for size, engine in engines.items()}
    try:
        results = {}
        for name, report in CATALOGUE.items():
            direct = medians(
                stores, lambda store, r=report: direct_once(store, r, Filters()), direct_runs
            )
            results[name] = {
                asked: compare(stores, report, filters, runs) for asked, filters in ASKED.items()
            }
            results[name]["direct_from_facts_ms"] = direct
        return results
    finally:
        for store in stores.values():
            store.close()


@contextmanager
def schemas(url: str) -> Iterator[dict[str, Engine]]:
    """An engine per schema (``small``, ``large``) of the database at ``url``, each with
    the reporting tables."""
    engines: dict[str, Engine] = {}
    try:
        for size in ("small", "large"):
            with sa.create_engine(url).begin() as connection:
                connection.execute(sa.text(f"CREATE SCHEMA {size}"))
            engines[size] = sa.create_engine(
                url, connect_args={"options": f"-c search_path={size}"}
            )
            screening_facts.metadata.create_all(engines[size], tables=TABLES)
        yield engines
    finally:
        for engine in engines.values():
            engine.dispose()


def server_version(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.scalar(sa.text("SHOW server_version")))


def run(url: str, small: int, large: int, runs: int, direct_runs: int, seed: str) -> dict[str, Any]:
    """Seed, build and time in a throwaway database on the server of ``url``."""
    with (
        throwaway_postgres_database(url, "passage_bench") as bench_url,
        schemas(bench_url) as engines,
    ):
        seeding = {
            "small": round(seed_facts(engines["small"], small, seed), 2),
            "large": round(seed_facts(engines["large"], large, seed), 2),
        }
        built = {size: build(engine) for size, engine in engines.items()}
        results = bench_reports(engines, runs, direct_runs)
        version = server_version(engines["small"])
    return {
        "postgresql": version,
        "seeding_seconds": seeding,
        "pre_aggregates": built,
        "results": results,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help="a PostgreSQL server's URL: the benchmark creates and drops a "
        f"database of its own there (default {DEFAULT_URL})",
    )
    parser.add_argument("--small", type=int, default=10_000, help="facts at the small size")
    parser.add_argument("--large", type=int, default=1_000_000, help="facts at the large size")
    parser.add_argument(
        "--runs", type=int, default=51, help="timed calls per report, request and size"
    )
    parser.add_argument(
        "--direct-runs",
        type=int,
        default=3,
        help="timed direct counts from the facts per report and size",
    )
    parser.add_argument("--seed", default="passage-bench-1", help="salt of the synthetic facts")
    args = parser.parse_args(argv)
    if not 0 < args.small <= args.large or args.runs < 1 or args.direct_runs < 1:
        parser.error("need 0 < --small <= --large, --runs >= 1 and --direct-runs >= 1")
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL")
    started = time.perf_counter()
    figures = run(args.database_url, args.small, args.large, args.runs, args.direct_runs, args.seed)
    checked = [report[asked] for report in figures["results"].values() for asked in ASKED]
    output = {
        "benchmark": "reporting_scale",
        "parameters": {
            "small": args.small,
            "large": args.large,
            "runs": args.runs,
            "direct_runs": args.direct_runs,
            "seed": args.seed,
            "goal_ratio": GOAL,
            "months": 24,
            "teams": TEAMS,
            "countries": len(COUNTRIES),
            "asked": {name: f.as_dict() for name, f in ASKED.items()},
        },
        "python": platform.python_version(),
        **figures,
        "seconds": round(time.perf_counter() - started, 1),
        "all_within_goal": all(timing["within_goal"] for timing in checked),
    }
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
