"""The one-sentence finding under a chart's title (its SVG ``<desc>``), written from the
published numbers only, so the sentence can reveal nothing the table does not show
(docs/reporting.md §4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext

from reporting.tables import TOTAL, PublishedTable


def finding(table: PublishedTable, labels: Mapping[str, Any]) -> str:
    """Which value of the first dimension has the largest published count (its total when
    the table has two dimensions), or that every count is too small to show."""
    if len(table.dimensions) == 1:
        candidates = [(key[0], cell.value) for key, cell in table.rows()]
    else:
        rest = (TOTAL,) * (len(table.dimensions) - 1)
        candidates = [
            (key[0], cell.value)
            for key, cell in table.totals()
            if key[0] != TOTAL and key[1:] == rest
        ]
    shown = [(value, count) for value, count in candidates if count]
    if not shown:
        return gettext("Every count is zero or under the threshold, so none is shown.")
    value, count = max(shown, key=lambda pair: pair[1])  # first of equals, in table order
    return gettext(
        "The largest count is %(what)s: %(count)d.", what=str(labels.get(value, value)), count=count
    )
