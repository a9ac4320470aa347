"""The tamper-evident audit log as the rest of Passage uses it: recording events, reading
them back for auditors and exports, and running a verification (docs/security.md, Audit
trail). The chain itself (MACs, sealing, checkpoints) is in ``access.audit_chain``, and its
verifier in ``access.audit_verify``.

An event is written in the same transaction as the change or read it records, so an access
that cannot be audited fails with it; it is written unsealed, with no lock, and a sealer
(``access.audit_sealer``) chains it within ``AUDIT_SEAL_MAX_DELAY`` seconds of its commit.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from access import audit_chain, audit_verify
from access.models import AuditEvent
from core import clock, db, keys, keyset, settings
from core.paging import Page

OUTCOMES = ("allowed", "denied", "failed")
# Set on a session that added events, so its commit can wake the sealer.
APPENDED = "passage.audit_appended"
# In a session's info: the events of its transaction, written in one statement at commit.
QUEUE = "passage.audit_queue"


@dataclass(frozen=True)
class Actor:
    """Who acted: ids and role only."""

    id: str | None = None
    role: str | None = None
    org: str | None = None


SYSTEM = Actor(role="cli")


def append(
    store: Session,
    key: bytes,
    now: datetime,
    action: str,
    outcome: str,
    *,
    actor: Actor = SYSTEM,
    object_type: str | None = None,
    object_id: str | uuid.UUID | None = None,
    client_ip: str | None = None,
    request_id: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add one unsealed event to ``store``'s transaction.

    The transaction's events are written together just before it commits (one INSERT, not
    one per event), so an access whose event cannot be written fails with its transaction.
    ``details`` must hold ids and codes only, never personal data.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    values = {
        "at": now.astimezone(UTC),
        "actor_id": actor.id,
        "actor_role": actor.role,
        "actor_org": actor.org,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "outcome": outcome,
        "client_ip": client_ip,
        "request_id": request_id,
        "details": json.dumps(dict(details or {}), sort_keys=True, separators=(",", ":")),
        "nonce": secrets.token_hex(16),
    }
    # The event belongs to a transaction: begin the session's if none is open, so that a
    # rollback (a refusal, an error) drops the event with everything else. Only the
    # session's: the database's begins with the first statement, which on SQLite takes the
    # one write lock (docs/architecture.md, Transactions), and a submission's first
    # statement is its commit's.
    if not store.in_transaction():
        store.begin()
    store.info.setdefault(QUEUE, []).append(
        {**values, "entry_mac": audit_chain.entry_mac(key, values)}
    )
    store.info[APPENDED] = True
    db.must_commit(store, "audit events")


@event.listens_for(Session, "before_commit")
def _write_queue(store: Session) -> None:
    queued = store.info.pop(QUEUE, None)
    if queued:
        store.execute(sa.insert(cast(sa.Table, AuditEvent.__table__)), queued)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queue(store: Session, _previous: Any) -> None:
    # Rolled back with what they recorded: the access did not happen either.
    store.info.pop(QUEUE, None)


HEX_DIGITS = frozenset("0123456789abcdef")
SHORTEST_PREFIX = 8  # hex digits: what the pages show of an id
UUID_GROUPS = ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))
UUID_TEXT = 36  # a UUID as the log stores it: 32 hex digits and four dashes


def id_prefix(text: str) -> str | None:
    """The start of a UUID as the log stores it (lower-case, dashed) that ``text`` gives: at
    least ``SHORTEST_PREFIX`` hex digits, with or without dashes, in either case; the whole
    UUID when all 32 are given. None when ``text`` is not that."""
    digits = text.strip().lower().replace("-", "")
    if not SHORTEST_PREFIX <= len(digits) <= 32 or not set(digits) <= HEX_DIGITS:
        return None
    return "-".join(digits[start:end] for start, end in UUID_GROUPS if digits[start:end])


def _id_matches(column: Any, value: str) -> Any:
    """The criterion for an id filter: the id as typed, or any UUID it begins."""
    prefix = id_prefix(value)
    if prefix is None:
        return column == value
    if len(prefix) == UUID_TEXT:
        return column == prefix
    # A range rather than LIKE or a function of the column, so the (column, id) index serves
    # it on SQLite and PostgreSQL alike. "g" sorts after every hex digit, in C order and in
    # the usual collations (which skip the dashes, placed alike in every stored UUID).
    return sa.or_(column == value, sa.and_(column >= prefix, column < prefix + "g"))


def _filtered(filters: Mapping[str, Any]) -> sa.Select[Any]:
    table = AuditEvent.__table__
    query = sa.select(table)
    for name in ("action", "object_type", "outcome"):
        if filters.get(name):
            query = query.where(table.c[name] == filters[name])
    for name in ("actor_id", "object_id"):
        if filters.get(name):
            query = query.where(_id_matches(table.c[name], str(filters[name])))
    if filters.get("since"):
        query = query.where(table.c.at >= filters["since"])
    if filters.get("until"):
        query = query.where(table.c.at < filters["until"])
    return query


# Newest first, by id: the primary key's index serves the whole log, and each filter's
# index ends with the id (migration 0022), so every page is one index range.
ORDER = keyset.Keyset("audit_events", (cast(sa.Table, AuditEvent.__table__).c.id,), True)


def events(store: Session, filters: Mapping[str, Any], page: Page) -> keyset.Window:
    """The page of events matching ``filters`` (newest first, sealed or not) that ``page``
    asks for, by cursor or by number, with a total counted up to ``keyset.COUNT_LIMIT``."""
    return keyset.window(store, _filtered(filters), ORDER, page)


def as_dict(event: Any) -> dict[str, Any]:
    """An event as the API and exports show it."""
    data = {name: getattr(event, name) for name in audit_chain.FIELDS}
    data["at"] = audit_chain.timestamp(event.at)
    data["details"] = json.loads(event.details)
    return {"id": event.id, **data, "prev_mac": event.prev_mac, "mac": event.mac}


def window_of(event: Any) -> str:
    """The rate-limit window a ``rate_limited`` event names ("" for older events)."""
    return str(json.loads(event.details).get("window", ""))


def openings(store: Session, object_ids: Iterable[str], actions: Iterable[str]) -> list[Any]:
    """The events ``actions`` on any of ``object_ids``, oldest first: who opened a person's
    record, for the person's own copy (the disclosure log)."""
    table = AuditEvent.__table__
    ids, wanted = [str(i) for i in object_ids], list(actions)
    if not ids or not wanted:
        return []
    return list(
        store.execute(
            sa.select(
                table.c.at,
                table.c.actor_role,
                table.c.actor_org,
                table.c.action,
                table.c.object_type,
                table.c.details,
            )
            .where(
                table.c.object_id.in_(ids), table.c.action.in_(wanted), table.c.outcome == "allowed"
            )
            .order_by(table.c.id)
        ).all()
    )


