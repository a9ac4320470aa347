"""The two shapes of a statistics table: a ``RawTable`` as counted in the database (exact
counts and cell keys, never shown to anyone) and a ``PublishedTable`` after disclosure
control (reporting.disclosure.publish), the only shape pages, CSV files, charts and the API
ever receive (docs/reporting.md §3)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

TOTAL = "*"  # a dimension value meaning "all values of this dimension"
SUPPRESSED = "<10"  # how a suppressed cell is shown, whatever the threshold


@dataclass(frozen=True)
class Count:
    """One exact cell: how many fact rows, and the sum of their record keys modulo 256 (the
    cell key of cell-key perturbation)."""

    n: int
    ckey: int = 0

    def __add__(self, other: Count) -> Count:
        return Count(self.n + other.n, (self.ckey + other.ckey) % 256)


@dataclass(frozen=True)
class RawTable:
    """Exact counts by dimension values (strings: months as ``YYYY-MM``); cells absent are
    zero. ``categories`` lists, per dimension, every value the table shows (so a zero row is
    shown as zero, and a category with a suppressed count still appears)."""

    dimensions: tuple[str, ...]
    cells: dict[tuple[str, ...], Count]
    categories: tuple[tuple[str, ...], ...] = ()

    def count(self, key: tuple[str, ...]) -> Count:
        """The count of a cell, or of a total when some values are ``TOTAL``."""
        if TOTAL not in key:
            return self.cells.get(key, Count(0))
        total = Count(0)
        for cell_key, count in self.cells.items():
            if all(want in (TOTAL, have) for want, have in zip(key, cell_key, strict=True)):
                total = total + count
        return total


@dataclass(frozen=True)
class Rule:
    """How a table was protected, printed under it: ``method`` is ``round`` (the 10-5 rule),
    ``cellkey`` (cell-key perturbation, then the 10-5 rule) or ``suppress`` (exact counts,
    small cells and their complements suppressed, audited); ``k`` the threshold (never
    below 10) and ``base`` the rounding base."""

    method: str
    k: int = 10
    base: int = 5


@dataclass(frozen=True)
class Cell:
    """A published count: ``value`` None means suppressed, shown as "<10"."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None

    @property
    def shown(self) -> str:
        return SUPPRESSED if self.value is None else str(self.value)

    def as_json(self) -> int | str:
        return SUPPRESSED if self.value is None else self.value


@dataclass(frozen=True)
class PublishedTable:
    """A table after disclosure control: one ``Cell`` per key (dimension values, ``TOTAL``
    in the totals), in display order, and the rule that made it."""

    dimensions: tuple[str, ...]
    cells: dict[tuple[str, ...], Cell]
    rule: Rule
    categories: tuple[tuple[str, ...], ...] = field(default=())

    def rows(self) -> list[tuple[tuple[str, ...], Cell]]:
        """Every cell that is not a total, in display order."""
        return [(key, cell) for key, cell in self.cells.items() if TOTAL not in key]

    def totals(self) -> list[tuple[tuple[str, ...], Cell]]:
        """Every published total (keys holding ``TOTAL``), grand total last."""
        return [(key, cell) for key, cell in self.cells.items() if TOTAL in key]


def ordered_by_name(
    table: PublishedTable, dimension: int, names: Mapping[str, str]
) -> PublishedTable:
    """``table`` with one dimension's values in the alphabetical order of the names a page
    shows for them (a country's name, not its code), case and accents aside; values without
    a name ("unknown") and the totals follow in their own order. Cells are untouched."""
    if len(table.categories) <= dimension:
        return table
    values = table.categories[dimension]
    named = sorted((v for v in values if v in names), key=lambda v: _sort_key(names[v]))
    rest = [v for v in values if v not in names]
    categories = list(table.categories)
    categories[dimension] = (*named, *rest)
    return replace(table, categories=tuple(categories))


def _sort_key(name: str) -> str:
    # "Égypte" sorts with the E's: drop the accents, then ignore case.
    letters = unicodedata.normalize("NFD", name)
    return "".join(c for c in letters if not unicodedata.combining(c)).casefold()
