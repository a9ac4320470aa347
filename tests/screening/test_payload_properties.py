"""The screening body parser over generated JSON (R26, R30, R57): whatever the body holds, it
either gives the start and the answers or refuses with its documented error, a PayloadError
(400) naming each wrong field; never another exception, which would be a 500. Answers that
are not the instrument's questions are refused by name."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from screening import interview, payload
from screening.instrument_files import load_catalogue
from tests.screening.payloads import body

CATALOGUE = load_catalogue()
# Any JSON value, as json.loads gives them (the API refuses lone surrogates before parsing).
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# Where a field sits in a valid body: the top level and the objects within it.
PATHS = st.sampled_from(
    [(name,) for name in body()]
    + [("subject", name) for name in body()["subject"]]
    + [("subject", "location", "country"), ("subject", "location", "region")]
    + [("consent", name) for name in body()["consent"]]
    + [("safety", name) for name in body()["safety"]]
    + [("answers", name) for name in body()["answers"]]
    + [("consent", "child"), ("red_flag_actions",), ("complete",), ("subject", "birth_date")]
)


def parse_or_refuse(data: Any) -> dict[str, str] | None:
    """None when ``data`` is taken; the fields and problems when it is refused."""
    try:
        payload.parse(data, CATALOGUE)
    except payload.PayloadError as error:
        return error.fields
    return None


def test_the_synthetic_body_is_taken() -> None:
    # The mutations below start from a body the parser takes.
    assert parse_or_refuse(body()) is None


@given(JSON)
def test_any_json_is_taken_or_refused_field_by_field(data: Any) -> None:
    problems = parse_or_refuse(data)
    assert problems is None or (problems and all(isinstance(p, str) for p in problems.values()))


@given(PATHS, JSON)
def test_any_value_anywhere_in_a_valid_body_is_taken_or_refused_by_name(
    path: tuple[str, ...], value: Any
) -> None:
    data = copy.deepcopy(body())
    parent = data
    for name in path[:-1]:
        parent = parent[name]
    parent[path[-1]] = value
    problems = parse_or_refuse(data)
    assert problems is None or problems


QUESTIONS = interview.keys(CATALOGUE["adult"])
NOT_QUESTIONS = st.text(max_size=20).filter(lambda key: key not in QUESTIONS)


@given(st.dictionaries(NOT_QUESTIONS, st.text(max_size=10), min_size=1, max_size=4))
def test_answers_to_questions_the_instrument_has_not_are_refused(extra: dict[str, str]) -> None:
    problems = parse_or_refuse(body(answers={**body()["answers"], **extra}))
    assert problems is not None
    for key in extra:
        assert problems[f"answers.{key}"] == "not a question of this instrument"
