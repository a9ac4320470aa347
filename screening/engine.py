"""The adaptive interview: which question comes next, and the value of every indicator from
the answers given so far (docs/screening.md §3–5). Pure functions of the instrument, the
answers and who is answering; nothing here reads or writes the database.

Answers are stored as given, under these keys: a gate's id for umbrellas, filters and safety
gates with their own wording (``b2``, ``e0``, ``a5``); an item's id for an item asked directly
(``ec_excessive_hours``); a concept's id and ``<concept>_when`` for a topic asked once with
"when?" (``documents``, ``documents_when`` = ``"before work"``); ``interpreter_replaced`` and
``handover`` for the two pauses. Everything else is derived again at each step:

- an umbrella or filter answered "no" makes its members ``no_by_gate``;
- a concept fills its indicators by phase: the phases named in "when?" are yes, the others no;
- a member the relevance rule shows cannot change the result is ``not_needed``;
- at the end, an adult's question never reached is ``unknown``; a child's interview handed
  over to child protection counts the questions not reached as no, and its class is a lower
  bound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from screening.instruments import WHEN, Gate, Instrument
from screening.relevance import Relevance
from screening.scoring import GIVEN, OPEN, SUFFICIENT_FOR_CHILD

PAUSES = ("interpreter_replaced", "handover")
HANDOVER = ("done", "continued")  # child-protection staff took over, or the interview goes on
HANDED_OVER = HANDOVER[0]
STEP_KINDS = ("gate", "member", "list", "when", "followup", "interpreter", "handover", "done")
SENSITIVE_BLOCKS = ("control", "start", "journey", "closing")  # wait for a new interpreter
DISCLOSURE_DIMENSIONS = (
    "exploitative_conditions",
    "coercive_recruitment",
    "coercion_at_destination",
)


@dataclass(frozen=True)
class Population:
    """Who answers: a child (or possibly one), and whether the interpreter may be linked to
    the exploiter (the sensitive blocks then wait for an independent one)."""

    child: bool
    interpreter_linked: bool = False
    # "list": an opened umbrella asks its members on one "which of these?" page;
    # "one_by_one": one page per member (docs/screening.md §4).
    mode: str = "list"


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


@dataclass
class Derived:
    """The value of every indicator, where each value not given came from, and the state
    of the filters."""

    values: dict[str, str]
    sources: dict[str, str] = field(default_factory=dict)
    sexual: bool = True
    handed_over: bool = False
    # Topics answered "yes" whose time is not known: a yes somewhere, though to no item.
    unplaced: tuple[str, ...] = ()


def gate_key(instrument: Instrument, gate: Gate) -> str:
    """Where a gate's own answer is stored: the item it asks, when it asks one directly in
    the item's own sense; its own id otherwise."""
    if gate.kind == "strong" or (gate.kind == "safety" and gate.flag_on == ("yes",)):
        return gate.members[0]
    if gate.kind == "concept":
        return gate.members[0]
    return gate.id


def _when(value: str | None) -> set[str] | None:
    if value is None or value in OPEN:
        return None
    return {w for w in value.split() if w in WHEN}


