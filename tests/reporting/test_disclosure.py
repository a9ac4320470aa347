"""Disclosure control through ``reporting.disclosure`` (docs/reporting.md §3).

Examples with literal expectations worked out by hand from docs/reporting.md §3 (the 10-5 rule,
ONS's pcv formula, the committed ptable read as a CSV file), never computed by the code under
test; then properties over random tables: no method ever shows a count from 1 to 9, rounding
methods show only multiples of 5, and cell-key perturbation gives the same records the same
numbers however they are filtered.
"""

from __future__ import annotations

import ast
import csv
import itertools
import math
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.disclosure import (
    PTABLE,
    build_ptable,
    pcv,
    protect,
    ptable,
    publish,
    rule_text,
    share,
    write_ptable,
)
from reporting.tables import TOTAL, Cell, Count, PublishedTable, RawTable, Rule

ROOT = Path(__file__).resolve().parents[2]
ROUND, CELLKEY, SUPPRESS = Rule("round"), Rule("cellkey"), Rule("suppress")
METHODS = ("round", "cellkey", "suppress")
Key = tuple[str, ...]
# Hypothesis settings for every property here: seconds, not minutes, on a shared machine.
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def one_cell(count: Count) -> RawTable:
    return RawTable(("sex",), {("female",): count}, (("female",),))


def shown(table: PublishedTable) -> dict[Key, str]:
    return {key: cell.shown for key, cell in table.cells.items()}


# --- the 10-5 rule, literally ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0"),
        (1, "<10"),
        (9, "<10"),
        (10, "10"),
        (12, "10"),
        (13, "15"),
        (14, "15"),
        (17, "15"),
        (18, "20"),
        (747, "745"),
        (748, "750"),
        (750, "750"),
        (751, "750"),
        (753, "755"),
        (1002, "1000"),
    ],
)
def test_round_rule_publishes_zero_suppresses_small_and_rounds_to_five(
    n: int, expected: str
) -> None:
    assert shown(publish(one_cell(Count(n)), ROUND, totals=False)) == {("female",): expected}


@pytest.mark.parametrize(("n", "expected"), [(10, 10), (14, 10), (15, 20), (24, 20), (25, 30)])
def test_rounding_takes_halves_upward(n: int, expected: int) -> None:
    """With base 10 a count can sit exactly halfway; it goes up, as round-half-up says."""
    table = publish(one_cell(Count(n)), Rule("round", k=10, base=10), totals=False)
    assert table.cells[("female",)].value == expected


def test_totals_are_protected_from_exact_counts_not_from_published_cells() -> None:
    raw = RawTable(("sex",), {("female",): Count(4), ("male",): Count(8)}, (("female", "male"),))
    assert shown(publish(raw, ROUND)) == {("female",): "<10", ("male",): "<10", ("*",): "10"}


# A 2×3 table: rows x, y; columns p, q, r. Exact row totals 35 and 34, column totals 12, 30,
# 27, grand total 69.
TWO_BY_THREE = RawTable(
    ("nationality", "exploitation"),
    {("x", "p"): Count(12), ("x", "r"): Count(23), ("y", "q"): Count(30), ("y", "r"): Count(4)},
    (("x", "y"), ("p", "q", "r")),
)


def test_every_combination_is_a_cell_in_category_order_then_totals_grand_total_last() -> None:
    table = publish(TWO_BY_THREE, ROUND)
    assert list(table.cells) == [
        ("x", "p"),
        ("x", "q"),
        ("x", "r"),
        ("y", "p"),
        ("y", "q"),
        ("y", "r"),
        ("x", "*"),
        ("y", "*"),
        ("*", "p"),
        ("*", "q"),
        ("*", "r"),
        ("*", "*"),
    ]
    assert shown(table) == {
        ("x", "p"): "10",
        ("x", "q"): "0",
        ("x", "r"): "25",
        ("y", "p"): "0",
        ("y", "q"): "30",
        ("y", "r"): "<10",
        ("x", "*"): "35",
        ("y", "*"): "35",
        ("*", "p"): "10",
        ("*", "q"): "30",
        ("*", "r"): "25",
        ("*", "*"): "70",
    }
    assert [key for key, _ in table.rows()] == list(table.cells)[:6]
    assert table.totals()[-1] == (("*", "*"), Cell(70))


def test_without_totals_only_the_cells_are_published() -> None:
    table = publish(TWO_BY_THREE, ROUND, totals=False)
    assert table.totals() == []
    assert len(table.rows()) == 6


