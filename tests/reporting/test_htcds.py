"""The HTCDS 2.0 export: value mappings, field-sheet headers, the restricted-movement
extension, ``;`` joins, random per-export ids that link the tables, names only when given,
the data dictionary, manifest hashes and CSV-injection guards (docs/reporting.md §5).
Expected values are written from the HTCDS 2.0 field sheet and docs/reporting.md §5."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import stat
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from reporting.htcds import (
    CaseRecord,
    ExportRecords,
    PersonRecord,
    Pseudonyms,
    ReferralRecord,
    VictimRecord,
    export,
)
from reporting.htcds_values import (
    EXPLOITATION,
    case_status,
    country,
    gender,
    language,
    methods_of_control,
    relationship,
    trafficking_status,
    type_of_exploitation,
)
from screening.instruments import EXPLOITATION_TYPES

VERSION = "0.1.0"
SENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
HEADERS = {
    "person.csv": [
        "passage_PersonId",
        "prs_FirstName",
        "prs_SecondName",
        "prs_Birthdate",
        "prs_Gender",
        "prs_Citizenship",
        "prs_PrimaryLanguage",
        "prs_SecondaryLanguage",
        "con_Consent",
    ],
    "victim_context.csv": [
        "passage_PersonId",
        "vic_TraffickingStatus",
        "vic_MethodsOfControl",
        "passage_RestrictsMovement",
        "vic_TypeOfExploitation",
        "vic_RelationshipToTrafficker",
    ],
    "case.csv": ["passage_CaseId", "passage_PersonId", "cas_Status", "cas_CaseOwner"],
    "referral.csv": [
        "passage_CaseId",
        "cas_ReferredOrganisation",
        "cas_OutgoingReferralDate",
        "cas_ReasonForOutgoingReferral",
        "cas_OutgoingReferralDetails",
    ],
}
# Database handles that must never appear in a file.
AMINA, BESART, CASE_A, CASE_B, CASE_OLD = (
    "person-4711",
    "person-4712",
    "case-9001",
    "case-9002",
    "case-9003",
)
OWNER = "user-0042"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


@pytest.fixture
def records() -> ExportRecords:
    """Two people (one whose consent shares names with this recipient), an open case, a
    closed one, a merged one, and referrals."""
    amina = PersonRecord(
        key=AMINA,
        sex="female",
        nationality="NG",
        languages=("en", "ha"),
        consent=True,
        first_name="Amina",
        second_name="Bello",
        birth_date=date(2001, 5, 17),
        victim=VictimRecord(
            classification="likely_trafficking",
            exploitation="sexual",
            moc={
                "DebtBondage": 1,
                "TakesEarnings": 0,
                "RestrictsMovement": 1,
                "WithholdsDocuments": 1,
                "PhysicalThreats": 1,
                "FalsePromises": None,
            },
            illicit=1,
            rel_partner=1,
            rel_family=0,
        ),
    )
    besart = PersonRecord(
        key=BESART,
        sex="other",
        nationality="XK",
        languages=("sq",),
        consent=False,
        victim=VictimRecord(
            classification="indicators_present", exploitation="labour", moc={"DebtBondage": 0}
        ),
    )
    return ExportRecords(
        people=(amina, besart),
        cases=(
            CaseRecord(CASE_A, AMINA, "active", OWNER),
            CaseRecord(CASE_B, BESART, "closed", OWNER),
            CaseRecord(CASE_OLD, BESART, "merged", OWNER),
        ),
        referrals=(
            ReferralRecord(CASE_A, "Shelter North", SENT, ("legal", "shelter")),
            ReferralRecord(CASE_B, "Clinic South", SENT, ()),
            ReferralRecord(CASE_OLD, "Gone Away", SENT, ("medical",)),
        ),
    )


@pytest.fixture
def exported(records: ExportRecords, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """One export of the records, and its manifest."""
    out = tmp_path / "export"
    return out, export(records, out, VERSION)


@pytest.fixture
def person_rows(exported: tuple[Path, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The person.csv rows keyed by gender (one person of each gender in the records)."""
    return {row["prs_Gender"]: row for row in read(exported[0] / "person.csv")}


