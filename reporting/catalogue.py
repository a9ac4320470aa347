"""The report catalogue (docs/reporting.md §2): each report a named, versioned query over
the statistics facts, with its dimensions, its disclosure method and who may read it. A
report gives a ``RawTable`` only; ``published`` passes it through disclosure control, the
one way a number leaves (docs/reporting.md §3).

Who sees what: auditors and analysts every report over all teams; a supervisor the same
reports restricted to their own team (docs/access-policy.md).

Where the counts come from: once a report's pre-aggregates are built (reporting.aggregates),
``Report.raw`` sums them over the filters' months, team and country and never reads the
facts; ``Report.direct`` counts the facts themselves, the reference the pre-aggregates are
built from and tested against. ``published`` keeps what it publishes from the pre-aggregates
in a small in-process cache keyed by their data version (docs/reporting.md §2, "Pre-aggregates
and cache").
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access.roles import Role
from core import settings
from reporting import disclosure
from reporting.models import (
    FORCED_LABOUR,
    MEANS_OF_CONTROL,
    SERVICES,
    aggregate_state,
    aggregates,
    screening_facts,
)
from reporting.tables import Count, PublishedTable, RawTable, Rule
from screening.instruments import POPULATIONS
from screening.rule import CLASSES

ALL_TEAMS = frozenset({Role.AUDITOR, Role.ANALYST})
READERS = ALL_TEAMS | {Role.SUPERVISOR}
# Referral reports: a partner's staff read their own organisation's figures too.
REFERRAL_READERS = READERS | {Role.PARTNER}
USAGE_READERS = frozenset({Role.ADMIN, Role.AUDITOR})
# The columns the filters select on: the finest grain of the pre-aggregates, so that any
# filter is a sum of whole pre-aggregated rows.
PARTITION = ("month", "team_id", "country")
# The grains the pre-aggregates hold, by the partition columns each keeps: a request reads
# the coarsest one its filters allow (``grain_of``), a few rows per month for most.
GRAINS = {
    "month": ("month",),
    "team": ("month", "team_id"),
    "country": ("month", "country"),
    "team_country": PARTITION,
}
CACHE_SIZE = 256  # published tables kept per process (a few kilobytes each)

Cells = dict[tuple[str, ...], Count]


@dataclass(frozen=True)
class Filters:
    """What a report is restricted to: months ``since``..``until`` (``YYYY-MM``, both
    included), a country (ISO alpha-2) and a team."""

    since: str | None = None
    until: str | None = None
    country: str | None = None
    team: uuid.UUID | None = None
    partner: uuid.UUID | None = None  # never asked: forced for partner staff

    def as_dict(self) -> dict[str, str]:
        """The filters set, as strings (for audit events and links)."""
        values = {
            "since": self.since,
            "until": self.until,
            "country": self.country,
            "team": str(self.team) if self.team else None,
            "partner": str(self.partner) if self.partner else None,
        }
        return {k: v for k, v in values.items() if v}


def for_user(user: Any, asked: Filters) -> Filters:
    """The filters a report runs with for ``user``: a supervisor's team and a partner's
    organisation are forced, whatever was asked; auditors and analysts keep what they
    asked."""
    if user.role == Role.SUPERVISOR:
        return Filters(asked.since, asked.until, asked.country, user.team_id)
    if user.role == Role.PARTNER:
        return Filters(asked.since, asked.until, asked.country, None, user.partner_id)
    return asked


def where(filters: Filters, table: sa.Table = screening_facts) -> list[Any]:
    """The criteria selecting the facts of ``table`` that match ``filters`` (for screening
    facts, completed screenings only; a filter on a column the table lacks selects
    nothing rather than everything)."""
    c = table.c
    # Screening reports count completed screenings; "not stored" facts count refusals.
    criteria: list[Any] = [c.outcome == "completed"] if table is screening_facts else []
    if filters.since:
        criteria.append(c.month >= filters.since)
    if filters.until:
        criteria.append(c.month <= filters.until)
    for name, value in (
        ("country", filters.country),
        ("team_id", filters.team),
        ("partner_id", filters.partner),
    ):
        if value is not None:
            criteria.append(c[name] == value if name in c else sa.false())
    return criteria


def _label(value: Any) -> str:
    """A dimension value as a table shows it: a string, "unknown" for no value."""
    return "unknown" if value is None else str(value)


def _count(n: Any, keys: Any) -> Count:
    return Count(int(n or 0), int(keys or 0) % 256)


def grouped(
    store: Session,
    columns: tuple[str, ...],
    filters: Filters,
    table: sa.Table = screening_facts,
    only: tuple[Any, ...] = (),
    by: tuple[str, ...] = (),
) -> dict[tuple[Any, ...], Cells]:
    """Per value of the ``by`` columns, one cell per combination of values of ``columns``
    among the facts of ``table`` matching ``filters`` and the criteria ``only``."""
    c = table.c
    parts, keys = [c[name] for name in by], [c[name] for name in columns]
    query = (
        sa.select(*parts, *keys, sa.func.count(), sa.func.sum(c.record_key))
        .where(*where(filters, table), *only)
        .group_by(*parts, *keys)
    )
    found: dict[tuple[Any, ...], Cells] = {}
    for row in store.execute(query):
        cells = found.setdefault(tuple(row[: len(by)]), {})
        key = tuple(_label(v) for v in row[len(by) : -2])
        # No value and the value "unknown" are one cell: added, never one overwriting the other.
        cells[key] = cells.get(key, Count(0)) + _count(row[-2], row[-1])
    return found


def _flagged(
    store: Session, columns: dict[str, str], filters: Filters, yes: Any, by: tuple[str, ...] = ()
) -> dict[tuple[Any, ...], Cells]:
    """Per value of the ``by`` columns, one cell per column: the facts whose column says
    ``yes``. Cells of no fact are left out (a ``RawTable`` reads them as zero)."""
    c = screening_facts.c
    parts = [c[name] for name in by]
    selected = []
    for column in columns.values():
        hit = c[column] == yes
        selected += [
            sa.func.sum(sa.case((hit, 1), else_=0)),
            sa.func.sum(sa.case((hit, c.record_key), else_=0)),
        ]
    query = sa.select(*parts, *selected).where(*where(filters))
    if parts:
        query = query.group_by(*parts)
    found: dict[tuple[Any, ...], Cells] = {}
    for row in store.execute(query):
        sums = row[len(by) :]
        cells = {(name,): _count(sums[2 * n], sums[2 * n + 1]) for n, name in enumerate(columns)}
        found[tuple(row[: len(by)])] = {key: count for key, count in cells.items() if count.n}
    return found


def grain_of(filters: Filters) -> str:
    """The coarsest grain of the pre-aggregates that can answer ``filters``."""
    return {
        (False, False): "month",
        (True, False): "team",
        (False, True): "country",
        (True, True): "team_country",
    }[(bool(filters.team), bool(filters.country))]


def _stored(store: Session, report: Report, filters: Filters) -> Cells:
    """The report's cells summed from its pre-aggregates over the months, team and country
    of ``filters``: the same counts and cell keys as counting the facts (a cell key is a
    sum modulo 256, and sums of sums modulo 256 are the same sum modulo 256)."""
    a = aggregates.c
    criteria = [a.report == report.name, a.version == report.version, a.grain == grain_of(filters)]
    if filters.since:
        criteria.append(a.month >= filters.since)
    if filters.until:
        criteria.append(a.month <= filters.until)
    if filters.country:
        criteria.append(a.country == filters.country)
    if filters.team:
        criteria.append(a.team_id == filters.team)
    query = (
        sa.select(a.cell, sa.func.sum(a.n), sa.func.sum(a.ckey)).where(*criteria).group_by(a.cell)
    )
    return {tuple(json.loads(cell)): _count(n, keys) for cell, n, keys in store.execute(query)}


def data_version(store: Session, report: Report) -> uuid.UUID | None:
    """The data version of the report's pre-aggregates, new at every refresh; None while
    they are not built for this version of the report (then it counts the facts)."""
    state = aggregate_state.c
    return store.scalar(
        sa.select(state.data_version).where(
            state.report == report.name, state.version == report.version
        )
    )


def _months(cells: dict[tuple[str, ...], Count], filters: Filters) -> tuple[str, ...]:
    """Every month from the first to the last (of the filters, else of the data)."""
    seen = sorted({key[0] for key in cells})
    first, last = (
        filters.since or (seen[0] if seen else None),
        filters.until or (seen[-1] if seen else None),
    )
    if first is None or last is None:
        return ()
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last and len(months) < 240:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(months)


MONTHS = "months"  # categories: every month of the period
SEEN = "seen"  # categories: the values found, sorted


@dataclass(frozen=True)
class Report:
    """One report of the catalogue, declared rather than coded: either counts grouped by
    fact columns (``group_by``, one dimension each), or one count per flag column
    (``flags``: category -> column, counted where the column equals ``flag_value``).
    ``categories`` gives, per dimension, its values in display order, ``MONTHS`` or
    ``SEEN``."""

    name: str
    title: Any  # a lazy translated string
    version: int
    dimensions: tuple[str, ...]
    categories: tuple[Any, ...]
    group_by: tuple[str, ...] = ()
    flags: dict[str, str] = field(default_factory=dict)
    flag_value: Any = 1
    method: str = "cellkey"
    readers: frozenset[Role] = field(default=READERS)
    chart: str = "bar"
    source: sa.Table = screening_facts
    only: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # (column, values kept)
    # A report not declared by columns (usage, steps by partner) counts with its own function.
    counter: Callable[[Session, Filters], dict[tuple[str, ...], Count]] | None = None

    @property
    def aggregated(self) -> bool:
        """Whether the report has pre-aggregates: reports over the screening facts do (the
        table that grows to national scale); referral, need and usage reports count their
        smaller tables directly."""
        return self.counter is None and self.source is screening_facts

    def counted(
        self,
        store: Session,
        filters: Filters,
        by: tuple[str, ...] = (),
    ) -> dict[tuple[Any, ...], Cells]:
        """Exact cells counted from the facts matching ``filters``, per value of the ``by``
        columns (without ``by``, all under the key ``()``)."""
        if self.counter is not None:
            return {(): self.counter(store, filters)}
        if self.flags:
            return _flagged(store, self.flags, filters, self.flag_value, by)
        kept = tuple(self.source.c[column].in_(values) for column, values in self.only)
        return grouped(store, self.group_by, filters, self.source, kept, by)

    def direct(self, store: Session, filters: Filters) -> RawTable:
        """Exact counts straight from the facts: the reference the pre-aggregates are built
        from and checked against, and the answer while they are not built."""
        return self.table(self.counted(store, filters).get((), {}), filters)

    def raw(self, store: Session, filters: Filters) -> RawTable:
        """Exact counts, never shown, only published: from the pre-aggregates once they are
        built for this version of the report, else from the facts."""
        if not self.aggregated or data_version(store, self) is None:
            return self.direct(store, filters)
        return self.table(_stored(store, self, filters), filters)

    def table(self, cells: Cells, filters: Filters) -> RawTable:
        """The report's ``RawTable`` of ``cells``, with its categories for ``filters``."""
        return RawTable(
            self.dimensions,
            cells,
            tuple(_values(spec, n, cells, filters) for n, spec in enumerate(self.categories)),
        )


