"""The CTDC contribution file: codebook v2 variables in order, age bands, the means-of-control
merges, NULL for "no information" (never 0), exploitation only when trafficking was found
likely or possible, and alpha-3 countries (docs/reporting.md §5). Expected values are
written from the codebook and docs/reporting.md §5, not from the code."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from reporting.ctdc import EXPLOITATION, VARIABLES, age_ctdc, alpha3, row, write_csv
from screening.instruments import EXPLOITATION_TYPES

MEANS = (
    "meansDebtBondageEarnings",
    "meansThreats",
    "meansAbusePsyPhySex",
    "meansFalsePromises",
    "meansDrugsAlcohol",
    "meansDenyBasicNeeds",
    "meansExcessiveWorkHours",
    "meansWithholdDocs",
)
TAGS = (
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
FactMaker = Callable[..., dict[str, Any]]


@pytest.fixture
def fact() -> FactMaker:
    """Builds a statistics fact: a screening with no information at all, plus changes."""

    def make(**changes: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "record_key": 17,
            "month": "2026-03",
            "instrument": "adult",
            "instrument_version": "2026.2",
            "rules": "ilo-ec-2009",
            "population": "adult",
            "exploitation": None,
            "classification": "no_indicators",
            "urgent": False,
            "incomplete": False,
            "smuggling": False,
            "smuggling_risk": False,
            "red_flag": False,
            "sex": "unknown",
            "age_band": None,
            "age_ctdc": None,
            "nationality": None,
            "country": None,
            "moc": dict.fromkeys(TAGS),
            "fl": {},
            "rel_partner": None,
            "rel_family": None,
            "abduction": None,
            "illicit": None,
            "needs": [],
        }
        values.update(changes)
        return values

    return make


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "0—8"),
        (8, "0—8"),
        (9, "9—17"),
        (17, "9—17"),
        (18, "18—20"),
        (20, "18—20"),
        (21, "21—23"),
        (23, "21—23"),
        (24, "24—26"),
        (26, "24—26"),
        (27, "27—29"),
        (29, "27—29"),
        (30, "30—38"),
        (38, "30—38"),
        (39, "39—47"),
        (47, "39—47"),
        (48, "48+"),
        (120, "48+"),
    ],
)
def test_age_bands_change_at_the_codebook_edges(age: int, band: str) -> None:
    assert age_ctdc(age) == band


def test_age_bands_are_written_with_the_codebook_em_dash() -> None:
    assert age_ctdc(30) == "30\u201438"
    assert "-" not in (age_ctdc(30) or "")


def test_unknown_age_has_no_band_and_a_negative_age_is_refused() -> None:
    assert age_ctdc(None) is None
    with pytest.raises(ValueError, match="negative"):
        age_ctdc(-1)


def test_variables_are_the_27_of_codebook_v2_in_order() -> None:
    assert VARIABLES == (
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


@pytest.mark.parametrize(
    ("tag", "variable"),
    [
        ("DebtBondage", "meansDebtBondageEarnings"),
        ("TakesEarnings", "meansDebtBondageEarnings"),
        ("PhysicalThreats", "meansThreats"),
        ("ThreatsLawEnforcement", "meansThreats"),
        ("ThreatensChildrenFamily", "meansThreats"),
        ("PhysicalAbuse", "meansAbusePsyPhySex"),
        ("SexualAbuse", "meansAbusePsyPhySex"),
        ("PsychologicalAbuse", "meansAbusePsyPhySex"),
        ("FalsePromises", "meansFalsePromises"),
        ("PsychoactiveSubstance", "meansDrugsAlcohol"),
        ("RestrictsFinancialAccess", "meansDenyBasicNeeds"),
        ("RestrictsMedicalCare", "meansDenyBasicNeeds"),
        ("WithholdsNecessities", "meansDenyBasicNeeds"),
        ("RestrictsMovement", "meansDenyBasicNeeds"),
        ("ExcessiveWorkingHours", "meansExcessiveWorkHours"),
        ("WithholdsDocuments", "meansWithholdDocs"),
    ],
)
def test_each_method_of_control_sets_its_merged_variable_only(
    fact: FactMaker, tag: str, variable: str
) -> None:
    moc = {**dict.fromkeys(TAGS, 0), tag: 1}
    values = row(fact(moc=moc))
    assert {name: values[name] for name in MEANS} == {
        name: "1" if name == variable else "" for name in MEANS
    }


def test_a_merge_is_1_when_any_of_its_tags_is_1_whatever_the_others(fact: FactMaker) -> None:
    moc = {"PhysicalThreats": 0, "ThreatsLawEnforcement": None, "ThreatensChildrenFamily": 1}
    assert row(fact(moc=moc))["meansThreats"] == "1"


@pytest.mark.parametrize("answer", [0, None])
def test_means_are_null_when_no_tag_was_answered_yes(fact: FactMaker, answer: int | None) -> None:
    values = row(fact(moc=dict.fromkeys(TAGS, answer)))
    assert [values[name] for name in MEANS] == [""] * 8


def test_other_method_of_control_has_no_ctdc_variable(fact: FactMaker) -> None:
    values = row(fact(moc={"Other": 1}))
    assert [values[name] for name in MEANS] == [""] * 8


def test_zero_answers_are_written_as_null_never_as_0(fact: FactMaker) -> None:
    """Asked and all answered no is "no information" for CTDC: no cell says 0."""
    everything_no = fact(
        moc=dict.fromkeys([*TAGS, "Other"], 0),
        rel_partner=0,
        rel_family=0,
        illicit=0,
        abduction=0,
        classification="likely_trafficking",
        exploitation="labour",
    )
    out = io.StringIO(newline="")
    write_csv([everything_no], out)
    cells = out.getvalue().splitlines()[1].split(",")
    assert "0" not in cells
    assert cells.count("1") == 1  # isForcedLabour only


@pytest.mark.parametrize(
    ("classification", "exploitation", "labour", "sexual"),
    [
        ("likely_trafficking", "labour", "1", ""),
        ("possible_trafficking", "labour", "1", ""),
        ("likely_trafficking", "sexual", "", "1"),
        ("possible_trafficking", "sexual", "", "1"),
        ("indicators_present", "labour", "", ""),
        ("indicators_present", "sexual", "", ""),
        ("smuggling_indicators", "labour", "", ""),
        ("no_indicators", "sexual", "", ""),
        ("likely_trafficking", None, "", ""),
    ],
)
def test_exploitation_counts_only_when_trafficking_is_likely_or_possible(
    fact: FactMaker, classification: str, exploitation: str | None, labour: str, sexual: str
) -> None:
    values = row(fact(classification=classification, exploitation=exploitation))
    assert (values["isForcedLabour"], values["isSexualExploit"]) == (labour, sexual)


def test_every_exploitation_type_has_its_ctdc_variable() -> None:
    assert sorted(EXPLOITATION) == sorted(EXPLOITATION_TYPES)


@pytest.mark.parametrize(("illicit", "expected"), [(1, "1"), (0, ""), (None, "")])
def test_other_exploitation_comes_from_illicit_activities(
    fact: FactMaker, illicit: int | None, expected: str
) -> None:
    assert row(fact(illicit=illicit))["isOtherExploit"] == expected


@pytest.mark.parametrize(
    ("sex", "gender"),
    [
        ("female", "Woman"),
        ("male", "Man"),
        ("other", "Trans/Transgender/NonConforming"),
        ("unknown", ""),
    ],
)
def test_gender_uses_the_codebook_words(fact: FactMaker, sex: str, gender: str) -> None:
    assert row(fact(sex=sex))["gender"] == gender


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NG", "NGA"),
        ("GB", "GBR"),
        ("CI", "CIV"),
        ("NA", "NAM"),
        ("RS", "SRB"),
        ("UA", "UKR"),
        ("SS", "SSD"),
        ("XK", None),
        ("ZZ", None),
        ("", None),
        (None, None),
    ],
)
def test_countries_become_iso_alpha_3(code: str | None, expected: str | None) -> None:
    assert alpha3(code) == expected


def test_country_columns_are_alpha_3_and_null_when_not_iso(fact: FactMaker) -> None:
    values = row(fact(nationality="CI", country="XK"))
    assert (values["citizenship"], values["CountryOfExploitation"]) == ("CIV", "")


def test_the_iso_table_holds_every_assigned_country() -> None:
    """ISO 3166-1 assigns 249 codes; a sample from each end of the alphabet is there."""
    codes = [chr(a) + chr(b) for a in range(65, 91) for b in range(65, 91)]
    known = {code: alpha3(code) for code in codes if alpha3(code)}
    assert len(known) == 249
    assert len(set(known.values())) == 249
    assert (known["AD"], known["AX"], known["ZW"], known["BQ"], known["CW"]) == (
        "AND",
        "ALA",
        "ZWE",
        "BES",
        "CUW",
    )


def test_year_and_age_band_come_from_the_fact(fact: FactMaker) -> None:
    values = row(fact(month="2025-12", age_ctdc="24—26", age_band="18-24"))
    assert (values["yearOfRegistration"], values["ageBroad"]) == ("2025", "24—26")


def test_an_age_value_outside_the_codebook_is_null(fact: FactMaker) -> None:
    assert row(fact(age_ctdc="18-24"))["ageBroad"] == ""


def test_recruiter_relations_come_from_partner_and_family_only(fact: FactMaker) -> None:
    values = row(fact(rel_partner=1, rel_family=1))
    assert [
        values[name]
        for name in (
            "recruiterRelationIntimatePartner",
            "recruiterRelationFriend",
            "recruiterRelationFamily",
            "recruiterRelationOther",
        )
    ] == ["1", "", "1", ""]


def test_variables_passage_does_not_collect_are_always_null(fact: FactMaker) -> None:
    values = row(
        fact(
            moc=dict.fromkeys(TAGS, 1),
            classification="likely_trafficking",
            exploitation="sexual",
            illicit=1,
            rel_partner=1,
            rel_family=1,
        )
    )
    assert [
        values[name]
        for name in (
            "traffickMonths",
            "typeOfLabourAgriculture",
            "typeOfLabourConstruction",
            "typeOfLabourDomesticWork",
            "typeOfLabourHospitality",
            "typeOfSexProstitution",
            "typeOfSexPornography",
        )
    ] == [""] * 7


def test_the_file_has_the_header_and_one_row_per_fact(fact: FactMaker) -> None:
    out = io.StringIO(newline="")
    count = write_csv(
        [fact(sex="female", age_ctdc="0—8", nationality="NG"), fact(month="2024-01")], out
    )
    lines = out.getvalue().split("\r\n")
    assert count == 2
    assert lines[0].split(",")[:3] == ["yearOfRegistration", "gender", "ageBroad"]
    assert lines[1] == "2026,Woman,0—8,NGA" + "," * 23
    assert lines[2] == "2024" + "," * 26
    assert lines[3] == ""


def test_an_empty_export_is_just_the_header() -> None:
    out = io.StringIO(newline="")
    assert write_csv([], out) == 0
    assert out.getvalue().count("\r\n") == 1