class _State:
    """One pass over the gates: values as far as the given answers decide them."""

    def __init__(
        self, instrument: Instrument, given: Mapping[str, str], population: Population
    ) -> None:
        self.instrument, self.given, self.population = instrument, given, population
        self.values: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.crossed: bool | None = None
        self.sexual: bool = True
        self.unplaced: list[str] = []
        for gate in instrument.gates:
            self._gate(gate)
        if self.crossed is False:  # no border crossed: nothing of the journey is smuggling
            for indicator in instrument.indicators:
                if indicator.dimension == "smuggling":
                    self.values[indicator.id] = "no_by_gate"
                    self.sources[indicator.id] = "gate:e0"

    def set(self, item: str, value: str, source: str) -> None:
        if item not in self.values:
            self.values[item] = value
            if source != "answer":
                self.sources[item] = source

    def condition(self, gate: Gate) -> bool | None:
        if gate.condition == "crossed_border":
            return self.crossed
        if gate.condition == "sexual_filter_open":
            return self.sexual if self.given.get("f1") is not None else None
        if gate.condition == "control_not_all_no":
            return self.control_open()
        return True

    def control_open(self) -> bool:
        # Only gates that are always asked, so the answer is the same however short the
        # interview was.
        topics = [
            g
            for g in self.instrument.gates
            if g.block in ("control", "journey") and g.always and g.kind != "filter"
        ]
        return any(
            self.given.get(gate_key(self.instrument, g)) not in (None, "no") for g in topics
        ) or any(
            self.values.get(i) not in (None, "no", "no_by_gate")
            for g in topics
            for i in self.items(g)
        )

    def _gate(self, gate: Gate) -> None:
        key = gate_key(self.instrument, gate)
        answer = self.given.get(key)
        for item in self.items(gate):  # an item's own answer always wins
            if item in self.given:
                self.set(item, self.given[item], "answer")
        if gate.id == "e0":
            self.crossed = None if answer is None else answer != "no"
        if gate.id == "f1":
            self.sexual = answer != "no"
        if gate.kind == "strong" and gate.members[0] in SUFFICIENT_FOR_CHILD:
            self.sexual = answer not in ("no",)
        if self.condition(gate) is False:
            for item in self.items(gate):
                self.set(item, "no_by_gate", f"gate:{gate.condition}")
            return
        if gate.kind == "safety" and key == gate.id and answer is not None:
            item = gate.members[0]
            self.set(
                item,
                "yes" if answer in gate.flag_on else answer if answer in OPEN else "no",
                f"gate:{gate.id}",
            )
        if gate.kind in ("umbrella", "filter") and answer == "no":
            for item in self.items(gate):
                self.set(item, "no_by_gate", f"gate:{gate.id}")
            return
        for member in gate.members:
            self._member(member)
        for followup in gate.followups:
            parent = self.parent_answer(gate, followup)
            if followup in self.given:
                self.set(followup, self.given[followup], "answer")
            elif parent in ("no", "no_by_gate"):
                self.set(followup, "no_by_gate", f"gate:{gate.id}")

    def parent_answer(self, gate: Gate, followup: str) -> str | None:
        """The answer a follow-up hangs on: the member named for it, else the gate's own
        (for a concept gate, its concept's)."""
        member = gate.after.get(followup)
        if member is not None:
            return self.values.get(member)
        return self.given.get(gate_key(self.instrument, gate))

    def _member(self, member: str) -> None:
        concept = self.instrument.concepts.get(member)
        if concept is None:
            if member in self.given:
                self.set(member, self.given[member], "answer")
            return
        for item in concept.indicators:
            if item in self.given:
                self.set(item, self.given[item], "answer")
        answer = self.given.get(member)
        if answer is None:
            return
        when = _when(self.given.get(f"{member}_when"))
        if answer == "yes" and when is None:
            self.unplaced.append(member)
        for item in concept.indicators:
            if answer != "yes":
                self.set(item, answer, f"concept:{member}")
            elif when is None:
                self.set(item, "unknown", f"concept:{member}")
            else:
                chosen = any(item in concept.phases.get(w, ()) for w in when)
                self.set(item, "yes" if chosen else "no", f"concept:{member}")

    def items(self, gate: Gate) -> list[str]:
        found = [i for m in gate.members for i in self.instrument.member_indicators(m)]
        return found + list(gate.followups)


def _relevance(instrument: Instrument, state: _State, population: Population) -> Relevance:
    return Relevance(instrument, state.values, population.child, state.sexual)


def derive(
    instrument: Instrument, given: Mapping[str, str], population: Population, final: bool = True
) -> Derived:
    """The value of every indicator from the answers ``given``. With ``final``, questions
    not reached are settled: not needed when they cannot change the result, otherwise
    unknown (adult) or, after a hand-over to child protection, no."""
    state = _State(instrument, given, population)
    handed_over = given.get("handover") == HANDED_OVER
    if final:
        relevance = _relevance(instrument, state, population)
        for indicator in instrument.indicators:
            if indicator.id in state.values:
                continue
            why = relevance.why_not_needed(indicator)
            if why is not None:
                state.set(indicator.id, "not_needed", f"rule:{why}")
            elif handed_over:
                state.set(indicator.id, "not_needed", "handover")
            else:
                state.set(indicator.id, "unknown", "unreached")
    return Derived(
        state.values, state.sources, state.sexual, handed_over, tuple(dict.fromkeys(state.unplaced))
    )


def _disclosed(instrument: Instrument, state: _State) -> bool:
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


def next_question(instrument: Instrument, given: Mapping[str, str], population: Population) -> Step:
    """What to ask next, following the gate plan in order (docs/screening.md §4.1)."""
    state = _State(instrument, given, population)
    if population.child and given.get("handover") is None and _disclosed(instrument, state):
        return Step("handover", key="handover", block="closing")
    if given.get("handover") == HANDED_OVER:
        return DONE
    relevance = _relevance(instrument, state, population)

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
    for followup in gate.followups:
        if followup not in given and followup not in gate.after:
            return Step("followup", key=followup, gate=gate, ask=followup, block=gate.block)
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
    for followup, member in gate.after.items():
        if followup not in given and given.get(member) not in (None, "no"):
            return Step("followup", key=followup, gate=gate, ask=followup, block=gate.block)
    return None


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
    state = _State(instrument, given, population)
    relevance = _relevance(instrument, state, population)
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
