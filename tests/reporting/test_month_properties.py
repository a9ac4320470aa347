"""The report month check, over generated text (R30, R57): it takes every month from 2000-01
to 2999-12 written as YYYY-MM, and nothing else, whatever digits, signs or spaces surround or
replace its parts."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from reporting.forms import is_month

MONTHS = st.tuples(st.integers(2000, 2999), st.integers(1, 12)).map(lambda m: f"{m[0]}-{m[1]:02d}")
# Near misses: a real month with one character inserted, replaced or removed, so that the
# generated text is often one edit away from an accepted one.
EDITS = st.tuples(
    MONTHS,
    st.integers(0, 7),
    st.sampled_from(["insert", "replace", "remove"]),
    st.sampled_from(list("0189-+ /\n٣０") + ["\u00a0"]),
)


def edited(case: tuple[str, int, str, str]) -> str:
    month, at, how, character = case
    if how == "insert":
        return month[:at] + character + month[at:]
    if how == "replace":
        return month[:at] + character + month[at + 1 :]
    return month[:at] + month[at + 1 :]


@given(MONTHS)
def test_every_month_of_the_range_is_taken(text: str) -> None:
    assert is_month(text)


@given(st.one_of(st.text(max_size=12), EDITS.map(edited)))
@example("1999-12")
@example("3000-01")
@example("2026-00")
@example("2026-13")
@example("２０２６-01")  # fullwidth digits
@example("٢٠٢٦-01")  # Arabic-Indic digits
def test_anything_taken_is_a_month_of_the_range_written_as_yyyy_mm(text: str) -> None:
    if is_month(text):
        year, month = int(text[:4]), int(text[5:])
        assert 2000 <= year <= 2999
        assert 1 <= month <= 12
        assert text == f"{year:04d}-{month:02d}"
