"""A child-protection referral never depends on the child's consent: a child's case goes to a
partner offering child protection, for child protection alone, with the minimum of fields and
the legal basis recorded, even when consent to referral is missing or withdrawn; an adult's
case, or a child's to anything but child protection, still needs consent. Matching treats as a
child whoever people.is_child says is one."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import db
from referral.basis import CHILD_PROTECTION, CONSENT, legal_basis
from referral.cases import Consent
from tests.helpers import Account, Client, error_of
from tests.screening.payloads import CHILD_CONSENT, body, child_body

API = Callable[..., Any]
NO_REFERRAL = {
    "screening": True,
    "referral": False,
    "share": [],
    "child": {"assent": True, "guardian_consent": True, "basis": None},
}
PROTECTION = {
    "partner": "org-k",
    "services": ["child_protection"],
    "share": ["given_name", "age", "location", "languages", "needs"],
}

# What the refusal says, literally (referral/basis.py words it).
NO_CONSENT_CHILD = (
    "no consent to referral: a child may still be referred to a partner offering child "
    "protection, for child protection only, sharing at most given_name, age, location, "
    "languages, needs"
)


@pytest.fixture
def partner_k(
    accounts: dict[str, Account], make_account: Callable[..., Account], partners: None
) -> str:
    """Staff of Kappa Child Protection, the directory's child-protection partner."""
    accounts["partner_k"] = make_account("partner", partner="org-k")
    return "partner_k"


def audited(app: Flask, action: str) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            json.loads(details)
            for details in db.session().scalars(
                sa.select(AuditEvent.details)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        ]


@pytest.mark.parametrize(
    ("given", "child", "services", "offers", "share", "basis"),
    [
        (Consent(True, ("given_name",)), False, ["shelter"], ["shelter"], ["given_name"], CONSENT),
        (Consent(False, ()), False, ["child_protection"], ["child_protection"], [], None),
        (
            Consent(False, ()),
            True,
            ["child_protection"],
            ["child_protection"],
            ["given_name", "age", "location", "languages", "needs"],
            CHILD_PROTECTION,
        ),
        (Consent(False, ()), True, ["child_protection", "shelter"], ["child_protection"], [], None),
        (Consent(False, ()), True, ["child_protection"], ["shelter"], [], None),
        (Consent(False, ()), True, ["child_protection"], ["child_protection"], ["contact"], None),
        (
            Consent(True, ("given_name",)),
            True,
            ["child_protection"],
            ["child_protection"],
            ["given_name"],
            CONSENT,
        ),
        (
            Consent(True, ("given_name",)),
            True,
            ["child_protection"],
            ["child_protection"],
            ["given_name", "age"],
            CHILD_PROTECTION,
        ),
        (
            Consent(True, ("given_name",)),
            True,
            ["shelter"],
            ["child_protection", "shelter"],
            ["age"],
            None,
        ),
    ],
)
def test_legal_basis_is_consent_or_child_protection_only(
    given: Consent,
    child: bool,
    services: list[str],
    offers: list[str],
    share: list[str],
    basis: str | None,
) -> None:
    assert legal_basis(given, child, services, offers, share) == basis


def test_a_child_protection_referral_goes_without_referral_consent(
    app: Flask, api: API, open_case: Callable[..., str], partner_k: str
) -> None:
    case_id = open_case(**child_body(consent=NO_REFERRAL))
    sent = api(
        "screener", "POST", f"/cases/{case_id}/referrals", {**PROTECTION, "note": "synthetic note"}
    )
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["basis"] == "child_protection"
    packet = api(partner_k, "GET", f"/referrals/{sent.get_json()['id']}").get_json()
    assert packet["fields"] == {
        "given_name": "Canarychild",
        "age": 15,
        "location": {"country": "XK", "region": None},
        "languages": ["fr"],
        "needs": ["child_protection", "shelter"],
    }
    assert packet["basis"] == "child_protection"
    assert audited(app, "referral.sent")[-1]["basis"] == "child_protection"


def test_an_adults_referral_is_still_refused_without_consent(
    api: API, open_case: Callable[..., str]
) -> None:
    case_id = open_case(consent={"screening": True, "referral": False, "share": []})
    response = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": []},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"consent": "no consent to referral"}


