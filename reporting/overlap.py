"""Releases that could be subtracted from each other (docs/reporting.md §3.8): two files of
the same table made by the same method over overlapping months differ by exactly the people
counted in one and not the other. Each CTDC file is k-anonymous on its own and each exact
(``--suppress``) table passes its own audit, but January–February less January is
February's people, however few. So a month goes into at most one CTDC file, and into at most
one exact release of each table; the rounded (10-5 or cell-key) tables, whose noise hides a
difference under the threshold, can be released again."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core.errors import NotNow
from reporting.models import releases

# The first month of every period that has none, as YYYY-MM compares.
EARLIEST = "0000-00"
# PostgreSQL advisory lock held by every release check until its transaction ends ("passrel1"
# in ASCII): two releases at the same moment would otherwise both find the register without
# the other and both go out. SQLite needs none: BEGIN IMMEDIATE already queues its writers.
RELEASE_LOCK = 0x7061737372656C31


class ReleasedBefore(NotNow):
    """Some of these months were already released by the same method (409)."""


def months(filters: dict[str, Any], at: datetime) -> tuple[str, str]:
    """The months a release covers: from ``since`` (or the first) to ``until`` (or the
    month it was made in, after which it can have counted nobody)."""
    return filters.get("since") or EARLIEST, filters.get("until") or at.strftime("%Y-%m")


def refuse_overlap(
    store: Session, report: str, method: str, filters: dict[str, Any], now: datetime
) -> None:
    """Raise :class:`ReleasedBefore` when an earlier release of ``report`` by ``method``
    covers any of the months ``filters`` ask for, whatever their other filters (a country
    or a team less the whole is a difference too). Asked under a lock held to the end of
    the transaction that records the release, so two at once take turns."""
    if store.get_bind().dialect.name == "postgresql":
        store.execute(sa.select(sa.func.pg_advisory_xact_lock(RELEASE_LOCK)))
    first, last = months(filters, now)
    earlier = store.execute(
        sa.select(releases.c.released_at, releases.c.filters)
        .where(releases.c.report == report, releases.c.method == method)
        .order_by(releases.c.released_at)
    )
    for released_at, text in earlier:
        since, until = months(json.loads(text), released_at)
        if first <= until and since <= last:
            raise ReleasedBefore(
                str(
                    _l(
                        "Months from %(since)s to %(until)s were already released this way on "
                        "%(date)s. Releasing any of them again would let the two files be "
                        "subtracted to single people out: choose months not released yet.",
                        since=since if since != EARLIEST else _l("the first"),
                        until=until,
                        date=released_at.strftime("%Y-%m-%d"),
                    )
                ),
                {"since": str(_l("already released")), "until": str(_l("already released"))},
            )
