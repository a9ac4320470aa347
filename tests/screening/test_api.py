"""The screening API: instruments; one-call screenings scored and stored; the interview gate
by gate (GET …/next, POST …/answers, …/red-flag-actions, …/complete) scoring what the one
call scores; red flags answered before completion; a child's hand-over; results stored
before the adaptive interview kept as they were; reading within scope; clear errors for bad
input (docs/screening.md §3, §6, §7)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import datakeys, db
from screening.models import Person, Screening
from tests.helpers import Account, Client, raw_database_bytes
from tests.screening.payloads import LIKELY_ADULT, body, child_body, likely_adult_answers

Api = Callable[..., Any]
SCORED = ("classification", "incomplete", "urgent", "route", "smuggling")
ACTED_AT = "2026-03-02T09:00:00Z"  # the test clock's start, when the screenings begin
CANARY_OUTCOME = "Canaryoutcome: taken to the Canaryshelter"
# The gate-by-gate walk answers from this, and "no" to anything else: "yes" to a5 ("do you
# have a safe place tonight?"), whose "no" raises a red flag.
WALK = {**LIKELY_ADULT, "a5": "yes"}
# What the adult interview asks, in order, when answered from WALK (docs/screening.md §4):
# six safety gates; work; the control concepts with their "when?"; how it started; the
# border and sexual filters; the closing safety gates. b2's remaining members, c6–c8, d3–d5
# and the journey are not needed once the three elements are met.
WALK_ASKED = [
    ("gate", "rf_in_danger_now"),
    ("gate", "rf_controller_nearby"),
    ("gate", "rf_cannot_leave"),
    ("gate", "rf_injury_illness"),
    ("gate", "a5"),
    ("gate", "rf_detention_or_removal"),
    ("gate", "ec_excessive_hours"),
    ("gate", "b2"),
    ("list", "b2_list"),
    ("gate", "documents"),
    ("when", "documents_when"),
    ("gate", "debt"),
    ("when", "debt_when"),
    ("gate", "confinement"),
    ("gate", "violence"),
    ("gate", "c5"),
    ("gate", "dr_job_nature"),
    ("gate", "d2"),
    ("list", "d2_list"),
    ("gate", "e0"),
    ("gate", "f1"),
    ("gate", "rf_imminent_move"),
    ("gate", "rf_self_harm"),
]


@pytest.fixture
def token_for(accounts: dict[str, Account], issue_token: Any) -> Any:
    return lambda name: {"Authorization": f"Bearer {issue_token(accounts[name])}"}


@pytest.fixture
def api(client: Client, accounts: dict[str, Account], issue_token: Any) -> Api:
    """``api(account_name, method, url, json=None)`` under /api/v1 with that account's
    bearer token."""
    tokens: dict[str, str] = {}

    def call(name: str, method: str, url: str, json: Any = None) -> Any:
        if name not in tokens:
            tokens[name] = issue_token(accounts[name])
        return client.raw.open(
            f"/api/v1{url}",
            method=method,
            json=json,
            headers={"Authorization": f"Bearer {tokens[name]}"},
        )

    return call


def post(client: Client, headers: dict[str, str], data: Any) -> Any:
    return client.raw.post("/api/v1/screenings", json=data, headers=headers)


def draft(api: Api, **changes: Any) -> str:
    """Open a draft of the adult synthetic person through the API (``complete`` false);
    returns its id."""
    response = api(
        "screener", "POST", "/screenings", body(**{"answers": {}, "complete": False, **changes})
    )
    # 202 while a red flag raised by the answers waits for its action.
    assert response.status_code == (202 if response.get_json()["waiting"] else 201)
    assert response.get_json()["status"] == "draft"
    return response.get_json()["id"]


def action(flags: list[str], /, **changes: Any) -> dict[str, Any]:
    """A red-flag action as the API takes it."""
    return {
        "flags": flags,
        "contacted": ["emergency_services", "supervisor"],
        "acted_at": ACTED_AT,
        "action": "called",
        "outcome": CANARY_OUTCOME,
        **changes,
    }


def audit_events(app: Flask, name: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if name is not None:
            query = query.where(AuditEvent.action == name)
        events = db.session().scalars(query).all()
        db.session().expunge_all()
        return list(events)


# Instruments


def test_instruments_are_listed_in_the_requested_language(client: Client, token_for: Any) -> None:
    english = client.get("/api/v1/instruments", headers=token_for("partner")).get_json()
    french = client.get("/api/v1/instruments?language=fr", headers=token_for("partner")).get_json()
    assert {i["id"] for i in english["items"]} == {"adult", "child"}
    assert {i["id"]: i["version"] for i in english["items"]} == {
        "adult": "2026.3",
        "child": "2026.4",
    }
    first_en = english["items"][0]["indicators"][0]
    first_fr = french["items"][0]["indicators"][0]
    assert first_en["id"] == first_fr["id"]
    assert first_en["question"] != first_fr["question"]
    assert set(first_en) >= {
        "id",
        "dimension",
        "strength",
        "grades",
        "exploitation",
        "red_flag",
        "gate",
        "label",
        "question",
    }
    bad = client.get("/api/v1/instruments?language=de", headers=token_for("partner"))
    assert bad.status_code == 400
    assert bad.get_json()["error"]["fields"] == {"language": "must be one of en, fr, es"}


# One call


def test_screening_is_scored_stored_and_read_back(
    app: Flask, client: Client, token_for: Any
) -> None:
    headers = token_for("screener")
    created = post(client, headers, body())
    assert created.status_code == 201
    data = created.get_json()
    assert (data["status"], data["instrument"], data["instrument_version"]) == (
        "completed",
        "adult",
        "2026.3",
    )
    result = data["result"]
    assert result["classification"] == "likely_trafficking"
    assert result["rules"] == "passage-scoring/2+ilo-ec-2009"
    assert result["instrument_version"] == "2026.3"
    assert (result["urgent"], result["incomplete"], result["smuggling"]) == (False, False, False)
    assert result["range"] == {"lower": "likely_trafficking", "upper": "likely_trafficking"}
    assert result["route"] == "specialised_assistance"
    assert result["red_flags"] == []
    assert result["elements"] == {"recruitment": "met", "exploitation": "met", "destination": "met"}
    assert result["dimensions"]["coercion_at_destination"]["clause"] == "two_strong"
    assert result["dimensions"]["coercion_at_destination"]["fired"] == ["cd_documents", "cd_debt"]
    assert any("not an identification" in line for line in result["explanation"])
    assert uuid.UUID(data["case_id"])
    again = client.get(f"/api/v1/screenings/{data['id']}", headers=headers)
    assert again.status_code == 200
    assert again.get_json()["result"] == result
    assert again.get_json()["case_id"] == data["case_id"]
    actions = [e.action for e in audit_events(app)]
    assert actions[-6:] == [
        "person.created",
        "screening.created",
        "screening.updated",
        "screening.completed",
        "case.opened",
        "screening.read",
    ]


def test_explanation_follows_the_screening_language(client: Client, token_for: Any) -> None:
    data = post(client, token_for("screener"), body(language="fr")).get_json()
    assert any("identification" in line and "pas" in line for line in data["result"]["explanation"])


def test_an_unfinished_adult_screening_shows_a_range(api: Api) -> None:
    """Questions never reached are unknown for an adult: no clean "no indicators"."""
    response = api("screener", "POST", "/screenings", body(answers={}))
    assert response.status_code == 201
    result = response.get_json()["result"]
    assert {k: result[k] for k in SCORED} == {
        "classification": "possible_trafficking",
        "incomplete": True,
        "urgent": False,
        "route": "specialised_assistance",
        "smuggling": False,
    }
    assert result["range"] == {"lower": "no_indicators", "upper": "likely_trafficking"}
    assert result["lower_bound"] is False


def test_an_adult_interview_is_not_handed_over(api: Api) -> None:
    """The hand-over to child protection, which counts questions not reached as no, is a
    child's: an adult's answers cannot end in a clean "no indicators" that way."""
    response = api("screener", "POST", "/screenings", body(answers={"handover": "done"}))
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {
        "answers.handover": "not a question of this instrument"
    }
    saved = api(
        "screener", "POST", f"/screenings/{draft(api)}/answers", {"answers": {"handover": "done"}}
    )
    assert saved.status_code == 400
    assert saved.get_json()["error"]["fields"] == {
        "answers.handover": "not a question of this instrument"
    }


def test_nothing_identifying_is_stored_in_the_clear(
    app: Flask, client: Client, token_for: Any
) -> None:
    post(client, token_for("screener"), body())
    raw = raw_database_bytes(app)
    for canary in (b"Canaryapi", b"Canaryregionapi", b"canary-api-contact", b"Testperson"):
        assert canary not in raw


# The interview gate by gate


def test_complete_false_opens_a_draft_at_the_first_adult_question(api: Api) -> None:
    response = api("screener", "POST", "/screenings", body(answers={}, complete=False))
    assert response.status_code == 201
    data = response.get_json()
    assert (data["status"], data["result"], data["completed_at"]) == ("draft", None, None)
    assert (data["urgent"], data["red_flags"], data["waiting"], data["protocols"]) == (
        False,
        [],
        [],
        [],
    )
    assert "case_id" not in data
    assert data["next"] == {
        "kind": "gate",
        "key": "rf_in_danger_now",
        "block": "safety",
        "gate": "a1",
        "gate_kind": "safety",
        "values": ["yes", "no", "unknown", "declined"],
        "question": "Right now, do you feel you are in danger?",
    }
    read = api("screener", "GET", f"/screenings/{data['id']}")
    assert read.status_code == 200
    assert (read.get_json()["status"], read.get_json()["result"], read.get_json()["case_id"]) == (
        "draft",
        None,
        None,
    )


def test_the_next_question_is_in_the_interview_language(api: Api) -> None:
    english = api("screener", "GET", f"/screenings/{draft(api)}/next").get_json()
    french = api("screener", "GET", f"/screenings/{draft(api, language='fr')}/next").get_json()
    assert english["next"]["key"] == french["next"]["key"] == "rf_in_danger_now"
    assert english["next"]["question"] != french["next"]["question"]


def walk(api: Api, screening_id: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Answer what ``next`` asks from WALK, else "no", until done; returns the steps asked
    and the answers given."""
    asked: list[tuple[str, str]] = []
    given: dict[str, str] = {}
    step = api("screener", "GET", f"/screenings/{screening_id}/next").get_json()["next"]
    while step["kind"] != "done":
        assert len(asked) < 60, asked
        asked.append((step["kind"], step["key"]))
        # A "which of these?" page answers each member it lists under the member's key.
        keys = [m["key"] for m in step["members"]] if step["kind"] == "list" else [step["key"]]
        page = {key: WALK.get(key, "no") for key in keys}
        given.update(page)
        saved = api("screener", "POST", f"/screenings/{screening_id}/answers", {"answers": page})
        assert saved.status_code == 200, saved.get_json()
        assert (saved.get_json()["raised"], saved.get_json()["waiting"]) == ([], [])
        step = api("screener", "GET", f"/screenings/{screening_id}/next").get_json()["next"]
        assert saved.get_json()["next"] == step
    return asked, given


