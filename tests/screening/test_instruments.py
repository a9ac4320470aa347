"""The shipped instrument catalogue, 2026.3 (adult) and 2026.4 (child; docs/screening.md §2.2, §4):
both instruments load; the labour grades follow docs/screening.md §2.4 per population, with the
two adult grades changed in 2026.2 noted; every sexual-list grade is provisional and no labour
grade is; questions avoid the words that label a person, speak to a child as *tu*/*tú*, and
carry the French and Spanish corrections of docs/screening.md §8.2; a broken catalogue file
stops loading with a message naming the file and the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from screening.instrument_files import load_catalogue
from screening.instruments import (
    LANGUAGES,
    TRAFFICKING_DIMENSIONS,
    Instrument,
    InstrumentError,
    Texts,
)

CATALOGUE = load_catalogue()
INSTRUMENTS = ("adult", "child")
FORBIDDEN = re.compile(r"\b(trafficking|trafficked|victims?|traite|victimes?|trata|víctimas?)\b")
S, M, W = "strong", "medium", "weak"


def _texts(instrument: Instrument) -> list[tuple[str, Texts]]:
    """Every text a person may hear: questions of items, concepts and gates, help, "when?"."""
    texts = [(f"indicator {i.id}", i.question) for i in instrument.indicators]
    texts += [(f"concept {c.id}", c.question) for c in instrument.concepts.values()]
    texts += [(f"gate {g.id}", g.question) for g in instrument.gates]
    texts += [(f"help {g.id}", g.help) for g in instrument.gates if g.help]
    texts += [(f"when {k}", t) for k, t in instrument.when.items()]
    return texts


def _question(instrument_id: str, indicator_id: str, language: str) -> str:
    indicator = CATALOGUE[instrument_id].indicator(indicator_id)
    assert indicator is not None, indicator_id
    return indicator.question[language]


def test_the_shipped_catalogue_holds_the_adult_and_child_instruments() -> None:
    assert set(INSTRUMENTS) <= set(CATALOGUE)
    for population in INSTRUMENTS:
        instrument = CATALOGUE[population]
        assert (instrument.id, instrument.population) == (population, population)
        assert instrument.rules == "ilo-ec-2009"
        assert (instrument.labour_list, instrument.sexual_list) == (
            f"{population}_labour",
            f"{population}_sexual",
        )
    # Child 2026.3: the child's simpler wording for a child under 12 (docs/screening.md §8);
    # adult 2026.3 and child 2026.4: "money demanded with threats now?" after a ransom too.
    assert (CATALOGUE["adult"].version, CATALOGUE["child"].version) == ("2026.3", "2026.4")


# (indicator, adult labour grade, child labour grade), None when not on the list: the table of
# docs/screening.md §2.4, with the two adult grades changed in 2026.2 (see the test below).
LABOUR_GRADES = [
    ("dr_job_nature", S, S),  # misled about the nature of the job, place, employer
    ("dr_pay", M, M),
    ("dr_marriage_adoption", M, M),  # promise of marriage or adoption
    ("dr_education", W, S),  # misled about access to education
    ("cr_violence", S, S),
    ("cr_threats", M, S),  # threats of violence
    ("cr_abduction_sale", M, S),
    ("cr_debt", M, S),  # debt bondage from recruitment
    ("cr_documents", M, M),
    ("cr_isolation", M, M),
    ("cr_money_withheld", M, M),
    ("rv_economic_need", M, M),
    ("rv_emotional_dependency", M, M),
    ("rv_false_law_info", M, None),  # false information about law or authorities
    ("rv_beliefs", W, M),
    ("rv_general_context", W, M),  # conflict, disaster
    ("rv_past_hardships", W, M),  # adult: medium until 2026.1
    ("rv_journey_alone", W, M),  # adult: medium until 2026.1
    ("ec_excessive_hours", S, S),
    ("ec_low_pay", M, M),
    ("ec_living_conditions", M, M),
    ("ec_law_not_respected", M, M),
    ("ec_no_social_protection", M, None),
    ("ec_no_education", W, M),
    ("cd_documents", S, S),  # documents confiscated
    ("cd_debt", S, S),
    ("cd_isolation", S, S),
    ("cd_violence", S, S),
    ("cd_threats", M, S),
    ("cd_illicit", M, S),
    ("cd_tasks_not_agreed", M, S),
    ("cd_influence", M, S),
    ("cd_against_peers", M, M),
    ("cd_lie", M, M),
    ("cd_wages_withheld", M, M),
    ("cd_exposure", W, M),  # threat to tell family, community or public
    ("vd_dependence", M, M),
    ("vd_status", M, M),
    ("vd_past_hardships", W, M),
    ("vd_marginalised", W, M),  # personal characteristics (marginalised group)
]


@pytest.mark.parametrize(("indicator_id", "adult", "child"), LABOUR_GRADES)
def test_labour_grades_follow_the_ilo_ec_table(
    indicator_id: str, adult: str | None, child: str | None
) -> None:
    for population, grade in (("adult", adult), ("child", child)):
        indicator = CATALOGUE[population].indicator(indicator_id)
        found = indicator.grade(f"{population}_labour") if indicator else None
        assert found == grade, (population, indicator_id)


@pytest.mark.parametrize("indicator_id", ["rv_past_hardships", "rv_journey_alone"])
def test_the_two_adult_grades_changed_in_2026_2_are_weak_with_a_note(indicator_id: str) -> None:
    adult = CATALOGUE["adult"].indicator(indicator_id)
    assert adult is not None
    assert adult.grade("adult_labour") == "weak"
    assert adult.grade("adult_sexual") == "weak"
    assert adult.note is not None
    assert adult.note.startswith("Changed from medium to weak (2026.2)")
    child = CATALOGUE["child"].indicator(indicator_id)
    assert child is not None
    assert (child.grade("child_labour"), child.note) == ("medium", None)


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_every_sexual_list_grade_is_provisional_and_no_labour_grade_is(instrument_id: str) -> None:
    instrument = CATALOGUE[instrument_id]
    sexual = [
        (i.id, g.verified)
        for i in instrument.indicators
        for name, g in i.grades.items()
        if name == instrument.sexual_list
    ]
    labour = [
        (i.id, g.verified)
        for i in instrument.indicators
        for name, g in i.grades.items()
        if name == instrument.labour_list
    ]
    assert len(sexual) > 60
    assert len(labour) > 60
    assert [i for i, verified in sexual if verified != "provisional"] == []
    assert [i for i, verified in labour if verified == "provisional"] == []


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_only_trafficking_indicators_are_graded_and_sexual_only_items_stay_off_labour(
    instrument_id: str,
) -> None:
    instrument = CATALOGUE[instrument_id]
    for indicator in instrument.indicators:
        if not indicator.trafficking:
            assert indicator.grades == {}, indicator.id
        elif indicator.id.startswith("sx_"):
            assert set(indicator.grades) == {instrument.sexual_list}, indicator.id
        else:
            assert instrument.labour_list in indicator.grades, indicator.id


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
@pytest.mark.parametrize("dimension", TRAFFICKING_DIMENSIONS)
def test_every_dimension_has_a_strong_or_medium_labour_indicator(
    instrument_id: str, dimension: str
) -> None:
    instrument = CATALOGUE[instrument_id]
    assert any(
        i.grade(instrument.labour_list) in (S, M)
        for i in instrument.indicators
        if i.dimension == dimension
    )


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_red_flags_sit_in_gates_that_are_always_asked(instrument_id: str) -> None:
    instrument = CATALOGUE[instrument_id]
    red_flags = [i for i in instrument.indicators if i.red_flag]
    assert len(red_flags) >= 12
    for indicator in red_flags:
        gate = instrument.gate(indicator.gate)
        assert gate is not None, indicator.id
        assert gate.always, indicator.id
        assert indicator.dimension == "immediate_danger", indicator.id
    assert {
        "rf_in_danger_now",
        "rf_no_safe_place_tonight",
        "rf_detention_or_removal",
        "rf_self_harm",
    } <= {i.id for i in red_flags}


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_no_text_uses_a_word_that_labels_the_person(instrument_id: str) -> None:
    found = [
        (where, language, text)
        for where, texts in _texts(CATALOGUE[instrument_id])
        for language, text in texts.values.items()
        if FORBIDDEN.search(text.casefold())
    ]
    assert found == []


def test_the_word_check_finds_what_it_looks_for() -> None:
    assert FORBIDDEN.search("¿es usted víctima de trata?")
    assert FORBIDDEN.search("les victimes de la traite")
    assert not FORBIDDEN.search("¿le trataban peor?")  # "to treat", not "trafficking"


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_every_question_is_in_every_language(instrument_id: str) -> None:
    for indicator in CATALOGUE[instrument_id].indicators:
        assert set(LANGUAGES) <= set(indicator.question.values), indicator.id
        assert all("?" in indicator.question[language] for language in LANGUAGES), indicator.id
        assert "¿" in indicator.question["es"], indicator.id


def test_adults_are_addressed_formally() -> None:
    for where, texts in _texts(CATALOGUE["adult"]):
        for language, text in texts.values.items():
            lowered = text.lower()
            if language.startswith("fr"):
                assert not re.search(r"\b(tu|toi|ton|ta|tes)\b|\bt'", lowered), where
            if language == "es":
                assert not re.search(r"\b(tú|tu|tus|te|ti|contigo)\b", lowered), where


def test_children_are_addressed_as_tu() -> None:
    child = CATALOGUE["child"]
    for where, texts in _texts(child):
        for language, text in texts.values.items():
            lowered = text.lower()
            if language.startswith("fr"):
                assert not re.search(r"\b(vous|votre|vos)\b", lowered), where
            if language == "es":
                assert not re.search(r"\b(usted|ustedes)\b", lowered), where
    assert re.search(r"\btu\b", child.gate("a1").question["fr"])  # type: ignore[union-attr]
    assert "sientes" in child.gate("a1").question["es"]  # type: ignore[union-attr]


# docs/screening.md §8.2: (instrument, indicator, language, right wording, wrong wording).
CORRECTIONS = [
    ("adult", "ec_law_not_respected", "fr", "n'a-t-il pas respecté votre contrat", "rompu"),
    ("child", "ec_law_not_respected", "fr", "n'a pas respecté l'accord", "rompu"),
    (
        "adult",
        "rf_missing_companion",
        "fr",
        "a-t-elle disparu sans que vous sachiez où elle est",
        "portée disparue",
    ),
    ("child", "rf_missing_companion", "fr", "a disparu", "portée disparue"),
    ("adult", "rv_authorities", "fr", "vous rendait-elle le refus difficile", "empêchait"),
    ("adult", "rv_authorities", "es", "le hacía difícil decir que no", "impedía"),
    ("child", "rv_authorities", "fr", "te rendait le refus difficile", "empêchait"),
    ("child", "rv_authorities", "es", "te hacía difícil decir que no", "impedía"),
    (
        "adult",
        "rv_economic_need",
        "fr",
        "vous aviez le sentiment de ne pas pouvoir refuser",
        "vous ne pouviez pas refuser",
    ),
    ("adult", "vd_marginalised", "fr", "moins bien traité", "considéré"),
    ("adult", "vd_marginalised", "fr-f", "moins bien traitée", "considérée"),
    ("adult", "rf_controller_nearby", "es", "alguien que controle", "alguien que controla"),
    ("child", "rf_controller_nearby", "es", "alguien que controle", "alguien que controla"),
    (
        "adult",
        "ec_no_social_protection",
        "es",
        "licencia o incapacidad por enfermedad pagada",
        "baja por enfermedad",
    ),
    ("adult", "rf_injury_illness", "fr", "nécessite des soins", "a besoin de soins"),
    ("adult", "ec_living_conditions", "es", "hacinado", "abarrotado"),
    ("child", "ec_living_conditions", "es", "demasiada gente", "abarrotado"),
]


@pytest.mark.parametrize(
    ("instrument_id", "indicator_id", "language", "right", "wrong"), CORRECTIONS
)
def test_translations_carry_the_corrected_wording(
    instrument_id: str, indicator_id: str, language: str, right: str, wrong: str
) -> None:
    text = _question(instrument_id, indicator_id, language)
    assert right in text
    assert wrong not in text


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_no_text_names_sexual_orientation(instrument_id: str) -> None:
    # Unsafe through a community interpreter (docs/screening.md §8.2).
    found = [
        where
        for where, texts in _texts(CATALOGUE[instrument_id])
        for text in texts.values.values()
        if re.search(r"orientation|orientación", text, re.IGNORECASE)
    ]
    assert found == []


# --- a broken file ---------------------------------------------------------------------------

TEXT = {"en": "Q?", "fr": "Q ?", "es": "¿Q?"}
YOUNG = {**TEXT, "en-y": "Qy?", "fr-y": "Qy ?", "es-y": "¿Qy?"}
LABOUR_M = {"adult_labour": {"grade": "M", "verified": "secondary_only"}}


def _item(id_: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "dimension": "deceptive_recruitment",
        "phase": "recruitment",
        "grades": LABOUR_M,
        "label": TEXT,
        "question": TEXT,
        **extra,
    }


def _red_flag(id_: str) -> dict[str, Any]:
    return _item(id_, dimension="immediate_danger", phase="destination", grades={}, red_flag=True)


def _gate(id_: str, members: list[str], kind: str = "umbrella", **extra: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "block": "start",
        "kind": kind,
        "members": members,
        "question": TEXT,
        **extra,
    }


def _instrument(
    indicators: list[dict[str, Any]] | None = None,
    gates: list[dict[str, Any]] | None = None,
    concepts: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": "broken",
        "version": "1",
        "rules": "ilo-ec-2009",
        "title": TEXT,
        "population": "adult",
        "lists": {"labour": "adult_labour", "sexual": "adult_sexual"},
        "when": {"question": TEXT, "before": TEXT, "way": TEXT, "work": TEXT},
        "indicators": indicators if indicators is not None else [_item("q1"), _item("q2")],
        "gates": gates if gates is not None else [_gate("g1", ["q1", "q2"])],
        "concepts": concepts or [],
        **extra,
    }


def _load(tmp_path: Path, content: str | dict[str, Any]) -> dict[str, Instrument]:
    text = content if isinstance(content, str) else json.dumps(content)
    (tmp_path / "broken.json").write_text(text, encoding="utf-8")
    return load_catalogue(tmp_path)


def test_a_valid_file_in_a_directory_loads(tmp_path: Path) -> None:
    concept = {
        "id": "kept",
        "phases": {"before": ["q3"], "work": ["q4"]},
        "label": TEXT,
        "question": TEXT,
    }
    content = _instrument(
        indicators=[
            _item("q1"),
            _item("q2"),
            _item("q3"),
            _item("q4", dimension="coercion_at_destination", phase="destination"),
            _red_flag("rf1"),
        ],
        gates=[_gate("g1", ["q1", "q2"]), _gate("g2", ["kept"], kind="concept", followups=["rf1"])],
        concepts=[concept],
    )
    instrument = _load(tmp_path, content)["broken"]
    assert [(i.id, i.gate, i.concept, i.followup_of) for i in instrument.indicators] == [
        ("q1", "g1", None, None),
        ("q2", "g1", None, None),
        ("q3", "g2", "kept", None),
        ("q4", "g2", "kept", None),
        ("rf1", "g2", None, "g2"),
    ]
    assert instrument.gate("g2").always  # type: ignore[union-attr]  # a concept always is


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "broken", "indicators": [', "broken.json: not readable JSON"),
        (
            _instrument(indicators=[_item("q1"), _item("q2"), _item("q3")]),
            "broken.json.indicators: in no gate: ['q3']",
        ),
        (
            _instrument(gates=[_gate("g1", ["q1", "q2"]), _gate("g2", ["q2"])]),
            "broken.json.indicators (q2): in two gates, g1 and g2",
        ),
        (
            _instrument(
                gates=[_gate("g1", ["q1", "q2"]), _gate("g2", ["kept"], kind="concept")],
                concepts=[
                    {"id": "kept", "phases": {"work": ["q1"]}, "label": TEXT, "question": TEXT}
                ],
            ),
            "broken.json.indicators (q1): in two gates, g1 and g2",
        ),
        (
            _instrument(
                indicators=[_item("q1"), _item("q2"), _red_flag("rf1")],
                gates=[_gate("g1", ["q1", "q2"]), _gate("g2", ["rf1"])],
            ),
            "broken.json.gates (g2): red flag rf1 in a gate that is not always asked",
        ),
        (
            _instrument(
                indicators=[_item("q1"), _item("q2"), _red_flag("rf1")],
                gates=[_gate("g1", ["q1", "q2"], followups=["rf1"])],
            ),
            "broken.json.gates (g1): red flag rf1 in a gate that is not always asked",
        ),
        (
            _instrument(gates=[_gate("g1", ["q1", "q2", "q9"])]),
            "broken.json.gates (g1): unknown indicator 'q9'",
        ),
        (
            _instrument(
                indicators=[
                    _item(
                        "q1", grades={"child_labour": {"grade": "S", "verified": "secondary_only"}}
                    ),
                    _item("q2"),
                ]
            ),
            "broken.json.indicators (q1).grades: ['child_labour'] belong to another population",
        ),
        (
            _instrument(
                indicators=[
                    _item(
                        "q1",
                        grades={"adult_domestic": {"grade": "S", "verified": "secondary_only"}},
                    ),
                    _item("q2"),
                ]
            ),
            "broken.json.indicators[0] (q1).grades.adult_domestic: not one of adult_labour",
        ),
        (
            _instrument(
                indicators=[
                    _item("q1", grades={"adult_labour": {"grade": "S", "verified": "checked"}}),
                    _item("q2"),
                ]
            ),
            "broken.json.indicators[0] (q1).grades.adult_labour.verified: 'checked' is not one of",
        ),
        (
            _instrument(
                indicators=[
                    _item(
                        "q1",
                        grades={
                            "adult_labour": {
                                "grade": "S",
                                "verified": "secondary_only",
                                "source": "x",
                            }
                        },
                    ),
                    _item("q2"),
                ]
            ),
            "broken.json.indicators[0] (q1).grades.adult_labour: needs grade and verified",
        ),
        (
            _instrument(
                indicators=[
                    _item("q1", strength="medium", population="adult", exploitation="labour"),
                    _item("q2"),
                ]
            ),
            "broken.json.indicators[0]: unknown fields ['exploitation', 'population', 'strength']",
        ),
        (
            _instrument(gates=[_gate("g1", ["q1", "q2"], weight=2)]),
            "broken.json.gates[0]: unknown fields ['weight']",
        ),
        (
            _instrument(
                gates=[_gate("g1", ["q1", "q2"]), _gate("g2", ["kept"], kind="concept")],
                indicators=[_item("q1"), _item("q2"), _item("q3")],
                concepts=[
                    {
                        "id": "kept",
                        "phases": {"work": ["q3"]},
                        "label": TEXT,
                        "question": TEXT,
                        "grades": {},
                    }
                ],
            ),
            "broken.json.concepts[0]: unknown fields ['grades']",
        ),
        (
            _instrument(exploitation_types=["labour"]),
            "broken.json: unknown fields ['exploitation_types']",
        ),
        (
            _instrument(gates=[_gate("g1", ["q1", "q2"], kind="strong")]),
            "broken.json.gates[0] (g1).members: a strong gate asks exactly one member",
        ),
        (
            _instrument(lists={"labour": "child_labour", "sexual": "child_sexual"}),
            "broken.json.lists: must name adult_labour and adult_sexual",
        ),
        (
            _instrument(indicators=[_item("q1", question={"en": "Q?", "fr": "Q ?"}), _item("q2")]),
            "broken.json.indicators[0] (q1).question: needs non-empty text in each of en, fr, es",
        ),
        (
            _instrument(indicators=[_item("q1"), _item("q1")], gates=[_gate("g1", ["q1"])]),
            "broken.json.indicators: duplicate ids ['q1']",
        ),
        (_instrument(indicators=[]), "broken.json.indicators: must be a non-empty list"),
        (
            _instrument(
                indicators=[
                    _item("q1", question={**TEXT, "en-y": "Q?", "fr-y": "Q ?"}),
                    _item("q2"),
                ]
            ),
            "broken.json.indicators[0] (q1).question: a younger child's wording needs each of",
        ),
        (
            _instrument(
                indicators=[
                    _item("q1", question={**YOUNG, "fr-f": "Qe ?"}),
                    _item("q2"),
                ]
            ),
            "broken.json.indicators[0] (q1).question: a feminine French text needs its younger",
        ),
        (
            _instrument(indicators=[_item("q1", question={**TEXT, "fr-fy": "Q ?"}), _item("q2")]),
            "broken.json.indicators[0] (q1).question: fr-fy is the feminine of fr-y, beside fr-f",
        ),
    ],
    ids=[
        "invalid-json",
        "in-no-gate",
        "in-two-gates",
        "in-two-gates-by-concept",
        "red-flag-in-umbrella",
        "red-flag-follow-up-of-umbrella",
        "unknown-member",
        "grade-of-another-population",
        "unknown-list",
        "unknown-verification",
        "unknown-grade-field",
        "unknown-indicator-fields-of-2026-1",
        "unknown-gate-field",
        "unknown-concept-field",
        "unknown-instrument-field",
        "strong-gate-with-two-members",
        "lists-of-another-population",
        "missing-spanish",
        "duplicate-id",
        "empty-indicators",
        "younger-child-wording-missing-spanish",
        "younger-child-wording-missing-feminine-french",
        "feminine-younger-wording-without-its-pair",
    ],
)
def test_a_broken_file_stops_loading_naming_the_file_and_the_field(
    tmp_path: Path, content: str | dict[str, Any], message: str
) -> None:
    with pytest.raises(InstrumentError, match=re.escape(message)):
        _load(tmp_path, content)


def test_a_red_flag_in_an_umbrella_marked_always_loads(tmp_path: Path) -> None:
    content = _instrument(
        indicators=[_item("q1"), _item("q2"), _red_flag("rf1")],
        gates=[_gate("g1", ["q1", "q2"]), _gate("g2", ["rf1"], always=True)],
    )
    assert _load(tmp_path, content)["broken"].indicator("rf1").gate == "g2"  # type: ignore[union-attr]


def test_app_refuses_to_start_with_a_broken_catalogue(make_app: Any, tmp_path: Path) -> None:
    broken = tmp_path / "catalogue"
    broken.mkdir()
    (broken / "adult.json").write_text('{"id": "adult"')
    with pytest.raises(InstrumentError, match="adult.json"):
        make_app(INSTRUMENTS_PATH=str(broken))


def test_a_younger_child_hears_the_simpler_wording_where_there_is_one() -> None:
    both = Texts({**YOUNG, "fr-f": "Qe ?", "fr-fy": "Qye ?"})
    assert both.get("fr") == "Q ?"
    assert both.get("fr", feminine=True) == "Qe ?"
    assert both.get("fr", young=True) == "Qy ?"
    assert both.get("fr", feminine=True, young=True) == "Qye ?"
    assert both.get("es", feminine=True, young=True) == "¿Qy?"
    feminine_only = Texts({**TEXT, "fr-f": "Qe ?"})
    assert feminine_only.get("fr", feminine=True, young=True) == "Qe ?"
    assert Texts(TEXT).get("en", young=True) == "Q?"


def test_every_child_gate_concept_and_when_question_has_a_younger_childs_wording() -> None:
    # What every child hears: the "when?" question, each gate's and each concept's question.
    child = CATALOGUE["child"]
    gates = ("a1", "a2", "a3", "a4", "a5", "a6", "a7", "b1", "b2", "b3", "c1", "c2", "c3", "c4")
    gates += ("c5", "c6", "c7", "c8", "d1", "d2", "d3", "d4", "e0", "e1", "e2", "e3", "e4", "f1")
    gates += ("g1", "g2")
    concepts = ("money_kept", "documents", "debt", "confinement", "violence", "threats")
    concepts += ("denunciation", "exposure", "family_threats")
    feminine = {"a4", "c3", "c4", "c7", "c8", "d2", "d3", "e2", "e3", "f1", "g1"}
    feminine |= {"confinement", "violence"}
    texts = {"when": child.when["question"]}
    for gate_id in gates:
        gate = child.gate(gate_id)
        assert gate is not None, gate_id
        texts[gate_id] = gate.question
    for concept_id in concepts:
        texts[concept_id] = child.concepts[concept_id].question
    assert len(texts) == 40
    for where, question in texts.items():
        values = question.values
        assert {"en-y", "fr-y", "es-y"} <= set(values), where
        for language in ("en-y", "fr-y", "es-y", "fr-fy"):
            assert language not in values or values[language].endswith("?"), (where, language)
        assert "¿" in values["es-y"], where
        assert ("fr-f" in values) == (where in feminine), where
        assert ("fr-fy" in values) == (where in feminine), where
    for option in ("before", "way", "work"):
        assert {"en-y", "fr-y", "es-y"} <= set(child.when[option].values), option

    assert texts["a1"]["en-y"] == (
        "Right now, do you feel in danger? Do you feel that someone or something could hurt you?"
    )
    assert texts["money_kept"]["en-y"] == (
        "Did someone take your money, or keep it? Or not give you the money you earned?"
    )
    assert texts["c3"].get("fr", feminine=True, young=True) == (
        "Est-ce qu'on t'a déjà enfermée ? Est-ce qu'on te surveillait tout le temps ? "
        "Ou est-ce qu'on ne te laissait pas sortir, ou parler à d'autres personnes ?"
    )
    # An umbrella's "no" closes every item it names: the simpler words still name them all.
    c7 = texts["c7"]["es-y"].lower()
    for item in ("robar", "llevar drogas", "pedir dinero", "contra otros", "mentir", "obedecer"):
        assert item in c7, item
