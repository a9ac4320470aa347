"""SQLite writers take turns for the write lock through a lock file (core/sqlite_writer.py,
docs/architecture.md "SQLite: one writer at a time"): a second writer waits while the first
holds its transaction and goes on once it commits or rolls back, the lock file is held exactly
that long, a writer killed while holding it does not block the others, and a wait ends."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from core import db, sqlite_writer

HOLDER = """
import sys, time
import pytest
import sqlalchemy as sa
from core import db, sqlite_writer
engine = db.create_engine(sys.argv[1])
connection = engine.connect()
connection.begin()
connection.execute(sa.text("INSERT INTO marks (who) VALUES ('killed')"))
print("holding", flush=True)
time.sleep(600)
"""


def _engine(path: Path) -> sa.Engine:
    return db.create_engine(f"sqlite:///{path}")


def _table(path: Path) -> None:
    engine = _engine(path)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE marks (who TEXT)"))
    engine.dispose()


def _marks(path: Path) -> list[str]:
    engine = _engine(path)
    with engine.connect() as connection:
        found = [row[0] for row in connection.execute(sa.text("SELECT who FROM marks"))]
    engine.dispose()
    return found


def _second_writer(path: Path, done: threading.Event) -> threading.Thread:
    def write() -> None:
        engine = _engine(path)
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO marks (who) VALUES ('second')"))
        engine.dispose()
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("end", "kept"), [("commit", ["first", "second"]), ("rollback", ["second"])]
)
def test_a_second_writer_waits_for_the_first_to_end(
    tmp_path: Path, end: str, kept: list[str]
) -> None:
    path = tmp_path / "queue.sqlite3"
    _table(path)
    first = _engine(path)
    done = threading.Event()
    with first.connect() as connection:
        connection.begin()
        connection.execute(sa.text("INSERT INTO marks (who) VALUES ('first')"))
        second = _second_writer(path, done)
        assert not done.wait(0.5)  # still queued behind the open transaction
        getattr(connection, end)()
    second.join(timeout=30)
    first.dispose()
    assert done.is_set()
    assert _marks(path) == kept


def _lock_is_free(path: Path) -> bool:
    descriptor = os.open(f"{path}-writer", os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # closing drops the probe's own lock
    return True


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_queue_is_held_from_begin_to_the_end_of_the_transaction(
    tmp_path: Path, end: str
) -> None:
    path = tmp_path / "queue.sqlite3"
    _table(path)
    engine = _engine(path)
    with engine.connect() as connection:
        assert _lock_is_free(path)
        connection.begin()
        assert not _lock_is_free(path)
        connection.execute(sa.text("INSERT INTO marks (who) VALUES ('one')"))
        getattr(connection, end)()
        assert _lock_is_free(path)
    engine.dispose()


def test_a_writer_killed_holding_the_lock_does_not_block_the_others(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    _table(path)
    holder = subprocess.Popen(  # noqa: S603 - this interpreter, a script of this test
        [sys.executable, "-c", HOLDER, f"sqlite:///{path}"],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        done = threading.Event()
        second = _second_writer(path, done)
        assert not done.wait(0.5)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        second.join(timeout=30)
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert done.is_set()
    assert _marks(path) == ["second"]  # the killed writer's row went with it


def test_a_writer_that_cannot_get_the_lock_gives_up_as_sqlite_would(tmp_path: Path) -> None:
    # Two connections of one thread: waiting for ever would hang the thread for good.
    path = tmp_path / "queue.sqlite3"
    _table(path)
    queued = sqlite_writer.factory(str(path))
    first = sqlite3.connect(path, timeout=0.2, factory=queued, isolation_level=None)
    second = sqlite3.connect(path, timeout=0.2, factory=queued, isolation_level=None)
    try:
        first.begin_immediate()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            second.begin_immediate()
        first.rollback()
        second.begin_immediate()  # free again: the refused writer holds nothing
        second.rollback()
    finally:
        first.close()
        second.close()


LAST_ONE_OUT = """
import sqlite3, sys
other = sqlite3.connect(sys.argv[1], isolation_level=None)
other.execute("INSERT INTO marks (who) VALUES ('other process')")
other.close()  # the last connection to close checkpoints and deletes the -wal and -shm
"""
READ_MARKS = """
import sqlite3, sys
for (who,) in sqlite3.connect(sys.argv[1]).execute("SELECT who FROM marks ORDER BY rowid"):
    print(who.replace(" ", "-"))
"""


def test_a_new_connection_keeps_the_locks_of_the_open_ones(tmp_path: Path) -> None:
    # Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
    # included (sqlite.org/howtocorrupt.html, 2.2). Opening the database file to make it
    # private on each new connection dropped the shared lock of the connections already open,
    # so another process closing its own connection believed it was the last, checkpointed
    # and deleted the write-ahead log under them: their later writes were lost and the server
    # read "database disk image is malformed".
    path = tmp_path / "p.sqlite3"
    _table(path)
    engine = _engine(path)
    first = engine.connect()
    first.execute(sa.text("INSERT INTO marks (who) VALUES ('first')"))
    first.commit()
    engine.connect().close()  # a second connection of this process: the pool opens one
    other = [sys.executable, "-c", LAST_ONE_OUT, str(path)]
    subprocess.run(other, check=True, timeout=60)  # noqa: S603 - this interpreter, our script

    assert path.with_name(path.name + "-wal").exists()
    first.execute(sa.text("INSERT INTO marks (who) VALUES ('first again')"))
    first.commit()
    reader = [sys.executable, "-c", READ_MARKS, str(path)]
    seen = subprocess.run(reader, check=True, timeout=60, capture_output=True)  # noqa: S603
    assert seen.stdout.split() == [b"first", b"other-process", b"first-again"]
    first.close()
    engine.dispose()
    with closing(sqlite3.connect(path)) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert check.execute("SELECT who FROM marks ORDER BY rowid").fetchall() == [
            ("first",),
            ("other process",),
            ("first again",),
        ]
