"""Shared pieces of the benchmarks that drive a real server (bench/README.md): a throwaway
database, an app to seed it, gunicorn on a free loopback port, and a closed-loop HTTP load
generator that reports requests per second, latency percentiles and failures.

Everything runs on 127.0.0.1 and stops by itself. The machine is shared and noisy: compare the
ratios the scripts print (runs side by side, rounds alternated), never absolute figures.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask

from core import keys
from core.cli import upgrade
from core.clock import FrozenClock
from tests.conftest import TEST_CONFIG
from tests.helpers import throwaway_postgres_database
from wsgi import create_app

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# The service's own rate limits would refuse a benchmark's load: lifted here only.
UNLIMITED = {
    name: "1000000 per minute"
    for name in (
        "API_RATE_LIMIT",
        "LOGIN_RATE_LIMIT",
        "EXPORT_RATE_LIMIT",
        "EXPORT_ADDRESS_RATE_LIMIT",
        "SEARCH_RATE_LIMIT",
        "SEARCH_ADDRESS_RATE_LIMIT",
        "AUDIT_RATE_LIMIT",
        "AUDIT_ADDRESS_RATE_LIMIT",
    )
}

Request = tuple[str, str, Any, dict[str, str]]  # method, path, JSON body or None, headers


@contextmanager
def database(server_url: str | None, folder: Path, name: str = "passage") -> Iterator[str]:
    """An SQLite file in ``folder``, or a temporary database on that PostgreSQL server."""
    if server_url is None:
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    with throwaway_postgres_database(server_url, prefix="passage_bench") as made:
        yield made


def settings_for(url: str, folder: Path, **extra: Any) -> dict[str, Any]:
    """The test configuration on ``url``, rate limits lifted, the audit sealed by the workers."""
    return {
        **TEST_CONFIG,
        **UNLIMITED,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(folder / "instance"),
        "AUDIT_SEALER": os.environ.get("BENCH_AUDIT_SEALER", "thread"),
        **extra,
    }


@contextmanager
def seeded_app(settings: dict[str, Any]) -> Iterator[tuple[Flask, FrozenClock]]:
    """An app on a freshly migrated database with keys of its own instance, and a clock at
    the real time (tokens it issues are valid for the server, which reads the wall clock)."""
    clock = FrozenClock(datetime.now(UTC))
    app = create_app(settings, clock)
    keys.create_missing(app)
    upgrade(app)
    try:
        yield app, clock
    finally:
        app.extensions["passage.engine"].dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(settings: dict[str, Any]) -> dict[str, str]:
    """``settings`` as the PASSAGE_* variables a server process reads."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSAGE_")}
    for name, value in settings.items():
        if name == "INSTANCE_PATH":
            env["PASSAGE_INSTANCE_PATH"] = str(value)
        elif isinstance(value, str):
            env[f"PASSAGE_{name}"] = value
        else:
            env[f"PASSAGE_{name}"] = json.dumps(value)
    return env


@dataclass
class Server:
    """A gunicorn master on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int

    def workers(self) -> list[int]:
        """The pids of the master's worker processes."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


@contextmanager
def gunicorn(
    settings: dict[str, Any], workers: int, app: str = "wsgi:create_app()", **env: str
) -> Iterator[Server]:
    """gunicorn serving ``app`` with ``workers`` workers (preloaded, as in production), until
    the block ends; waits until it answers."""
    port = _free_port()
    command = [GUNICORN, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--preload"]
    command += ["--graceful-timeout", "5", "--log-level", "warning", app]
    process = subprocess.Popen(  # noqa: S603 - our own virtual environment's gunicorn
        command, cwd=ROOT, env={**environment(settings), **env}, stderr=subprocess.DEVNULL
    )
    server = Server(process, port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        while len(server.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Tally:
    """What one load run saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1


def call(connection: http.client.HTTPConnection, request: Request) -> tuple[int, bytes]:
    """One request on a kept-alive connection: status and body."""
    method, path, body, headers = request
    payload = None if body is None else json.dumps(body).encode()
    sent = {**headers, **({"Content-Type": "application/json"} if payload else {})}
    connection.request(method, path, body=payload, headers=sent)
    response = connection.getresponse()
    return response.status, response.read()


def load(
    port: int, next_request: Callable[[int], Request], seconds: float, clients: int
) -> dict[str, Any]:
    """``clients`` connections each sending ``next_request(client)`` back to back for
    ``seconds``; requests per second, latency percentiles (ms) and statuses."""
    tally, stop = Tally(), time.monotonic() + seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                status, _ = call(connection, next_request(number))
            except (OSError, http.client.HTTPException) as error:
                with tally.lock:
                    tally.failures.append(type(error).__name__)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            tally.add(status, time.perf_counter() - started)
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began, cpu = time.monotonic(), cpu_times()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {**summary(tally, elapsed), "machine_busy_share": busy_share(cpu, cpu_times())}


def cpu_times() -> tuple[int, int] | None:
    """The whole machine's CPU time so far and the idle part of it (Linux's /proc/stat, in
    clock ticks over all cores); None elsewhere."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(t) for t in stat.readline().split()[1:]]
    except OSError:
        return None
    return sum(ticks), ticks[3] + ticks[4]  # idle and waiting for I/O


def busy_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """How busy all the machine's cores were between two :func:`cpu_times` (0 to 1): a run
    at 1 had no spare core, whatever else held it up."""
    if before is None or after is None or after[0] == before[0]:
        return None
    return round(1 - (after[1] - before[1]) / (after[0] - before[0]), 2)


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(tally: Tally, elapsed: float) -> dict[str, Any]:
    """A load run as figures."""
    done = len(tally.latencies)
    return {
        "requests": done,
        "requests_per_second": round(done / elapsed, 1) if elapsed else None,
        "p50_ms": round(percentile(tally.latencies, 0.5) * 1000, 2) if done else None,
        "p95_ms": round(percentile(tally.latencies, 0.95) * 1000, 2) if done else None,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "connection_failures": len(tally.failures),
    }


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
