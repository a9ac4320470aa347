"""The value of every indicator from the answers given so far (docs/screening.md §3–5), as
the adaptive interview (:mod:`screening.engine`) and the score read them. Pure functions of
the instrument, the answers and who is answering; nothing here reads or writes the database.

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

from collections.abc import Mapping
from dataclasses import dataclass, field

from screening.instruments import WHEN, Gate, Instrument
from screening.relevance import Relevance
from screening.scoring import OPEN, SUFFICIENT_FOR_CHILD

PAUSES = ("interpreter_replaced", "handover")
HANDOVER = ("done", "continued")  # child-protection staff took over, or the interview goes on
HANDED_OVER = HANDOVER[0]


@dataclass(frozen=True)
class Population:
    """Who answers: a child (or possibly one), and whether the interpreter may be linked to
    the exploiter (the sensitive blocks then wait for an independent one)."""

    child: bool
    interpreter_linked: bool = False
    # "list": an opened umbrella asks its members on one "which of these?" page;
    # "one_by_one": one page per member (docs/screening.md §4).
    mode: str = "list"


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


class State:
    """One pass over the gates: values as far as the given answers decide them."""

    def __init__(
        self,
        instrument: Instrument,
        given: Mapping[str, str],
        population: Population,
        done: Derived | None = None,
    ) -> None:
        self.instrument, self.given, self.population = instrument, given, population
        self.values: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.crossed: bool | None = None
        self.sexual: bool = True
        self.unplaced: list[str] = []
        # A follow-up of several gates ("money demanded now?" after threats and after a
        # ransom) is "no" by gate only once every gate that may open it is closed.
        self.closed: dict[str, int] = {}
        if done is not None:  # the pass over the gates was made already, for these answers
            self.values, self.sources = dict(done.values), dict(done.sources)
            self.sexual, self.unplaced = done.sexual, list(done.unplaced)
            return
        for gate in instrument.gates:
            self._gate(gate)
        shared = self.shared_followups()
        for item, closed in self.closed.items():
            if closed == shared[item]:
                self.set(item, "no_by_gate", "gates:all")
        if self.crossed is False:  # no border crossed: nothing of the journey is smuggling
            for indicator in instrument.indicators:
                if indicator.dimension == "smuggling":
                    self.values[indicator.id] = "no_by_gate"
                    self.sources[indicator.id] = "gate:e0"

    def set(self, item: str, value: str, source: str) -> None:
        if value == "no_by_gate" and source.startswith("gate:") and item in self.shared_followups():
            self.closed[item] = self.closed.get(item, 0) + 1
            return
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
        topics = self.instrument.remember(
            "control_topics",
            lambda: tuple(
                g
                for g in self.instrument.gates
                if g.block in ("control", "journey") and g.always and g.kind != "filter"
            ),
        )
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

    def shared_followups(self) -> dict[str, int]:
        """The follow-ups listed by more than one gate, with how many list them."""

        def count() -> dict[str, int]:
            listed: dict[str, int] = {}
            for gate in self.instrument.gates:
                for followup in gate.followups:
                    listed[followup] = listed.get(followup, 0) + 1
            return {item: n for item, n in listed.items() if n > 1}

        return self.instrument.remember("shared_followups", count)

    def items(self, gate: Gate) -> tuple[str, ...]:
        # Asked several times per gate on every pass: worked out once per instrument.
        return self.instrument.remember(
            ("items", gate.id),
            lambda: (
                *(i for m in gate.members for i in self.instrument.member_indicators(m)),
                *gate.followups,
            ),
        )


def relevance_for(instrument: Instrument, state: State, population: Population) -> Relevance:
    return Relevance(instrument, state.values, population.child, state.sexual)


def derive(
    instrument: Instrument,
    given: Mapping[str, str],
    population: Population,
    final: bool = True,
    so_far: Derived | None = None,
) -> Derived:
    """The value of every indicator from the answers ``given``. With ``final``, questions
    not reached are settled: not needed when they cannot change the result, otherwise
    unknown (adult) or, after a hand-over to child protection, no. ``so_far``, the
    derivation of the same answers for the same population without ``final``, spares
    working the gates out again."""
    state = State(instrument, given, population, so_far)
    handed_over = given.get("handover") == HANDED_OVER
    if final:
        relevance = relevance_for(instrument, state, population)
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
