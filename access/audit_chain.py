"""The audit chain itself: canonical bytes and MACs of events, sealing committed events into
the chain, and signed checkpoints of its head (docs/security.md, Audit trail: R49, R50, R52).
Verifying the chain is in ``access.audit_verify``.

Requests never touch the chain: they insert events unsealed, each with an entry MAC over its
own content, in the same transaction as the access they record. :func:`seal` then takes the
chain head (the only lock, and only sealers take it), gives the committed unsealed events the
next ``seq`` numbers in the order it finds them, and chains their MACs, in one transaction: a
sealer killed mid-batch leaves the batch unsealed, never half-sealed. Certificate Transparency
(RFC 9162) works the same way: entries are accepted at once and sequenced within a bounded
delay; ``access.audit_verify.verify`` reports that delay and fails when it is exceeded.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from access.models import AuditEvent, AuditHead
from core import db

GENESIS = "0" * 64
DOMAIN = b"passage-audit-v1\x00"
ENTRY_DOMAIN = b"passage-audit-entry-v1\x00"  # events written before they had a nonce
BOUND_DOMAIN = b"passage-audit-entry-v2\x00"
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
# The canonical serialisation is sorted-key JSON: the fields in that order, seq or not.
SORTED = tuple(sorted(FIELDS))
CONTENT = tuple(name for name in SORTED if name != "seq")
# What an entry MAC covers since events carry a nonce: their content and the nonce.
BOUND = tuple(sorted((*CONTENT, "nonce")))
_SEQ = SORTED.index("seq")
_ENCODE = json.encoder.encode_basestring_ascii  # what json.dumps(ensure_ascii=True) uses
# The two tables, as Core reads and writes them here and in access.audit_verify.
EVENTS = cast(sa.Table, AuditEvent.__table__)
HEAD = cast(sa.Table, AuditHead.__table__)
_log = logging.getLogger(__name__)


def timestamp(at: datetime) -> str:
    """An event time as the canonical form and the API write it: UTC, microseconds, ``Z``."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _template(names: Sequence[str]) -> str:
    return "{" + ",".join(f'"{name}":%s' for name in names) + "}"


_TEMPLATES = {names: _template(names) for names in (SORTED, CONTENT, BOUND)}


def _json(names: tuple[str, ...], values: Sequence[Any]) -> bytes:
    # Byte for byte what json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    # gives for these fields (``values`` in the order of ``names``, the time already as its
    # canonical text), without a dictionary per event: this is the verifier's inner loop.
    encoded = [
        _ENCODE(value) if value.__class__ is str else "null" if value is None else str(value)
        for value in values
    ]
    return (_TEMPLATES[names] % tuple(encoded)).encode()


def _ordered(names: tuple[str, ...], values: Mapping[Any, Any]) -> list[Any]:
    return [timestamp(values[name]) if name == "at" else values[name] for name in names]


def canonical(values: Mapping[Any, Any]) -> bytes:
    """The canonical serialisation of a sealed event's fields: sorted-key compact JSON, UTC
    timestamps with microseconds, ASCII only."""
    return _json(SORTED, _ordered(SORTED, values))


def compute_mac(key: bytes, prev_mac: str, values: Mapping[Any, Any]) -> str:
    """The chain MAC: HMAC-SHA256 over the domain tag, the previous MAC and the event."""
    return _chain_mac(key, prev_mac, canonical(values))


def _chain_mac(key: bytes, prev_mac: str, body: bytes) -> str:
    return hmac.digest(key, DOMAIN + prev_mac.encode() + b"\x00" + body, "sha256").hex()


def entry_mac(key: bytes, values: Mapping[Any, Any]) -> str:
    """The entry MAC an event carries from its insertion: its content without ``seq`` and
    its nonce, under their own domain tag, so the sealer can refuse an event altered while
    it waited (an event from before nonces: its content alone, under the older tag)."""
    names, domain = (
        (CONTENT, ENTRY_DOMAIN) if values.get("nonce") is None else (BOUND, BOUND_DOMAIN)
    )
    return hmac.digest(key, domain + _json(names, _ordered(names, values)), "sha256").hex()


def refusal(key: bytes, values: Mapping[Any, Any], unbound_until: int) -> str | None:
    """Why the sealer leaves an unsealed event out, and the verifier names it, or None: its
    content no longer matches its entry MAC (``entry_altered``), or it has no nonce though it
    came after events had one (``entry_unbound``: a copy of an older event, which the unique
    index on entry MACs cannot catch)."""
    if not hmac.compare_digest(entry_mac(key, values), values["entry_mac"] or ""):
        return "entry_altered"
    if values["nonce"] is None and values["id"] > unbound_until:
        return "entry_unbound"
    return None


