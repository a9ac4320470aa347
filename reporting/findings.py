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
    the table has two dimensions and publishes one; else the largest cell, naming each of its
    values), or that every count is too small to show."""
    rest = (TOTAL,) * (len(table.dimensions) - 1)
    candidates = [
        (key[:1], cell.value)
        for key, cell in table.totals()
        if len(table.dimensions) > 1 and key[0] != TOTAL and key[1:] == rest
    ] or [(key, cell.value) for key, cell in table.rows()]
    shown = [(values, count) for values, count in candidates if count]
    if not shown:
        return gettext("Every count is zero or under the threshold, so none is shown.")
    values, count = max(shown, key=lambda pair: pair[1])  # first of equals, in table order
    what = ", ".join(str(labels.get(value, value)) for value in values)
    return gettext("The largest count is %(what)s: %(count)d.", what=what, count=count)
