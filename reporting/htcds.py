"""The HTCDS 2.0 export: IOM's Human Trafficking Case Data Standard as one CSV file per table
(``person.csv``, ``victim_context.csv``, ``case.csv``, ``referral.csv``) with field-sheet
column names, and ``datadictionary.json`` describing every column (docs/reporting.md §5).

Everything here works on ``ExportRecords``: plain values the caller has already filtered, with
identifying fields (names, birth date) present only where the person's consent covers the
recipient. Ids in the files are random and new in every export; database ids, notes and free
text never reach a file. An empty cell means "no information", never "no".

Here are the records the caller hands in, the per-export ids, the rows, the data dictionary
and the file writer ``export``; the value mappings and code tables are in
``reporting/htcds_values.py``.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import secrets
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from core.csvcells import safe_cell
from reporting.htcds_values import (
    ACQUAINTED,
    CASE_STATUS,
    CONSENT,
    DATA,
    EMPTY,
    EXPLOITATION,
    EXTENSION_MOVEMENT,
    FAMILIAL,
    GENDER,
    ILLICIT,
    METHODS_OF_CONTROL,
    POSSIBLE_VICTIM,
    REFERRAL_REASON,
    RESTRICTS_MOVEMENT,
    SEPARATOR,
    case_status,
    country,
    gender,
    join,
    language,
    language_code_system,
    methods_of_control,
    relationship,
    trafficking_status,
    type_of_exploitation,
)
from screening.services import SERVICES

HTCDS_VERSION = "2.0"

PERSON_ID, CASE_ID = "passage_PersonId", "passage_CaseId"
FILES: dict[str, tuple[str, ...]] = {
    "person.csv": (
        PERSON_ID,
        "prs_FirstName",
        "prs_SecondName",
        "prs_Birthdate",
        "prs_Gender",
        "prs_Citizenship",
        "prs_PrimaryLanguage",
        "prs_SecondaryLanguage",
        "con_Consent",
    ),
    "victim_context.csv": (
        PERSON_ID,
        "vic_TraffickingStatus",
        "vic_MethodsOfControl",
        EXTENSION_MOVEMENT,
        "vic_TypeOfExploitation",
        "vic_RelationshipToTrafficker",
    ),
    "case.csv": (CASE_ID, PERSON_ID, "cas_Status", "cas_CaseOwner"),
    "referral.csv": (
        CASE_ID,
        "cas_ReferredOrganisation",
        "cas_OutgoingReferralDate",
        "cas_ReasonForOutgoingReferral",
        "cas_OutgoingReferralDetails",
    ),
}
DICTIONARY = "datadictionary.json"


# --- what the caller hands in ---------------------------------------------------------------


@dataclass(frozen=True)
class VictimRecord:
    """The victim context of a person, from their latest completed screening; the flags are
    1 (yes), 0 (asked, all no) or None (no information), as in the statistics facts."""

    classification: str | None
    exploitation: str | None = None
    moc: Mapping[str, int | None] = field(default_factory=dict, repr=False)
    illicit: int | None = field(default=None, repr=False)
    rel_partner: int | None = field(default=None, repr=False)
    rel_family: int | None = field(default=None, repr=False)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> VictimRecord:
        """Take the victim-context keys from a mapping shaped like a statistics fact."""
        return cls(
            values.get("classification"),
            values.get("exploitation"),
            values.get("moc") or {},
            values.get("illicit"),
            values.get("rel_partner"),
            values.get("rel_family"),
        )


@dataclass(frozen=True)
class PersonRecord:
    """A person as this recipient may see them. ``key`` is the caller's handle (a database
    id, say): it links the records and is never written. Names and birth date are None
    unless the person's consent shares them with this recipient."""

    key: Hashable
    sex: str | None = field(default=None, repr=False)
    nationality: str | None = field(default=None, repr=False)
    languages: Sequence[str] = field(default=(), repr=False)
    consent: bool = field(default=False, repr=False)
    first_name: str | None = field(default=None, repr=False)
    second_name: str | None = field(default=None, repr=False)
    birth_date: date | None = field(default=None, repr=False)
    victim: VictimRecord | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # The database keeps languages as "en,fr"; a string here would be read letter by letter.
        if isinstance(self.languages, str):
            raise TypeError("languages must be a sequence of codes, not a string")


@dataclass(frozen=True)
class CaseRecord:
    """A case: its handle, its person's handle, ``status`` (open, merged, closed) and the
    owner's handle, which is pseudonymised like every other id."""

    key: Hashable
    person_key: Hashable
    status: str
    owner_key: Hashable


