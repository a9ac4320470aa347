"""The person withdraws consent to referral: the moment they did is kept, however often the
form is sent; and it works on a closed case too, so no partner keeps their details after they
said no (docs/case-work.md, "Status")."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from core import db
from referral.models import Case
from tests.helpers import Client
from tests.referral.conftest import FULL_CONSENT

API = Callable[..., Any]


def test_a_second_withdrawal_of_consent_keeps_the_moment_of_the_first(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    clock: Any,
) -> None:
    """A double submission (a second tab, a resubmitted form) minutes later changes nothing:
    the record keeps when the person withdrew consent, as case_links.link keeps it too."""
    case_id = open_case(consent=FULL_CONSENT)
    client = signed_in("screener")
    first = client.post(f"/cases/{case_id}/consent/withdraw", form_page=f"/cases/{case_id}")
    assert first.status_code == 302
    clock.advance(minutes=5)
    again = client.post(f"/cases/{case_id}/consent/withdraw", form_page=f"/cases/{case_id}")
    assert again.status_code in (302, 409)
    with app.app_context():
        when = db.session().scalar(
            sa.select(Case.consent_withdrawn_at).where(Case.id == uuid.UUID(case_id))
        )
    assert when is not None
    assert when.isoformat() == "2026-03-02T09:00:30+00:00"


def test_consent_withdrawn_after_the_case_closed_still_clears_what_partners_hold(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    """A partner accepted and closed its referral (a closed referral keeps its packet), then
    the caseworker closed the case. The person later withdraws consent: withdrawal is its own
    permission (cases.withdraw_consent), allowed on a closed case, so no partner keeps a
    packet, closed referrals included."""
    referral_id = referral()
    assert api("partner", "POST", f"/referrals/{referral_id}/accept").status_code == 200
    closed = api("partner", "POST", f"/referrals/{referral_id}/close", {"outcome": "other"})
    assert closed.status_code == 200
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    client = signed_in("screener")
    page = f"/cases/{case_id}"
    assert (
        client.post(f"{page}/close", {"outcome": "lost_contact"}, form_page=page).status_code == 302
    )
    assert api("partner", "GET", f"/referrals/{referral_id}").get_json()["fields"] != {}
    withdrawn = client.post(f"{page}/consent/withdraw", form_page=page)
    assert withdrawn.status_code == 302
    assert api("partner", "GET", f"/referrals/{referral_id}").get_json()["fields"] == {}
