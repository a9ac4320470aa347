"""The values of the HTCDS 2.0 export (docs/reporting.md §5): how Passage's recorded values
become the field sheet's values (gender, trafficking status, methods of control, type of
exploitation, relationship to the trafficker, case status), the ISO code tables for countries
and languages, and the ``;`` join of multi-select cells. Functions of plain values; an empty
result means "no information", never "no".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from reporting import ctdc
from screening.instruments import HTCDS_CONTROL

SEPARATOR = ";"  # how HTCDS joins the values of a multi-select field
EMPTY = ""

GENDER = {
    "female": "Feminine",
    "male": "Masculine",
    "other": "NonConforming",
    "unknown": "NonSpecifiedUnknown",
}
# A screening indicates; it never decides that someone is, or is not, a victim.
POSSIBLE_VICTIM = "PossibleVictimOfTrafficking"
TRAFFICKING = ("likely_trafficking", "possible_trafficking")
# Passage asks about restricted movement; HTCDS has no such value, so it is exported as
# Other and, to keep what Other stands for, in an extension column of its own.
RESTRICTS_MOVEMENT = "RestrictsMovement"
# The field sheet's methods of control: the catalogue's tags in their order, Other in place
# of Passage's own restricted movement.
METHODS_OF_CONTROL = (*(v for v in HTCDS_CONTROL if v != RESTRICTS_MOVEMENT), "Other")
EXTENSION_MOVEMENT = "passage_RestrictsMovement"
EXPLOITATION = {"labour": "ForcedLabour", "sexual": "SexualExploitation"}
ILLICIT = "Other"  # made to commit crimes: HTCDS has no forced-criminality value
FAMILIAL, ACQUAINTED = "Familial", "Acquainted"
CASE_STATUS = {
    "active": "Active",
    "follow_up": "FollowUp",
    "closed": "Closed",
    "closed_referred": "ClosedReferred",
}
MERGED = "merged"  # a merged case lives on in the case it was merged into: not exported
REFERRAL_REASON = "AdditionalServicesRequired"
CONSENT = {True: "TRUE", False: "FALSE"}

# Kosovo has no ISO 3166-1 code. XK, the user-assigned code the EU uses and Passage's forms
# suggest, goes to partners as recorded: they need the person's nationality, and an importer
# that knows no XK can still read it (CTDC's file, which wants alpha-3, leaves it NULL).
USER_ASSIGNED = frozenset({"XK"})
DATA = Path(__file__).resolve().parent / "data"


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
    return [
        value
        for value in METHODS_OF_CONTROL
        if (other if value == "Other" else moc.get(value) == 1)
    ]


def type_of_exploitation(
    classification: str | None, exploitation: str | None, illicit: Any
) -> list[str]:
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
    return [
        value for value, flag in ((FAMILIAL, rel_family), (ACQUAINTED, rel_partner)) if flag == 1
    ]


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


def language_code_system() -> str:
    """How ``datadictionary.json`` describes the language codes: ISO 639-2/T, and the
    ISO 639-2/B code of every language whose two codes differ."""
    differing = ", ".join(
        f"{language(code)}/{bibliographic}"
        for code, bibliographic in sorted(_iso639("bibliographic_where_different").items())
    )
    return f"ISO 639-2/T (terminologic); ISO 639-2/B differs for {differing}"
