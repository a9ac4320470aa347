"""Audited reads as clients are added (issue 14, goal: four clients at least twice one).

Run from the project root::

    python -m bench.audited_reads [--seconds 5] [--database-url postgresql+psycopg://…]

Serves Passage with ``gunicorn -w 4 --preload``, opens a few cases through the API, then reads
them (``GET /api/v1/cases/{id}``: a read of personal data, so every request writes audit
events) with one client and then with four, alternating for the rounds asked. Before the
audit chain was sealed apart from requests, one chain-head lock held to each commit made four
clients no faster than one on PostgreSQL. Prints one JSON object per database; the goal is
meant for PostgreSQL (SQLite serialises every writer anyway).
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import harness
from bench.submission_ratio import _token
from tests.screening.payloads import body

GOAL = 2.0
CASES = 8


def run(server_url: str | None, seconds: float, rounds: int) -> dict[str, Any]:
    """One client, then four, for ``rounds`` rounds; the figures."""
    with tempfile.TemporaryDirectory(prefix="passage-bench-") as directory:
        folder = Path(directory)
        with harness.database(server_url, folder) as url:
            settings = harness.settings_for(url, folder)
            headers = {"Authorization": f"Bearer {_token(settings)}"}
            with harness.gunicorn(settings, 4) as server:
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                cases = []
                for number in range(CASES):
                    subject = {**body()["subject"], "given_name": f"Canaryreader{number}"}
                    request = ("POST", "/api/v1/screenings", body(subject=subject), headers)
                    _status, answer = harness.call(connection, request)
                    cases.append(json.loads(answer)["case_id"])
                connection.close()

                def read(client: int) -> harness.Request:
                    return ("GET", f"/api/v1/cases/{cases[client % CASES]}", None, headers)

                harness.load(server.port, read, 1, 4)  # warm every worker up
                runs: dict[str, list[dict[str, Any]]] = {"one": [], "four": []}
                for _ in range(rounds):
                    runs["one"].append(harness.load(server.port, read, seconds, 1))
                    runs["four"].append(harness.load(server.port, read, seconds, 4))
    one = harness.median([r["requests_per_second"] for r in runs["one"]])
    four = harness.median([r["requests_per_second"] for r in runs["four"]])

    def busy(measured: list[dict[str, Any]]) -> float | None:
        shares = [r["machine_busy_share"] for r in measured]
        return harness.median(shares) if None not in shares else None

    return {
        "reads_per_second_one_client": one,
        "reads_per_second_four_clients": four,
        "four_over_one": round(four / one, 2),
        # What one client leaves idle is what four can add: once four keep every core
        # busy, more clients cannot raise the ratio, only a cheaper request can.
        "machine_busy_one_client": busy(runs["one"]),
        "machine_busy_four_clients": busy(runs["four"]),
        "goal": GOAL,
        "rounds": runs,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="length of a round (5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each (3)")
    parser.add_argument("--database-url", help="a PostgreSQL server to measure on as well")
    args = parser.parse_args(argv)
    results = {"sqlite": run(None, args.seconds, args.rounds)}
    if args.database_url:
        results["postgresql"] = run(args.database_url, args.seconds, args.rounds)
    output = {"benchmark": "audited_reads", "parameters": vars(args), "results": results}
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