@dataclass(frozen=True)
class ReferralRecord:
    """An outgoing referral: the case's handle, the receiving partner organisation's name,
    when it was sent (aware datetime) and the services asked for; never the note."""

    case_key: Hashable
    partner: str
    created_at: datetime
    services: Sequence[str] = ()

    def __post_init__(self) -> None:
        if isinstance(self.services, str):
            raise TypeError("services must be a sequence of service names, not a string")


@dataclass(frozen=True)
class ExportRecords:
    """Everything one export holds, already filtered for its recipient."""

    people: Sequence[PersonRecord] = ()
    cases: Sequence[CaseRecord] = ()
    referrals: Sequence[ReferralRecord] = ()


class Pseudonyms:
    """Random ids for one export: the same handle of the same kind gets the same id within
    the export, and a fresh ``Pseudonyms`` (a new export) gives it another one."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, Hashable], str] = {}
        self._issued: set[str] = set()

    def __repr__(self) -> str:
        return f"<Pseudonyms {len(self._ids)} issued>"

    def of(self, kind: str, key: Hashable) -> str:
        """The id of ``key`` among ``kind`` (person, case, user) in this export."""
        if (kind, key) not in self._ids:
            token = secrets.token_hex(8)
            while token in self._issued:  # 64 random bits: only to be sure, never in practice
                token = secrets.token_hex(8)
            self._issued.add(token)
            self._ids[(kind, key)] = token
        return self._ids[(kind, key)]


# --- rows -----------------------------------------------------------------------------------


def _flag(value: Any) -> str:
    return "1" if value == 1 else EMPTY


def _person_row(person: PersonRecord, ids: Pseudonyms) -> list[str]:
    primary, secondary = [*person.languages, None, None][:2]
    return [
        ids.of("person", person.key),
        person.first_name or EMPTY,
        person.second_name or EMPTY,
        person.birth_date.isoformat() if person.birth_date else EMPTY,
        gender(person.sex),
        country(person.nationality) or EMPTY,
        language(primary) or EMPTY,
        language(secondary) or EMPTY,
        CONSENT[bool(person.consent)],
    ]


def _victim_row(person: PersonRecord, victim: VictimRecord, ids: Pseudonyms) -> list[str]:
    return [
        ids.of("person", person.key),
        trafficking_status(victim.classification),
        join(methods_of_control(victim.moc)),
        _flag(victim.moc.get(RESTRICTS_MOVEMENT)),
        join(type_of_exploitation(victim.classification, victim.exploitation, victim.illicit)),
        join(relationship(victim.rel_family, victim.rel_partner)),
    ]


def _case_row(case: CaseRecord, status: str, ids: Pseudonyms) -> list[str]:
    return [
        ids.of("case", case.key),
        ids.of("person", case.person_key),
        status,
        ids.of("user", case.owner_key),
    ]


def _referral_row(referral: ReferralRecord, ids: Pseudonyms) -> list[str]:
    if referral.created_at.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    # Only the services vocabulary may travel here, never words someone typed; and the
    # message does not repeat them, since an exception may end up in a log.
    if not set(referral.services) <= set(SERVICES):
        raise ValueError("a referral lists something that is not a service")
    return [
        ids.of("case", referral.case_key),
        referral.partner,
        referral.created_at.astimezone(UTC).date().isoformat(),
        REFERRAL_REASON,
        join(service for service in SERVICES if service in referral.services),
    ]


def _check_links(records: ExportRecords) -> None:
    people = {person.key for person in records.people}
    cases = {case.key for case in records.cases}
    if len(people) < len(records.people) or len(cases) < len(records.cases):
        raise ValueError("a person or a case appears twice in the export")
    if any(case.person_key not in people for case in records.cases):
        raise ValueError("a case refers to a person who is not in the export")
    if any(referral.case_key not in cases for referral in records.referrals):
        raise ValueError("a referral refers to a case that is not in the export")


def tables(records: ExportRecords, ids: Pseudonyms) -> dict[str, list[list[str]]]:
    """The rows of every CSV file (without headers), each table sorted by its random ids so
    that row order cannot link two exports either."""
    _check_links(records)
    statuses = {case.key: case_status(case.status) for case in records.cases}
    rows: dict[str, list[list[str]]] = {
        "person.csv": [_person_row(p, ids) for p in records.people],
        "victim_context.csv": [
            _victim_row(p, victim, ids) for p in records.people if (victim := p.victim) is not None
        ],
        "case.csv": [
            _case_row(c, status, ids)
            for c in records.cases
            if (status := statuses[c.key]) is not None
        ],
        "referral.csv": [
            _referral_row(r, ids) for r in records.referrals if statuses[r.case_key] is not None
        ],
    }
    return {name: sorted(table) for name, table in rows.items()}


# --- the data dictionary --------------------------------------------------------------------

NULL_RULE = (
    "An empty cell means no information: not asked, not known, declined, or not "
    "shared with this recipient. It never means no; Passage writes no value for "
    '"asked and answered no".'
)

# The allowed values of each column that has a fixed vocabulary, from the mappings in
# reporting/htcds_values.py; meanings and formats are in data/htcds_columns.json.
ALLOWED: dict[str, list[str]] = {
    "prs_Gender": [*GENDER.values()],
    "con_Consent": [*CONSENT.values()],
    "vic_TraffickingStatus": [POSSIBLE_VICTIM],
    "vic_MethodsOfControl": [*METHODS_OF_CONTROL],
    EXTENSION_MOVEMENT: ["1"],
    "vic_TypeOfExploitation": [*EXPLOITATION.values(), ILLICIT],
    "vic_RelationshipToTrafficker": [FAMILIAL, ACQUAINTED],
    "cas_Status": [*CASE_STATUS.values()],
    "cas_ReasonForOutgoingReferral": [REFERRAL_REASON],
    "cas_OutgoingReferralDetails": [*SERVICES],
}


@cache
def _column_texts() -> dict[str, list[dict[str, Any]]]:
    with (DATA / "htcds_columns.json").open(encoding="utf-8") as handle:
        texts: dict[str, list[dict[str, Any]]] = json.load(handle)
    return texts


def _column(text: Mapping[str, Any]) -> dict[str, Any]:
    values = {"values": list(ALLOWED[text["name"]])} if text["name"] in ALLOWED else {}
    return {**copy.deepcopy(dict(text)), **values}


def data_dictionary(passage_version: str) -> dict[str, Any]:
    """The content of ``datadictionary.json``: versions, the NULL rule, code systems and every
    column of every file with its meaning and allowed values or format."""
    return {
        "htcds_version": HTCDS_VERSION,
        "passage_version": passage_version,
        "null_rule": NULL_RULE,
        "multi_select_separator": SEPARATOR,
        "csv": "UTF-8, comma-separated, CRLF line ends, RFC 4180 quoting; a cell that would "
        "start with =, +, -, @, tab or carriage return starts with an apostrophe",
        "codes": {
            "country": "ISO 3166-1 alpha-2, and XK (user-assigned) for Kosovo",
            "language": language_code_system(),
        },
        "ids": "Random per export: the same person has one id across the files of an export "
        "and another id in any other export; no database id is exported",
        "not_exported": "Notes, free text, answers, contact details, region",
        "files": {name: [_column(text) for text in _column_texts()[name]] for name in FILES},
    }


# --- writing --------------------------------------------------------------------------------


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _write_csv(path: Path, header: Sequence[str], rows: list[list[str]]) -> None:
    # "x": an export never overwrites an earlier file; 0600: only the service account reads it.
    with open(path, "x", newline="", encoding="utf-8", opener=_private) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([safe_cell(value) for value in row] for row in rows)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(records: ExportRecords, out_dir: Path, passage_version: str) -> dict[str, Any]:
    """Write the four CSV files and ``datadictionary.json`` into ``out_dir`` (created if
    needed; no file may exist yet) and return the manifest: per file name, ``rows`` (data
    rows; for the dictionary, the columns it describes) and the ``sha256`` of its bytes."""
    rows = tables(records, Pseudonyms())  # checks every link before anything is written
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    for name, header in FILES.items():
        _write_csv(out_dir / name, header, rows[name])
        manifest[name] = {"rows": len(rows[name]), "sha256": _sha256(out_dir / name)}
    dictionary = data_dictionary(passage_version)
    with open(out_dir / DICTIONARY, "x", newline="", encoding="utf-8", opener=_private) as handle:
        handle.write(json.dumps(dictionary, indent=1, ensure_ascii=False) + "\n")
    manifest[DICTIONARY] = {
        "rows": sum(len(cols) for cols in dictionary["files"].values()),
        "sha256": _sha256(out_dir / DICTIONARY),
    }
    return manifest