def _values(
    spec: Any, position: int, cells: dict[tuple[str, ...], Count], filters: Filters
) -> tuple[str, ...]:
    if spec == MONTHS:
        return _months(cells, filters)
    seen = {key[position] for key in cells}
    if spec == SEEN:
        return tuple(sorted(seen))
    # A value outside the vocabulary (no value recorded: "unknown") is still counted, last.
    return (*spec, *sorted(seen - set(spec)))


from reporting.service_reports import SERVICE_REPORTS  # noqa: E402 - they need Report

MOC = {value: f"moc_{column}" for value, column in MEANS_OF_CONTROL.items() if value != "Other"}
FL = {tag: f"fl_{tag}" for tag in FORCED_LABOUR}
NEEDS = {service: f"need_{service}" for service in SERVICES}

CATALOGUE: dict[str, Report] = {
    report.name: report
    for report in (
        Report(
            "screenings_by_month",
            _l("Screenings by month and result"),
            1,
            ("month", "classification"),
            (MONTHS, CLASSES),
            group_by=("month", "classification"),
            chart="stacked_bar",
        ),
        Report(
            "screenings_by_country",
            _l("Screenings by country and population"),
            1,
            ("country", "population"),
            (SEEN, POPULATIONS),
            group_by=("country", "population"),
            chart="stacked_bar",
        ),
        Report(
            "means_of_control",
            _l("Means of control reported"),
            1,
            ("means_of_control",),
            (tuple(MOC),),
            flags=MOC,
        ),
        Report(
            "forced_labour_indicators",
            _l("Forced-labour indicators reported"),
            1,
            ("forced_labour_indicator",),
            (tuple(FL),),
            flags=FL,
        ),
        Report(
            "needs",
            _l("Needs recorded at screening"),
            1,
            ("need",),
            (tuple(NEEDS),),
            flags=NEEDS,
            flag_value=True,
        ),
        *SERVICE_REPORTS,
    )
}


