"""CSV cells a spreadsheet will not run as a formula (R31)."""

from __future__ import annotations

import pytest

from core.csvcells import safe_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
    ],
)
def test_every_formula_start_is_kept_as_text(value: str, cell: str) -> None:
    assert safe_cell(value) == cell
