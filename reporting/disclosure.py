"""Disclosure control (docs/reporting.md §3): ``publish``, the one function every page, CSV
file, chart and API answer takes its numbers from, turning a ``RawTable`` of exact counts
into a ``PublishedTable``; ``protect``, the audited form for releases; the cell-key
perturbation table (ptable) and the script that wrote it; ``share`` for percentages and
``rule_text`` for the sentence printed under every table.

Three methods (``Rule.method``), all with a threshold k of at least 10:

- ``round``, ONS's 10-5 rule: 0 stays 0, 1 to k-1 are suppressed (shown "<10"), the rest
  rounded to the nearest ``base``;
- ``cellkey``, ONS's cell-key perturbation, then the 10-5 rule: same records, same noise;
- ``suppress``: exact counts, small cells suppressed with their complements
  (``reporting.suppression``).

In all three, a small row of a two-dimension table that falls entirely in one column is
suppressed whole (``small_rows``). Run ``python -m reporting.disclosure --write-ptable`` to
rewrite ``reporting/ptable.csv``; it comes out the same byte for byte every time."""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from reporting import suppression
from reporting.tables import SUPPRESSED, TOTAL, Cell, Count, PublishedTable, RawTable, Rule

Key = tuple[str, ...]
Categories = tuple[tuple[str, ...], ...]

METHODS = ("round", "cellkey", "suppress")
MIN_K = 10  # docs/reporting.md §3.1: k may be raised, never lowered

PTABLE = Path(__file__).with_name("ptable.csv")
PTABLE_SEED = "passage-ptable-1"  # change it, rerun the script: a new, equally good table
MAX_PCV = 750  # ONS: counts above 750 reuse the rows of 501 to 750
CELL_KEYS = 256  # record keys and cell keys run from 0 to 255
# How often each noise value occurs among the 256 cell keys of one pcv. Every row of the
# table has mean exactly 0 and never takes a positive count to 0 or below, which for pcv 1
# means no noise at all (no zero-mean noise can be only >= 0) and for pcv 2 none below -1.
NOISE = {
    1: {0: 256},
    2: {-1: 72, 0: 128, 1: 40, 2: 16},
    3: {-2: 16, -1: 48, 0: 128, 1: 48, 2: 16},  # and every pcv above 3
}


def publish(raw: RawTable, rule: Rule, totals: bool = True) -> PublishedTable:
    """``raw`` protected by ``rule``: one cell for every combination of its categories (so
    zeros show), in category order, then with ``totals`` every total (``TOTAL`` in each
    subset of positions, the grand total last), each protected on its own from its exact
    count (docs/reporting.md §3.1). Raises ValueError for a rule below k = 10 or an unknown
    method."""
    check_rule(rule)
    categories = categories_of(raw)
    keys = table_keys(categories, totals)
    exact = exact_counts(raw, keys)
    hidden = small_rows(exact, categories, rule.k)
    if rule.method == "suppress":
        values = {key: count.n for key, count in exact.items()}
        primary = hidden | {key for key, n in values.items() if 0 < n < rule.k}
        hidden = suppression.complement(values, primary, suppression.lines(keys), rule.k)
        cells = {key: Cell(None if key in hidden else values[key]) for key in keys}
    else:
        cells = {
            key: Cell(None if key in hidden else protect_count(exact[key], rule)) for key in keys
        }
    return PublishedTable(raw.dimensions, cells, rule, categories)


def protect(raw: RawTable, rule: Rule, totals: bool = True) -> PublishedTable:
    """Like ``publish``, and for method ``suppress`` audited with linear programming and
    repaired until no suppressed cell can be narrowed to fewer than k values
    (``reporting.suppression``). Slow (scipy, two programs per suppressed cell): for
    releases and background jobs, never for a request. Rounding and perturbation protect
    every cell on their own, so their tables are returned as ``publish`` makes them."""
    published = publish(raw, rule, totals)
    if rule.method != "suppress":
        return published
    return suppression.repair(raw, published)


def check_rule(rule: Rule) -> None:
    """Raise ValueError unless ``rule`` is one Passage may publish under: a known method, k
    at least 10, and a rounding base that divides k (so a rounded count is never shown
    below the threshold, where it would look like a suppressed one)."""
    if rule.method not in METHODS:
        raise ValueError(f"unknown disclosure method {rule.method!r}; use one of {METHODS}")
    if rule.k < MIN_K:
        raise ValueError(f"k = {rule.k} is below the minimum of {MIN_K}")
    if rule.base < 1 or rule.k % rule.base:
        raise ValueError(f"the rounding base {rule.base} must divide k = {rule.k}")


