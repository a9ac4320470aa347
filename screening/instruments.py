"""The instrument catalogue: versioned data files in ``screening/instruments/``, read and
checked when the app starts (:mod:`screening.instrument_files`), and the shapes they hold.

An instrument holds indicators, concepts and gates (docs/screening.md):

- an *indicator* is one ILO/EC item: its dimension, the phase it asks about, a grade on each
  list it belongs to (``adult_labour``, ``adult_sexual``, ``child_labour``, ``child_sexual``)
  with how that grade was verified, tags, a short label and a plain question;
- a *concept* is one topic that sits in several phases (documents kept while recruited, on the
  way, at work): it is asked once, with "when?", and fills the indicators of each phase;
- a *gate* is one page of the interview: a safety question, a strong item asked directly, a
  concept, an umbrella over several members, or a filter that opens or closes a block.

Every indicator sits in exactly one gate (as a member, inside a member concept, or as a
red-flag follow-up); a red flag sits only in gates that are always asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from flask import current_app

from core import languages

T = TypeVar("T")
LANGUAGES = languages.LANGUAGES  # every instrument has its wordings in each
# Variants of a wording, where they differ: feminine French ("-f"), and for a younger child
# under 12 ("-y", in every language, with "fr-fy" where the French is gendered) in simpler
# words (docs/screening.md §8, "Wording for younger children").
VARIANTS = ("fr-f", *(f"{language}-y" for language in LANGUAGES), "fr-fy")
TRAFFICKING_DIMENSIONS = (
    "deceptive_recruitment",
    "coercive_recruitment",
    "recruitment_abuse_of_vulnerability",
    "exploitative_conditions",
    "coercion_at_destination",
    "abuse_of_vulnerability_at_destination",
)
DIMENSIONS = (*TRAFFICKING_DIMENSIONS, "smuggling", "immediate_danger")
STRENGTHS = ("strong", "medium", "weak")
GRADES = {"S": "strong", "M": "medium", "W": "weak"}
VERIFICATION = ("primary_checked", "secondary_only", "provisional")
POPULATIONS = ("adult", "child")
# Each population has its instrument, of the same id: the child's is for anyone presumed a
# minor (docs/screening.md, child safeguards).
ADULT, CHILD = POPULATIONS
# The forms of exploitation a screening asks about, each with a list of grades per population
# (the labour list always applies, the sexual one once its filter opened): the statistics and
# the HTCDS and CTDC exports read them from here.
EXPLOITATION_TYPES = ("labour", "sexual")
LABOUR, SEXUAL = EXPLOITATION_TYPES
LISTS = tuple(f"{p}_{e}" for p in POPULATIONS for e in EXPLOITATION_TYPES)
PHASES = ("recruitment", "destination", "journey")
WHEN = ("before", "way", "work")  # the answers to "when?": they pick a concept's indicators
KINDS = ("safety", "strong", "concept", "umbrella", "filter")
BLOCKS = ("safety", "work", "control", "start", "journey", "closing")
CONDITIONS = ("crossed_border", "sexual_filter_open", "control_not_all_no")
FORCED_LABOUR = (
    "abuse_of_vulnerability",
    "deception",
    "restriction_of_movement",
    "isolation",
    "physical_and_sexual_violence",
    "intimidation_and_threats",
    "retention_of_documents",
    "withholding_of_wages",
    "debt_bondage",
    "abusive_conditions",
    "excessive_overtime",
)
HTCDS_CONTROL = (
    "PhysicalThreats",
    "ThreatsLawEnforcement",
    "ThreatensChildrenFamily",
    "DebtBondage",
    "FalsePromises",
    "PhysicalAbuse",
    "SexualAbuse",
    "TakesEarnings",
    "RestrictsFinancialAccess",
    "RestrictsMedicalCare",
    "WithholdsNecessities",
    "PsychologicalAbuse",
    "PsychoactiveSubstance",
    "ExcessiveWorkingHours",
    "WithholdsDocuments",
    "RestrictsMovement",
)


class InstrumentError(ValueError):
    """A catalogue file is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class Texts:
    """One text in every supported language, with its variants where they differ
    (:data:`VARIANTS`)."""

    values: dict[str, str]

    def __getitem__(self, language: str) -> str:
        return self.values[language]

    def get(self, language: str, feminine: bool = False, young: bool = False) -> str:
        """The text in ``language``: for a younger child its simpler variant when there is
        one, feminine if asked for and there is one; otherwise the plain text."""
        variants = (["fy", "y"] if feminine else ["y"]) if young else []
        variants += ["f"] if feminine else []
        for variant in variants:
            if f"{language}-{variant}" in self.values:
                return self.values[f"{language}-{variant}"]
        return self.values.get(language) or self.values["en"]


@dataclass(frozen=True)
class Voice:
    """How one screening's questions are worded: in its language, with feminine French
    agreements for a woman or girl, in simpler words for a younger child."""

    language: str
    feminine: bool = False
    young: bool = False

    def say(self, texts: Texts) -> str:
        """``texts`` as this screening puts them."""
        return texts.get(self.language, self.feminine, self.young)


@dataclass(frozen=True)
class Grade:
    """An indicator's grade on one list, and how far that grade was checked."""

    strength: str
    verified: str


