"""Database plumbing: the declarative ``Base``, UTC timestamps, the engine, a session per request.

Views and CLI commands get their session from :func:`session`; services take it as an
argument and never commit. The request's transaction is committed by the view that
changed something; whatever is left uncommitted when the response goes out is rolled back,
and a response that would go out with an access's audit event uncommitted is refused
(:func:`must_commit`, docs/architecture.md "Transactions").
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, make_transient, sessionmaker

from core import direct_insert, settings, sqlite_files, sqlite_writer

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every Passage model, with a constraint naming convention."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always read back as an aware UTC datetime.

    SQLite has no time zones; storing naive UTC everywhere keeps both databases alike.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def new_id() -> uuid.UUID:
    """Return a fresh random identifier for a row (opaque in URLs, unguessable)."""
    return uuid.uuid4()


def create_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings Passage needs on each database."""
    if url.startswith("sqlite"):
        named = sa.make_url(url).database or ""
        database = named if named != ":memory:" and not named.startswith("file:") else None
        queued = sqlite_writer.factory(database)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "factory": queued})
        if database:
            event.listen(engine, "do_connect", sqlite_files.private_on_connect(Path(database)))
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _refuse_writes)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is switched off so that BEGIN is ours (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


READS_ONLY = "passage_reads_only"  # an execution option: see reading()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at the start, so two writers queue instead of
    # failing half-way with "database is locked" when one upgrades a read lock; they take
    # turns through core.sqlite_writer, not SQLite's polling busy handler. A reader's plain
    # BEGIN takes no write lock at all.
    dbapi = connection.connection.dbapi_connection
    if connection.get_execution_options().get(READS_ONLY):
        dbapi.execute("BEGIN")
    else:
        dbapi.begin_immediate()


READ_STATEMENTS = ("SELECT", "WITH", "PRAGMA", "EXPLAIN")


def _refuse_writes(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    # A write in a transaction begun without the write lock would take it late, and fail
    # with "database is locked" whenever another writer committed since the transaction's
    # first read: refused here every time instead, so a test finds it.
    read_only = connection.get_execution_options().get(READS_ONLY)
    if read_only and not statement.lstrip()[:7].upper().startswith(READ_STATEMENTS):
        raise RuntimeError("a write in a read-only transaction")


@contextmanager
def turn(store: Session, name: str, wait: float = 0.0) -> Iterator[bool]:
    """Whether this process has the turn at the work called ``name`` (``audit-sealer``) for
    the block, no other worker or machine doing it meanwhile: True when nobody else had it
    or let it go within ``wait`` seconds, False otherwise. A lock file beside an SQLite
    database (:func:`core.sqlite_writer.turn`); a session-level advisory lock on PostgreSQL,
    held on a connection of its own. Either ends with a process that dies."""
    bind = store.get_bind()
    if not isinstance(bind, Engine):
        raise TypeError("a turn is taken on a session bound to an engine")
    if bind.dialect.name == "sqlite":
        database = bind.url.database
        if not database or database == ":memory:":
            yield True  # no other process can open it
            return
        with sqlite_writer.turn(f"{database}-{name}", wait) as mine:
            yield mine
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    deadline = time.monotonic() + wait
    while True:
        # A connection is held only while trying and while the turn is ours: waiters
        # holding one each could leave the holder none for its own work.
        # In autocommit: no transaction stays open while the turn is held.
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if connection.scalar(sa.select(sa.func.pg_try_advisory_lock(key))):
                try:
                    yield True
                finally:
                    try:
                        connection.scalar(sa.select(sa.func.pg_advisory_unlock(key)))
                    except Exception:
                        # Never back into the pool still holding the turn: closing the
                        # database session is the other way to end it.
                        connection.invalidate()
                        raise
                return
        if time.monotonic() >= deadline:
            yield False
            return
        time.sleep(0.01)


@contextmanager
def reading(store: Session) -> Iterator[Session]:
    """A session of its own, on ``store``'s database, for a long read such as ``audit
    verify``'s walk: one consistent view, and on SQLite a plain ``BEGIN`` that takes no write
    lock, so every writer goes on meanwhile (docs/architecture.md, Transactions). Nothing may
    be written through it; it is rolled back at the end."""
    reader = Session(bind=store.get_bind(), expire_on_commit=False)
    try:
        reader.connection(execution_options={READS_ONLY: True})
        yield reader
    finally:
        reader.rollback()
        reader.close()


def begin_reads(store: Session) -> None:
    """On SQLite, begin ``store``'s transaction with a plain ``BEGIN``, which takes no write
    lock, for reads that should not make writers wait (the sealer's batch, a token check);
    a write inside it fails loudly (:func:`_refuse_writes`). On PostgreSQL, which locks
    rows, nothing changes."""
    if store.get_bind().dialect.name == "sqlite" and not store.in_transaction():
        store.connection(execution_options={READS_ONLY: True})


def begin_sign_in_reads(store: Session) -> None:
    """On SQLite, begin the transaction that checks a bearer token with a plain ``BEGIN``,
    which takes no write lock: checking the token and the access rule only reads, and
    :func:`end_sign_in_reads` commits it before the view starts. Whatever a refusal writes
    comes after a rollback, in a transaction of its own; a write inside this one fails
    loudly (:func:`_refuse_writes`) rather than rarely, when another writer came between.
    On PostgreSQL nothing changes: the request keeps one transaction."""
    begin_reads(store)


def end_sign_in_reads(store: Session) -> None:
    """Commit what checking the caller took (a token, a session), on SQLite only: there
    every transaction holds the database's one write lock from its ``BEGIN IMMEDIATE``, and
    holding it while a view parses and works out what to write would make the workers take
    turns for the whole request. The view's own statements begin a new transaction. On
    PostgreSQL, which locks rows, the request keeps one transaction (docs/architecture.md,
    Transactions)."""
    if store.get_bind().dialect.name == "sqlite" and store.in_transaction():
        store.commit()


def init_app(app: Flask) -> None:
    """Create the engine for the app's ``DATABASE_URL`` and tie a session to each request."""
    engine = create_engine(settings.of(app).database_url)
    app.extensions["passage.engine"] = engine
    app.extensions["passage.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    factory = app.extensions["passage.sessionmaker"]
    event.listen(factory, "after_commit", _forget_mark)
    event.listen(factory, "after_rollback", _forget_mark)
    app.after_request(_rollback_uncommitted)
    app.teardown_appcontext(_close_session)


def insert(store: Session, model: Any) -> Any:
    """An INSERT into ``model`` in the dialect of ``store``'s database (PostgreSQL or
    SQLite), which can say ``ON CONFLICT``: counters then change in one statement that
    concurrent workers cannot interleave."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[store.get_bind().dialect.name]
    return dialect.insert(model)


KEPT = "passage.kept"
INSERTED = "passage.inserted"  # in a session's info: the rows its transaction inserted
DIRECT = "passage.direct"  # those of them core.direct_insert wrote
T = TypeVar("T")


def keep(store: Session, row: T) -> T:
    """Keep ``row`` alive for as long as ``store``: the session's identity map holds rows
    weakly, so a row nobody holds would be read from the database again by the next
    ``get`` of the same request."""
    store.info.setdefault(KEPT, {})[id(row)] = row
    return row


def created_here(store: Session, row: Any) -> bool:
    """Whether ``store``'s open transaction created ``row``: nobody else can see it yet."""
    return row in store.new or id(row) in store.info.get(INSERTED, {})


def pending(store: Session, model: type[T], **values: Any) -> T | None:
    """The row of ``model`` with these ``values`` that this session is about to insert, if
    any. A query would find it only by flushing every pending row first, starting the
    transaction (on SQLite, taking the write lock) long before the commit needs it."""
    for row in store.new:
        if isinstance(row, model) and all(getattr(row, k) == v for k, v in values.items()):
            return row
    return None


def get(store: Session, model: type[T], row_id: Any) -> T | None:
    """``store.get``, a row this session is about to insert included, found without the
    flush that ``store.get`` would start for it (see :func:`pending`)."""
    return pending(store, model, id=row_id) or store.get(model, row_id)


def lock(store: Session, row: Any) -> None:
    """Read ``row`` again holding its lock (``FOR UPDATE``) to the end of the transaction, so
    that two requests changing it at once take turns; a row this transaction created needs
    neither (and costs no statement)."""
    if not created_here(store, row):
        store.refresh(row, with_for_update=True)


@event.listens_for(Session, "after_flush")
def _note_inserted(store: Session, _context: Any) -> None:
    store.info.setdefault(INSERTED, {}).update((id(row), row) for row in store.new)


@event.listens_for(Session, "before_commit")
def _insert_new_rows(store: Session) -> None:
    # Registered before any other module's (access.audit writes its queue after the rows
    # whose access it records): core.direct_insert.
    inserted = direct_insert.write(store)
    store.info.setdefault(INSERTED, {}).update((id(row), row) for row in inserted)
    store.info.setdefault(DIRECT, []).extend(inserted)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_inserted(store: Session, *_: Any) -> None:
    store.info.pop(INSERTED, None)
    store.info.pop(DIRECT, None)


@event.listens_for(Session, "after_rollback")
def _drop_inserted(store: Session) -> None:
    # Rows of a transaction that did not commit are not in the database: they leave the
    # session as new objects never saved, values kept, as the unit of work leaves the rows
    # it flushed (core.direct_insert joined its rows to the session as if they were stored).
    # Done before the session expires what it holds, which would clear their values.
    for row in store.info.pop(DIRECT, []):
        if row in store:
            store.expunge(row)
        make_transient(row)


def engine() -> Engine:
    """The current app's engine."""
    engine: Engine = current_app.extensions["passage.engine"]
    return engine


def session() -> Session:
    """The database session of the current request or CLI command, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["passage.sessionmaker"]()
    store: Session = g.db_session
    return store


def rowcount(result: sa.Result[*tuple[Any, ...]]) -> int:
    """How many rows the UPDATE or DELETE that gave ``result`` matched. ``Session.execute`` is
    typed as returning a ``Result``; for these statements it is a ``CursorResult``."""
    if not isinstance(result, sa.CursorResult):
        raise TypeError("only an UPDATE or DELETE counts the rows it matched")
    return result.rowcount


# Session.info key: why the open transaction may not be dropped on a response's way out.
MUST_COMMIT = "passage.must_commit"


class UncommittedAccess(RuntimeError):
    """A view answered while its session held a write it may not answer without (an audit
    event of the access it served). The response is refused: a 500, nothing of it sent."""


def must_commit(store: Session, what: str) -> None:
    """Mark ``store``'s transaction as holding ``what`` (an audit event), which the request
    must commit before it answers: a view that forgets is refused, so a page is never
    served without the record of the access it shows (docs/security.md R44)."""
    store.info[MUST_COMMIT] = what


def discard() -> None:
    """Roll back the request's session, if it has one (error pages, refusals)."""
    if "db_session" in g:
        g.db_session.rollback()


def _forget_mark(store: Session, *_args: Any) -> None:
    store.info.pop(MUST_COMMIT, None)


def _rollback_uncommitted(response: Any) -> Any:
    # Views commit what they mean to keep; anything else (a half-done change before an
    # error) must not be committed by the session store that saves after us.
    if "db_session" not in g:
        return response
    forgotten = g.db_session.info.get(MUST_COMMIT)
    g.db_session.rollback()
    if forgotten:
        # Raised here, the error handler answers 500 instead of the view's response.
        raise UncommittedAccess(f"{request.endpoint} answered without committing {forgotten}")
    return response


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