def categories_of(raw: RawTable) -> Categories:
    """The categories the table shows: ``raw.categories``, or, when it gives none, the
    values its cells hold, sorted. Raises ValueError when a cell holds a value that is not
    a category: the totals would count people the table does not show, and the line
    equations of suppression would be false."""
    if not raw.dimensions:
        raise ValueError("a table needs at least one dimension")
    categories = raw.categories or tuple(
        tuple(sorted({key[axis] for key in raw.cells})) for axis in range(len(raw.dimensions))
    )
    if len(categories) != len(raw.dimensions):
        raise ValueError("one tuple of categories per dimension")
    if any(TOTAL in values or len(set(values)) != len(values) for values in categories):
        raise ValueError(f"categories must be distinct and never {TOTAL!r}")
    known = [set(values) for values in categories]
    for key in raw.cells:
        if len(key) != len(known) or any(v not in ok for v, ok in zip(key, known, strict=True)):
            raise ValueError(f"cell {key} holds a value outside the table's categories")
    return categories


def table_keys(categories: Categories, totals: bool) -> list[Key]:
    """Every cell key in category order; then, with ``totals``, the totals with one
    ``TOTAL`` (over the last dimension first: row totals before column totals), then two,
    and so on to the grand total."""
    keys = list(itertools.product(*categories))
    if not totals:
        return keys
    width = len(categories)
    for size in range(1, width + 1):
        for positions in reversed(list(itertools.combinations(range(width), size))):
            axes = [
                (TOTAL,) if axis in positions else values for axis, values in enumerate(categories)
            ]
            keys.extend(itertools.product(*axes))
    return keys


def exact_counts(raw: RawTable, keys: Sequence[Key]) -> dict[Key, Count]:
    """The exact count, with its cell key, of every key: what ``raw.count`` gives, in one
    pass over the cells (each cell adds to itself and to every total containing it)."""
    counts = {key: Count(0) for key in keys}
    masks = list(itertools.product((False, True), repeat=len(raw.dimensions)))
    for key, count in raw.cells.items():
        for mask in masks:
            target = tuple(TOTAL if hide else value for hide, value in zip(mask, key, strict=True))
            if target in counts:
                counts[target] = counts[target] + count
    return counts


def small_rows(exact: Mapping[Key, Count], categories: Categories, k: int) -> set[Key]:
    """The keys of every small row that is 100 % in one column (docs/reporting.md §3.5), in a
    two-dimension table with at least two columns: a row whose only non-zero cell holds
    the whole row, fewer than 2k people. Its cells, zeros included, and its row total are
    all suppressed: hiding the one count but showing the zeros beside it would still tell
    that everyone in the row is in that column. Rows are the first dimension, so a table
    puts the group (say nationality) first and the attribute (say exploitation) second."""
    if len(categories) != 2 or len(categories[1]) < 2:
        return set()
    hidden: set[Key] = set()
    rows: set[str] = set()
    for row in categories[0]:
        line = [(row, column) for column in categories[1]]
        filled = [key for key in line if exact[key].n]
        if len(filled) == 1 and exact[filled[0]].n < 2 * k:
            hidden.update(line)
            hidden.update(key for key in [(row, TOTAL)] if key in exact)
            rows.add(row)
    # A column total the hidden rows alone make (every other row 0 there) repeats what they
    # hide: the table narrowed to one month, or one country, would show 15 in one column
    # and 0 in the others. It goes too, the grand total with it.
    others = [row for row in categories[0] if row not in rows]
    for column in (*categories[1], TOTAL) if rows else ():
        total = (TOTAL, column)
        if total in exact and not any(_n(exact, (row, column)) for row in others):
            hidden.add(total)
    return hidden


def _n(exact: Mapping[Key, Count], key: Key) -> int:
    found = exact.get(key)
    return found.n if found is not None else 0


def protect_count(count: Count, rule: Rule) -> int | None:
    """One count under ``round`` or ``cellkey``: perturbed first for ``cellkey``, then the
    10-5 rule (``round_count``)."""
    n = perturb(count) if rule.method == "cellkey" else count.n
    return round_count(n, rule)


