"""SQLite connections that take turns for the write lock through a lock file, each waking
within a millisecond of its release (docs/architecture.md, Transactions).

Every Passage transaction on SQLite begins ``IMMEDIATE``, taking the database's one write
lock. A connection that finds it taken waits in SQLite's busy handler, which polls: it sleeps
1, 2, 5, 10… milliseconds between tries, so with two workers writing the waiting one often
sleeps on after the lock is free while the other takes it again. Here each connection first
takes an exclusive ``flock`` on a file beside the database (``<database>-writer``, private like
the database) before its ``BEGIN IMMEDIATE`` and gives it back right after its ``COMMIT`` or
``ROLLBACK``: a waiting writer tries again within a millisecond of the lock being freed, and
gives up with SQLite's own "database is locked" after the same timeout. The kernel drops the
lock of a process that dies, SIGKILL included, so a crashed worker never blocks the others;
SQLite's own lock and busy timeout stay underneath, for any other program that opens the
file.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MAX_PAUSE = 0.001  # seconds between two tries at most: SQLite's own handler goes to 0.1


class QueuedConnection(sqlite3.Connection):
    """An SQLite connection whose write transactions take turns through ``flock``."""

    lock_path: str | None = None  # set by :func:`factory`; None for a database in memory
    _fd: int | None = None
    _held = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As long as SQLite's own busy timeout (``sqlite3.connect``'s ``timeout``).
        self.patience = float(kwargs.get("timeout", 5.0))

    def begin_immediate(self) -> None:
        """Queue for the write lock, then begin the transaction holding it."""
        if self.lock_path is not None and not self._held:
            if self._fd is None:
                self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._take(self._fd)
            self._held = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _take(self, fd: int) -> None:
        if not _lock(fd, self.patience):
            raise sqlite3.OperationalError("database is locked")

    def _release(self) -> None:
        if self._held and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._held = False


def _lock(fd: int, wait: float) -> bool:
    """Take ``fd``'s exclusive ``flock`` within ``wait`` seconds; whether it was taken.

    Tries a few times a millisecond rather than blocking in flock(): a wait must end, like
    SQLite's with "database is locked" (a connection of the same thread holding the lock
    would otherwise wait for ever), and flock() takes no timeout."""
    deadline, pause = time.monotonic() + wait, 0.00005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)


@contextmanager
def turn(lock_path: str, wait: float = 0.0) -> Iterator[bool]:
    """Whether this process has ``lock_path``'s exclusive turn for the block: True when
    nobody else held it, or let it go within ``wait`` seconds; False otherwise. Like the
    writers' lock, the kernel ends the turn of a process that dies."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _lock(fd, wait):
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def factory(database: str | None) -> Any:
    """The ``factory`` argument of ``sqlite3.connect`` for ``database`` (a file path, or
    None for a database in memory, which no other process can open)."""

    class Connection(QueuedConnection):
        lock_path = f"{database}-writer" if database else None

    return Connection