def test_three_dimensions_have_a_total_in_every_subset_of_positions() -> None:
    raw = RawTable(
        ("a", "b", "c"), {("a1", "b1", "c1"): Count(30)}, (("a1", "a2"), ("b1", "b2"), ("c1", "c2"))
    )
    table = publish(raw, ROUND)
    assert len(table.cells) == 27  # 3 × 3 × 3: each position a value or "*"
    assert list(table.cells)[-1] == ("*", "*", "*")
    assert table.cells[("a1", "*", "*")] == Cell(30)
    assert table.cells[("a2", "b1", "*")] == Cell(0)


def test_categories_come_from_the_cells_when_the_table_lists_none() -> None:
    raw = RawTable(("sex",), {("male",): Count(20), ("female",): Count(11)})
    assert shown(publish(raw, ROUND)) == {("female",): "10", ("male",): "20", ("*",): "30"}


def test_a_counted_value_outside_the_categories_is_refused() -> None:
    """Its people would be in the totals but in no row of the table."""
    raw = RawTable(("sex",), {("other",): Count(3), ("female",): Count(40)}, (("female",),))
    with pytest.raises(ValueError, match="outside"):
        publish(raw, ROUND)


# --- the small row that is 100 % in one column ---------------------------------------------

# Row x: 12 people, all in p (under 2k = 20): hidden whole. Row y: two columns filled.
# Row z: 20 people all in p, not under 20. Row w: nobody.
SMALL_ROWS = RawTable(
    ("nationality", "exploitation"),
    {("x", "p"): Count(12), ("y", "p"): Count(15), ("y", "q"): Count(8), ("z", "p"): Count(20)},
    (("x", "y", "z", "w"), ("p", "q")),
)


def test_small_row_all_in_one_column_is_suppressed_zeros_and_row_total_included() -> None:
    assert shown(publish(SMALL_ROWS, ROUND)) == {
        ("x", "p"): "<10",
        ("x", "q"): "<10",
        ("y", "p"): "15",
        ("y", "q"): "<10",
        ("z", "p"): "20",
        ("z", "q"): "0",
        ("w", "p"): "0",
        ("w", "q"): "0",
        ("x", "*"): "<10",
        ("y", "*"): "25",
        ("z", "*"): "20",
        ("w", "*"): "0",
        ("*", "p"): "45",
        ("*", "q"): "<10",
        ("*", "*"): "55",
    }


@pytest.mark.parametrize("method", METHODS)
def test_small_row_rule_holds_for_every_method(method: str) -> None:
    table = publish(SMALL_ROWS, Rule(method))
    assert [table.cells[key] for key in [("x", "p"), ("x", "q"), ("x", "*")]] == [Cell(None)] * 3


def test_small_row_rule_needs_two_columns_to_mean_anything() -> None:
    raw = RawTable(
        ("nationality", "classification"), {("x", "likely"): Count(12)}, (("x",), ("likely",))
    )
    assert publish(raw, ROUND, totals=False).cells == {("x", "likely"): Cell(10)}


# --- cell-key perturbation, literally ------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"), [(1, 1), (750, 750), (751, 501), (1000, 750), (1001, 501), (1250, 750)]
)
def test_pcv_follows_ons(n: int, expected: int) -> None:
    assert pcv(n) == expected


# Noise looked up by hand in reporting/ptable.csv: (8, 47) +2; (11, 18) -2; (13, 7) +2;
# (13, 15) -2; (12, 0) absent, so 0; (502, 1) +1 and (502, 20) -2, read for 1002.
@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (Count(0, 5), "0"),
        (Count(8, 47), "10"),
        (Count(11, 18), "<10"),
        (Count(13, 7), "15"),
        (Count(13, 15), "10"),
        (Count(12, 0), "10"),
        (Count(1002, 1), "1005"),
        (Count(1002, 20), "1000"),
    ],
)
def test_cellkey_adds_the_ptable_noise_then_applies_the_10_5_rule(
    count: Count, expected: str
) -> None:
    assert shown(publish(one_cell(count), CELLKEY, totals=False)) == {("female",): expected}


def read_ptable_csv() -> dict[tuple[int, int], int]:
    with PTABLE.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["pcv", "ckey", "pvalue"]
    return {(int(p), int(c)): int(v) for p, c, v in rows[1:]}


def test_ptable_noise_has_zero_mean_and_never_takes_a_count_to_zero() -> None:
    table = read_ptable_csv()
    for row in range(1, 751):
        noise = [table.get((row, ckey), 0) for ckey in range(256)]
        assert sum(noise) == 0, row
        assert all(-2 <= value <= 2 and row + value >= 1 for value in noise), row
    assert Counter(table.get((300, ckey), 0) for ckey in range(256)) == {
        -2: 16,
        -1: 48,
        0: 128,
        1: 48,
        2: 16,
    }
    assert {key[0] for key in table} == set(range(2, 751))  # pcv 1 cannot move


