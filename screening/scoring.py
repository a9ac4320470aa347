"""Scoring a screening: a pure function from instrument, answers and age to an explainable
result, following the ILO/EC combination rule as SCREENING.md states it.

A dimension is positive on two strong "yes" answers, or one strong and one medium or weak, or
three medium, or two medium and one weak. Adults: likely when a recruitment dimension,
exploitative conditions and a destination dimension are all positive. Children (under 18, and
anyone whose age is unknown): exploitative conditions alone suffice. Answers marked unknown or
declined are "could be yes": when counting them as yes would change the class, the result is
``incomplete``; when it would make trafficking likely, the class is at least possible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from screening.instruments import TRAFFICKING_DIMENSIONS, Indicator, Instrument

RULES_VERSION = "passage-scoring/1"
ANSWERS = ("yes", "no", "unknown", "declined")
RECRUITMENT = ("deceptive_recruitment", "coercive_recruitment",
               "recruitment_abuse_of_vulnerability")
EXPLOITATION = ("exploitative_conditions",)
DESTINATION = ("coercion_at_destination", "abuse_of_vulnerability_at_destination")
CLASSES = ("likely_trafficking", "possible_trafficking", "indicators_present",
           "smuggling_indicators", "no_indicators")


@dataclass(frozen=True)
class DimensionResult:
    """One dimension: positive or not, the clause that made it so, what fired."""

    status: str  # "positive" or "negative"
    clause: str | None
    fired: list[str]
    unanswered: list[str]
    could_be_positive: bool


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
    elements: dict[str, bool]
    smuggling_indicators: list[str]
    instrument: str
    instrument_version: str
    rules: str
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The result as stored and as the API returns it."""
        return asdict(self)


def clause_for(strong: int, medium: int, weak: int) -> str | None:
    """The first clause of the combination rule met by these counts of "yes", or None."""
    if strong >= 2:
        return "two_strong"
    if strong >= 1 and medium + weak >= 1:
        return "strong_and_medium_or_weak"
    if medium >= 3:
        return "three_medium"
    if medium >= 2 and weak >= 1:
        return "two_medium_and_weak"
    return None


def _counts(indicators: list[Indicator]) -> tuple[int, int, int]:
    return tuple(sum(1 for i in indicators if i.strength == s)  # type: ignore[return-value]
                 for s in ("strong", "medium", "weak"))


def _dimension(indicators: list[Indicator], answers: Mapping[str, str]) -> DimensionResult:
    fired = [i for i in indicators if answers.get(i.id) == "yes"]
    open_ = [i for i in indicators if answers.get(i.id, "unknown") in ("unknown", "declined")]
    clause = clause_for(*_counts(fired))
    return DimensionResult(
        status="positive" if clause else "negative", clause=clause,
        fired=[i.id for i in fired], unanswered=[i.id for i in open_],
        could_be_positive=clause is not None or clause_for(*_counts(fired + open_)) is not None)


def _likely(positive: Mapping[str, bool], child: bool) -> bool:
    exploitation = any(positive[d] for d in EXPLOITATION)
    if child:
        return exploitation
    return exploitation and any(positive[d] for d in RECRUITMENT) and \
        any(positive[d] for d in DESTINATION)


def _possible(positive: Mapping[str, bool], child: bool) -> bool:
    if child:
        return any(positive[d] for d in RECRUITMENT + DESTINATION)
    elements = (any(positive[d] for d in RECRUITMENT), any(positive[d] for d in EXPLOITATION),
                any(positive[d] for d in DESTINATION))
    return sum(elements) >= 2


def _classify(positive: Mapping[str, bool], child: bool, any_trafficking_yes: bool,
              any_smuggling_yes: bool) -> str:
    if _likely(positive, child):
        return "likely_trafficking"
    if _possible(positive, child):
        return "possible_trafficking"
    if any_trafficking_yes:
        return "indicators_present"
    if any_smuggling_yes:
        return "smuggling_indicators"
    return "no_indicators"


def _route(classification: str, child: bool, any_yes: bool, red_flag: bool) -> str:
    if child and any_yes:
        return "child_protection"
    if red_flag:
        return "emergency"
    return {"likely_trafficking": "specialised_assistance",
            "possible_trafficking": "specialised_assistance",
            "indicators_present": "follow_up",
            "smuggling_indicators": "migrant_protection"}.get(classification, "none")


def applicable(instrument: Instrument, exploitation: str | None) -> list[Indicator]:
    """The questions the instrument asks (its age group) of this exploitation type, if one
    was chosen; the others are skipped."""
    return [i for i in instrument.indicators
            if i.applies_to(instrument.population, exploitation)]


def score(instrument: Instrument, answers: Mapping[str, str], age: int | None,
          exploitation: str | None = None) -> Result:
    """Score ``answers`` (indicator id -> yes/no/unknown/declined) for a person of ``age``
    (None when unknown: minority is presumed). Unanswered applicable questions count as
    unknown; answers to questions that do not apply are ignored."""
    child = age is None or age < 18
    asked = applicable(instrument, exploitation)
    relevant = {i.id: answers.get(i.id, "unknown") for i in asked}
    by_dimension = {d: [i for i in asked if i.dimension == d] for d in TRAFFICKING_DIMENSIONS}
    dimensions = {d: _dimension(items, relevant) for d, items in by_dimension.items()}
    positive = {d: r.status == "positive" for d, r in dimensions.items()}
    could = {d: r.could_be_positive for d, r in dimensions.items()}
    said_yes = [i for i in asked if relevant[i.id] == "yes"]
    trafficking_yes = any(i.dimension in TRAFFICKING_DIMENSIONS for i in said_yes)
    smuggling_yes = [i.id for i in said_yes if i.dimension == "smuggling"]
    red_flags = [i.id for i in said_yes if i.red_flag]
    classification = _classify(positive, child, trafficking_yes, bool(smuggling_yes))
    open_ = [i for i in asked if relevant[i.id] in ("unknown", "declined")]
    upper = _classify(could, child, trafficking_yes or any(
        i.dimension in TRAFFICKING_DIMENSIONS for i in open_), bool(smuggling_yes) or any(
        i.dimension == "smuggling" for i in open_))
    incomplete = upper != classification
    if classification != "likely_trafficking" and upper == "likely_trafficking":
        classification = "possible_trafficking"
    any_yes = bool(said_yes)
    return Result(
        classification=classification, urgent=bool(red_flags) or (child and any_yes),
        incomplete=incomplete, smuggling=bool(smuggling_yes), child=child,
        red_flags=red_flags, route=_route(classification, child, any_yes, bool(red_flags)),
        dimensions=dimensions,
        elements={"recruitment": any(positive[d] for d in RECRUITMENT),
                  "exploitation": any(positive[d] for d in EXPLOITATION),
                  "destination": any(positive[d] for d in DESTINATION)},
        smuggling_indicators=smuggling_yes, instrument=instrument.id,
        instrument_version=instrument.version, rules=f"{RULES_VERSION}+{instrument.rules}",
        reasons=_reasons(classification, child, positive, upper))


def _reasons(classification: str, child: bool, positive: Mapping[str, bool],
             upper: str) -> list[str]:
    # Stable codes the explanation is built from, in the screener's language, elsewhere.
    reasons = [f"class.{classification}", "population.child" if child else "population.adult"]
    reasons += [f"positive.{d}" for d in TRAFFICKING_DIMENSIONS if positive[d]]
    if upper != classification:
        reasons.append(f"could_be.{upper}")
    return reasons