def unbound_until(store: Session) -> int:
    """The last event id written before events carried a nonce (``AuditHead``)."""
    return int(store.scalar(sa.select(HEAD.c.unbound_until).where(HEAD.c.id == 1)) or 0)


def _lock_head(store: Session) -> Any:
    # SKIP LOCKED: a second sealer (another worker) leaves the round to the first instead of
    # queuing behind it. SQLite has no row locks; its immediate transaction already
    # serialises writers.
    return store.execute(
        sa.select(HEAD.c.seq, HEAD.c.mac).where(HEAD.c.id == 1).with_for_update(skip_locked=True)
    ).first()


def seal(store: Session, key: bytes, batch: int = 1000) -> int | None:
    """Seal up to ``batch`` committed unsealed events (the caller commits). Returns how many
    were sealed, or None when another sealer holds the head or sealed first.

    The events are read and their MACs worked out before the head is locked: on SQLite the
    lock is the whole database's, and every request's commit would wait while a batch is
    MACed. Under the lock the head must still be the one the MACs chain from; if another
    sealer moved it meanwhile, this round is left to it. An event the sealer refuses (its
    entry MAC does not match its content, or it is a copy: :func:`refusal`) stays unsealed,
    so that ``verify`` names it; it is logged by id.
    """
    began = not store.in_transaction()
    if began:
        db.begin_reads(store)
    seq, mac = head(store)
    start, legacy = (seq, mac), unbound_until(store)
    rows = store.execute(
        sa.select(EVENTS.c.id, EVENTS.c.entry_mac, EVENTS.c.nonce, *(EVENTS.c[n] for n in CONTENT))
        .where(EVENTS.c.seq.is_(None))
        .order_by(EVENTS.c.id)
        .limit(batch)
    ).all()
    if began:
        store.rollback()  # only read: the write lock is taken below, for the writes alone
    sealed = []
    for row in rows:
        values = row._mapping
        refused = refusal(key, values, legacy)
        if refused is not None:
            _log.error("audit event %s left unsealed: %s", row.id, refused)
            continue
        seq += 1
        new_mac = compute_mac(key, mac, {**values, "seq": seq})
        sealed.append({"event_id": row.id, "new_seq": seq, "new_prev": mac, "new_mac": new_mac})
        mac = new_mac
    if not sealed:
        return 0
    locked = _lock_head(store)
    if locked is None:
        if store.scalar(sa.select(HEAD.c.id)) is None:
            raise RuntimeError("the audit chain head row is missing")
        return None
    if (locked.seq, locked.mac) != start:
        return None
    store.execute(
        sa.update(EVENTS)
        .where(EVENTS.c.id == sa.bindparam("event_id"))
        .values(
            seq=sa.bindparam("new_seq"),
            prev_mac=sa.bindparam("new_prev"),
            mac=sa.bindparam("new_mac"),
        ),
        sealed,
    )
    store.execute(sa.update(HEAD).where(HEAD.c.id == 1).values(seq=seq, mac=mac))
    return len(sealed)


def seal_all(store: Session, key: bytes, batch: int = 1000, wait: float = 0.0) -> int:
    """Seal every committed unsealed event, a committed transaction per batch; returns how
    many this sealed. Another sealer at work (another web worker's thread, a command)
    has the turn (``db.turn``): this one waits up to ``wait`` seconds for it, then leaves
    the round to it rather than read and MAC the same batch only to find the head moved."""
    total = 0
    with db.turn(store, "audit-sealer", wait) as mine:
        while mine:
            count = seal(store, key, batch)
            store.commit()
            total += count or 0
            if not count or count < batch:
                break
    return total


def head(store: Session) -> tuple[int, str]:
    """The sealed chain's last ``seq`` and MAC."""
    row = store.execute(sa.select(HEAD.c.seq, HEAD.c.mac).where(HEAD.c.id == 1)).first()
    if row is None:  # the migration creates it; without it nothing may be audited
        raise RuntimeError("the audit chain head row is missing")
    return int(row.seq), str(row.mac)


def checkpoint(store: Session, signing_key: Ed25519PrivateKey, now: datetime) -> dict[str, Any]:
    """A signed statement of the sealed chain's head for auditors to keep outside the system."""
    seq, mac = head(store)
    statement = {"seq": seq, "mac": mac, "at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
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