def test_answers_given_gate_by_gate_score_as_the_one_call_does(app: Flask, api: Api) -> None:
    screening_id = draft(api)
    asked, given = walk(api, screening_id)
    assert asked == WALK_ASKED
    completed = api("screener", "POST", f"/screenings/{screening_id}/complete")
    assert completed.status_code == 200
    data = completed.get_json()
    assert data["status"] == "completed"
    assert uuid.UUID(data["case_id"])
    stepwise = data["result"]
    assert {k: stepwise[k] for k in SCORED} == {
        "classification": "likely_trafficking",
        "incomplete": False,
        "urgent": False,
        "route": "specialised_assistance",
        "smuggling": False,
    }
    assert stepwise["rules"] == "passage-scoring/2+ilo-ec-2009"
    one_call = api("screener", "POST", "/screenings", body(answers=given))
    assert one_call.status_code == 201
    whole = one_call.get_json()["result"]
    assert {k: whole[k] for k in SCORED} == {k: stepwise[k] for k in SCORED}
    assert (whole["range"], whole["elements"]) == (stepwise["range"], stepwise["elements"])
    assert api("screener", "GET", f"/screenings/{screening_id}").get_json()["result"] == stepwise
    assert [e.action for e in audit_events(app, "screening.completed")] == [
        "screening.completed"
    ] * 2


