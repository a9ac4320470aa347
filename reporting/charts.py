"""Chart geometry for report pages (docs/reporting.md §4).

The macros in ``templates/reporting/_charts.html`` draw hand-written SVG, because the CSP
(``style-src 'self'; script-src 'self'``) refuses every chart library's inline styles and
scripts. All arithmetic lives here, as pure functions from a ``PublishedTable`` to frozen
dataclasses the macros only read: a macro never sees a raw count and never computes a length.

The rules every layout keeps:

* The value axis runs from zero to ``nice_maximum`` of the largest *published* value (a round
  number at or above it). A bar of value ``v`` is ``v * length / maximum`` long, so twice the
  value is exactly twice the bar; when nothing published is above zero every length is 0.
* A suppressed cell never enters the scale and is drawn as a stub of fixed size (``STUB``),
  hatched: no length or position anywhere depends on a hidden value (only on which cells
  are hidden, which the "<10" shows anyway).
* A zero is drawn as zero (an empty bar at the zero line, a point on the baseline).
* Series (second-dimension values) are told apart by pattern and lightness in bars, by dash
  and marker shape in lines, never by colour alone; so at most ``MAX_SERIES`` of them.
* Coordinates are SVG user units in a ``WIDTH``-wide view box; text sizes match the classes in
  ``static/passage.css`` (``.chart`` 14px, ``.chart-small`` 12px).

``register(app)`` makes the layout functions Jinja globals (``bar_layout``,
``stacked_layout``, ``line_layout``, ``multiples_layout`` and ``table_layout`` for the table
of the same numbers that always stands beside a chart); the macros call them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from flask import Flask

from reporting.tables import SUPPRESSED, TOTAL, Cell, PublishedTable

WIDTH = 400  # view-box width of every chart; small enough that text stays legible on a phone
PAD = 8  # margin around the drawing, so strokes and centred tick labels are never clipped
STUB = 8  # length of a suppressed cell's hatched stub, whatever the scale
VALUE_ROOM = 56  # room right of the longest bar for its value label ("123,456")
LEGEND_ROW = 22  # pitch of legend lines; the swatch is 14 units square
AXIS_ROOM = 26  # below the last bar: the axis line, its ticks and their labels
PANEL_GAP = 16  # between two small multiples, across and down
MAX_SERIES = 5  # distinct fills (bars) and dash-and-marker styles (lines) in passage.css
CHAR_WIDTH = 0.6  # generous average glyph width in ems, to decide whether labels fit
LINE_PLOT_HEIGHT = 160
LINE_LEFT = 44  # room left of a line chart's plot for its value labels
LINE_RIGHT = 48  # room right of the last month for the last value's label
MONTH_LABEL_ROOM = 64  # at least this far apart, month labels never touch


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
class Tick:
    """A labelled value on an axis, ``position`` units from the zero line."""

    value: int
    position: float


@dataclass(frozen=True)
class Scale:
    """Published values 0…``maximum`` mapped onto 0…``length`` units."""

    maximum: int
    length: float
    ticks: tuple[Tick, ...]

    def at(self, value: int) -> float:
        """The length of ``value``; 0 for everything when ``maximum`` is 0."""
        if self.maximum == 0:
            return 0.0
        return round(value * self.length / self.maximum, 2)


def _steps() -> Iterator[int]:
    """Whole tick steps in increasing order: 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, …"""
    power = 1
    while True:
        yield power
        yield 2 * power
        if power >= 10:
            yield 5 * power // 2
        yield 5 * power
        power *= 10


def nice_maximum(largest: int, steps: int = 4) -> tuple[int, int]:
    """The axis end and tick step for a largest value: the smallest step of ``_steps`` that
    covers ``largest`` in at most ``steps`` steps, and ``largest`` rounded up to a multiple
    of it. ``(0, 0)`` when there is nothing above zero."""
    if largest <= 0:
        return 0, 0
    step = next(s for s in _steps() if s * steps >= largest)
    return math.ceil(largest / step) * step, step


def value_scale(largest: int, length: float) -> Scale:
    """A scale from zero to ``nice_maximum(largest)`` over ``length`` units, with its ticks."""
    maximum, step = nice_maximum(largest)
    scale = Scale(maximum, length, ())
    values = range(0, maximum + 1, step) if step else (0,)
    return Scale(maximum, length, tuple(Tick(v, scale.at(v)) for v in values))


# --- reading a published table ---------------------------------------------------------


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


def _expect(table: PublishedTable, dimensions: int, chart: str) -> None:
    if len(table.dimensions) != dimensions:
        raise ValueError(f"a {chart} chart needs {dimensions} dimension(s), "
                         f"got {table.dimensions}")


def _series(values: tuple[str, ...], chart: str) -> None:
    if len(values) > MAX_SERIES:
        raise ValueError(f"a {chart} chart tells at most {MAX_SERIES} series apart, "
                         f"got {len(values)}: use small multiples or a table")


# --- bars ----------------------------------------------------------------------------


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


# A bar before placement: (category, [(key, cell, fill)], value printed after the bar).
_Bar = tuple[str, list[tuple[tuple[str, ...], Cell, int]], Cell | None]


def _segments(parts: list[tuple[tuple[str, ...], Cell, int]],
              scale: Scale) -> tuple[tuple[Segment, ...], float]:
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


def _panel(bars: list[_Bar], scale: Scale, x: float, y: float, metrics: Metrics,
           heading: str | None = None) -> Panel:
    top = metrics.font + 10 if heading is not None else 0.0
    rows = []
    for index, (category, parts, end) in enumerate(bars):
        row_top = top + index * metrics.pitch
        bar_y = row_top + metrics.font + 5
        segments, length = _segments(parts, scale)
        rows.append(Row(category, row_top + metrics.font, bar_y, segments, end, length + 4,
                        round(bar_y + metrics.bar / 2 + metrics.font * 0.35, 2)))
    axis_y = top + len(bars) * metrics.pitch - metrics.gap + 4
    return Panel(x, y, heading, metrics.font + 2, tuple(rows), metrics.bar, scale,
                 top + metrics.font + 5, axis_y, metrics is SMALL, axis_y + AXIS_ROOM)


def _legend(series: Iterable[str], suppressed: bool, top: float) -> tuple[LegendEntry, ...]:
    lines = [(s, n, False) for n, s in enumerate(series, start=1)]
    if suppressed:
        lines.append((SUPPRESSED, 0, True))
    return tuple(LegendEntry(s, n, hidden, PAD, top + 12 + i * LEGEND_ROW)
                 for i, (s, n, hidden) in enumerate(lines))


def _legend_height(legend: tuple[LegendEntry, ...]) -> float:
    return len(legend) * LEGEND_ROW + 4 if legend else 0


def bar_layout(table: PublishedTable) -> BarChart:
    """One horizontal bar per value of a one-dimension table, its value at its end."""
    _expect(table, 1, "bar")
    cells = [(value, cell(table, (value,))) for value in categories(table, 0)]
    legend = _legend((), any(c.suppressed for _v, c in cells), PAD)
    scale = value_scale(largest(c for _v, c in cells), WIDTH - 2 * PAD - VALUE_ROOM)
    bars: list[_Bar] = [(value, [((value,), c, 1)], c) for value, c in cells]
    panel = _panel(bars, scale, PAD, PAD + _legend_height(legend), LARGE)
    return BarChart(WIDTH, panel.y + panel.height + PAD, legend, (panel,), 1)


def stacked_layout(table: PublishedTable) -> BarChart:
    """One bar per first-dimension value, stacked by the second; the scale is the largest
    sum of a bar's published parts, and a bar ends with its published row total if any."""
    _expect(table, 2, "stacked bar")
    rows, series = categories(table, 0), categories(table, 1)
    _series(series, "stacked bar")
    grid = {r: [((r, s), cell(table, (r, s)), n) for n, s in enumerate(series, start=1)]
            for r in rows}
    stubs = max((sum(c.suppressed for _k, c, _n in parts) for parts in grid.values()),
                default=0)
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
    names shown), else one under the other."""
    _expect(table, 2, "small multiples")
    panels_of, bars_of = categories(table, 0), categories(table, 1)
    cells = {(p, b): cell(table, (p, b)) for p in panels_of for b in bars_of}
    suppressed = any(c.suppressed for c in cells.values())
    legend = _legend((), suppressed, PAD)
    names = labels or {}
    half = (WIDTH - 2 * PAD - PANEL_GAP) / 2
    side_by_side = (len(panels_of) > 1
                    and _fits([str(names.get(b, b)) for b in bars_of], SMALL.font, half)
                    and _fits([str(names.get(p, p)) for p in panels_of], LARGE.font, half))
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
        panels.append(_panel(bars, scale, PAD + column * (panel_width + PANEL_GAP),
                             top + line * (height + PANEL_GAP), SMALL, heading=p))
    bottom = max((p.y + p.height for p in panels), default=top)
    return BarChart(WIDTH, bottom + PAD, legend, tuple(panels), 1)


# --- lines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """A published value at its month; ``marker`` is the path of its series' marker."""

    key: tuple[str, ...]
    cell: Cell
    x: float
    y: float
    marker: str


