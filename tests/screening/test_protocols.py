"""Red-flag protocols: each flag calls for one protocol kind (a child's for child protection,
after medical care and suicide risk), each kind is shown once in the interview language, and
a deployment's protocols missing a kind or a language stop start-up."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core.settings import RED_FLAG_PROTOCOLS
from screening import protocols
from screening.instrument_files import load_catalogue
from screening.protocols import ProtocolError, kinds, protocol_for, validate
from tests.helpers import Client

ADULT_KINDS = {
    "rf_in_danger_now": "emergency",
    "rf_controller_nearby": "emergency",
    "rf_cannot_leave": "emergency",
    "rf_threat_to_kill": "emergency",
    "rf_recent_violence": "emergency",
    "rf_sexual_assault": "emergency",
    "rf_extortion_now": "emergency",
    "rf_others_held": "emergency",
    "rf_imminent_move": "emergency",
    "rf_injury_illness": "medical",
    "rf_self_harm": "suicide_risk",
    "rf_child_separated": "child_protection",
    "rf_child_unrelated_adult": "child_protection",
    "rf_missing_companion": "missing_person",
    "rf_no_safe_place_tonight": "same_day",
    "rf_detention_or_removal": "same_day",
    "rf_interpreter_linked": "same_day",
}
CHILD_KINDS = {
    **dict.fromkeys(ADULT_KINDS, "child_protection"),
    "rf_injury_illness": "medical",
    "rf_self_harm": "suicide_risk",
}
CONFIG = validate(RED_FLAG_PROTOCOLS)


@pytest.mark.parametrize(("flag", "kind"), sorted(ADULT_KINDS.items()))
def test_an_adults_flag_calls_for_its_protocol(flag: str, kind: str) -> None:
    assert protocol_for(flag, child=False) == kind


@pytest.mark.parametrize(("flag", "kind"), sorted(CHILD_KINDS.items()))
def test_a_childs_flag_goes_to_child_protection_unless_medical_or_suicide_risk(
    flag: str, kind: str
) -> None:
    assert protocol_for(flag, child=True) == kind


def test_every_red_flag_of_the_catalogue_has_a_protocol() -> None:
    flags = {
        i.id
        for instrument in load_catalogue().values()
        for i in instrument.indicators
        if i.red_flag
    }
    assert flags - set(ADULT_KINDS) == set()


def test_an_unknown_flag_has_no_protocol() -> None:
    with pytest.raises(KeyError):
        protocol_for("rf_made_up", child=False)


def test_medical_and_suicide_risk_come_before_child_protection_for_a_child() -> None:
    assert kinds(["rf_in_danger_now", "rf_self_harm", "rf_injury_illness"], child=True) == [
        "medical",
        "suicide_risk",
        "child_protection",
    ]
    assert kinds(["rf_injury_illness"], child=True) == ["medical", "child_protection"]
    assert kinds([], child=True) == []


def test_each_protocol_is_given_once_with_the_flags_that_call_for_it() -> None:
    found = protocols.protocols(
        [
            "rf_cannot_leave",
            "rf_in_danger_now",
            "rf_made_up",
            "rf_cannot_leave",
            "rf_no_safe_place_tonight",
        ],
        child=False,
        language="en",
        config=CONFIG,
    )
    assert [(p["kind"], p["flags"]) for p in found] == [
        ("emergency", ["rf_cannot_leave", "rf_in_danger_now"]),
        ("same_day", ["rf_no_safe_place_tonight"]),
    ]
    assert found[0]["title"] == "Immediate danger"
    assert found[0]["contact"].startswith("the emergency services")
    assert found[0]["steps"][0] == (
        "If anyone is hurt or in danger right now, call the emergency services."
    )


def test_child_protection_lists_every_flag_of_a_child() -> None:
    found = protocols.protocols(
        ["rf_injury_illness", "rf_missing_companion"], child=True, language="en", config=CONFIG
    )
    assert [(p["kind"], p["flags"]) for p in found] == [
        ("medical", ["rf_injury_illness"]),
        ("child_protection", ["rf_injury_illness", "rf_missing_companion"]),
    ]


def test_protocols_are_worded_in_the_interview_language_or_english() -> None:
    french = protocols.protocols(["rf_self_harm"], False, "fr", CONFIG)[0]
    spanish = protocols.protocols(["rf_self_harm"], False, "es", CONFIG)[0]
    other = protocols.protocols(["rf_self_harm"], False, "de", CONFIG)[0]
    assert (french["title"], french["language"]) == ("Risque de suicide ou d'automutilation", "fr")
    assert spanish["title"] == "Riesgo de suicidio o de autolesión"
    assert (other["title"], other["language"]) == ("Risk of suicide or self-harm", "en")


def test_steps_may_be_one_text_and_extra_languages_are_kept() -> None:
    config = copy.deepcopy(RED_FLAG_PROTOCOLS)
    config["medical"]["steps"] = {
        "en": "Call 112.",
        "fr": "Appelez le 112.",
        "es": "Llame al 112.",
        "ar": "اتصل بالرقم 112.",
    }
    checked = validate(config)
    assert checked["medical"]["steps"]["en"] == ("Call 112.",)
    assert protocols.protocol("medical", "ar", checked)["steps"] == ["اتصل بالرقم 112."]


def without(path: tuple[str, ...]) -> dict[str, Any]:
    config = copy.deepcopy(RED_FLAG_PROTOCOLS)
    target: Any = config
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return config


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("medical",), "RED_FLAG_PROTOCOLS: missing protocol kinds ['medical']"),
        (
            ("same_day", "contact"),
            "RED_FLAG_PROTOCOLS['same_day']: needs exactly the fields title, steps, contact",
        ),
        (
            ("suicide_risk", "title", "fr"),
            "RED_FLAG_PROTOCOLS['suicide_risk']['title']: no text in fr",
        ),
        (("emergency", "steps", "es"), "RED_FLAG_PROTOCOLS['emergency']['steps']: no text in es"),
    ],
)
def test_a_missing_kind_field_or_language_is_named(path: tuple[str, ...], message: str) -> None:
    with pytest.raises(ProtocolError) as error:
        validate(without(path))
    assert str(error.value) == message


def test_empty_texts_and_unknown_kinds_are_refused() -> None:
    config = copy.deepcopy(RED_FLAG_PROTOCOLS)
    config["medical"]["contact"]["en"] = "  "
    with pytest.raises(ProtocolError, match=r"\['medical'\]\['contact'\]\['en'\]: needs "):
        validate(config)
    with pytest.raises(ProtocolError, match=r"unknown protocol kinds \['fire'\]"):
        validate({**RED_FLAG_PROTOCOLS, "fire": RED_FLAG_PROTOCOLS["medical"]})


def test_a_deployment_missing_a_protocol_does_not_start(make_app: Any, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    (instance / "config.py").write_text(
        "from core.settings import RED_FLAG_PROTOCOLS\n"
        "RED_FLAG_PROTOCOLS = {k: v for k, v in RED_FLAG_PROTOCOLS.items() "
        "if k != 'missing_person'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ProtocolError, match=r"missing protocol kinds \['missing_person'\]"):
        make_app()


def test_the_old_single_safety_contact_stops_start_up(make_app: Any) -> None:
    with pytest.raises(ProtocolError, match="SAFETY_CONTACT is no longer used"):
        make_app(SAFETY_CONTACT="+00 duty line")


@pytest.fixture
def duty_line_app(make_app: Any) -> Flask:
    config = copy.deepcopy(RED_FLAG_PROTOCOLS)
    config["emergency"]["contact"] = {
        "en": "the duty line 0800 000 111",
        "fr": "la permanence 0800 000 111",
        "es": "la línea de guardia 0800 000 111",
    }
    return make_app(RED_FLAG_PROTOCOLS=config)


def test_the_stop_page_names_the_deployments_emergency_contact(
    duty_line_app: Flask, make_account: Any, clock: Any
) -> None:
    client = Client(duty_line_app, clock)
    client.sign_in(make_account("screener"))
    page = client.get("/screenings/stop").get_data(as_text=True)
    assert "call the duty line 0800 000 111." in page
