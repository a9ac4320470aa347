"""The CTDC contribution file: one row of the Counter Trafficking Data Collaborative's global
synthetic data layout (codebook v2, February 2024: 27 variables) per statistics fact
(docs/reporting.md §5).

Rows are built from fact rows only, never from people, screenings or cases, and they are
screening indications rather than identified victims: whoever sends the file says so. Every
value is either NULL (written as the empty string, meaning "no information") or a value of
the codebook; the binary variables are NULL or ``1`` and never ``0``, because CTDC reads NULL
as "not known" and Passage's 0 ("asked, all answered no") is not a finding CTDC can use.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from core.csvcells import safe_cell

DATA = Path(__file__).resolve().parent / "data"
NULL = ""
YES = "1"

# ageBroad as printed in codebook v2, with an em dash. The 2025 CSV spells the same bands
# differently ("0--8", "09--17", ...: two hyphens, the first number padded to two digits), so
# an importer comparing with that file must normalise; the codebook spelling is the one we
# write. Each band is (its lowest age, label); a band runs up to the next band's lowest age.
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "0—8"),
    (9, "9—17"),
    (18, "18—20"),
    (21, "21—23"),
    (24, "24—26"),
    (27, "27—29"),
    (30, "30—38"),
    (39, "39—47"),
    (48, "48+"),
)
AGE_LABELS = tuple(label for _, label in AGE_BANDS)

# The codebook's order. Variable 14 is "meansWithholdDocs" in the codebook's list and in the
# released CSV files, although its own description page calls it "meansWithholdDocuments".
VARIABLES: tuple[str, ...] = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "traffickMonths",
    "meansDebtBondageEarnings",
    "meansThreats",
    "meansAbusePsyPhySex",
    "meansFalsePromises",
    "meansDrugsAlcohol",
    "meansDenyBasicNeeds",
    "meansExcessiveWorkHours",
    "meansWithholdDocs",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "typeOfLabourAgriculture",
    "typeOfLabourConstruction",
    "typeOfLabourDomesticWork",
    "typeOfLabourHospitality",
    "typeOfSexProstitution",
    "typeOfSexPornography",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
)

GENDER = {"female": "Woman", "male": "Man", "other": "Trans/Transgender/NonConforming"}

# Codebook v2 merges HTCDS methods of control (its Appendix II); Passage's RestrictsMovement
# goes with the restrictions, as the codebook's definition of meansDenyBasicNeeds names
# "restrict movement". HTCDS "Other" has no CTDC variable (meansOfControlOther was dropped).
MEANS: dict[str, tuple[str, ...]] = {
    "meansDebtBondageEarnings": ("DebtBondage", "TakesEarnings"),
    "meansThreats": ("PhysicalThreats", "ThreatensChildrenFamily", "ThreatsLawEnforcement"),
    "meansAbusePsyPhySex": ("PsychologicalAbuse", "PhysicalAbuse", "SexualAbuse"),
    "meansFalsePromises": ("FalsePromises",),
    "meansDrugsAlcohol": ("PsychoactiveSubstance",),
    "meansDenyBasicNeeds": (
        "RestrictsFinancialAccess",
        "RestrictsMovement",
        "RestrictsMedicalCare",
        "WithholdsNecessities",
    ),
    "meansExcessiveWorkHours": ("ExcessiveWorkingHours",),
    "meansWithholdDocs": ("WithholdsDocuments",),
}

# A screening's exploitation is the list the interviewer chose to ask, not a finding: it
# only says what the person was exploited for when the screening found trafficking likely or
# possible.
TRAFFICKING = ("likely_trafficking", "possible_trafficking")
EXPLOITATION = {"labour": "isForcedLabour", "sexual": "isSexualExploit"}


def age_ctdc(age: int | None) -> str | None:
    """The CTDC ``ageBroad`` band of an age in whole years, or None when the age is unknown.

    Passage's own age bands cannot be turned into these (they cross at 8/9, 20/21, 23/24,
    26/27, 29/30, 38/39 and 47/48), so the facts writer calls this with the raw age.
    """
    if age is None:
        return None
    if age < 0:
        raise ValueError("an age cannot be negative")
    return next(label for lowest, label in reversed(AGE_BANDS) if age >= lowest)


@cache
def _alpha3_table() -> dict[str, str]:
    with (DATA / "iso3166.json").open(encoding="utf-8") as handle:
        table: dict[str, str] = json.load(handle)["alpha3"]
    return table


def alpha3(code: str | None) -> str | None:
    """The ISO 3166-1 alpha-3 code of an alpha-2 code, or None when the code is missing or is
    not an ISO 3166-1 country (user-assigned codes such as XK for Kosovo included)."""
    return _alpha3_table().get(code) if code else None


def _flag(value: Any) -> str:
    """``1`` for a 1, NULL for anything else: a 0 is "asked, all no", which CTDC cannot tell
    apart from not asked, so it is written as no information."""
    return YES if value == 1 else NULL


def _means(moc: Mapping[str, Any]) -> dict[str, str]:
    return {
        name: YES if any(moc.get(tag) == 1 for tag in tags) else NULL
        for name, tags in MEANS.items()
    }


def _exploitation(fact: Mapping[str, Any]) -> dict[str, str]:
    found = fact.get("classification") in TRAFFICKING
    chosen = EXPLOITATION.get(fact.get("exploitation") or "") if found else None
    flags = {name: YES if name == chosen else NULL for name in EXPLOITATION.values()}
    return {**flags, "isOtherExploit": _flag(fact.get("illicit"))}


def row(fact: Mapping[str, Any]) -> dict[str, str]:
    """One CTDC row (every variable of ``VARIABLES``, in order) from a statistics fact; NULL
    is the empty string (docs/reporting.md §5)."""
    values = dict.fromkeys(VARIABLES, NULL)
    values.update(
        {
            "yearOfRegistration": str(fact["month"])[:4],
            "gender": GENDER.get(fact.get("sex") or "", NULL),
            "ageBroad": fact["age_ctdc"] if fact.get("age_ctdc") in AGE_LABELS else NULL,
            "citizenship": alpha3(fact.get("nationality")) or NULL,
            # Where the person is now stands in for the country of exploitation, as IOM's own
            # contribution does with the place of registration.
            "CountryOfExploitation": alpha3(fact.get("country")) or NULL,
            **_means(fact.get("moc") or {}),
            **_exploitation(fact),
            "recruiterRelationIntimatePartner": _flag(fact.get("rel_partner")),
            "recruiterRelationFamily": _flag(fact.get("rel_family")),
        }
    )
    return values


def write_csv(facts: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Write the CTDC file to ``out`` (opened with ``newline=""``, UTF-8): a header of
    ``VARIABLES`` then one row per fact; returns the number of rows.

    Only facts whose consent covered statistics may be passed: the caller filters them, as
    the facts table itself only ever receives such screenings (docs/reporting.md §2, §5).
    """
    return write_rows((row(fact) for fact in facts), out)


def write_rows(rows: Iterable[Mapping[str, str]], out: TextIO) -> int:
    """Write CTDC rows already built by ``row`` (and anonymised by the caller, as the
    release does: reporting.exports) after the header; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(VARIABLES)
    count = 0
    for values in rows:
        # Every value comes from a fixed vocabulary; the guard is kept for the day one
        # does not.
        writer.writerow([safe_cell(values[name]) for name in VARIABLES])
        count += 1
    return count
