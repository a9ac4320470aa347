"""How a published table leaves the service (docs/reporting.md §5): as JSON rows or CSV
(the same rows), and the record of every release — an audit event and an entry in the
release register with the report, filters, method, row count and the SHA-256 of what was
sent. Only a ``PublishedTable`` can be written out: raw counts have no way here."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from core.csvcells import safe_cell
from reporting import disclosure
from reporting.models import releases
from reporting.tables import TOTAL, PublishedTable, Rule

TOTAL_LABEL = "total"  # a total's dimension value in rows, CSV and JSON


def rows(table: PublishedTable) -> list[dict[str, Any]]:
    """One dict per published cell, totals last: dimension values as strings (a total's
    as "total") and ``count``, which is 0, a multiple of the base, or "<10"."""
    return [
        {
            **{
                name: (TOTAL_LABEL if value == TOTAL else value)
                for name, value in zip(table.dimensions, key, strict=True)
            },
            "count": cell.as_json(),
        }
        for key, cell in (*table.rows(), *table.totals())
    ]


def rule_of(rule: Rule) -> dict[str, Any]:
    """A disclosure rule as JSON, with the sentence printed under its tables."""
    return {
        "method": rule.method,
        "threshold": rule.k,
        "base": rule.base,
        "text": str(disclosure.rule_text(rule)),
    }


def document(
    name: str, version: int, filters: dict[str, str], table: PublishedTable
) -> dict[str, Any]:
    """A published report as the API and ``reports export --format json`` give it."""
    return {
        "report": name,
        "version": version,
        "filters": filters,
        "rule": rule_of(table.rule),
        "rows": rows(table),
    }


def to_csv(table: PublishedTable) -> str:
    """The published table as CSV: one column per dimension, then ``count``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*table.dimensions, "count"])
    for row in rows(table):
        # Values are codes from fixed vocabularies; the guard is for spreadsheets anyway.
        writer.writerow([safe_cell(row[name]) for name in (*table.dimensions, "count")])
    return buffer.getvalue()


def record_release(
    store: Session,
    *,
    user_id: uuid.UUID | None,
    channel: str,
    report: str,
    version: int,
    filters: dict[str, str],
    method: str,
    threshold: int,
    form: str,
    row_count: int,
    content: bytes,
    now: datetime,
) -> str:
    """Write the audit event and the register entry of one release; returns its SHA-256."""
    digest = hashlib.sha256(content).hexdigest()
    details = {
        "report": report,
        "version": version,
        "filters": filters,
        "method": method,
        "threshold": threshold,
        "format": form,
        "rows": row_count,
        "sha256": digest,
        "channel": channel,
    }
    audit.record(store, "stats.released", object_type="report", details=details)
    store.execute(
        releases.insert().values(
            id=uuid.uuid4(),
            released_at=now,
            released_by=user_id,
            channel=channel,
            report=report,
            version=version,
            filters=json.dumps(filters, sort_keys=True),
            method=method,
            threshold=threshold,
            format=form,
            rows=row_count,
            sha256=digest,
        )
    )
    return digest


def record_table_release(
    store: Session,
    *,
    user_id: uuid.UUID | None,
    channel: str,
    report: Any,
    filters: dict[str, str],
    table: PublishedTable,
    form: str,
    content: bytes,
    now: datetime,
) -> str:
    """Record the release of one published report (``report`` a catalogue entry): its
    rule and row count come from the table itself."""
    return record_release(
        store,
        user_id=user_id,
        channel=channel,
        report=report.name,
        version=report.version,
        filters=filters,
        method=table.rule.method,
        threshold=table.rule.k,
        form=form,
        row_count=len(rows(table)),
        content=content,
        now=now,
    )


def register(store: Session, page: int = 1, per_page: int = 50) -> tuple[list[Any], int]:
    """A page of the release register, newest first, and how many entries there are."""
    total = store.scalar(sa.select(sa.func.count()).select_from(releases)) or 0
    entries = store.execute(
        sa.select(releases)
        .order_by(releases.c.released_at.desc(), releases.c.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(entries), int(total)
