"""Synthetic respondents for the equivalence test and the question-count benchmark
(docs/screening.md §5): a respondent is a full set of answers, consistent with the gates as
the interview assumes (an umbrella is "no" only when every member is), who answers whatever
the engine asks. Nothing here is a real person; it never touches the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from screening.derivation import Population, gate_key
from screening.engine import DONE, Step, fill_group, next_question
from screening.instruments import WHEN, Gate, Instrument
from screening.scoring import GIVEN, OPEN

# How likely each answer is, per profile: (yes, no, unknown, declined).
PROFILES = {
    "no_signs": (0.0, 1.0, 0.0, 0.0),
    "few_signs": (0.05, 0.9, 0.03, 0.02),
    "mixed": (0.25, 0.6, 0.1, 0.05),
    "many_signs": (0.6, 0.3, 0.05, 0.05),
    "unsure": (0.1, 0.3, 0.4, 0.2),
    "all_unknown": (0.0, 0.0, 1.0, 0.0),
}


class Generator(Protocol):
    """A seeded generator such as ``random.Random``, made by the caller (a test or a
    benchmark): the package itself never imports ``random`` (house rule R40)."""

    def random(self) -> float: ...

    def choice(self, seq: Sequence[str]) -> str: ...

    def choices(
        self, population: Sequence[str], weights: Sequence[float] | None = None
    ) -> list[str]: ...


@dataclass
class Respondent:
    """What one person would answer to every question of one instrument."""

    items: dict[str, str] = field(default_factory=dict)  # every indicator
    gates: dict[str, str] = field(default_factory=dict)  # gate, concept and "when?" keys

    def full(self) -> dict[str, str]:
        """The answers of the whole questionnaire: every item asked one by one, and the two
        filters (border crossed, sexual exploitation)."""
        filters = {k: v for k, v in self.gates.items() if k in ("e0", "f1")}
        return {**self.items, **filters}

    def answer(self, step: Step) -> str:
        """The answer to one step of the interview."""
        if step.kind == "interpreter":
            return "yes"
        if step.kind == "handover":
            return "continued"
        if step.key in self.gates:
            return self.gates[step.key]
        return self.items[step.key]


def _pick(rng: Generator, weights: tuple[float, ...]) -> str:
    return rng.choices(GIVEN, weights=weights)[0]


def respondent(
    instrument: Instrument,
    rng: Generator,
    weights: tuple[float, ...],
    crossed: bool | None = None,
    sexual: bool | None = None,
    forced_no: str | None = None,
) -> Respondent:
    """A random respondent consistent with the umbrellas; ``forced_no`` names a gate the
    respondent answers "no" to whatever its members (a wrong "no")."""
    person = Respondent()
    for gate in instrument.gates:
        _gate(instrument, gate, person, rng, weights, crossed, sexual)
    if person.gates.get("e0") == "no":  # no border: the journey block is all "no"
        journey = {
            i
            for g in instrument.gates
            if g.condition == "crossed_border"
            for m in (*g.members, *g.followups)
            for i in instrument.member_indicators(m)
        }
        for indicator in instrument.indicators:
            if indicator.dimension == "smuggling" or indicator.id in journey:
                person.items[indicator.id] = "no"
    if forced_no:
        person.gates[forced_no] = "no"
    return person


def _concept(
    instrument: Instrument,
    concept_id: str,
    person: Respondent,
    rng: Generator,
    weights: tuple[float, ...],
) -> str:
    concept = instrument.concepts[concept_id]
    answer = _pick(rng, weights)
    person.gates[concept_id] = answer
    if answer == "yes":
        when = [w for w in WHEN if w in concept.phases and rng.random() < 0.5] or [
            rng.choice(list(concept.phases))
        ]
        person.gates[f"{concept_id}_when"] = " ".join(when)
        for item in concept.indicators:
            person.items[item] = "yes" if any(item in concept.phases[w] for w in when) else "no"
    else:
        for item in concept.indicators:
            person.items[item] = answer
    return answer


def _gate(
    instrument: Instrument,
    gate: Gate,
    person: Respondent,
    rng: Generator,
    weights: tuple[float, ...],
    crossed: bool | None,
    sexual: bool | None,
) -> None:
    if gate.id == "e0":
        person.gates["e0"] = (
            ("yes" if crossed else "no") if crossed is not None else rng.choice(("yes", "no"))
        )
        return
    if gate.id == "f1" and not gate.members:
        person.gates["f1"] = (
            ("yes" if sexual else "no") if sexual is not None else _pick(rng, weights)
        )
        return
    if gate.condition == "sexual_filter_open" and person.gates.get("f1") == "no":
        for member in gate.members:
            person.items[member] = "no"
        return
    if gate.condition == "crossed_border" and person.gates.get("e0") == "no":
        for member in (*gate.members, *gate.followups):
            for item in instrument.member_indicators(member):
                person.items[item] = "no"
        return
    if gate.condition == "control_not_all_no" and not _control_open(instrument, person):
        for member in gate.members:
            person.items[member] = "no"
        return
    values = []
    for member in gate.members:
        if member in instrument.concepts:
            values.append(_concept(instrument, member, person, rng, weights))
        elif gate.kind == "safety" and gate_key(instrument, gate) == gate.id:
            answer = rng.choice(("yes", "no", "declined")) if weights[0] else "yes"
            person.gates[gate.id] = answer
            person.items[member] = (
                "yes" if answer in gate.flag_on else answer if answer in OPEN else "no"
            )
        else:
            values.append(_pick(rng, weights))
            person.items[member] = values[-1]
    if gate.kind == "umbrella":
        person.gates[gate.id] = (
            "yes" if "yes" in values else next((v for v in values if v in OPEN), "no")
        )
    parent = person.gates.get(
        gate_key(instrument, gate), person.items.get(gate_key(instrument, gate))
    )
    for followup in gate.followups:
        hangs_on = person.items.get(gate.after[followup]) if followup in gate.after else parent
        person.items[followup] = "no" if hangs_on == "no" else _pick(rng, weights)


def _control_open(instrument: Instrument, person: Respondent) -> bool:
    topics = [
        g
        for g in instrument.gates
        if g.block in ("control", "journey") and g.always and g.kind != "filter"
    ]
    return any(
        person.items.get(i, "no") != "no"
        for g in topics
        for m in (*g.members, *g.followups)
        for i in instrument.member_indicators(m)
    )


def interview(
    instrument: Instrument, person: Respondent, population: Population, group_button: bool = False
) -> tuple[dict[str, str], int]:
    """Run the adaptive interview with this respondent: the answers stored and how many
    questions were asked (pauses are not questions)."""
    given: dict[str, str] = {}
    asked = 0
    while True:
        step = next_question(instrument, given, population)
        if step == DONE:
            return given, asked
        if step.kind not in ("interpreter", "handover"):
            asked += 1
        if step.kind == "list":  # one page, an answer for each member listed
            given.update({m: person.gates.get(m, person.items.get(m, "no")) for m in step.members})
            continue
        given[step.key] = person.answer(step)
        if (
            group_button
            and step.kind == "gate"
            and step.gate is not None
            and step.gate.kind == "umbrella"
            and given[step.key] in OPEN
        ):
            given.update(fill_group(instrument, given, population, step.gate.id, given[step.key]))


def weights_of(profile: str) -> tuple[float, ...]:
    """The answer weights of a named profile."""
    return PROFILES[profile]


def as_mapping(person: Respondent) -> Mapping[str, str]:
    """Everything the respondent would say, for tests that inspect it."""
    return {**person.items, **person.gates}
