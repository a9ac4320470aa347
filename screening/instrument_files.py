"""Reading the instrument files: each ``screening/instruments/*.json`` is checked field by
field when the app starts (ids, texts in every language, grades and their verification,
gates, the red-flag placement rule of docs/screening.md), so a broken file stops start-up
with a message naming the file and the field. The shapes it builds live in
:mod:`screening.instruments`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flask import Flask

from core import settings
from screening.instruments import (
    BLOCKS,
    CONDITIONS,
    DIMENSIONS,
    EXPLOITATION_TYPES,
    FORCED_LABOUR,
    GRADES,
    HTCDS_CONTROL,
    KINDS,
    LABOUR,
    LANGUAGES,
    LISTS,
    PHASES,
    POPULATIONS,
    SEXUAL,
    TRAFFICKING_DIMENSIONS,
    VARIANTS,
    VERIFICATION,
    WHEN,
    Concept,
    Gate,
    Grade,
    Indicator,
    Instrument,
    InstrumentError,
    Texts,
)

SLUG = re.compile(r"[a-z][a-z0-9_-]{1,63}")
DIRECTORY = Path(__file__).resolve().parent / "instruments"


def _texts(value: Any, where: str) -> Texts:
    if (
        not isinstance(value, dict)
        or not set(LANGUAGES) <= set(value)
        or set(value) - {*LANGUAGES, *VARIANTS}
        or not all(isinstance(t, str) and t.strip() for t in value.values())
    ):
        raise InstrumentError(f"{where}: needs non-empty text in each of {', '.join(LANGUAGES)}")
    young = {key for key in value if key.endswith("-y")}
    if young and young != {f"{language}-y" for language in LANGUAGES}:
        raise InstrumentError(f"{where}: a younger child's wording needs each of {LANGUAGES}")
    if {"fr-f", "fr-y"} <= set(value) and "fr-fy" not in value:
        raise InstrumentError(f"{where}: a feminine French text needs its younger variant fr-fy")
    if "fr-fy" in value and not {"fr-f", "fr-y"} <= set(value):
        raise InstrumentError(f"{where}: fr-fy is the feminine of fr-y, beside fr-f")
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
    exactly one gate (a red-flag follow-up may follow several) and that a red flag sits only
    where it is always asked."""
    by_id = {i.id: i for i in indicators}
    placed: dict[str, dict[str, Any]] = {}

    def place(indicator_id: str, gate: Gate, **how: Any) -> None:
        if indicator_id not in by_id:
            raise InstrumentError(f"{source}.gates ({gate.id}): unknown indicator {indicator_id!r}")
        earlier = placed.get(indicator_id)
        if (
            earlier
            and "followup_of" in earlier
            and "followup_of" in how
            and by_id[indicator_id].red_flag
        ):
            # A red-flag follow-up may follow more than one gate ("money demanded with
            # threats now?" after threats to the family and after a ransom on the way): it is
            # asked once, after the first that opens it, and placed at the first.
            return
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
