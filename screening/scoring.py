"""Scoring a screening: a pure function from an instrument and the value of every indicator
to an explainable result, following the ILO/EC combination rule (screening.rule,
docs/screening.md §2–3).

Values are those of docs/screening.md §3: ``yes``; ``no``, ``no_by_gate`` and ``not_needed``
count as no; ``unknown`` and ``declined`` are open, "could be yes". The result depends only on
two classes: the *lower* one (the "yes" answers) and the *upper* one (every open answer as
yes); ``incomplete`` is lower != upper. The labour list always applies, the sexual list too
when the interview's sexual filter was not answered "no"; the stronger outcome is reported,
and one answer is never counted twice because every indicator is one concept in one gate.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from screening import rule
from screening.instruments import TRAFFICKING_DIMENSIONS, Indicator, Instrument

RULES_VERSION = "passage-scoring/2"
GIVEN = ("yes", "no", "unknown", "declined")  # what a person can answer
DERIVED = ("no_by_gate", "not_needed")  # what the interview fills in; both count as no
VALUES = GIVEN + DERIVED
OPEN = ("unknown", "declined")
CLASSES = rule.CLASSES
# A child's commercial sexual exploitation is the exploitation element by itself
# (docs/screening.md §2.3; Palermo Protocol art. 3(c)).
SUFFICIENT_FOR_CHILD = frozenset({"sx_child_sexual"})
# A recorded act (recruitment, transport, transfer, harbouring, receipt) for a child: without
# one, a child's exploitation is labelled "act to be established", not trafficking.
ACT_ITEMS = frozenset({"sm_paid_facilitator", "rf_child_separated", "rf_child_unrelated_adult"})
FACILITATION = "sm_paid_facilitator"  # smuggling needs the facilitation element
STILL_INVOLVED = "sm_still_involved"  # the journey's organisers still in the person's life


@dataclass(frozen=True)
class DimensionResult:
    """One dimension: positive, negative or not assessed; the clause; what fired."""

    status: str  # "positive", "negative" or "not_assessed"
    clause: str | None
    fired: list[str]
    unanswered: list[str]
    could_be_positive: bool
    counts: dict[str, int]
    one_more: list[str]  # grades one more "yes" of which would make it positive


@dataclass(frozen=True)
class ListResult:
    """The outcome under one list of grades."""

    list: str
    classification: str
    lower: str
    upper: str
    dimensions: dict[str, DimensionResult]


@dataclass(frozen=True)
class Result:
    """What a screening indicates, with the reasons, reproducible from its versions."""

    classification: str
    urgent: bool
    incomplete: bool
    smuggling: bool
    child: bool
    red_flags: list[str]
    route: str
    dimensions: dict[str, DimensionResult]
    elements: dict[str, str]  # met, not_met or not_assessed
    smuggling_indicators: list[str]
    instrument: str
    instrument_version: str
    rules: str
    range: dict[str, str]
    open_answers: list[str]
    list: str
    lists: dict[str, str]
    to_review: builtins.list[str]  # the field ``list`` above hides the builtin here
    smuggling_exploitation_risk: bool
    act_established: bool | None
    lower_bound: bool
    derived: dict[str, str] = field(default_factory=dict)
    reasons: builtins.list[str] = field(default_factory=builtins.list)

    def as_dict(self) -> dict[str, Any]:
        """The result as stored and as the API returns it (what ``dataclasses.asdict`` gives,
        without its deep copy of every string: the lists and dicts are new, their items not)."""
        plain: dict[str, Any] = _plain(self)
        return plain


def _plain(value: Any) -> Any:
    # Most values are strings, numbers and lists of them: those are tried first.
    if isinstance(value, (str, int, float)) or value is None:
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def weight(indicator: Indicator, list_name: str, child: bool) -> str | None:
    """What a "yes" to ``indicator`` counts as on ``list_name``: its grade, or "sufficient"
    for a child's commercial sexual exploitation; None when not on that list."""
    if child and indicator.id in SUFFICIENT_FOR_CHILD:
        return "sufficient"
    return indicator.grade(list_name)


