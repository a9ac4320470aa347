"""The audit log at scale: the p95 time of the auditor's pages with 1,000,000 events against
1,000 (issue 14: within 1.2 times), on SQLite and, when asked, PostgreSQL (docs/architecture.md,
"Lists at scale"; bench/README.md).

Run from the project root::

    python -m bench.audit_log_scale [--small 1000] [--large 1000000] [--runs 100]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each size gets a database of its own, filled by SQL alone (``tests/access/bulk_audit.py``),
then analysed. Through the Flask test client, as a signed-in auditor (the web page, 50 a page)
and with an API token (the API, 50 a page), and for the whole log and one action: the first
page, a page in the middle and the oldest page, the last two opened by the cursor a client
following ``next`` would hold there. The sizes' requests alternate. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from access import audit, tokens
from access.services import get_user
from bench import harness
from core import db
from tests.access import bulk_audit
from tests.helpers import Client, create_account

GOAL = 1.2
PAGES = {"log_web": "/audit/events?per_page=50", "log_api": "/api/v1/audit/events?per_page=50"}
FILTERED = "&action=person.read"


def _prepare(stack: ExitStack, server: str | None, folder: Path, count: int) -> dict[str, Any]:
    url = stack.enter_context(harness.database(server, folder, f"log{count}"))
    settings = harness.settings_for(url, folder / f"log{count}", AUDIT_SEALER="external")
    app, clock = stack.enter_context(harness.seeded_app(settings))
    started = time.perf_counter()
    bulk_audit.seed(app, count)
    seeded = time.perf_counter() - started
    account = create_account(app, clock, "auditor")
    web = Client(app, clock)
    web.sign_in(account)
    with app.app_context():
        store = db.session()
        _row, token = tokens.issue_token(store, get_user(store, account.id), clock.now(), 1)
        store.commit()
    return {"app": app, "web": web, "token": token, "count": count, "seconds": seeded}


def _targets(size: dict[str, Any]) -> dict[str, str]:
    """Each page's URL: first, middle and oldest, of the whole log and of one action."""
    middle = size["count"] // 2
    urls = {}
    for name, path in PAGES.items():
        for scope, extra in (("all", ""), ("action", FILTERED)):
            # The cursor a client walking the log by next would hold at that point.
            deep = audit.ORDER.encode((middle,), False, size["count"] - middle)
            oldest = audit.ORDER.encode((60,), False, size["count"] - 60)
            urls[f"{name}_{scope}_page_1"] = path + extra
            urls[f"{name}_{scope}_deep"] = f"{path}{extra}&after={deep}"
            urls[f"{name}_{scope}_last"] = f"{path}{extra}&after={oldest}"
    return urls


def _get(size: dict[str, Any], url: str) -> Any:
    if url.startswith("/api/"):
        headers = {"Authorization": f"Bearer {size['token']}"}
        return size["web"].raw.get(url, headers=headers)
    return size["web"].get(url)


def _time(sizes: list[dict[str, Any]], runs: int) -> dict[str, Any]:
    targets = [_targets(size) for size in sizes]
    samples: dict[tuple[str, int], list[float]] = {}
    for size, urls in zip(sizes, targets, strict=True):
        for url in urls.values():
            assert _get(size, url).status_code == 200, url  # noqa: S101 - a broken bench
    gc.collect()
    gc.freeze()  # as gunicorn.conf.py does after loading the app
    for _ in range(runs):
        for index, (size, urls) in enumerate(zip(sizes, targets, strict=True)):
            for name, url in urls.items():
                started = time.perf_counter()
                _get(size, url)
                samples.setdefault((name, index), []).append(time.perf_counter() - started)
    gc.unfreeze()
    figures: dict[str, Any] = {}
    for name in targets[0]:
        small, large = (harness.percentile(samples[(name, i)], 0.95) * 1000 for i in (0, 1))
        figures[name] = {
            "small_p95_ms": round(small, 2),
            "large_p95_ms": round(large, 2),
            "ratio": round(large / small, 2),
            "within_goal": large / small <= GOAL,
        }
    return figures


def run(server: str | None, small: int, large: int, runs: int) -> dict[str, Any]:
    """Both sizes on one kind of database, timed side by side."""
    with tempfile.TemporaryDirectory(prefix="passage-bench-") as directory, ExitStack() as stack:
        sizes = [_prepare(stack, server, Path(directory), n) for n in (small, large)]
        pages = _time(sizes, runs)
    return {
        "seeding_seconds": {str(s["count"]): round(s["seconds"], 1) for s in sizes},
        # The shape run_all.py reads for every list bench: one list, its pages.
        "lists": {"audit_log": pages},
        "all_within_goal": all(page["within_goal"] for page in pages.values()),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000, help="events (default 1000)")
    parser.add_argument("--large", type=int, default=1_000_000, help="events (1000000)")
    parser.add_argument("--runs", type=int, default=100, help="timed requests a page and size")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a PostgreSQL server to measure too; default BENCH_DATABASE_URL",
    )
    args = parser.parse_args(argv)
    if min(args.small, args.runs) < 1 or args.small > args.large:
        parser.error("--small and --runs must be positive, --small at most --large")
    results = {"sqlite": run(None, args.small, args.large, args.runs)}
    if args.database_url:
        results["postgresql"] = run(args.database_url, args.small, args.large, args.runs)
    output = {"benchmark": "audit_log_scale", "parameters": vars(args), "goal": GOAL}
    output["results"] = results
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