def test_answers_are_checked_key_by_key(api: Api) -> None:
    screening_id = draft(api)
    response = api(
        "screener",
        "POST",
        f"/screenings/{screening_id}/answers",
        {
            "answers": {
                "a1": "yes",
                "not_a_question": "yes",
                "b2": "maybe",
                "documents_when": "tomorrow",
                "interpreter_replaced": "no",
                "ec_excessive_hours": 1,
                "rf_self_harm": "no",
            }
        },
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {
        "answers.a1": "not a question of this instrument",
        "answers.not_a_question": "not a question of this instrument",
        "answers.b2": "must be one of yes, no, unknown, declined",
        "answers.documents_when": "must be phases among before, way, work, or unknown or declined",
        "answers.interpreter_replaced": "not an accepted value",
        "answers.ec_excessive_hours": "must be one of yes, no, unknown, declined",
    }
    # Nothing of a refused page is kept, not even its valid answers.
    step = api("screener", "GET", f"/screenings/{screening_id}/next").get_json()["next"]
    assert step["key"] == "rf_in_danger_now"
    more = api(
        "screener",
        "POST",
        f"/screenings/{screening_id}/answers",
        {"answers": {"rf_in_danger_now": "no", "documents_when": "before work"}},
    )
    assert more.status_code == 200


def test_an_answer_is_reopened_and_asked_again_from_there(app: Flask, api: Api) -> None:
    screening_id = draft(api)
    for page in ({"rf_in_danger_now": "no"}, {"rf_controller_nearby": "unknown"}):
        answered = api("screener", "POST", f"/screenings/{screening_id}/answers", {"answers": page})
        assert answered.status_code == 200
    reopened = api(
        "screener", "POST", f"/screenings/{screening_id}/reopen", {"key": "rf_in_danger_now"}
    )
    assert reopened.status_code == 200
    assert reopened.get_json()["next"]["key"] == "rf_in_danger_now"
    after = api("screener", "GET", f"/screenings/{screening_id}/next").get_json()
    assert after["next"]["key"] == "rf_in_danger_now"
    # Not answered (or not a key at all): nothing is cleared.
    for key in ("rf_controller_nearby", "b2", "no_such_key"):
        refused = api("screener", "POST", f"/screenings/{screening_id}/reopen", {"key": key})
        assert refused.status_code == 409
        assert refused.get_json()["error"]["fields"] == {
            "key": "not the key of an answer given in this interview"
        }
    for data in ({}, {"key": 1}, {"key": "a1", "more": 1}, ["a1"]):
        malformed = api("screener", "POST", f"/screenings/{screening_id}/reopen", data)
        assert malformed.status_code == 400
        assert malformed.get_json()["error"]["fields"] == {
            "key": "required string: an answer's key"
        }
    completed = api("screener", "POST", "/screenings", body()).get_json()
    late = api("screener", "POST", f"/screenings/{completed['id']}/reopen", {"key": "b2"})
    assert late.status_code == 409


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"answers": []},
        {"answers": "yes"},
        {"answers": None},
        {"answers": {}, "more": 1},
        [],
        "answers",
        None,
    ],
)
def test_answers_that_are_not_an_object_of_answers_get_400(api: Api, data: Any) -> None:
    response = api("screener", "POST", f"/screenings/{draft(api)}/answers", data)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"answers": "required object of key to answer"}


def test_a_completed_screening_takes_no_more_answers(app: Flask, api: Api) -> None:
    created = api("screener", "POST", "/screenings", body()).get_json()
    url = f"/screenings/{created['id']}"
    conflict = {
        "error": {
            "code": "conflict",
            "fields": {"status": "completed"},
            "message": "this screening is completed",
        }
    }
    for method, path, data in (
        ("POST", "/answers", {"answers": {"b2": "no"}}),
        ("GET", "/next", None),
        ("POST", "/complete", None),
    ):
        response = api("screener", method, url + path, data)
        assert response.status_code == 409, path
        assert response.get_json() == conflict
    assert api("screener", "GET", url).get_json()["result"] == created["result"]
    assert len(audit_events(app, "screening.completed")) == 1