Graded = tuple[tuple[Indicator, str], ...]  # indicators of one dimension with their weight


def graded(instrument: Instrument, list_name: str, child: bool) -> dict[str, Graded]:
    """The trafficking indicators ``list_name`` grades, with what a "yes" to each counts
    as (:func:`weight`), by dimension in the order of the instrument; worked out once per
    instrument (the score and the relevance rule read it for every answer set)."""

    def build() -> dict[str, Graded]:
        weighed = [(i, weight(i, list_name, child)) for i in instrument.indicators]
        return {
            d: tuple((i, w) for i, w in weighed if w is not None and i.dimension == d)
            for d in TRAFFICKING_DIMENSIONS
        }

    return instrument.remember(("graded", list_name, child), build)


def _one_more(yes: rule.Counts) -> list[str]:
    if rule.clause_for(yes) is not None or not any(yes):
        return []
    return [w for w in ("strong", "medium", "weak") if rule.pivotal(yes, (0, 0, 0, 0), w)]


def _dimension(items: Graded, values: Mapping[str, str]) -> DimensionResult:
    fired = [(i, w) for i, w in items if values.get(i.id) == "yes"]
    open_ = [(i, w) for i, w in items if values.get(i.id, "unknown") in OPEN]
    yes = rule.counts(w for _, w in fired)
    clause = rule.clause_for(yes)
    assessed = any(values.get(i.id, "unknown") != "not_needed" for i, _ in items)
    return DimensionResult(
        status="positive" if clause else "negative" if assessed else "not_assessed",
        clause=clause,
        fired=[i.id for i, _ in fired],
        unanswered=[i.id for i, _ in open_],
        could_be_positive=rule.clause_for(rule.counts(w for _, w in fired + open_)) is not None,
        counts=dict(zip(rule.WEIGHTS, yes, strict=True)),
        one_more=_one_more(yes),
    )


def _assess(
    instrument: Instrument,
    values: Mapping[str, str],
    list_name: str,
    child: bool,
    smuggling_lower: bool,
    smuggling_upper: bool,
) -> ListResult:
    table = graded(instrument, list_name, child)
    dimensions = {d: _dimension(items, values) for d, items in table.items()}
    listed = instrument.remember(
        ("listed", list_name, child),
        lambda: tuple(i for i in instrument.indicators if weight(i, list_name, child)),
    )
    trafficking_yes = any(values.get(i.id) == "yes" for i in listed)
    trafficking_open = any(values.get(i.id, "unknown") in OPEN for i in listed)
    lower = rule.classify(
        {d: r.status == "positive" for d, r in dimensions.items()},
        child,
        trafficking_yes,
        smuggling_lower,
    )
    upper = rule.classify(
        {d: r.could_be_positive for d, r in dimensions.items()},
        child,
        trafficking_yes or trafficking_open,
        smuggling_upper,
    )
    classification, _ = rule.settle(lower, upper)
    return ListResult(list_name, classification, lower, upper, dimensions)


def _stronger(results: list[ListResult]) -> ListResult:
    # Under the same class, the list whose "yes" answers establish more; then the one whose
    # open answers could. The first list (labour) wins a full tie: its grades are the better
    # verified.
    return max(
        results, key=lambda r: (rule.RANK[r.classification], rule.RANK[r.lower], rule.RANK[r.upper])
    )


def _element_status(dimensions: Mapping[str, DimensionResult]) -> dict[str, str]:
    status = {}
    for element, dims in rule.ELEMENTS.items():
        if any(dimensions[d].status == "positive" for d in dims):
            status[element] = "met"
        elif all(dimensions[d].status == "not_assessed" for d in dims):
            status[element] = "not_assessed"
        else:
            status[element] = "not_met"
    return status


def said_yes(values: Mapping[str, str], unplaced_yes: bool) -> bool:
    """Whether the person said "yes" to anything: an item, or a topic at a time not known
    (``unplaced_yes``, a "yes" to no item). A child's "yes" makes the screening urgent and
    routes it to child protection (docs/screening.md §2.1); a draft's urgency and the
    result's both ask here."""
    return unplaced_yes or "yes" in values.values()


