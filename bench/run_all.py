"""Every benchmark, one JSON document: ``make bench`` (bench/README.md).

Runs each script of :data:`BENCHMARKS` in a process of its own (on SQLite, and on PostgreSQL
too when ``BENCH_DATABASE_URL`` names a server where the role may create databases), keeps
what each printed under ``benchmarks``, and lists under ``figures`` each figure the project
has a goal for (issue 14, issue 10): its value, the goal and whether it is met. Asserts
nothing about timing and always exits 0 once every script ran; a script that fails is named
under ``failed``.
"""

from __future__ import annotations

import json
import operator
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Benchmark:
    """A script, whether it takes ``--database-url``, and extra arguments."""

    name: str
    takes_database: bool = True
    arguments: tuple[str, ...] = ()


BENCHMARKS = (
    Benchmark("audit_bench"),
    Benchmark("submission_ratio"),
    Benchmark("audited_reads"),
    Benchmark("list_scale"),
    Benchmark("audit_log_scale"),
    Benchmark("page_weight"),
    Benchmark("load_kill"),
    Benchmark("screening_questions", takes_database=False),
    Benchmark("reporting_scale"),
)

AT_LEAST, BELOW, AT_MOST = (">=", operator.ge), ("<", operator.lt), ("<=", operator.le)
EQUALS = ("==", operator.eq)


@dataclass(frozen=True)
class Figure:
    """A figure with a goal: where it sits in a script's output (per database)."""

    name: str
    benchmark: str
    find: Callable[[dict[str, Any]], Iterator[tuple[str, Any]]]
    goal: tuple[str, Callable[[Any, Any], bool]]
    target: float | bool


def _per_database(*path: str) -> Callable[[dict[str, Any]], Iterator[tuple[str, Any]]]:
    def find(output: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        for database, figures in output.get("results", {}).items():
            value: Any = figures
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if value is not None:
                yield database, value

    return find


def _worst_ratio(output: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for database, figures in output.get("results", {}).items():
        ratios = [
            figure["ratio"]
            for pages in figures.get("lists", {}).values()
            for figure in pages.values()
        ]
        if ratios:
            yield database, max(ratios)


def _top(key: str) -> Callable[[dict[str, Any]], Iterator[tuple[str, Any]]]:
    def find(output: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        if key in output:
            yield "sqlite", output[key]

    return find


FIGURES = (
    Figure(
        "submission_over_bare_insert",
        "submission_ratio",
        _per_database("submission_over_bare_insert"),
        AT_LEAST,
        0.4,
    ),
    Figure(
        "verify_over_raw_hmac", "audit_bench", _per_database("verify_over_raw_hmac"), AT_LEAST, 0.33
    ),
    Figure(
        "audited_reads_four_clients_over_one",
        "audited_reads",
        _per_database("four_over_one"),
        AT_LEAST,
        2.0,
    ),
    Figure("list_p95_100k_over_1k_worst", "list_scale", _worst_ratio, AT_MOST, 1.2),
    Figure("audit_log_p95_1m_over_1k_worst", "audit_log_scale", _worst_ratio, AT_MOST, 1.2),
    Figure("largest_page_bytes", "page_weight", _top("largest_page_bytes"), BELOW, 60_000),
    Figure("load_with_a_worker_killed_ok", "load_kill", _per_database("ok"), EQUALS, True),
)


def run(benchmark: Benchmark, database_url: str | None) -> tuple[dict[str, Any] | None, float]:
    """One script's JSON output (None if it failed) and the seconds it took."""
    command = [sys.executable, "-m", f"bench.{benchmark.name}", *benchmark.arguments]
    if benchmark.takes_database and database_url:
        command += ["--database-url", database_url]
    started = time.monotonic()
    finished = subprocess.run(  # noqa: S603 - our own interpreter and scripts
        command, cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = round(time.monotonic() - started, 1)
    if finished.returncode != 0:
        sys.stderr.write(finished.stderr[-4000:])
        return None, seconds
    return json.loads(finished.stdout), seconds


def figures(outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal's figures, per database, with whether they meet it."""
    found = []
    for figure in FIGURES:
        output = outputs.get(figure.benchmark)
        if output is None:
            continue
        sign, meets = figure.goal
        for database, value in figure.find(output):
            found.append(
                {
                    "figure": figure.name,
                    "database": database,
                    "value": value,
                    "goal": f"{sign} {json.dumps(figure.target)}",
                    "met": bool(meets(value, figure.target)),
                }
            )
    return found


def main() -> None:
    """Run every benchmark and print one JSON document."""
    database_url = os.environ.get("BENCH_DATABASE_URL") or None
    only = [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    outputs: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    failed = []
    for benchmark in BENCHMARKS:
        if only and benchmark.name not in only:
            continue
        if benchmark.name == "reporting_scale" and not database_url:
            continue  # PostgreSQL only: its figures are the report catalogue at a million facts
        sys.stderr.write(f"bench: {benchmark.name}\n")
        outputs[benchmark.name], seconds[benchmark.name] = run(benchmark, database_url)
        if outputs[benchmark.name] is None:
            failed.append(benchmark.name)
    document = {
        "figures": figures(outputs),
        "failed": failed,
        "seconds": seconds,
        "postgresql": bool(database_url),
        "benchmarks": outputs,
    }
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