# Red flags


def test_a_red_flag_interrupts_and_blocks_completion_until_an_action(app: Flask, api: Api) -> None:
    screening_id = draft(api)
    url = f"/screenings/{screening_id}"
    saved = api("screener", "POST", f"{url}/answers", {"answers": {"rf_in_danger_now": "yes"}})
    assert saved.status_code == 200
    data = saved.get_json()
    assert data["raised"] == ["rf_in_danger_now"]
    assert (data["urgent"], data["red_flags"], data["waiting"]) == (
        True,
        ["rf_in_danger_now"],
        ["rf_in_danger_now"],
    )
    assert [(p["kind"], p["flags"]) for p in data["protocols"]] == [
        ("emergency", ["rf_in_danger_now"])
    ]
    assert data["protocols"][0]["title"] == "Immediate danger"
    assert data["next"]["key"] == "rf_controller_nearby"
    # The same answer again raises nothing new.
    again = api("screener", "POST", f"{url}/answers", {"answers": {"rf_in_danger_now": "yes"}})
    assert (again.get_json()["raised"], again.get_json()["waiting"]) == ([], ["rf_in_danger_now"])

    refused = api("screener", "POST", f"{url}/complete")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["fields"] == {"red_flags": "rf_in_danger_now"}
    assert api("screener", "GET", url).get_json()["status"] == "draft"

    recorded = api("screener", "POST", f"{url}/red-flag-actions", action(["rf_in_danger_now"]))
    assert recorded.status_code == 201
    assert recorded.get_json() == {"recorded": True, "flags": ["rf_in_danger_now"]}
    waiting = api("screener", "GET", f"{url}/next").get_json()
    assert (waiting["urgent"], waiting["red_flags"], waiting["waiting"]) == (
        True,
        ["rf_in_danger_now"],
        [],
    )

    completed = api("screener", "POST", f"{url}/complete")
    assert completed.status_code == 200
    result = completed.get_json()["result"]
    assert result["red_flags"] == ["rf_in_danger_now"]
    assert (result["urgent"], result["route"]) == (True, "emergency")

    events = audit_events(app, "screening.red_flag_action")
    assert len(events) == 1
    assert events[0].object_id == screening_id
    assert json.loads(events[0].details) == {
        "flags": ["rf_in_danger_now"],
        "protocols": ["emergency"],
        "action": "called",
    }
    everything = json.dumps([[e.details, e.object_id] for e in audit_events(app)])
    assert "Canaryoutcome" not in everything
    assert b"Canaryoutcome" not in raw_database_bytes(app)


def test_an_action_may_be_recorded_after_completion(app: Flask, api: Api) -> None:
    created = api(
        "screener",
        "POST",
        "/screenings",
        body(
            answers={**LIKELY_ADULT, "rf_in_danger_now": "yes"},
            red_flag_actions=[action(["rf_in_danger_now"], action="none_possible")],
        ),
    ).get_json()
    later = api(
        "screener",
        "POST",
        f"/screenings/{created['id']}/red-flag-actions",
        action(["rf_in_danger_now"], contacted=["other"], contacted_note="a cousin"),
    )
    assert later.status_code == 201
    assert [
        json.loads(e.details)["action"] for e in audit_events(app, "screening.red_flag_action")
    ] == ["none_possible", "called"]


def test_one_call_with_an_unanswered_red_flag_stays_a_draft(app: Flask, api: Api) -> None:
    response = api(
        "screener", "POST", "/screenings", body(answers={**LIKELY_ADULT, "rf_in_danger_now": "yes"})
    )
    assert response.status_code == 202
    data = response.get_json()
    assert (data["status"], data["result"]) == ("draft", None)
    assert (data["urgent"], data["red_flags"], data["waiting"]) == (
        True,
        ["rf_in_danger_now"],
        ["rf_in_danger_now"],
    )
    assert [p["kind"] for p in data["protocols"]] == ["emergency"]
    assert "case_id" not in data
    assert audit_events(app, "case.opened") == []
    url = f"/screenings/{data['id']}"
    assert api("screener", "POST", f"{url}/complete").status_code == 409
    assert (
        api("screener", "POST", f"{url}/red-flag-actions", action(["rf_in_danger_now"])).status_code
        == 201
    )
    completed = api("screener", "POST", f"{url}/complete").get_json()
    assert completed["result"]["classification"] == "likely_trafficking"
    assert completed["result"]["red_flags"] == ["rf_in_danger_now"]
    assert uuid.UUID(completed["case_id"])


def test_one_call_with_the_action_taken_is_completed(app: Flask, api: Api) -> None:
    response = api(
        "screener",
        "POST",
        "/screenings",
        body(
            answers={**LIKELY_ADULT, "rf_in_danger_now": "yes"},
            red_flag_actions=[action(["rf_in_danger_now"])],
        ),
    )
    assert response.status_code == 201
    data = response.get_json()
    assert data["status"] == "completed"
    assert uuid.UUID(data["case_id"])
    result = data["result"]
    assert {k: result[k] for k in SCORED} == {
        "classification": "likely_trafficking",
        "incomplete": False,
        "urgent": True,
        "route": "emergency",
        "smuggling": False,
    }
    assert result["red_flags"] == ["rf_in_danger_now"]
    assert len(audit_events(app, "screening.red_flag_action")) == 1


