"""The report catalogue's pre-aggregates (docs/reporting.md §2, "Pre-aggregates and cache"):
per report, the exact count and cell key of each of its cells in each month, overall, by
team, by country and by both (``stat_aggregates``, the grains of ``definition.GRAINS``), so
that a report reads a few rows per month whatever the number of facts.

They are derived from the facts and kept in step with them in the transaction that writes
the facts: ``refresh`` recomputes the months a batch touched (``facts.flush``, the demo
facts), ``rebuild`` everything (``flask --app wsgi reports refresh``). Each refresh gives the
report a new data version (``stat_aggregate_state``), which keys the cache of published
tables in ``reporting.catalogue``. Reading them is ``catalogue.Report.raw``'s business.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reporting.definition import GRAINS, PARTITION, Cells, Filters, Report
from reporting.models import aggregate_state, aggregates
from reporting.tables import Count

# PostgreSQL advisory lock taken by every refresh until its transaction ends ("passage1"
# in ASCII): two batches filed at once would otherwise each delete the other's rows unseen
# and both insert theirs (under READ COMMITTED a DELETE does not see rows committed while it
# waited). SQLite needs none: BEGIN IMMEDIATE already queues its writers (core.db).
REFRESH_LOCK = 0x7061737361676531


def refresh(
    store: Session, reports: Iterable[Report], months: Collection[str] | None = None
) -> int:
    """Recompute the pre-aggregates of ``reports`` for the months from the first to the
    last of ``months`` (every month when None), and give each a new data version. A report
    whose pre-aggregates are not built, or were built for another version of it, is built
    whole. Runs in the caller's transaction, which commits the facts and their
    pre-aggregates together. Returns the number of rows written (none when ``months`` is
    empty: nothing changed)."""
    reports = [r for r in reports if r.aggregated]  # the others count their facts
    if months is not None and not months:
        return 0
    _lock(store)
    built = {
        name: version
        for name, version in store.execute(
            sa.select(aggregate_state.c.report, aggregate_state.c.version)
        )
    }
    written = 0
    for report in reports:
        if months is None or built.get(report.name) != report.version:
            span = Filters()  # every month
        else:
            span = Filters(min(months), max(months))
        written += _replace(store, report, span)
        _stamp(store, report)
    return written


def rebuild(store: Session, reports: Iterable[Report]) -> int:
    """Drop every pre-aggregate, of reports gone from the catalogue too, and build those of
    ``reports`` from all the facts. Returns the number of rows written."""
    _lock(store)
    store.execute(aggregates.delete())
    store.execute(aggregate_state.delete())
    return refresh(store, reports)


def _lock(store: Session) -> None:
    if store.get_bind().dialect.name == "postgresql":
        store.execute(sa.select(sa.func.pg_advisory_xact_lock(REFRESH_LOCK)))


def _replace(store: Session, report: Report, span: Filters) -> int:
    """Delete the report's rows in the months of ``span`` (every version: an old one is no
    longer read) and write them again, at every grain, from the facts of those months."""
    a = aggregates.c
    doomed = [a.report == report.name]
    if span.since:
        doomed.append(a.month >= span.since)
    if span.until:
        doomed.append(a.month <= span.until)
    store.execute(aggregates.delete().where(*doomed))
    finest = report.counted(store, span, PARTITION)
    rows = [
        _row(report, grain, part, key, count)
        for grain, kept in GRAINS.items()
        for part, cells in _rolled_up(finest, kept).items()
        for key, count in cells.items()
    ]
    if rows:
        store.execute(aggregates.insert(), rows)
    return len(rows)


def _rolled_up(
    finest: dict[tuple[Any, ...], Cells],
    kept: tuple[str, ...],
) -> dict[tuple[Any, ...], Cells]:
    """The cells of the finest grain added up over the partition columns not ``kept``
    (given as None): counts add, cell keys add modulo 256, as the facts' would."""
    mask = [column in kept for column in PARTITION]
    rolled: dict[tuple[Any, ...], Cells] = {}
    for part, cells in finest.items():
        target = rolled.setdefault(
            tuple(value if keep else None for value, keep in zip(part, mask, strict=True)), {}
        )
        for key, count in cells.items():
            target[key] = target.get(key, Count(0)) + count
    return rolled


def _row(
    report: Report, grain: str, part: tuple[Any, ...], key: tuple[str, ...], count: Count
) -> dict[str, Any]:
    month, team_id, country = part
    return {
        "id": uuid.uuid4(),
        "report": report.name,
        "version": report.version,
        "grain": grain,
        "month": month,
        "team_id": team_id,
        "country": country,
        "cell": json.dumps(list(key)),
        "n": count.n,
        "ckey": count.ckey,
    }


def _stamp(store: Session, report: Report) -> None:
    """Mark the report built for its version, with a new data version (under the lock, so a
    delete and an insert cannot race another refresh)."""
    store.execute(aggregate_state.delete().where(aggregate_state.c.report == report.name))
    store.execute(
        aggregate_state.insert().values(
            report=report.name, version=report.version, data_version=uuid.uuid4()
        )
    )
