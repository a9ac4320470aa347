"""Keys kept outside the database: the audit MAC key, the Ed25519 checkpoint key, the
blind-index key and the versioned master keys that wrap data keys.

Each comes from an environment variable or a file in ``<instance>/keys`` (mode 600, created
by ``init-db``). Nothing here touches the disk at import time.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app

from core import settings
from core.settings import ConfigError

KEY_BYTES = 32
MASTER_PREFIX = "master-v"
# (name, file in <instance>/keys, environment variable holding it in base64)
SINGLE_KEYS = (
    ("audit", "audit.key", "PASSAGE_AUDIT_KEY"),
    ("checkpoint", "checkpoint.key", "PASSAGE_CHECKPOINT_KEY"),
    ("index", "index.key", "PASSAGE_INDEX_KEY"),
)


class MissingKeyError(ConfigError):
    """A key is missing or malformed; the message names it and how to provide it."""


@dataclass
class Keyring:
    """Every key Passage holds. ``master`` maps a version to its 32-byte key."""

    audit: bytes
    checkpoint: Ed25519PrivateKey
    index: bytes
    master: dict[int, bytes] = field(default_factory=dict)

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


def _master_keys(directory: Path) -> dict[int, bytes]:
    value = os.environ.get("PASSAGE_MASTER_KEYS")
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


def load_from(directory: Path) -> Keyring | None:
    """Read the keyring from the environment and ``directory``; None when a key is missing."""
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
        names.append(f"master key (PASSAGE_MASTER_KEYS or keys/{MASTER_PREFIX}1.key)")
    return names


def _write_new(path: Path, data: bytes) -> None:
    # O_EXCL: never overwrite a key, even if two processes race to create it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(data).decode() + "\n")


def create_missing(app: Flask) -> list[str]:
    """Create ``app``'s missing key files and load the keyring; return the files' names."""
    created = create_missing_in(key_dir(app))
    app.extensions["passage.keys"] = load(app)
    return created


def create_missing_in(directory: Path) -> list[str]:
    """Create whichever key files are missing in ``directory`` (and not given by the
    environment); return their names."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = []
    for _name, filename, env in SINGLE_KEYS:
        if not os.environ.get(env) and not (directory / filename).exists():
            _write_new(directory / filename, secrets.token_bytes(KEY_BYTES))
            created.append(filename)
    if not _master_keys(directory):
        _write_new(directory / f"{MASTER_PREFIX}1.key", secrets.token_bytes(KEY_BYTES))
        created.append(f"{MASTER_PREFIX}1.key")
    return created


def add_master_key(app: Flask) -> int:
    """Write a new master key file one version above the newest; return its version."""
    if os.environ.get("PASSAGE_MASTER_KEYS"):
        raise MissingKeyError(
            "master keys come from PASSAGE_MASTER_KEYS: add the new version there"
        )
    version = keyring().master_version + 1
    _write_new(key_dir(app) / f"{MASTER_PREFIX}{version}.key", secrets.token_bytes(KEY_BYTES))
    app.extensions["passage.keys"] = load(app)
    return version


def retire_master_key(app: Flask, version: int) -> None:
    """Delete a master key file that no data key uses any more (keys given by the
    environment are left for the operator to remove)."""
    if not os.environ.get("PASSAGE_MASTER_KEYS"):
        (key_dir(app) / f"{MASTER_PREFIX}{version}.key").unlink(missing_ok=True)
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


def keyring() -> Keyring:
    """The current app's keyring; raises when keys are missing, so nothing runs unaudited
    or unencrypted."""
    ring: Keyring | None = current_app.extensions.get("passage.keys")
    if ring is None:
        raise MissingKeyError(
            "keys are missing: run `flask --app wsgi init-db` or set "
            "PASSAGE_AUDIT_KEY, PASSAGE_CHECKPOINT_KEY, PASSAGE_INDEX_KEY "
            "and PASSAGE_MASTER_KEYS"
        )
    return ring
