"""The report catalogue (docs/reporting.md §2): every report, each a named, versioned query
over the statistics facts (reporting/definition.py says what a report is), and who may read
which. A report gives a ``RawTable`` only; ``published`` passes it through disclosure control, the
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

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core import settings
from reporting import definition, disclosure
from reporting.definition import MONTHS, SEEN, Filters, Report
from reporting.models import (
    FORCED_LABOUR,
    MEANS_OF_CONTROL,
    SERVICES,
    screening_facts,
)
from reporting.service_reports import SERVICE_REPORTS
from reporting.tables import PublishedTable, Rule
from screening.instruments import POPULATIONS
from screening.rule import CLASSES

CACHE_SIZE = 256  # published tables kept per process (a few kilobytes each)

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
            summed=(),
        ),
        Report(
            "forced_labour_indicators",
            _l("Forced-labour indicators reported"),
            1,
            ("forced_labour_indicator",),
            (tuple(FL),),
            flags=FL,
            summed=(),
        ),
        Report(
            "needs",
            _l("Needs recorded at screening"),
            1,
            ("need",),
            (tuple(NEEDS),),
            flags=NEEDS,
            flag_value=True,
            summed=(),
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
        return report.meaningful(
            disclosure.protect(report.raw(store, filters), Rule("suppress", k=k))
        )
    rule = rule_of(report, k)
    version = definition.data_version(store, report) if report.aggregated else None
    if version is None:
        return report.meaningful(disclosure.publish(report.direct(store, filters), rule))
    key = (report.name, report.version, filters, k, version)
    table = CACHE.get(key)
    if table is None:
        table = report.meaningful(
            disclosure.publish(
                report.table(definition.stored(store, report, filters), filters), rule
            )
        )
        CACHE.put(key, table)
    return table
