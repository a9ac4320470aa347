"""The HTCDS 2.0 export: IOM's Human Trafficking Case Data Standard as one CSV file per table
(``person.csv``, ``victim_context.csv``, ``case.csv``, ``referral.csv``) with field-sheet
column names, and ``datadictionary.json`` describing every column (docs/reporting.md §5).

Everything here works on ``ExportRecords``: plain values the caller has already filtered, with
identifying fields (names, birth date) present only where the person's consent covers the
recipient. Ids in the files are random and new in every export; database ids, notes and free
text never reach a file. An empty cell means "no information", never "no".
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import secrets
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from core.csvcells import safe_cell
from reporting import ctdc
from screening.services import SERVICES

HTCDS_VERSION = "2.0"
SEPARATOR = ";"  # how HTCDS joins the values of a multi-select field
EMPTY = ""

GENDER = {"female": "Feminine", "male": "Masculine", "other": "NonConforming",
          "unknown": "NonSpecifiedUnknown"}
# A screening indicates; it never decides that someone is, or is not, a victim.
POSSIBLE_VICTIM = "PossibleVictimOfTrafficking"
TRAFFICKING = ("likely_trafficking", "possible_trafficking")
METHODS_OF_CONTROL = (
    "PhysicalThreats", "ThreatsLawEnforcement", "ThreatensChildrenFamily", "DebtBondage",
    "FalsePromises", "PhysicalAbuse", "SexualAbuse", "TakesEarnings",
    "RestrictsFinancialAccess", "RestrictsMedicalCare", "WithholdsNecessities",
    "PsychologicalAbuse", "PsychoactiveSubstance", "ExcessiveWorkingHours",
    "WithholdsDocuments", "Other",
)
# Passage asks about restricted movement; HTCDS has no such value, so it is exported as
# Other and, to keep what Other stands for, in an extension column of its own.
RESTRICTS_MOVEMENT = "RestrictsMovement"
EXTENSION_MOVEMENT = "passage_RestrictsMovement"
EXPLOITATION = {"labour": "ForcedLabour", "sexual": "SexualExploitation"}
ILLICIT = "Other"  # made to commit crimes: HTCDS has no forced-criminality value
FAMILIAL, ACQUAINTED = "Familial", "Acquainted"
CASE_STATUS = {"open": "Active", "closed": "Closed"}
MERGED = "merged"  # a merged case lives on in the case it was merged into: not exported
REFERRAL_REASON = "AdditionalServicesRequired"
CONSENT = {True: "TRUE", False: "FALSE"}

PERSON_ID, CASE_ID = "passage_PersonId", "passage_CaseId"
FILES: dict[str, tuple[str, ...]] = {
    "person.csv": (PERSON_ID, "prs_FirstName", "prs_SecondName", "prs_Birthdate",
                   "prs_Gender", "prs_Citizenship", "prs_PrimaryLanguage",
                   "prs_SecondaryLanguage", "con_Consent"),
    "victim_context.csv": (PERSON_ID, "vic_TraffickingStatus", "vic_MethodsOfControl",
                           EXTENSION_MOVEMENT, "vic_TypeOfExploitation",
                           "vic_RelationshipToTrafficker"),
    "case.csv": (CASE_ID, PERSON_ID, "cas_Status", "cas_CaseOwner"),
    "referral.csv": (CASE_ID, "cas_ReferredOrganisation", "cas_OutgoingReferralDate",
                     "cas_ReasonForOutgoingReferral", "cas_OutgoingReferralDetails"),
}
# Kosovo has no ISO 3166-1 code. XK, the user-assigned code the EU uses and Passage's forms
# suggest, goes to partners as recorded: they need the person's nationality, and an importer
# that knows no XK can still read it (CTDC's file, which wants alpha-3, leaves it NULL).
USER_ASSIGNED = frozenset({"XK"})
DICTIONARY = "datadictionary.json"
DATA = Path(__file__).resolve().parent / "data"


# --- value mappings -------------------------------------------------------------------------

@cache
def _iso639(part: str) -> dict[str, str]:
    """``terminologic`` (ISO 639-1 -> 639-2/T, complete) or ``bibliographic_where_different``
    (ISO 639-1 -> 639-2/B, for the 20 languages whose B code differs)."""
    with (DATA / "iso639.json").open(encoding="utf-8") as handle:
        table: dict[str, str] = json.load(handle)[part]
    return table


def language(code: str | None) -> str | None:
    """The ISO 639-2 code of an ISO 639-1 code, or None when missing or unknown.

    The terminologic (T) code, not the bibliographic (B) one: T codes are built from the
    language's own name, are the codes ISO 639-3 and BCP 47 use (which forbid B codes), and
    are what current software and CLDR expect. The two differ for 20 languages only
    (``fra``/``fre``, ``deu``/``ger``, ``zho``/``chi``…); the data dictionary lists them.
    """
    return _iso639("terminologic").get(code) if code else None


def country(code: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code as given (HTCDS's XForm uses alpha-2 for citizenship), XK
    included, or None when missing or not a country."""
    return code if code in USER_ASSIGNED or ctdc.alpha3(code) else None


def gender(sex: str | None) -> str:
    """``prs_Gender`` from Passage's ``sex``; empty when not recorded at all."""
    return GENDER.get(sex or "", EMPTY)


