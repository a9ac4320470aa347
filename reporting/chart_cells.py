"""How the chart layouts and the table beside them read a published table (docs/reporting.md
§4): its categories in display order, the cell of a key (a zero where nothing was counted),
the largest published value, and the checks that refuse a table of the wrong shape or with
more series than the charts can tell apart.
"""

from __future__ import annotations

from collections.abc import Iterable

from reporting.tables import TOTAL, Cell, PublishedTable

MAX_SERIES = 5  # distinct fills (bars) and dash-and-marker styles (lines) in passage.css


def categories(table: PublishedTable, dimension: int) -> tuple[str, ...]:
    """The values of one dimension in display order: the table's own list when it has one,
    else the order in which its cells first use them (totals left out)."""
    if len(table.categories) > dimension and table.categories[dimension]:
        return tuple(v for v in table.categories[dimension] if v != TOTAL)
    seen: dict[str, None] = {}
    for key, _cell in table.rows():
        seen.setdefault(key[dimension], None)
    return tuple(seen)


def cell(table: PublishedTable, key: tuple[str, ...]) -> Cell:
    """The published cell for ``key``; a category with no cell is a zero, as in the raw
    table (``categories`` lists values that were counted zero times)."""
    return table.cells.get(key, Cell(0))


def largest(cells: Iterable[Cell]) -> int:
    """The largest published value; suppressed cells never count."""
    return max((c.value for c in cells if c.value is not None), default=0)


def expect_dimensions(table: PublishedTable, dimensions: int, chart: str) -> None:
    """Refuse (ValueError) a table without exactly ``dimensions`` dimensions for ``chart``."""
    if len(table.dimensions) != dimensions:
        raise ValueError(f"a {chart} chart needs {dimensions} dimension(s), got {table.dimensions}")


def expect_series(values: tuple[str, ...], chart: str) -> None:
    """Refuse (ValueError) more series than ``chart`` can tell apart (``MAX_SERIES``)."""
    if len(values) > MAX_SERIES:
        raise ValueError(
            f"a {chart} chart tells at most {MAX_SERIES} series apart, "
            f"got {len(values)}: use small multiples or a table"
        )