@pytest.mark.parametrize(
    ("sex", "expected"),
    [
        ("female", "Feminine"),
        ("male", "Masculine"),
        ("other", "NonConforming"),
        ("unknown", "NonSpecifiedUnknown"),
        (None, ""),
    ],
)
def test_gender_uses_htcds_value_names(sex: str | None, expected: str) -> None:
    assert gender(sex) == expected


@pytest.mark.parametrize(
    ("classification", "expected"),
    [
        ("likely_trafficking", "PossibleVictimOfTrafficking"),
        ("possible_trafficking", "PossibleVictimOfTrafficking"),
        ("indicators_present", ""),
        ("smuggling_indicators", ""),
        ("no_indicators", ""),
        (None, ""),
    ],
)
def test_a_screening_only_ever_says_possible_victim(
    classification: str | None, expected: str
) -> None:
    assert trafficking_status(classification) == expected


def test_methods_of_control_are_the_tags_answered_yes_in_field_sheet_order() -> None:
    moc = {
        "WithholdsDocuments": 1,
        "PhysicalThreats": 1,
        "DebtBondage": 1,
        "TakesEarnings": 0,
        "SexualAbuse": None,
    }
    assert methods_of_control(moc) == ["PhysicalThreats", "DebtBondage", "WithholdsDocuments"]


@pytest.mark.parametrize(
    ("moc", "expected"),
    [
        ({"RestrictsMovement": 1}, ["Other"]),
        ({"RestrictsMovement": 0}, []),
        ({"Other": 1, "RestrictsMovement": 1}, ["Other"]),
    ],
)
def test_restricted_movement_is_exported_as_other(moc: dict[str, int], expected: list[str]) -> None:
    assert methods_of_control(moc) == expected


@pytest.mark.parametrize(
    ("classification", "exploitation", "illicit", "expected"),
    [
        ("likely_trafficking", "labour", None, ["ForcedLabour"]),
        ("possible_trafficking", "sexual", 0, ["SexualExploitation"]),
        ("likely_trafficking", "sexual", 1, ["SexualExploitation", "Other"]),
        ("indicators_present", "labour", 1, ["Other"]),
        ("no_indicators", "sexual", None, []),
    ],
)
def test_type_of_exploitation(
    classification: str, exploitation: str, illicit: int | None, expected: list[str]
) -> None:
    assert type_of_exploitation(classification, exploitation, illicit) == expected


def test_every_exploitation_type_has_its_htcds_value() -> None:
    assert sorted(EXPLOITATION) == sorted(EXPLOITATION_TYPES)


@pytest.mark.parametrize(
    ("rel_family", "rel_partner", "expected"),
    [
        (1, None, ["Familial"]),
        (0, 1, ["Acquainted"]),
        (1, 1, ["Familial", "Acquainted"]),
        (0, 0, []),
        (None, None, []),
    ],
)
def test_relationship_to_trafficker(
    rel_family: int | None, rel_partner: int | None, expected: list[str]
) -> None:
    assert relationship(rel_family, rel_partner) == expected


def test_case_status_follows_cas_status_and_skips_merged() -> None:
    assert [
        case_status(s) for s in ("active", "follow_up", "closed", "closed_referred", "merged")
    ] == ["Active", "FollowUp", "Closed", "ClosedReferred", None]
    with pytest.raises(ValueError, match="unknown case status"):
        case_status("archived")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "eng"),
        ("fr", "fra"),
        ("de", "deu"),
        ("zh", "zho"),
        ("sq", "sqi"),
        ("sr", "srp"),
        ("uk", "ukr"),
        ("ha", "hau"),
        ("ti", "tir"),
        ("xx", None),
        (None, None),
    ],
)
def test_languages_become_iso_639_2_terminologic(code: str | None, expected: str | None) -> None:
    assert language(code) == expected


def test_every_iso_639_1_code_has_its_639_2_code() -> None:
    codes = [chr(a) + chr(b) for a in range(97, 123) for b in range(97, 123)]
    assert len([code for code in codes if language(code)]) == 184


@pytest.mark.parametrize(
    ("code", "expected"), [("NG", "NG"), ("CI", "CI"), ("XK", "XK"), ("ZZ", None), (None, None)]
)
def test_citizenship_stays_alpha_2(code: str | None, expected: str | None) -> None:
    assert country(code) == expected


