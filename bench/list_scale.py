"""Lists at scale: the p95 time of each list page with 100,000 referrals against 1,000
(issue 14 point 4: within 1.2 times), on SQLite and, when asked, PostgreSQL
(docs/architecture.md, "Lists at scale"; bench/README.md).

Run from the project root::

    python -m bench.list_scale [--small 1000] [--large 100000] [--runs 200]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

``BENCH_DATABASE_URL`` stands for ``--database-url``. Prints one JSON object on stdout and
asserts nothing about timing. Each size gets a database of its own: SQLite files in a
temporary directory, and on PostgreSQL ``passage_bench_<random>`` databases created on that
server and dropped at the end (the role needs ``CREATEDB``). Both are migrated, then filled
by batched INSERTs (``tests/referral/bulk.py``: referrals with packets as long as real ones,
their cases and people, the partner's notices), then analysed.

The lists, each read through the Flask test client as its reader (signed in with a second
factor, or with an API token), every request doing all a real one does (session, access
rule, audit event, commit, template):

- ``partner_inbox``: ``GET /referrals/`` as a partner whose organisation receives half the
  referrals (25 a page);
- ``referrals_api``: ``GET /api/v1/referrals`` as the same partner (50 a page);
- ``screener_cases``: ``GET /cases/`` as one of the four screeners of the one team, owning a
  quarter of the cases (50 a page);
- ``overdue``: ``GET /referrals/?overdue=1`` as the team's supervisor (25 a page).

For each, three pages: ``page_1``; ``deep``, the page in the middle of the list; ``last``,
the final page if it is full, else the one before it (the final page holds what is left
after whole pages: 25 rows where the other size's holds 50 would time the row count, not the
table's size); the last two reached through cursors (``after=``/``before=``), as a client
following ``next`` reaches them (found by walking the list before the clock starts). The two
sizes' requests alternate, so that both see the same machine; Python's collector is frozen
after setting up, as ``gunicorn.conf.py`` does after loading the app.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

from flask import Flask

from access import tokens
from access.models import User
from bench.harness import UNLIMITED
from core import db, keys, keyset
from core.cli import upgrade
from core.clock import FrozenClock
from tests.conftest import START, TEST_CONFIG
from tests.helpers import Account, Client, throwaway_postgres_database
from tests.referral import bulk
from wsgi import create_app

GOAL = 1.2  # issue 14 point 4: p95 at the large size over p95 at the small one
FIGURES = ("page_1", "deep", "last")
NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')
WALK_SIZE = 500  # rows a page while walking the API to a deep page (its most)
# One team of four screeners, and every referral waiting for an answer overdue: at 1,000
# referrals every list read is a few pages long, so both sizes compare full pages; at 100,000
# the team holds everything, the hardest case for the indexes that pick its rows out.
TEAMS, SCREENERS = 1, 4


@dataclass
class Size:
    """One database of one size, with its clients signed in."""

    app: Flask
    seeding_seconds: float
    web: dict[str, Client]
    token: str


@dataclass(frozen=True)
class List:
    """A list to time: who reads it, where, its page size, and how its next page is found
    (and whether the API's cursors serve it, to walk there by large pages)."""

    name: str
    reader: str
    path: str
    size: int
    shares_api_cursors: bool


LISTS = (
    List("partner_inbox", "partner", "/referrals/", 25, True),
    List("referrals_api", "api", "/api/v1/referrals", 50, True),
    List("screener_cases", "screener", "/cases/", 50, False),
    List("overdue", "supervisor", "/referrals/?overdue=1", 25, False),
)


def _config(url: str, instance: Path) -> dict[str, Any]:
    return {
        **TEST_CONFIG,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        **UNLIMITED,
    }


def _prepare(url: str, instance: Path, referrals: int, clock: FrozenClock) -> Size:
    app = create_app(_config(url, instance), clock)
    keys.create_missing(app)
    upgrade(app)
    started = time.perf_counter()
    shape = bulk.Shape(referrals, teams=TEAMS, screeners=SCREENERS, overdue_share=1.0)
    seeded = bulk.seed(app, shape, clock.now())
    seconds = time.perf_counter() - started
    web = {}
    for name in ("partner", "screener", "supervisor"):
        account: Account = getattr(seeded, name)
        web[name] = Client(app, clock)
        web[name].sign_in(account)
    with app.app_context():
        store = db.session()
        user = store.get_one(User, seeded.partner.id)
        _row, token = tokens.issue_token(store, user, clock.now(), 30)
        store.commit()
    return Size(app, round(seconds, 1), web, token)


def _get(size: Size, reader: str, url: str) -> Any:
    if reader == "api":
        client = size.web["partner"].raw
        return client.get(url, headers={"Authorization": f"Bearer {size.token}"})
    return size.web[reader].get(url)


def _with(url: str, **params: Any) -> str:
    joined = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{joined}"


def _next_of(listed: List, response: Any) -> str | None:
    if listed.reader == "api":
        token = response.get_json()["next"]
        return _with(listed.path, per_page=listed.size, after=token) if token else None
    found = NEXT_LINK.search(response.get_data(as_text=True))
    return unescape(found.group(1)) if found else None


def _marks(size: Size) -> tuple[list[str | None], int]:
    """The partner's list walked through the API by pages of :data:`WALK_SIZE` rows: the
    cursor opening each (None for the first), and how many rows the list holds."""
    url = _with("/api/v1/referrals", per_page=WALK_SIZE)
    marks: list[str | None] = [None]
    rows = 0
    while True:
        token = marks[-1]
        answer = _get(size, "api", url if token is None else _with(url, after=token)).get_json()
        rows += len(answer["items"])
        if answer["next"] is None:
            return marks, rows
        marks.append(answer["next"])


def _walk(size: Size, listed: List, url: str) -> list[str]:
    """The URL of every page from ``url`` on, following each page's next link; the final
    one left out when it holds fewer rows than the one before it."""
    urls, rows = [url], []
    while True:
        response = _get(size, listed.reader, urls[-1])
        assert response.status_code == 200, (urls[-1], response.status_code)  # noqa: S101
        rows.append(_rows(listed, response))
        following = _next_of(listed, response)
        if following is None:
            return urls[:-1] if len(urls) > 1 and rows[-1] < rows[-2] else urls
        urls.append(following)


def _rows(listed: List, response: Any) -> int:
    if listed.reader == "api":
        return len(response.get_json()["items"])
    return response.get_data(as_text=True).count("<tr")  # every page has the same header


def _targets(size: Size, listed: List, marks: tuple[list[str | None], int]) -> dict[str, str]:
    """The URLs of the first, middle and last pages of ``listed``."""
    first = listed.path if listed.reader != "api" else _with(listed.path, per_page=listed.size)
    if not listed.shares_api_cursors:
        urls = _walk(size, listed, first)
        return {"page_1": first, "deep": urls[len(urls) // 2], "last": urls[-1]}
    # The partner's lists share the API's cursors: jump by its large pages, so that 50,000
    # rows take a hundred requests, not two thousand.
    tokens, rows = marks

    def opened(token: str | None) -> str:
        return first if token is None else _with(first, after=token)

    middle = tokens[(rows // 2) // WALK_SIZE]
    return {
        "page_1": first,
        "deep": opened(middle),
        "last": _walk(size, listed, opened(tokens[-1]))[-1],
    }


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] * 1000


def _time(sizes: dict[str, Size], runs: int) -> dict[str, Any]:
    targets = {}
    for name, size in sizes.items():
        marks = _marks(size)
        targets[name] = {listed.name: _targets(size, listed, marks) for listed in LISTS}
    samples: dict[tuple[str, str, str], list[float]] = {}
    gc.collect()
    gc.freeze()
    for _ in range(runs):
        for listed in LISTS:
            for figure in FIGURES:
                for name, size in sizes.items():
                    url = targets[name][listed.name][figure]
                    started = time.perf_counter()
                    response = _get(size, listed.reader, url)
                    spent = time.perf_counter() - started
                    assert response.status_code == 200, (url, response.status_code)  # noqa: S101
                    samples.setdefault((listed.name, figure, name), []).append(spent)
    gc.unfreeze()
    results: dict[str, Any] = {}
    for listed in LISTS:
        for figure in FIGURES:
            small, large = (samples[(listed.name, figure, size)] for size in ("small", "large"))
            p95 = _percentile(small, 0.95), _percentile(large, 0.95)
            results.setdefault(listed.name, {})[figure] = {
                "small_p50_ms": round(_percentile(small, 0.5), 2),
                "large_p50_ms": round(_percentile(large, 0.5), 2),
                "small_p95_ms": round(p95[0], 2),
                "large_p95_ms": round(p95[1], 2),
                "ratio": round(p95[1] / p95[0], 2),
                "within_goal": p95[1] / p95[0] <= GOAL,
            }
    return results


def run_backend(urls: Callable[[str], Any], args: argparse.Namespace) -> dict[str, Any]:
    """Both sizes on one kind of database, timed side by side."""
    clock = FrozenClock(START)
    with tempfile.TemporaryDirectory(prefix="passage-bench-") as directory, ExitStack() as stack:
        sizes = {}
        for name, referrals in (("small", args.small), ("large", args.large)):
            url = stack.enter_context(urls(str(Path(directory) / f"{name}.sqlite3")))
            sizes[name] = _prepare(url, Path(directory) / name, referrals, clock)
            stack.callback(sizes[name].app.extensions["passage.engine"].dispose)
        lists = _time(sizes, args.runs)
    return {
        "seeding_seconds": {name: size.seeding_seconds for name, size in sizes.items()},
        "lists": lists,
        "all_within_goal": all(
            f["within_goal"] for figures in lists.values() for f in figures.values()
        ),
    }


@contextmanager
def _sqlite(path: str) -> Iterator[str]:
    yield f"sqlite:///{path}"


def _postgres(server: str) -> Callable[[str], Any]:
    @contextmanager
    def database(_path: str) -> Iterator[str]:
        with throwaway_postgres_database(server, "passage_bench") as url:
            yield url

    return database


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="referrals (default 1000)")
    parser.add_argument("--large", type=int, default=100_000, help="referrals (default 100000)")
    parser.add_argument("--runs", type=int, default=200, help="timed requests a page and size")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a PostgreSQL server to benchmark too (temporary databases are created there "
        "and dropped); default BENCH_DATABASE_URL",
    )
    args = parser.parse_args(argv)
    if min(args.small, args.large, args.runs) < 1 or args.small > args.large:
        parser.error("sizes and runs must be positive, --small at most --large")
    output: dict[str, Any] = {
        "benchmark": "list_scale",
        "parameters": {
            "small": args.small,
            "large": args.large,
            "runs": args.runs,
            "count_limit": keyset.COUNT_LIMIT,
        },
        "goal": GOAL,
        "python": platform.python_version(),
        "cpus": multiprocessing.cpu_count(),
        "results": {"sqlite": run_backend(_sqlite, args)},
    }
    if args.database_url:
        output["results"]["postgresql"] = run_backend(_postgres(args.database_url), args)
    output["all_within_goal"] = all(r["all_within_goal"] for r in output["results"].values())
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
