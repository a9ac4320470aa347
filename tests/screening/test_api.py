"""The screening API: instruments, one-call screenings scored and stored, reading them back
within scope, and clear errors for bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import db
from screening.models import Person
from tests.helpers import Account, Client
from tests.screening.payloads import body, child_body, likely_adult_answers, pick


@pytest.fixture
def token_for(accounts: dict[str, Account], issue_token: Any) -> Any:
    return lambda name: {"Authorization": f"Bearer {issue_token(accounts[name])}"}


def post(client: Client, headers: dict[str, str], data: Any) -> Any:
    return client.raw.post("/api/v1/screenings", json=data, headers=headers)


def test_instruments_are_listed_in_the_requested_language(client: Client,
                                                          token_for: Any) -> None:
    english = client.get("/api/v1/instruments", headers=token_for("partner")).get_json()
    french = client.get("/api/v1/instruments?language=fr",
                        headers=token_for("partner")).get_json()
    assert {i["id"] for i in english["items"]} == {"adult", "child"}
    first_en = english["items"][0]["indicators"][0]
    first_fr = french["items"][0]["indicators"][0]
    assert first_en["id"] == first_fr["id"]
    assert first_en["question"] != first_fr["question"]
    assert set(first_en) >= {"id", "dimension", "strength", "population", "exploitation",
                             "red_flag", "question"}
    bad = client.get("/api/v1/instruments?language=de", headers=token_for("partner"))
    assert bad.status_code == 400


def test_screening_is_scored_stored_and_read_back(app: Flask, client: Client,
                                                  token_for: Any) -> None:
    headers = token_for("screener")
    created = post(client, headers, body())
    assert created.status_code == 201
    data = created.get_json()
    result = data["result"]
    assert result["classification"] == "likely_trafficking"
    assert (result["urgent"], result["incomplete"], result["smuggling"]) == (False, False, False)
    assert result["route"] == "specialised_assistance"
    assert result["dimensions"]["coercion_at_destination"]["clause"] == "two_strong"
    assert any("not an identification" in line for line in result["explanation"])
    assert uuid.UUID(data["case_id"])
    again = client.get(f"/api/v1/screenings/{data['id']}", headers=headers)
    assert again.status_code == 200
    assert again.get_json()["result"] == result
    assert again.get_json()["case_id"] == data["case_id"]
    with app.app_context():
        actions = db.session().scalars(sa.select(AuditEvent.action)
                                       .order_by(AuditEvent.seq)).all()
    assert actions[-6:] == ["person.created", "screening.created", "screening.updated",
                            "screening.completed", "case.opened", "screening.read"]


def test_explanation_follows_the_screening_language(client: Client, token_for: Any) -> None:
    data = post(client, token_for("screener"), body(language="fr")).get_json()
    assert any("identification" in line and "pas" in line
               for line in data["result"]["explanation"])


def test_nothing_identifying_is_stored_in_the_clear(app: Flask, client: Client,
                                                    token_for: Any) -> None:
    from tests.screening.test_people import raw_database_bytes

    post(client, token_for("screener"), body())
    raw = raw_database_bytes(app)
    for canary in (b"Canaryapi", b"Canaryregionapi", b"canary-api-contact", b"Testperson"):
        assert canary not in raw


def test_supervisor_of_the_team_reads_it_and_others_get_404(
        app: Flask, client: Client, token_for: Any) -> None:
    created = post(client, token_for("screener"), body()).get_json()
    url = f"/api/v1/screenings/{created['id']}"
    assert client.get(url, headers=token_for("supervisor")).status_code == 200
    for outsider in ("screener_b", "supervisor_b"):
        response = client.get(url, headers=token_for(outsider))
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    missing = client.get("/api/v1/screenings/00000000-0000-0000-0000-000000000000",
                         headers=token_for("screener"))
    assert missing.get_json() == response.get_json()
    with app.app_context():
        denied = db.session().scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "access.denied")).all()
    assert {e.object_id for e in denied} >= {created["id"]}


@pytest.mark.parametrize("role", ["partner", "auditor", "admin"])
def test_only_screeners_and_supervisors_screen(client: Client, token_for: Any,
                                               role: str) -> None:
    assert post(client, token_for(role), body()).status_code == 403


@pytest.mark.parametrize(("changes", "field"), [
    ({"instrument": "nope"}, "instrument"),
    ({"language": "de"}, "language"),
    ({"unexpected": 1}, "unexpected"),
    ({"needs": ["spa"]}, "needs"),
    ({"exploitation": "other"}, "exploitation"),
    ({"answers": {"not_a_question": "yes"}}, "answers.not_a_question"),
    ({"answers": {}, "subject": {"given_name": ""}}, "subject.given_name"),
    ({"subject": {"given_name": "A", "age": 400}}, "subject.age"),
    ({"subject": {"given_name": "A", "age": "ten"}}, "subject.age"),
    ({"subject": {"given_name": "A", "nationality": "france"}}, "subject.nationality"),
    ({"subject": {"given_name": "A", "languages": ["english"]}}, "subject.languages[0]"),
    ({"subject": {"given_name": "A" * 101}}, "subject.given_name"),
    ({"consent": {"screening": False}}, "consent.screening"),
    ({"consent": {"screening": True, "share": ["contact"]}}, "consent.share"),
    ({"consent": {"screening": True, "referral": True, "share": ["password"]}},
     "consent.share"),
    ({"subject": {"given_name": "A", "passport": "X1"}}, "subject.passport"),
    ({"subject": {"given_name": "A", "location": {"country": "XK", "street": "x"}}},
     "subject.location.street"),
    ({"consent": {"screening": True, "forever": True}}, "consent.forever"),
])
def test_bad_input_gets_a_field_error(client: Client, token_for: Any, changes: dict[str, Any],
                                      field: str) -> None:
    response = post(client, token_for("screener"), body(**changes))
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_bad_answer_value_gets_a_field_error(client: Client, token_for: Any) -> None:
    answers = likely_adult_answers()
    first = next(iter(answers))
    response = post(client, token_for("screener"), body(answers={first: "maybe"}))
    assert response.get_json()["error"]["fields"] == {
        f"answers.{first}": "must be one of yes, no, unknown, declined"}


@pytest.mark.parametrize("raw", [b"not json", b"[]", b"null", b'"text"'])
def test_body_that_is_not_an_object_gets_400(client: Client, token_for: Any,
                                             raw: bytes) -> None:
    response = client.raw.post("/api/v1/screenings", data=raw, headers={
        **token_for("screener"), "Content-Type": "application/json"})
    assert response.status_code == 400


def stored_people(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(Person)) or 0


@pytest.mark.parametrize(("alone", "safe_to_talk"), [(False, False), (False, True),
                                                     (True, False)])
def test_the_api_refuses_what_the_web_safety_check_refuses(
        app: Flask, client: Client, signed_in: Any, token_for: Any, alone: bool,
        safe_to_talk: bool) -> None:
    web = signed_in("screener").post("/screenings/new", {
        "alone": "yes" if alone else "no", "safe_to_talk": "yes" if safe_to_talk else "no",
        "child": "no", "language": "en", "interpreter_independent": "none"})
    assert web.location.endswith("/screenings/stop")
    response = post(client, token_for("screener"), body(safety={
        "alone": alone, "safe_to_talk": safe_to_talk, "interpreter_independent": "none"}))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "safety": "the person must be alone and safe to talk"}
    assert stored_people(app) == 0


@pytest.mark.parametrize(("safety", "fields"), [
    (None, {"safety": "required object with alone and safe_to_talk"}),
    ({}, {"safety.alone": "required: true or false",
          "safety.safe_to_talk": "required: true or false"}),
    ({"alone": True}, {"safety.safe_to_talk": "required: true or false"}),
    ({"alone": "yes", "safe_to_talk": True}, {"safety.alone": "required: true or false"}),
    ({"alone": True, "safe_to_talk": True, "interpreter_independent": True},
     {"safety.interpreter_independent": "must be one of yes, no, none"}),
    ({"alone": True, "safe_to_talk": True, "possibly_minor": "no"},
     {"safety.possibly_minor": "must be true or false"}),
    ({"alone": True, "safe_to_talk": True, "bystanders": 0},
     {"safety.bystanders": "unknown field"}),
])
def test_a_safety_check_not_answered_is_not_safe(app: Flask, client: Client, token_for: Any,
                                                 safety: Any, fields: dict[str, str]) -> None:
    data = body()
    if safety is None:
        del data["safety"]
    else:
        data["safety"] = safety
    response = post(client, token_for("screener"), data)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == fields
    assert stored_people(app) == 0


def test_a_safe_interview_with_an_interpreter_is_recorded(client: Client,
                                                          token_for: Any) -> None:
    response = post(client, token_for("screener"), body(safety={
        "alone": True, "safe_to_talk": True, "possibly_minor": False,
        "interpreter_independent": "yes", "interpreter_language": "ar"}))
    assert response.status_code == 201


def test_child_screening_goes_to_child_protection(client: Client, token_for: Any) -> None:
    signs = (pick("child", "exploitative_conditions", "strong", 1)
             + pick("child", "exploitative_conditions", "medium", 1))
    data = child_body(answers=dict.fromkeys(signs, "yes"))
    result = post(client, token_for("screener"), data).get_json()["result"]
    assert (result["classification"], result["urgent"], result["route"]) == (
        "likely_trafficking", True, "child_protection")
    assert result["child"] is True
