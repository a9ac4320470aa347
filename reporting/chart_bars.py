"""Bar chart layouts for report pages (docs/reporting.md §4): one bar per category
(``bar_layout``), bars stacked by a second dimension (``stacked_layout``) and small multiples
on one shared scale (``multiples_layout``), each with a legend when it needs one. Suppressed
cells are fixed hatched stubs after the published segments, never measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reporting.chart_cells import MAX_SERIES, categories, cell, expect_dimensions, largest
from reporting.chart_scale import LEGEND_ROW, PAD, STUB, WIDTH, Scale, value_scale
from reporting.tables import SUPPRESSED, TOTAL, Cell, PublishedTable

VALUE_ROOM = 56  # room right of the longest bar for its value label ("123,456")
AXIS_ROOM = 26  # below the last bar: the axis line, its ticks and their labels
PANEL_GAP = 16  # between two small multiples, across and down
CHAR_WIDTH = 0.6  # generous average glyph width in ems, to decide whether labels fit
# Small multiples drawn at most: more are hard to compare, and each weighs about 2.5 KB of
# the page (docs/architecture.md, "Page weight and static files"); the table has them all.
MAX_PANELS = 6


@dataclass(frozen=True)
class Metrics:
    """Sizes of one bar row: the category name on its own line above its bar, so long names
    (and their translations) have the full width."""

    font: float
    bar: float
    gap: float

    @property
    def pitch(self) -> float:
        return self.font + 5 + self.bar + self.gap


LARGE = Metrics(font=14, bar=14, gap=7)
SMALL = Metrics(font=12, bar=12, gap=5)


@dataclass(frozen=True)
class Segment:
    """One rectangle of a bar: a published value at scale, or a suppressed cell's stub.
    ``key`` is the cell's key (what its ``<title>`` names); ``fill`` the series' fill 1–5."""

    key: tuple[str, ...]
    cell: Cell
    fill: int
    x: float
    width: float


@dataclass(frozen=True)
class Row:
    """One bar: its category name's baseline, the bar's top, its segments, and the value
    printed after it (``end``: the cell itself, a stacked bar's published row total, or
    None when the table publishes no total for the row)."""

    category: str
    label_y: float
    bar_y: float
    segments: tuple[Segment, ...]
    end: Cell | None
    end_x: float
    end_y: float


@dataclass(frozen=True)
class Panel:
    """A bar chart placed at (``x``, ``y``): its rows over one value axis at ``axis_y``,
    the zero line from the first bar's top (``top``) down to the axis; ``heading`` names a
    small multiple's first-dimension value."""

    x: float
    y: float
    heading: str | None
    heading_y: float
    rows: tuple[Row, ...]
    bar_height: float
    scale: Scale
    top: float
    axis_y: float
    small: bool
    height: float


@dataclass(frozen=True)
class LegendEntry:
    """A legend line: a swatch with a series' fill or, when ``suppressed``, the hatching
    (then ``series`` is the "<10" marker itself)."""

    series: str
    fill: int
    suppressed: bool
    x: float
    y: float


@dataclass(frozen=True)
class BarChart:
    """What the bar macros draw: the view box, the legend on top, one or more panels; the
    macros define ``fills`` series patterns and the suppressed hatching."""

    width: float
    height: float
    legend: tuple[LegendEntry, ...]
    panels: tuple[Panel, ...]
    fills: int
    # Small multiples beyond MAX_PANELS are left out of the chart (the table has them all).
    left_out: int = 0


# A bar before placement: (category, [(key, cell, fill)], value printed after the bar).
_Bar = tuple[str, list[tuple[tuple[str, ...], Cell, int]], Cell | None]


def _segments(
    parts: list[tuple[tuple[str, ...], Cell, int]], scale: Scale
) -> tuple[tuple[Segment, ...], float]:
    """Published parts at scale in series order, then a fixed stub per suppressed part, so
    the published part of the bar still reads against the axis."""
    placed: list[Segment] = []
    x = 0.0
    for key, value, fill in [p for p in parts if not p[1].suppressed]:
        width = scale.at(value.value or 0)
        placed.append(Segment(key, value, fill, round(x, 2), width))
        x += width
    for key, value, fill in [p for p in parts if p[1].suppressed]:
        placed.append(Segment(key, value, fill, round(x, 2), STUB))
        x += STUB
    return tuple(placed), round(x, 2)


def _panel(
    bars: list[_Bar], scale: Scale, x: float, y: float, metrics: Metrics, heading: str | None = None
) -> Panel:
    top = metrics.font + 10 if heading is not None else 0.0
    rows = []
    for index, (category, parts, end) in enumerate(bars):
        row_top = top + index * metrics.pitch
        bar_y = row_top + metrics.font + 5
        segments, length = _segments(parts, scale)
        rows.append(
            Row(
                category,
                row_top + metrics.font,
                bar_y,
                segments,
                end,
                length + 4,
                round(bar_y + metrics.bar / 2 + metrics.font * 0.35, 2),
            )
        )
    axis_y = top + len(bars) * metrics.pitch - metrics.gap + 4
    return Panel(
        x,
        y,
        heading,
        metrics.font + 2,
        tuple(rows),
        metrics.bar,
        scale,
        top + metrics.font + 5,
        axis_y,
        metrics is SMALL,
        axis_y + AXIS_ROOM,
    )


