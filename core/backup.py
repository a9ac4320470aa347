"""Database backups that restore: one file holding the whole database, wrapped data keys
included, and never a key (docs/operations.md, "Keys and backups").

SQLite is copied with its online backup API, so a backup taken while the service runs is one
consistent moment; PostgreSQL with ``pg_dump`` (custom format, one snapshot) and restored with
``pg_restore`` into ``psql`` in a single transaction. Keys live outside the database
(core/keys.py), so no key can reach the file. Auditing both actions is the caller's part.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess  # noqa: S404 - the PostgreSQL client tools, with argument lists only
import tempfile
from contextlib import closing
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from core import sqlite_files


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why and what to do."""


def engine_name(url: str) -> str:
    """``sqlite`` or ``postgresql``; anything else cannot be backed up here."""
    name = sa.make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def check_new_file(out: Path) -> None:
    """Refuse ``out`` before a backup starts: it must not exist, and its folder must."""
    if out.exists():
        raise BackupError(f"{out} exists: choose a new file name (a backup never overwrites)")
    if not out.parent.is_dir():
        raise BackupError(f"cannot write {out}: there is no folder {out.parent}")


def create(url: str, out: Path) -> None:
    """Write a backup of the database at ``url`` to ``out`` (mode 600), which must not exist."""
    check_new_file(out)
    partial = out.with_name(f".{out.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise BackupError(f"cannot write {out}: {error.strerror}") from error
    try:
        if engine_name(url) == "sqlite":
            _sqlite_create(_sqlite_path(url), partial)
        else:
            _run([_tool("pg_dump"), "--format=custom", f"--file={partial}"], url)
        partial.rename(out)
    finally:
        partial.unlink(missing_ok=True)


def revision(url: str, file: Path) -> str:
    """The schema revision a backup was taken at; raise :class:`BackupError` if ``file`` is
    not a whole backup for this kind of database."""
    if not file.is_file():
        raise BackupError(f"{file} is not a file")
    if engine_name(url) == "sqlite":
        return _sqlite_revision(file)
    _run([_tool("pg_restore"), "--list", str(file)], url, connect=False)
    listing = _run(
        [_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(file)],
        url,
        connect=False,
    )
    found = re.search(r"^COPY \S*alembic_version .*\n(\w+)$", listing, re.MULTILINE)
    if found is None:
        raise BackupError(f"{file} holds no schema revision: not a Passage backup")
    return found.group(1)


def restore(url: str, file: Path) -> None:
    """Replace the whole database at ``url`` with the backup in ``file``, in one transaction."""
    revision(url, file)
    if engine_name(url) == "sqlite":
        target = _sqlite_path(url)
        try:
            sqlite_files.create_private(target)
            with (
                closing(sqlite3.connect(_read_only(file), uri=True)) as source,
                closing(sqlite3.connect(target, timeout=30)) as destination,
            ):
                source.backup(destination)
        except (OSError, sqlite3.Error) as error:
            raise BackupError(f"restore failed, the database is unchanged: {error}") from error
        return
    _pg_restore(url, file)


def _sqlite_path(url: str) -> Path:
    database = sa.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("only an SQLite database in a file can be backed up")
    return Path(database)


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


def _sqlite_create(source_path: Path, partial: Path) -> None:
    if not source_path.is_file():
        raise BackupError(f"there is no database at {source_path}")
    try:
        with (
            closing(sqlite3.connect(source_path, timeout=30)) as source,
            closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)
            # One self-contained file: no -wal beside it to forget.
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"the backup failed: {error}") from error


def _sqlite_revision(file: Path) -> str:
    try:
        with closing(sqlite3.connect(_read_only(file), uri=True)) as backup:
            check = backup.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise BackupError(f"{file} is damaged: {check}")
            row = backup.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{file} is not an SQLite backup of Passage ({error})") from error
    if row is None:
        raise BackupError(f"{file} holds no schema revision: not a Passage backup")
    return str(row[0])


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools of the server's "
            "major version or newer (Debian: apt-get install postgresql-client)"
        )
    return path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    # The password travels in the environment, never on a command line others can list.
    parts = sa.make_url(url)
    environment = dict(os.environ)
    if parts.password:
        environment["PGPASSWORD"] = str(parts.password)
    plain = parts.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _run(command: list[str], url: str, connect: bool = True) -> str:
    target, environment = _libpq(url)
    if connect:
        command = [*command, f"--dbname={target}"]
    done = subprocess.run(  # noqa: S603 - our own argument list, no shell
        command, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")
    return done.stdout


def _pg_restore(url: str, file: Path) -> None:
    target, environment = _libpq(url)
    # Tables of a later schema than the backup's would survive pg_restore --clean and stop
    # the migration that follows: every table goes, in the same transaction as the restore.
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            tables = sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()
    preface = "".join(f"DROP TABLE IF EXISTS {quote(t)} CASCADE;\n" for t in tables)
    with tempfile.TemporaryFile() as dump_log, tempfile.TemporaryFile() as load_log:
        dump = subprocess.Popen(  # noqa: S603 - our own argument list, no shell
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
            + ["--file=-", str(file)],
            stdout=subprocess.PIPE,
            stderr=dump_log,
            env=environment,
        )
        load = subprocess.Popen(  # noqa: S603 - our own argument list, no shell
            [_tool("psql"), "--quiet", "--no-psqlrc", "--single-transaction"]
            + ["--set=ON_ERROR_STOP=1", f"--dbname={target}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=load_log,
            env=environment,
        )
        _pipe(preface.encode(), dump, load)
        failed = [
            f"{name}: {_text(log)}"
            for name, process, log in (("pg_restore", dump, dump_log), ("psql", load, load_log))
            if process.wait() != 0
        ]
    if failed:
        raise BackupError("restore failed, the database is unchanged: " + "; ".join(failed))


def _pipe(preface: bytes, dump: subprocess.Popen[bytes], load: subprocess.Popen[bytes]) -> None:
    if dump.stdout is None or load.stdin is None:
        raise BackupError("pg_restore and psql were started without a pipe between them")
    try:
        with load.stdin:
            load.stdin.write(preface)
            shutil.copyfileobj(dump.stdout, load.stdin)
    except BrokenPipeError:
        pass  # psql stopped at an error, which it wrote to its log
    finally:
        dump.stdout.close()


def _text(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace").strip()
