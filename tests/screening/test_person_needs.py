"""The person's needs on registering them: a group of tick boxes with its instruction, as every
other multiple choice, its error said with the group."""

from __future__ import annotations

from typing import Any

from tests.helpers import error_of
from tests.screening.test_views import CONSENT, PERSON, SAFE

BOX = '<input id="needs-{}" name="needs" type="checkbox" value="{}">'


def person_page(client: Any) -> None:
    assert client.post("/screenings/new", SAFE).location == "/screenings/new/consent"
    assert client.post("/screenings/new/consent", CONSENT).location == "/screenings/new/person"


def test_the_needs_are_tick_boxes_under_the_question(signed_in: Any) -> None:
    client = signed_in("screener")
    person_page(client)
    page = client.get("/screenings/new/person").get_data(as_text=True)
    assert 'multiple name="needs"' not in page
    assert "<legend>What do they need now?</legend>" in page
    assert '<p class="hint" id="needs-hint">Tick each one that applies, or none.</p>' in page
    assert BOX.format(0, "shelter") + ' <label for="needs-0">Safe place to stay</label>' in page
    assert BOX.format(7, "interpretation") in page


def test_ticked_needs_are_taken(signed_in: Any) -> None:
    client = signed_in("screener")
    person_page(client)
    response = client.post("/screenings/new/person", {**PERSON, "needs": ["shelter", "legal"]})
    assert response.status_code == 302


def test_a_need_not_offered_is_an_error_of_the_group(signed_in: Any) -> None:
    client = signed_in("screener")
    person_page(client)
    response = client.post("/screenings/new/person", {**PERSON, "needs": ["spa"]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert error_of(page, "needs") == "'spa' is not a valid choice for this field."
    assert '<fieldset class="question has-error" aria-describedby="needs-hint needs-error">' in page
