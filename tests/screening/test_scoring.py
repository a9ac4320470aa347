"""Scoring (SCREENING.md): every clause of the dimension rule, the adult and child rules, every
class, incompleteness, smuggling beside trafficking, urgency, routes, and a property: adding a
"yes" never lowers the class."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.instruments import parse
from screening.scoring import CLASSES, clause_for, score


def _indicator(id_: str, dimension: str, strength: str, **extra: Any) -> dict[str, Any]:
    phase = "journey" if dimension == "smuggling" else (
        "recruitment" if "recruitment" in dimension else "destination")
    return {"id": id_, "dimension": dimension, "strength": strength, "population": "any",
            "exploitation": extra.pop("exploitation", "any"), "phase": phase,
            "question": {"en": id_, "fr": id_, "es": id_}, **extra}


DIMENSION_CODES = {"dr": "deceptive_recruitment", "cr": "coercive_recruitment",
                   "rv": "recruitment_abuse_of_vulnerability", "ec": "exploitative_conditions",
                   "cd": "coercion_at_destination", "vd": "abuse_of_vulnerability_at_destination"}
INDICATORS = [
    _indicator(f"{code}_{strength[0]}{n}", dimension, strength)
    for code, dimension in DIMENSION_CODES.items()
    for strength, count in (("strong", 2), ("medium", 3), ("weak", 2))
    for n in range(1, count + 1)
] + [
    _indicator("sm_fee", "smuggling", "medium"),
    _indicator("sm_debt", "smuggling", "medium"),
    _indicator("rf_danger", "immediate_danger", "strong", red_flag=True),
    _indicator("ec_sexual_s1", "exploitative_conditions", "strong", exploitation="sexual"),
]


def instrument(population: str = "adult") -> Any:
    return parse({"id": f"test-{population}", "version": "9.9", "rules": "ilo-ec-2009",
                  "title": {"en": "t", "fr": "t", "es": "t"}, "population": population,
                  "indicators": INDICATORS}, "test.json")


ADULT = instrument("adult")


def yes(*ids: str) -> dict[str, str]:
    answers = {i.id: "no" for i in ADULT.indicators}
    answers.update(dict.fromkeys(ids, "yes"))
    return answers


@pytest.mark.parametrize(("strong", "medium", "weak", "clause"), [
    (2, 0, 0, "two_strong"),
    (1, 1, 0, "strong_and_medium_or_weak"),
    (1, 0, 1, "strong_and_medium_or_weak"),
    (0, 3, 0, "three_medium"),
    (0, 2, 1, "two_medium_and_weak"),
    (1, 0, 0, None),        # one strong alone is not enough
    (0, 2, 0, None),
    (0, 1, 2, None),
    (0, 0, 2, None),        # weak indicators alone never are
    (0, 0, 0, None),
])
def test_dimension_clauses(strong: int, medium: int, weak: int, clause: str | None) -> None:
    assert clause_for(strong, medium, weak) == clause


ALL_THREE = ("dr_s1", "dr_m1", "ec_s1", "ec_s2", "cd_m1", "cd_m2", "cd_m3")


@pytest.mark.parametrize(("answers", "age", "classification"), [
    (yes(*ALL_THREE), 30, "likely_trafficking"),
    (yes("rv_m1", "rv_m2", "rv_w1", "ec_s1", "ec_w1", "vd_s1", "vd_s2"), 30,
     "likely_trafficking"),
    (yes("dr_s1", "dr_m1", "ec_s1", "ec_s2"), 30, "possible_trafficking"),  # two elements
    (yes("ec_s1", "ec_s2", "cd_m1", "cd_m2", "cd_m3"), 30, "possible_trafficking"),
    (yes("ec_s1", "ec_s2"), 30, "indicators_present"),       # one element, adult
    (yes("ec_s1", "ec_s2"), 16, "likely_trafficking"),       # child: conditions suffice
    (yes("ec_s1", "ec_s2"), None, "likely_trafficking"),     # unknown age: presumed minor
    (yes("cd_s1", "cd_s2"), 15, "possible_trafficking"),     # child: a destination dimension
    (yes("dr_s1", "dr_m1"), 15, "possible_trafficking"),     # child: a recruitment dimension
    (yes("ec_s1"), 30, "indicators_present"),
    (yes("dr_w1"), 30, "indicators_present"),
    (yes("sm_fee"), 30, "smuggling_indicators"),
    (yes(), 30, "no_indicators"),
])
def test_classes(answers: dict[str, str], age: int | None, classification: str) -> None:
    assert score(ADULT, answers, age).classification == classification


def test_dimensions_explain_what_fired_and_why() -> None:
    result = score(ADULT, yes(*ALL_THREE), 30)
    assert result.dimensions["deceptive_recruitment"].clause == "strong_and_medium_or_weak"
    assert result.dimensions["deceptive_recruitment"].fired == ["dr_s1", "dr_m1"]
    assert result.dimensions["coercion_at_destination"].clause == "three_medium"
    assert result.dimensions["coercive_recruitment"].status == "negative"
    assert result.elements == {"recruitment": True, "exploitation": True, "destination": True}
    assert "positive.exploitative_conditions" in result.reasons


def test_unknown_answers_that_could_make_it_likely_give_possible_and_incomplete() -> None:
    answers = yes("dr_s1", "dr_m1", "ec_s1", "ec_s2", "cd_s1")
    answers["cd_s2"] = "unknown"
    result = score(ADULT, answers, 30)
    assert (result.classification, result.incomplete) == ("possible_trafficking", True)
    assert result.dimensions["coercion_at_destination"].unanswered == ["cd_s2"]


def test_declined_answers_count_like_unknown() -> None:
    answers = yes("ec_s1")
    answers["ec_s2"] = "declined"
    result = score(ADULT, answers, 16)
    assert (result.classification, result.incomplete) == ("possible_trafficking", True)


def test_unknowns_that_cannot_change_the_class_leave_it_complete() -> None:
    answers = yes(*ALL_THREE)
    answers["sm_debt"] = "unknown"
    result = score(ADULT, answers, 30)
    assert (result.classification, result.incomplete) == ("likely_trafficking", False)


def test_unknowns_that_could_add_indicators_mark_it_incomplete() -> None:
    answers = yes()
    answers["dr_w1"] = "unknown"
    result = score(ADULT, answers, 30)
    assert (result.classification, result.incomplete) == ("no_indicators", True)


def test_unanswered_questions_count_as_unknown() -> None:
    result = score(ADULT, {"ec_s1": "yes"}, 16)
    assert result.incomplete


def test_smuggling_is_reported_beside_trafficking() -> None:
    result = score(ADULT, yes(*ALL_THREE, "sm_fee"), 30)
    assert result.classification == "likely_trafficking"
    assert result.smuggling
    assert result.smuggling_indicators == ["sm_fee"]


@pytest.mark.parametrize(("answers", "age", "urgent", "route"), [
    (yes("rf_danger"), 30, True, "emergency"),
    (yes("sm_fee"), 16, True, "child_protection"),         # any child with any indicator
    (yes("dr_w1"), None, True, "child_protection"),
    (yes(), 16, False, "none"),
    (yes(*ALL_THREE), 30, False, "specialised_assistance"),
    (yes("ec_s1"), 30, False, "follow_up"),
    (yes("sm_fee"), 30, False, "migrant_protection"),
    (yes("rf_danger", "ec_s1"), 12, True, "child_protection"),
])
def test_urgency_and_route(answers: dict[str, str], age: int | None, urgent: bool,
                           route: str) -> None:
    result = score(ADULT, answers, age)
    assert (result.urgent, result.route) == (urgent, route)


def test_red_flags_are_listed() -> None:
    assert score(ADULT, yes("rf_danger"), 30).red_flags == ["rf_danger"]


def test_skip_logic_ignores_questions_of_another_exploitation_type() -> None:
    answers = yes("ec_sexual_s1", "ec_s1")
    assert score(ADULT, answers, 16, exploitation="labour").classification == \
        "indicators_present"
    assert score(ADULT, answers, 16, exploitation="sexual").classification == \
        "likely_trafficking"


def test_result_records_versions_for_reproduction() -> None:
    result = score(ADULT, yes(), 30).as_dict()
    assert (result["instrument"], result["instrument_version"]) == ("test-adult", "9.9")
    assert result["rules"] == "passage-scoring/1+ilo-ec-2009"


def test_same_input_gives_same_result() -> None:
    answers = yes("dr_s1", "ec_s1", "ec_m1", "sm_debt")
    assert score(ADULT, answers, 30) == score(ADULT, answers, 30)


RANK = {name: len(CLASSES) - n for n, name in enumerate(CLASSES)}
ANSWER = st.sampled_from(["yes", "no", "unknown", "declined"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([i.id for i in ADULT.indicators]), ANSWER),
       st.sampled_from([i.id for i in ADULT.indicators]),
       st.one_of(st.none(), st.integers(min_value=5, max_value=80)))
def test_adding_a_yes_never_lowers_the_class(answers: dict[str, str], flipped: str,
                                             age: int | None) -> None:
    before = score(ADULT, answers, age)
    after = score(ADULT, {**answers, flipped: "yes"}, age)
    assert RANK[after.classification] >= RANK[before.classification]
    assert after.urgent >= before.urgent


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([i.id for i in ADULT.indicators]), ANSWER))
def test_children_never_get_a_lower_class_than_adults(answers: dict[str, str]) -> None:
    assert RANK[score(ADULT, answers, 12).classification] >= \
        RANK[score(ADULT, answers, 40).classification]
