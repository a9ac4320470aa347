"""The adaptive interview: which question comes next (docs/screening.md §4), following the gate
plan in order and skipping what cannot change the result. A pure function of the instrument,
the answers so far and who is answering; the values those answers give every indicator are
worked out in :mod:`screening.derivation`. Nothing here reads or writes the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from screening.derivation import (
    HANDED_OVER,
    HANDOVER,
    Population,
    State,
    gate_key,
    relevance_for,
)
from screening.instruments import WHEN, Gate, Instrument
from screening.scoring import GIVEN, OPEN, SUFFICIENT_FOR_CHILD

STEP_KINDS = ("gate", "member", "list", "when", "followup", "interpreter", "handover", "done")
SENSITIVE_BLOCKS = ("control", "start", "journey", "closing")  # wait for a new interpreter
DISCLOSURE_DIMENSIONS = (
    "exploitative_conditions",
    "coercive_recruitment",
    "coercion_at_destination",
)


@dataclass(frozen=True)
class Step:
    """The next thing to ask. ``kind``: gate, member, list, when, followup, interpreter,
    handover or done; ``key`` is where its answer is stored (a list page stores one answer
    per member instead); ``ask`` is the item or concept to word."""

    kind: str
    key: str = ""
    gate: Gate | None = None
    ask: str = ""
    block: str = ""
    members: tuple[str, ...] = ()  # a "which of these?" page: the members it lists


DONE = Step("done")


def _disclosed(instrument: Instrument, state: State) -> bool:
    # A topic said "yes" to, at a time the child does not know or will not say, may be
    # coercion: protection comes first (docs/screening.md §2.3, Stop on disclosure).
    for member in state.unplaced:
        if state.given.get(f"{member}_when") in OPEN and any(
            instrument.by_id[i].dimension in DISCLOSURE_DIMENSIONS
            for i in instrument.concepts[member].indicators
        ):
            return True
    values = state.values
    for indicator in instrument.indicators:
        value = values.get(indicator.id)
        if indicator.id in SUFFICIENT_FOR_CHILD and value not in (None, "no", "no_by_gate"):
            return True
        if indicator.dimension in DISCLOSURE_DIMENSIONS and value == "yes":
            return True
    return False


def handover_offered(
    instrument: Instrument, given: Mapping[str, str], population: Population
) -> bool:
    """Whether these answers offer a child's hand-over to child protection: only after a
    disclosure (docs/screening.md §2.3). A hand-over recorded without one is refused where
    answers are saved, and would end nothing here."""
    return population.child and _disclosed(instrument, State(instrument, given, population))


def next_question(instrument: Instrument, given: Mapping[str, str], population: Population) -> Step:
    """What to ask next, following the gate plan in order (docs/screening.md §4.1)."""
    state = State(instrument, given, population)
    disclosed = population.child and _disclosed(instrument, state)
    if disclosed and given.get("handover") is None:
        # Safety first: a red-flag follow-up of a gate already answered (others held with
        # the child, violence in the last days) is asked before the hand-over, which could
        # end the interview before it (docs/screening.md §2.3).
        return _pending_followup(instrument, given) or Step(
            "handover", key="handover", block="closing"
        )
    if disclosed and given.get("handover") == HANDED_OVER:
        return DONE
    relevance = relevance_for(instrument, state, population)

    def relevant(item: str) -> bool:
        indicator = instrument.by_id[item]
        return item not in state.values and (
            indicator.red_flag or relevance.why_not_needed(indicator) is None
        )

    def matters(item: str) -> bool:
        return relevance.why_not_needed(instrument.by_id[item]) is None

    for gate in instrument.gates:
        if state.condition(gate) is False:
            continue
        if (
            population.interpreter_linked
            and gate.block in SENSITIVE_BLOCKS
            and given.get("interpreter_replaced") != "yes"
        ):
            return Step("interpreter", key="interpreter_replaced", block=gate.block)
        step = _in_gate(instrument, gate, given, relevant, matters, population.mode)
        if step is not None:
            return step
    return DONE


def _pending_followup(instrument: Instrument, given: Mapping[str, str]) -> Step | None:
    """The first red-flag follow-up not yet asked of a gate answered otherwise than "no"."""
    for gate in instrument.gates:
        answer = given.get(gate_key(instrument, gate))
        if answer is None or answer == "no":
            continue
        step = _gate_followup(gate, given) or _member_followup(gate, given)
        if step is not None:
            return step
    return None


def _gate_followup(gate: Gate, given: Mapping[str, str]) -> Step | None:
    """The first follow-up of the gate itself not yet asked (the gate said other than no)."""
    for followup in gate.followups:
        if followup not in given and followup not in gate.after:
            return Step("followup", key=followup, gate=gate, ask=followup, block=gate.block)
    return None


def _member_followup(gate: Gate, given: Mapping[str, str]) -> Step | None:
    """The first follow-up hung on a member (``after``) that answered other than no."""
    for followup, member in gate.after.items():
        if followup not in given and given.get(member) not in (None, "no"):
            return Step("followup", key=followup, gate=gate, ask=followup, block=gate.block)
    return None


def _in_gate(
    instrument: Instrument,
    gate: Gate,
    given: Mapping[str, str],
    is_relevant: Callable[[str], bool],
    matters: Callable[[str], bool],
    mode: str,
) -> Step | None:
    key = gate_key(instrument, gate)
    answer = given.get(key)
    members = [i for m in gate.members for i in instrument.member_indicators(m)]
    if answer is None:
        if gate.always or any(is_relevant(i) for i in members):
            return Step(
                "gate",
                key=key,
                gate=gate,
                ask=gate.members[0] if gate.members else "",
                block=gate.block,
            )
        return None
    if answer == "no":
        return None
    if gate.kind == "concept":
        step = _when_step(instrument, gate, gate.members[0], given, matters)
        if step:
            return step
    step = _gate_followup(gate, given)
    if step is not None:
        return step
    if gate.kind in ("umbrella", "filter"):

        def answered(member: str) -> bool:
            return member in given or any(i in given for i in instrument.member_indicators(member))

        pending = tuple(
            m
            for m in gate.members
            if not answered(m) and any(is_relevant(i) for i in instrument.member_indicators(m))
        )
        if mode == "list" and gate.kind == "umbrella" and pending:
            return Step("list", key=f"{gate.id}_list", gate=gate, block=gate.block, members=pending)
        for member in gate.members:
            if answered(member):
                step = _when_step(instrument, gate, member, given, matters)
                if step:
                    return step
            elif member in pending:
                return Step("member", key=member, gate=gate, ask=member, block=gate.block)
    return _member_followup(gate, given)


def _when_step(
    instrument: Instrument,
    gate: Gate,
    member: str,
    given: Mapping[str, str],
    matters: Callable[[str], bool],
) -> Step | None:
    # "When?" only splits a "yes" across phases: not asked once no trafficking indicator of
    # the concept can change the result (the journey detail it would add is not scored).
    concept = instrument.concepts.get(member)
    if (
        concept is not None
        and given.get(member) == "yes"
        and f"{member}_when" not in given
        and any(matters(i) for i in concept.indicators if instrument.by_id[i].trafficking)
    ):
        return Step("when", key=f"{member}_when", gate=gate, ask=member, block=gate.block)
    return None


def valid_answer(key: str, value: str) -> bool:
    """Whether ``value`` may be stored under ``key``: "when?" takes phases, a pause takes
    its own words, everything else the four answers a person can give."""
    if key.endswith("_when"):
        words = value.split()
        return value in OPEN or (bool(words) and all(w in WHEN for w in words))
    if key == "interpreter_replaced":
        return value == "yes"
    if key == "handover":
        return value in HANDOVER
    return value in GIVEN


def fill_group(
    instrument: Instrument,
    given: Mapping[str, str],
    population: Population,
    gate_id: str,
    value: str,
) -> dict[str, str]:
    """The "whole group: don't know / prefers not to say" button: ``value`` for every member
    of the gate not answered yet that could still change the result."""
    if value not in OPEN:
        raise ValueError("the whole-group answer is unknown or declined")
    gate = instrument.gate(gate_id)
    if gate is None or gate.kind != "umbrella":
        return {}
    state = State(instrument, given, population)
    relevance = relevance_for(instrument, state, population)
    filled = {}
    for member in gate.members:
        ids = instrument.member_indicators(member)
        if member in given or any(i in given for i in ids):
            continue
        if any(
            i not in state.values and relevance.why_not_needed(instrument.by_id[i]) is None
            for i in ids
        ):
            filled[member] = value
    return filled
