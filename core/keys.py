"""Keys kept outside the database: the audit MAC key, the Ed25519 checkpoint key, the
blind-index key and the versioned master keys that wrap data keys.

Each comes from an environment variable or a file in ``<instance>/keys`` (mode 600, created
by ``init-db``). Nothing here touches the disk at import time. A running app reloads the
keyring when the key folder changes, so a ``keys rotate`` run from cron reaches every worker
without a restart (docs/operations.md).
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app

from core import clock, key_ledger, settings
from core.settings import ConfigError

KEY_BYTES = 32
MASTER_PREFIX = "master-v"
MASTER_ENV = "PASSAGE_MASTER_KEYS"
# How often a running app looks whether `keys rotate` changed the key folder.
CHECK_SECONDS = 1.0
# (name, file in <instance>/keys, environment variable holding it in base64)
SINGLE_KEYS = (
    ("audit", "audit.key", "PASSAGE_AUDIT_KEY"),
    ("checkpoint", "checkpoint.key", "PASSAGE_CHECKPOINT_KEY"),
    ("index", "index.key", "PASSAGE_INDEX_KEY"),
)


Stamp = frozenset[tuple[str, int]] | None


class MissingKeyError(ConfigError):
    """A key is missing or malformed; the message names it and how to provide it."""


@dataclass
class Keyring:
    """Every key Passage holds. ``master`` maps a version to its 32-byte key; ``destroyed``
    holds the versions the ledger says were destroyed on purpose."""

    audit: bytes
    checkpoint: Ed25519PrivateKey
    index: bytes
    master: dict[int, bytes] = field(default_factory=dict)
    destroyed: frozenset[int] = frozenset()
    # Where it was read from, what that folder held then and when that was last compared
    # with the folder (see keyring()).
    directory: Path | None = None
    stamp: Stamp = None
    checked_at: float = field(default_factory=time.monotonic)

    @property
    def master_version(self) -> int:
        """The version new data keys are wrapped with: the newest."""
        return max(self.master)


def key_dir(app: Flask) -> Path:
    """Where the key files live."""
    return Path(app.instance_path) / "keys"


def _decode(text: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError as error:
        raise MissingKeyError(f"{name} is not valid base64") from error
    if len(raw) != KEY_BYTES:
        raise MissingKeyError(f"{name} must hold {KEY_BYTES} bytes")
    return raw


def _read(path: Path, env: str) -> bytes | None:
    value = os.environ.get(env)
    if value:
        return _decode(value, env)
    if path.exists():
        return _decode(path.read_text(), str(path))
    return None


def from_environment() -> bool:
    """Whether the master keys come from ``PASSAGE_MASTER_KEYS`` (the operator adds and
    removes versions there; Passage cannot)."""
    return bool(os.environ.get(MASTER_ENV))


def _master_keys(directory: Path) -> dict[int, bytes]:
    value = os.environ.get(MASTER_ENV)
    if value:  # "1:base64,2:base64"
        pairs = (item.split(":", 1) for item in value.split(",") if item.strip())
        return {int(v): _decode(k, f"PASSAGE_MASTER_KEYS version {v}") for v, k in pairs}
    found = {}
    for path in directory.glob(f"{MASTER_PREFIX}*.key"):
        version = path.stem.removeprefix(MASTER_PREFIX)
        if version.isdigit():
            found[int(version)] = _decode(path.read_text(), str(path))
    return found


def load(app: Flask) -> Keyring | None:
    """Read the keyring for ``app``; None when any key is missing."""
    return load_from(key_dir(app))


def _changed(ring: Keyring, refresh: bool) -> bool:
    now = time.monotonic()
    if not refresh and now - ring.checked_at < CHECK_SECONDS:
        return False
    ring.checked_at = now
    return ring.directory is None or ring.stamp != _stamp(ring.directory)


def _stamp(directory: Path) -> Stamp:
    # Names and inode numbers, not times (too coarse): key files are only ever added or
    # removed, and the ledger is replaced by a new file, so any change shows here.
    try:
        with os.scandir(directory) as entries:
            return frozenset((entry.name, entry.inode()) for entry in entries)
    except FileNotFoundError:
        return None


def load_from(directory: Path) -> Keyring | None:
    """Read the keyring from the environment and ``directory``; None when a key is missing."""
    stamp = _stamp(directory)  # before reading: a change made meanwhile is seen next time
    single = {name: _read(directory / filename, env) for name, filename, env in SINGLE_KEYS}
    master = _master_keys(directory)
    audit, checkpoint, index = single["audit"], single["checkpoint"], single["index"]
    if audit is None or checkpoint is None or index is None or not master:
        return None
    return Keyring(
        audit=audit,
        checkpoint=Ed25519PrivateKey.from_private_bytes(checkpoint),
        index=index,
        master=master,
        destroyed=frozenset(
            version
            for version, entry in key_ledger.read(directory).items()
            if entry.destroyed is not None and version not in master
        ),
        directory=directory,
        stamp=stamp,
    )


def missing(app: Flask) -> list[str]:
    """Names of the keys ``app`` cannot find."""
    directory = key_dir(app)
    names = [
        f"{name} key ({env} or keys/{filename})"
        for name, filename, env in SINGLE_KEYS
        if _read(directory / filename, env) is None
    ]
    if not _master_keys(directory):
        names.append(f"master key ({MASTER_ENV} or keys/{MASTER_PREFIX}1.key)")
    return names


def _write_new(path: Path, data: bytes) -> None:
    # Written whole under another name, then linked into place: a worker reloading its
    # keyring never reads a key file half written, and link() never overwrites a key, even
    # if two processes race to create it.
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.b64encode(data).decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(partial, path)
    finally:
        partial.unlink()


def create_missing(app: Flask) -> list[str]:
    """Create ``app``'s missing key files and load the keyring; return the files' names."""
    created = create_missing_in(key_dir(app), clock.of(app).now())
    app.extensions["passage.keys"] = load(app)
    return created


def create_missing_in(directory: Path, now: datetime | None = None) -> list[str]:
    """Create whichever key files are missing in ``directory`` (and not given by the
    environment); return their names. A first master key is entered in the ledger as created
    ``now``."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = []
    for _name, filename, env in SINGLE_KEYS:
        if not os.environ.get(env) and not (directory / filename).exists():
            _write_new(directory / filename, secrets.token_bytes(KEY_BYTES))
            created.append(filename)
    if not _master_keys(directory):
        _write_new(directory / f"{MASTER_PREFIX}1.key", secrets.token_bytes(KEY_BYTES))
        created.append(f"{MASTER_PREFIX}1.key")
        if now is not None:
            key_ledger.note(directory, 1, created=now)
    return created


