"""The referral's page as the partner acts on it: no decline reason is chosen for them, each
answer says what happened and who was told, the partner sees who sent the referral (the
team, not its own name), the inbox opens a referral by its reference, and a supervisor's
overdue list says it is one."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from access import services as access_services
from core import db
from tests.helpers import Account, Client, error_of

API = Callable[..., Any]


def flashed(page: str) -> list[str]:
    shown = re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', page)
    return [html.unescape(m).strip() for m in shown]


def decline_select(page: str) -> str:
    found = re.search(r'<select[^>]*name="reason".*?</select>', page, re.S)
    assert found is not None
    return found.group(0)


def test_no_decline_reason_is_chosen_for_the_partner(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    client = signed_in("partner")
    page = f"/referrals/{referral_id}"
    select = decline_select(client.get(page).get_data(as_text=True))
    assert re.findall(r'<option[^>]*value="([^"]*)"', select)[0] == ""
    assert "selected" not in select
    # The form as the browser would send it untouched: the empty first choice.
    refused = client.post(f"{page}/decline", {"reason": ""}, form_page=page)
    assert refused.status_code == 400
    assert error_of(refused.get_data(as_text=True), "reason") == (
        "Choose why you decline the referral."
    )
    assert api("partner", "GET", page).get_json()["state"] == "pending"


def test_no_outcome_is_chosen_for_the_partner_closing_a_referral(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    client = signed_in("partner")
    page = f"/referrals/{referral_id}"
    client.post(f"{page}/accept", {}, form_page=page)
    found = re.search(
        r'<select[^>]*name="outcome".*?</select>', client.get(page).get_data(as_text=True), re.S
    )
    assert found is not None
    assert re.findall(r'<option[^>]*value="([^"]*)"', found.group(0))[0] == ""
    assert "selected" not in found.group(0)
    refused = client.post(f"{page}/close", {"outcome": ""}, form_page=page)
    assert refused.status_code == 400
    assert error_of(refused.get_data(as_text=True), "outcome") == ("Choose how the referral ended.")
    assert api("partner", "GET", page).get_json()["state"] == "accepted"


def test_each_answer_says_what_happened_and_that_the_sender_was_told(
    referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    accepted, declined = referral(), referral()
    client = signed_in("partner")

    def answer(referral_id: str, move: str, data: dict[str, str]) -> list[str]:
        page = f"/referrals/{referral_id}"
        done = client.post(f"{page}/{move}", data, form_page=page, follow_redirects=True)
        return flashed(done.get_data(as_text=True))

    assert answer(accepted, "accept", {}) == [
        "You accepted the referral. The caseworker in charge of the case has been told. Close "
        "it with an outcome when your work with the person ends."
    ]
    assert answer(accepted, "close", {"outcome": "services_provided"}) == [
        "You closed the referral. The caseworker in charge of the case has been told the outcome."
    ]
    assert answer(declined, "decline", {"reason": "out_of_area"}) == [
        "You declined the referral. The caseworker in charge of the case has been told and "
        "may refer the person elsewhere. The details shared with you are no longer available."
    ]


def test_a_withdrawal_nobody_at_the_partner_could_be_told_of_says_so(
    app: Flask,
    referral: Callable[..., str],
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
) -> None:
    told, unseen = referral(), referral(partner="org-b")
    with app.app_context():
        store = db.session()
        staff = access_services.get_user(store, accounts["partner_b"].id)
        assert staff is not None
        staff.locked_at = datetime(2026, 3, 2, 9, tzinfo=UTC)  # as failed sign-ins would
        store.commit()
    screener = signed_in("screener")

    def withdraw(referral_id: str) -> list[str]:
        page = f"/referrals/{referral_id}"
        done = screener.post(f"{page}/withdraw", {}, form_page=page, follow_redirects=True)
        return flashed(done.get_data(as_text=True))

    assert withdraw(told) == ["The referral is withdrawn. The partner's staff have been told."]
    assert withdraw(unseen) == [
        "The referral is withdrawn. Nobody at the partner could be told now: call them and "
        "quote the reference."
    ]


def test_the_partner_sees_which_team_sent_the_referral(
    referral: Callable[..., str], signed_in: Callable[[str], Client], new_client: Any
) -> None:
    referral_id = referral()
    page = signed_in("partner").get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "<dt>Sent by</dt><dd>Team A</dd>" in page
    assert "<dt>Partner</dt>" not in page
    assert "Alpha Shelter" not in page  # the partner's own name tells it nothing


def test_the_sender_still_sees_the_partner_on_the_referral(
    referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    page = signed_in("screener").get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "<dt>Partner</dt><dd>Alpha Shelter</dd>" in page
    assert "Sent by" not in page


def test_the_inbox_opens_a_referral_by_its_reference(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    reference = api("partner", "GET", f"/referrals/{referral_id}").get_json()["reference"]
    inbox = signed_in("partner").get("/referrals/").get_data(as_text=True)
    assert f'<a href="/referrals/{referral_id}"><code>{reference}</code></a>' in inbox


def test_the_overdue_list_says_it_is_one(
    referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    supervisor = signed_in("supervisor")
    empty = supervisor.get("/referrals/?overdue=1").get_data(as_text=True)
    assert "<h1>Overdue referrals</h1>" in empty
    assert "No overdue referrals." in empty
    assert "No referrals here." not in empty
    everything = supervisor.get("/referrals/").get_data(as_text=True)
    assert "<h1>Referrals</h1>" in everything
    assert "No referrals here." in everything
