"""Screening submissions against a bare insert (issue 14, goal: a ratio of at least 0.4).

Run from the project root::

    python -m bench.submission_ratio [--seconds 5] [--rounds 3] [--clients 4]
                                     [--database-url postgresql+psycopg://user@host/db]

Serves Passage (``gunicorn -w 2 --preload``) and the bare app of ``bench/bare_app.py`` side by
side on loopback, each on a database of its own, and alternates rounds: the bare app storing
the JSON body of a complete screening, then Passage taking the same body at
``POST /api/v1/screenings`` (scored, sealed, audited, a case opened). Prints one JSON object:
requests per second of each round and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from access import tokens
from access.services import get_user
from bench import harness
from core import db
from tests.helpers import create_account
from tests.screening.payloads import body

GOAL = 0.4


def _token(settings: dict[str, Any]) -> str:
    with harness.seeded_app(settings) as (app, clock):
        account = create_account(app, clock, "screener")
        with app.app_context():
            store = db.session()
            user = get_user(store, account.id)
            _row, token = tokens.issue_token(store, user, clock.now(), 1)
            store.commit()
    return token


def run(server_url: str | None, seconds: float, rounds: int, clients: int) -> dict[str, Any]:
    """Alternate bare and Passage rounds on one kind of database; the figures."""
    payload = body()
    with tempfile.TemporaryDirectory(prefix="passage-bench-") as directory:
        folder = Path(directory)
        with (
            harness.database(server_url, folder, "passage") as passage_url,
            harness.database(server_url, folder, "bare") as bare_url,
        ):
            settings = harness.settings_for(passage_url, folder)
            headers = {"Authorization": f"Bearer {_token(settings)}"}
            screening = ("POST", "/api/v1/screenings", payload, headers)
            item = ("POST", "/items", payload, {})
            with (
                harness.gunicorn(settings, 2) as passage,
                harness.gunicorn(
                    settings, 2, "bench.bare_app:create_app()", BARE_DATABASE_URL=bare_url
                ) as bare,
            ):
                harness.load(bare.port, lambda _n: item, 1, clients)  # warm both up
                harness.load(passage.port, lambda _n: screening, 1, clients)
                runs: dict[str, list[dict[str, Any]]] = {"bare": [], "passage": []}
                for _ in range(rounds):
                    runs["bare"].append(harness.load(bare.port, lambda _n: item, seconds, clients))
                    runs["passage"].append(
                        harness.load(passage.port, lambda _n: screening, seconds, clients)
                    )
    rates = {name: [r["requests_per_second"] for r in found] for name, found in runs.items()}
    bare_rate, passage_rate = harness.median(rates["bare"]), harness.median(rates["passage"])
    return {
        "bare_requests_per_second": bare_rate,
        "submissions_per_second": passage_rate,
        "submission_over_bare_insert": round(passage_rate / bare_rate, 3),
        "goal": GOAL,
        "rounds": runs,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run on SQLite (and PostgreSQL if asked) and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="length of a round (5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each (3)")
    parser.add_argument("--clients", type=int, default=4, help="connections at once (4)")
    parser.add_argument("--database-url", help="a PostgreSQL server to measure on as well")
    args = parser.parse_args(argv)
    results = {"sqlite": run(None, args.seconds, args.rounds, args.clients)}
    if args.database_url:
        results["postgresql"] = run(args.database_url, args.seconds, args.rounds, args.clients)
    output = {"benchmark": "submission_ratio", "parameters": vars(args), "results": results}
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
