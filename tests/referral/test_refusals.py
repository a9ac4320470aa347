"""Refusals answer by their kind, the same from every view (docs/architecture.md, "Refusals
and errors"): a malformed request 400, a request a rule refuses 422, one the object's state
refuses now 409. Paging out of its limits is refused the same by every list, API and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from tests.helpers import Account, Client, error_of
from tests.referral.conftest import SHARED
from tests.screening.payloads import body

API = Callable[..., Any]


def answered(response: Any) -> tuple[int, Any]:
    return response.status_code, response.get_json()


def test_a_malformed_body_answers_400_from_two_views(
    api: API, open_case: Callable[..., str]
) -> None:
    case_id = open_case()
    deep: Any = "bottom"
    for _level in range(20):
        deep = [deep]
    refused = (
        400,
        {
            "error": {
                "code": "bad_request",
                "message": "the JSON body is nested too deeply",
                "fields": {"body": "at most 16 levels of nesting"},
            }
        },
    )
    assert answered(api("screener", "POST", "/screenings", deep)) == refused
    assert answered(api("screener", "POST", f"/cases/{case_id}/referrals", deep)) == refused


def test_answers_the_instrument_does_not_ask_answer_400_from_two_views(api: API) -> None:
    started = api("screener", "POST", "/screenings", body(answers={"handover": "done"}))
    draft = api("screener", "POST", "/screenings", body(answers={}, complete=False))
    saved = api(
        "screener",
        "POST",
        f"/screenings/{draft.get_json()['id']}/answers",
        {"answers": {"handover": "done"}},
    )
    for response in (started, saved):
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "bad_request"
        assert response.get_json()["error"]["fields"] == {
            "answers.handover": "not a question of this instrument"
        }


def test_a_referral_rule_answers_422_from_sending_and_from_answering(
    api: API, open_case: Callable[..., str], referral: Callable[..., str]
) -> None:
    referral_id = referral()
    sent = api(
        "screener",
        "POST",
        f"/cases/{open_case()}/referrals",
        {"partner": "no-such-partner", "services": ["shelter"]},
    )
    declined = api("partner", "POST", f"/referrals/{referral_id}/decline", {"reason": "bored"})
    assert answered(sent) == (
        422,
        {
            "error": {
                "code": "unprocessable",
                "message": "the referral cannot be sent as it is",
                "fields": {"partner": "not a vetted partner in date that serves this case"},
            }
        },
    )
    assert answered(declined) == (
        422,
        {
            "error": {
                "code": "unprocessable",
                "message": "decline needs one of the listed reasons",
                "fields": {
                    "reason": "must be one of no_capacity, not_eligible, out_of_area, "
                    "service_unavailable, other"
                },
            }
        },
    )


def test_a_referral_state_answers_409_from_sending_and_from_answering(
    api: API, referral: Callable[..., str]
) -> None:
    referral_id = referral()
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    again = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": SHARED},
    )
    assert answered(again) == (
        409,
        {
            "error": {
                "code": "conflict",
                "message": "This partner already has an open referral of this case.",
                "fields": {"partner": "This partner already has an open referral of this case."},
            }
        },
    )
    assert api("partner", "POST", f"/referrals/{referral_id}/accept").status_code == 200
    twice = api("partner", "POST", f"/referrals/{referral_id}/accept")
    assert answered(twice) == (
        409,
        {
            "error": {
                "code": "conflict",
                "message": "accept is not possible in the present state",
                "fields": {},
            }
        },
    )


def test_the_case_page_says_a_referral_state_refusal_at_the_partner_with_409(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    page = f"/cases/{case_id}"
    again = signed_in("screener").post(
        f"{page}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": SHARED, "urgency": "normal"},
        form_page=page,
    )
    assert again.status_code == 409
    assert (
        error_of(again.get_data(as_text=True), "partner")
        == "This partner already has an open referral of this case."
    )
    assert len(api("screener", "GET", page).get_json()["referrals"]) == 1  # nothing stored


def test_a_completed_screening_answers_409_from_every_draft_view(api: API) -> None:
    completed = api("screener", "POST", "/screenings", body())
    assert completed.get_json()["status"] == "completed"
    url = f"/screenings/{completed.get_json()['id']}"
    refused = (
        409,
        {
            "error": {
                "code": "conflict",
                "message": "this screening is completed",
                "fields": {"status": "completed"},
            }
        },
    )
    assert answered(api("screener", "GET", f"{url}/next")) == refused
    assert (
        answered(api("screener", "POST", f"{url}/answers", {"answers": {"rf_in_danger_now": "no"}}))
        == refused
    )
    assert answered(api("screener", "POST", f"{url}/complete")) == refused


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("page=0", {"page": "a whole number from 1 to 1000000"}),
        ("page=-1", {"page": "a whole number from 1 to 1000000"}),
        ("page=abc", {"page": "a whole number from 1 to 1000000"}),
        ("page=1.5", {"page": "a whole number from 1 to 1000000"}),
        ("page=%2B1", {"page": "a whole number from 1 to 1000000"}),
        ("page=%C2%B2", {"page": "a whole number from 1 to 1000000"}),
        ("page=1000001", {"page": "a whole number from 1 to 1000000"}),
        ("page=" + "9" * 30, {"page": "a whole number from 1 to 1000000"}),
        ("per_page=0", {"per_page": "a whole number from 1 to 500"}),
        ("per_page=501", {"per_page": "a whole number from 1 to 500"}),
        (
            "page=0&per_page=501",
            {
                "page": "a whole number from 1 to 1000000",
                "per_page": "a whole number from 1 to 500",
            },
        ),
    ],
)
def test_bad_paging_answers_the_same_400_from_two_api_lists(
    api: API, query: str, fields: dict[str, str]
) -> None:
    refused = (
        400,
        {"error": {"code": "bad_request", "message": "invalid paging", "fields": fields}},
    )
    assert answered(api("partner", "GET", f"/referrals?{query}")) == refused
    assert answered(api("auditor", "GET", f"/audit/events?{query}")) == refused


def test_good_paging_is_read_the_same_by_two_api_lists(api: API) -> None:
    for name, url in (("partner", "/referrals"), ("auditor", "/audit/events")):
        listed = api(name, "GET", f"{url}?page=2&per_page=7").get_json()
        assert (listed["page"], listed["per_page"]) == (2, 7)
        plain = api(name, "GET", url).get_json()
        assert (plain["page"], plain["per_page"]) == (1, 50)


@pytest.mark.parametrize("page", ["0", "abc", "1000001", quote("²")])
def test_bad_paging_answers_400_on_the_paged_pages(
    client: Client, new_client: Any, accounts: dict[str, Account], page: str
) -> None:
    partner = client
    partner.sign_in(accounts["partner"])
    auditor = new_client()
    auditor.sign_in(accounts["auditor"])
    for browser, url in (
        (partner, "/referrals/"),
        (auditor, "/reports/releases"),
        (auditor, "/audit/events"),
    ):
        response = browser.get(f"{url}?page={page}")
        assert response.status_code == 400, url
        assert response.mimetype == "text/html"
    assert partner.get("/referrals/?page=1").status_code == 200
    assert auditor.get("/reports/releases?page=1").status_code == 200
