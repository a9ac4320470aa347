"""The table beside every report chart (docs/reporting.md §4): a published table arranged
for ``templates/reporting/_table.html``, as one count column or a crosstab of rows by
columns, with the totals the table publishes.
"""

from __future__ import annotations

from dataclasses import dataclass

from reporting.chart_cells import categories, cell, expect_dimensions
from reporting.tables import TOTAL, Cell, PublishedTable


@dataclass(frozen=True)
class TableRow:
    """A row of the table: its category (raw value) and its cells, one per column; None
    where the table publishes no total for that column. ``total`` marks the totals row."""

    category: str
    cells: tuple[Cell | None, ...]
    total: bool = False


@dataclass(frozen=True)
class Crosstab:
    """What reporting/_table.html prints: a one-dimension table as one count column, a
    two-dimension table as rows by columns; a totals column and a totals row where the
    published table has totals (``total_column`` means the last cell of a row is its
    total). The cells are the chart's cells, read the same way (``cell``)."""

    row_dimension: str
    column_dimension: str | None
    columns: tuple[str, ...]
    total_column: bool
    body: tuple[TableRow, ...]
    foot: TableRow | None


def table_layout(table: PublishedTable) -> Crosstab:
    """Arrange a one- or two-dimension published table for its HTML table."""
    if len(table.dimensions) == 1:
        rows = categories(table, 0)
        total = table.cells.get((TOTAL,))
        return Crosstab(
            table.dimensions[0],
            None,
            ("",),
            False,
            tuple(TableRow(r, (cell(table, (r,)),)) for r in rows),
            TableRow(TOTAL, (total,), total=True) if total else None,
        )
    expect_dimensions(table, 2, "crosstab")
    rows, columns = categories(table, 0), categories(table, 1)
    totals = {key for key, _cell in table.totals()}
    total_column = any(key[1] == TOTAL for key in totals)
    total_row = any(key[0] == TOTAL for key in totals)
    extra = (TOTAL,) if total_column else ()
    body = tuple(
        TableRow(
            r,
            tuple(cell(table, (r, c)) for c in columns)
            + tuple(table.cells.get((r, c)) for c in extra),
        )
        for r in rows
    )
    foot = (
        TableRow(TOTAL, tuple(table.cells.get((TOTAL, c)) for c in columns + extra), total=True)
        if total_row
        else None
    )
    return Crosstab(table.dimensions[0], table.dimensions[1], columns, total_column, body, foot)
