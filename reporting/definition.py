"""What a report is (docs/reporting.md §2): a named, versioned query over the statistics
facts, declared by its dimensions, its disclosure method and who may read it; the filters it
runs with; and how its cells are counted, from the facts or summed from their
pre-aggregates. The reports themselves are listed in reporting/catalogue.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.roles import Role
from reporting.models import aggregate_state, aggregates, screening_facts
from reporting.tables import TOTAL, Count, PublishedTable, RawTable

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


def stored(store: Session, report: Report, filters: Filters) -> Cells:
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


# The longest period a table lists month by month, empty months included; a longer one
# lists the months from the first to the last that hold data.
MAX_MONTHS = 240


def _months(cells: dict[tuple[str, ...], Count], filters: Filters) -> tuple[str, ...]:
    """Every month from the first to the last (of the filters, else of the data); of a
    period longer than :data:`MAX_MONTHS`, those from the first to the last with data."""
    seen = sorted({key[0] for key in cells})
    first, last = (
        filters.since or (seen[0] if seen else None),
        filters.until or (seen[-1] if seen else None),
    )
    if first is None or last is None:
        return ()
    span = 12 * (int(last[:4]) - int(first[:4])) + int(last[5:]) - int(first[5:])
    if span >= MAX_MONTHS:  # since=2000-01: never a month of data left out of the table
        if not seen:
            return ()
        first, last = max(first, seen[0]), min(last, seen[-1])
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
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
    # The dimensions whose values are parts of one whole, so that a total over them counts
    # something (None: all). Steps of one referral, or means of control reported together,
    # are not: a total across them would count the same referral or screening again.
    summed: tuple[str, ...] | None = None
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
        return self.table(stored(store, self, filters), filters)

    def meaningful(self, table: PublishedTable) -> PublishedTable:
        """``table`` without the totals over a dimension whose values are not parts of one
        whole (``summed``); every other cell as published."""
        if self.summed is None:
            return table
        kept = {
            key: cell
            for key, cell in table.cells.items()
            if all(
                value != TOTAL or name in self.summed
                for name, value in zip(self.dimensions, key, strict=True)
            )
        }
        return replace(table, cells=kept)

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
