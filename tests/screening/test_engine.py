"""The adaptive interview (docs/screening.md §3–5), through the engine's public
functions only.

Properties, over synthetic respondents consistent with the umbrellas (screening.simulation):
the adaptive interview gives the same classification, incompleteness, urgency, route and
smuggling flag as asking every question one by one; and a wrong "no" to one umbrella can only
make the result less severe, never more. Then examples with literal expectations, worked out
by hand from the catalogue and the rule of docs/screening.md §2.1, never computed by the code
under test.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import rule, scoring, simulation
from screening.derivation import Population, derive, gate_key
from screening.engine import DONE, Step, fill_group, next_question, valid_answer
from screening.instrument_files import load_catalogue
from screening.instruments import Instrument

CATALOGUE = load_catalogue()
ADULT = CATALOGUE["adult"]
CHILD = CATALOGUE["child"]
INSTRUMENTS = {"adult": ADULT, "child": CHILD}
UMBRELLAS = {
    name: [g.id for g in instrument.gates if g.kind == "umbrella"]
    for name, instrument in INSTRUMENTS.items()
}
# What the interview asks when nobody says otherwise: "no", except the safety question whose
# safe answer is "yes" (a5: "Tonight, do you have a safe place to sleep?").
SAFE = {"a5": "yes"}


def outcome(result: scoring.Result) -> tuple[str, bool, bool, str, bool]:
    """The five outputs the adaptive interview must not change (§3)."""
    return (result.classification, result.incomplete, result.urgent, result.route, result.smuggling)


def result_of(
    instrument: Instrument, answers: Mapping[str, str], population: Population
) -> scoring.Result:
    derived = derive(instrument, answers, population)
    return scoring.score(
        instrument,
        derived.values,
        population.child,
        derived.sexual,
        lower_bound=derived.handed_over,
        unplaced_yes=bool(derived.unplaced),
    )


def interview(
    instrument: Instrument, answers: Mapping[str, str], population: Population, default: str = "no"
) -> tuple[dict[str, str], list[Step]]:
    """Run the interview answering from ``answers`` by key, ``default`` otherwise; the
    answers stored and every step asked, pauses included."""
    given_: dict[str, str] = {}
    steps: list[Step] = []
    while (step := next_question(instrument, given_, population)) != DONE:
        steps.append(step)
        assert len(steps) < 200, "the interview does not end"
        if step.kind == "list":
            given_.update({m: answers.get(m, default) for m in step.members})
            continue
        value = answers.get(step.key, SAFE.get(step.key, default))
        assert valid_answer(step.key, value), (step.key, value)
        given_[step.key] = value
    return given_, steps


def keys(steps: list[Step]) -> list[str]:
    return [s.key for s in steps]


# --- (1) equivalence ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    profile=st.sampled_from(sorted(simulation.PROFILES)),
    crossed=st.booleans(),
    sexual=st.booleans(),
    child=st.booleans(),
    mode=st.sampled_from(["list", "one_by_one"]),
)
def test_the_adaptive_interview_gives_the_result_of_the_full_questionnaire(
    seed: int, profile: str, crossed: bool, sexual: bool, child: bool, mode: str
) -> None:
    instrument = CHILD if child else ADULT
    population = Population(child=child, mode=mode)
    person = simulation.respondent(
        instrument,
        random.Random(seed),
        simulation.PROFILES[profile],
        crossed=crossed,
        sexual=sexual,
    )
    answers, _ = simulation.interview(instrument, person, population)
    adaptive = result_of(instrument, answers, population)
    full = result_of(instrument, person.full(), population)
    assert outcome(adaptive) == outcome(full)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    profile=st.sampled_from(sorted(simulation.PROFILES)),
    child=st.booleans(),
    cut=st.integers(min_value=0, max_value=60),
)
def test_settling_from_the_derivation_so_far_equals_deriving_afresh(
    seed: int, profile: str, child: bool, cut: int
) -> None:
    # A submission derives its answers twice, for the red flags and for the score: the
    # second starts from the first (screening.interview.derived), which must not change it.
    instrument = CHILD if child else ADULT
    population = Population(child=child)
    person = simulation.respondent(instrument, random.Random(seed), simulation.PROFILES[profile])
    answers, _ = simulation.interview(instrument, person, population)
    given_ = dict(list(answers.items())[:cut])  # an interview stopped part of the way, too
    so_far = derive(instrument, given_, population, final=False)
    before = (dict(so_far.values), dict(so_far.sources))
    resumed = derive(instrument, given_, population, final=True, so_far=so_far)
    assert resumed == derive(instrument, given_, population, final=True)
    assert (so_far.values, so_far.sources) == before  # the first is left as it was


# --- (2) a wrong "no" to one umbrella -----------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    profile=st.sampled_from(sorted(simulation.PROFILES)),
    crossed=st.booleans(),
    sexual=st.booleans(),
    child=st.booleans(),
    mode=st.sampled_from(["list", "one_by_one"]),
)
def test_a_wrong_no_to_an_umbrella_never_makes_the_result_more_severe(
    data: st.DataObject,
    seed: int,
    profile: str,
    crossed: bool,
    sexual: bool,
    child: bool,
    mode: str,
) -> None:
    name = "child" if child else "adult"
    instrument = INSTRUMENTS[name]
    population = Population(child=child, mode=mode)
    gate = data.draw(st.sampled_from(UMBRELLAS[name]), label="forced_no")
    person = simulation.respondent(
        instrument,
        random.Random(seed),
        simulation.PROFILES[profile],
        crossed=crossed,
        sexual=sexual,
        forced_no=gate,
    )
    answers, _ = simulation.interview(instrument, person, population)
    adaptive = result_of(instrument, answers, population)
    full = result_of(instrument, person.full(), population)
    assert rule.RANK[adaptive.classification] <= rule.RANK[full.classification]
    assert full.urgent or not adaptive.urgent
    for bound in ("lower", "upper"):
        assert rule.RANK[adaptive.range[bound]] <= rule.RANK[full.range[bound]]


class HandsOver(simulation.Respondent):
    """A respondent whose interview ends when child protection takes over."""

    def answer(self, step: Step) -> str:
        return "done" if step.kind == "handover" else super().answer(step)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    profile=st.sampled_from(sorted(simulation.PROFILES)),
    crossed=st.booleans(),
)
def test_a_child_handed_over_gets_a_lower_bound_of_the_full_result(
    seed: int, profile: str, crossed: bool
) -> None:
    population = Population(child=True)
    person = simulation.respondent(
        CHILD, random.Random(seed), simulation.PROFILES[profile], crossed=crossed
    )
    answers, _ = simulation.interview(CHILD, HandsOver(person.items, person.gates), population)
    adaptive = result_of(CHILD, answers, population)
    full = result_of(CHILD, person.full(), population)
    assert adaptive.lower_bound is (answers.get("handover") == "done")
    assert rule.RANK[adaptive.classification] <= rule.RANK[full.classification]
    assert (adaptive.urgent, adaptive.route) == (full.urgent, full.route)


def test_every_umbrella_of_both_instruments_is_tried_by_the_property() -> None:
    assert UMBRELLAS == {
        "adult": ["b2", "b3", "c5", "c6", "c7", "c8", "d2", "d4", "d5", "e2", "f2"],
        "child": ["b2", "b3", "c6", "c7", "c8", "d2", "d4", "e2"],
    }


# --- (3) examples -------------------------------------------------------------------------


def test_with_no_answer_the_result_spans_every_class_and_is_incomplete() -> None:
    result = result_of(ADULT, {}, Population(child=False))
    assert result.range == {"lower": "no_indicators", "upper": "likely_trafficking"}
    assert result.classification == "possible_trafficking"
    assert result.incomplete


# Counted by hand from adult.json: six safety gates (a1–a6), the work block (b1–b3), the
# control block (c1–c8), how it started (d1–d5), the border filter e0, the sexual filter f1
# and g2; g1 is asked only when a control or journey answer is not "no", and the journey
# gates e1–e4 only after a border.
EVERY_GATE_NO_ADULT = [
    "rf_in_danger_now",
    "rf_controller_nearby",
    "rf_cannot_leave",
    "rf_injury_illness",
    "a5",
    "rf_detention_or_removal",
    "ec_excessive_hours",
    "b2",
    "b3",
    "documents",
    "debt",
    "confinement",
    "violence",
    "c5",
    "c6",
    "c7",
    "c8",
    "dr_job_nature",
    "d2",
    "cr_abduction_sale",
    "d4",
    "d5",
    "e0",
    "f1",
    "rf_self_harm",
]


def test_every_gate_answered_no_asks_only_the_gates_and_finds_nothing() -> None:
    population = Population(child=False)
    answers, steps = interview(ADULT, {}, population)
    assert keys(steps) == EVERY_GATE_NO_ADULT
    assert len(steps) == 25
    assert {s.kind for s in steps} == {"gate"}
    result = result_of(ADULT, answers, population)
    assert result.classification == "no_indicators"
    assert not result.incomplete
    assert not result.urgent
    assert result.route == "none"


def test_a_border_adds_the_four_journey_gates() -> None:
    _, steps = interview(ADULT, {"e0": "yes"}, Population(child=False))
    assert keys(steps)[22:27] == [
        "e0",
        "sm_paid_facilitator",
        "e2",
        "sm_ransom",
        "sm_still_involved",
    ]
    assert len(steps) == 29


def test_a_sexual_filter_not_answered_no_opens_its_group_while_it_can_matter() -> None:
    _, steps = interview(ADULT, {"f1": "unknown"}, Population(child=False))
    assert keys(steps)[23:] == ["f1", "f2", "rf_self_harm"]


SMUGGLED_STILL_OWING = {
    "e0": "yes",
    "sm_paid_facilitator": "yes",
    "documents": "yes",
    "documents_when": "way",
    "debt": "yes",
    "debt_when": "way",
    "sm_still_involved": "yes",
}


def test_smuggled_and_still_owing_the_smugglers_is_reported_beside_the_indicators() -> None:
    population = Population(child=False)
    answers, _ = interview(ADULT, SMUGGLED_STILL_OWING, population)
    result = result_of(ADULT, answers, population)
    assert result.smuggling
    assert result.smuggling_exploitation_risk
    assert result.smuggling_indicators == [
        "sm_documents_held",
        "sm_debt_smugglers",
        "sm_paid_facilitator",
        "sm_still_involved",
    ]
    # Documents and debt on the way are also two medium coercive-recruitment indicators:
    # trafficking indicators fired, so the class is not "smuggling_indicators".
    assert result.dimensions["coercive_recruitment"].fired == ["cr_documents", "cr_debt"]
    assert result.dimensions["coercive_recruitment"].status == "negative"
    assert result.classification == "indicators_present"
    assert not result.incomplete
    assert result.route == "follow_up"


def test_smuggling_alone_is_smuggling_indicators() -> None:
    population = Population(child=False)
    answers, _ = interview(ADULT, {"e0": "yes", "sm_paid_facilitator": "yes"}, population)
    result = result_of(ADULT, answers, population)
    assert (result.classification, result.smuggling, result.route) == (
        "smuggling_indicators",
        True,
        "migrant_protection",
    )
    assert not result.smuggling_exploitation_risk


def test_journey_hardships_without_a_paid_facilitator_are_not_smuggling() -> None:
    population = Population(child=False)
    answers, _ = interview(
        ADULT,
        {"e0": "yes", "e2": "yes", "sm_dangerous_journey": "yes", "sm_ransom": "yes"},
        population,
    )
    result = result_of(ADULT, answers, population)
    assert result.smuggling is False
    assert result.smuggling_indicators == ["sm_dangerous_journey", "sm_ransom"]
    assert result.classification == "no_indicators"


HELD_AT_WORK = {
    "documents": "yes",
    "documents_when": "work",
    "debt": "yes",
    "debt_when": "work",
    "confinement": "yes",
    "confinement_when": "work",
    "violence": "yes",
    "violence_when": "work",
}
HELD_AT_WORK_ITEMS = ["cd_documents", "cd_debt", "cd_isolation", "cd_violence"]


def test_passport_debt_confinement_and_violence_at_work_meet_coercion_at_destination() -> None:
    population = Population(child=False)
    answers, steps = interview(ADULT, HELD_AT_WORK, population)
    result = result_of(ADULT, answers, population)
    coercion = result.dimensions["coercion_at_destination"]
    assert coercion.status == "positive"
    assert coercion.clause == "two_strong"
    assert coercion.fired == HELD_AT_WORK_ITEMS
    assert coercion.counts == {"sufficient": 0, "strong": 4, "medium": 0, "weak": 0}
    assert result.elements["destination"] == "met"
    # The concepts filled the recruitment-phase indicators as no, not as yes.
    assert result.dimensions["coercive_recruitment"].fired == []
    # Once destination is met, its remaining umbrellas cannot change the result.
    assert "c6" not in keys(steps)
    assert "c7" not in keys(steps)
    derived = derive(ADULT, answers, population)
    assert (derived.values["cd_influence"], derived.sources["cd_influence"]) == (
        "not_needed",
        "rule:a",
    )
    # One element for an adult: indicators, not more.
    assert result.classification == "indicators_present"


def test_the_sexual_filter_does_not_count_the_same_answers_twice() -> None:
    population = Population(child=False)
    without, _ = interview(ADULT, {**HELD_AT_WORK, "f1": "no"}, population)
    with_, steps = interview(ADULT, {**HELD_AT_WORK, "f1": "yes"}, population)
    # Every recruitment answer was "no" and the work block too: the sexual-only items of f2
    # (each medium) can no longer meet a dimension, so f2 is not asked.
    assert "f2" not in keys(steps)
    derived = derive(ADULT, with_, population)
    assert derived.sexual
    assert (derived.values["sx_unsafe_sex"], derived.sources["sx_unsafe_sex"]) == (
        "not_needed",
        "rule:c",
    )
    plain = result_of(ADULT, without, population)
    sexual = result_of(ADULT, with_, population)
    assert plain.lists == {"adult_labour": "indicators_present"}
    assert sexual.lists == {
        "adult_labour": "indicators_present",
        "adult_sexual": "indicators_present",
    }
    assert sexual.classification == plain.classification == "indicators_present"
    assert sexual.dimensions["coercion_at_destination"].counts["strong"] == 4
    assert sexual.dimensions["coercion_at_destination"].fired == HELD_AT_WORK_ITEMS


CHILD_SAFETY_NO = {"a5": "yes", "rf_child_separated": "no"}


def test_a_child_disclosing_exploitation_is_handed_over_to_child_protection() -> None:
    population = Population(child=True)
    given_ = {
        "rf_in_danger_now": "no",
        "rf_controller_nearby": "no",
        "rf_cannot_leave": "no",
        "rf_injury_illness": "no",
        "a5": "yes",
        "rf_detention_or_removal": "no",
        "rf_child_separated": "no",
        "ec_excessive_hours": "yes",
    }
    step = next_question(CHILD, given_, population)
    assert (step.kind, step.key) == ("handover", "handover")

    given_["handover"] = "done"
    assert next_question(CHILD, given_, population) == DONE
    derived = derive(CHILD, given_, population)
    assert derived.handed_over
    for item in ("dr_job_nature", "ec_low_pay", "cd_documents", "sx_child_sexual"):
        assert (derived.values[item], derived.sources[item]) == ("not_needed", "handover")
    result = result_of(CHILD, given_, population)
    assert result.lower_bound
    assert result.classification == "indicators_present"
    assert (result.urgent, result.route) == (True, "child_protection")


CHILD_BEFORE_CONTROL = {
    "rf_in_danger_now": "no",
    "rf_controller_nearby": "no",
    "rf_cannot_leave": "no",
    "rf_injury_illness": "no",
    "a5": "yes",
    "rf_detention_or_removal": "no",
    "rf_child_separated": "no",
    "ec_excessive_hours": "no",
    "b2": "no",
    "b3": "no",
}


@pytest.mark.parametrize("when", ["unknown", "declined"])
def test_a_child_saying_yes_to_a_topic_at_a_time_not_known_is_handed_over(when: str) -> None:
    # "When?" says which items a topic's "yes" is. A child who cannot or will not say
    # when has still said yes to being controlled: that is a disclosure.
    population = Population(child=True)
    given_ = {**CHILD_BEFORE_CONTROL, "documents": "yes"}
    assert next_question(CHILD, given_, population).key == "documents_when"
    given_["documents_when"] = when
    step = next_question(CHILD, given_, population)
    assert (step.kind, step.key) == ("handover", "handover")
    given_["handover"] = "done"
    derived = derive(CHILD, given_, population)
    assert derived.unplaced == ("documents",)
    assert [derived.values[i] for i in ("cr_documents", "sm_documents_held", "cd_documents")] == [
        "unknown",
        "unknown",
        "unknown",
    ]
    result = result_of(CHILD, given_, population)
    assert result.lower_bound
    assert (result.urgent, result.route) == (True, "child_protection")


def test_a_topic_whose_time_is_known_is_placed_on_its_items() -> None:
    population = Population(child=True)
    given_ = {**CHILD_BEFORE_CONTROL, "documents": "yes", "documents_when": "work"}
    derived = derive(CHILD, given_, population, final=False)
    assert derived.unplaced == ()
    assert [derived.values[i] for i in ("cr_documents", "sm_documents_held", "cd_documents")] == [
        "no",
        "no",
        "yes",
    ]


def test_an_adults_topic_at_a_time_not_known_is_no_hand_over_and_not_urgent() -> None:
    given_ = {
        "rf_in_danger_now": "no",
        "rf_controller_nearby": "no",
        "rf_cannot_leave": "no",
        "rf_injury_illness": "no",
        "a5": "yes",
        "rf_detention_or_removal": "no",
        "ec_excessive_hours": "no",
        "b2": "no",
        "b3": "no",
        "documents": "yes",
        "documents_when": "unknown",
    }
    population = Population(child=False)
    assert next_question(ADULT, given_, population).kind != "handover"
    assert result_of(ADULT, given_, population).urgent is False


def test_an_adult_saying_yes_is_not_handed_over() -> None:
    given_ = {
        "rf_in_danger_now": "no",
        "rf_controller_nearby": "no",
        "rf_cannot_leave": "no",
        "rf_injury_illness": "no",
        "a5": "yes",
        "rf_detention_or_removal": "no",
        "ec_excessive_hours": "yes",
    }
    assert next_question(ADULT, given_, Population(child=False)).key == "b2"


def _child_sexual(extra: dict[str, str]) -> scoring.Result:
    population = Population(child=True)
    answers, steps = interview(
        CHILD,
        {**CHILD_SAFETY_NO, "sx_child_sexual": "yes", "handover": "done", **extra},
        population,
    )
    assert keys(steps)[-1] == "handover"
    return result_of(CHILD, answers, population)


def test_a_child_made_to_do_sexual_things_meets_the_exploitation_element_alone() -> None:
    result = _child_sexual({})
    conditions = result.dimensions["exploitative_conditions"]
    assert (conditions.status, conditions.clause) == ("positive", "child_sexual_exploitation")
    assert result.elements["exploitation"] == "met"
    assert result.classification == "likely_trafficking"
    assert result.lower_bound
    assert result.act_established is False  # no recruitment item, no separation


def test_a_separated_child_establishes_the_act() -> None:
    result = _child_sexual({"rf_child_separated": "yes"})
    assert result.act_established is True
    assert "rf_child_separated" in result.red_flags


def test_adults_have_no_act_to_establish() -> None:
    assert result_of(ADULT, {}, Population(child=False)).act_established is None


@pytest.mark.parametrize(
    ("answer", "value"),
    [("no", "yes"), ("unknown", "yes"), ("yes", "no"), ("declined", "declined")],
)
def test_no_safe_place_tonight_is_raised_by_no_or_dont_know(answer: str, value: str) -> None:
    population = Population(child=False)
    assert derive(ADULT, {"a5": answer}, population).values["rf_no_safe_place_tonight"] == value
    result = result_of(ADULT, {"a5": answer}, population)
    assert ("rf_no_safe_place_tonight" in result.red_flags) is (value == "yes")


def test_a_linked_interpreter_pauses_the_interview_before_the_control_block() -> None:
    population = Population(child=False, interpreter_linked=True)
    given_ = {k: "no" for k in EVERY_GATE_NO_ADULT[:9]} | {"a5": "yes"}
    step = next_question(ADULT, given_, population)
    assert (step.kind, step.key, step.block) == ("interpreter", "interpreter_replaced", "control")
    given_["interpreter_replaced"] = "yes"
    assert next_question(ADULT, given_, population).key == "documents"
    # The same answers, without a linked interpreter, go straight on.
    assert (
        next_question(
            ADULT,
            {k: v for k, v in given_.items() if k != "interpreter_replaced"},
            Population(child=False),
        ).key
        == "documents"
    )


def test_a_linked_interpreter_does_not_hold_back_the_safety_questions() -> None:
    step = next_question(ADULT, {}, Population(child=False, interpreter_linked=True))
    assert (step.kind, step.key) == ("gate", "rf_in_danger_now")


BEFORE_CONFINEMENT = {k: "no" for k in EVERY_GATE_NO_ADULT[:11]} | {"a5": "yes"}


def test_a_red_flag_follow_up_is_asked_after_dont_know() -> None:
    step = next_question(
        ADULT, {**BEFORE_CONFINEMENT, "confinement": "unknown"}, Population(child=False)
    )
    assert (step.kind, step.key) == ("followup", "rf_others_held")


def test_a_red_flag_follow_up_is_asked_after_yes_and_when() -> None:
    population = Population(child=False)
    step = next_question(ADULT, {**BEFORE_CONFINEMENT, "confinement": "yes"}, population)
    assert (step.kind, step.key) == ("when", "confinement_when")
    step = next_question(
        ADULT, {**BEFORE_CONFINEMENT, "confinement": "yes", "confinement_when": "work"}, population
    )
    assert (step.kind, step.key) == ("followup", "rf_others_held")


def test_a_red_flag_follow_up_is_not_asked_after_no() -> None:
    population = Population(child=False)
    given_ = {**BEFORE_CONFINEMENT, "confinement": "no"}
    step = next_question(ADULT, given_, population)
    assert (step.kind, step.key) == ("gate", "violence")
    derived = derive(ADULT, given_, population)
    assert (derived.values["rf_others_held"], derived.sources["rf_others_held"]) == (
        "no_by_gate",
        "gate:c3",
    )


def test_an_umbrella_answered_no_makes_its_members_no_by_gate() -> None:
    derived = derive(ADULT, {"b2": "no"}, Population(child=False))
    for item in (
        "ec_low_pay",
        "ec_wage_manipulation",
        "cr_money_withheld",
        "cd_wages_withheld",
        "ec_law_not_respected",
        "ec_no_social_protection",
    ):
        assert (derived.values[item], derived.sources[item]) == ("no_by_gate", "gate:b2")


def test_an_umbrella_not_answered_no_asks_its_members_in_order() -> None:
    population = Population(child=False, mode="one_by_one")
    given_ = {k: "no" for k in EVERY_GATE_NO_ADULT[:7]} | {"a5": "yes", "b2": "yes"}
    step = next_question(ADULT, given_, population)
    assert (step.kind, step.key, step.gate and step.gate.id) == ("member", "ec_low_pay", "b2")


def test_in_list_mode_an_opened_umbrella_asks_its_members_on_one_page() -> None:
    given_ = {k: "no" for k in EVERY_GATE_NO_ADULT[:7]} | {"a5": "yes", "b2": "yes"}
    step = next_question(ADULT, given_, Population(child=False))
    assert (step.kind, step.key, step.members) == (
        "list",
        "b2_list",
        (
            "ec_low_pay",
            "ec_wage_manipulation",
            "money_kept",
            "ec_law_not_respected",
            "ec_no_social_protection",
        ),
    )
    answered = given_ | {
        "ec_low_pay": "yes",
        "ec_wage_manipulation": "no",
        "money_kept": "yes",
        "ec_law_not_respected": "unknown",
        "ec_no_social_protection": "no",
    }
    step = next_question(ADULT, answered, Population(child=False))
    assert (step.kind, step.key) == ("when", "money_kept_when")  # then "when?" for the concept


def test_a_concept_answered_yes_fills_the_indicators_of_the_phases_named() -> None:
    values = derive(
        ADULT, {"documents": "yes", "documents_when": "before work"}, Population(child=False)
    ).values
    assert (values["cr_documents"], values["sm_documents_held"], values["cd_documents"]) == (
        "yes",
        "no",
        "yes",
    )
    values = derive(ADULT, {"documents": "yes"}, Population(child=False)).values
    assert values["cd_documents"] == "unknown"  # "when?" not answered yet
    values = derive(ADULT, {"documents": "declined"}, Population(child=False)).values
    assert (values["cr_documents"], values["cd_documents"]) == ("declined", "declined")


# Destination met by documents and debt at work; recruitment met by the job and the pay lied
# about; exploitation still open. The money group (b2) then needs only its work items: its
# concept "money kept" fills a recruitment and a destination indicator, both decided.
FILL_GIVEN = {
    "documents": "yes",
    "documents_when": "work",
    "debt": "yes",
    "debt_when": "work",
    "dr_job_nature": "yes",
    "d2": "yes",
    "dr_pay": "yes",
    "b2": "unknown",
    "ec_low_pay": "no",
}


def test_the_whole_group_button_fills_only_relevant_unanswered_members() -> None:
    filled = fill_group(ADULT, FILL_GIVEN, Population(child=False), "b2", "unknown")
    assert filled == {
        "ec_wage_manipulation": "unknown",
        "ec_law_not_respected": "unknown",
        "ec_no_social_protection": "unknown",
    }
    assert fill_group(ADULT, FILL_GIVEN, Population(child=False), "b2", "declined") == {
        "ec_wage_manipulation": "declined",
        "ec_law_not_respected": "declined",
        "ec_no_social_protection": "declined",
    }


def test_the_whole_group_button_fills_every_member_when_all_can_matter() -> None:
    filled = fill_group(ADULT, {"b2": "unknown"}, Population(child=False), "b2", "unknown")
    assert filled == dict.fromkeys(
        (
            "ec_low_pay",
            "ec_wage_manipulation",
            "money_kept",
            "ec_law_not_respected",
            "ec_no_social_protection",
        ),
        "unknown",
    )


def test_the_whole_group_button_only_says_dont_know_or_prefers_not_to_say() -> None:
    with pytest.raises(ValueError, match="unknown or declined"):
        fill_group(ADULT, {}, Population(child=False), "b2", "no")
    assert fill_group(ADULT, {}, Population(child=False), "c1", "unknown") == {}  # a concept
    assert fill_group(ADULT, {}, Population(child=False), "zz", "unknown") == {}


@pytest.mark.parametrize(
    ("key", "value", "valid"),
    [
        ("b2", "yes", True),
        ("b2", "no", True),
        ("b2", "unknown", True),
        ("b2", "declined", True),
        ("b2", "no_by_gate", False),
        ("b2", "not_needed", False),
        ("b2", "maybe", False),
        ("ec_excessive_hours", "", False),
        ("documents_when", "way", True),
        ("documents_when", "before work", True),
        ("documents_when", "before way work", True),
        ("documents_when", "unknown", True),
        ("documents_when", "declined", True),
        ("documents_when", "yes", False),
        ("documents_when", "later", False),
        ("documents_when", "", False),
        ("interpreter_replaced", "yes", True),
        ("interpreter_replaced", "no", False),
        ("handover", "done", True),
        ("handover", "continued", True),
        ("handover", "yes", False),
    ],
)
def test_valid_answers(key: str, value: str, valid: bool) -> None:
    assert valid_answer(key, value) is valid


def test_answers_are_stored_under_the_item_asked_directly_or_the_gate() -> None:
    assert [gate_key(ADULT, g) for g in ADULT.gates] == [
        "rf_in_danger_now",
        "rf_controller_nearby",
        "rf_cannot_leave",
        "rf_injury_illness",
        "a5",
        "rf_detention_or_removal",
        "ec_excessive_hours",
        "b2",
        "b3",
        "documents",
        "debt",
        "confinement",
        "violence",
        "c5",
        "c6",
        "c7",
        "c8",
        "dr_job_nature",
        "d2",
        "cr_abduction_sale",
        "d4",
        "d5",
        "e0",
        "sm_paid_facilitator",
        "e2",
        "sm_ransom",
        "sm_still_involved",
        "f1",
        "f2",
        "rf_imminent_move",
        "rf_self_harm",
    ]