def test_a_linked_interpreter_is_a_red_flag_of_the_safety_check(api: Api) -> None:
    response = api(
        "screener",
        "POST",
        "/screenings",
        body(
            safety={
                "alone": True,
                "safe_to_talk": True,
                "possibly_minor": False,
                "interpreter_independent": "no",
                "interpreter_language": "ar",
            }
        ),
    )
    assert response.status_code == 202
    data = response.get_json()
    assert (data["red_flags"], data["waiting"]) == (
        ["rf_interpreter_linked"],
        ["rf_interpreter_linked"],
    )
    assert [p["kind"] for p in data["protocols"]] == ["same_day"]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        (
            {"acted_at": "2026-03-01T09:00:00Z"},
            {"acted_at": "cannot be before the screening started"},
        ),
        ({"acted_at": "2026-03-02T10:00:00Z"}, {"acted_at": "cannot be in the future"}),
        ({"flags": []}, {"flags": "name at least one red flag this action answers"}),
        ({"flags": ["ec_low_pay"]}, {"flags": "not red flags: ec_low_pay"}),
        (
            {"contacted": ["police_friend"]},
            {
                "contacted": "each must be one of emergency_services, "
                "medical, child_protection, supervisor, "
                "partner, other"
            },
        ),
        ({"contacted": ["other"]}, {"contacted_note": "say who else was contacted"}),
        (
            {"action": "shrugged"},
            {"action": "must be one of called, referred, escorted, safety_plan, none_possible"},
        ),
        ({"outcome": "x" * 4001}, {"outcome": "at most 4000 characters"}),
    ],
)
def test_a_bad_red_flag_action_gets_422_and_completion_stays_refused(
    api: Api, changes: dict[str, Any], fields: dict[str, str]
) -> None:
    screening_id = draft(api, answers={"rf_in_danger_now": "yes"})
    url = f"/screenings/{screening_id}"
    response = api(
        "screener", "POST", f"{url}/red-flag-actions", action(["rf_in_danger_now"], **changes)
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == fields
    assert api("screener", "POST", f"{url}/complete").status_code == 409


# A field of the wrong type is the body's shape: 400, as the page's form answers for a time
# it cannot read.
@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"acted_at": "yesterday"}, {"acted_at": "must be an ISO 8601 date and time"}),
        ({"acted_at": 5}, {"acted_at": "must be an ISO 8601 date and time"}),
        ({"flags": "rf_in_danger_now"}, {"flags": "must be a list of ids"}),
        ({"action": 3}, {"action": "action, outcome and contacted_note must be text"}),
        # Control characters: the note is one line, the outcome keeps only tabs and breaks.
        ({"outcome": "taken\x1b[2J away"}, {"outcome": "must not hold control characters"}),
        (
            {"contacted": ["other"], "contacted_note": "the\tmayor"},
            {"contacted_note": "must not hold control characters"},
        ),
    ],
)
def test_a_red_flag_action_of_the_wrong_shape_gets_400_and_completion_stays_refused(
    api: Api, changes: dict[str, Any], fields: dict[str, str]
) -> None:
    screening_id = draft(api, answers={"rf_in_danger_now": "yes"})
    url = f"/screenings/{screening_id}"
    response = api(
        "screener", "POST", f"{url}/red-flag-actions", action(["rf_in_danger_now"], **changes)
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "bad_request",
        "message": "invalid action",
        "fields": fields,
    }
    assert api("screener", "POST", f"{url}/complete").status_code == 409


@pytest.mark.parametrize("data", [[], "called", None, 5])
def test_a_red_flag_action_that_is_not_an_object_gets_400(api: Api, data: Any) -> None:
    response = api("screener", "POST", f"/screenings/{draft(api)}/red-flag-actions", data)
    assert response.status_code == 400


def test_a_bad_action_in_one_call_stores_nothing(app: Flask, api: Api) -> None:
    response = api(
        "screener",
        "POST",
        "/screenings",
        body(
            answers={**LIKELY_ADULT, "rf_in_danger_now": "yes"},
            red_flag_actions=[action(["rf_in_danger_now"], acted_at="2026-03-01T09:00:00Z")],
        ),
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "acted_at": "cannot be before the screening started"
    }
    assert stored(app, Person) == stored(app, Screening) == 0


