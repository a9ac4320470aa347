"""The instrument catalogue: versioned data files in ``screening/instruments/``, validated
when the app starts. A broken file stops start-up with a message naming the file and field.

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

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from core import i18n, settings

LANGUAGES = i18n.LANGUAGES  # every instrument has its wordings in each
VARIANTS = ("fr-f",)  # a feminine French wording, where it differs
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
SLUG = re.compile(r"[a-z][a-z0-9_-]{1,63}")
DIRECTORY = Path(__file__).resolve().parent / "instruments"


class InstrumentError(ValueError):
    """A catalogue file is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class Texts:
    """One text in every supported language, with a feminine French variant if it differs."""

    values: dict[str, str]

    def __getitem__(self, language: str) -> str:
        return self.values[language]

    def get(self, language: str, feminine: bool = False) -> str:
        """The text in ``language``; the feminine variant when asked for and there is one."""
        if feminine and f"{language}-f" in self.values:
            return self.values[f"{language}-f"]
        return self.values.get(language) or self.values["en"]


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


def _texts(value: Any, where: str) -> Texts:
    if (
        not isinstance(value, dict)
        or not set(LANGUAGES) <= set(value)
        or set(value) - {*LANGUAGES, *VARIANTS}
        or not all(isinstance(t, str) and t.strip() for t in value.values())
    ):
        raise InstrumentError(f"{where}: needs non-empty text in each of {', '.join(LANGUAGES)}")
    return Texts({language: text.strip() for language, text in value.items()})