@dataclass(frozen=True)
class Indicator:
    """One question and what a "yes" indicates, on each list it belongs to."""

    id: str
    dimension: str
    phase: str
    grades: dict[str, Grade]
    red_flag: bool
    sensitive: bool
    forced_labour: str | None
    htcds: str | None
    label: Texts
    question: Texts
    note: str | None = None
    gate: str = ""
    concept: str | None = None
    followup_of: str | None = None

    @property
    def trafficking(self) -> bool:
        """Whether a "yes" counts towards a trafficking dimension."""
        return self.dimension in TRAFFICKING_DIMENSIONS

    def grade(self, list_name: str) -> str | None:
        """Strong, medium or weak on ``list_name``; None when not on that list."""
        grade = self.grades.get(list_name)
        return grade.strength if grade else None

    def as_dict(self, language: str, labour_list: str) -> dict[str, Any]:
        """The indicator as ``GET /api/v1/instruments`` lists it."""
        return {
            "id": self.id,
            "dimension": self.dimension,
            "strength": self.grade(labour_list),
            "grades": {
                name: {"strength": g.strength, "verified": g.verified}
                for name, g in self.grades.items()
            },
            "exploitation": SEXUAL if self.grades and labour_list not in self.grades else "any",
            "phase": self.phase,
            "red_flag": self.red_flag,
            "sensitive": self.sensitive,
            "provisional": any(g.verified == "provisional" for g in self.grades.values()),
            "forced_labour": self.forced_labour,
            "htcds": self.htcds,
            "gate": self.gate,
            "concept": self.concept,
            "followup_of": self.followup_of,
            "label": self.label[language],
            "question": self.question[language],
        }


@dataclass(frozen=True)
class Concept:
    """One topic asked once, with "when?": each answer picks the indicators it fills."""

    id: str
    phases: dict[str, tuple[str, ...]]
    label: Texts
    question: Texts

    @property
    def indicators(self) -> tuple[str, ...]:
        """Every indicator the concept fills, in order, once each."""
        return tuple(dict.fromkeys(i for ids in self.phases.values() for i in ids))


@dataclass(frozen=True)
class Gate:
    """One page of the interview."""

    id: str
    block: str
    kind: str
    members: tuple[str, ...]
    followups: tuple[str, ...]
    after: dict[str, str]  # a follow-up asked after one member, not after the whole gate
    always: bool
    condition: str | None
    flag_on: tuple[str, ...]
    question: Texts
    help: Texts | None


@dataclass(frozen=True)
class Instrument:
    """A versioned questionnaire and the rules version its results are computed with."""

    id: str
    version: str
    rules: str
    title: Texts
    population: str
    labour_list: str
    sexual_list: str
    indicators: tuple[Indicator, ...]
    concepts: dict[str, Concept]
    gates: tuple[Gate, ...]
    when: dict[str, Texts]

    @cached_property
    def _tables(self) -> dict[Any, Any]:
        return {}

    def remember(self, key: Any, build: Callable[[], T]) -> T:
        """``build()``, worked out once per instrument and kept with it under ``key``: tables
        other modules derive from it (the grades by list and dimension, each gate's items).
        An instrument never changes once loaded, and a submission would otherwise rebuild
        them hundreds of times (docs/architecture.md, Performance)."""
        if key not in self._tables:
            self._tables[key] = build()
        found: T = self._tables[key]
        return found

    def indicator(self, indicator_id: str) -> Indicator | None:
        """The indicator with ``indicator_id``, if the instrument has it."""
        return self.by_id.get(indicator_id)

    @cached_property
    def by_id(self) -> dict[str, Indicator]:
        """Every indicator by id."""
        return {i.id: i for i in self.indicators}

    def gate(self, gate_id: str) -> Gate | None:
        """The gate with ``gate_id``, if the instrument has it."""
        return next((g for g in self.gates if g.id == gate_id), None)

    def member_indicators(self, member: str) -> tuple[str, ...]:
        """The indicators a gate member stands for: a concept's, or the item itself."""
        concept = self.concepts.get(member)
        return concept.indicators if concept else (member,)

    def as_dict(self, language: str) -> dict[str, Any]:
        """The instrument as ``GET /api/v1/instruments`` lists it."""
        return {
            "id": self.id,
            "version": self.version,
            "rules": self.rules,
            "title": self.title[language],
            "population": self.population,
            "lists": [self.labour_list, self.sexual_list],
            "gates": [
                {
                    "id": g.id,
                    "block": g.block,
                    "kind": g.kind,
                    "members": list(g.members),
                    "followups": list(g.followups),
                    "always": g.always,
                    "condition": g.condition,
                    "question": g.question[language],
                }
                for g in self.gates
            ],
            "concepts": [
                {
                    "id": c.id,
                    "phases": {w: list(ids) for w, ids in c.phases.items()},
                    "label": c.label[language],
                    "question": c.question[language],
                }
                for c in self.concepts.values()
            ],
            "indicators": [i.as_dict(language, self.labour_list) for i in self.indicators],
        }


def for_population(child: bool) -> str:
    """The id of the instrument for a person presumed a minor (``child``) or not."""
    return CHILD if child else ADULT


def catalogue() -> dict[str, Instrument]:
    """The current app's instruments, by id."""
    instruments: dict[str, Instrument] = current_app.extensions["passage.instruments"]
    return instruments
