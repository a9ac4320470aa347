"""The master keys' ledger: when each version was created, retired (its last data key moved to
a newer one) and destroyed, in ``<instance>/keys/master-keys.json`` beside the keys.

It lives with the keys, never in the database: a restore rolls the database back to the
backup's moment, and the dates that decide when a master key is destroyed must not go back
with it (docs/operations.md). It holds dates only, no key material.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from core.settings_type import ConfigError

LEDGER_FILE = "master-keys.json"
DATES = ("created", "retired", "destroyed")


class LedgerError(ConfigError):
    """The ledger file cannot be read; the message names it."""


@dataclass(frozen=True)
class Entry:
    """The dates of one master key version; None while not (or not known to be) reached."""

    created: datetime | None = None
    retired: datetime | None = None
    destroyed: datetime | None = None


def read(directory: Path) -> dict[int, Entry]:
    """The ledger kept in ``directory`` (empty when there is none yet)."""
    path = directory / LEDGER_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        return {int(version): _entry(dates) for version, dates in data["versions"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise LedgerError(
            f"{path} is not a master key ledger ({error}); restore it from the copy kept with "
            "the keys"
        ) from error


def _entry(dates: dict[str, Any]) -> Entry:
    return Entry(
        **{name: datetime.fromisoformat(dates[name]) if dates.get(name) else None for name in DATES}
    )


def write(directory: Path, ledger: dict[int, Entry]) -> None:
    """Replace the ledger in ``directory`` at once (a reader sees the old or the new one)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    versions = {
        str(version): {
            name: value.isoformat() if (value := getattr(entry, name)) else None for name in DATES
        }
        for version, entry in sorted(ledger.items())
    }
    partial = directory / f".{LEDGER_FILE}.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"versions": versions}, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, directory / LEDGER_FILE)


def note(directory: Path, version: int, **dates: datetime) -> None:
    """Set some dates of ``version`` in the ledger of ``directory``."""
    ledger = read(directory)
    ledger[version] = replace(ledger.get(version, Entry()), **dates)
    write(directory, ledger)