def round_count(n: int, rule: Rule) -> int | None:
    """The 10-5 rule (docs/reporting.md §3.2): 0 stays 0; 1 to k-1 become None (suppressed,
    shown "<10"); others go to the nearest multiple of ``rule.base``, halves upward (in
    integers: no float ever rounds 12.5 to 12)."""
    if n < 0:
        raise ValueError("a count is never negative")
    if n == 0:
        return 0
    if n < rule.k:
        return None
    return rule.base * ((2 * n + rule.base) // (2 * rule.base))


def pcv(n: int) -> int:
    """The ptable row a count reads (ONS): itself up to 750, then 501 to 750 over again."""
    return n if n <= MAX_PCV else (n - 1) % 250 + 501


def perturb(count: Count) -> int:
    """The count plus the noise the ptable holds for its (pcv, cell key), docs/reporting.md
    §3.3; zero stays zero.
    The same records always give the same count and cell key, so the same answer:
    repeating or overlapping queries cannot average the noise away."""
    if count.n == 0:
        return 0
    return count.n + ptable().get((pcv(count.n), count.ckey), 0)


@cache
def ptable() -> dict[tuple[int, int], int]:
    """The committed ptable, read once: noise by (pcv, cell key); pairs absent are 0."""
    with PTABLE.open(newline="", encoding="ascii") as handle:
        rows = csv.DictReader(handle)
        if rows.fieldnames != ["pcv", "ckey", "pvalue"]:
            raise ValueError(f"{PTABLE.name} must have the columns pcv,ckey,pvalue")
        return {(int(r["pcv"]), int(r["ckey"])): int(r["pvalue"]) for r in rows}


def build_ptable(seed: str = PTABLE_SEED) -> dict[tuple[int, int], int]:
    """The ptable, made without any random generator: for each pcv from 1 to 750, the 256
    cell keys are put in the order of SHA-256 of (seed, pcv, cell key), and the noise values
    of ``NOISE`` are dealt out along that order (for pcv 3 and above: -2 to 16 keys, -1 to
    48, 0 to 128, +1 to 48, +2 to 16, so exactly zero mean, variance 0.875, half of all
    cells moved by 1 or 2). Keys whose noise is 0 are left out and read as 0
    (docs/reporting.md §3.3)."""
    table: dict[tuple[int, int], int] = {}
    for row in range(1, MAX_PCV + 1):
        order = sorted(range(CELL_KEYS), key=lambda ckey: _digest(seed, row, ckey))
        noise = [value for value, times in sorted(NOISE[min(row, 3)].items()) for _ in range(times)]
        table.update(
            {(row, ckey): value for ckey, value in zip(order, noise, strict=True) if value}
        )
    return table


def _digest(seed: str, row: int, ckey: int) -> bytes:
    return hashlib.sha256(f"{seed}:{row}:{ckey}".encode("ascii")).digest()


def write_ptable(path: Path = PTABLE) -> int:
    """Write ``build_ptable()`` to ``path`` as CSV (pcv, ckey, pvalue), sorted; the rows
    written."""
    table = build_ptable()
    with path.open("w", newline="", encoding="ascii") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["pcv", "ckey", "pvalue"])
        writer.writerows((row, ckey, value) for (row, ckey), value in sorted(table.items()))
    return len(table)


def share(part: Cell, whole: Cell) -> str | None:
    """``part`` as a whole percentage of ``whole``, from published cells only, halves
    upward, at most 100 (rounding or noise can lift a part above its whole); None, shown
    "–", when either is suppressed or the whole is 0 (docs/reporting.md §3.6)."""
    if part.value is None or whole.value is None or whole.value == 0:
        return None
    percent = (200 * part.value + whole.value) // (2 * whole.value)
    return f"{min(percent, 100)}%"


def rule_text(rule: Rule) -> LazyString:
    """The sentence printed under a table published with ``rule``, translated when shown
    (docs/reporting.md §3.7)."""
    check_rule(rule)
    values = {"k": rule.k, "base": rule.base, "marker": SUPPRESSED, "rows": 2 * rule.k}
    if rule.method == "round":
        return _l(
            'Counts under %(k)d are shown as "%(marker)s", and so is a row of fewer than '
            "%(rows)d people all in one column; other counts are rounded to the nearest "
            "%(base)d; totals are protected separately, so rows need not add up.",
            **values,
        )
    if rule.method == "cellkey":
        return _l(
            "Counts are changed slightly at random, the same way each time; then counts "
            'under %(k)d are shown as "%(marker)s", and so is a row of fewer than '
            "%(rows)d people all in one column; other counts are rounded to the nearest "
            "%(base)d; totals are protected separately, so rows need not add up.",
            **values,
        )
    return _l(
        "Counts are exact, except counts under %(k)d, rows of fewer than %(rows)d "
        "people all in one column, and the counts that would reveal them, which are "
        'shown as "%(marker)s"; totals include them.',
        **values,
    )


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m reporting.disclosure --write-ptable``: rewrite reporting/ptable.csv."""
    parser = argparse.ArgumentParser(
        prog="python -m reporting.disclosure",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument(
        "--write-ptable",
        action="store_true",
        required=True,
        help=f"write the cell-key perturbation table to {PTABLE}",
    )
    parser.parse_args(None if argv is None else list(argv))
    print(f"{write_ptable()} non-zero rows written to {PTABLE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def k_anonymous(
    rows: Sequence[Mapping[str, str]],
    quasi: Sequence[str],
    k: int,
) -> list[dict[str, str]]:
    """Row-level release (the CTDC contribution file): every combination of the
    quasi-identifiers ``quasi`` that appears in the result appears in at least ``k`` rows
    (docs/reporting.md §3). Rows in smaller groups lose their identifiers one at a time,
    in the order given (the value becomes empty, "no information"), and are grouped again;
    rows still in a group under ``k`` once every identifier is gone are left out."""
    check_rule(Rule("round", k=k))
    released = [dict(row) for row in rows]
    for depth in range(len(quasi) + 1):
        groups: dict[tuple[str, ...], list[int]] = {}
        for n, row in enumerate(released):
            groups.setdefault(tuple(row[q] for q in quasi), []).append(n)
        small = [n for members in groups.values() if len(members) < k for n in members]
        if not small:
            return released
        if depth == len(quasi):
            dropped = set(small)
            return [row for n, row in enumerate(released) if n not in dropped]
        for n in small:
            released[n][quasi[depth]] = ""
    return released
