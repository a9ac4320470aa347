"""The trust boundary around cases (issue 9): a break-glass grant reads and does nothing
else, linking needs the same team, the same person and a confirmation, consent only narrows
without the person, withdrawal reaches closed referrals, and every button a page shows is a
request the server accepts (and the other way round)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from referral.models import Case, Referral
from screening.models import Person
from tests.helpers import Client, error_of
from tests.referral.conftest import FULL_CONSENT

API = Callable[..., Any]
REASON = {"reason": "Duty night: the person called our hotline and team A is away."}


def _grant(client: Client, case_id: str) -> None:
    page = f"/cases/{case_id}/break-glass"
    assert client.post(page, REASON, form_page=page).status_code == 302


def _live_people(app: Flask) -> int:
    with app.app_context():
        return (
            db.session().scalar(
                sa.select(sa.func.count()).select_from(Person).where(Person.shredded_at.is_(None))
            )
            or 0
        )


def _case_row(app: Flask, case_id: str) -> Case:
    with app.app_context():
        case = db.session().get(Case, uuid.UUID(case_id))
        assert case is not None
        db.session().expunge(case)
        return case


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (
            "referrals",
            {
                "partner": "org-a",
                "services": ["shelter"],
                "share": ["given_name"],
                "urgency": "normal",
            },
        ),
        ("consent/withdraw", {}),
        ("link", {"confirm": "y"}),
    ],
)
def test_a_break_glass_grant_reads_and_changes_nothing(
    app: Flask,
    api: API,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    action: str,
    data: dict[str, Any],
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    own = open_case("screener_b")  # a case of supervisor_b's own team, for a crafted link
    client = signed_in("supervisor_b")
    _grant(client, case_id)
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # No button for anything but reading.
    assert f"/cases/{case_id}/referrals" not in text
    assert f"/cases/{case_id}/consent/withdraw" not in text
    assert f"/cases/{case_id}/link" not in text
    before = _case_row(app, case_id)
    data = {**data, "earlier": own} if action == "link" else data
    refused = client.post(f"/cases/{case_id}/{action}", data, form_page=f"/cases/{case_id}")
    assert refused.status_code == 404
    after = _case_row(app, case_id)
    assert (after.status, after.consent, after.team_id) == (
        before.status,
        before.consent,
        before.team_id,
    )
    assert api("screener", "GET", f"/cases/{case_id}").get_json()["referrals"] == []
    assert _live_people(app) == 2


def test_a_crafted_link_to_another_teams_case_under_break_glass_is_refused(
    app: Flask, api: API, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    victim = open_case()  # team A's person
    mine = open_case("screener_b")  # the same synthetic name, in team B
    client = signed_in("supervisor_b")
    _grant(client, victim)
    linked = client.post(
        f"/cases/{mine}/link", {"earlier": victim, "confirm": "y"}, form_page=f"/cases/{mine}"
    )
    assert linked.status_code == 404
    kept = api("screener", "GET", f"/cases/{victim}").get_json()
    assert (kept["status"], len(kept["screenings"])) == ("active", 1)
    assert kept["person"] is not None
    assert _live_people(app) == 2


def test_a_case_of_another_person_in_the_team_cannot_be_linked(
    app: Flask, api: API, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    first = open_case()
    stranger = open_case(
        subject={"given_name": "Otherperson", "family_name": "Testperson", "age": 51, "sex": "male"}
    )
    client = signed_in("screener")
    refused = client.post(
        f"/cases/{stranger}/link",
        {"earlier": first, "confirm": "y"},
        form_page=f"/cases/{stranger}",
    )
    assert refused.status_code == 302
    assert api("screener", "GET", f"/cases/{stranger}").get_json()["status"] == "active"
    assert api("screener", "GET", f"/cases/{first}").get_json()["status"] == "active"
    assert _live_people(app) == 2


def test_linking_needs_the_box_ticked(
    app: Flask, api: API, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    first = open_case()
    second = open_case()
    client = signed_in("screener")
    assert 'name="confirm"' in client.get(f"/cases/{second}").get_data(as_text=True)
    unticked = client.post(
        f"/cases/{second}/link", {"earlier": first}, form_page=f"/cases/{second}"
    )
    # The case page again (400: the form's own check), the error next to that case's box.
    assert unticked.status_code == 400
    page = unticked.get_data(as_text=True)
    message = "Tick the box to confirm it is the same person before linking."
    assert error_of(page, "confirm-1") == message
    assert page.count(message) == 1
    assert api("screener", "GET", f"/cases/{second}").get_json()["status"] == "active"
    assert _live_people(app) == 2


@pytest.mark.parametrize(
    ("earlier_consent", "newer_consent", "expected"),
    [
        # The earlier screening refused referral: linking a newer consent does not restore it.
        (
            {"screening": True, "referral": False, "share": []},
            {"screening": True, "referral": True, "share": ["given_name", "contact"]},
            {"referral": False, "share": []},
        ),
        # Both agreed: only the fields both allowed remain shareable.
        (
            {"screening": True, "referral": True, "share": ["given_name", "needs"]},
            {"screening": True, "referral": True, "share": ["given_name", "contact", "needs"]},
            {"referral": True, "share": ["given_name", "needs"]},
        ),
        (
            {"screening": True, "referral": True, "share": ["given_name", "contact", "needs"]},
            {"screening": True, "referral": False, "share": []},
            {"referral": False, "share": []},
        ),
    ],
)
def test_linking_keeps_the_most_restrictive_consent(
    api: API,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    earlier_consent: dict[str, Any],
    newer_consent: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    first = open_case(consent=earlier_consent)
    second = open_case(consent=newer_consent)
    client = signed_in("screener")
    client.post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    assert api("screener", "GET", f"/cases/{second}").get_json()["status"] == "merged"
    assert api("screener", "GET", f"/cases/{first}").get_json()["consent"] == expected


def test_a_withdrawal_before_the_link_stays_withdrawn(
    api: API, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    first = open_case(consent=FULL_CONSENT)
    client = signed_in("screener")
    client.post(f"/cases/{first}/consent/withdraw", {}, form_page=f"/cases/{first}")
    second = open_case(consent=FULL_CONSENT)
    client.post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    linked = api("screener", "GET", f"/cases/{first}").get_json()
    assert linked["consent"] == {"referral": False, "share": []}
    sent = api(
        "screener",
        "POST",
        f"/cases/{first}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": ["given_name"]},
    )
    assert sent.status_code == 422


def test_withdrawal_clears_the_packet_of_closed_referrals_too(
    app: Flask, api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    url = f"/referrals/{referral_id}"
    assert api("partner", "POST", f"{url}/accept").status_code == 200
    assert (
        api("partner", "POST", f"{url}/close", {"outcome": "services_provided"}).status_code == 200
    )
    assert api("partner", "GET", url).get_json()["fields"] != {}
    case_id = api("screener", "GET", url).get_json()["case_id"]
    signed_in("screener").post(
        f"/cases/{case_id}/consent/withdraw", {}, form_page=f"/cases/{case_id}"
    )
    seen = api("partner", "GET", url).get_json()
    assert (seen["state"], seen["outcome"], seen["fields"], seen["note"]) == (
        "closed",
        "services_provided",
        {},
        None,
    )
    with app.app_context():
        row = db.session().get(Referral, uuid.UUID(referral_id))
        assert row is not None
        assert row.packet is None


def test_the_referral_page_offers_exactly_the_moves_the_server_accepts(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    url = f"/referrals/{referral_id}"
    partner = signed_in("partner")

    def offered() -> set[str]:
        text = partner.get(url).get_data(as_text=True)
        return {m for m in ("accept", "decline", "close") if f"{url}/{m}" in text}

    assert offered() == {"accept", "decline"}
    assert (
        partner.post(f"{url}/close", {"outcome": "services_provided"}, form_page=url)
        .headers["Location"]
        .endswith(url)
    )
    assert api("partner", "GET", url).get_json()["state"] == "pending"
    assert (
        api("partner", "POST", f"{url}/close", {"outcome": "services_provided"}).status_code == 409
    )
    assert partner.post(f"{url}/accept", {}, form_page=url).status_code == 302
    assert offered() == {"close"}
    assert api("partner", "POST", f"{url}/accept").status_code == 409
    assert api("partner", "POST", f"{url}/decline", {"reason": "other"}).status_code == 409


def test_a_link_that_narrows_consent_withdraws_referrals_sharing_more(
    app: Flask, api: API, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    first = open_case(
        consent={"screening": True, "referral": True, "share": ["given_name", "contact", "needs"]}
    )
    sent = api(
        "screener",
        "POST",
        f"/cases/{first}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": ["given_name", "contact"]},
    )
    assert sent.status_code == 201
    referral_id = sent.get_json()["id"]
    # Screened again, the person now agrees to share their name only.
    second = open_case(consent={"screening": True, "referral": True, "share": ["given_name"]})
    signed_in("screener").post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    assert api("screener", "GET", f"/cases/{first}").get_json()["consent"] == {
        "referral": True,
        "share": ["given_name"],
    }
    seen = api("partner", "GET", f"/referrals/{referral_id}").get_json()
    assert (seen["state"], seen["fields"]) == ("withdrawn", {})