def aggregated(table: sa.Table = screening_facts) -> list[Report]:
    """The reports over ``table`` that keep pre-aggregates."""
    return [r for r in CATALOGUE.values() if r.aggregated and r.source is table]


def visible(user: Any) -> list[Report]:
    """The reports ``user`` may read, in catalogue order."""
    return [report for report in CATALOGUE.values() if user.role in report.readers]


def readable(user: Any, name: str) -> Report | None:
    """The report ``name`` when ``user`` may read it (asked at every request), else None."""
    report = CATALOGUE.get(name)
    return report if report is not None and user.role in report.readers else None


def threshold() -> int:
    """The deployment's threshold k (start-up refuses one disclosure control would not
    accept: reporting.facts.init_app)."""
    return settings.current().stats_threshold


def rule_of(report: Report, k: int) -> Rule:
    """The disclosure rule a report is published with, at the deployment's threshold."""
    return Rule(report.method, k=k)


class TableCache:
    """Published tables by key, the least recently used dropped beyond ``size``; safe to
    share between the threads of a worker. A table taken from it is shared: read it, never
    change it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._tables: OrderedDict[Hashable, PublishedTable] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> PublishedTable | None:
        """The table kept under ``key``, now the most recently used; None if there is none."""
        with self._lock:
            table = self._tables.get(key)
            if table is not None:
                self._tables.move_to_end(key)
            return table

    def put(self, key: Hashable, table: PublishedTable) -> None:
        """Keep ``table`` under ``key``, dropping the least recently used beyond the size."""
        with self._lock:
            self._tables[key] = table
            self._tables.move_to_end(key)
            while len(self._tables) > self.size:
                self._tables.popitem(last=False)

    def clear(self) -> None:
        """Forget every table."""
        with self._lock:
            self._tables.clear()

    def __len__(self) -> int:
        return len(self._tables)


CACHE = TableCache(CACHE_SIZE)


def published(
    store: Session, report: Report, filters: Filters, k: int, audited: bool = False
) -> PublishedTable:
    """The report as it may be shown: the one path from the facts to any reader. From the
    pre-aggregates, a table is cached under (report, version, filters, k, data version):
    every refresh writes a new data version, so nothing published before it is served
    after it. ``audited`` publishes exact counts with complementary suppression instead,
    every suppressed cell's interval checked by linear programming and repaired until none
    is narrower than k (disclosure.protect): for a table published once with its totals,
    from the command line, never in a request (docs/reporting.md §3)."""
    if audited:
        return disclosure.protect(report.raw(store, filters), Rule("suppress", k=k))
    rule = rule_of(report, k)
    version = data_version(store, report) if report.aggregated else None
    if version is None:
        return disclosure.publish(report.direct(store, filters), rule)
    key = (report.name, report.version, filters, k, version)
    table = CACHE.get(key)
    if table is None:
        table = disclosure.publish(report.table(_stored(store, report, filters), filters), rule)
        CACHE.put(key, table)
    return table
