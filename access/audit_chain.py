"""The audit chain itself: canonical bytes and MACs of events, sealing committed events into
the chain, verifying it, and signed checkpoints of its head (docs/security.md, The audit log).

Requests never touch the chain: they insert events unsealed, each with an entry MAC over its
own content, in the same transaction as the access they record. :func:`seal` then takes the
chain head (the only lock, and only sealers take it), gives the committed unsealed events the
next ``seq`` numbers in the order it finds them, and chains their MACs, in one transaction: a
sealer killed mid-batch leaves the batch unsealed, never half-sealed. Certificate Transparency
(RFC 9162) works the same way: entries are accepted at once and sequenced within a bounded
delay; :func:`verify` reports that delay and fails when it is exceeded.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from access.models import AuditEvent, AuditHead
from core import row_stream

GENESIS = "0" * 64
DOMAIN = b"passage-audit-v1\x00"
ENTRY_DOMAIN = b"passage-audit-entry-v1\x00"
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
_SEQ = SORTED.index("seq")
_ENCODE = json.encoder.encode_basestring_ascii  # what json.dumps(ensure_ascii=True) uses
_EVENTS = cast(sa.Table, AuditEvent.__table__)
_HEAD = cast(sa.Table, AuditHead.__table__)
_log = logging.getLogger(__name__)


def timestamp(at: datetime) -> str:
    """An event time as the canonical form and the API write it: UTC, microseconds, ``Z``."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _template(names: Sequence[str]) -> str:
    return "{" + ",".join(f'"{name}":%s' for name in names) + "}"


_TEMPLATES = {SORTED: _template(SORTED), CONTENT: _template(CONTENT)}


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
    """The entry MAC an event carries from its insertion: its content without ``seq``, under
    its own domain tag, so the sealer can refuse an event altered while it waited."""
    body = _json(CONTENT, _ordered(CONTENT, values))
    return hmac.digest(key, ENTRY_DOMAIN + body, "sha256").hex()


