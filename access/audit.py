"""The tamper-evident audit log: appending events to an HMAC chain, verifying it, and signed
checkpoints of its head.

Each event's MAC covers the previous event's MAC and the event's own canonical serialisation,
under a key kept outside the database. Appends lock the chain-head row (``FOR UPDATE`` on
PostgreSQL; SQLite's immediate transactions serialise writers), so concurrent workers never
fork the chain, and the event is written in the same transaction as the change it records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Session

from access.models import AuditEvent, AuditHead
from core import clock, db, keys

GENESIS = "0" * 64
DOMAIN = b"passage-audit-v1\x00"
OUTCOMES = ("allowed", "denied", "failed")
FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_role",
    "actor_org",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "client_ip",
    "request_id",
    "details",
)


@dataclass(frozen=True)
class Actor:
    """Who acted: ids and role only."""

    id: str | None = None
    role: str | None = None
    org: str | None = None


SYSTEM = Actor(role="cli")


def canonical(values: Mapping[str, Any]) -> bytes:
    """The canonical serialisation of an event's fields: sorted-key compact JSON, UTC
    timestamps with microseconds, ASCII only."""
    data = {name: values[name] for name in FIELDS}
    at: datetime = data["at"]
    data["at"] = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def compute_mac(key: bytes, prev_mac: str, values: Mapping[str, Any]) -> str:
    """HMAC-SHA256 over the domain tag, the previous MAC and the canonical event."""
    return hmac.new(
        key, DOMAIN + prev_mac.encode() + b"\x00" + canonical(values), hashlib.sha256
    ).hexdigest()


def _row_values(event: Any) -> dict[str, Any]:
    return {name: getattr(event, name) for name in FIELDS}


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
) -> AuditEvent:
    """Append one event in ``store``'s transaction and return it.

    ``details`` must hold ids and codes only, never personal data.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    head = _existing_head(store, lock=True)
    seq = head.seq + 1
    values = {
        "seq": seq,
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
    }
    mac = compute_mac(key, head.mac, values)
    event = AuditEvent(**values, prev_mac=head.mac, mac=mac)
    store.add(event)
    head.seq, head.mac = seq, mac
    store.flush()
    db.must_commit(store, "audit events")
    return event


@dataclass
class Verification:
    """The verifier's answer (R53): ``ok`` or the first event that breaks the chain."""

    ok: bool
    entries_checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
    expected: str | None = None
    found: str | None = None
    last_checkpoint_seq: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Walk:
    checked: int = 0
    prev_mac: str = GENESIS
    problem: Verification | None = field(default=None)


def verify(
    store: Session, key: bytes, checkpoint: Mapping[str, Any] | None = None, batch: int = 1000
) -> Verification:
    """Walk the whole chain in ``seq`` order, in constant memory, and report the first break.

    With a ``checkpoint`` (already signature-checked), also catch a chain that ends before
    it (``truncated``) or holds a different MAC at its seq (``checkpoint_mismatch``).
    """
    walk = _Walk()
    for event in _stream(store, batch):
        walk.problem = _check(event, walk, key)
        if walk.problem:
            break
        walk.checked += 1
        walk.prev_mac = event.mac
    result = walk.problem or _check_head(store, walk)
    if result is None and checkpoint is not None:
        result = _check_checkpoint(store, walk, checkpoint)
    result = result or Verification(ok=True, entries_checked=walk.checked)
    result.last_checkpoint_seq = int(checkpoint["seq"]) if checkpoint else None
    return result


