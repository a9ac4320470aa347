"""A referral goes only to a partner someone can answer for: a partner with no active staff
account is not offered, and sending to one is refused when the referral is made, on the web
and through the API alike (the staff may have left since the page was drawn); the sender is
told the partner was notified only when a notice reached someone, and the API says how many
people were told of a send or an answer."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from access import services as access_services
from core import db
from referral import directory_import
from tests.helpers import Account, Client, error_of
from tests.referral.conftest import FULL_CONSENT

API = Callable[..., Any]
NO_STAFF = (
    "nobody at this partner can answer a referral now (no active staff account); "
    "choose another partner"
)
TO_ORG_A = {
    "partner": "org-a",
    "services": ["shelter"],
    "share": ["given_name"],
    "urgency": "urgent",
    "note": "",
}


def disable(app: Flask, account: Account) -> None:
    with app.app_context():
        store = db.session()
        user = access_services.get_user(store, account.id)
        assert user is not None
        access_services.disable_user(store, user, datetime(2026, 3, 2, 9, tzinfo=UTC))
        store.commit()


def lock(app: Flask, account: Account) -> None:
    """Lock the account as failed sign-ins would."""
    with app.app_context():
        store = db.session()
        user = access_services.get_user(store, account.id)
        assert user is not None
        user.locked_at = datetime(2026, 3, 2, 9, tzinfo=UTC)
        store.commit()


def flashed(page: str) -> list[str]:
    shown = re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', page)
    return [html.unescape(m).strip() for m in shown]


def test_a_vetted_partner_without_staff_is_neither_offered_nor_sent_to(
    app: Flask, api: API, open_case: Callable[..., str], clock: Any
) -> None:
    with app.app_context():
        store = db.session()
        directory_import.import_partners(
            store,
            [
                {
                    "slug": "org-n",
                    "name": "Nu Nobody Yet",
                    "capacity": 5,
                    "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
                    "services": ["shelter"],
                    "areas": [{"country": "XK"}],
                }
            ],
            clock.now(),
        )
        store.commit()
    case_id = open_case(consent=FULL_CONSENT)
    offered = api("screener", "GET", f"/cases/{case_id}/matches").get_json()["items"]
    assert "org-n" not in [m["partner"] for m in offered]
    sent = api("screener", "POST", f"/cases/{case_id}/referrals", {**TO_ORG_A, "partner": "org-n"})
    assert sent.status_code == 422
    assert sent.get_json()["error"]["fields"] == {"partner": NO_STAFF}
    assert api("screener", "GET", f"/cases/{case_id}").get_json()["referrals"] == []


def test_staff_gone_between_the_page_and_the_send_is_refused_on_the_form(
    app: Flask,
    api: API,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    screener = signed_in("screener")
    page = f"/cases/{case_id}"
    assert 'value="org-a"' in screener.get(page).get_data(as_text=True)
    disable(app, accounts["partner"])  # org-a's only staff account, after the page was drawn
    refused = screener.post(f"{page}/referrals", TO_ORG_A, form_page=page)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert error_of(body, "partner") == NO_STAFF
    assert "The referral was not sent. See what to fix below." in flashed(body)
    assert api("screener", "GET", page).get_json()["referrals"] == []


def test_the_sender_reads_that_the_partner_was_told_only_when_someone_was(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
) -> None:
    screener = signed_in("screener")
    told_case = open_case(consent=FULL_CONSENT)
    told = screener.post(
        f"/cases/{told_case}/referrals",
        TO_ORG_A,
        form_page=f"/cases/{told_case}",
        follow_redirects=True,
    )
    assert flashed(told.get_data(as_text=True)) == [
        "Referral sent. The partner's staff have been told that it awaits them."
    ]
    # A locked account still counts as staff (a lock ends), but no notice reaches it now.
    lock(app, accounts["partner"])
    unseen_case = open_case(consent=FULL_CONSENT)
    unseen = screener.post(
        f"/cases/{unseen_case}/referrals",
        TO_ORG_A,
        form_page=f"/cases/{unseen_case}",
        follow_redirects=True,
    )
    assert flashed(unseen.get_data(as_text=True)) == [
        "Referral sent, but nobody at the partner could be told now. Call the partner and "
        "quote the referral's reference."
    ]


def test_the_api_says_how_many_people_were_told_of_a_send_and_of_each_answer(
    app: Flask,
    api: API,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    sent = api("screener", "POST", f"/cases/{case_id}/referrals", TO_ORG_A).get_json()
    assert (sent["state"], sent["notified"]) == ("pending", 1)
    accepted = api("partner", "POST", f"/referrals/{sent['id']}/accept").get_json()
    assert (accepted["state"], accepted["notified"]) == ("accepted", 1)
    # Neither the caseworker in charge nor the team's supervisor can be reached (locked; the
    # supervisors are told when the caseworker alone cannot be): the partner learns nobody
    # was told.
    lock(app, accounts["screener"])
    lock(app, accounts["supervisor"])
    closed = api(
        "partner", "POST", f"/referrals/{sent['id']}/close", {"outcome": "services_provided"}
    ).get_json()
    assert (closed["state"], closed["notified"]) == ("closed", 0)


def test_a_partner_whose_staff_are_all_disabled_drops_out_of_routing(
    app: Flask,
    api: API,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
) -> None:
    disable(app, accounts["partner_b"])  # org-b's only staff account
    case_id = open_case(consent=FULL_CONSENT)
    offered = api("screener", "GET", f"/cases/{case_id}/matches").get_json()["items"]
    assert [m["partner"] for m in offered if m["partner"] in ("org-a", "org-b")] == ["org-a"]
    sent = api("screener", "POST", f"/cases/{case_id}/referrals", {**TO_ORG_A, "partner": "org-b"})
    assert (sent.status_code, sent.get_json()["error"]["fields"]) == (422, {"partner": NO_STAFF})
    assert uuid.UUID(
        api("screener", "POST", f"/cases/{case_id}/referrals", TO_ORG_A).get_json()["id"]
    )


def test_a_suspended_partner_without_staff_is_refused_for_its_vetting(
    api: API, open_case: Callable[..., str]
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    sent = api("screener", "POST", f"/cases/{case_id}/referrals", {**TO_ORG_A, "partner": "org-c"})
    assert (sent.status_code, sent.get_json()["error"]["fields"]) == (
        422,
        {"partner": "not a vetted partner in date that serves this case"},
    )
