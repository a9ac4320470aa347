"""Master keys per period, so that erasure reaches backups (docs/operations.md, "Keys and
backups"; docs/security.md R37, R38).

A database backup holds every data key as it was then, wrapped by the master key of the day.
Shredding destroys a data key in the live database only; the copy in a backup dies with the
master key that wraps it. So :func:`rotate` (``keys rotate``, from cron daily) makes a new
master key once the newest is ``MASTER_KEY_PERIOD_DAYS`` old, re-wraps every data key under
the newest, and destroys each older master key once it has been *retired* (no live data key
under it) for ``BACKUP_RETENTION_DAYS``. Every run is safe to repeat or interrupt. The dates
live in the key ledger beside the keys (core/key_ledger.py), never in the database, which a
restore rolls back.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from core import datakeys, key_ledger, keys, settings

LOCK_FILE = ".rotation.lock"
# Told what is about to happen (an action name and details of ids and versions only), and
# expected to record it durably before the change is made: the caller's audit log.
Announce = Callable[[str, dict[str, Any]], None]


class KeyInUse(RuntimeError):
    """A master key that still wraps a live data key (or wraps new ones) is never destroyed."""


@dataclass
class Rotation:
    """What a run did: the version every data key is now under, whether it was made in this
    run, how many data keys moved, the versions destroyed, the retired versions kept with the
    moment each may go, and, with ``PASSAGE_MASTER_KEYS``, what the operator must change."""

    target: int
    added: bool = False
    rewrapped: int = 0
    destroyed: list[int] = field(default_factory=list)
    waiting: dict[int, datetime] = field(default_factory=dict)
    add_to_environment: bool = False
    remove_from_environment: list[int] = field(default_factory=list)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Two runs at once (cron and an operator) would both make a key; the second waits.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(directory / LOCK_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def rotate(
    app: Flask, store: Session, now: datetime, announce: Announce, force: bool = False
) -> Rotation:
    """Make a master key if the newest is a period old (or ``force``), re-wrap every data
    key under the newest, and destroy master keys retired longer than the retention window."""
    directory = keys.key_dir(app)
    with _locked(directory):
        keys.keyring(refresh=True)  # as another run may have just left it
        _date_new_versions(directory, now)
        return _rotate(app, store, now, announce, force)


def _date_new_versions(directory: Path, now: datetime) -> None:
    # A version the ledger has never seen (keys made before the ledger existed, or added to
    # PASSAGE_MASTER_KEYS) counts from the first run that sees it.
    ledger = key_ledger.read(directory)
    for version in keys.keyring().master:
        if ledger.get(version, key_ledger.Entry()).created is None:
            key_ledger.note(directory, version, created=now)


def _rotate(app: Flask, store: Session, now: datetime, announce: Announce, force: bool) -> Rotation:
    directory, periods = keys.key_dir(app), settings.of(app)
    newest = keys.keyring().master_version
    created = key_ledger.read(directory)[newest].created or now
    due = force or now - created >= timedelta(days=periods.master_key_period_days)
    run = Rotation(target=newest, add_to_environment=due and keys.from_environment())
    if due and not run.add_to_environment:
        run.target, run.added = keys.add_master_key(app), True
        announce("keys.rotation_started", {"to_version": run.target, "resuming": False})
    before = datakeys.versions_in_use(store)
    run.rewrapped = datakeys.rewrap(store, run.target)
    ledger = key_ledger.read(directory)
    older = sorted(v for v in keys.keyring().master if v != run.target)
    for version in older:
        # Retired from the last time a data key left it: a backup taken before then may
        # hold data keys under it, and must stay readable for the whole retention window.
        if before.get(version) or ledger[version].retired is None:
            key_ledger.note(directory, version, retired=now)
    ledger = key_ledger.read(directory)
    window = timedelta(days=periods.backup_retention_days)
    for version in older:
        retired = ledger[version].retired or now
        if now - retired < window:
            run.waiting[version] = retired + window
        elif keys.from_environment():
            run.remove_from_environment.append(version)
        elif _in_use(store, version):
            # A data key arrived after the re-wrap (a worker still on the old keyring): the
            # next run moves it, and the window starts again from then.
            key_ledger.note(directory, version, retired=now)
            run.waiting[version] = now + window
        else:
            announce("keys.master_destroyed", {"version": version})
            destroy(app, store, version)
            run.destroyed.append(version)
    if keys.from_environment():
        _note_removed_from_environment(directory, now)
    return run


def _note_removed_from_environment(directory: Path, now: datetime) -> None:
    held = keys.keyring().master
    for version, entry in key_ledger.read(directory).items():
        if version not in held and entry.retired is not None and entry.destroyed is None:
            key_ledger.note(directory, version, destroyed=now)


def destroy(app: Flask, store: Session, version: int) -> None:
    """Destroy master key ``version``; raise :class:`KeyInUse` instead if it is the newest
    or any live data key is still wrapped by it."""
    if version == keys.keyring().master_version:
        raise KeyInUse(f"master key version {version} is the newest: new data keys use it")
    live = _in_use(store, version)
    if live:
        raise KeyInUse(f"master key version {version} still wraps {live} live data keys")
    keys.retire_master_key(app, version)


def _in_use(store: Session, version: int) -> int:
    return datakeys.versions_in_use(store).get(version, 0)


@dataclass(frozen=True)
class Version:
    """One master key version as ``keys status`` shows it."""

    version: int
    held: bool
    data_keys: int
    entry: key_ledger.Entry
    destroy_after: datetime | None


def status(app: Flask, store: Session) -> list[Version]:
    """Every master key version the ledger or the keyring knows, newest first."""
    ring, ledger = keys.keyring(), key_ledger.read(keys.key_dir(app))
    in_use = datakeys.versions_in_use(store)
    window = timedelta(days=settings.of(app).backup_retention_days)
    return [
        Version(
            version,
            version in ring.master,
            in_use.get(version, 0),
            entry := ledger.get(version, key_ledger.Entry()),
            entry.retired + window if entry.retired and entry.destroyed is None else None,
        )
        for version in sorted(set(ring.master) | set(ledger) | set(in_use), reverse=True)
    ]