def score(
    instrument: Instrument,
    values: Mapping[str, str],
    child: bool,
    sexual: bool,
    extra_red_flags: tuple[str, ...] = (),
    derived: Mapping[str, str] | None = None,
    lower_bound: bool = False,
    unplaced_yes: bool = False,
) -> Result:
    """Score the value of every indicator (a missing one is unknown) for a person who is, or
    may be, a child (``child``), under the labour list and, when ``sexual``, the sexual list
    too. ``extra_red_flags`` are raised outside the questions (the interpreter linked to the
    exploiter); ``derived`` says which gate or rule filled each value not given;
    ``lower_bound`` marks a child's interview handed over before its end;
    ``unplaced_yes``, a topic answered "yes" at a time not known, which is a "yes" to no
    item but still one for a child's urgency and route."""
    value = {i.id: values.get(i.id, "unknown") for i in instrument.indicators}
    yes = [i for i in instrument.indicators if value[i.id] == "yes"]
    smuggling_yes = [i.id for i in yes if i.dimension == "smuggling"]
    smuggling = value.get(FACILITATION) == "yes"
    smuggling_open = value.get(FACILITATION) in OPEN
    lists = [instrument.labour_list] + ([instrument.sexual_list] if sexual else [])
    results = [
        _assess(instrument, value, name, child, smuggling, smuggling or smuggling_open)
        for name in lists
    ]
    chosen = _stronger(results)
    classification, incomplete = rule.settle(chosen.lower, chosen.upper)
    red_flags = [i.id for i in yes if i.red_flag] + list(extra_red_flags)
    any_yes = said_yes(value, unplaced_yes)
    changing = [
        d for d, r in chosen.dimensions.items() if r.status != "positive" and r.could_be_positive
    ]
    open_answers = [i for d in changing for i in chosen.dimensions[d].unanswered]
    open_answers += [
        i.id
        for i in instrument.indicators
        if (i.red_flag or i.id == FACILITATION) and value[i.id] in OPEN
    ]
    to_review = ["sexual_grades_provisional"] if chosen.list != instrument.labour_list else []
    return Result(
        classification=classification,
        urgent=bool(red_flags) or (child and any_yes),
        incomplete=incomplete,
        smuggling=smuggling,
        child=child,
        red_flags=red_flags,
        route=rule.route(classification, child, any_yes, bool(red_flags)),
        dimensions=chosen.dimensions,
        elements=_element_status(chosen.dimensions),
        smuggling_indicators=smuggling_yes,
        instrument=instrument.id,
        instrument_version=instrument.version,
        rules=f"{RULES_VERSION}+{instrument.rules}",
        range={"lower": chosen.lower, "upper": chosen.upper},
        open_answers=open_answers,
        list=chosen.list,
        lists={r.list: r.classification for r in results},
        to_review=to_review,
        smuggling_exploitation_risk=value.get(STILL_INVOLVED) == "yes",
        act_established=_act(instrument, value) if child else None,
        lower_bound=lower_bound,
        derived=dict(derived or {}),
        reasons=_reasons(classification, child, chosen, incomplete),
    )


def _act(instrument: Instrument, value: Mapping[str, str]) -> bool:
    return any(
        value[i.id] == "yes"
        and (i.id in ACT_ITEMS or rule.ELEMENT_OF.get(i.dimension) == "recruitment")
        for i in instrument.indicators
    )


def _reasons(classification: str, child: bool, chosen: ListResult, incomplete: bool) -> list[str]:
    # Stable codes the explanation is built from, in the screener's language, elsewhere.
    reasons = [
        f"class.{classification}",
        "population.child" if child else "population.adult",
        f"list.{chosen.list}",
    ]
    reasons += [f"positive.{d}" for d, r in chosen.dimensions.items() if r.status == "positive"]
    if incomplete:
        reasons.append(f"could_be.{chosen.upper}")
    return reasons