def _legend(series: Iterable[str], suppressed: bool, top: float) -> tuple[LegendEntry, ...]:
    lines = [(s, n, False) for n, s in enumerate(series, start=1)]
    if suppressed:
        lines.append((SUPPRESSED, 0, True))
    return tuple(
        LegendEntry(s, n, hidden, PAD, top + 12 + i * LEGEND_ROW)
        for i, (s, n, hidden) in enumerate(lines)
    )


def _legend_height(legend: tuple[LegendEntry, ...]) -> float:
    return len(legend) * LEGEND_ROW + 4 if legend else 0


def bar_layout(table: PublishedTable) -> BarChart:
    """One horizontal bar per value of a one-dimension table, its value at its end."""
    expect_dimensions(table, 1, "bar")
    cells = [(value, cell(table, (value,))) for value in categories(table, 0)]
    legend = _legend((), any(c.suppressed for _v, c in cells), PAD)
    scale = value_scale(largest(c for _v, c in cells), WIDTH - 2 * PAD - VALUE_ROOM)
    bars: list[_Bar] = [(value, [((value,), c, 1)], c) for value, c in cells]
    panel = _panel(bars, scale, PAD, PAD + _legend_height(legend), LARGE)
    return BarChart(WIDTH, panel.y + panel.height + PAD, legend, (panel,), 1)


def stacked_layout(table: PublishedTable) -> BarChart:
    """One bar per first-dimension value, stacked by the second; the scale is the largest
    sum of a bar's published parts, and a bar ends with its published row total if any.
    With more series than patterns tell apart (a value outside the vocabulary counted as
    "unknown" beside five classes), small multiples instead: one panel per bar."""
    expect_dimensions(table, 2, "stacked bar")
    rows, series = categories(table, 0), categories(table, 1)
    if len(series) > MAX_SERIES:
        return multiples_layout(table)
    grid = {
        r: [((r, s), cell(table, (r, s)), n) for n, s in enumerate(series, start=1)] for r in rows
    }
    stubs = max((sum(c.suppressed for _k, c, _n in parts) for parts in grid.values()), default=0)
    # The longest bar is the largest sum of published parts; stubs are added on top.
    top = max((sum(c.value or 0 for _k, c, _n in parts) for parts in grid.values()), default=0)
    suppressed = any(c.suppressed for parts in grid.values() for _k, c, _n in parts)
    legend = _legend(series, suppressed, PAD)
    scale = value_scale(top, WIDTH - 2 * PAD - VALUE_ROOM - stubs * STUB)
    bars: list[_Bar] = [(r, grid[r], table.cells.get((r, TOTAL))) for r in rows]
    panel = _panel(bars, scale, PAD, PAD + _legend_height(legend), LARGE)
    return BarChart(WIDTH, panel.y + panel.height + PAD, legend, (panel,), len(series))


def _fits(texts: Iterable[str], font: float, width: float) -> bool:
    return all(len(t) * font * CHAR_WIDTH <= width for t in texts)


def multiples_layout(table: PublishedTable, labels: Mapping[str, str] | None = None) -> BarChart:
    """One small bar chart per first-dimension value over the second, all on one scale so
    they compare; two across when every name fits in half the width (``labels`` are the
    names shown), else one under the other. Of more than :data:`MAX_PANELS` values, those
    with the largest published sums are drawn, in the table's order (``left_out`` counts
    the others)."""
    expect_dimensions(table, 2, "small multiples")
    every, bars_of = categories(table, 0), categories(table, 1)
    panels_of = _largest(table, every, bars_of, MAX_PANELS)
    cells = {(p, b): cell(table, (p, b)) for p in panels_of for b in bars_of}
    suppressed = any(c.suppressed for c in cells.values())
    legend = _legend((), suppressed, PAD)
    names = labels or {}
    half = (WIDTH - 2 * PAD - PANEL_GAP) / 2
    side_by_side = (
        len(panels_of) > 1
        and _fits([str(names.get(b, b)) for b in bars_of], SMALL.font, half)
        and _fits([str(names.get(p, p)) for p in panels_of], LARGE.font, half)
    )
    columns = 2 if side_by_side else 1
    panel_width = half if columns == 2 else WIDTH - 2 * PAD
    scale = value_scale(largest(cells.values()), panel_width - VALUE_ROOM)
    top = PAD + _legend_height(legend)
    panels: list[Panel] = []
    for index, p in enumerate(panels_of):
        bars: list[_Bar] = [(b, [((p, b), cells[p, b], 1)], cells[p, b]) for b in bars_of]
        column, line = index % columns, index // columns
        # Every panel has the same rows, hence the same height as the first.
        height = panels[0].height if panels else _panel(bars, scale, 0, 0, SMALL, p).height
        panels.append(
            _panel(
                bars,
                scale,
                PAD + column * (panel_width + PANEL_GAP),
                top + line * (height + PANEL_GAP),
                SMALL,
                heading=p,
            )
        )
    bottom = max((p.y + p.height for p in panels), default=top)
    return BarChart(WIDTH, bottom + PAD, legend, tuple(panels), 1, len(every) - len(panels_of))


def _largest(
    table: PublishedTable, values: tuple[str, ...], over: tuple[str, ...], most: int
) -> tuple[str, ...]:
    """Of ``values``, the ``most`` with the largest sums of published cells over ``over``
    (suppressed cells count for nothing, as they are never measured), in their order."""
    sums = {v: sum(cell(table, (v, b)).value or 0 for b in over) for v in values}
    # The first of equal sums is kept: a stable sort by sum alone.
    kept = set(sorted(values, key=lambda v: -sums[v])[:most])
    return tuple(v for v in values if v in kept)