def trafficking_status(classification: str | None) -> str:
    """``vic_TraffickingStatus``: possible victim when the screening found trafficking likely
    or possible, else empty (a screening never decides the other two values)."""
    return POSSIBLE_VICTIM if classification in TRAFFICKING else EMPTY


def methods_of_control(moc: Mapping[str, Any]) -> list[str]:
    """``vic_MethodsOfControl`` values, in field-sheet order, for the tags answered yes (1);
    restricted movement becomes ``Other``."""
    other = moc.get("Other") == 1 or moc.get(RESTRICTS_MOVEMENT) == 1
    return [value for value in METHODS_OF_CONTROL
            if (other if value == "Other" else moc.get(value) == 1)]


def type_of_exploitation(classification: str | None, exploitation: str | None,
                         illicit: Any) -> list[str]:
    """``vic_TypeOfExploitation``: the screened form of exploitation when trafficking was
    found likely or possible (otherwise it is only the list the interviewer chose to ask),
    and ``Other`` when the person was made to do illicit activities."""
    values = []
    if classification in TRAFFICKING and exploitation in EXPLOITATION:
        values.append(EXPLOITATION[exploitation])
    if illicit == 1:
        values.append(ILLICIT)
    return values


def relationship(rel_family: Any, rel_partner: Any) -> list[str]:
    """``vic_RelationshipToTrafficker``: ``Familial`` for a family-arranged recruitment,
    ``Acquainted`` for a partner or lover recruiter (both when both were answered yes)."""
    return [value for value, flag in ((FAMILIAL, rel_family), (ACQUAINTED, rel_partner))
            if flag == 1]


def case_status(status: str) -> str | None:
    """``cas_Status`` of a case, or None for a merged case, which is not exported."""
    if status == MERGED:
        return None
    if status not in CASE_STATUS:
        raise ValueError(f"unknown case status {status!r}")
    return CASE_STATUS[status]


def join(values: Iterable[str]) -> str:
    """A multi-select cell: the values joined with ``;`` (empty when there are none)."""
    return SEPARATOR.join(values)


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
        return cls(values.get("classification"), values.get("exploitation"),
                   values.get("moc") or {}, values.get("illicit"), values.get("rel_partner"),
                   values.get("rel_family"))


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
    return [ids.of("person", person.key), person.first_name or EMPTY,
            person.second_name or EMPTY,
            person.birth_date.isoformat() if person.birth_date else EMPTY,
            gender(person.sex), country(person.nationality) or EMPTY,
            language(primary) or EMPTY, language(secondary) or EMPTY,
            CONSENT[bool(person.consent)]]


def _victim_row(person: PersonRecord, victim: VictimRecord, ids: Pseudonyms) -> list[str]:
    return [ids.of("person", person.key), trafficking_status(victim.classification),
            join(methods_of_control(victim.moc)), _flag(victim.moc.get(RESTRICTS_MOVEMENT)),
            join(type_of_exploitation(victim.classification, victim.exploitation,
                                      victim.illicit)),
            join(relationship(victim.rel_family, victim.rel_partner))]


def _case_row(case: CaseRecord, status: str, ids: Pseudonyms) -> list[str]:
    return [ids.of("case", case.key), ids.of("person", case.person_key), status,
            ids.of("user", case.owner_key)]


def _referral_row(referral: ReferralRecord, ids: Pseudonyms) -> list[str]:
    if referral.created_at.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    # Only the services vocabulary may travel here, never words someone typed; and the
    # message does not repeat them, since an exception may end up in a log.
    if not set(referral.services) <= set(SERVICES):
        raise ValueError("a referral lists something that is not a service")
    return [ids.of("case", referral.case_key), referral.partner,
            referral.created_at.astimezone(UTC).date().isoformat(), REFERRAL_REASON,
            join(service for service in SERVICES if service in referral.services)]


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
        "victim_context.csv": [_victim_row(p, victim, ids) for p in records.people
                               if (victim := p.victim) is not None],
        "case.csv": [_case_row(c, status, ids) for c in records.cases
                     if (status := statuses[c.key]) is not None],
        "referral.csv": [_referral_row(r, ids) for r in records.referrals
                         if statuses[r.case_key] is not None],
    }
    return {name: sorted(table) for name, table in rows.items()}


# --- the data dictionary --------------------------------------------------------------------

NULL_RULE = ("An empty cell means no information: not asked, not known, declined, or not "
             "shared with this recipient. It never means no; Passage writes no value for "
             "\"asked and answered no\".")

# The allowed values of each column that has a fixed vocabulary, from the mappings above;
# meanings and formats are in data/htcds_columns.json.
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


def _language_codes() -> str:
    differing = ", ".join(f"{language(code)}/{bibliographic}" for code, bibliographic
                          in sorted(_iso639("bibliographic_where_different").items()))
    return f"ISO 639-2/T (terminologic); ISO 639-2/B differs for {differing}"


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
        "codes": {"country": "ISO 3166-1 alpha-2, and XK (user-assigned) for Kosovo",
                  "language": _language_codes()},
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
    with open(out_dir / DICTIONARY, "x", newline="", encoding="utf-8",
              opener=_private) as handle:
        handle.write(json.dumps(dictionary, indent=1, ensure_ascii=False) + "\n")
    manifest[DICTIONARY] = {"rows": sum(len(cols) for cols in dictionary["files"].values()),
                            "sha256": _sha256(out_dir / DICTIONARY)}
    return manifest
