"""Page weight: the largest HTML page Passage sends, against the goal of 60 KB uncompressed.

Run from the project root::

    python -m bench.page_weight [--database-url postgresql+psycopg://user@host/db]

Builds the app on a throwaway SQLite database (or a temporary database on that PostgreSQL
server), fills it with the synthetic data of ``tests/heavy_pages.py`` — every list beyond one
page, 40 partners matching every case, the longest interview — renders every page that data
makes heaviest, as the role that sees most of it, and prints one JSON object. Sizes are bytes
of HTML as sent, before any compression (docs/architecture.md, "Page weight and static
files"); they do not depend on the machine, only on the templates and the data.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from bench import harness
from core import keys
from core.cli import upgrade
from core.clock import FrozenClock
from tests.conftest import START, TEST_CONFIG
from tests.heavy_pages import GOAL_BYTES, Weight, weigh_all
from wsgi import create_app


def weigh(url: str | None) -> list[Weight]:
    """Seed a fresh app and weigh its heavy pages."""
    with tempfile.TemporaryDirectory() as folder, harness.database(url, Path(folder)) as database:
        clock = FrozenClock(START)
        app = create_app(
            {**TEST_CONFIG, "DATABASE_URL": database, "INSTANCE_PATH": f"{folder}/instance"}, clock
        )
        keys.create_missing(app)
        upgrade(app)
        try:
            return weigh_all(app, clock)
        finally:
            app.extensions["passage.engine"].dispose()


def summary(weights: list[Weight]) -> dict[str, Any]:
    """The largest page and every page's size, the interview's steps summed up."""
    largest = max(weights, key=lambda w: w.size)
    steps = [w for w in weights if w.name.startswith("questionnaire step")]
    heaviest_step = max(steps, key=lambda w: w.size)
    return {
        "largest_page_bytes": largest.size,
        "page": largest.name,
        "goal_bytes": GOAL_BYTES,
        "within_goal": largest.size < GOAL_BYTES,
        "pages": {
            w.name: {"bytes": w.size, **({"rows": w.rows} if w.rows is not None else {})}
            for w in sorted(weights, key=lambda w: -w.size)
            if w not in steps
        },
        "questionnaire": {
            "steps": len(steps),
            "largest_step_bytes": heaviest_step.size,
            "largest_step": heaviest_step.name.removeprefix("questionnaire step "),
        },
        "not_ok": [w.name for w in weights if w.status != 200],
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, weigh the pages and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to seed instead of SQLite (a temporary database is "
        "created there and dropped)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with redirect_stdout(sys.stderr):  # the demo statistics say what they load
        weights = weigh(args.database_url)
    output = {
        "benchmark": "page_weight",
        **summary(weights),
        "seconds": round(time.perf_counter() - started, 1),
        "python": platform.python_version(),
    }
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