@dataclass(frozen=True)
class Line:
    """One series: ``style`` 1–5 (dash and marker), its published points, the path through
    them (broken where a month is suppressed), and where its last value is printed (``end``
    None when the last month is suppressed: its stub's "<10" says so)."""

    series: str
    style: int
    points: tuple[Point, ...]
    path: str
    end: Point | None
    end_y: float


@dataclass(frozen=True)
class Stub:
    """A suppressed month of one series: a fixed hatched stub on the baseline."""

    key: tuple[str, ...]
    cell: Cell
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Label:
    """A text printed at (x, y), centred: the "<10" over a month's stubs."""

    x: float
    y: float
    text: str


@dataclass(frozen=True)
class MonthTick:
    """A month on the time axis; ``labelled`` when its name is printed (spaced out so
    names never touch)."""

    month: str
    x: float
    labelled: bool


@dataclass(frozen=True)
class LineLegendEntry:
    """A legend line for a series: a stretch of its dashed line with its marker, then its
    name, baseline at ``y``."""

    series: str
    style: int
    x: float
    y: float
    marker: str


@dataclass(frozen=True)
class LineChart:
    """What the line macro draws: a plot from (``left``, ``top``) to (``right``,
    ``bottom``), the value scale measured up from ``bottom``, lines, stubs with one "<10"
    label per month (``stub_labels``), month ticks and, for several series, a legend."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    scale: Scale
    lines: tuple[Line, ...]
    stubs: tuple[Stub, ...]
    stub_labels: tuple[Label, ...]
    months: tuple[MonthTick, ...]
    legend: tuple[LineLegendEntry, ...]


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def marker_path(style: int, x: float, y: float) -> str:
    """The path of a series' marker centred on (x, y): circle, square, triangle, diamond
    or cross, so series differ in shape as well as in colour and dash."""
    shapes = {
        1: f"M{_n(x - 4)} {_n(y)}a4 4 0 1 0 8 0a4 4 0 1 0 -8 0Z",
        2: f"M{_n(x - 3.5)} {_n(y - 3.5)}h7v7h-7Z",
        3: f"M{_n(x)} {_n(y - 4.5)}L{_n(x + 4.5)} {_n(y + 3.5)}L{_n(x - 4.5)} {_n(y + 3.5)}Z",
        4: f"M{_n(x)} {_n(y - 5)}L{_n(x + 5)} {_n(y)}L{_n(x)} {_n(y + 5)}L{_n(x - 5)} {_n(y)}Z",
        5: f"M{_n(x - 4)} {_n(y - 4)}L{_n(x + 4)} {_n(y + 4)}M{_n(x + 4)} {_n(y - 4)}"
           f"L{_n(x - 4)} {_n(y + 4)}",
    }
    return shapes[style]


def labelled_months(count: int, width: float, room: float = MONTH_LABEL_ROOM) -> set[int]:
    """Which of ``count`` evenly spaced months get a printed name: every ``step``-th from
    the first, and always the last, at least ``room`` units apart."""
    if count <= 1:
        return set(range(count))
    spacing = width / (count - 1)
    step = max(1, math.ceil(room / spacing))
    chosen = set(range(0, count, step))
    if (count - 1) % step:
        chosen.discard(max(chosen))  # too close to the last, which always shows
        chosen.add(count - 1)
    return chosen


def spread(positions: list[float], gap: float, lowest: float) -> list[float]:
    """Move label baselines apart, keeping their order, until neighbours are ``gap`` apart
    and none is below ``lowest`` (end labels of lines that finish close together)."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = list(positions)
    for before, after in zip(order, order[1:], strict=False):
        placed[after] = max(placed[after], placed[before] + gap)
    if order and placed[order[-1]] > lowest:
        placed[order[-1]] = lowest
        for before, after in zip(reversed(order[:-1]), reversed(order[1:]), strict=True):
            placed[before] = min(placed[before], placed[after] - gap)
    return [round(p, 2) for p in placed]