def test_each_file_has_the_field_sheet_header(exported: tuple[Path, dict[str, Any]]) -> None:
    out, _ = exported
    assert {name: header(out / name) for name in HEADERS} == HEADERS


def test_person_rows(person_rows: dict[str, dict[str, str]]) -> None:
    amina = person_rows["Feminine"]
    assert {k: v for k, v in amina.items() if k != "passage_PersonId"} == {
        "prs_FirstName": "Amina",
        "prs_SecondName": "Bello",
        "prs_Birthdate": "2001-05-17",
        "prs_Gender": "Feminine",
        "prs_Citizenship": "NG",
        "prs_PrimaryLanguage": "eng",
        "prs_SecondaryLanguage": "hau",
        "con_Consent": "TRUE",
    }


def test_names_and_birth_date_are_empty_when_not_given(
    person_rows: dict[str, dict[str, str]],
) -> None:
    besart = person_rows["NonConforming"]
    assert [
        besart[k]
        for k in (
            "prs_FirstName",
            "prs_SecondName",
            "prs_Birthdate",
            "prs_SecondaryLanguage",
            "con_Consent",
        )
    ] == ["", "", "", "", "FALSE"]
    assert (besart["prs_Citizenship"], besart["prs_PrimaryLanguage"]) == ("XK", "sqi")


def test_victim_context_rows_join_multi_selects_with_semicolons(
    exported: tuple[Path, dict[str, Any]], person_rows: dict[str, dict[str, str]]
) -> None:
    rows = {row["passage_PersonId"]: row for row in read(exported[0] / "victim_context.csv")}
    amina = rows[person_rows["Feminine"]["passage_PersonId"]]
    besart = rows[person_rows["NonConforming"]["passage_PersonId"]]
    assert amina == {
        "passage_PersonId": person_rows["Feminine"]["passage_PersonId"],
        "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
        "vic_MethodsOfControl": "PhysicalThreats;DebtBondage;WithholdsDocuments;Other",
        "passage_RestrictsMovement": "1",
        "vic_TypeOfExploitation": "SexualExploitation;Other",
        "vic_RelationshipToTrafficker": "Acquainted",
    }
    assert [besart[k] for k in HEADERS["victim_context.csv"][1:]] == ["", "", "", "", ""]


def test_ids_link_the_tables_of_one_export(
    exported: tuple[Path, dict[str, Any]], person_rows: dict[str, dict[str, str]]
) -> None:
    out, _ = exported
    cases = {row["cas_Status"]: row for row in read(out / "case.csv")}
    assert cases["Active"]["passage_PersonId"] == person_rows["Feminine"]["passage_PersonId"]
    assert cases["Closed"]["passage_PersonId"] == (person_rows["NonConforming"]["passage_PersonId"])
    referrals = {row["cas_ReferredOrganisation"]: row for row in read(out / "referral.csv")}
    assert referrals["Shelter North"]["passage_CaseId"] == cases["Active"]["passage_CaseId"]
    assert referrals["Clinic South"]["passage_CaseId"] == cases["Closed"]["passage_CaseId"]
    # The case owner is one pseudonymous user, and not any other id of the export.
    owners = {row["cas_CaseOwner"] for row in cases.values()}
    assert len(owners) == 1
    assert owners.isdisjoint({row["passage_PersonId"] for row in person_rows.values()})


def test_merged_cases_and_their_referrals_are_left_out(
    exported: tuple[Path, dict[str, Any]],
) -> None:
    out, manifest = exported
    assert sorted(row["cas_Status"] for row in read(out / "case.csv")) == ["Active", "Closed"]
    assert "Gone Away" not in (out / "referral.csv").read_text(encoding="utf-8")
    assert [manifest[name]["rows"] for name in HEADERS] == [2, 2, 2, 2]


def test_referral_rows_hold_partner_date_reason_and_services(
    exported: tuple[Path, dict[str, Any]],
) -> None:
    rows = {row["cas_ReferredOrganisation"]: row for row in read(exported[0] / "referral.csv")}
    shelter = rows["Shelter North"]
    assert [shelter[k] for k in HEADERS["referral.csv"][2:]] == [
        "2026-03-02",
        "AdditionalServicesRequired",
        "shelter;legal",
    ]
    assert rows["Clinic South"]["cas_OutgoingReferralDetails"] == ""