def test_committed_ptable_is_what_the_script_writes(tmp_path: Path) -> None:
    """Anyone can check the shipped file: the script rewrites it byte for byte."""
    assert write_ptable(tmp_path / "ptable.csv") == 95872
    assert (tmp_path / "ptable.csv").read_bytes() == PTABLE.read_bytes()
    assert build_ptable() == read_ptable_csv() == ptable()
    assert build_ptable("another seed") != ptable()


# --- refusals, percentages and the printed rule -------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        Rule("round", k=9),
        Rule("cellkey", k=5),
        Rule("suppress", k=0),
        Rule("round", base=3),
        Rule("round", base=0),
        Rule("smooth"),
    ],
)
def test_rules_below_k_10_or_otherwise_unsound_are_refused(rule: Rule) -> None:
    with pytest.raises(ValueError, match="k =|method|base"):
        publish(TWO_BY_THREE, rule)
    with pytest.raises(ValueError, match="k =|method|base"):
        rule_text(rule)
    with pytest.raises(ValueError, match="k =|method|base"):
        protect(TWO_BY_THREE, rule)


def test_a_higher_threshold_suppresses_more() -> None:
    table = publish(one_cell(Count(15)), Rule("round", k=20, base=10), totals=False)
    assert table.cells == {("female",): Cell(None)}


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (10, 40, "25%"),
        (5, 40, "13%"),
        (10, 15, "67%"),
        (0, 10, "0%"),
        (15, 10, "100%"),
        (None, 40, None),
        (10, None, None),
        (None, None, None),
        (0, 0, None),
        (10, 0, None),
    ],
)
def test_share_is_a_whole_percentage_of_published_cells_only(
    part: int | None, whole: int | None, expected: str | None
) -> None:
    assert share(Cell(part), Cell(whole)) == expected


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (ROUND, ["under 10", '"<10"', "nearest 5", "need not add up"]),
        (CELLKEY, ["under 10", '"<10"', "nearest 5", "same way each time"]),
        (SUPPRESS, ["under 10", '"<10"', "exact"]),
        (Rule("round", k=20, base=10), ["under 20", "fewer than 40", "nearest 10"]),
    ],
)
def test_rule_text_states_the_threshold_and_the_method(rule: Rule, words: list[str]) -> None:
    text = str(rule_text(rule))
    assert [word for word in words if word not in text] == []


# --- what the request path loads ----------------------------------------------------------


def test_publishing_never_loads_scipy_and_the_package_never_imports_random() -> None:
    script = (
        "import sys\n"
        "from reporting.disclosure import publish\n"
        "from reporting.tables import Count, RawTable, Rule\n"
        "raw = RawTable(('a',), {('x',): Count(3), ('y',): Count(40)})\n"
        "for method in ('round', 'cellkey', 'suppress'):\n"
        "    publish(raw, Rule(method))\n"
        "print('scipy' in sys.modules)\n"
    )
    run = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True
    )
    assert run.stdout.strip() == "False"
    imported = {
        alias.name
        for path in (ROOT / "reporting").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module
        for path in (ROOT / "reporting").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "random" not in imported
    assert "hashlib" in imported  # the ptable's order comes from SHA-256 instead


# --- properties ---------------------------------------------------------------------------

COUNTS = st.one_of(st.integers(0, 15), st.integers(0, 900))


@st.composite
def raw_tables(draw: st.DrawFn) -> RawTable:
    """1 to 3 dimensions of 1 to 4 (3 in three dimensions) categories, small populations."""
    width = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 4 if width < 3 else 3)) for _ in range(width)]
    categories = tuple(
        tuple(f"{name}{i}" for i in range(size)) for name, size in zip("abc", sizes, strict=False)
    )
    keys = list(itertools.product(*categories))
    counts = draw(
        st.lists(st.tuples(COUNTS, st.integers(0, 255)), min_size=len(keys), max_size=len(keys))
    )
    cells = {key: Count(n, ckey) for key, (n, ckey) in zip(keys, counts, strict=True) if n}
    return RawTable(tuple(f"dim_{name}" for name in "abc"[:width]), cells, categories)


def exact(raw: RawTable, key: Key) -> int:
    """The exact count of a key, summed here rather than by the code under test."""
    return sum(
        count.n
        for cell, count in raw.cells.items()
        if all(want in (TOTAL, have) for want, have in zip(key, cell, strict=True))
    )


def expected_keys(raw: RawTable, totals: bool) -> int:
    sizes = [len(values) + int(totals) for values in raw.categories]
    return math.prod(sizes)