def _path(points: list[Point | None]) -> str:
    parts, drawing = [], False
    for point in points:
        if point is None:
            drawing = False
            continue
        parts.append(f"{'L' if drawing else 'M'}{_n(point.x)} {_n(point.y)}")
        drawing = True
    return "".join(parts)


def line_layout(table: PublishedTable) -> LineChart:
    """A line over the months of the first dimension, one per value of the second if any;
    points marked, the last value printed beside the last point."""
    if not 1 <= len(table.dimensions) <= 2:
        raise ValueError(f"a line chart needs months and at most one series dimension, "
                         f"got {table.dimensions}")
    months = categories(table, 0)
    series = categories(table, 1) if len(table.dimensions) == 2 else ("",)
    _series(series, "line")
    keys = {(m, s): (m, s) if s else (m,) for m in months for s in series}
    cells = {ms: cell(table, key) for ms, key in keys.items()}
    legend_rows = len(series) if len(series) > 1 else 0
    top = PAD + legend_rows * LEGEND_ROW + 12
    left, right, bottom = PAD + LINE_LEFT, WIDTH - PAD - LINE_RIGHT, top + LINE_PLOT_HEIGHT
    scale = value_scale(largest(cells.values()), LINE_PLOT_HEIGHT)
    inner = right - left - 12
    xs = ([round(left + 6 + i * inner / (len(months) - 1), 2) for i in range(len(months))]
          if len(months) > 1 else [round((left + right) / 2, 2)] * len(months))
    shown = labelled_months(len(months), inner)
    ticks = tuple(MonthTick(m, xs[i], i in shown) for i, m in enumerate(months))
    lines = _lines(months, series, keys, cells, xs, scale, bottom)
    stubs, labels = _stubs(months, series, keys, cells, xs, bottom)
    legend = tuple(LineLegendEntry(s, n, PAD, PAD + 12 + (n - 1) * LEGEND_ROW,
                                   marker_path(n, PAD + 14, PAD + 7 + (n - 1) * LEGEND_ROW))
                   for n, s in enumerate(series, start=1)) if legend_rows else ()
    return LineChart(WIDTH, bottom + 28 + PAD, left, right, top, bottom, scale, lines,
                     stubs, labels, ticks, legend)


