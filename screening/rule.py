"""The ILO/EC combination rule and the result classes (docs/screening.md §2.1),
as pure functions on counts, shared by the scoring and by the interview engine's relevance
rule.

A dimension is positive when its "yes" answers include two strong; or one strong and one
medium or weak; or three medium; or two medium and one weak. For a child, commercial sexual
exploitation is the exploitation element by itself: such an item counts as *sufficient*.
Every function here is monotone: more "yes" never lowers the outcome, which is what lets the
interview skip questions without changing the result (docs/screening.md §5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import product

RECRUITMENT = (
    "deceptive_recruitment",
    "coercive_recruitment",
    "recruitment_abuse_of_vulnerability",
)
EXPLOITATION = ("exploitative_conditions",)
DESTINATION = ("coercion_at_destination", "abuse_of_vulnerability_at_destination")
ELEMENTS = {"recruitment": RECRUITMENT, "exploitation": EXPLOITATION, "destination": DESTINATION}
ELEMENT_OF = {d: element for element, dims in ELEMENTS.items() for d in dims}
CLASSES = (
    "likely_trafficking",
    "possible_trafficking",
    "indicators_present",
    "smuggling_indicators",
    "no_indicators",
)
RANK = {name: len(CLASSES) - n for n, name in enumerate(CLASSES)}  # higher is stronger
WEIGHTS = ("sufficient", "strong", "medium", "weak")

Counts = tuple[int, int, int, int]  # sufficient, strong, medium, weak


def as_counts(values: Iterable[int]) -> Counts:
    """Four numbers in the order of :data:`WEIGHTS` (a ValueError for any other number)."""
    sufficient, strong, medium, weak = values
    return sufficient, strong, medium, weak


def counts(weights: Iterable[str | None]) -> Counts:
    """How many of each weight; ungraded items (None) do not count."""
    listed = list(weights)
    return as_counts(listed.count(w) for w in WEIGHTS)


def clause_for(c: Counts) -> str | None:
    """The first clause of the combination rule these "yes" counts meet, or None."""
    sufficient, strong, medium, weak = c
    if sufficient:
        return "child_sexual_exploitation"
    if strong >= 2:
        return "two_strong"
    if strong >= 1 and medium + weak >= 1:
        return "strong_and_medium_or_weak"
    if medium >= 3:
        return "three_medium"
    if medium >= 2 and weak >= 1:
        return "two_medium_and_weak"
    return None


def _plus(a: Counts, b: Counts) -> Counts:
    return as_counts(x + y for x, y in zip(a, b, strict=True))


def pivotal(yes: Counts, open_: Counts, weight: str | None) -> bool:
    """Whether one more "yes" of ``weight`` can decide the dimension: some choice of the
    open answers as yes leaves it negative and adding this one makes it positive."""
    if weight is None:
        return False
    one = as_counts(int(w == weight) for w in WEIGHTS)
    for extra in product(*(range(n + 1) for n in open_)):
        base = _plus(yes, as_counts(extra))
        if clause_for(base) is None and clause_for(_plus(base, one)) is not None:
            return True
    return False


def elements(positive: Mapping[str, bool]) -> dict[str, bool]:
    """Each element is positive when one of its dimensions is."""
    return {name: any(positive[d] for d in dims) for name, dims in ELEMENTS.items()}


def classify(
    positive: Mapping[str, bool], child: bool, trafficking_yes: bool, smuggling: bool
) -> str:
    """The class of a set of positive dimensions (docs/screening.md §2.1)."""
    met = elements(positive)
    if met["exploitation"] and (child or (met["recruitment"] and met["destination"])):
        return "likely_trafficking"
    if child and (met["recruitment"] or met["destination"]):
        return "possible_trafficking"
    if not child and sum(met.values()) >= 2:
        return "possible_trafficking"
    if trafficking_yes:
        return "indicators_present"
    if smuggling:
        return "smuggling_indicators"
    return "no_indicators"


def settle(lower: str, upper: str) -> tuple[str, bool]:
    """The class to report and whether it is incomplete, from the class of the "yes" answers
    and the class if every open answer were yes: open answers that could make trafficking
    likely make it at least possible."""
    incomplete = lower != upper
    if upper == "likely_trafficking" and RANK[lower] < RANK["possible_trafficking"]:
        return "possible_trafficking", incomplete
    return lower, incomplete


def route(classification: str, child: bool, any_yes: bool, red_flag: bool) -> str:
    """Where the case goes first."""
    if child and any_yes:
        return "child_protection"
    if red_flag:
        return "emergency"
    return {
        "likely_trafficking": "specialised_assistance",
        "possible_trafficking": "specialised_assistance",
        "indicators_present": "follow_up",
        "smuggling_indicators": "migrant_protection",
    }.get(classification, "none")
