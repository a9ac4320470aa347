"""SQLite connections that queue for the write lock in the kernel (docs/architecture.md,
Transactions).

Every Passage transaction on SQLite begins ``IMMEDIATE``, taking the database's one write
lock. A connection that finds it taken waits in SQLite's busy handler, which polls: it sleeps
1, 2, 5, 10… milliseconds between tries, so with two workers writing the waiting one often
sleeps on after the lock is free while the other takes it again. Here each connection first
takes an exclusive ``flock`` on a file beside the database (``<database>-writer``, private like
the database) before its ``BEGIN IMMEDIATE`` and gives it back right after its ``COMMIT`` or
``ROLLBACK``: waiting writers sleep in the kernel and the next one wakes as the lock is
released. The kernel drops the lock of a process that dies, SIGKILL included, so a crashed
worker never blocks the others; SQLite's own lock and busy timeout stay underneath, for any
other program that opens the file.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from typing import Any


class QueuedConnection(sqlite3.Connection):
    """An SQLite connection whose write transactions take turns through ``flock``."""

    lock_path: str | None = None  # set by :func:`factory`; None for a database in memory
    _fd: int | None = None
    _held = False

    def begin_immediate(self) -> None:
        """Queue for the write lock, then begin the transaction holding it."""
        if self.lock_path is not None and not self._held:
            if self._fd is None:
                self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
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

    def _release(self) -> None:
        if self._held and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._held = False


def factory(database: str | None) -> Any:
    """The ``factory`` argument of ``sqlite3.connect`` for ``database`` (a file path, or
    None for a database in memory, which no other process can open)."""

    class Connection(QueuedConnection):
        lock_path = f"{database}-writer" if database else None

    return Connection
