"""The red flags as a screener reads them: the catalogue's short label in the page's language
on the red-flag page (the protocol's list and the form's tick boxes) and on the result page's
table of what was done, while the form still posts, and the record keeps, the codes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, url_for

from core import db
from screening import instruments, interview, red_flags
from screening.models import Screening
from tests.helpers import Client


@pytest.fixture
def screener(signed_in: Callable[[str], Client]) -> Client:
    return signed_in("screener")


def url(app: Flask, endpoint: str, **values: Any) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.fixture
def raised(app: Flask, start_screening: Any, clock: Any) -> Callable[[str], uuid.UUID]:
    """A draft screening whose answers said yes to the red flags ``flags`` (comma-separated)."""

    def build(flags: str) -> uuid.UUID:
        screening_id: uuid.UUID = start_screening()
        with app.app_context():
            store = db.session()
            screening = store.get(Screening, screening_id)
            assert screening is not None
            given = dict.fromkeys(flags.split(","), "yes")
            interview.record(store, screening, instruments.catalogue()["adult"], given, clock.now())
            store.commit()
        return screening_id

    return build


def main(response: Any) -> str:
    text: str = response.get_data(as_text=True)
    return text.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_red_flag_page_names_each_flag_and_posts_its_code(
    app: Flask, screener: Client, raised: Any
) -> None:
    screening_id = raised("rf_injury_illness")
    page = main(screener.get(url(app, "screening.red_flag", screening_id=screening_id)))
    assert "Red flags: Needs medical care today</p>" in page
    assert (
        '<input checked id="flags-0" name="flags" type="checkbox" value="rf_injury_illness">'
        ' <label for="flags-0">Needs medical care today</label>'
    ) in page
    assert ">rf_injury_illness<" not in page
    assert "Red flags: rf_injury_illness" not in page


def test_the_red_flag_page_names_the_flags_in_the_screeners_language(
    app: Flask, screener: Client, raised: Any
) -> None:
    screening_id = raised("rf_in_danger_now")
    screener.post(url(app, "access.language"), {"locale": "fr"})
    page = main(screener.get(url(app, "screening.red_flag", screening_id=screening_id)))
    assert '<label for="flags-0">En danger maintenant</label>' in page


def test_the_result_table_names_the_flags_an_action_answers(
    app: Flask, screener: Client, raised: Any, clock: Any
) -> None:
    screening_id = raised("rf_injury_illness,rf_self_harm")
    response = screener.post(
        url(app, "screening.red_flag", screening_id=screening_id),
        {
            "flags": ["rf_injury_illness", "rf_self_harm"],
            "contacted": ["medical"],
            "acted_at": clock.now().strftime("%Y-%m-%dT%H:%M"),
            "action": "escorted",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        store = db.session()
        screening = store.get(Screening, screening_id)
        assert screening is not None
        [action] = red_flags.actions(store, screening)
    assert action["flags"] == ["rf_injury_illness", "rf_self_harm"]
    screener.post(url(app, "screening.review", screening_id=screening_id), {})
    page = main(screener.get(url(app, "screening.show", screening_id=screening_id)))
    assert '<td data-label="Red flags">Needs medical care today, Thoughts of self-harm</td>' in page
    assert re.search(r"\brf_", page) is None  # no flag's code ("csrf_token" is no code)