def count(
    store: Session,
    action: str,
    outcome: str | None = None,
    period: Callable[[Any], list[Any]] = lambda _at: [],
) -> int:
    """How many events of ``action`` (with ``outcome``, when given) the log holds, within
    the criteria ``period`` builds on the events' time (for the usage report: a count, no
    event's details)."""
    query = sa.select(sa.func.count()).select_from(AuditEvent)
    query = query.where(AuditEvent.action == action, *period(AuditEvent.at))
    if outcome is not None:
        query = query.where(AuditEvent.outcome == outcome)
    return int(store.scalar(query) or 0)


def iter_all(store: Session, filters: Mapping[str, Any], batch: int = 1000) -> Iterator[Any]:
    """Every event matching ``filters`` in the order they were written, streamed in batches
    by keyset (for exports): memory stays flat however long the log."""
    table = AuditEvent.__table__
    base, last = _filtered(filters), 0
    while True:
        rows = store.execute(base.where(table.c.id > last).order_by(table.c.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def actor_for(user: Any) -> Actor:
    """The audit identity of ``user``: id, role and team or partner organisation."""
    org = user.team_id or user.partner_id
    return Actor(str(user.id), str(user.role), str(org) if org else None)


def current_actor() -> Actor:
    """The signed-in user (or token holder) of this request, or the command line."""
    user = current_user if has_request_context() else None
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor() if has_request_context() else SYSTEM
    return actor_for(user)


def record(
    store: Session,
    action: str,
    outcome: str = "allowed",
    *,
    object_type: str | None = None,
    object_id: str | uuid.UUID | None = None,
    details: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
) -> None:
    """Append an event for the current request or command in ``store``'s transaction.

    The event is written with the transaction's commit, which fails when it cannot be: the
    caller's change or read then fails too.
    """
    in_request = has_request_context()
    append(
        store,
        keys.keyring().audit,
        clock.now(),
        action,
        outcome,
        actor=actor or current_actor(),
        object_type=object_type,
        object_id=object_id,
        client_ip=request.remote_addr if in_request else None,
        request_id=g.get("request_id") if in_request else None,
        details=details,
    )


def run_verification(
    store: Session, via: str, checkpoint: Mapping[str, Any] | None = None
) -> audit_verify.Verification:
    """Verify the chain and audit the verification run (its outcome included). The walk
    reads in a session of its own (``db.reading``): on SQLite it then holds no write lock,
    and requests go on while a long chain is checked."""
    with db.reading(store) as reader:
        result = audit_verify.verify(
            reader,
            keys.keyring().audit,
            clock.now(),
            settings.current().audit_seal_max_delay_ms / 1000,
            checkpoint,
        )
    record(
        store,
        "audit.verified",
        "allowed" if result.ok else "failed",
        details={
            "entries_checked": result.entries_checked,
            "first_bad_seq": result.first_bad_seq,
            "unsealed": result.unsealed,
            "via": via,
        },
    )
    return result


def read_page(store: Session, filters: Mapping[str, Any], page: Page, via: str) -> keyset.Window:
    """A page of events for an auditor; the look itself is audited."""
    shown = events(store, filters, page)
    record(store, "audit.viewed", details={"page": shown.number, "via": via})
    return shown
