"""Referrals through the API: ranked matches with reasons, sending within consent to vetted
partners only, the partner's minimal packet, the state machine (409 for anything illegal),
scoping by organisation, suggesting the next partner, and consent withdrawal."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import db
from referral import directory_import, referrals
from referral.models import Referral
from tests.helpers import Account, Client, raw_database_bytes, replace_settings
from tests.referral.conftest import FULL_CONSENT, SHARED
from tests.screening.payloads import body, child_body

API = Callable[..., Any]
# What a partner may ever receive about a referral (R23); the reference is random, not the
# person's (referral.receipts).
PARTNER_KEYS = {
    "id",
    "reference",
    "state",
    "urgency",
    "partner",
    "services",
    "shared_fields",
    "created_at",
    "due_at",
    "overdue",
    "decline_reason",
    "outcome",
    "withdraw_reason",
    "fields",
    "note",
    "basis",
}
CANARIES = ("Testperson", "canary-api-contact", "Canaryregionapi")


def test_matches_rank_vetted_partners_with_their_reasons(
    api: API, open_case: Callable[..., str]
) -> None:
    case_id = open_case()
    matches = api("screener", "GET", f"/cases/{case_id}/matches").get_json()["items"]
    slugs = [m["partner"] for m in matches]
    assert slugs[:2] == ["org-a", "org-b"]  # both offer shelter and legal; a speaks French
    assert "org-c" not in slugs  # suspended: never offered
    best = matches[0]
    assert {"service:legal", "service:shelter", "area:country", "languages:fr", "capacity"} <= set(
        best["matched"]
    )
    assert "org-k" not in slugs  # serves children only; this is an adult woman
    assert matches[1]["lacking"] == ["languages"]  # Beta speaks English, she French


def test_the_case_page_names_the_services_a_partner_offers_and_lacks_in_one_line_each(
    open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case(needs=["shelter", "legal", "medical"])
    page = signed_in("screener").get(f"/cases/{case_id}").get_data(as_text=True)
    alpha, beta = page.split("<strong>Beta Legal</strong>")  # Alpha Shelter ranks first
    assert (
        '<li class="matched">Offers: Legal advice, Medical care, Safe place to stay</li>'
        in (alpha.rpartition("<strong>Alpha Shelter</strong>")[2])
    )
    assert '<li class="matched">Offers: Legal advice, Safe place to stay</li>' in beta
    assert '<li class="lacking">Does not offer: Medical care</li>' in beta
    assert page.count("Offers:") == 2


def test_a_child_is_matched_only_to_child_protection_serving_children(
    api: API, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case(**child_body(needs=["shelter", "legal"]))
    slugs = [
        m["partner"]
        for m in api("screener", "GET", f"/cases/{case_id}/matches").get_json()["items"]
    ]
    assert slugs == ["org-k"]
    page = signed_in("screener").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Serves: Children" in page
    assert "Offers: Child protection" not in page  # not asked for: shown only when needed
    refused = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"]},
    )
    assert refused.status_code == 422
    assert "partner" in refused.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"share": ["contact"]}, "share"),
        ({"partner": "org-c"}, "partner"),
        ({"partner": "no-such-partner"}, "partner"),
        ({"services": ["teleportation"]}, "services"),
    ],
)
def test_a_referral_outside_consent_or_the_directory_is_refused(
    app: Flask, api: API, open_case: Callable[..., str], change: dict[str, Any], field: str
) -> None:
    case_id = open_case()
    data = {"partner": "org-a", "services": ["shelter"], "share": ["given_name"], **change}
    response = api("screener", "POST", f"/cases/{case_id}/referrals", data)
    assert response.status_code in (400, 422)
    assert field in response.get_json()["error"]["fields"]
    assert api("screener", "GET", f"/cases/{case_id}").get_json()["referrals"] == []


def test_a_case_without_referral_consent_cannot_be_referred(
    api: API, open_case: Callable[..., str]
) -> None:
    case_id = open_case(consent={"screening": True, "referral": False, "share": []})
    response = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"]},
    )
    assert response.status_code == 422
    assert "consent" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"partner": 3, "services": ["shelter"]},
        {"partner": "org-a", "services": "x"},
        {"partner": "org-a", "services": ["shelter"], "status": "accepted"},
        {"partner": "org-a", "services": ["shelter"], "owner_org_id": str(uuid.uuid4())},
    ],
)
def test_malformed_referrals_get_a_clear_400(
    api: API, open_case: Callable[..., str], data: Any
) -> None:
    case_id = open_case()
    response = api("screener", "POST", f"/cases/{case_id}/referrals", data)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_the_partner_packet_carries_only_the_shared_fields(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral(share=SHARED)
    packet = api("partner", "GET", f"/referrals/{referral_id}")
    assert packet.status_code == 200
    data = packet.get_json()
    assert set(data) <= PARTNER_KEYS
    assert set(data["fields"]) == set(SHARED)
    assert data["fields"]["given_name"] == "Canaryapi"
    assert data["note"] == "synthetic note"
    page = signed_in("partner").get(f"/referrals/{referral_id}").get_data(as_text=True)
    for canary in CANARIES:
        assert canary not in packet.get_data(as_text=True)
        assert canary not in page
    assert "Canaryapi" in page


def test_pages_name_languages_and_countries_rather_than_their_codes(
    api: API,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
) -> None:
    # The record keeps ISO codes (fr, XK, ZZ); the caseworker and the partner read names.
    share = ["given_name", "languages", "location"]
    case_id = open_case(consent={"screening": True, "referral": True, "share": share})
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": share},
    )
    assert sent.status_code == 201, sent.get_json()
    partner = signed_in("partner")
    page = partner.get(f"/referrals/{sent.get_json()['id']}").get_data(as_text=True)
    assert "<dd>French</dd>" in page
    assert "<dd>Kosovo, Canaryregionapi</dd>" in page
    screener = new_client()
    screener.sign_in(accounts["screener"])
    case_page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "<dt>Nationality</dt><dd>Unknown Region</dd>" in case_page
    assert "<dd>Kosovo, Canaryregionapi</dd>" in case_page
    assert "<dt>Languages they speak</dt><dd>French</dd>" in case_page


def test_screening_answers_reach_the_partner_only_when_shared(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    without = api("partner", "GET", f"/referrals/{referral(share=['given_name'])}").get_json()
    assert "answers" not in without["fields"]
    shared_id = referral(share=["given_name", "answers"])
    shared = api("partner", "GET", f"/referrals/{shared_id}").get_json()
    assert shared["fields"]["answers"]["classification"] == "likely_trafficking"
    # Indicator by indicator: "passport kept, during the work" is the destination item;
    # the interview's own keys (gates, "when?") never leave.
    given = shared["fields"]["answers"]["given"]
    assert {k: given[k] for k in ("dr_job_nature", "cd_documents", "cr_documents", "cd_debt")} == {
        "dr_job_nature": "yes",
        "cd_documents": "yes",
        "cr_documents": "no",
        "cd_debt": "yes",
    }
    assert not {"d2", "documents", "documents_when"} & set(given)
    page = signed_in("partner").get(f"/referrals/{shared_id}").get_data(as_text=True)
    assert "Their answers to the screening questions" in page
    assert "Papers kept during work" in page  # the short label, not the question


def test_another_organisation_never_sees_a_referral(
    app: Flask, api: API, referral: Callable[..., str]
) -> None:
    referral_id = referral()
    assert api("partner_b", "GET", f"/referrals/{referral_id}").status_code == 404
    assert api("partner_b", "POST", f"/referrals/{referral_id}/accept").status_code == 404
    assert api("partner_b", "GET", "/referrals").get_json()["total"] == 0
    assert api("partner", "GET", "/referrals").get_json()["total"] == 1
    assert api("screener_b", "GET", f"/referrals/{referral_id}").status_code == 404
    with app.app_context():
        denied = (
            db.session()
            .scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.action == "access.denied", AuditEvent.object_id == referral_id
                )
            )
            .all()
        )
    assert len(denied) == 3


def test_a_screener_lists_only_the_referrals_of_cases_in_their_charge(
    api: API, referral: Callable[..., str], accounts: dict[str, Account], make_account: Any
) -> None:
    accounts["colleague"] = make_account("screener", team="Team A")
    referral()
    assert api("screener", "GET", "/referrals").get_json()["total"] == 1
    assert api("supervisor", "GET", "/referrals").get_json()["total"] == 1
    assert api("colleague", "GET", "/referrals").get_json()["total"] == 0


def test_the_state_machine_allows_only_legal_moves(api: API, referral: Callable[..., str]) -> None:
    referral_id = referral()
    url = f"/referrals/{referral_id}"
    assert (
        api("partner", "POST", f"{url}/close", {"outcome": "services_provided"}).status_code == 409
    )
    assert api("partner", "POST", f"{url}/decline").status_code == 400
    # A reason not on the list is the service's rule: 422, as any rule refusal when sending.
    assert api("partner", "POST", f"{url}/decline", {"reason": "bored"}).status_code == 422
    assert api("screener", "POST", f"{url}/accept").status_code == 403
    accepted = api("partner", "POST", f"{url}/accept")
    assert accepted.status_code == 200
    assert accepted.get_json()["state"] == "accepted"
    assert api("partner", "POST", f"{url}/accept").status_code == 409
    assert api("partner", "POST", f"{url}/decline", {"reason": "other"}).status_code == 409
    closed = api("partner", "POST", f"{url}/close", {"outcome": "services_provided"})
    assert closed.get_json()["state"] == "closed"
    assert closed.get_json()["outcome"] == "services_provided"
    assert api("screener", "POST", f"{url}/withdraw").status_code == 409


def test_the_sender_may_withdraw_and_the_partner_then_keeps_nothing(
    api: API, referral: Callable[..., str]
) -> None:
    referral_id = referral()
    withdrawn = api("screener", "POST", f"/referrals/{referral_id}/withdraw")
    assert withdrawn.get_json()["state"] == "withdrawn"
    packet = api("partner", "GET", f"/referrals/{referral_id}").get_json()
    assert (packet["state"], packet["fields"]) == ("withdrawn", {})


def test_a_declined_referral_suggests_the_next_partner(
    api: API, referral: Callable[..., str]
) -> None:
    referral_id = referral(partner="org-a")
    declined = api(
        "partner", "POST", f"/referrals/{referral_id}/decline", {"reason": "no_capacity"}
    )
    assert declined.get_json()["decline_reason"] == "no_capacity"
    assert declined.get_json()["fields"] == {}
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    assert api("screener", "GET", f"/cases/{case_id}").get_json()["next_partner"] == "org-b"


def test_one_open_referral_per_partner_and_case(api: API, open_case: Callable[..., str]) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    data = {"partner": "org-a", "services": ["shelter"]}
    assert api("screener", "POST", f"/cases/{case_id}/referrals", data).status_code == 201
    assert api("screener", "POST", f"/cases/{case_id}/referrals", data).status_code == 409


def test_withdrawing_consent_withdraws_open_referrals(
    app: Flask, api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    client = signed_in("screener")
    done = client.post(f"/cases/{case_id}/consent/withdraw", {}, form_page=f"/cases/{case_id}")
    assert done.status_code == 302
    case = api("screener", "GET", f"/cases/{case_id}").get_json()
    assert case["consent"] == {"referral": False, "share": []}
    assert [r["state"] for r in case["referrals"]] == ["withdrawn"]
    assert api("partner", "GET", f"/referrals/{referral_id}").get_json()["fields"] == {}
    again = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-b", "services": ["shelter"]},
    )
    assert again.status_code == 422


def test_deadlines_follow_urgency_and_configuration(
    app: Flask, clock: Any, api: API, referral: Callable[..., str]
) -> None:
    normal = api("partner", "GET", f"/referrals/{referral()}").get_json()
    urgent = api("partner", "GET", f"/referrals/{referral(urgency='urgent')}").get_json()
    assert normal["due_at"] == (clock.now() + timedelta(hours=72)).isoformat()
    assert urgent["due_at"] == (clock.now() + timedelta(hours=24)).isoformat()
    configured = referrals.Deadlines.from_settings(
        replace_settings(
            app, referral_hours_urgent=4, referral_hours_normal=48, referral_expire_hours=96
        )
    )
    assert configured.due("urgent", clock.now()) == clock.now() + timedelta(hours=4)
    assert configured.due("normal", clock.now()) == clock.now() + timedelta(hours=48)


def test_the_inbox_lists_open_and_urgent_first_oldest_on_top_paginated(
    api: API, referral: Callable[..., str], clock: Any
) -> None:
    old_normal = referral()
    clock.advance(hours=1)
    urgent = referral(urgency="urgent")
    clock.advance(hours=1)
    newer_normal = referral()
    first = api("partner", "GET", "/referrals?per_page=2").get_json()
    assert (first["total"], first["page"], first["per_page"]) == (3, 1, 2)
    assert [r["id"] for r in first["items"]] == [urgent, old_normal]
    second = api("partner", "GET", "/referrals?per_page=2&page=2").get_json()
    assert [r["id"] for r in second["items"]] == [newer_normal]
    assert api("partner", "GET", "/referrals?per_page=501").status_code == 400
    assert api("screener", "GET", "/referrals").get_json()["total"] == 3
    assert api("supervisor", "GET", "/referrals").get_json()["total"] == 3
    assert api("screener_b", "GET", "/referrals").get_json()["total"] == 0
    listed = json.dumps(first)
    for canary in (*CANARIES, "Canaryapi"):
        assert canary not in listed


def test_the_screening_api_still_refuses_bad_consent(api: API, partners: None) -> None:
    response = api(
        "screener", "POST", "/screenings", body(consent={"screening": True, "share": ["passport"]})
    )
    assert response.status_code == 400


def test_a_whole_referral_leaves_no_personal_data_in_the_clear_or_the_audit_log(
    app: Flask, api: API, open_case: Callable[..., str]
) -> None:
    case_id = open_case(
        consent={
            "screening": True,
            "referral": True,
            "share": ["given_name", "family_name", "contact", "location"],
        }
    )
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {
            "partner": "org-a",
            "services": ["shelter"],
            "note": "canary-referral-note",
            "share": ["given_name", "family_name", "contact", "location"],
        },
    ).get_json()
    api("partner", "GET", f"/referrals/{sent['id']}")
    api("partner", "POST", f"/referrals/{sent['id']}/accept")
    api("partner", "POST", f"/referrals/{sent['id']}/close", {"outcome": "services_provided"})
    raw = raw_database_bytes(app)
    with app.app_context():
        logged = repr(db.session().execute(sa.select(AuditEvent.__table__)).all())
    for canary in (*CANARIES, "Canaryapi", "canary-referral-note"):
        assert canary.encode() not in raw, canary
        assert canary not in logged, canary


def test_after_retention_the_case_and_packet_show_nothing_of_the_person(
    app: Flask,
    api: API,
    referral: Callable[..., str],
    clock: Any,
    client: Client,
    issue_token: Any,
    accounts: dict[str, Any],
) -> None:
    referral_id = referral()
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    clock.advance(days=app.config["RETENTION_DAYS"] + 1)
    assert app.test_cli_runner().invoke(args=["retention", "apply"]).exit_code == 0

    def fresh(name: str, url: str) -> Any:
        token = issue_token(accounts[name])
        return client.raw.get(f"/api/v1{url}", headers={"Authorization": f"Bearer {token}"})

    packet = fresh("partner", f"/referrals/{referral_id}")
    assert packet.status_code == 200
    assert packet.get_json()["fields"] == {}
    case = fresh("screener", f"/cases/{case_id}")
    assert case.status_code == 200
    assert case.get_json()["person"] is None


def test_a_partner_of_the_persons_region_ranks_first(
    app: Flask,
    api: API,
    open_case: Callable[..., str],
    clock: Any,
    make_account: Callable[..., Account],
) -> None:
    make_account("partner", partner="org-r")
    with app.app_context():
        store = db.session()
        directory_import.import_partners(
            store,
            [
                {
                    "slug": "org-r",
                    "name": "Regional Rho",
                    "capacity": 1,
                    "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
                    "services": ["shelter", "legal"],
                    "languages": ["fr"],
                    "areas": [{"country": "XK", "region": "canaryregionapi"}],
                }
            ],
            clock.now(),
        )
        store.commit()
    case_id = open_case()
    best = api("screener", "GET", f"/cases/{case_id}/matches").get_json()["items"][0]
    assert (best["partner"], "area:region" in best["matched"]) == ("org-r", True)


def test_a_partner_of_other_regions_of_the_country_is_shown_as_such(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    clock: Any,
    make_account: Callable[..., Account],
) -> None:
    # The person's region is written freely ("Athens" for a partner of "Attica"): Passage
    # knows only that the names differ, so it says so and leaves the judgement to the reader.
    make_account("partner", partner="org-n")
    with app.app_context():
        store = db.session()
        directory_import.import_partners(
            store,
            [
                {
                    "slug": "org-n",
                    "name": "Northern Nu",
                    "capacity": 1,
                    "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
                    "services": ["shelter", "legal"],
                    "languages": ["fr"],
                    "areas": [{"country": "XK", "region": "North"}],
                }
            ],
            clock.now(),
        )
        store.commit()
    case_id = open_case()
    page = signed_in("screener").get(f"/cases/{case_id}").get_data(as_text=True)
    nu = page.split("<strong>Northern Nu</strong>", 1)[1].split("</ul>", 1)[0]
    assert (
        '<li class="matched">Works in some regions of the person\'s country: check that it '
        "covers theirs</li>"
    ) in nu
    assert "Works elsewhere" not in page


def test_the_database_refuses_a_second_open_referral_to_the_same_partner(
    app: Flask, api: API, referral: Callable[..., str], clock: Any
) -> None:
    first = api("partner", "GET", f"/referrals/{referral()}").get_json()
    with app.app_context():
        store = db.session()
        original = store.get(Referral, uuid.UUID(first["id"]))
        assert original is not None
        twin = Referral(
            id=uuid.uuid4(),
            case_id=original.case_id,
            partner_id=original.partner_id,
            team_id=original.team_id,
            sent_by=original.sent_by,
            state="pending",
            urgency="normal",
            created_at=clock.now(),
            updated_at=clock.now(),
            due_at=clock.now(),
        )
        store.add(twin)
        with pytest.raises(sa.exc.IntegrityError):
            store.flush()
        store.rollback()
        original = store.get(Referral, uuid.UUID(first["id"]))
        original.state = "declined"  # once it is no longer open, a new one may be sent
        store.add(twin)
        store.flush()
        store.rollback()