def test_the_referral_date_is_the_utc_date(tmp_path: Path) -> None:
    evening = datetime(2026, 3, 2, 21, 0, tzinfo=timezone(timedelta(hours=-5)))
    records = ExportRecords(
        people=(PersonRecord(key=1),),
        cases=(CaseRecord(2, 1, "active", 3),),
        referrals=(ReferralRecord(2, "Partner", evening, ("medical",)),),
    )
    export(records, tmp_path, VERSION)
    assert read(tmp_path / "referral.csv")[0]["cas_OutgoingReferralDate"] == "2026-03-03"


@pytest.mark.parametrize("services", [("Call her on 555 0101",), ("shelter", "note: scared")])
def test_referral_details_take_only_service_names(
    tmp_path: Path, services: tuple[str, ...]
) -> None:
    records = ExportRecords(
        people=(PersonRecord(key=1),),
        cases=(CaseRecord(2, 1, "active", 3),),
        referrals=(ReferralRecord(2, "Partner", SENT, services),),
    )
    with pytest.raises(ValueError, match="not a service") as refused:
        export(records, tmp_path / "out", VERSION)
    assert "555" not in str(refused.value)
    assert "scared" not in str(refused.value)
    assert not (tmp_path / "out").exists()


def test_a_naive_referral_time_is_refused(tmp_path: Path) -> None:
    records = ExportRecords(
        people=(PersonRecord(key=1),),
        cases=(CaseRecord(2, 1, "active", 3),),
        referrals=(ReferralRecord(2, "Partner", datetime(2026, 3, 2, 9), ()),),
    )
    with pytest.raises(ValueError, match="naive"):
        export(records, tmp_path, VERSION)


@pytest.mark.parametrize(
    "records",
    [
        ExportRecords(cases=(CaseRecord(2, 1, "active", 3),)),
        ExportRecords(
            people=(PersonRecord(key=1),), referrals=(ReferralRecord(2, "Partner", SENT, ()),)
        ),
        ExportRecords(people=(PersonRecord(key=1), PersonRecord(key=1))),
    ],
)
def test_dangling_links_are_refused_before_anything_is_written(
    tmp_path: Path, records: ExportRecords
) -> None:
    with pytest.raises(ValueError, match="not in the export|appears twice"):
        export(records, tmp_path / "out", VERSION)
    assert not (tmp_path / "out").exists()


