"""Complementary suppression for tables published with exact counts and totals
(docs/reporting.md §3.4): the line equations a table's totals make, the cheap heuristic that
``reporting.disclosure.publish`` runs on every request, and the offline linear-programming
audit (``audit``) and its ``repair``, which a background job runs before a release.

The audit needs scipy; it is imported inside ``audit`` only, so the request path never
loads it."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reporting.tables import TOTAL, Cell, PublishedTable, RawTable

Key = tuple[str, ...]
# A line equation: its member keys add up to its total key (a row, a column, a margin).
Line = tuple[tuple[Key, ...], Key]

# linprog works in floating point: an interval counts as k wide if it misses k by less.
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Interval:
    """What someone holding the published table can work out about one suppressed cell:
    its value lies in ``[low, high]`` (``high`` is ``math.inf`` when nothing bounds it).
    The exact value is never kept here, so an audit can be stored with the release."""

    key: Key
    low: float
    high: float
    k: int

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def safe(self) -> bool:
        """At least ``k`` wide: the cell cannot be pinned down to fewer than k values."""
        return self.width >= self.k - TOLERANCE


def lines(keys: Iterable[Key]) -> list[Line]:
    """Every line equation among ``keys``: for each key and each dimension where it holds a
    value, the key with ``TOTAL`` in that place is the total of a line the key belongs to
    (so in two dimensions: each row, each column, and the two margins meeting in the grand
    total). Lines come in the order of their first member, so the result is deterministic."""
    present = list(keys)
    known = set(present)
    members: dict[tuple[int, Key], list[Key]] = {}
    for key in present:
        for axis, value in enumerate(key):
            if value == TOTAL:
                continue
            total = key[:axis] + (TOTAL,) + key[axis + 1 :]
            if total in known:
                members.setdefault((axis, total), []).append(key)
    return [(tuple(cells), total) for (_, total), cells in members.items()]


def complement(
    values: Mapping[Key, int], hidden: Iterable[Key], equations: Sequence[Line], k: int
) -> set[Key]:
    """The keys to suppress: ``hidden`` (primary suppressions) and, repeated until nothing
    changes, the smallest published entry of every line that shows exactly one suppressed
    entry or whose suppressed cells hold fewer than ``k`` between them (docs/reporting.md
    §3.4's rules of thumb). Cheap and deterministic, but not a proof: see ``audit``."""
    result = set(hidden)
    changed = True
    while changed:
        changed = False
        for line in equations:
            pick = _next_to_hide(line, values, result, k)
            if pick is not None:
                result.add(pick)
                changed = True
    return result


def _next_to_hide(line: Line, values: Mapping[Key, int], hidden: set[Key], k: int) -> Key | None:
    cells, total = line
    entries = (*cells, total)
    shut = [key for key in entries if key in hidden]
    open_ = [key for key in entries if key not in hidden]
    if not shut or not open_:
        return None
    # The total is the sum of its cells; counting it too would count the same people twice.
    held = sum(values[key] for key in shut if key != total)
    if len(shut) > 1 and held >= k:
        return None
    # Hiding a zero adds nothing to what the line holds back, so zeros come last; among
    # equals the first in display order, so the choice never depends on set ordering.
    return min(open_, key=lambda key: (values[key] == 0, values[key]))


def audit(raw: RawTable, published: PublishedTable) -> list[Interval]:
    """The feasible interval of every suppressed cell of ``published`` (made with method
    ``suppress`` from ``raw``): minimum and maximum of the cell over all non-negative values
    of the suppressed cells that satisfy every line equation with the published cells
    fixed. Raises ValueError for a table whose published numbers are not exact counts, or
    that was not made from ``raw`` (its exact values would fall outside their intervals)."""
    return list(_intervals(raw, published))


def _intervals(raw: RawTable, published: PublishedTable) -> Iterator[Interval]:
    if published.rule.method != "suppress":
        raise ValueError("only exact tables (method 'suppress') satisfy their line equations")
    from scipy.optimize import linprog  # here, not at the top: requests never load scipy

    hidden = [key for key, cell in published.cells.items() if cell.suppressed]
    matrix, sides = _system(published, hidden)
    for index, key in enumerate(hidden):
        low, high = (_extreme(linprog, matrix, sides, index, len(hidden), sign) for sign in (1, -1))
        exact = raw.count(key).n
        if not low - TOLERANCE <= exact <= high + TOLERANCE:
            raise ValueError(f"the published table was not made from this raw table: {key}")
        yield Interval(key, low, high, published.rule.k)


def _system(
    published: PublishedTable, hidden: Sequence[Key]
) -> tuple[list[list[float]], list[float]]:
    """The line equations as rows over the suppressed cells: coefficients, right-hand sides.
    Lines without a suppressed entry only restate published numbers and are left out."""
    column = {key: index for index, key in enumerate(hidden)}
    rows: list[list[float]] = []
    sides: list[float] = []
    for cells, total in lines(published.cells):
        row = [0.0] * len(hidden)
        side = 0.0
        for key, sign in itertools.chain(((c, 1.0) for c in cells), [(total, -1.0)]):
            if key in column:
                row[column[key]] += sign
            else:
                side -= sign * _value(published.cells[key])
        if any(row):
            rows.append(row)
            sides.append(side)
    return rows, sides


def _value(cell: Cell) -> int:
    if cell.value is None:
        raise ValueError("a suppressed cell has no published value")
    return cell.value


def _extreme(
    linprog: Callable[..., Any],
    matrix: list[list[float]],
    sides: list[float],
    index: int,
    size: int,
    sign: int,
) -> float:
    """The minimum (``sign`` 1) or maximum (``sign`` -1) of suppressed cell ``index``."""
    if not matrix:
        return 0.0 if sign == 1 else math.inf
    objective = [0.0] * size
    objective[index] = float(sign)
    result = linprog(objective, A_eq=matrix, b_eq=sides, bounds=(0, None), method="highs")
    if result.status == 3:  # unbounded: only a maximum can be, since every cell is >= 0
        return math.inf
    if result.status != 0:
        raise ValueError(f"the published table's equations have no solution: {result.message}")
    return float(sign * result.fun)


def repair(raw: RawTable, published: PublishedTable) -> PublishedTable:
    """``published`` (method ``suppress``, from ``raw``) with further cells suppressed,
    margins included when nothing else helps, until ``audit`` finds every suppressed cell
    safe. Each round hides one more entry next to the first unsafe cell and re-applies the
    line rules of ``complement``, so it ends at worst with the whole table suppressed."""
    values = {key: raw.count(key).n for key in published.cells}
    equations = lines(published.cells)
    current = published
    while (unsafe := _first_unsafe(raw, current)) is not None:
        hidden = {key for key, cell in current.cells.items() if cell.suppressed}
        hidden.add(_widening(unsafe.key, values, hidden, equations))
        hidden = complement(values, hidden, equations, published.rule.k)
        current = PublishedTable(
            published.dimensions,
            {key: Cell(None if key in hidden else values[key]) for key in published.cells},
            published.rule,
            published.categories,
        )
    return current


def _first_unsafe(raw: RawTable, published: PublishedTable) -> Interval | None:
    return next((i for i in _intervals(raw, published) if not i.safe), None)


def _widening(
    key: Key, values: Mapping[Key, int], hidden: set[Key], equations: Sequence[Line]
) -> Key:
    """The entry to hide for an unsafe cell: the smallest published non-zero entry of a line
    through it; failing that, a published total that contains it (a cell whose every
    containing total is hidden can grow without bound, so one of those must be published)."""
    near = [
        entry
        for cells, total in equations
        if key in (*cells, total)
        for entry in (*cells, total)
        if entry not in hidden
    ]
    if candidates := [entry for entry in near if values[entry] > 0]:
        return min(candidates, key=lambda entry: values[entry])
    containing = [entry for entry in values if entry not in hidden and _contains(entry, key)]
    if not containing:
        raise ValueError(f"no published entry bounds {key}; the audit cannot be right")
    return min(containing, key=lambda entry: values[entry])


def _contains(total: Key, key: Key) -> bool:
    return total != key and all(t in (TOTAL, v) for t, v in zip(total, key, strict=True))
