"""CSV cells a spreadsheet will not run: one guard for every CSV Passage writes."""

from __future__ import annotations

from typing import Any

# A leading =, +, - or @ (or a tab or carriage return before one) makes a spreadsheet treat
# the cell as a formula; an apostrophe in front keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """``value`` as CSV text, empty for None, never read as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text
