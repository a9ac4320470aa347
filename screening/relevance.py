"""The relevance rule of the adaptive interview (docs/screening.md §4.2): whether a question
not yet answered can still change the result, under every list of grades that may apply.
An item that cannot is skipped as ``not_needed`` (rule a: its element is already positive;
b: the other elements leave it nothing to change; c: it is not pivotal in its dimension).
A pure function of the instrument and the values derived so far; the engine
(screening.engine) and the derivation (screening.derivation) ask it."""

from __future__ import annotations

from collections.abc import Mapping

from screening import rule
from screening.instruments import Indicator, Instrument
from screening.scoring import ACT_ITEMS, OPEN, Graded, graded, weight


def lists_for(instrument: Instrument, sexual: bool) -> list[str]:
    """The lists a result is scored under: labour, and sexual once its filter opened."""
    return [instrument.labour_list] + ([instrument.sexual_list] if sexual else [])


class Relevance:
    """The relevance rule (docs/screening.md §4.2): whether an unanswered trafficking item
    can still change the result, under every list that may apply."""

    def __init__(
        self, instrument: Instrument, values: Mapping[str, str], child: bool, sexual: bool
    ) -> None:
        self.instrument, self.child = instrument, child
        self.lists = lists_for(instrument, sexual)
        self.any_yes = any(
            values.get(i.id) == "yes" for i in instrument.indicators if i.trafficking
        )
        self.yes: dict[tuple[str, str], rule.Counts] = {}
        self.open: dict[tuple[str, str], Graded] = {}
        for name in self.lists:
            table = graded(instrument, name, child)
            for dimension in rule.ELEMENT_OF:
                items = table.get(dimension, ())
                self.yes[name, dimension] = rule.counts(
                    w for i, w in items if values.get(i.id) == "yes"
                )
                self.open[name, dimension] = tuple(
                    (i, w) for i, w in items if values.get(i.id, "unknown") in OPEN
                )
        # For a child, any "yes" to a recruitment item records the act, which the headline
        # needs (docs/screening.md §2.3): until one is recorded, none of them can be skipped.
        self.act_open = child and not any(
            values.get(i.id) == "yes"
            for i in instrument.indicators
            if i.id in ACT_ITEMS or rule.ELEMENT_OF.get(i.dimension) == "recruitment"
        )
        # The answers do not change while the rule is asked: each element's state is
        # worked out once, not once per unanswered item.
        self._elements: dict[tuple[str, str, str], bool] = {}

    def _positive(self, name: str, dimension: str) -> bool:
        return rule.clause_for(self.yes[name, dimension]) is not None

    def _alive(self, name: str, dimension: str) -> bool:
        upper = rule.counts(w for _, w in self.open[name, dimension])
        return (
            rule.clause_for(
                rule.as_counts(a + b for a, b in zip(self.yes[name, dimension], upper, strict=True))
            )
            is not None
        )

    def element(self, name: str, element: str, test: str) -> bool:
        known = self._elements.get((name, element, test))
        if known is None:
            dims = rule.ELEMENTS[element]
            if test == "positive":
                known = any(self._positive(name, d) for d in dims)
            else:
                known = not any(self._alive(name, d) for d in dims)  # dead
            self._elements[name, element, test] = known
        return known

    def why_not_needed(self, indicator: Indicator) -> str | None:
        """The clause (a, b or c) that makes an item unable to change the result under
        every list, or None when it is needed."""
        if not indicator.trafficking or not self.any_yes:
            return None
        reasons = [self._reason(indicator, name) for name in self.lists]
        given = [reason for reason in reasons if reason is not None]
        return sorted(given)[0] if len(given) == len(reasons) else None

    def _reason(self, indicator: Indicator, name: str) -> str | None:
        element = rule.ELEMENT_OF[indicator.dimension]
        if self.act_open and element == "recruitment":
            return None
        if self.element(name, element, "positive"):
            return "a"
        others = [e for e in rule.ELEMENTS if e != element]
        if not self.child and all(self.element(name, e, "dead") for e in others):
            return "b"
        if (
            self.child
            and element != "exploitation"
            and (
                self.element(name, "exploitation", "positive")
                or self.element(
                    name, others[0] if others[0] != "exploitation" else others[1], "positive"
                )
            )
        ):
            return "b"
        others_open = (w for i, w in self.open[name, indicator.dimension] if i.id != indicator.id)
        if not rule.pivotal(
            self.yes[name, indicator.dimension],
            rule.counts(others_open),
            weight(indicator, name, self.child),
        ):
            return "c"
        return None
