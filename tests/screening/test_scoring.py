"""Scoring (docs/screening.md §2, §3, §5): every clause of the dimension rule,
the adult and child rules, every class, the lower and upper classes behind ``incomplete``,
the stronger of the labour and sexual lists, dimensions not assessed, near misses, smuggling
beside trafficking, urgency and routes; and two properties: adding a "yes" never lowers the
class, and a child never gets a lower class than an adult. A synthetic instrument keeps the
expectations independent of the shipped grades."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import rule
from screening.instrument_files import parse
from screening.instruments import Instrument
from screening.scoring import VALUES, score

TEXT = {"en": "q?", "fr": "q ?", "es": "¿q?"}
GRADE = {"strong": "S", "medium": "M", "weak": "W"}
DIMENSION_CODES = {
    "dr": "deceptive_recruitment",
    "cr": "coercive_recruitment",
    "rv": "recruitment_abuse_of_vulnerability",
    "ec": "exploitative_conditions",
    "cd": "coercion_at_destination",
    "vd": "abuse_of_vulnerability_at_destination",
}


def _item(
    id_: str, dimension: str, labour: str | None, sexual: str | None = None, **extra: Any
) -> dict[str, Any]:
    phase = (
        "journey"
        if dimension == "smuggling"
        else ("recruitment" if "recruitment" in dimension else "destination")
    )
    grades = {}
    if labour:
        grades["labour"] = {"grade": GRADE[labour], "verified": "secondary_only"}
    if sexual:
        grades["sexual"] = {"grade": GRADE[sexual], "verified": "provisional"}
    return {
        "id": id_,
        "dimension": dimension,
        "phase": phase,
        "grades": grades,
        "label": TEXT,
        "question": TEXT,
        **extra,
    }


# Per dimension: two strong, three medium, two weak, the same on both lists; then an item
# graded higher on the sexual list, one on the sexual list only, smuggling and a red flag.
ITEMS = [
    _item(f"{code}_{strength[0]}{n}", dimension, strength, strength)
    for code, dimension in DIMENSION_CODES.items()
    for strength, count in (("strong", 2), ("medium", 3), ("weak", 2))
    for n in range(1, count + 1)
] + [
    _item("ec_x1", "exploitative_conditions", "medium", "strong"),
    _item("sx_s1", "exploitative_conditions", None, "strong"),
    _item("sx_child_sexual", "exploitative_conditions", None, "strong"),
    _item("sm_paid_facilitator", "smuggling", None),
    _item("sm_debt", "smuggling", None),
    _item("sm_still_involved", "smuggling", None),
    _item("rf_danger", "immediate_danger", None, red_flag=True),
]


def instrument(population: str) -> Instrument:
    indicators = []
    for item in ITEMS:
        grades = {f"{population}_{name}": g for name, g in item["grades"].items()}
        indicators.append({**item, "grades": grades})
    gates = [
        {
            "id": f"g_{i['id']}",
            "block": "safety" if i.get("red_flag") else "work",
            "kind": "safety" if i.get("red_flag") else "strong",
            "members": [i["id"]],
            "question": TEXT,
        }
        for i in indicators
    ]
    return parse(
        {
            "id": f"test-{population}",
            "version": "9.9",
            "rules": "ilo-ec-2009",
            "title": TEXT,
            "population": population,
            "lists": {"labour": f"{population}_labour", "sexual": f"{population}_sexual"},
            "when": {"question": TEXT, "before": TEXT, "way": TEXT, "work": TEXT},
            "gates": gates,
            "indicators": indicators,
        },
        "test.json",
    )


ADULT = instrument("adult")
CHILD = instrument("child")
IDS = [i["id"] for i in ITEMS]


def yes(*ids: str, rest: str = "no", **values: str) -> dict[str, str]:
    """Every indicator ``rest``, the ones named "yes", and ``values`` as given."""
    answers = dict.fromkeys(IDS, rest)
    answers.update(dict.fromkeys(ids, "yes"))
    answers.update(values)
    return answers


R = ("dr_s1", "dr_m1")  # deceptive recruitment: strong and medium
E = ("ec_s1", "ec_s2")  # exploitative conditions: two strong
D = ("cd_m1", "cd_m2", "cd_m3")  # coercion at destination: three medium


# --- the combination rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "clause"),
    [
        ((0, 2, 0, 0), "two_strong"),
        ((0, 1, 1, 0), "strong_and_medium_or_weak"),
        ((0, 1, 0, 1), "strong_and_medium_or_weak"),
        ((0, 0, 3, 0), "three_medium"),
        ((0, 0, 2, 1), "two_medium_and_weak"),
        ((1, 0, 0, 0), "child_sexual_exploitation"),
        ((0, 1, 0, 0), None),  # one strong alone is not enough
        ((0, 0, 2, 0), None),
        ((0, 0, 1, 2), None),
        ((0, 0, 0, 5), None),  # weak indicators alone never are
        ((0, 0, 0, 0), None),
    ],
)
def test_dimension_clauses(counts: rule.Counts, clause: str | None) -> None:
    assert rule.clause_for(counts) == clause


@pytest.mark.parametrize(
    ("yes_", "open_", "weight", "pivotal"),
    [
        ((0, 1, 0, 0), (0, 0, 0, 0), "weak", True),  # one strong: any one more decides
        ((0, 0, 1, 0), (0, 0, 0, 0), "medium", False),  # one medium: a second is not enough
        ((0, 0, 1, 0), (0, 0, 1, 0), "medium", True),  # ... unless a third could still come
        ((0, 2, 0, 0), (0, 0, 0, 0), "strong", False),  # already positive
        ((0, 0, 0, 0), (0, 0, 0, 0), "weak", False),
        ((0, 0, 0, 0), (0, 0, 0, 0), None, False),  # not on the list
    ],
)
def test_pivotal(yes_: rule.Counts, open_: rule.Counts, weight: str | None, pivotal: bool) -> None:
    assert rule.pivotal(yes_, open_, weight) is pivotal


# --- classes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "classification"),
    [
        (yes(*R, *E, *D), "likely_trafficking"),
        (yes("rv_m1", "rv_m2", "rv_w1", "ec_s1", "ec_w1", "vd_s1", "vd_s2"), "likely_trafficking"),
        (yes(*R, *E), "possible_trafficking"),  # two elements, no destination
        (yes(*E, *D), "possible_trafficking"),  # no recruitment
        (yes(*R, *D), "possible_trafficking"),  # no exploitation
        (yes(*E), "indicators_present"),  # one element
        (yes("ec_s1"), "indicators_present"),
        (yes("dr_w1"), "indicators_present"),
        (yes("sm_paid_facilitator"), "smuggling_indicators"),
        (yes(), "no_indicators"),
    ],
)
def test_an_adult_is_likely_only_with_all_three_elements(
    answers: dict[str, str], classification: str
) -> None:
    assert score(ADULT, answers, False, False).classification == classification


@pytest.mark.parametrize(
    ("answers", "classification"),
    [
        (yes(*E), "likely_trafficking"),  # exploitative conditions alone
        (yes("cd_s1", "cd_s2"), "possible_trafficking"),
        (yes(*R), "possible_trafficking"),
        (yes("ec_s1"), "indicators_present"),
        (yes("sx_child_sexual"), "likely_trafficking"),
        (yes(), "no_indicators"),
    ],
)
def test_for_a_child_exploitative_conditions_alone_are_enough(
    answers: dict[str, str], classification: str
) -> None:
    assert score(CHILD, answers, True, True).classification == classification


def test_a_childs_sexual_exploitation_is_the_exploitation_element_by_itself() -> None:
    result = score(CHILD, yes("sx_child_sexual"), True, True)
    conditions = result.dimensions["exploitative_conditions"]
    assert (conditions.status, conditions.clause) == ("positive", "child_sexual_exploitation")
    assert conditions.counts == {"sufficient": 1, "strong": 0, "medium": 0, "weak": 0}
    assert result.elements == {
        "recruitment": "not_met",
        "exploitation": "met",
        "destination": "not_met",
    }
    assert result.act_established is False
    assert score(CHILD, yes("sx_child_sexual", "dr_w1"), True, True).act_established is True
    assert (
        score(ADULT, yes("sx_child_sexual"), False, True).classification == "indicators_present"
    )  # for an adult it is one strong sexual-list item


def test_dimensions_explain_what_fired_and_why() -> None:
    result = score(ADULT, yes(*R, *E, *D), False, False)
    assert result.dimensions["deceptive_recruitment"].clause == "strong_and_medium_or_weak"
    assert result.dimensions["deceptive_recruitment"].fired == ["dr_s1", "dr_m1"]
    assert result.dimensions["coercion_at_destination"].clause == "three_medium"
    assert result.dimensions["coercion_at_destination"].counts == {
        "sufficient": 0,
        "strong": 0,
        "medium": 3,
        "weak": 0,
    }
    assert result.dimensions["coercive_recruitment"].status == "negative"
    assert result.elements == {"recruitment": "met", "exploitation": "met", "destination": "met"}
    assert result.reasons == [
        "class.likely_trafficking",
        "population.adult",
        "list.adult_labour",
        "positive.deceptive_recruitment",
        "positive.exploitative_conditions",
        "positive.coercion_at_destination",
    ]


# --- the two lists -------------------------------------------------------------------------


def test_the_stronger_of_the_two_lists_is_reported_for_review() -> None:
    # ec_x1 is medium on the labour list, strong on the sexual one.
    answers = yes(*R, "ec_x1", "ec_m1", *D)
    labour_only = score(ADULT, answers, False, False)
    assert (labour_only.classification, labour_only.list) == (
        "possible_trafficking",
        "adult_labour",
    )
    assert labour_only.lists == {"adult_labour": "possible_trafficking"}
    assert labour_only.to_review == []
    both = score(ADULT, answers, False, True)
    assert (both.classification, both.list) == ("likely_trafficking", "adult_sexual")
    assert both.lists == {
        "adult_labour": "possible_trafficking",
        "adult_sexual": "likely_trafficking",
    }
    assert both.to_review == ["sexual_grades_provisional"]
    assert both.dimensions["exploitative_conditions"].clause == "strong_and_medium_or_weak"


def test_under_the_same_class_the_list_whose_yes_answers_establish_more_is_reported() -> None:
    # Both lists: possible. Labour: recruitment met, exploitation could be (ec_s2 open).
    # Sexual: sx_s1 and ec_w1 already meet exploitation, so two elements are met.
    answers = yes(*R, "sx_s1", "ec_w1", ec_s2="unknown", cd_s1="unknown", cd_s2="unknown")
    result = score(ADULT, answers, False, True)
    assert result.lists == {
        "adult_labour": "possible_trafficking",
        "adult_sexual": "possible_trafficking",
    }
    assert (result.classification, result.incomplete) == ("possible_trafficking", True)
    assert result.range == {"lower": "possible_trafficking", "upper": "likely_trafficking"}
    assert (result.list, result.to_review) == ("adult_sexual", ["sexual_grades_provisional"])
    assert result.elements == {
        "recruitment": "met",
        "exploitation": "met",
        "destination": "not_met",
    }


def test_on_a_tie_the_labour_list_is_reported() -> None:
    result = score(ADULT, yes(*R, *E, *D), False, True)
    assert result.lists == {
        "adult_labour": "likely_trafficking",
        "adult_sexual": "likely_trafficking",
    }
    assert (result.list, result.to_review) == ("adult_labour", [])


def test_sexual_only_items_count_only_when_the_sexual_list_applies() -> None:
    answers = yes(*R, "sx_s1", "ec_w1", *D)
    assert score(ADULT, answers, False, False).classification == "possible_trafficking"
    assert score(ADULT, answers, False, True).classification == "likely_trafficking"


# --- answer semantics, bounds and incompleteness ---------------------------------------------


def test_with_nothing_answered_the_range_spans_every_class() -> None:
    result = score(ADULT, {}, False, False)
    assert result.range == {"lower": "no_indicators", "upper": "likely_trafficking"}
    assert (result.classification, result.incomplete) == ("possible_trafficking", True)


@pytest.mark.parametrize("value", ["no", "no_by_gate", "not_needed"])
def test_derived_values_count_as_no_in_both_bounds(value: str) -> None:
    result = score(ADULT, yes(*R, *E, rest=value), False, False)
    assert result.range == {"lower": "possible_trafficking", "upper": "possible_trafficking"}
    assert not result.incomplete


@pytest.mark.parametrize("value", ["unknown", "declined"])
def test_unknown_and_declined_are_open(value: str) -> None:
    result = score(ADULT, yes(*R, *E, "cd_s1", cd_s2=value), False, False)
    assert result.range == {"lower": "possible_trafficking", "upper": "likely_trafficking"}
    assert (result.classification, result.incomplete) == ("possible_trafficking", True)
    assert result.dimensions["coercion_at_destination"].unanswered == ["cd_s2"]
    assert result.open_answers == ["cd_s2"]


def test_a_missing_value_is_unknown() -> None:
    answers = yes(*R, *E, "cd_s1")
    del answers["cd_s2"]
    assert score(ADULT, answers, False, False).open_answers == ["cd_s2"]


def test_open_answers_that_could_add_indicators_mark_it_incomplete() -> None:
    result = score(ADULT, yes(dr_w1="unknown"), False, False)
    assert result.range == {"lower": "no_indicators", "upper": "indicators_present"}
    assert (result.classification, result.incomplete) == ("no_indicators", True)


def test_open_answers_that_cannot_change_the_class_leave_it_complete() -> None:
    result = score(ADULT, yes(*R, *E, *D, sm_debt="unknown", vd_w1="declined"), False, False)
    assert (result.classification, result.incomplete) == ("likely_trafficking", False)


def test_dimensions_with_every_item_not_needed_are_not_assessed() -> None:
    answers = yes(*R, *E)
    for item in IDS:
        if item.startswith(("cd_", "vd_")):
            answers[item] = "not_needed"
    result = score(ADULT, answers, False, False)
    assert result.dimensions["coercion_at_destination"].status == "not_assessed"
    assert result.dimensions["abuse_of_vulnerability_at_destination"].status == "not_assessed"
    assert result.elements == {
        "recruitment": "met",
        "exploitation": "met",
        "destination": "not_assessed",
    }
    answers["vd_w1"] = "no"
    result = score(ADULT, answers, False, False)
    assert result.dimensions["abuse_of_vulnerability_at_destination"].status == "negative"
    assert result.elements["destination"] == "not_met"


@pytest.mark.parametrize(
    ("fired", "one_more"),
    [
        (("dr_s1",), ["strong", "medium", "weak"]),  # one strong: one more of any grade
        (("dr_m1", "dr_m2"), ["strong", "medium", "weak"]),
        (("dr_m1",), ["strong"]),
        (("dr_w1",), ["strong"]),
        (("dr_m1", "dr_w1"), ["strong", "medium"]),
        (("dr_w1", "dr_w2"), ["strong"]),
        ((), []),  # nothing yet: no near miss
        (("dr_s1", "dr_s2"), []),  # already met
    ],
)
def test_near_misses_name_the_grades_one_more_yes_of_which_meets_the_dimension(
    fired: tuple[str, ...], one_more: list[str]
) -> None:
    result = score(ADULT, yes(*fired), False, False)
    assert result.dimensions["deceptive_recruitment"].one_more == one_more


# --- smuggling, urgency, routes ------------------------------------------------------------


def test_smuggling_is_reported_beside_trafficking() -> None:
    result = score(ADULT, yes(*R, *E, *D, "sm_paid_facilitator", "sm_debt"), False, False)
    assert result.classification == "likely_trafficking"
    assert result.smuggling
    assert result.smuggling_indicators == ["sm_paid_facilitator", "sm_debt"]


def test_smuggling_needs_a_paid_facilitator() -> None:
    result = score(ADULT, yes("sm_debt"), False, False)
    assert (result.smuggling, result.classification) == (False, "no_indicators")
    assert result.smuggling_indicators == ["sm_debt"]
    result = score(ADULT, yes(sm_paid_facilitator="unknown"), False, False)
    assert result.range == {"lower": "no_indicators", "upper": "smuggling_indicators"}
    assert result.open_answers == ["sm_paid_facilitator"]


def test_organisers_still_involved_flag_a_risk_of_exploitation() -> None:
    result = score(ADULT, yes("sm_paid_facilitator", "sm_still_involved"), False, False)
    assert (result.classification, result.smuggling_exploitation_risk) == (
        "smuggling_indicators",
        True,
    )
    assert not score(ADULT, yes("sm_paid_facilitator"), False, False).smuggling_exploitation_risk


@pytest.mark.parametrize(
    ("answers", "child", "urgent", "route"),
    [
        (yes("rf_danger"), False, True, "emergency"),
        (yes("sm_debt"), True, True, "child_protection"),  # any child with any indicator
        (yes("dr_w1"), True, True, "child_protection"),
        (yes(), True, False, "none"),
        (yes(*R, *E, *D), False, False, "specialised_assistance"),
        (yes(*R, *E), False, False, "specialised_assistance"),
        (yes("ec_s1"), False, False, "follow_up"),
        (yes("sm_paid_facilitator"), False, False, "migrant_protection"),
        (yes("rf_danger", "ec_s1"), True, True, "child_protection"),
        (yes(), False, False, "none"),
    ],
)
def test_urgency_and_route(answers: dict[str, str], child: bool, urgent: bool, route: str) -> None:
    result = score(CHILD if child else ADULT, answers, child, False)
    assert (result.urgent, result.route) == (urgent, route)


def test_red_flags_are_listed_with_those_raised_outside_the_questions() -> None:
    assert score(ADULT, yes("rf_danger"), False, False).red_flags == ["rf_danger"]
    result = score(ADULT, yes(), False, False, extra_red_flags=("rf_interpreter_linked",))
    assert result.red_flags == ["rf_interpreter_linked"]
    assert (result.urgent, result.route) == (True, "emergency")


def test_result_records_versions_sources_and_the_hand_over() -> None:
    result = score(
        CHILD, yes(), True, False, derived={"dr_s1": "handover"}, lower_bound=True
    ).as_dict()
    assert (result["instrument"], result["instrument_version"]) == ("test-child", "9.9")
    assert result["rules"] == "passage-scoring/2+ilo-ec-2009"
    assert (result["derived"], result["lower_bound"], result["child"]) == (
        {"dr_s1": "handover"},
        True,
        True,
    )
    assert score(ADULT, yes(), False, False).act_established is None


def test_same_input_gives_same_result() -> None:
    answers = yes("dr_s1", "ec_s1", "ec_m1", "sm_debt", cd_s1="unknown")
    assert score(ADULT, answers, False, True) == score(ADULT, answers, False, True)


ANSWER = st.sampled_from(VALUES)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(IDS), ANSWER),
    st.sampled_from(IDS),
    st.booleans(),
    st.booleans(),
)
def test_adding_a_yes_never_lowers_the_class(
    answers: dict[str, str], flipped: str, child: bool, sexual: bool
) -> None:
    instrument = CHILD if child else ADULT
    before = score(instrument, answers, child, sexual)
    after = score(instrument, {**answers, flipped: "yes"}, child, sexual)
    assert rule.RANK[after.classification] >= rule.RANK[before.classification]
    assert rule.RANK[after.range["lower"]] >= rule.RANK[before.range["lower"]]
    assert after.urgent >= before.urgent


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(IDS), ANSWER), st.booleans())
def test_children_never_get_a_lower_class_than_adults(
    answers: dict[str, str], sexual: bool
) -> None:
    assert (
        rule.RANK[score(ADULT, answers, True, sexual).classification]
        >= rule.RANK[score(ADULT, answers, False, sexual).classification]
    )
