"""Data keys: one per subject, stored only wrapped by a master key, destroyed to shred.

:func:`create` gives a new subject its key; :func:`cipher` opens it again to seal and open
that subject's fields; :func:`shred` destroys it; :func:`rewrap` moves keys to the newest
master key in committed batches, so an interrupted rotation resumes where it stopped. A data
key wrapped by a master key destroyed on purpose (a backup restored after its retention
window) counts as shredded (docs/operations.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from core import crypto, keys
from core.db import Base, UTCDateTime, new_id, pending, rowcount


class DataKey(Base):
    """A subject's data key, wrapped by master key ``master_version``; both are emptied when
    the key is shredded."""

    __tablename__ = "data_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(sa.String(40))
    master_version: Mapped[int | None] = mapped_column(index=True)
    wrapped: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


CIPHERS = "passage.ciphers"  # in a session's info: the data keys it has opened, by id


class ShreddedError(crypto.DecryptionError):
    """The data key was destroyed: what it sealed can never be read again."""


@dataclass(frozen=True)
class Cipher:
    """Seals and opens the fields of one subject with its data key."""

    key_id: uuid.UUID
    key: bytes

    def seal(self, table: str, column: str, row_id: Any, value: str | None) -> bytes | None:
        """Encrypt ``value`` for ``table.column`` of row ``row_id`` (None stays None)."""
        if value is None:
            return None
        return crypto.seal(
            self.key, value.encode(), crypto.field_aad(table, column, row_id, self.key_id)
        )

    def open(self, table: str, column: str, row_id: Any, sealed: bytes | None) -> str | None:
        """Decrypt what :meth:`seal` sealed for exactly this place."""
        if sealed is None:
            return None
        return crypto.unseal(
            self.key, sealed, crypto.field_aad(table, column, row_id, self.key_id)
        ).decode()


def create(store: Session, purpose: str, now: datetime) -> Cipher:
    """A new data key for a new subject, wrapped by the newest master key. Inserted with the
    rows sealed with it at the next flush, before them when their ``data_key`` is set to
    :func:`created` (docs/architecture.md, "One flush")."""
    ring = keys.keyring()
    key_id, key = uuid.uuid4(), crypto.new_data_key()
    version = ring.master_version
    store.add(
        DataKey(
            id=key_id,
            purpose=purpose,
            master_version=version,
            created_at=now,
            wrapped=crypto.wrap(ring.master[version], key, key_id, version),
        )
    )
    return _remember(store, Cipher(key_id, key))


def created(store: Session, cipher: Cipher) -> DataKey:
    """The row of a key :func:`create` made in this transaction, for the ``data_key``
    relationship of the row sealed with it (docs/architecture.md, "One flush")."""
    row = pending(store, DataKey, id=cipher.key_id)
    if row is None:
        raise LookupError(f"data key {cipher.key_id} was not created in this transaction")
    return row


def cipher(store: Session, key_id: uuid.UUID) -> Cipher:
    """The cipher of an existing subject; raises :class:`ShreddedError` once shredded.

    A key is read and unwrapped once per transaction: the session remembers it until it
    commits, rolls back or shreds the key."""
    known: Cipher | None = store.info.get(CIPHERS, {}).get(key_id)
    if known is not None:
        return known
    row = store.get(DataKey, key_id)
    if row is None or row.wrapped is None or row.master_version is None:
        raise ShreddedError(f"data key {key_id} is gone")
    ring = keys.keyring()
    if row.master_version not in ring.master:
        ring = keys.keyring(refresh=True)  # made by a rotation since the last look
    master = ring.master.get(row.master_version)
    if master is None and row.master_version in ring.destroyed:
        raise ShreddedError(f"master key version {row.master_version} was destroyed")
    if master is None:
        raise keys.MissingKeyError(f"master key version {row.master_version} is missing")
    opened = Cipher(key_id, crypto.unwrap(master, row.wrapped, key_id, row.master_version))
    return _remember(store, opened)


def _remember(store: Session, opened: Cipher) -> Cipher:
    store.info.setdefault(CIPHERS, {})[opened.key_id] = opened
    return opened


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_ciphers(store: Session, *_: Any) -> None:
    # A key stays open for one transaction: after it, another may have shredded it (and a
    # key created in a transaction rolled back never existed).
    store.info.pop(CIPHERS, None)


def shred(store: Session, key_id: uuid.UUID, now: datetime) -> bool:
    """Destroy a data key; False when it was already gone."""
    store.info.get(CIPHERS, {}).pop(key_id, None)
    result = store.execute(
        sa.update(DataKey)
        .where(DataKey.id == key_id, DataKey.wrapped.is_not(None))
        .values(wrapped=None, master_version=None, shredded_at=now)
    )
    return bool(rowcount(result))


def versions_in_use(store: Session) -> dict[int, int]:
    """How many live data keys each master key version wraps."""
    rows = store.execute(
        sa.select(DataKey.master_version, sa.func.count())
        .where(DataKey.master_version.is_not(None))
        .group_by(DataKey.master_version)
    ).all()
    return {version: count for version, count in rows if version is not None}


def rewrap(store: Session, target: int, batch: int = 500) -> int:
    """Re-wrap every live data key not yet under master version ``target``; commits each
    batch, so an interruption loses nothing and a re-run finishes the job. Keys under a
    master version this installation does not hold (destroyed, or missing) stay as they are.
    Returns how many keys moved."""
    ring = keys.keyring()
    held = [version for version in ring.master if version != target]
    moved = 0
    while held:
        rows = store.scalars(
            sa.select(DataKey)
            .where(DataKey.master_version.in_(held))
            .order_by(DataKey.id)
            .limit(batch)
        ).all()
        if not rows:
            return moved
        for row in rows:
            version, wrapped = row.master_version or 0, row.wrapped or b""
            key = crypto.unwrap(ring.master[version], wrapped, row.id, version)
            row.wrapped = crypto.wrap(ring.master[target], key, row.id, target)
            row.master_version = target
        store.commit()
        moved += len(rows)
    return moved
