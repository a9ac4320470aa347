"""A ransom demanded on the way is followed by the question whether money is being demanded
with threats now (the gate plan's E3; a kidnapping or extortion in progress is a red flag,
docs/screening.md §4), whatever was said about threats before; the red flag is asked once
however many gates open it."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from screening.derivation import Population, derive
from screening.engine import DONE, next_question
from screening.instrument_files import load_catalogue
from screening.instruments import Instrument

CATALOGUE = load_catalogue()


def asked(instrument: Instrument, person: Mapping[str, str]) -> list[str]:
    """The keys the adaptive interview asks of someone who says ``person`` and "no" to the
    rest (a safe place tonight: "yes"; a child's hand-over: "continued")."""
    population = Population(child=instrument.population == "child")
    given: dict[str, str] = {}
    keys: list[str] = []
    while (step := next_question(instrument, given, population)) != DONE:
        keys.append(step.key)
        if step.kind == "list":
            given.update({m: person.get(m, "no") for m in step.members})
            continue
        default = {"a5": "yes", "handover": "continued"}.get(step.key, "no")
        given[step.key] = person.get(step.key, default)
    return keys


@pytest.mark.parametrize("name", ["adult", "child"])
def test_extortion_now_is_asked_after_a_ransom_even_with_no_threats(name: str) -> None:
    keys = asked(CATALOGUE[name], {"e0": "yes", "sm_ransom": "yes"})
    assert keys[keys.index("sm_ransom") + 1] == "rf_extortion_now"


@pytest.mark.parametrize("name", ["adult", "child"])
def test_extortion_now_is_asked_once_after_threats_to_the_family_and_a_ransom(name: str) -> None:
    threats = "c5" if name == "adult" else "c6"
    person = {
        threats: "yes",
        "family_threats": "yes",
        "family_threats_when": "work",
        "e0": "yes",
        "sm_ransom": "yes",
    }
    assert asked(CATALOGUE[name], person).count("rf_extortion_now") == 1


@pytest.mark.parametrize("name", ["adult", "child"])
def test_no_ransom_no_extortion_question_from_the_journey(name: str) -> None:
    assert "rf_extortion_now" not in asked(CATALOGUE[name], {"e0": "yes"})


@pytest.mark.parametrize(
    ("given", "value"),
    [
        ({"c5": "no", "e0": "yes", "sm_ransom": "yes", "rf_extortion_now": "yes"}, "yes"),
        # Opened by the ransom and left blank: open, not a "no" because threats were denied.
        ({"c5": "no", "e0": "yes", "sm_ransom": "yes"}, "unknown"),
        ({"c5": "no", "e0": "yes", "sm_ransom": "no"}, "no_by_gate"),
        ({"c5": "no", "e0": "no"}, "no_by_gate"),
    ],
)
def test_extortion_now_is_no_by_gate_only_when_every_gate_that_opens_it_is_closed(
    given: dict[str, str], value: str
) -> None:
    found = derive(CATALOGUE["adult"], given, Population(child=False))
    assert found.values["rf_extortion_now"] == value