def test_canaries_never_reach_the_logs(api: Api, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    created = api(
        "screener",
        "POST",
        "/screenings",
        body(
            answers={**LIKELY_ADULT, "rf_in_danger_now": "yes"},
            red_flag_actions=[
                action(
                    ["rf_in_danger_now"], contacted=["other"], contacted_note="Canarynote neighbour"
                )
            ],
        ),
    ).get_json()
    api("screener", "GET", f"/screenings/{created['id']}")
    api(
        "screener",
        "POST",
        "/screenings",
        body(subject={"given_name": "Canaryapi", "age": "Canaryage"}),
    )
    for canary in (
        "Canaryapi",
        "Canaryregionapi",
        "canary-api-contact",
        "Testperson",
        "Canaryoutcome",
        "Canaryshelter",
        "Canarynote",
        "Canaryage",
    ):
        assert canary not in caplog.text


def test_a_screening_erased_at_the_end_of_its_retention_answers_without_a_500(
    app: Flask, api: Api, client: Client, clock: Any, accounts: dict[str, Account], issue_token: Any
) -> None:
    from screening import retention

    completed = api("screener", "POST", "/screenings", body()).get_json()
    drafted = draft(api, answers={"rf_in_danger_now": "yes"})
    clock.advance(days=app.config["RETENTION_DAYS"] + 1)
    with app.app_context():
        store = db.session()
        assert len(retention.apply(store, clock.now(), dry_run=False)) == 2
        store.commit()
    headers = {"Authorization": f"Bearer {issue_token(accounts['screener'])}"}

    def call(method: str, url: str, data: Any = None) -> Any:
        return client.raw.open(
            f"/api/v1/screenings/{url}", method=method, json=data, headers=headers
        )

    read = call("GET", completed["id"])
    assert read.status_code == 200
    assert (read.get_json()["status"], read.get_json()["result"]) == ("completed", None)
    erased = {
        "error": {
            "code": "conflict",
            "fields": {"status": "erased"},
            "message": "this record was erased at the end of its retention",
        }
    }
    late = action(["rf_in_danger_now"], acted_at=clock.now().isoformat())
    for method, url, data in (
        ("POST", f"{completed['id']}/red-flag-actions", late),
        ("GET", f"{drafted}/next", None),
        ("POST", f"{drafted}/answers", {"answers": {"rf_controller_nearby": "no"}}),
        ("POST", f"{drafted}/red-flag-actions", late),
        ("POST", f"{drafted}/complete", None),
    ):
        response = call(method, url, data)
        assert response.status_code == 409, url
        assert response.get_json() == erased
    assert call("GET", drafted).get_json()["status"] == "draft"


# A child


def test_a_child_disclosure_offers_the_hand_over_and_reports_a_lower_bound(api: Api) -> None:
    response = api(
        "screener",
        "POST",
        "/screenings",
        child_body(answers={"ec_excessive_hours": "yes"}, complete=False),
    )
    assert response.status_code == 201
    url = f"/screenings/{response.get_json()['id']}"
    step = api("screener", "GET", f"{url}/next").get_json()["next"]
    assert (step["kind"], step["key"], step["values"]) == (
        "handover",
        "handover",
        ["done", "continued"],
    )
    saved = api("screener", "POST", f"{url}/answers", {"answers": {"handover": "done"}})
    assert saved.status_code == 200
    assert saved.get_json()["next"] == {"kind": "done"}
    completed = api("screener", "POST", f"{url}/complete")
    assert completed.status_code == 200
    result = completed.get_json()["result"]
    assert (result["lower_bound"], result["child"], result["route"]) == (
        True,
        True,
        "child_protection",
    )
    assert (result["classification"], result["urgent"]) == ("indicators_present", True)


def test_a_child_hand_over_continued_goes_on_with_the_questions(api: Api) -> None:
    response = api(
        "screener",
        "POST",
        "/screenings",
        child_body(answers={"ec_excessive_hours": "yes"}, complete=False),
    )
    url = f"/screenings/{response.get_json()['id']}"
    saved = api("screener", "POST", f"{url}/answers", {"answers": {"handover": "continued"}})
    assert saved.get_json()["next"]["kind"] == "gate"


def test_child_screening_in_one_call_goes_to_child_protection(api: Api) -> None:
    response = api(
        "screener", "POST", "/screenings", child_body(answers={"ec_excessive_hours": "yes"})
    )
    assert response.status_code == 201
    result = response.get_json()["result"]
    assert {k: result[k] for k in SCORED} == {
        "classification": "possible_trafficking",
        "incomplete": True,
        "urgent": True,
        "route": "child_protection",
        "smuggling": False,
    }
    assert (result["child"], result["lower_bound"]) == (True, False)


# Screenings completed before the adaptive interview


OLD_RESULT = {
    "classification": "likely_trafficking",
    "urgent": False,
    "incomplete": False,
    "smuggling": False,
    "child": False,
    "red_flags": [],
    "route": "specialised_assistance",
    "dimensions": {
        name: {
            "status": "positive" if fired else "negative",
            "clause": clause,
            "fired": fired,
            "unanswered": [],
            "could_be_positive": bool(fired),
        }
        for name, clause, fired in (
            (
                "deceptive_recruitment",
                "strong_and_medium_or_weak",
                ["dr_job_nature", "sx_deceived_into_sex_work"],
            ),
            ("coercive_recruitment", None, []),
            ("recruitment_abuse_of_vulnerability", None, []),
            (
                "exploitative_conditions",
                "strong_and_medium_or_weak",
                ["ec_excessive_hours", "ec_low_pay"],
            ),
            ("coercion_at_destination", "two_strong", ["cd_documents", "cd_debt"]),
            ("abuse_of_vulnerability_at_destination", None, []),
        )
    },
    "elements": {"recruitment": True, "exploitation": True, "destination": True},
    "smuggling_indicators": [],
    "instrument": "adult",
    "instrument_version": "2026.1",
    "rules": "passage-scoring/1+ilo-ec-2009",
    "reasons": ["class.likely_trafficking", "population.adult"],
    "explanation": ["Canaryexplanation of 2026.1", "This is not an identification."],
}


def seal_old_result(app: Flask, screening_id: str) -> None:
    """Store OLD_RESULT as a screening completed before this change stored its result:
    sealed with the person's data key, rules and version in the clear (as
    screening/services.py seals one)."""
    with app.app_context():
        store = db.session()
        screening = store.get(Screening, uuid.UUID(screening_id))
        assert screening is not None
        person = store.get(Person, screening.person_id)
        assert person is not None
        cipher = datakeys.cipher(store, person.data_key_id)
        screening.result = cipher.seal(
            "screenings", "result", screening.id, json.dumps(OLD_RESULT, sort_keys=True)
        )
        screening.rules = OLD_RESULT["rules"]
        screening.instrument_version = OLD_RESULT["instrument_version"]
        store.commit()


def test_a_result_stored_before_keeps_its_rules_and_page(
    app: Flask, api: Api, signed_in: Any
) -> None:
    created = api("screener", "POST", "/screenings", body()).get_json()
    seal_old_result(app, created["id"])
    read = api("screener", "GET", f"/screenings/{created['id']}")
    assert read.status_code == 200
    assert read.get_json()["result"] == OLD_RESULT
    assert read.get_json()["instrument_version"] == "2026.1"
    page = signed_in("screener").get(f"/screenings/{created['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "What was found, dimension by dimension" in text  # result_v1.html
    assert "Canaryexplanation of 2026.1" in text
    assert "sx_deceived_into_sex_work" in text  # no longer in the catalogue: its id
    assert "rules passage-scoring/1+ilo-ec-2009" in text
    assert "Instrument adult version 2026.1" in text


def test_a_new_result_gets_the_new_page(api: Api, signed_in: Any) -> None:
    created = api("screener", "POST", "/screenings", body()).get_json()
    page = signed_in("screener").get(f"/screenings/{created['id']}")
    assert page.status_code == 200
    assert "What was found, dimension by dimension" not in page.get_data(as_text=True)


# Who may do what


def test_supervisor_of_the_team_reads_it_and_others_get_404(
    app: Flask, client: Client, token_for: Any
) -> None:
    created = post(client, token_for("screener"), body()).get_json()
    url = f"/api/v1/screenings/{created['id']}"
    assert client.get(url, headers=token_for("supervisor")).status_code == 200
    for outsider in ("screener_b", "supervisor_b"):
        response = client.get(url, headers=token_for(outsider))
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    missing = client.get(
        "/api/v1/screenings/00000000-0000-0000-0000-000000000000", headers=token_for("screener")
    )
    assert missing.get_json() == response.get_json()
    denied = audit_events(app, "access.denied")
    assert {e.object_id for e in denied} >= {created["id"]}


STEPS = [
    ("GET", "/next", None),
    ("POST", "/answers", {"answers": {"b2": "no"}}),
    ("POST", "/red-flag-actions", action(["rf_in_danger_now"])),
    ("POST", "/complete", None),
]


@pytest.mark.parametrize(("method", "path", "data"), STEPS)
def test_another_teams_draft_is_not_found(api: Api, method: str, path: str, data: Any) -> None:
    screening_id = draft(api, answers={"rf_in_danger_now": "yes"})
    missing = api(
        "screener", method, f"/screenings/00000000-0000-0000-0000-000000000000{path}", data
    )
    assert missing.status_code == 404
    for outsider in ("screener_b", "supervisor_b"):
        response = api(outsider, method, f"/screenings/{screening_id}{path}", data)
        assert response.status_code == 404
        assert response.get_json() == missing.get_json()
    # Untouched: still waiting for the action, nothing completed.
    state = api("screener", "GET", f"/screenings/{screening_id}/next").get_json()
    assert (state["status"], state["waiting"]) == ("draft", ["rf_in_danger_now"])


def test_the_team_supervisor_carries_on_a_draft(api: Api) -> None:
    screening_id = draft(api)
    saved = api(
        "supervisor",
        "POST",
        f"/screenings/{screening_id}/answers",
        {"answers": {"rf_in_danger_now": "no"}},
    )
    assert saved.status_code == 200
    assert saved.get_json()["next"]["key"] == "rf_controller_nearby"


@pytest.mark.parametrize("role", ["partner", "auditor", "admin"])
def test_only_screeners_and_supervisors_screen(api: Api, role: str) -> None:
    assert api(role, "POST", "/screenings", body()).status_code == 403
    screening_id = draft(api)
    for method, path, data in STEPS:
        response = api(role, method, f"/screenings/{screening_id}{path}", data)
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "forbidden"
    assert api(role, "GET", f"/screenings/{screening_id}").status_code == 403


def test_without_a_token_the_steps_are_refused(client: Client, api: Api) -> None:
    screening_id = draft(api)
    for method, path, data in STEPS:
        response = client.raw.open(
            f"/api/v1/screenings/{screening_id}{path}", method=method, json=data
        )
        assert response.status_code == 401


# Bad input


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"instrument": "nope"}, "instrument"),
        ({"language": "de"}, "language"),
        ({"unexpected": 1}, "unexpected"),
        ({"needs": ["spa"]}, "needs"),
        ({"exploitation": "other"}, "exploitation"),
        ({"complete": "no"}, "complete"),
        ({"red_flag_actions": "called"}, "red_flag_actions"),
        ({"red_flag_actions": ["called"]}, "red_flag_actions"),
        ({"answers": {"not_a_question": "yes"}}, "answers.not_a_question"),
        ({"answers": ["dr_job_nature"]}, "answers"),
        ({"answers": {}, "subject": {"given_name": ""}}, "subject.given_name"),
        ({"subject": {"given_name": "A", "age": 400}}, "subject.age"),
        ({"subject": {"given_name": "A", "age": "ten"}}, "subject.age"),
        ({"subject": {"given_name": "A", "nationality": "france"}}, "subject.nationality"),
        ({"subject": {"given_name": "A", "languages": ["english"]}}, "subject.languages[0]"),
        ({"subject": {"given_name": "A" * 101}}, "subject.given_name"),
        ({"consent": {"screening": False}}, "consent.screening"),
        ({"consent": {"screening": True, "share": ["contact"]}}, "consent.share"),
        (
            {"consent": {"screening": True, "referral": True, "share": ["password"]}},
            "consent.share",
        ),
        ({"subject": {"given_name": "A", "passport": "X1"}}, "subject.passport"),
        (
            {"subject": {"given_name": "A", "location": {"country": "XK", "street": "x"}}},
            "subject.location.street",
        ),
        ({"consent": {"screening": True, "forever": True}}, "consent.forever"),
        # The web form takes a language's name; the API stays code-only.
        (
            {
                "safety": {
                    "alone": True,
                    "safe_to_talk": True,
                    "possibly_minor": False,
                    "interpreter_independent": "yes",
                    "interpreter_language": "Arabic",
                }
            },
            "safety.interpreter_language",
        ),
    ],
)
def test_bad_input_gets_a_field_error(
    app: Flask, client: Client, token_for: Any, changes: dict[str, Any], field: str
) -> None:
    response = post(client, token_for("screener"), body(**changes))
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]
    assert stored(app, Person) == 0


