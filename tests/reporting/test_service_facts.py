"""Facts about the service (docs/reporting.md §1): each step of a counted person's referral,
and what routing found for each need of a counted screening — only with consent, and with
no case, referral or person id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access.models import PartnerOrganisation
from core import db
from reporting.models import need_facts, referral_facts
from tests.reporting.conftest import queued

COUNTED_REFERRAL = {
    "screening": True,
    "referral": True,
    "statistics": True,
    "share": ["given_name", "needs"],
}


def rows(app: Flask, table: sa.Table) -> list[dict[str, Any]]:
    with app.app_context():
        return [dict(r._mapping) for r in db.session().execute(sa.select(table))]


def partner_id(app: Flask, slug: str) -> Any:
    with app.app_context():
        return db.session().scalar(
            sa.select(PartnerOrganisation.id).where(PartnerOrganisation.slug == slug)
        )


def refer(api: Callable[..., Any], case_id: str, partner: str) -> str:
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {
            "partner": partner,
            "services": ["shelter", "legal"],
            "urgency": "urgent",
            "share": ["given_name"],
            "note": "synthetic",
        },
    )
    assert sent.status_code == 201, sent.get_json()
    return sent.get_json()["id"]


def test_each_need_is_counted_with_what_routing_found(app: Flask, screen: Any, flush: Any) -> None:
    screen(needs=["shelter", "legal", "livelihood", "child_protection"])
    assert queued(app, "need") == 4
    flush()
    found = {
        (r["service"], r["result"], r["country"], r["population"], r["sex"])
        for r in rows(app, need_facts)
    }
    # The synthetic directory (tests/referral/conftest.py): Alpha Shelter in XK offers
    # shelter and legal help to women; nobody offers livelihood; Kappa's child protection
    # serves only children.
    assert found == {
        ("shelter", "matched", "XK", "adult", "female"),
        ("legal", "matched", "XK", "adult", "female"),
        ("livelihood", "service_not_offered", "XK", "adult", "female"),
        ("child_protection", "population_not_served", "XK", "adult", "female"),
    }


def test_no_need_fact_without_consent_to_statistics(app: Flask, screen: Any) -> None:
    screen(consent={"screening": True, "referral": False, "statistics": False})
    assert queued(app, "need") == 0


def test_each_step_of_a_referral_is_counted_without_ids(
    app: Flask, screen: Any, api: Callable[..., Any], flush: Any, clock: Any
) -> None:
    case_id = screen(consent=COUNTED_REFERRAL)["case_id"]
    first = refer(api, case_id, "org-a")
    clock.advance(hours=5)
    assert (
        api("partner", "POST", f"/referrals/{first}/decline", {"reason": "no_capacity"}).status_code
        == 200
    )
    second = refer(api, case_id, "org-b")
    clock.advance(hours=30)  # past the 24 hours of an urgent referral
    assert api("partner_b", "POST", f"/referrals/{second}/accept").status_code == 200
    assert queued(app, "referral") == 4
    flush()
    org_a, org_b = partner_id(app, "org-a"), partner_id(app, "org-b")
    steps = sorted(
        (
            r["partner_id"] == org_a,
            r["event"],
            r["hours"],
            r["in_time"],
            r["decline_reason"],
            r["after_decline"],
            r["urgency"],
            r["service_shelter"],
            r["service_medical"],
        )
        for r in rows(app, referral_facts)
    )
    assert steps == sorted(
        [
            (True, "sent", 0, None, None, None, "urgent", True, False),
            (True, "declined", 5, True, "no_capacity", None, "urgent", True, False),
            (False, "sent", 0, None, None, None, "urgent", True, False),
            (False, "accepted", 30, False, None, True, "urgent", True, False),
        ]
    )
    bands = {(r["event"], r["hours_band"]) for r in rows(app, referral_facts)}
    assert bands == {("sent", None), ("declined", "0-24h"), ("accepted", "24-72h")}
    for row in rows(app, referral_facts):
        assert row["partner_id"] in (org_a, org_b)
        assert set(row) >= {"fact_id", "record_key", "month", "team_id"}
        assert not any(
            column.endswith("_at") or column in ("case_id", "referral_id") for column in row
        )


def test_no_referral_fact_without_consent_to_statistics(
    app: Flask, screen: Any, api: Callable[..., Any]
) -> None:
    case_id = screen(
        consent={"screening": True, "referral": True, "statistics": False, "share": ["given_name"]}
    )["case_id"]
    refer(api, case_id, "org-a")
    assert queued(app, "referral") == 0
