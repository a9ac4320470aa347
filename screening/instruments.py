"""The instrument catalogue: versioned data files in ``screening/instruments/``, validated
when the app starts. A broken file stops start-up with a message naming the file and field.

An instrument holds indicators keyed by (indicator, dimension, population, exploitation);
each carries its ILO/EC grade, the phase it asks about, optional forced-labour and HTCDS
tags, and a plain question in every supported language.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

LANGUAGES = ("en", "fr", "es")
TRAFFICKING_DIMENSIONS = (
    "deceptive_recruitment", "coercive_recruitment", "recruitment_abuse_of_vulnerability",
    "exploitative_conditions", "coercion_at_destination", "abuse_of_vulnerability_at_destination",
)
DIMENSIONS = (*TRAFFICKING_DIMENSIONS, "smuggling", "immediate_danger")
STRENGTHS = ("strong", "medium", "weak")
POPULATIONS = ("adult", "child", "any")
EXPLOITATION = ("labour", "sexual", "any")
PHASES = ("recruitment", "destination", "journey")
FORCED_LABOUR = (
    "abuse_of_vulnerability", "deception", "restriction_of_movement", "isolation",
    "physical_and_sexual_violence", "intimidation_and_threats", "retention_of_documents",
    "withholding_of_wages", "debt_bondage", "abusive_conditions", "excessive_overtime",
)
HTCDS_CONTROL = (
    "PhysicalThreats", "ThreatsLawEnforcement", "ThreatensChildrenFamily", "DebtBondage",
    "FalsePromises", "PhysicalAbuse", "SexualAbuse", "TakesEarnings",
    "RestrictsFinancialAccess", "RestrictsMedicalCare", "WithholdsNecessities",
    "PsychologicalAbuse", "PsychoactiveSubstance", "ExcessiveWorkingHours",
    "WithholdsDocuments", "RestrictsMovement",
)
SLUG = re.compile(r"[a-z][a-z0-9_-]{1,63}")
DIRECTORY = Path(__file__).resolve().parent / "instruments"


class InstrumentError(ValueError):
    """A catalogue file is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class Indicator:
    """One question and what a "yes" indicates."""

    id: str
    dimension: str
    strength: str
    population: str
    exploitation: str
    phase: str
    red_flag: bool
    sensitive: bool
    provisional: bool
    forced_labour: str | None
    htcds: str | None
    question: dict[str, str]

    def applies_to(self, population: str, exploitation: str | None) -> bool:
        """Whether the question is asked of this population ("any": everyone) and, when
        one is given, this exploitation type (skip logic by age and type)."""
        population_ok = population == "any" or self.population in ("any", population)
        return population_ok and (exploitation is None
                                  or self.exploitation in ("any", exploitation))

    def as_dict(self, language: str) -> dict[str, Any]:
        """The indicator as ``GET /api/v1/instruments`` lists it."""
        return {"id": self.id, "dimension": self.dimension, "strength": self.strength,
                "population": self.population, "exploitation": self.exploitation,
                "phase": self.phase, "red_flag": self.red_flag, "sensitive": self.sensitive,
                "provisional": self.provisional, "forced_labour": self.forced_labour,
                "htcds": self.htcds, "question": self.question[language]}


@dataclass(frozen=True)
class Instrument:
    """A versioned questionnaire and the rules version its results are computed with."""

    id: str
    version: str
    rules: str
    title: dict[str, str]
    population: str
    indicators: tuple[Indicator, ...]

    def indicator(self, indicator_id: str) -> Indicator | None:
        """The indicator with ``indicator_id``, if the instrument has it."""
        return next((i for i in self.indicators if i.id == indicator_id), None)

    def as_dict(self, language: str) -> dict[str, Any]:
        """The instrument as ``GET /api/v1/instruments`` lists it."""
        return {"id": self.id, "version": self.version, "rules": self.rules,
                "title": self.title[language], "population": self.population,
                "indicators": [i.as_dict(language) for i in self.indicators]}


def _texts(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != set(LANGUAGES) or not all(
            isinstance(t, str) and t.strip() for t in value.values()):
        raise InstrumentError(f"{where}: needs non-empty text in each of {', '.join(LANGUAGES)}")
    return {language: value[language].strip() for language in LANGUAGES}


def _choice(data: dict[str, Any], name: str, allowed: tuple[str, ...], where: str,
            optional: bool = False) -> Any:
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


def _indicator(data: Any, where: str) -> Indicator:
    if not isinstance(data, dict):
        raise InstrumentError(f"{where}: must be an object")
    if not isinstance(data.get("id"), str) or not SLUG.fullmatch(data["id"]):
        raise InstrumentError(f"{where}.id: must be a lower-case slug")
    where = f"{where} ({data['id']})"
    known = {"id", "dimension", "strength", "population", "exploitation", "phase", "red_flag",
             "sensitive", "provisional", "forced_labour", "htcds", "question"}
    if set(data) - known:
        raise InstrumentError(f"{where}: unknown fields {sorted(set(data) - known)}")
    return Indicator(
        id=data["id"], dimension=_choice(data, "dimension", DIMENSIONS, where),
        strength=_choice(data, "strength", STRENGTHS, where),
        population=_choice(data, "population", POPULATIONS, where),
        exploitation=_choice(data, "exploitation", EXPLOITATION, where),
        phase=_choice(data, "phase", PHASES, where),
        red_flag=_flag(data, "red_flag", where), sensitive=_flag(data, "sensitive", where),
        provisional=_flag(data, "provisional", where),
        forced_labour=_choice(data, "forced_labour", FORCED_LABOUR, where, optional=True),
        htcds=_choice(data, "htcds", HTCDS_CONTROL, where, optional=True),
        question=_texts(data.get("question"), f"{where}.question"))


def parse(data: Any, source: str) -> Instrument:
    """Validate one instrument's data; raise :class:`InstrumentError` naming ``source``."""
    if not isinstance(data, dict):
        raise InstrumentError(f"{source}: must hold a JSON object")
    unknown = set(data) - {"id", "version", "rules", "title", "population", "indicators"}
    if unknown:
        raise InstrumentError(f"{source}: unknown fields {sorted(unknown)}")
    for name in ("id", "version", "rules"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise InstrumentError(f"{source}.{name}: required text")
    indicators = data.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        raise InstrumentError(f"{source}.indicators: must be a non-empty list")
    parsed = tuple(_indicator(item, f"{source}.indicators[{n}]")
                   for n, item in enumerate(indicators))
    ids = [i.id for i in parsed]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InstrumentError(f"{source}.indicators: duplicate ids {duplicates}")
    return Instrument(id=data["id"], version=data["version"], rules=data["rules"],
                      title=_texts(data.get("title"), f"{source}.title"),
                      population=_choice(data, "population", POPULATIONS, source),
                      indicators=parsed)


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
        Path(app.config.get("INSTRUMENTS_PATH") or DIRECTORY))


def catalogue() -> dict[str, Instrument]:
    """The current app's instruments, by id."""
    return current_app.extensions["passage.instruments"]  # type: ignore[no-any-return]
