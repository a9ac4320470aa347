"""A red-flag action's time in the deployment's time zone (``PASSAGE_TIME_ZONE``,
docs/architecture.md "Dates on pages"): the form starts at the local time and takes the time
as the screener's clock shows it, the record keeps it in UTC, and the result page shows it
back in local time with its zone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, url_for

from core import db
from screening import instruments, interview, red_flags
from screening.models import Screening
from tests.helpers import Client


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """A deployment in Athens: two hours ahead of UTC in March (the tests' clock stands at
    2 March 2026, 09:00 UTC)."""
    return make_app(TIME_ZONE="Europe/Athens")


def url(app: Flask, endpoint: str, **values: Any) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.fixture
def raised(app: Flask, start_screening: Any, clock: Any) -> uuid.UUID:
    """A draft screening whose answers raised the "needs a doctor today" red flag."""
    screening_id: uuid.UUID = start_screening()
    with app.app_context():
        store = db.session()
        screening = store.get(Screening, screening_id)
        assert screening is not None
        catalogue = instruments.catalogue()["adult"]
        interview.record(store, screening, catalogue, {"rf_injury_illness": "yes"}, clock.now())
        store.commit()
    return screening_id


def main(response: Any) -> str:
    text: str = response.get_data(as_text=True)
    return text.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_form_starts_at_the_local_time_and_says_the_zone(
    app: Flask, signed_in: Callable[[str], Client], raised: uuid.UUID
) -> None:
    page = main(signed_in("screener").get(url(app, "screening.red_flag", screening_id=raised)))
    assert 'value="2026-03-02T11:00"' in page
    assert "Local time (Europe/Athens). It is now 2026-03-02 11:00." in page
    assert "UTC" not in page


def test_a_local_time_is_kept_in_utc_and_shown_back_in_local_time(
    app: Flask, signed_in: Callable[[str], Client], raised: uuid.UUID
) -> None:
    screener = signed_in("screener")
    response = screener.post(
        url(app, "screening.red_flag", screening_id=raised),
        {
            "flags": ["rf_injury_illness"],
            "contacted": ["medical"],
            "acted_at": "2026-03-02T11:00",
            "action": "escorted",
        },
    )
    # 11:00 in Athens is the clock's 09:00 UTC (read as UTC, two hours still to come).
    assert response.status_code == 302
    with app.app_context():
        store = db.session()
        screening = store.get(Screening, raised)
        assert screening is not None
        [action] = red_flags.actions(store, screening)
    assert action["acted_at"] == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    screener.post(url(app, "screening.review", screening_id=raised), {})
    page = main(screener.get(url(app, "screening.show", screening_id=raised)))
    assert '<td data-label="When">Mar 2, 2026, 11:00 EET</td>' in page


def test_a_local_time_is_checked_as_local_time(
    app: Flask, signed_in: Callable[[str], Client], raised: uuid.UUID
) -> None:
    # 10:30 in Athens is 08:30 UTC, before the screening began at 09:00 UTC (read as UTC,
    # it would be an hour and a half still to come).
    response = signed_in("screener").post(
        url(app, "screening.red_flag", screening_id=raised),
        {
            "flags": ["rf_injury_illness"],
            "contacted": ["medical"],
            "acted_at": "2026-03-02T10:30",
            "action": "escorted",
        },
    )
    assert response.status_code == 422
    assert "cannot be before the screening started" in main(response)
