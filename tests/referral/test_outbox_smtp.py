"""``notices send`` against a real SMTP server on 127.0.0.1 (aiosmtpd, ``smtp_sink``), counting
each e-mail by its Message-ID: every notice arrives exactly once when the server goes away
mid-run and comes back; a send cut off after its data stays unknown rather than arrive twice;
the relay's refusals are told apart; two senders at once never send the same e-mail; and
``--watch`` keeps sending until SIGTERM, then exits cleanly. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from core import db, mail, settings
from core.clock import FrozenClock
from referral import outbox
from referral.models import OutboxMessage
from tests.conftest import TEST_CONFIG
from tests.referral.smtp_sink import Sink, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sink() -> Iterator[Sink]:
    """A running SMTP server on a free port of 127.0.0.1, stopped after the test."""
    server = Sink(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app: Callable[..., Flask], sink: Sink) -> Flask:
    """The app sending through ``sink``, in plain SMTP as a local relay would take it."""
    return make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False)


def send(app: Flask) -> Result:
    return app.test_cli_runner().invoke(args=["notices", "send"])


def rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session().scalars(sa.select(OutboxMessage)))


def expected(app: Flask) -> Counter[str]:
    """Each outbox row's Message-ID, once."""
    return Counter(f"<{row.id}@127.0.0.1>" for row in rows(app))


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_every_notice_arrives_exactly_once_when_the_server_goes_away_mid_run(
    app: Flask,
    sink: Sink,
    queue_notices: Callable[..., None],
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue_notices(10)
    real = mail.deliver

    def deliver_then_stop_after_three(config: Any, message: mail.Message) -> mail.Delivery:
        delivery = real(config, message)
        if len(sink.received) == 3:
            sink.stop()  # between two sends of the same run
        return delivery

    monkeypatch.setattr(mail, "deliver", deliver_then_stop_after_three)
    first = send(app)
    assert first.exit_code == 1
    assert "3 sent, 1 retry, 0 dead, 0 unknown" in first.output
    down = send(app)  # still down: one more e-mail fails, and the run stops again
    assert "0 sent, 1 retry, 0 dead, 0 unknown" in down.output
    assert sum(sink.counts.values()) == 3
    sink.start()
    assert send(app).output == "5 sent, 0 retry, 0 dead, 0 unknown\n"  # two wait their turn
    clock.advance(seconds=60)
    assert send(app).output == "2 sent, 0 retry, 0 dead, 0 unknown\n"
    assert sink.counts == expected(app)
    assert len(sink.counts) == 10
    assert {row.state for row in rows(app)} == {"sent"}


def test_a_send_cut_off_after_its_data_stays_unknown_rather_than_arrive_twice(
    app: Flask, sink: Sink, queue_notices: Callable[..., None], clock: FrozenClock
) -> None:
    queue_notices(1)
    sink.hang_up = True
    assert send(app).output == "0 sent, 0 retry, 0 dead, 1 unknown\n"
    sink.hang_up = False
    clock.advance(days=1)
    assert send(app).output == "0 sent, 0 retry, 0 dead, 0 unknown\n"
    # It did arrive: trying again by itself would have made two.
    assert sink.counts == expected(app)
    assert [row.state for row in rows(app)] == ["unknown"]


@pytest.mark.parametrize(
    ("reply", "state"),
    [("550 5.1.1 no such mailbox", "dead"), ("451 4.3.0 try again later", "pending")],
)
def test_a_recipient_refused_for_good_is_dead_and_for_now_is_tried_again(
    app: Flask, sink: Sink, queue_notices: Callable[..., None], reply: str, state: str
) -> None:
    queue_notices(1)
    sink.rcpt_reply = reply
    send(app)
    [row] = rows(app)
    assert (row.state, row.attempts) == (state, 1)
    assert row.last_error == f"SMTP {reply[:3]} for the recipient"  # the code, not the text
    assert sink.received == []


def test_two_senders_at_once_never_send_the_same_e_mail(
    app: Flask, sink: Sink, queue_notices: Callable[..., None], clock: FrozenClock
) -> None:
    queue_notices(24)
    sink.delay = 0.01  # each send takes a little while, so the two senders overlap
    start = threading.Barrier(2)

    def sender() -> dict[str, int]:
        with app.app_context():  # a session and a connection of its own
            start.wait(timeout=30)
            return outbox.send_due(db.session(), settings.of(app), clock.now)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [
            future.result(timeout=120) for future in [pool.submit(sender), pool.submit(sender)]
        ]
    assert sum(result["sent"] for result in results) == 24
    assert sink.counts == expected(app)
    assert {(row.state, row.attempts) for row in rows(app)} == {("sent", 1)}


def test_watch_keeps_sending_until_sigterm_and_then_exits_cleanly(
    app: Flask, sink: Sink, queue_notices: Callable[..., None], database_url: str
) -> None:
    queue_notices(1)
    environment = {
        **os.environ,
        "PASSAGE_ENV": "testing",
        "PASSAGE_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
        "PASSAGE_DATABASE_URL": database_url,
        "PASSAGE_INSTANCE_PATH": app.instance_path,
        "PASSAGE_MAIL_SERVER": "127.0.0.1",
        "PASSAGE_MAIL_PORT": str(sink.port),
        "PASSAGE_MAIL_USE_TLS": "false",
    }
    watcher = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "notices",
            "send",
            "--watch",
            "--interval",
            "0.2",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: len(sink.received) == 1)
        queue_notices(1)  # while it watches
        wait_for(lambda: len(sink.received) == 2)
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    assert watcher.returncode == 0, err
    assert out.splitlines()[-1] == "stopped"
    assert sink.counts == expected(app)
    assert {row.state for row in rows(app)} == {"sent"}
