"""The person's own copy (issue 12): what is held, in the interview language, and the
disclosure log — who received which details, who in which role opened the record —
without a staff member's name; only for the team in charge; producing it is audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import db
from tests.helpers import Account, Client

SHARED = {"screening": True, "referral": True, "share": ["given_name", "needs"]}


def refer(api: Callable[..., Any], case_id: str) -> str:
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {
            "partner": "org-a",
            "services": ["shelter"],
            "urgency": "normal",
            "share": ["given_name", "needs"],
            "note": "Canarynote never in the copy",
        },
    )
    assert sent.status_code == 201, sent.get_json()
    return sent.get_json()["id"]


def test_the_copy_lists_what_is_held_and_who_received_and_opened_it(
    app: Flask,
    open_case: Callable[..., str],
    api: Callable[..., Any],
    signed_in: Any,
    accounts: dict[str, Account],
) -> None:
    case_id = open_case(consent=SHARED, language="fr")
    referral_id = refer(api, case_id)
    assert api("partner", "GET", f"/referrals/{referral_id}").status_code == 200
    held = signed_in("screener").get(f"/cases/{case_id}/copy.json").get_json()
    assert held["language"] == "fr"
    assert (held["person"]["given_name"], held["person"]["family_name"]) == (
        "Canaryapi",
        "Testperson",
    )
    [screening] = held["screenings"]
    assert screening["classification"] == "likely_trafficking"
    assert {"question": "Horaires excessifs", "answer": "yes"} in screening["answers"]
    [shared] = held["shared_with"]
    assert (shared["details"], shared["services"], shared["state"]) == (
        ["given_name", "needs"],
        ["shelter"],
        "pending",
    )
    opened = {(o["role"], o["what"]) for o in held["opened"]}
    assert ("partner", "referral") in opened  # the partner read the packet
    assert ("screener", "record") in opened  # and the copy itself opened the record
    text = json.dumps(held)
    for never in (
        "Canarynote",
        accounts["screener"].email,
        accounts["partner"].email,
        str(accounts["partner"].id),
        str(accounts["screener"].id),
    ):
        assert never not in text, never


def test_the_printed_copy_is_in_the_interview_language_and_names_no_one_in_its_title(
    open_case: Callable[..., str], signed_in: Any
) -> None:
    case_id = open_case(consent=SHARED, language="es")
    page = signed_in("screener").get(f"/cases/{case_id}/copy").get_data(as_text=True)
    assert '<html lang="es"' in page
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "Canary" not in title
    assert "Canaryapi" in page  # the person's own details are in the body
    assert "<h2>Quién ha abierto su expediente</h2>" in page


def test_producing_the_copy_is_audited_without_its_content(
    app: Flask, open_case: Callable[..., str], signed_in: Any
) -> None:
    case_id = open_case(consent=SHARED)
    signed_in("screener").get(f"/cases/{case_id}/copy")
    with app.app_context():
        [event] = (
            db.session()
            .scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.copy"))
            .all()
        )
    assert (event.object_type, event.object_id) == ("case", case_id)
    assert "Canary" not in event.details


def test_only_the_team_in_charge_produces_the_copy(
    open_case: Callable[..., str], signed_in: Any, new_client: Any, accounts: dict[str, Account]
) -> None:
    case_id = open_case(consent=SHARED)
    assert signed_in("supervisor").get(f"/cases/{case_id}/copy").status_code == 200
    for name, status in (
        ("screener_b", 404),
        ("supervisor_b", 404),
        ("partner", 403),
        ("auditor", 403),
        ("analyst", 403),
        ("admin", 403),
    ):
        client = new_client()
        client.sign_in(accounts[name])
        assert client.get(f"/cases/{case_id}/copy.json").status_code == status, name


def test_the_copy_is_an_export_and_needs_a_recent_reauth(
    open_case: Callable[..., str], signed_in: Any, accounts: dict[str, Account]
) -> None:
    # R17: exports need the password and code proved within the last five minutes.
    case_id = open_case(consent=SHARED)
    client = signed_in("screener")
    client.clock.advance(minutes=6)
    for url in (f"/cases/{case_id}/copy", f"/cases/{case_id}/copy.json"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/reauth" in response.location, url
    client.reauth(accounts["screener"])
    assert "Canaryapi" in client.get(f"/cases/{case_id}/copy").get_data(as_text=True)
    assert client.get(f"/cases/{case_id}/copy.json").get_json()["person"]["given_name"] == (
        "Canaryapi"
    )


def opened(client: Client, case_id: str) -> list[dict[str, Any]]:
    held = client.get(f"/cases/{case_id}/copy.json")
    assert held.status_code == 200, held.status_code
    return list(held.get_json()["opened"])


def test_reading_the_history_of_corrections_is_in_the_disclosure_log(
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
    new_client: Callable[[], Client],
) -> None:
    case_id = open_case(consent=SHARED)
    screener = signed_in("screener")
    corrected = screener.post(
        f"/cases/{case_id}/person",
        {
            "given_name": "Canarynew",
            "family_name": "Testperson",
            "age": "34",
            "sex": "female",
            "nationality": "ZZ",
            "country": "XK",
            "region": "Canaryregionapi",
            "languages": "fr",
            "contact": "canary-api-contact",
            "needs": ["shelter", "legal"],
        },
    )
    assert corrected.status_code == 302
    screener.reauth(accounts["screener"])
    before = len(opened(screener, case_id))
    # The team's supervisor opens only the history page, which shows the former name.
    supervisor = new_client()
    supervisor.sign_in(accounts["supervisor"])
    page = supervisor.get(f"/cases/{case_id}/person/history")
    assert "Canaryapi" in page.get_data(as_text=True)
    added = opened(screener, case_id)[before:]
    assert [(o["role"], o["what"]) for o in added if o["role"] == "supervisor"] == [
        ("supervisor", "case"),
        ("supervisor", "record"),
    ]


def test_a_break_glass_read_stays_in_the_disclosure_log_after_the_case_is_linked(
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
    new_client: Callable[[], Client],
) -> None:
    first = open_case(consent=SHARED)
    second = open_case(consent=SHARED)  # the same person screened again: linkable
    outsider = new_client()
    outsider.sign_in(accounts["supervisor_b"])
    granted = outsider.post(
        f"/cases/{second}/break-glass",
        {"reason": "Emergency call from the shelter about this person tonight"},
    )
    assert granted.status_code == 302
    assert outsider.get(f"/cases/{second}").status_code == 200  # their name, contact, ...
    screener = signed_in("screener")
    screener.reauth(accounts["screener"])
    emergency = [o for o in opened(screener, second) if o["break_glass"]]
    assert [(o["role"], o["organisation"], o["what"]) for o in emergency] == [
        ("supervisor", "Team B", "case"),
        ("supervisor", "Team B", "case"),
    ]
    linked = screener.post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    assert linked.status_code == 302
    screener.reauth(accounts["screener"])
    after_link = [o for o in opened(screener, first) if o["break_glass"]]
    assert after_link == emergency
