"""The person's printed copy gives its times in the deployment's time zone
(``PASSAGE_TIME_ZONE``, docs/architecture.md "Dates on pages"), with the zone named, as every
other page does for the people who read it; the JSON copy keeps ISO times in UTC."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.referral.conftest import FULL_CONSENT


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """A deployment in Athens: two hours ahead of UTC in March (the tests' clock stands at
    2 March 2026, 09:00 UTC)."""
    return make_app(TIME_ZONE="Europe/Athens")


def test_the_printed_copy_gives_local_times_with_their_zone(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": ["given_name"]},
    )
    assert sent.status_code == 201, sent.get_json()
    client = signed_in("screener")
    page = client.get(f"/cases/{case_id}/copy").get_data(as_text=True)
    assert "Produced on Mar 2, 2026, 11:00 EET." in page
    assert '<td data-label="When">Mar 2, 2026, 11:00 EET</td>' in page
    assert "UTC" not in page
    held = client.get(f"/cases/{case_id}/copy.json").get_json()
    assert held["produced_at"] == "2026-03-02T09:00+00:00"
