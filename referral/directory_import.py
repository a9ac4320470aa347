"""``partners import``: loading the partner directory from a JSON list shaped after Open
Referral's HSDS, all or nothing. The whole file is checked first and every problem named
(the shape of the file, each entry as ``referral.directory`` checks one partner, a slug
given twice, a vetting expiry past its bound) in English for the command line; nothing
changes unless every entry is valid. Follows README.md, "Managing users, tokens, keys and the
audit log" (the file's shape) and docs/security.md R30 (the bounds it shares with the admin
form)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from access import audit
from referral import directory


def import_partners(store: Session, data: Any, now: datetime) -> dict[str, int]:
    """Create or update every partner in ``data`` (a JSON list), all or nothing; return how
    many were created and updated. Raises ``directory.DirectoryError`` naming each problem by
    its place in the file (``[3].slug``)."""
    checked = _checked(data, now)
    counts = {"created": 0, "updated": 0}
    for entry in checked:
        counts["created" if directory.save_entry(store, entry, now) else "updated"] += 1
    audit.record(store, "partners.imported", details=counts)
    return counts


def _checked(data: Any, now: datetime) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise directory.DirectoryError({"file": "must hold a JSON list of partners"})
    problems: dict[str, str] = {}
    checked = [directory.check_entry(item, f"[{n}]", problems) for n, item in enumerate(data)]
    first: dict[Any, int] = {}
    for n, entry in enumerate(checked):
        if entry is not None and isinstance(entry["slug"], str):
            earlier = first.setdefault(entry["slug"], n)
            if earlier != n:
                problems.setdefault(f"[{n}].slug", f"the same slug as [{earlier}]")
    for n, entry in enumerate(checked):
        if entry is not None and directory.too_far(entry["valid_until"], now):
            problems[f"[{n}].vetting.valid_until"] = (
                f"at most {directory.VETTING_YEARS_MAX} years from today"
            )
    if problems:
        raise directory.DirectoryError(problems)
    # No problems means every entry parsed.
    return [entry for entry in checked if entry is not None]