def _at_text(store: Session) -> Any:
    # The event time as canonical text, formatted by the database: the verifier then never
    # builds a datetime. SQLAlchemy stores SQLite times as "YYYY-MM-DD HH:MM:SS.ffffff".
    if store.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(_EVENTS.c.at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    return sa.func.replace(sa.type_coerce(_EVENTS.c.at, sa.String), " ", "T").concat("Z")


def _lock_head(store: Session) -> Any:
    # SKIP LOCKED: a second sealer (another worker) leaves the round to the first instead of
    # queuing behind it. SQLite has no row locks; its immediate transaction already
    # serialises writers.
    return store.execute(
        sa.select(_HEAD.c.seq, _HEAD.c.mac).where(_HEAD.c.id == 1).with_for_update(skip_locked=True)
    ).first()


def seal(store: Session, key: bytes, batch: int = 1000) -> int | None:
    """Seal up to ``batch`` committed unsealed events in ``store``'s transaction (the caller
    commits). Returns how many were sealed, or None when another sealer holds the head.

    An event whose entry MAC does not match its content stays unsealed, so that ``verify``
    names it; it is logged by id.
    """
    head = _lock_head(store)
    if head is None:
        if store.scalar(sa.select(_HEAD.c.id)) is None:
            raise RuntimeError("the audit chain head row is missing")
        return None
    rows = store.execute(
        sa.select(_EVENTS.c.id, _EVENTS.c.entry_mac, *(_EVENTS.c[name] for name in CONTENT))
        .where(_EVENTS.c.seq.is_(None))
        .order_by(_EVENTS.c.id)
        .limit(batch)
    ).all()
    seq, mac, sealed = head.seq, head.mac, []
    for row in rows:
        values = row._mapping
        if not hmac.compare_digest(entry_mac(key, values), row.entry_mac or ""):
            _log.error("audit event %s was altered before it was sealed; left unsealed", row.id)
            continue
        seq += 1
        new_mac = compute_mac(key, mac, {**values, "seq": seq})
        sealed.append({"event_id": row.id, "new_seq": seq, "new_prev": mac, "new_mac": new_mac})
        mac = new_mac
    if sealed:
        store.execute(
            sa.update(_EVENTS)
            .where(_EVENTS.c.id == sa.bindparam("event_id"))
            .values(
                seq=sa.bindparam("new_seq"),
                prev_mac=sa.bindparam("new_prev"),
                mac=sa.bindparam("new_mac"),
            ),
            sealed,
        )
        store.execute(sa.update(_HEAD).where(_HEAD.c.id == 1).values(seq=seq, mac=mac))
    return len(sealed)


def seal_all(store: Session, key: bytes, batch: int = 1000) -> int:
    """Seal every committed unsealed event, a committed transaction per batch; stops early
    when another sealer holds the head (it will seal them). Returns how many this sealed."""
    total = 0
    while True:
        count = seal(store, key, batch)
        store.commit()
        total += count or 0
        if not count or count < batch:
            return total


@dataclass
class Verification:
    """The verifier's answer (R53): ``ok`` or the first event that breaks the chain, with how
    many events wait to be sealed and for how long the oldest has waited."""

    ok: bool
    entries_checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
    expected: str | None = None
    found: str | None = None
    last_checkpoint_seq: int | None = None
    unsealed: int = 0
    oldest_unsealed_seconds: float | None = None
    first_bad_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Walk:
    checked: int = 0
    prev_mac: str = GENESIS
    problem: Verification | None = field(default=None)


def verify(
    store: Session,
    key: bytes,
    now: datetime,
    max_delay: float,
    checkpoint: Mapping[str, Any] | None = None,
    batch: int = 5000,
) -> Verification:
    """Walk the sealed chain in ``seq`` order, in constant memory, and report the first break;
    then check every unsealed event's entry MAC and that none has waited over ``max_delay``
    seconds by ``now``.

    With a ``checkpoint`` (already signature-checked), also catch a chain that ends before
    it (``truncated``) or holds a different MAC at its seq (``checkpoint_mismatch``).
    """
    walk = _Walk()
    walk.problem = _walk_chain(store, key, walk, batch)
    result = walk.problem or _check_head(store, walk)
    if result is None and checkpoint is not None:
        result = _check_checkpoint(store, walk, checkpoint)
    unsealed, oldest, altered = _unsealed(store, key, batch)
    age = (now - oldest).total_seconds() if oldest is not None else None
    if result is None and altered is not None:
        result = Verification(False, walk.checked, None, "entry_altered", first_bad_id=altered)
    if result is None and age is not None and age > max_delay:
        result = Verification(
            False, walk.checked, None, "sealing_overdue", f"{max_delay:g} s", f"{age:g} s"
        )
    result = result or Verification(ok=True, entries_checked=walk.checked)
    result.last_checkpoint_seq = int(checkpoint["seq"]) if checkpoint else None
    result.unsealed, result.oldest_unsealed_seconds = unsealed, age
    return result


def _walk_chain(store: Session, key: bytes, walk: _Walk, batch: int) -> Verification | None:
    while True:
        found = _walk_stream(store, key, walk, batch)
        if not isinstance(found, tuple):
            return found  # the end of the chain, or a break
        # The database's bytes did not give the MAC: the bytes built here, as the sealer
        # built them, decide (with the stream stopped: it held the connection).
        seq, prev_mac, mac = found
        problem = _recheck(store, key, seq, prev_mac, mac, walk.checked)
        if problem is not None:
            return problem
        walk.checked, walk.prev_mac = seq, mac


def _walk_stream(
    store: Session, key: bytes, walk: _Walk, batch: int
) -> Verification | tuple[int, str, str] | None:
    columns = [_EVENTS.c.seq, _EVENTS.c.prev_mac, _EVENTS.c.mac, _body_sql(store)]
    # Locals and no calls but the MAC's: this loop runs once per event.
    checked, previous, digest, compare = (
        walk.checked,
        walk.prev_mac,
        hmac.digest,
        hmac.compare_digest,
    )
    sealed = _EVENTS.c.seq.is_not(None)
    stream = row_stream.batches(store, columns, _EVENTS.c.seq, sealed, batch, after=checked)
    with closing(stream):
        for rows in stream:
            for seq, prev_mac, mac, body in rows:
                problem: Verification | tuple[int, str, str] | None = None
                if seq != checked + 1:
                    problem = Verification(
                        False, checked, checked + 1, "sequence_gap", str(checked + 1), str(seq)
                    )
                elif prev_mac != previous:
                    problem = Verification(False, checked, seq, "link_broken", previous, prev_mac)
                elif mac is None:
                    problem = Verification(False, checked, seq, "mac_mismatch", "a MAC", "none")
                elif not compare(
                    digest(key, DOMAIN + prev_mac.encode() + b"\x00" + body, "sha256").hex(), mac
                ):
                    problem = (seq, prev_mac, mac)
                if problem is not None:
                    walk.checked, walk.prev_mac = checked, previous
                    return problem
                checked, previous = checked + 1, mac
    walk.checked, walk.prev_mac = checked, previous
    return None


def _body_sql(store: Session) -> Any:
    # Each sealed event's canonical JSON, written by the database: for ASCII text its JSON
    # strings are Python's to the byte, and the verifier then only fetches and MACs one
    # column. (Anything else, non-ASCII text say, is rebuilt in Python by _recheck before it
    # counts as altered: two correct JSON encoders agree on bytes only for equal text.)
    postgres = store.get_bind().dialect.name == "postgresql"
    body: Any = None
    for name in SORTED:
        column = _EVENTS.c[name]
        if name == "at":
            value = sa.literal('"') + _at_text(store) + sa.literal('"')
        elif name == "seq":
            value = sa.cast(column, sa.String)
        elif postgres:
            value = sa.func.coalesce(sa.cast(sa.func.to_json(column), sa.Text), "null")
        else:
            value = sa.func.json_quote(column, type_=sa.String)
        key = sa.literal(("{" if body is None else ",") + f'"{name}":')
        body = key + value if body is None else body + key + value
    body = body + sa.literal("}")
    # As bytes: the MAC takes bytes, and the database encodes them faster than Python.
    if postgres:
        return sa.func.convert_to(body, "UTF8", type_=sa.LargeBinary)
    return sa.cast(body, sa.LargeBinary)


def _recheck(
    store: Session, key: bytes, seq: int, prev_mac: str, mac: str, checked: int
) -> Verification | None:
    row = store.execute(
        sa.select(*(_EVENTS.c[name] for name in SORTED)).where(_EVENTS.c.seq == seq)
    ).one()
    expected = compute_mac(key, prev_mac, row._mapping)
    if hmac.compare_digest(expected, mac):
        return None
    return Verification(False, checked, seq, "mac_mismatch", expected, mac)


def _unsealed(store: Session, key: bytes, batch: int) -> tuple[int, datetime | None, int | None]:
    # How many wait, since when, and the first whose content no longer matches its entry MAC.
    count, oldest, altered, last = 0, None, None, 0
    columns = [_EVENTS.c.id, _EVENTS.c.entry_mac, *(_EVENTS.c[name] for name in CONTENT)]
    while True:
        rows = store.execute(
            sa.select(*columns)
            .where(_EVENTS.c.seq.is_(None), _EVENTS.c.id > last)
            .order_by(_EVENTS.c.id)
            .limit(batch)
        ).all()
        for row in rows:
            count += 1
            oldest = row.at if oldest is None else min(oldest, row.at)
            good = hmac.compare_digest(entry_mac(key, row._mapping), row.entry_mac or "")
            if not good and altered is None:
                altered = row.id
        if len(rows) < batch:
            return count, oldest, altered
        last = rows[-1].id


def head(store: Session) -> tuple[int, str]:
    """The sealed chain's last ``seq`` and MAC."""
    row = store.execute(sa.select(_HEAD.c.seq, _HEAD.c.mac).where(_HEAD.c.id == 1)).first()
    if row is None:  # the migration creates it; without it nothing may be audited
        raise RuntimeError("the audit chain head row is missing")
    return int(row.seq), str(row.mac)


def _check_head(store: Session, walk: _Walk) -> Verification | None:
    row = store.execute(sa.select(_HEAD.c.seq, _HEAD.c.mac).where(_HEAD.c.id == 1)).first()
    if row is None or row.seq != walk.checked or row.mac != walk.prev_mac:
        found = f"{row.seq}:{row.mac}" if row else "none"
        expected = f"{walk.checked}:{walk.prev_mac}"
        return Verification(False, walk.checked, walk.checked + 1, "head_mismatch", expected, found)
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
    mac = store.scalar(sa.select(_EVENTS.c.mac).where(_EVENTS.c.seq == seq))
    if mac != checkpoint["mac"]:
        return Verification(
            False, walk.checked, seq, "checkpoint_mismatch", str(checkpoint["mac"]), str(mac)
        )
    return None


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