@pytest.mark.parametrize(
    ("subject", "field"),
    [
        ({"given_name": "Ama\x1b[2J"}, "subject.given_name"),
        ({"given_name": "A", "family_name": "Ofori\nMensah"}, "subject.family_name"),
        ({"given_name": "A", "contact": "call\x85me"}, "subject.contact"),
        ({"given_name": "A", "location": {"region": "North\x7f"}}, "subject.location.region"),
    ],
)
def test_control_characters_in_the_subject_get_a_field_error(
    app: Flask, client: Client, token_for: Any, subject: dict[str, Any], field: str
) -> None:
    response = post(client, token_for("screener"), body(subject=subject))
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {field: "must not hold control characters"}
    assert stored(app, Person) == 0


def test_a_no_break_space_in_a_name_is_text(app: Flask, client: Client, token_for: Any) -> None:
    subject = {"given_name": "Marie\u00a0Claire", "family_name": "N\u2019Diaye"}
    response = post(client, token_for("screener"), body(subject=subject))
    assert response.status_code in (201, 202), response.get_json()
    assert stored(app, Person) == 1


def test_bad_answer_value_gets_a_field_error(client: Client, token_for: Any) -> None:
    response = post(
        client,
        token_for("screener"),
        body(answers={**likely_adult_answers(), "b2": "maybe", "debt_when": "later"}),
    )
    assert response.get_json()["error"]["fields"] == {
        "answers.b2": "must be one of yes, no, unknown, declined",
        "answers.debt_when": "must be phases among before, way, work, or unknown or declined",
    }