@pytest.mark.parametrize("method", METHODS)
@QUICK
@given(raw=raw_tables(), totals=st.booleans())
def test_no_method_ever_shows_a_count_from_1_to_9(method: str, raw: RawTable, totals: bool) -> None:
    table = publish(raw, Rule(method), totals)
    assert len(table.cells) == expected_keys(raw, totals)
    values = [cell.value for cell in table.cells.values() if cell.value is not None]
    assert [v for v in values if 0 < v < 10 or v < 0] == []
    if method == "suppress":  # exact counts, never rounded
        assert all(cell.value in (None, exact(raw, key)) for key, cell in table.cells.items())
    else:
        assert [v for v in values if v % 5] == []


def reference_10_5(n: int) -> int | None:
    """The 10-5 rule as SQL writes it (docs/reporting.md §3.2): 0, NULL under 10, else
    5 × round(n / 5)."""
    if n == 0:
        return 0
    return None if n < 10 else 5 * int(n / 5 + 0.5)


@QUICK
@given(raw=raw_tables())
def test_round_publishes_every_cell_and_total_by_the_10_5_rule(raw: RawTable) -> None:
    if len(raw.dimensions) == 2:  # the small-row rule is tested on its own above
        return
    table = publish(raw, ROUND)
    assert {key: cell.value for key, cell in table.cells.items()} == {
        key: reference_10_5(exact(raw, key)) for key in table.cells
    }


RECORDS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 255)), max_size=150
)
ROWS = tuple(f"r{i}" for i in range(4))
COLUMNS = tuple(f"c{j}" for j in range(3))


def table_from(records: Sequence[tuple[int, int, int]], rows: Sequence[str]) -> RawTable:
    """What the database would count from fact rows (row, column, record key) in ``rows``."""
    cells: dict[Key, Count] = {}
    for row, column, record_key in records:
        key = (ROWS[row], COLUMNS[column])
        if key[0] in rows:
            cells[key] = cells.get(key, Count(0)) + Count(1, record_key)
    return RawTable(("country", "month"), cells, (tuple(rows), COLUMNS))


@QUICK
@given(
    records=RECORDS,
    rows=st.lists(st.sampled_from(ROWS), min_size=1, unique=True),
    order=st.randoms(use_true_random=False),
)
def test_cellkey_gives_the_same_records_the_same_numbers_under_any_filter(
    records: list[tuple[int, int, int]], rows: list[str], order: random.Random
) -> None:
    full = publish(table_from(records, ROWS), CELLKEY)
    assert publish(table_from(records, ROWS), CELLKEY) == full
    shuffled = list(records)
    order.shuffle(shuffled)
    assert publish(table_from(shuffled, ROWS), CELLKEY) == full
    part = publish(table_from(records, sorted(rows)), CELLKEY)
    # Every cell and row total of the filtered table counts the same records as in the full
    # table; column and grand totals count fewer, so they may differ.
    same = [key for key in part.cells if key[0] != TOTAL]
    assert {key: part.cells[key] for key in same} == {key: full.cells[key] for key in same}


# --- row-level release (the CTDC file) -----------------------------------------------------


def test_k_anonymous_blanks_rare_identifiers_in_order_then_drops() -> None:
    from reporting.disclosure import k_anonymous

    common = [{"nat": "NG", "age": "18", "sex": "F"}] * 10
    rare_age = [{"nat": "NG", "age": "40", "sex": "F"}] * 2
    lone = [{"nat": "ER", "age": "40", "sex": "M"}]
    released = k_anonymous(common + rare_age + lone, ("age", "nat", "sex"), 10)
    # The two 40-year-olds lose their age and join nobody: they lose nationality and sex
    # too, and with the lone man still make 3 < 10 rows: all three are left out.
    assert released == common
    # A rare age blanked joins ten rows whose age was never known: eleven, all kept.
    unknown_age = [{"nat": "NG", "age": "", "sex": "F"}] * 10
    grouped = k_anonymous(
        unknown_age + [{"nat": "NG", "age": "40", "sex": "F"}], ("age", "nat", "sex"), 10
    )
    assert grouped == unknown_age + [{"nat": "NG", "age": "", "sex": "F"}]


@given(
    st.lists(
        st.tuples(st.sampled_from("ab"), st.sampled_from("xyz"), st.sampled_from("01")), max_size=60
    )
)
@settings(deadline=None, max_examples=60)
def test_every_combination_released_row_by_row_is_shared_by_k_rows(
    people: list[tuple[str, str, str]],
) -> None:
    from reporting.disclosure import k_anonymous

    rows = [{"a": a, "b": b, "c": c} for a, b, c in people]
    released = k_anonymous(rows, ("b", "a", "c"), 10)
    counts: dict[tuple[str, ...], int] = {}
    for row in released:
        counts[(row["a"], row["b"], row["c"])] = counts.get((row["a"], row["b"], row["c"]), 0) + 1
    assert all(n >= 10 for n in counts.values())
    assert len(released) <= len(rows)
