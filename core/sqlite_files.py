"""The SQLite database file and its companions (-wal, -shm, -journal and the writers' lock
files): made private (mode 0600) whatever the umask, without ever opening an existing one
(docs/security.md, the private instance; docs/architecture.md, "SQLite: one writer at a
time")."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

# -writer and -audit-sealer: lock files of core.sqlite_writer (writers' turns, turn()).
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal", "-writer", "-audit-sealer")


def private_on_connect(path: Path) -> Any:
    """A ``do_connect`` hook making the SQLite file and its companions 0600 whatever the
    umask: the database holds everything Passage knows about people in danger."""

    def before_connect(*_args: Any) -> None:
        if not path.parent.is_dir():
            return  # SQLite will say it cannot open the file
        # Created empty, private, before SQLite creates it with the umask's mode; SQLite
        # gives its -wal, -shm and -journal files the database file's mode, and the writers'
        # lock file is made private when it is made.
        create_private(path)
        for candidate in (path, *(path.with_name(path.name + end) for end in SQLITE_COMPANIONS)):
            if candidate.exists():
                candidate.chmod(0o600)

    return before_connect


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist; an existing file is never
    opened. Closing any descriptor of a file drops every POSIX lock the process holds on it,
    SQLite's included (sqlite.org/howtocorrupt.html, 2.2): opening and closing the database
    while a connection of this process was open let another process think it was the last
    one, checkpoint and delete the write-ahead log under it, and commits made after that
    were seen by no other process (docs/architecture.md, "SQLite: one writer at a time")."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
