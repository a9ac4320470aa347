"""Complementary suppression and its audit (docs/reporting.md §3.4), through
``reporting.suppression`` and ``reporting.disclosure.protect``.

Examples worked out by hand (the line equations written down and solved on paper), then
properties over random two-dimension tables: the heuristic never leaves a line with exactly
one suppressed entry, and after ``protect`` no suppressed cell can be narrowed to fewer than
k values. The feasible intervals of the property are computed here, with a linear program of
their own (every entry a variable, published ones fixed by their bounds), never by the
module's ``audit``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from reporting.disclosure import protect, publish
from reporting.suppression import Interval, audit, lines
from reporting.tables import TOTAL, Cell, Count, PublishedTable, RawTable, Rule

SUPPRESS = Rule("suppress")
Key = tuple[str, ...]


def shown(table: PublishedTable) -> dict[Key, str]:
    return {key: cell.shown for key, cell in table.cells.items()}


def ranges(intervals: list[Interval]) -> dict[Key, tuple[object, object]]:
    """Each interval's ends, compared up to linprog's floating-point error."""
    return {i.key: (pytest.approx(i.low), pytest.approx(i.high)) for i in intervals}


def test_lines_of_a_two_dimension_table_are_its_rows_columns_and_margins() -> None:
    keys = [
        ("x", "p"),
        ("x", "q"),
        ("y", "p"),
        ("y", "q"),
        ("x", "*"),
        ("y", "*"),
        ("*", "p"),
        ("*", "q"),
        ("*", "*"),
    ]
    assert set(lines(keys)) == {
        ((("x", "p"), ("x", "q")), ("x", "*")),
        ((("y", "p"), ("y", "q")), ("y", "*")),
        ((("x", "p"), ("y", "p")), ("*", "p")),
        ((("x", "q"), ("y", "q")), ("*", "q")),
        ((("x", "*"), ("y", "*")), ("*", "*")),
        ((("*", "p"), ("*", "q")), ("*", "*")),
    }
    assert lines(keys[:4]) == []  # no totals, no equations


# Rows x, y, z; columns p, q, r. Primary: (x, p) = 3 and (y, r) = 4. Column p then hides
# its smallest other cell, (y, p) = 12; row x its smallest, (x, r) = 15. The four hidden cells
# form a rectangle: (x, p) = t, (x, r) = 18 - t, (y, p) = 15 - t, (y, r) = 1 + t, 0 <= t <= 15.
CLASSIC = RawTable(
    ("nationality", "exploitation"),
    {
        ("x", "p"): Count(3),
        ("x", "q"): Count(20),
        ("x", "r"): Count(15),
        ("y", "p"): Count(12),
        ("y", "q"): Count(25),
        ("y", "r"): Count(4),
        ("z", "p"): Count(30),
        ("z", "q"): Count(14),
        ("z", "r"): Count(18),
    },
    (("x", "y", "z"), ("p", "q", "r")),
)


def test_heuristic_hides_the_smallest_cell_of_each_line_left_with_one_suppressed() -> None:
    table = publish(CLASSIC, SUPPRESS)
    assert shown(table) == {
        ("x", "p"): "<10",
        ("x", "q"): "20",
        ("x", "r"): "<10",
        ("y", "p"): "<10",
        ("y", "q"): "25",
        ("y", "r"): "<10",
        ("z", "p"): "30",
        ("z", "q"): "14",
        ("z", "r"): "18",
        ("x", "*"): "38",
        ("y", "*"): "41",
        ("z", "*"): "62",
        ("*", "p"): "45",
        ("*", "q"): "59",
        ("*", "r"): "37",
        ("*", "*"): "141",
    }
    assert ranges(audit(CLASSIC, table)) == {
        ("x", "p"): (0, 15),
        ("x", "r"): (3, 18),
        ("y", "p"): (0, 15),
        ("y", "r"): (1, 16),
    }


# Row z is 11 people all in q: the small-row rule hides it whole. The heuristic's rules of
# thumb then hold on every line, yet row y (y_p + y_r = 23), column p (y_p + z_p = 12) and
# column r (y_r + z_r = 11) force z_p = z_r = 0, y_p = 12, y_r = 11.
LEAKY = RawTable(
    ("nationality", "exploitation"),
    {
        ("x", "p"): Count(20),
        ("x", "q"): Count(11),
        ("x", "r"): Count(12),
        ("y", "p"): Count(12),
        ("y", "q"): Count(25),
        ("y", "r"): Count(11),
        ("z", "q"): Count(11),
    },
    (("x", "y", "z"), ("p", "q", "r")),
)


def test_audit_finds_the_cells_the_heuristic_left_derivable() -> None:
    unsafe = [i for i in audit(LEAKY, publish(LEAKY, SUPPRESS)) if not i.safe]
    assert ranges(unsafe) == {
        ("y", "p"): (12, 12),
        ("y", "r"): (11, 11),
        ("z", "p"): (0, 0),
        ("z", "r"): (0, 0),
    }


def test_protect_suppresses_more_until_every_suppressed_cell_is_k_wide() -> None:
    """Hiding (x, p) = 20 as well frees column p: y_r runs from 0 to 11, y_p from 12 to 23."""
    table = protect(LEAKY, SUPPRESS)
    assert shown(table) == {
        ("x", "p"): "<10",
        ("x", "q"): "<10",
        ("x", "r"): "12",
        ("y", "p"): "<10",
        ("y", "q"): "25",
        ("y", "r"): "<10",
        ("z", "p"): "<10",
        ("z", "q"): "<10",
        ("z", "r"): "<10",
        ("x", "*"): "<10",
        ("y", "*"): "48",
        ("z", "*"): "<10",
        ("*", "p"): "32",
        ("*", "q"): "47",
        ("*", "r"): "23",
        ("*", "*"): "102",
    }
    intervals = audit(LEAKY, table)
    assert ranges(intervals)[("y", "r")] == (0, 11)
    assert all(i.safe for i in intervals)


# 2 × 2 with totals: row x hidden, columns published, so each hidden cell is its column
# total minus the published cell below it.
PINNED_RAW = RawTable(
    ("a", "b"),
    {("x", "p"): Count(3), ("x", "q"): Count(30), ("y", "p"): Count(20), ("y", "q"): Count(40)},
    (("x", "y"), ("p", "q")),
)
PINNED = PublishedTable(
    ("a", "b"),
    {
        ("x", "p"): Cell(None),
        ("x", "q"): Cell(None),
        ("y", "p"): Cell(20),
        ("y", "q"): Cell(40),
        ("x", "*"): Cell(33),
        ("y", "*"): Cell(60),
        ("*", "p"): Cell(23),
        ("*", "q"): Cell(70),
        ("*", "*"): Cell(93),
    },
    SUPPRESS,
    (("x", "y"), ("p", "q")),
)


def test_audit_pins_a_cell_its_column_gives_away() -> None:
    intervals = audit(PINNED_RAW, PINNED)
    assert ranges(intervals) == {("x", "p"): (3, 3), ("x", "q"): (30, 30)}
    assert [i.safe for i in intervals] == [False, False]


def test_audit_leaves_cells_unbounded_when_no_total_is_published() -> None:
    table = publish(PINNED_RAW, SUPPRESS, totals=False)
    assert audit(PINNED_RAW, table) == [Interval(("x", "p"), 0.0, math.inf, 10)]


def test_audit_refuses_rounded_tables_and_tables_made_from_other_counts() -> None:
    with pytest.raises(ValueError, match="exact"):
        audit(CLASSIC, publish(CLASSIC, Rule("round")))
    with pytest.raises(ValueError, match="not made from this raw table"):
        audit(CLASSIC, PINNED)


@pytest.mark.parametrize(
    ("low", "high", "safe"),
    [
        (0, 10, True),
        (3, 12.9999999999, True),
        (0, 9.5, False),
        (12, 12, False),
        (0, math.inf, True),
    ],
)
def test_an_interval_is_safe_from_k_wide(low: float, high: float, safe: bool) -> None:
    assert Interval(("x",), low, high, 10).safe is safe


@pytest.mark.parametrize("method", ["round", "cellkey"])
def test_protect_returns_rounded_and_perturbed_tables_as_published(method: str) -> None:
    assert protect(CLASSIC, Rule(method)) == publish(CLASSIC, Rule(method))


# --- properties over random two-dimension tables with totals ---------------------------------

COUNTS = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 40))


@st.composite
def two_way(draw: st.DrawFn) -> RawTable:
    rows = tuple(f"r{i}" for i in range(draw(st.integers(2, 4))))
    columns = tuple(f"c{j}" for j in range(draw(st.integers(2, 4))))
    keys: list[Key] = list(itertools.product(rows, columns))
    counts = draw(st.lists(COUNTS, min_size=len(keys), max_size=len(keys)))
    cells = {key: Count(n) for key, n in zip(keys, counts, strict=True) if n}
    return RawTable(("row", "column"), cells, (rows, columns))


def equations(rows: Sequence[str], columns: Sequence[str]) -> list[tuple[list[Key], Key]]:
    """Each row, each column and both margins of a two-way table, written out by hand."""
    every_row, every_column = [*rows, TOTAL], [*columns, TOTAL]
    by_row: list[tuple[list[Key], Key]] = [
        ([(r, c) for c in columns], (r, TOTAL)) for r in every_row
    ]
    return by_row + [([(r, c) for r in rows], (TOTAL, c)) for c in every_column]


def feasible_range(table: PublishedTable, key: Key) -> tuple[float, float]:
    """Min and max of ``key`` over non-negative entries meeting every equation, with every
    entry a variable and the published ones held at their value by their bounds."""
    rows, columns = table.categories
    entries: list[Key] = list(itertools.product([*rows, TOTAL], [*columns, TOTAL]))
    where = {entry: i for i, entry in enumerate(entries)}
    matrix = []
    for members, total in equations(rows, columns):
        row = [0.0] * len(entries)
        for member in members:
            row[where[member]] = 1.0
        row[where[total]] = -1.0
        matrix.append(row)
    bounds = [
        (0, None) if table.cells[e].value is None else (table.cells[e].value,) * 2 for e in entries
    ]
    extremes = []
    for sign in (1.0, -1.0):
        objective = [0.0] * len(entries)
        objective[where[key]] = sign
        result = linprog(
            objective, A_eq=matrix, b_eq=[0.0] * len(matrix), bounds=bounds, method="highs"
        )
        assert result.status in (0, 3), result.message
        extremes.append(math.inf if result.status == 3 else sign * result.fun)
    return extremes[0], extremes[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=two_way())
def test_heuristic_never_leaves_a_line_with_one_suppressed_entry(raw: RawTable) -> None:
    table = publish(raw, SUPPRESS)
    rows, columns = raw.categories
    for members, total in equations(rows, columns):
        hidden = [e for e in [*members, total] if table.cells[e].value is None]
        assert len(hidden) != 1, (members, total)
    small = [
        key
        for key, cell in table.cells.items()
        if key[0] != TOTAL and key[1] != TOTAL and 0 < raw.count(key).n < 10
    ]
    assert all(table.cells[key].value is None for key in small)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=two_way())
def test_after_protect_no_suppressed_cell_is_narrower_than_k(raw: RawTable) -> None:
    table = protect(raw, SUPPRESS)
    for key, cell in table.cells.items():
        exact = raw.count(key).n
        if cell.value is not None:
            assert cell.value == exact, key
            assert not 0 < exact < 10, key
            continue
        low, high = feasible_range(table, key)
        assert low - 1e-6 <= exact <= high + 1e-6, key
        assert high - low >= 10 - 1e-6, (key, low, high)