def test_manifest_hashes_are_those_of_the_written_files(
    exported: tuple[Path, dict[str, Any]],
) -> None:
    out, manifest = exported
    assert sorted(manifest) == [
        "case.csv",
        "datadictionary.json",
        "person.csv",
        "referral.csv",
        "victim_context.csv",
    ]
    for name, entry in manifest.items():
        assert entry["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    assert manifest["datadictionary.json"]["rows"] == 24


def test_pseudonymous_ids_differ_between_two_exports_of_the_same_records(
    records: ExportRecords, tmp_path: Path
) -> None:
    export(records, tmp_path / "one", VERSION)
    export(records, tmp_path / "two", VERSION)
    ids = [
        {
            value
            for name in HEADERS
            for row in read(tmp_path / run / name)
            for key, value in row.items()
            if key in ("passage_PersonId", "passage_CaseId", "cas_CaseOwner")
        }
        for run in ("one", "two")
    ]
    assert len(ids[0]) == 5  # two people, two cases, one owner
    assert ids[0].isdisjoint(ids[1])


def test_no_database_id_reaches_a_file(exported: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = exported
    text = "".join((out / name).read_text(encoding="utf-8") for name in manifest)
    for handle in (AMINA, BESART, CASE_A, CASE_B, CASE_OLD, OWNER):
        assert handle not in text
    # The bare numbers as whole values: inside a random hex pseudonym they mean nothing
    # (a substring test failed one run in a few thousand).
    values = set(re.findall(r"[0-9A-Za-z_-]+", text))
    assert values.isdisjoint({"4711", "4712", "9001", "9002", "9003", "0042"})


def test_pseudonyms_are_stable_within_an_export_and_separate_by_kind() -> None:
    ids = Pseudonyms()
    assert ids.of("person", 7) == ids.of("person", 7)
    assert ids.of("person", 7) != ids.of("user", 7)
    assert len(ids.of("case", 7)) == 16
    assert ids.of("person", 7) != Pseudonyms().of("person", 7)


def test_spreadsheet_formulas_are_neutralised(tmp_path: Path) -> None:
    records = ExportRecords(
        people=(
            PersonRecord(
                key=1, first_name='=HYPERLINK("http://x","y")', second_name="-2+3", consent=True
            ),
        ),
        cases=(CaseRecord(2, 1, "active", 3),),
        referrals=(
            ReferralRecord(2, "@Partner", SENT, ()),
            ReferralRecord(2, "+Partner\tTwo", SENT, ()),
        ),
    )
    export(records, tmp_path, VERSION)
    person = read(tmp_path / "person.csv")[0]
    assert (person["prs_FirstName"], person["prs_SecondName"]) == (
        '\'=HYPERLINK("http://x","y")',
        "'-2+3",
    )
    assert sorted(row["cas_ReferredOrganisation"] for row in read(tmp_path / "referral.csv")) == [
        "'+Partner\tTwo",
        "'@Partner",
    ]


def test_files_are_utf8_crlf_private_and_never_overwritten(
    records: ExportRecords, exported: tuple[Path, dict[str, Any]]
) -> None:
    out, _ = exported
    raw = (out / "person.csv").read_bytes()
    assert raw.startswith(b"passage_PersonId,")  # no byte-order mark
    assert raw.count(b"\r\n") == 3
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(
        stat.S_IMODE((out / name).stat().st_mode) == 0o600
        for name in (*HEADERS, "datadictionary.json")
    )
    with pytest.raises(FileExistsError):
        export(records, out, VERSION)


def test_the_data_dictionary_describes_every_column(exported: tuple[Path, dict[str, Any]]) -> None:
    dictionary = json.loads((exported[0] / "datadictionary.json").read_text(encoding="utf-8"))
    assert (dictionary["htcds_version"], dictionary["passage_version"]) == ("2.0", VERSION)
    assert "no information" in dictionary["null_rule"]
    assert "never means no" in dictionary["null_rule"]
    assert dictionary["multi_select_separator"] == ";"
    assert {
        name: [column["name"] for column in columns]
        for name, columns in dictionary["files"].items()
    } == HEADERS
    assert all(
        column["meaning"] and ("values" in column or "format" in column)
        for columns in dictionary["files"].values()
        for column in columns
    )


def test_the_data_dictionary_lists_allowed_values(exported: tuple[Path, dict[str, Any]]) -> None:
    dictionary = json.loads((exported[0] / "datadictionary.json").read_text(encoding="utf-8"))
    columns = {
        column["name"]: column for columns in dictionary["files"].values() for column in columns
    }
    assert columns["vic_MethodsOfControl"]["values"] == [
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
        "Other",
    ]
    assert columns["prs_Gender"]["values"] == [
        "Feminine",
        "Masculine",
        "NonConforming",
        "NonSpecifiedUnknown",
    ]
    assert columns["cas_Status"]["values"] == ["Active", "FollowUp", "Closed", "ClosedReferred"]
    assert columns["con_Consent"]["values"] == ["TRUE", "FALSE"]
    assert columns["passage_RestrictsMovement"]["values"] == ["1"]
    assert columns["prs_FirstName"]["also_spelled"] == ["prs_First_Name"]
    assert "fra/fre" in dictionary["codes"]["language"]


def test_records_never_show_personal_data_in_their_repr(records: ExportRecords) -> None:
    text = repr(records)
    assert not any(word in text for word in ("Amina", "Bello", "2001", "NG", "Feminine"))


def test_rows_are_in_the_order_of_their_random_ids(exported: tuple[Path, dict[str, Any]]) -> None:
    """Row order follows the random ids, so it cannot line two exports up either."""
    out, _ = exported
    for name, columns in HEADERS.items():
        ids = [row[columns[0]] for row in read(out / name)]
        assert ids == sorted(ids)


def test_comma_joined_strings_are_refused_where_lists_belong() -> None:
    """The database keeps languages and services as "a,b"; passing that string is a bug."""
    with pytest.raises(TypeError, match="languages"):
        PersonRecord(key=1, languages="en,fr")
    with pytest.raises(TypeError, match="services"):
        ReferralRecord(2, "Partner", SENT, "shelter,legal")