def _stream(store: Session, batch: int, query: sa.Select[Any] | None = None) -> Iterator[Any]:
    # Plain rows, fetched by keyset in batches: memory stays flat however long the chain.
    table = AuditEvent.__table__
    base = query if query is not None else sa.select(table)
    last = 0
    while True:
        rows = store.execute(
            base.where(table.c.seq > last).order_by(table.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def _check(event: Any, walk: _Walk, key: bytes) -> Verification | None:
    expected_seq = walk.checked + 1
    if event.seq != expected_seq:
        return Verification(
            False, walk.checked, expected_seq, "sequence_gap", str(expected_seq), str(event.seq)
        )
    if not hmac.compare_digest(event.prev_mac, walk.prev_mac):
        return Verification(
            False, walk.checked, event.seq, "link_broken", walk.prev_mac, event.prev_mac
        )
    mac = compute_mac(key, event.prev_mac, _row_values(event))
    if not hmac.compare_digest(mac, event.mac):
        return Verification(False, walk.checked, event.seq, "mac_mismatch", mac, event.mac)
    return None


def _head(store: Session, lock: bool = False) -> AuditHead | None:
    # populate_existing: a head object left in the session by an earlier transaction must
    # not stand in for the row as it is now (sessions keep objects across commits).
    query = sa.select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
    return store.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def _existing_head(store: Session, lock: bool = False) -> AuditHead:
    head = _head(store, lock)
    if head is None:  # the migration creates it; without it nothing may be audited
        raise RuntimeError("the audit chain head row is missing")
    return head


def _check_head(store: Session, walk: _Walk) -> Verification | None:
    head = _head(store)
    if head is None or head.seq != walk.checked or head.mac != walk.prev_mac:
        found = f"{head.seq}:{head.mac}" if head else "none"
        return Verification(
            False,
            walk.checked,
            walk.checked + 1,
            "head_mismatch",
            f"{walk.checked}:{walk.prev_mac}",
            found,
        )
    return None


def _check_checkpoint(
    store: Session, walk: _Walk, checkpoint: Mapping[str, Any]
) -> Verification | None:
    seq = int(checkpoint["seq"])
    if walk.checked < seq:
        return Verification(
            False,
            walk.checked,
            walk.checked + 1,
            "truncated",
            f"at least {seq} events",
            f"{walk.checked} events",
        )
    if seq == 0:
        return None
    mac = store.scalar(sa.select(AuditEvent.mac).where(AuditEvent.seq == seq))
    if mac != checkpoint["mac"]:
        return Verification(
            False, walk.checked, seq, "checkpoint_mismatch", str(checkpoint["mac"]), str(mac)
        )
    return None


def checkpoint(store: Session, signing_key: Ed25519PrivateKey, now: datetime) -> dict[str, Any]:
    """A signed statement of the chain head for auditors to keep outside the system."""
    head = _existing_head(store)
    statement = {"seq": head.seq, "mac": head.mac, "at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    signature = signing_key.sign(_statement_bytes(statement))
    return {**statement, "signature": base64.b64encode(signature).decode()}


def _statement_bytes(statement: Mapping[str, Any]) -> bytes:
    body = {k: statement[k] for k in ("seq", "mac", "at")}
    return (
        b"passage-checkpoint-v1\x00"
        + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    )


def checkpoint_is_authentic(statement: Mapping[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Whether ``statement`` carries a valid signature by ``public_key``."""
    try:
        public_key.verify(base64.b64decode(statement["signature"]), _statement_bytes(statement))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


def _filtered(filters: Mapping[str, Any]) -> sa.Select[Any]:
    table = AuditEvent.__table__
    query = sa.select(table)
    for name in ("actor_id", "action", "object_type", "object_id", "outcome"):
        if filters.get(name):
            query = query.where(table.c[name] == filters[name])
    if filters.get("since"):
        query = query.where(table.c.at >= filters["since"])
    if filters.get("until"):
        query = query.where(table.c.at < filters["until"])
    return query


def events(
    store: Session, filters: Mapping[str, Any], page: int, per_page: int
) -> tuple[list[Any], int]:
    """One page of events matching ``filters`` (newest first) and the total count."""
    query = _filtered(filters)
    total = store.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = store.execute(
        query.order_by(AuditEvent.__table__.c.seq.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), total


def as_dict(event: Any) -> dict[str, Any]:
    """An event as the API and exports show it."""
    data = _row_values(event)
    data["at"] = event.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data["details"] = json.loads(event.details)
    return {**data, "prev_mac": event.prev_mac, "mac": event.mac}


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
            .order_by(table.c.seq)
        ).all()
    )


def iter_all(store: Session, filters: Mapping[str, Any], batch: int = 1000) -> Iterable[Any]:
    """Every event matching ``filters`` in seq order, streamed (for exports)."""
    return _stream(store, batch, _filtered(filters))


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
) -> AuditEvent:
    """Append an event for the current request or command in ``store``'s transaction.

    Raises when the event cannot be written: the caller's change or read must then fail too.
    """
    in_request = has_request_context()
    return append(
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
) -> Verification:
    """Verify the chain and audit the verification run (its outcome included)."""
    result = verify(store, keys.keyring().audit, checkpoint)
    record(
        store,
        "audit.verified",
        "allowed" if result.ok else "failed",
        details={
            "entries_checked": result.entries_checked,
            "first_bad_seq": result.first_bad_seq,
            "via": via,
        },
    )
    return result


def read_page(
    store: Session, filters: Mapping[str, Any], page: int, per_page: int, via: str
) -> tuple[list[Any], int]:
    """A page of events for an auditor; the look itself is audited."""
    rows, total = events(store, filters, page, per_page)
    record(store, "audit.viewed", details={"page": page, "via": via})
    return rows, total
