"""The report catalogue (docs/reporting.md §2): each report a named, versioned query over
the statistics facts, with its dimensions, its disclosure method and who may read it. A
report gives a ``RawTable`` only; ``published`` passes it through disclosure control, the
one way a number leaves (docs/reporting.md §3).

Who sees what: auditors and analysts every report over all teams; a supervisor the same
reports restricted to their own team (docs/access-policy.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access.roles import Role
from reporting import disclosure
from reporting.models import FORCED_LABOUR, MEANS_OF_CONTROL, SERVICES, screening_facts
from reporting.tables import Count, PublishedTable, RawTable, Rule
from screening.rule import CLASSES

ALL_TEAMS = frozenset({Role.AUDITOR, Role.ANALYST})
READERS = ALL_TEAMS | {Role.SUPERVISOR}
# Referral reports: a partner's staff read their own organisation's figures too.
REFERRAL_READERS = READERS | {Role.PARTNER}
USAGE_READERS = frozenset({Role.ADMIN, Role.AUDITOR})


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
        values = {"since": self.since, "until": self.until, "country": self.country,
                  "team": str(self.team) if self.team else None,
                  "partner": str(self.partner) if self.partner else None}
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
    for name, value in (("country", filters.country), ("team_id", filters.team),
                        ("partner_id", filters.partner)):
        if value is not None:
            criteria.append(c[name] == value if name in c else sa.false())
    return criteria


def grouped(store: Session, columns: tuple[str, ...], filters: Filters,
             table: sa.Table = screening_facts, only: tuple[Any, ...] = ()) -> dict[
        tuple[str, ...], Count]:
    c = table.c
    keys = [c[name] for name in columns]
    query = (sa.select(*keys, sa.func.count(), sa.func.sum(c.record_key))
             .where(*where(filters, table), *only).group_by(*keys))
    return {tuple(str(v) if v is not None else "unknown" for v in row[:-2]):
            Count(int(row[-2]), int(row[-1] or 0) % 256) for row in store.execute(query)}


def _flagged(store: Session, columns: dict[str, str], filters: Filters, yes: Any,
             ) -> dict[tuple[str, ...], Count]:
    """One cell per column: the facts whose column says ``yes``."""
    c = screening_facts.c
    selected = []
    for column in columns.values():
        hit = c[column] == yes
        selected += [sa.func.sum(sa.case((hit, 1), else_=0)),
                     sa.func.sum(sa.case((hit, c.record_key), else_=0))]
    row = store.execute(sa.select(*selected).where(*where(filters))).one()
    return {(name,): Count(int(row[2 * n] or 0), int(row[2 * n + 1] or 0) % 256)
            for n, name in enumerate(columns)}


def _months(cells: dict[tuple[str, ...], Count], filters: Filters) -> tuple[str, ...]:
    """Every month from the first to the last (of the filters, else of the data)."""
    seen = sorted({key[0] for key in cells})
    first, last = filters.since or (seen[0] if seen else None), \
        filters.until or (seen[-1] if seen else None)
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
    # A report not over facts (usage) counts with its own query.
    query: Callable[[Session, Filters], dict[tuple[str, ...], Count]] | None = None

    def raw(self, store: Session, filters: Filters) -> RawTable:
        """Exact counts: never shown, only published."""
        kept = tuple(self.source.c[column].in_(values) for column, values in self.only)
        if self.query is not None:
            cells = self.query(store, filters)
        elif self.flags:
            cells = _flagged(store, self.flags, filters, self.flag_value)
        else:
            cells = grouped(store, self.group_by, filters, self.source, kept)
        return RawTable(self.dimensions, cells, tuple(
            _values(spec, n, cells, filters) for n, spec in enumerate(self.categories)))


def _values(spec: Any, position: int, cells: dict[tuple[str, ...], Count],
            filters: Filters) -> tuple[str, ...]:
    if spec == MONTHS:
        return _months(cells, filters)
    if spec == SEEN:
        return tuple(sorted({key[position] for key in cells}))
    return tuple(spec)


from reporting.service_reports import SERVICE_REPORTS  # noqa: E402 - they need Report

MOC = {value: f"moc_{column}" for value, column in MEANS_OF_CONTROL.items() if value != "Other"}
FL = {tag: f"fl_{tag}" for tag in FORCED_LABOUR}
NEEDS = {service: f"need_{service}" for service in SERVICES}

CATALOGUE: dict[str, Report] = {report.name: report for report in (
    Report("screenings_by_month", _l("Screenings by month and result"), 1,
           ("month", "classification"), (MONTHS, CLASSES), group_by=("month", "classification"),
           chart="stacked_bar"),
    Report("screenings_by_country", _l("Screenings by country and population"), 1,
           ("country", "population"), (SEEN, ("adult", "child")),
           group_by=("country", "population"), chart="stacked_bar"),
    Report("means_of_control", _l("Means of control reported"), 1, ("means_of_control",),
           (tuple(MOC),), flags=MOC),
    Report("forced_labour_indicators", _l("Forced-labour indicators reported"), 1,
           ("forced_labour_indicator",), (tuple(FL),), flags=FL),
    Report("needs", _l("Needs recorded at screening"), 1, ("need",), (tuple(NEEDS),),
           flags=NEEDS, flag_value=True),
    *SERVICE_REPORTS,
)}


def visible(user: Any) -> list[Report]:
    """The reports ``user`` may read, in catalogue order."""
    return [report for report in CATALOGUE.values() if user.role in report.readers]


def rule_of(report: Report, k: int) -> Rule:
    """The disclosure rule a report is published with, at the deployment's threshold."""
    return Rule(report.method, k=k)


def published(store: Session, report: Report, filters: Filters, k: int) -> PublishedTable:
    """The report as it may be shown: the one path from the facts to any reader."""
    return disclosure.publish(report.raw(store, filters), rule_of(report, k))
