"""A child's act (docs/screening.md §2.3): any "yes" to a recruitment item records it, and
without one a child's likely exploitation is headed "act to be established". So the
adaptive interview keeps asking the recruitment questions until one records the act, even
once the exploitation alone makes the class: the same child gets the same headline in the
adaptive interview and in one call."""

from __future__ import annotations

from collections.abc import Mapping

from screening import scoring
from screening.derivation import Population, derive
from screening.engine import DONE, next_question
from screening.instrument_files import load_catalogue

CHILD = load_catalogue()["child"]
CHILDREN = Population(child=True)


def interview(person: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The adaptive interview answered from ``person``, "no" to the rest (a safe place
    tonight: "yes"; the hand-over: "continued"): the answers stored and the keys asked."""
    given: dict[str, str] = {}
    asked: list[str] = []
    while (step := next_question(CHILD, given, CHILDREN)) != DONE:
        asked.append(step.key)
        if step.kind == "list":
            given.update({m: person.get(m, "no") for m in step.members})
            continue
        default = {"a5": "yes", "handover": "continued"}.get(step.key, "no")
        given[step.key] = person.get(step.key, default)
    return given, asked


def result(answers: Mapping[str, str]) -> scoring.Result:
    found = derive(CHILD, answers, CHILDREN)
    return scoring.score(CHILD, found.values, True, found.sexual, unplaced_yes=bool(found.unplaced))


DECEIVED_AND_EXPLOITED = {
    "ec_excessive_hours": "yes",
    "b2": "yes",
    "ec_low_pay": "yes",
    "dr_job_nature": "yes",
    "e0": "no",
}


def test_a_child_deceived_about_the_job_is_asked_how_it_started_and_the_act_is_recorded() -> None:
    answers, asked = interview(DECEIVED_AND_EXPLOITED)
    assert "dr_job_nature" in asked
    adaptive = result(answers)
    one_call = result({**answers, **DECEIVED_AND_EXPLOITED})
    assert (adaptive.classification, adaptive.act_established) == ("likely_trafficking", True)
    assert (one_call.classification, one_call.act_established) == ("likely_trafficking", True)


def test_a_child_with_no_recorded_act_is_still_headed_act_to_be_established() -> None:
    exploited_only = {k: v for k, v in DECEIVED_AND_EXPLOITED.items() if k != "dr_job_nature"}
    answers, asked = interview(exploited_only)
    assert "dr_job_nature" in asked  # asked, and answered "no"
    assert (result(answers).classification, result(answers).act_established) == (
        "likely_trafficking",
        False,
    )
