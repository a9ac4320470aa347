"""Verifying the audit chain (docs/security.md, Audit trail: R49, R53): the sealed events
walked in ``seq`` order against their MACs, in constant memory, then the head row and a signed
checkpoint; the unsealed events' entry MACs, and how long the oldest has waited. What is
verified (the canonical bytes, the MACs, sealing) is in ``access.audit_chain``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.audit_chain import (
    CONTENT,
    DOMAIN,
    EVENTS,
    GENESIS,
    HEAD,
    SORTED,
    compute_mac,
    refusal,
    unbound_until,
)
from core import row_stream


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
    unsealed, oldest, refused = _unsealed(store, key, batch)
    age = (now - oldest).total_seconds() if oldest is not None else None
    if result is None and refused is not None:
        result = Verification(False, walk.checked, None, refused[1], first_bad_id=refused[0])
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
    columns = [EVENTS.c.seq, EVENTS.c.prev_mac, EVENTS.c.mac, _body_sql(store)]
    # Locals and no calls but the MAC's: this loop runs once per event.
    checked, previous, digest, compare = (
        walk.checked,
        walk.prev_mac,
        hmac.digest,
        hmac.compare_digest,
    )
    sealed = EVENTS.c.seq.is_not(None)
    stream = row_stream.batches(store, columns, EVENTS.c.seq, sealed, batch, after=checked)
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
        column = EVENTS.c[name]
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


def _at_text(store: Session) -> Any:
    # The event time as canonical text, formatted by the database: the verifier then never
    # builds a datetime. SQLAlchemy stores SQLite times as "YYYY-MM-DD HH:MM:SS.ffffff".
    if store.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(EVENTS.c.at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    return sa.func.replace(sa.type_coerce(EVENTS.c.at, sa.String), " ", "T").concat("Z")


def _recheck(
    store: Session, key: bytes, seq: int, prev_mac: str, mac: str, checked: int
) -> Verification | None:
    row = store.execute(
        sa.select(*(EVENTS.c[name] for name in SORTED)).where(EVENTS.c.seq == seq)
    ).one()
    expected = compute_mac(key, prev_mac, row._mapping)
    if hmac.compare_digest(expected, mac):
        return None
    return Verification(False, checked, seq, "mac_mismatch", expected, mac)


def _unsealed(
    store: Session, key: bytes, batch: int
) -> tuple[int, datetime | None, tuple[int, str] | None]:
    # How many wait, since when, and the first the sealer refuses, with why: its content no
    # longer matches its entry MAC, or it is a copy of an event from before nonces.
    count, oldest, refused, last = 0, None, None, 0
    legacy = unbound_until(store)
    columns = [
        EVENTS.c.id,
        EVENTS.c.entry_mac,
        EVENTS.c.nonce,
        *(EVENTS.c[name] for name in CONTENT),
    ]
    while True:
        rows = store.execute(
            sa.select(*columns)
            .where(EVENTS.c.seq.is_(None), EVENTS.c.id > last)
            .order_by(EVENTS.c.id)
            .limit(batch)
        ).all()
        for row in rows:
            count += 1
            oldest = row.at if oldest is None else min(oldest, row.at)
            why = refusal(key, row._mapping, legacy) if refused is None else None
            if why is not None:
                refused = (row.id, why)
        if len(rows) < batch:
            return count, oldest, refused
        last = rows[-1].id


def _check_head(store: Session, walk: _Walk) -> Verification | None:
    row = store.execute(sa.select(HEAD.c.seq, HEAD.c.mac).where(HEAD.c.id == 1)).first()
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
    mac = store.scalar(sa.select(EVENTS.c.mac).where(EVENTS.c.seq == seq))
    if mac != checkpoint["mac"]:
        return Verification(
            False, walk.checked, seq, "checkpoint_mismatch", str(checkpoint["mac"]), str(mac)
        )
    return None