def add_master_key(app: Flask) -> int:
    """Write a new master key file one version above the newest (and above any destroyed
    one), enter its creation in the ledger and return its version."""
    if from_environment():
        raise MissingKeyError(f"master keys come from {MASTER_ENV}: add the new version there")
    ring = keyring(refresh=True)
    # A destroyed version's number is never given again: a restored backup may still name it.
    version = max(ring.master.keys() | ring.destroyed) + 1
    _write_new(key_dir(app) / f"{MASTER_PREFIX}{version}.key", secrets.token_bytes(KEY_BYTES))
    key_ledger.note(key_dir(app), version, created=clock.of(app).now())
    app.extensions["passage.keys"] = load(app)
    return version


def retire_master_key(app: Flask, version: int) -> None:
    """Destroy a master key file that no data key uses any more, and enter it in the ledger
    as destroyed (keys given by the environment are left for the operator to remove).
    ``core.rotation.destroy`` is the checked way: it refuses a key still in use."""
    if not from_environment():
        (key_dir(app) / f"{MASTER_PREFIX}{version}.key").unlink(missing_ok=True)
        key_ledger.note(key_dir(app), version, destroyed=clock.of(app).now())
    app.extensions["passage.keys"] = load(app)


def public_key_text(private: Ed25519PrivateKey) -> str:
    """The checkpoint public key, base64, for auditors to keep."""
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode()


def init_app(app: Flask) -> None:
    """Load the keyring. A production server refuses to start without it; CLI commands may
    (``init-db`` creates it), and whatever needs a key fails closed until it exists."""
    app.extensions["passage.keys"] = load(app)
    serving = click.get_current_context(silent=True) is None
    if settings.of(app).env == "production" and serving and app.extensions["passage.keys"] is None:
        raise MissingKeyError(
            "refusing to start in production without keys: "
            + "; ".join(missing(app))
            + ". Run `flask --app wsgi init-db` or provide them."
        )


def keyring(refresh: bool = False) -> Keyring:
    """The current app's keyring; raises when keys are missing, so nothing runs unaudited or
    unencrypted. It is read again when the key folder has changed: compared at most every
    CHECK_SECONDS, or at once with ``refresh`` (a data key under a version not yet seen)."""
    ring: Keyring | None = current_app.extensions.get("passage.keys")
    if ring is None or _changed(ring, refresh):
        ring = current_app.extensions["passage.keys"] = load(current_app)
    if ring is None:
        raise MissingKeyError(
            "keys are missing: run `flask --app wsgi init-db` or set "
            "PASSAGE_AUDIT_KEY, PASSAGE_CHECKPOINT_KEY, PASSAGE_INDEX_KEY "
            "and PASSAGE_MASTER_KEYS"
        )
    return ring