@pytest.mark.parametrize(
    "change",
    [
        {"partner": "org-a", "services": ["shelter"]},  # not a child-protection partner
        {"partner": "org-a", "services": ["child_protection"]},
        {"services": ["child_protection", "shelter"]},  # more than child protection
        {"share": ["given_name", "contact"]},  # more than the minimum
        {"share": ["given_name", "family_name"]},
        {"share": ["answers"]},
    ],
)
def test_without_consent_a_child_goes_only_to_child_protection_with_the_minimum(
    app: Flask, api: API, open_case: Callable[..., str], partners: None, change: dict[str, Any]
) -> None:
    case_id = open_case(**child_body(consent=NO_REFERRAL))
    response = api("screener", "POST", f"/cases/{case_id}/referrals", {**PROTECTION, **change})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"consent": NO_CONSENT_CHILD}
    assert api("screener", "GET", f"/cases/{case_id}").get_json()["referrals"] == []


def test_withdrawn_consent_keeps_the_child_protection_referral_on_its_own_basis(
    app: Flask,
    api: API,
    open_case: Callable[..., str],
    partner_k: str,
    signed_in: Callable[[str], Client],
) -> None:
    case_id = open_case(**child_body(consent=CHILD_CONSENT))
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {**PROTECTION, "share": ["given_name", "needs"]},
    ).get_json()
    assert sent["basis"] == "consent"
    client = signed_in("screener")
    done = client.post(f"/cases/{case_id}/consent/withdraw", {}, form_page=f"/cases/{case_id}")
    assert done.status_code == 302
    kept = api("screener", "GET", f"/cases/{case_id}").get_json()["referrals"]
    assert [(r["state"], r["basis"]) for r in kept] == [("pending", "child_protection")]
    assert api(partner_k, "GET", f"/referrals/{sent['id']}").get_json()["fields"] == {
        "given_name": "Canarychild",
        "needs": ["child_protection", "shelter"],
    }
    assert audited(app, "referral.basis_changed")[-1] == {
        "from": "consent",
        "basis": "child_protection",
    }


def test_withdrawn_consent_still_withdraws_what_went_beyond_the_minimum(
    api: API, open_case: Callable[..., str], partner_k: str, signed_in: Callable[[str], Client]
) -> None:
    consent = {**CHILD_CONSENT, "share": ["given_name", "needs", "answers"]}
    case_id = open_case(**child_body(consent=consent))
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {**PROTECTION, "share": ["given_name", "answers"]},
    ).get_json()
    signed_in("screener").post(
        f"/cases/{case_id}/consent/withdraw", {}, form_page=f"/cases/{case_id}"
    )
    assert api(partner_k, "GET", f"/referrals/{sent['id']}").get_json()["state"] == "withdrawn"
    again = api("screener", "POST", f"/cases/{case_id}/referrals", PROTECTION)
    assert (again.status_code, again.get_json()["basis"]) == (201, "child_protection")