def _stubs(months: tuple[str, ...], series: tuple[str, ...],
           keys: dict[tuple[str, str], tuple[str, ...]], cells: dict[tuple[str, str], Cell],
           xs: list[float], bottom: float) -> tuple[tuple[Stub, ...], tuple[Label, ...]]:
    """Side by side on the baseline, one stub per series suppressed that month, under one
    "<10"."""
    stubs: list[Stub] = []
    labels: list[Label] = []
    width = STUB - 2
    for i, m in enumerate(months):
        hidden = [s for s in series if cells[m, s].suppressed]
        start = xs[i] - len(hidden) * width / 2
        stubs += [Stub(keys[m, s], cells[m, s], round(start + j * width, 2), bottom - STUB,
                       width, STUB) for j, s in enumerate(hidden)]
        if hidden:
            labels.append(Label(xs[i], bottom - STUB - 4, SUPPRESSED))
    return tuple(stubs), tuple(labels)


def _lines(months: tuple[str, ...], series: tuple[str, ...],
           keys: dict[tuple[str, str], tuple[str, ...]], cells: dict[tuple[str, str], Cell],
           xs: list[float], scale: Scale, bottom: float) -> tuple[Line, ...]:
    """Each series' points (None where suppressed), its path, and its end label moved
    clear of the other series' end labels."""
    drafts: list[tuple[str, int, list[Point | None]]] = []
    for n, s in enumerate(series, start=1):
        points: list[Point | None] = []
        for i, m in enumerate(months):
            c = cells[m, s]
            y = round(bottom - scale.at(c.value or 0), 2)
            points.append(None if c.suppressed else Point(keys[m, s], c, xs[i], y,
                                                          marker_path(n, xs[i], y)))
        drafts.append((s, n, points))
    ends = [points[-1] for _s, _n, points in drafts if points and points[-1]]
    end_ys = iter(spread([end.y + 4.5 for end in ends], 14, bottom + 4.5))
    return tuple(
        Line(s, n, tuple(p for p in points if p), _path(points),
             points[-1] if points else None,
             next(end_ys) if points and points[-1] else 0.0)
        for s, n, points in drafts)


# --- the table beside every chart ------------------------------------------------------


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
        return Crosstab(table.dimensions[0], None, ("",), False,
                        tuple(TableRow(r, (cell(table, (r,)),)) for r in rows),
                        TableRow(TOTAL, (total,), total=True) if total else None)
    _expect(table, 2, "crosstab")
    rows, columns = categories(table, 0), categories(table, 1)
    totals = {key for key, _cell in table.totals()}
    total_column = any(key[1] == TOTAL for key in totals)
    total_row = any(key[0] == TOTAL for key in totals)
    extra = (TOTAL,) if total_column else ()
    body = tuple(TableRow(r, tuple(cell(table, (r, c)) for c in columns)
                          + tuple(table.cells.get((r, c)) for c in extra)) for r in rows)
    foot = TableRow(TOTAL, tuple(table.cells.get((TOTAL, c)) for c in columns + extra),
                    total=True) if total_row else None
    return Crosstab(table.dimensions[0], table.dimensions[1], columns, total_column, body,
                    foot)


def register(app: Flask) -> None:
    """Make the layouts available to templates (the macros in reporting/_charts.html and
    reporting/_table.html). Safe to call more than once."""
    app.jinja_env.globals.update(bar_layout=bar_layout, stacked_layout=stacked_layout,
                                 line_layout=line_layout, multiples_layout=multiples_layout,
                                 table_layout=table_layout)
