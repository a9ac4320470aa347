"""The person's identity index over generated names and years (R39, R57): the same person
typed another way (case, spaces, Unicode composition, a birth date or an age) gets the same
index; another name or year gets another; a person without a family name or a year gets none."""

from __future__ import annotations

import unicodedata
from datetime import date

from flask import Flask
from hypothesis import assume, given
from hypothesis import strategies as st

from core import crypto
from screening import people

TODAY = date(2026, 3, 2)
NAMES = st.text(st.characters(categories=("L", "M", "Zs", "Pd")), min_size=1, max_size=20)
FAMILY_NAMES = NAMES.filter(lambda name: crypto.normalise(name) != "")
YEARS = st.integers(min_value=1906, max_value=2026)


def retyped(name: str) -> str:
    # What another screener may type for the same name: other case, NFD, spaces around.
    return " " + unicodedata.normalize("NFD", name.swapcase()).replace(" ", "  ") + "\t"


def test_the_same_person_however_typed_has_one_index(app: Flask) -> None:
    # The app is set up once, for its index key; the examples run inside its context.
    @given(NAMES, FAMILY_NAMES, YEARS)
    def check(given_name: str, family_name: str, year: int) -> None:
        written = people.Identity(given_name, family_name, birth_date=date(year, 6, 30))
        typed = people.Identity(retyped(given_name), retyped(family_name), age=TODAY.year - year)
        index = people.identity_index(written, TODAY)
        assert index is not None
        assert len(index) == 16
        assert people.identity_index(typed, TODAY) == index

    with app.app_context():
        check()


def test_another_name_or_year_has_another_index(app: Flask) -> None:
    @given(NAMES, FAMILY_NAMES, YEARS, NAMES, FAMILY_NAMES, YEARS)
    def check(
        given_name: str, family: str, year: int, other: str, other_family: str, other_year: int
    ) -> None:
        first = (crypto.normalise(given_name), crypto.normalise(family), year)
        second = (crypto.normalise(other), crypto.normalise(other_family), other_year)
        assume(first != second)
        assert people.identity_index(
            people.Identity(given_name, family, age=TODAY.year - year), TODAY
        ) != people.identity_index(
            people.Identity(other, other_family, age=TODAY.year - other_year), TODAY
        )

    with app.app_context():
        check()


def test_without_a_family_name_or_a_year_there_is_no_index(app: Flask) -> None:
    @given(NAMES, st.none() | st.text(st.sampled_from(" \t\u00a0\u3000"), max_size=3), YEARS)
    def check(given_name: str, family_name: str | None, year: int) -> None:
        assert (
            people.identity_index(
                people.Identity(given_name, family_name, age=TODAY.year - year), TODAY
            )
            is None
        )
        assert people.identity_index(people.Identity(given_name, "Canaryfamily"), TODAY) is None

    with app.app_context():
        check()