def test_the_case_page_offers_a_child_protection_referral_without_consent(
    api: API, open_case: Callable[..., str], partners: None, signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case(**child_body(consent=NO_REFERRAL))
    client = signed_in("screener")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "A referral to child protection is still possible without their consent" in page
    assert 'value="org-k"' in page
    offered = set(re.findall(r'name="share"[^>]*value="([a-z_]+)"', page)) | set(
        re.findall(r'value="([a-z_]+)"[^>]*name="share"', page)
    )
    assert offered == {"given_name", "age", "location", "languages", "needs"}
    sent = client.post(
        f"/cases/{case_id}/referrals",
        {
            "partner": "org-k",
            "services": ["child_protection"],
            "share": ["given_name", "age"],
            "urgency": "urgent",
        },
        form_page=f"/cases/{case_id}",
    )
    assert sent.status_code == 302
    referrals = api("screener", "GET", f"/cases/{case_id}").get_json()["referrals"]
    assert [(r["partner"], r["basis"]) for r in referrals] == [
        ("Kappa Child Protection", "child_protection")
    ]


def test_the_case_page_says_why_a_childs_referral_without_consent_was_refused(
    open_case: Callable[..., str], partners: None, signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case(**child_body(consent=NO_REFERRAL))
    client = signed_in("screener")
    refused = client.post(
        f"/cases/{case_id}/referrals",
        {
            "partner": "org-k",
            "services": ["child_protection", "shelter"],
            "share": ["given_name"],
            "urgency": "normal",
        },
        form_page=f"/cases/{case_id}",
    )
    assert refused.status_code == 422
    # Consent names no field of the form: the refusal is said at the partner, tied to it.
    assert error_of(refused.get_data(as_text=True), "partner") == NO_CONSENT_CHILD


def test_an_adult_without_consent_gets_no_referral_form(
    open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case(consent={"screening": True, "referral": False, "share": []})
    page = signed_in("screener").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Nothing can be sent to a partner" in page
    assert "Send the referral" not in page


@pytest.mark.parametrize(
    ("changes", "slugs"),
    [
        # No age and no flag: an adult, matched as one.
        (
            {
                "subject": {
                    "given_name": "Canaryapi",
                    "sex": "female",
                    "location": {"country": "XK"},
                }
            },
            ["org-a", "org-b"],
        ),
        # Possibly a minor, whatever the age claimed: a child, for child protection only.
        (
            {
                "instrument": "child",
                "subject": {
                    "given_name": "Canaryapi",
                    "age": 19,
                    "age_source": "claimed",
                    "location": {"country": "XK"},
                },
                "consent": CHILD_CONSENT,
                "answers": {},
                "safety": {"alone": True, "safe_to_talk": True, "possibly_minor": True},
            },
            ["org-k"],
        ),
    ],
)
def test_matching_treats_as_a_child_whom_is_child_says(
    api: API, open_case: Callable[..., str], changes: dict[str, Any], slugs: list[str]
) -> None:
    case_id = open_case(**body(**changes))
    found = api("screener", "GET", f"/cases/{case_id}/matches").get_json()["items"]
    assert [m["partner"] for m in found] == slugs


def test_a_childs_exploitation_with_no_recorded_act_is_worded_alike_everywhere(
    api: API, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    # Long hours, out of school, kept in at work: a child's exploitation, but no act (no
    # recruitment, transport or separation recorded), so not called trafficking on any page.
    answers = {
        "ec_excessive_hours": "yes",
        "ec_no_education": "yes",
        "confinement": "yes",
        "confinement_when": "work",
    }
    case_id = open_case(**child_body(answers=answers))
    client = signed_in("screener")
    screening_id = api("screener", "GET", f"/cases/{case_id}").get_json()["screenings"][0]["id"]
    pages = {
        url: client.get(url).get_data(as_text=True)
        for url in (
            f"/screenings/{screening_id}",
            "/screenings/",
            f"/cases/{case_id}",
            "/cases/",
            f"/cases/{case_id}/copy",
        )
    }
    for url, page in pages.items():
        assert "Child exploitation, act to be established" in page, url
        assert "Likely trafficking in persons" not in page, url


def test_an_urgent_case_says_what_it_needs_next(
    api: API, open_case: Callable[..., str], partner_k: str, signed_in: Callable[[str], Client]
) -> None:
    # "Refer now" until a referral is sent; then that it waits for the answer; then that a
    # partner took it: an urgent banner never asks for a referral already made. (Any "yes"
    # from a child makes the case urgent.)
    case_id = open_case(**child_body(consent=NO_REFERRAL, answers={"ec_excessive_hours": "yes"}))
    screener = signed_in("screener")

    def banner() -> str:
        page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
        shown = page.split('role="alert">', 1)[1].split("</p>", 1)[0]
        return " ".join(shown.replace("<strong>", "").replace("</strong>", "").split())

    assert banner() == "Urgent. Refer to a partner now."
    sent = api("screener", "POST", f"/cases/{case_id}/referrals", PROTECTION)
    assert sent.status_code == 201, sent.get_json()
    assert banner() == (
        "Urgent. A referral waits for the partner's answer: call them if it does not come soon."
    )
    assert api(partner_k, "POST", f"/referrals/{sent.get_json()['id']}/accept").status_code == 200
    assert banner() == (
        "Urgent. A partner has accepted the referral: follow up that the person was taken in."
    )
