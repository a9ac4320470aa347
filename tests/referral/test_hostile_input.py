"""Hostile input never makes a 500 (R30): bodies nested far too deep, text that is not valid
Unicode, objects and lists where the API expects a string, control characters in ``next``.
Each gets a clear 4xx in the API's error shape (or a refused form), and nothing stored moves."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from screening.models import Person
from tests.helpers import Client
from tests.referral.conftest import FULL_CONSENT
from tests.screening.payloads import body

API = Callable[..., Any]
NESTED_TOO_DEEP = {"body": "at most 16 levels of nesting"}
NOT_UNICODE = {"body": "text must be valid Unicode (no lone surrogates)"}

# Deep enough for the JSON parser itself to give up, and merely deeper than any body needs.
PARSER_LIMIT = b'{"note": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
SEVENTEEN_LEVELS = json.dumps(
    {"partner": "org-a", "note": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}
).encode()
HOSTILE = [
    (PARSER_LIMIT, NESTED_TOO_DEEP),
    (SEVENTEEN_LEVELS, NESTED_TOO_DEEP),
    (b'{"reason": "\\ud800"}', NOT_UNICODE),
    (b'{"outcome": "services_provided", "x": ["ok", {"\\udfff": 1}]}', NOT_UNICODE),
]
REFERRAL_ACTIONS = ["accept", "decline", "close"]


def people(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(Person)) or 0


def send_raw(client: Client, token: str, path: str, raw: bytes) -> Any:
    return client.raw.post(
        f"/api/v1{path}",
        data=raw,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(("raw", "fields"), HOSTILE)
def test_hostile_bodies_are_refused_at_the_door_of_every_operation(
    app: Flask,
    client: Client,
    api: API,
    issue_token: Any,
    accounts: Any,
    referral: Callable[..., str],
    raw: bytes,
    fields: dict[str, str],
) -> None:
    referral_id = referral()
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    before = (people(app), api("screener", "GET", f"/cases/{case_id}").get_json())
    screener, partner = issue_token(accounts["screener"]), issue_token(accounts["partner"])
    calls = [
        (screener, "/screenings"),
        (screener, f"/cases/{case_id}/referrals"),
        (screener, f"/referrals/{referral_id}/withdraw"),
        *((partner, f"/referrals/{referral_id}/{action}") for action in REFERRAL_ACTIONS),
    ]
    for token, path in calls:
        response = send_raw(client, token, path, raw)
        assert response.status_code == 400, (path, response.get_json())
        assert response.get_json()["error"]["code"] == "bad_request"
        assert response.get_json()["error"]["fields"] == fields
    assert (people(app), api("screener", "GET", f"/cases/{case_id}").get_json()) == before


def test_a_lone_surrogate_in_a_name_is_refused_and_nothing_is_stored(
    app: Flask, client: Client, issue_token: Any, accounts: Any
) -> None:
    data = body(subject={"given_name": "Canary\ud800", "age": 30})
    response = send_raw(
        client, issue_token(accounts["screener"]), "/screenings", json.dumps(data).encode()
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == NOT_UNICODE
    assert people(app) == 0


@pytest.mark.parametrize("wrong", [{"x": 1}, ["adult"], 7, True])
@pytest.mark.parametrize(
    ("where", "fields"),
    [
        ({"instrument"}, {"instrument": "must be one of adult, child"}),
        ({"language"}, {"language": "must be one of en, fr, es"}),
        ({"red_flag_actions"}, {"red_flag_actions": "must be a list of objects"}),
        ({"subject", "sex"}, {"subject.sex": "must be one of female, male, other, unknown"}),
        (
            {"subject", "given_name"},
            {"subject.given_name": "must be text of at most 100 characters"},
        ),
        (
            {"safety", "interpreter_independent"},
            {"safety.interpreter_independent": "must be one of yes, no, none"},
        ),
    ],
)
def test_a_value_of_the_wrong_type_in_a_screening_is_a_field_error(
    app: Flask, api: API, partners: None, wrong: Any, where: set[str], fields: dict[str, str]
) -> None:
    data = body()
    path = sorted(where, key=lambda name: name not in data)
    if len(path) == 1:
        data[path[0]] = wrong
    else:
        data[path[0]] = {**data[path[0]], path[1]: wrong}
    response = api("screener", "POST", "/screenings", data)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == fields
    assert people(app) == 0


@pytest.mark.parametrize("wrong", [{"x": 1}, ["a"], 7, None])
def test_a_value_of_the_wrong_type_in_a_screening_list_is_a_field_error(
    app: Flask, api: API, partners: None, wrong: Any
) -> None:
    data = body(
        needs=[wrong],
        answers={next(iter(body()["answers"])): wrong},
        consent={"screening": True, "referral": True, "share": [wrong]},
    )
    response = api("screener", "POST", "/screenings", data)
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) >= {"needs", "consent.share"}
    assert people(app) == 0


ANSWER_FIELDS = {"decline": ("reason", "out_of_area"), "close": ("outcome", "services_provided")}


@pytest.mark.parametrize("action", ["decline", "close"])
@pytest.mark.parametrize(
    ("make", "fields"),
    [
        (lambda name, good: {name: {"x": good}}, "named"),
        (lambda name, good: {name: [good]}, "named"),
        (lambda name, good: {name: 1}, "named"),
        (lambda name, good: {}, "named"),
        (lambda name, good: [good], "named"),
        (lambda name, good: good, "named"),
        (lambda name, good: {name: good, "extra": 1}, "extra"),
    ],
)
def test_a_value_of_the_wrong_type_in_an_answer_is_a_field_error(
    api: API, referral: Callable[..., str], action: str, make: Any, fields: str
) -> None:
    referral_id = referral()
    if action == "close":
        assert api("partner", "POST", f"/referrals/{referral_id}/accept").status_code == 200
    before = api("partner", "GET", f"/referrals/{referral_id}").get_json()
    name, good = ANSWER_FIELDS[action]
    response = api("partner", "POST", f"/referrals/{referral_id}/{action}", make(name, good))
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {name if fields == "named" else fields}
    assert api("partner", "GET", f"/referrals/{referral_id}").get_json() == before


@pytest.mark.parametrize(
    "target",
    [
        "/account\r\nSet-Cookie: stolen=1",
        "/\nevil.example",
        "/account\rx",
        "/a\tb",
        "/a\x1bb",
        "/a\x7fb",
        "/a\x85b",
    ],
)
def test_control_characters_in_next_lead_home(client: Client, target: str) -> None:
    response = client.post("/language", {"locale": "fr", "next": target}, form_page="/login")
    assert response.status_code == 302
    assert response.location == "/"


@pytest.mark.parametrize("note", ["call first\x1b[2J", "bell\x07", "next\x85line"])
def test_control_characters_in_a_referral_note_are_refused(
    app: Flask, api: API, open_case: Callable[..., str], note: str
) -> None:
    case_id = open_case("screener", consent=FULL_CONSENT)
    sent = {"partner": "org-a", "services": ["shelter"], "share": ["given_name"], "note": note}
    response = api("screener", "POST", f"/cases/{case_id}/referrals", sent)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"note": "must not hold control characters"}
    assert api("screener", "GET", f"/cases/{case_id}").get_json()["referrals"] == []


def test_a_referral_note_keeps_its_tabs_and_line_breaks(
    api: API, open_case: Callable[..., str]
) -> None:
    case_id = open_case("screener", consent=FULL_CONSENT)
    note = "Arrives Monday.\r\n\tNeeds an interpreter\u00a0: Tigrinya."
    sent = {"partner": "org-a", "services": ["shelter"], "share": ["given_name"], "note": note}
    response = api("screener", "POST", f"/cases/{case_id}/referrals", sent)
    assert response.status_code == 201, response.get_json()
