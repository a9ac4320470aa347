# ruff: noqa: F811  (the referral fixtures are imported, then asked for by name)
"""The JSON API keeps its documented contract at its edges (README "API"; docs/architecture.md
"Refusals and errors", "Lists at scale"; docs/security.md R30; the OpenAPI document at
/api/v1/openapi.json): a page past the end keeps the real total; a red-flag action with an
unknown field is refused, never silently cut; every status an endpoint gives is declared; a
NUL is refused in a UTF-16 body as in UTF-8; OPTIONS answers the JSON 405. Every person and
value here is synthetic."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.helpers import Account, Client
from tests.referral.conftest import (  # noqa: F401
    FULL_CONSENT,
    api,
    open_case,
    partners,
    referral,
)
from tests.screening.payloads import body, child_body

Api = Callable[..., Any]


def test_a_page_past_the_end_of_the_referrals_reports_the_real_total(
    api: Api, referral: Callable[..., str]
) -> None:
    # One referral in org-a's inbox. Page 2 of 50 a page is empty; the list still holds
    # one row, and that count is exact (README: total exact up to 1,000).
    referral()
    page = api("partner", "GET", "/referrals?page=2").get_json()
    assert page["items"] == []
    assert (page["total"], page["total_exact"]) == (1, True)


def test_a_red_flag_action_with_an_unknown_field_is_refused_not_silently_dropped(
    api: Api, partners: None
) -> None:
    # ACTION_SCHEMA says additionalProperties: false, and every other body the API takes
    # refuses an unknown field (400). A misspelt "outcome" must not be dropped while the
    # answer says the action was recorded.
    opened = api(
        "screener",
        "POST",
        "/screenings",
        body(answers={"rf_controller_nearby": "yes"}, complete=False),
    )
    assert opened.status_code == 202
    screening_id = opened.get_json()["id"]
    action = {
        "flags": ["rf_controller_nearby"],
        "contacted": ["supervisor"],
        "acted_at": "2026-03-02T09:00:00Z",
        "action": "called",
        "outcomes": "Canaryoutcome: taken to the Canaryshelter",
    }
    response = api("screener", "POST", f"/screenings/{screening_id}/red-flag-actions", action)
    assert response.status_code == 400
    assert "outcomes" in response.get_json()["error"]["fields"]


def test_every_status_the_answers_endpoint_gives_is_declared_in_the_openapi_document(
    api: Api, partners: None
) -> None:
    # A child's draft answered "handover" before any disclosure is refused by a rule (422);
    # the operation's responses in the served document must list that status.
    document = api("admin", "GET", "/openapi.json").get_json()
    declared = document["paths"]["/screenings/{screening_id}/answers"]["post"]["responses"]
    opened = api("screener", "POST", "/screenings", child_body(complete=False))
    assert opened.status_code == 201
    response = api(
        "screener",
        "POST",
        f"/screenings/{opened.get_json()['id']}/answers",
        {"answers": {"handover": "done"}},
    )
    assert response.get_json()["error"]["code"] in ("bad_request", "unprocessable", "conflict")
    assert str(response.status_code) in sorted(declared)


def test_a_nul_character_in_a_utf16_json_body_is_refused_at_the_door_as_in_utf8(
    client: Client,
    accounts: dict[str, Account],
    issue_token: Any,
    open_case: Callable[..., str],
) -> None:
    # docs/security.md R30: NUL characters are refused at the door. json.loads reads UTF-16
    # bytes too, where the escape is not the bytes b"\\u0000" the door looks for.
    case_id = open_case(consent=FULL_CONSENT)
    headers = {
        "Authorization": f"Bearer {issue_token(accounts['screener'])}",
        "Content-Type": "application/json",
    }
    text = json.dumps({"partner": "org-a\u0000", "services": ["shelter"]})
    url = f"/api/v1/cases/{case_id}/referrals"
    utf8 = client.raw.post(url, data=text.encode("utf-8"), headers=headers)
    utf16 = client.raw.post(url, data=text.encode("utf-16"), headers=headers)
    assert utf8.status_code == 400
    assert (utf16.status_code, utf16.get_json()) == (400, utf8.get_json())


def test_options_on_an_api_path_does_not_answer_html(
    client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    # The API answers JSON only; an automatic OPTIONS answer is labelled text/html.
    headers = {"Authorization": f"Bearer {issue_token(accounts['screener'])}"}
    response = client.raw.options("/api/v1/referrals", headers=headers)
    assert not response.headers["Content-Type"].startswith("text/html")
