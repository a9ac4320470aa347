"""One case overview (docs/case-work.md): the case page and the API's case rank partners
the same way — for the person's region too — and suggest the same next partner."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from core import db
from referral import directory_import

# Ranked above org-a and org-b only for a person in its region (the payload's region).
REGIONAL = {
    "slug": "org-r",
    "name": "Rho Regional Shelter",
    "capacity": 3,
    "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
    "services": ["shelter", "legal", "medical", "psychosocial"],
    "areas": [{"country": "XK", "region": "Canaryregionapi"}],
    "populations": ["women", "men"],
    "languages": ["fr", "en"],
}
SHARED = {"screening": True, "referral": True, "share": ["given_name", "needs"]}


def test_the_page_and_the_api_suggest_the_same_next_partner(
    app: Flask,
    clock: Any,
    open_case: Callable[..., str],
    api: Callable[..., Any],
    signed_in: Any,
    make_account: Callable[..., Any],
) -> None:
    make_account("partner", partner="org-r")  # a partner is offered only with staff
    with app.app_context():
        store = db.session()
        directory_import.import_partners(store, [REGIONAL], clock.now())
        store.commit()
    case_id = open_case(consent=SHARED)
    ranked = [
        m["partner"]
        for m in api("screener", "GET", f"/cases/{case_id}/matches").get_json()["items"]
    ]
    assert ranked[0] == "org-r"  # the person's region first
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": ["given_name"]},
    )
    assert (
        api(
            "partner",
            "POST",
            f"/referrals/{sent.get_json()['id']}/decline",
            {"reason": "no_capacity"},
        ).status_code
        == 200
    )
    assert api("screener", "GET", f"/cases/{case_id}").get_json()["next_partner"] == "org-r"
    page = signed_in("screener").get(f"/cases/{case_id}").get_data(as_text=True)
    assert re.search(r"The next matching partner is Rho Regional Shelter", page)
