"""Line chart layouts for report pages (docs/reporting.md §4): one line over the months of
the first dimension per value of the second, series told apart by dash and marker shape,
suppressed months drawn as fixed stubs on the baseline, month names spaced out and the last
values printed clear of each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reporting.chart_cells import categories, cell, expect_series, largest
from reporting.chart_scale import LEGEND_ROW, PAD, STUB, WIDTH, Scale, value_scale
from reporting.tables import SUPPRESSED, Cell, PublishedTable

LINE_PLOT_HEIGHT = 160
LINE_LEFT = 44  # room left of a line chart's plot for its value labels
LINE_RIGHT = 48  # room right of the last month for the last value's label
MONTH_LABEL_ROOM = 64  # at least this far apart, month labels never touch


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
        raise ValueError(
            f"a line chart needs months and at most one series dimension, got {table.dimensions}"
        )
    months = categories(table, 0)
    series = categories(table, 1) if len(table.dimensions) == 2 else ("",)
    expect_series(series, "line")
    keys = {(m, s): (m, s) if s else (m,) for m in months for s in series}
    cells = {ms: cell(table, key) for ms, key in keys.items()}
    legend_rows = len(series) if len(series) > 1 else 0
    top = PAD + legend_rows * LEGEND_ROW + 12
    left, right, bottom = PAD + LINE_LEFT, WIDTH - PAD - LINE_RIGHT, top + LINE_PLOT_HEIGHT
    scale = value_scale(largest(cells.values()), LINE_PLOT_HEIGHT)
    inner = right - left - 12
    xs = (
        [round(left + 6 + i * inner / (len(months) - 1), 2) for i in range(len(months))]
        if len(months) > 1
        else [round((left + right) / 2, 2)] * len(months)
    )
    shown = labelled_months(len(months), inner)
    ticks = tuple(MonthTick(m, xs[i], i in shown) for i, m in enumerate(months))
    lines = _lines(months, series, keys, cells, xs, scale, bottom)
    stubs, labels = _stubs(months, series, keys, cells, xs, bottom)
    legend = (
        tuple(
            LineLegendEntry(
                s,
                n,
                PAD,
                PAD + 12 + (n - 1) * LEGEND_ROW,
                marker_path(n, PAD + 14, PAD + 7 + (n - 1) * LEGEND_ROW),
            )
            for n, s in enumerate(series, start=1)
        )
        if legend_rows
        else ()
    )
    return LineChart(
        WIDTH,
        bottom + 28 + PAD,
        left,
        right,
        top,
        bottom,
        scale,
        lines,
        stubs,
        labels,
        ticks,
        legend,
    )


def _stubs(
    months: tuple[str, ...],
    series: tuple[str, ...],
    keys: dict[tuple[str, str], tuple[str, ...]],
    cells: dict[tuple[str, str], Cell],
    xs: list[float],
    bottom: float,
) -> tuple[tuple[Stub, ...], tuple[Label, ...]]:
    """Side by side on the baseline, one stub per series suppressed that month, under one
    "<10"."""
    stubs: list[Stub] = []
    labels: list[Label] = []
    width = STUB - 2
    for i, m in enumerate(months):
        hidden = [s for s in series if cells[m, s].suppressed]
        start = xs[i] - len(hidden) * width / 2
        stubs += [
            Stub(keys[m, s], cells[m, s], round(start + j * width, 2), bottom - STUB, width, STUB)
            for j, s in enumerate(hidden)
        ]
        if hidden:
            labels.append(Label(xs[i], bottom - STUB - 4, SUPPRESSED))
    return tuple(stubs), tuple(labels)


def _lines(
    months: tuple[str, ...],
    series: tuple[str, ...],
    keys: dict[tuple[str, str], tuple[str, ...]],
    cells: dict[tuple[str, str], Cell],
    xs: list[float],
    scale: Scale,
    bottom: float,
) -> tuple[Line, ...]:
    """Each series' points (None where suppressed), its path, and its end label moved
    clear of the other series' end labels."""
    drafts: list[tuple[str, int, list[Point | None]]] = []
    for n, s in enumerate(series, start=1):
        points: list[Point | None] = []
        for i, m in enumerate(months):
            c = cells[m, s]
            y = round(bottom - scale.at(c.value or 0), 2)
            points.append(
                None if c.suppressed else Point(keys[m, s], c, xs[i], y, marker_path(n, xs[i], y))
            )
        drafts.append((s, n, points))
    ends = [points[-1] for _s, _n, points in drafts if points and points[-1]]
    end_ys = iter(spread([end.y + 4.5 for end in ends], 14, bottom + 4.5))
    return tuple(
        Line(
            s,
            n,
            tuple(p for p in points if p),
            _path(points),
            points[-1] if points else None,
            next(end_ys) if points and points[-1] else 0.0,
        )
        for s, n, points in drafts
    )