def _choice(
    data: dict[str, Any], name: str, allowed: tuple[str, ...], where: str, optional: bool = False
) -> Any:
    value = data.get(name)
    if value is None and optional:
        return None
    if value not in allowed:
        raise InstrumentError(f"{where}.{name}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _flag(data: dict[str, Any], name: str, where: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise InstrumentError(f"{where}.{name}: must be true or false")
    return value


def _known(data: Any, fields: set[str], where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InstrumentError(f"{where}: must be an object")
    if set(data) - fields:
        raise InstrumentError(f"{where}: unknown fields {sorted(set(data) - fields)}")
    if not isinstance(data.get("id"), str) or not SLUG.fullmatch(data["id"]):
        raise InstrumentError(f"{where}.id: must be a lower-case slug")
    return data


def _grades(data: Any, where: str) -> dict[str, Grade]:
    if not isinstance(data, dict):
        raise InstrumentError(f"{where}: must be an object of list to grade")
    grades = {}
    for name, grade in data.items():
        if name not in LISTS:
            raise InstrumentError(f"{where}.{name}: not one of {', '.join(LISTS)}")
        if not isinstance(grade, dict) or set(grade) != {"grade", "verified"}:
            raise InstrumentError(f"{where}.{name}: needs grade and verified")
        grades[name] = Grade(
            GRADES[_choice(grade, "grade", tuple(GRADES), f"{where}.{name}")],
            _choice(grade, "verified", VERIFICATION, f"{where}.{name}"),
        )
    return grades


INDICATOR_FIELDS = {
    "id",
    "dimension",
    "phase",
    "grades",
    "red_flag",
    "sensitive",
    "forced_labour",
    "htcds",
    "label",
    "question",
    "note",
}


def _indicator(data: Any, where: str) -> Indicator:
    data = _known(data, INDICATOR_FIELDS, where)
    where = f"{where} ({data['id']})"
    dimension = _choice(data, "dimension", DIMENSIONS, where)
    grades = _grades(data.get("grades", {}), f"{where}.grades")
    if grades and dimension not in TRAFFICKING_DIMENSIONS:
        raise InstrumentError(f"{where}.grades: only trafficking indicators are graded")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise InstrumentError(f"{where}.note: must be text")
    return Indicator(
        id=data["id"],
        dimension=dimension,
        phase=_choice(data, "phase", PHASES, where),
        grades=grades,
        red_flag=_flag(data, "red_flag", where),
        sensitive=_flag(data, "sensitive", where),
        forced_labour=_choice(data, "forced_labour", FORCED_LABOUR, where, optional=True),
        htcds=_choice(data, "htcds", HTCDS_CONTROL, where, optional=True),
        label=_texts(data.get("label"), f"{where}.label"),
        question=_texts(data.get("question"), f"{where}.question"),
        note=note,
    )


def _concept(data: Any, where: str) -> Concept:
    data = _known(data, {"id", "phases", "label", "question"}, where)
    where = f"{where} ({data['id']})"
    phases = data.get("phases")
    if (
        not isinstance(phases, dict)
        or not phases
        or set(phases) - set(WHEN)
        or not all(
            isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids)
            for ids in phases.values()
        )
    ):
        raise InstrumentError(f"{where}.phases: must map {', '.join(WHEN)} to indicator ids")
    return Concept(
        data["id"],
        {w: tuple(phases[w]) for w in WHEN if w in phases},
        _texts(data.get("label"), f"{where}.label"),
        _texts(data.get("question"), f"{where}.question"),
    )


GATE_FIELDS = {
    "id",
    "block",
    "kind",
    "members",
    "followups",
    "after",
    "always",
    "condition",
    "flag_on",
    "question",
    "help",
}


def _ids(data: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InstrumentError(f"{where}.{name}: must be a list of ids")
    return tuple(value)


def _gate(data: Any, where: str) -> Gate:
    data = _known(data, GATE_FIELDS, where)
    where = f"{where} ({data['id']})"
    kind = _choice(data, "kind", KINDS, where)
    members = _ids(data, "members", where)
    if kind in ("safety", "strong", "concept") and len(members) != 1:
        raise InstrumentError(f"{where}.members: a {kind} gate asks exactly one member")
    flag_on = _ids(data, "flag_on", where) or (("yes",) if kind == "safety" else ())
    followups = _ids(data, "followups", where)
    after = data.get("after", {})
    if (
        not isinstance(after, dict)
        or not set(after) <= set(followups)
        or not all(parent in members for parent in after.values())
    ):
        raise InstrumentError(f"{where}.after: must map follow-ups to members of the gate")
    return Gate(
        id=data["id"],
        block=_choice(data, "block", BLOCKS, where),
        kind=kind,
        members=members,
        followups=followups,
        after=dict(after),
        always=_flag(data, "always", where) or kind in ("safety", "concept", "filter"),
        condition=_choice(data, "condition", CONDITIONS, where, optional=True),
        flag_on=flag_on,
        question=_texts(data.get("question"), f"{where}.question"),
        help=_texts(data["help"], f"{where}.help") if data.get("help") else None,
    )


def _placed(
    indicators: tuple[Indicator, ...],
    concepts: dict[str, Concept],
    gates: tuple[Gate, ...],
    source: str,
) -> tuple[Indicator, ...]:
    """Each indicator with its gate, concept and follow-up parent, checking that it sits in
    exactly one gate and that a red flag sits only where it is always asked."""
    by_id = {i.id: i for i in indicators}
    placed: dict[str, dict[str, Any]] = {}

    def place(indicator_id: str, gate: Gate, **how: Any) -> None:
        if indicator_id not in by_id:
            raise InstrumentError(f"{source}.gates ({gate.id}): unknown indicator {indicator_id!r}")
        earlier = placed.get(indicator_id)
        if earlier and earlier["gate"] != gate.id:
            raise InstrumentError(
                f"{source}.indicators ({indicator_id}): in two gates, "
                f"{earlier['gate']} and {gate.id}"
            )
        if by_id[indicator_id].red_flag and not gate.always:
            raise InstrumentError(
                f"{source}.gates ({gate.id}): red flag {indicator_id} in a "
                "gate that is not always asked"
            )
        placed.setdefault(indicator_id, {"gate": gate.id, **how})

    for gate in gates:
        for member in gate.members:
            if member in concepts:
                for indicator_id in concepts[member].indicators:
                    place(indicator_id, gate, concept=member)
            else:
                place(member, gate)
        for followup in gate.followups:
            parent = gate.after.get(followup)
            if parent and (parent not in by_id or by_id[parent].trafficking):
                # A red flag must be asked whenever its parent is not "no": its parent is
                # never skipped, so it cannot be an item the relevance rule may skip.
                raise InstrumentError(
                    f"{source}.gates ({gate.id}).after: {parent} may be "
                    "skipped; a follow-up needs a parent always asked"
                )
            place(followup, gate, followup_of=parent or gate.id)
    missing = sorted(set(by_id) - set(placed))
    if missing:
        raise InstrumentError(f"{source}.indicators: in no gate: {missing}")
    return tuple(Indicator(**{**i.__dict__, **placed[i.id]}) for i in indicators)


def _unique(ids: list[str], where: str) -> None:
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InstrumentError(f"{where}: duplicate ids {duplicates}")


INSTRUMENT_FIELDS = {
    "id",
    "version",
    "rules",
    "title",
    "population",
    "lists",
    "when",
    "gates",
    "concepts",
    "indicators",
}


def parse(data: Any, source: str) -> Instrument:
    """Validate one instrument's data; raise :class:`InstrumentError` naming ``source``."""
    if not isinstance(data, dict):
        raise InstrumentError(f"{source}: must hold a JSON object")
    unknown = set(data) - INSTRUMENT_FIELDS
    if unknown:
        raise InstrumentError(f"{source}: unknown fields {sorted(unknown)}")
    for name in ("id", "version", "rules"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise InstrumentError(f"{source}.{name}: required text")
    population = _choice(data, "population", POPULATIONS, source)
    lists = data.get("lists")
    expected = {e: f"{population}_{e}" for e in EXPLOITATION_TYPES}
    if lists != expected:
        raise InstrumentError(f"{source}.lists: must name {' and '.join(expected.values())}")
    for name in ("indicators", "gates"):
        if not isinstance(data.get(name), list) or not data[name]:
            raise InstrumentError(f"{source}.{name}: must be a non-empty list")
    indicators = tuple(
        _indicator(item, f"{source}.indicators[{n}]") for n, item in enumerate(data["indicators"])
    )
    _unique([i.id for i in indicators], f"{source}.indicators")
    for indicator in indicators:
        foreign = set(indicator.grades) - set(lists.values())
        if foreign:
            raise InstrumentError(
                f"{source}.indicators ({indicator.id}).grades: "
                f"{sorted(foreign)} belong to another population"
            )
    raw_concepts = data.get("concepts", [])
    if not isinstance(raw_concepts, list):
        raise InstrumentError(f"{source}.concepts: must be a list")
    concepts = {
        c.id: c
        for c in (_concept(item, f"{source}.concepts[{n}]") for n, item in enumerate(raw_concepts))
    }
    _unique([c["id"] for c in raw_concepts], f"{source}.concepts")
    gates = tuple(_gate(item, f"{source}.gates[{n}]") for n, item in enumerate(data["gates"]))
    _unique([g.id for g in gates], f"{source}.gates")
    when = data.get("when")
    if not isinstance(when, dict) or set(when) != {"question", *WHEN}:
        raise InstrumentError(f"{source}.when: needs question, {', '.join(WHEN)}")
    return Instrument(
        id=data["id"],
        version=data["version"],
        rules=data["rules"],
        title=_texts(data.get("title"), f"{source}.title"),
        population=population,
        labour_list=lists[LABOUR],
        sexual_list=lists[SEXUAL],
        indicators=_placed(indicators, concepts, gates, source),
        concepts=concepts,
        gates=gates,
        when={k: _texts(v, f"{source}.when.{k}") for k, v in when.items()},
    )


def load_catalogue(directory: Path = DIRECTORY) -> dict[str, Instrument]:
    """Every instrument in ``directory``, by id."""
    catalogue: dict[str, Instrument] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InstrumentError(f"{path.name}: not readable JSON ({error})") from error
        instrument = parse(data, path.name)
        if instrument.id in catalogue:
            raise InstrumentError(f"{path.name}: instrument id {instrument.id!r} used twice")
        catalogue[instrument.id] = instrument
    if not catalogue:
        raise InstrumentError(f"no instruments in {directory}")
    return catalogue


def init_app(app: Flask) -> None:
    """Load and validate the catalogue; a broken file stops start-up here."""
    app.extensions["passage.instruments"] = load_catalogue(
        Path(settings.of(app).instruments_path or DIRECTORY)
    )


def for_population(child: bool) -> str:
    """The id of the instrument for a person presumed a minor (``child``) or not."""
    return CHILD if child else ADULT


def catalogue() -> dict[str, Instrument]:
    """The current app's instruments, by id."""
    instruments: dict[str, Instrument] = current_app.extensions["passage.instruments"]
    return instruments