@pytest.mark.parametrize("raw", [b"not json", b"[]", b"null", b'"text"', b"{"])
@pytest.mark.parametrize("path", ["", "/{id}/answers", "/{id}/red-flag-actions"])
def test_body_that_is_not_an_object_gets_400(
    api: Api, client: Client, token_for: Any, raw: bytes, path: str
) -> None:
    url = "/api/v1/screenings" + path.format(id=draft(api))
    response = client.raw.post(
        url, data=raw, headers={**token_for("screener"), "Content-Type": "application/json"}
    )
    assert response.status_code == 400


def stored(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.mark.parametrize(("alone", "safe_to_talk"), [(False, False), (False, True), (True, False)])
def test_the_api_refuses_what_the_web_safety_check_refuses(
    app: Flask, client: Client, signed_in: Any, token_for: Any, alone: bool, safe_to_talk: bool
) -> None:
    web = signed_in("screener").post(
        "/screenings/new",
        {
            "alone": "yes" if alone else "no",
            "safe_to_talk": "yes" if safe_to_talk else "no",
            "child": "no",
            "language": "en",
            "interpreter_independent": "none",
        },
    )
    assert web.location.endswith("/screenings/stop")
    response = post(
        client,
        token_for("screener"),
        body(
            safety={"alone": alone, "safe_to_talk": safe_to_talk, "interpreter_independent": "none"}
        ),
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "safety": "the person must be alone and safe to talk"
    }
    assert stored(app, Person) == 0


@pytest.mark.parametrize(
    ("safety", "fields"),
    [
        (None, {"safety": "required object with alone and safe_to_talk"}),
        (
            {},
            {
                "safety.alone": "required: true or false",
                "safety.safe_to_talk": "required: true or false",
            },
        ),
        ({"alone": True}, {"safety.safe_to_talk": "required: true or false"}),
        ({"alone": "yes", "safe_to_talk": True}, {"safety.alone": "required: true or false"}),
        (
            {"alone": True, "safe_to_talk": True, "interpreter_independent": True},
            {"safety.interpreter_independent": "must be one of yes, no, none"},
        ),
        (
            {"alone": True, "safe_to_talk": True, "possibly_minor": "no"},
            {"safety.possibly_minor": "must be true or false"},
        ),
        (
            {"alone": True, "safe_to_talk": True, "bystanders": 0},
            {"safety.bystanders": "unknown field"},
        ),
    ],
)
def test_a_safety_check_not_answered_is_not_safe(
    app: Flask, client: Client, token_for: Any, safety: Any, fields: dict[str, str]
) -> None:
    data = body()
    if safety is None:
        del data["safety"]
    else:
        data["safety"] = safety
    response = post(client, token_for("screener"), data)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == fields
    assert stored(app, Person) == 0


def test_a_safe_interview_with_an_interpreter_is_recorded(client: Client, token_for: Any) -> None:
    response = post(
        client,
        token_for("screener"),
        body(
            safety={
                "alone": True,
                "safe_to_talk": True,
                "possibly_minor": False,
                "interpreter_independent": "yes",
                "interpreter_language": "ar",
            }
        ),
    )
    assert response.status_code == 201
    assert response.get_json()["result"]["red_flags"] == []
