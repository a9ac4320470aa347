"""The questionnaire in the browser's HTML: safety check and consent first, steps by phase with
drafts, red-flag interruptions, the result page, and scope."""

from __future__ import annotations

import html
import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

from core import db
from screening.consent import EXPLAINED
from screening.instruments import load_catalogue
from screening.models import Person, Screening
from tests.helpers import Account, Client

CATALOGUE = load_catalogue()
SAFE = {"alone": "yes", "safe_to_talk": "yes", "child": "no", "language": "en",
        "interpreter_language": "", "interpreter_independent": "none"}
CONSENT = {"screening": "y", "storing": "y", "referral": "y", "statistics": "y",
           "explained": list(EXPLAINED)}
PERSON = {"given_name": "Canaryview", "family_name": "Personview", "age": "31",
          "exploitation": "labour", "needs": ["shelter"]}


def questions(page: Any) -> list[str]:
    return sorted(set(re.findall(r'name="q_([a-z0-9_-]+)"', page.get_data(as_text=True))))


def begin(client: Client, safety: dict[str, Any] | None = None,
          person: dict[str, Any] | None = None, consent: dict[str, Any] | None = None) -> str:
    client.post("/screenings/new", {**SAFE, **(safety or {})})
    client.post("/screenings/new/consent", {**CONSENT, **(consent or {})})
    response = client.post("/screenings/new/person", {**PERSON, **(person or {})})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def answer_all(client: Client, first_step: str, yes: set[str]) -> Any:
    """Walk every step answering yes to ``yes`` and no to the rest; return the result page."""
    url = first_step
    while "/step/" in url:
        ids = questions(client.get(url))
        response = client.post(url, {**{f"q_{i}": "yes" if i in yes else "no" for i in ids},
                                     "then": "next"})
        url = response.location
        if "/red-flag" in url:
            url = url.split("next=", 1)[1]
    assert url.endswith("/review")
    return client.get(client.post(url, {}).location)


def ids(dimension: str, strength: str, count: int) -> set[str]:
    found = [i.id for i in CATALOGUE["adult"].indicators
             if i.dimension == dimension and i.strength == strength and not i.red_flag
             and i.exploitation in ("labour", "any")]
    return set(found[:count])


def test_full_screening_gives_an_explained_result(signed_in: Any) -> None:
    client = signed_in("screener")
    yes = (ids("deceptive_recruitment", "strong", 1) | ids("deceptive_recruitment", "medium", 1)
           | ids("exploitative_conditions", "strong", 1)
           | ids("exploitative_conditions", "medium", 1) | ids("coercion_at_destination",
                                                                "strong", 2))
    page = answer_all(client, begin(client), yes).get_data(as_text=True)
    assert "Likely trafficking in persons" in page
    assert "not an identification" in page
    assert "Refer for specialised assistance" in page
    assert "Canaryview" not in page  # the result shows no identity, nor does its title


def test_questions_are_accessible_fieldsets(signed_in: Any) -> None:
    client = signed_in("screener")
    page = client.get(begin(client)).get_data(as_text=True)
    assert page.count("<fieldset") == page.count("<legend>") > 0
    labels = {html.unescape(text) for text in re.findall(r">([^<>]+)</label>", page)}
    assert {"Yes", "No", "Don't know", "Prefers not to say"} <= labels
    assert "required" not in re.sub(r"<p[^>]*>.*?</p>", "", page)


def test_skip_logic_by_exploitation_type(signed_in: Any) -> None:
    client = signed_in("screener")
    asked = set()
    url = begin(client, person={"exploitation": "labour"})
    while "/step/" in url:
        asked |= set(questions(client.get(url)))
        url = client.post(url, {"then": "next"}).location
    sexual = {i.id for i in CATALOGUE["adult"].indicators if i.exploitation == "sexual"}
    assert asked
    assert not asked & sexual


def test_red_flag_interrupts_with_the_protocol(signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    flags = {i.id for i in CATALOGUE["adult"].indicators if i.red_flag}
    while "/step/" in url:
        ids_here = questions(client.get(url))
        response = client.post(url, {**{f"q_{i}": "yes" for i in ids_here if i in flags},
                                     "then": "next"})
        url = response.location
        if "/red-flag" in url:
            page = client.get(url).get_data(as_text=True)
            assert "Red flag: act now" in page
            assert "duty protection officer" in page
            assert "Continue the questions" in page
            return
    raise AssertionError("no red flag question was asked")


def test_draft_can_be_paused_and_resumed(signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    first = questions(client.get(url))[0]
    paused = client.post(url, {f"q_{first}": "declined", "then": "pause"})
    assert paused.location.endswith("/screenings/")
    listing = client.get("/screenings/").get_data(as_text=True)
    assert "Draft: resume" in listing
    again = client.get(url).get_data(as_text=True)
    assert re.search(rf'checked[^>]*value="declined"[^>]*name="q_{first}"|'
                     rf'name="q_{first}"[^>]*value="declined"[^>]*checked|'
                     rf'checked[^>]*name="q_{first}"[^>]*value="declined"', again)


def test_unsafe_conversation_stops_before_anything_is_stored(app: Flask,
                                                             signed_in: Any) -> None:
    client = signed_in("screener")
    response = client.post("/screenings/new", {**SAFE, "safe_to_talk": "no"})
    assert response.location.endswith("/screenings/stop")
    assert "Stop safely" in client.get(response.location).get_data(as_text=True)
    assert client.get("/screenings/new/person").location.endswith("/screenings/new")
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_without_consent_nothing_is_stored(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    page = client.post("/screenings/new/consent", {"screening": "y"}).get_data(as_text=True)
    assert "nothing has been recorded" in page
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_person_form_errors_are_shown(signed_in: Any) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    client.post("/screenings/new/consent", CONSENT)
    page = client.post("/screenings/new/person", {"given_name": "", "age": "200",
                                                  "nationality": "France"})
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('class="error"') == 3


def test_child_answers_route_to_child_protection(signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client, safety={"child": "yes", "linked_present": "no", "present": ["guardian"]},
                person={"age": "15"}, consent={"assent": "y", "guardian_consent": "y"})
    def first(strength: str) -> str:
        return next(i.id for i in CATALOGUE["child"].indicators
                    if i.dimension == "exploitative_conditions" and i.strength == strength
                    and i.exploitation in ("labour", "any"))

    page = answer_all(client, url, {first("strong"), first("medium")}).get_data(as_text=True)
    assert "child protection" in page.lower()
    assert "Urgent." in page


def test_other_screeners_cannot_open_it(app: Flask, client: Client, new_client: Any,
                                        accounts: dict[str, Account]) -> None:
    client.sign_in(accounts["screener"])
    url = begin(client)
    other = new_client()
    other.sign_in(accounts["screener_b"])
    assert other.get(url).status_code == 404
    supervisor = new_client()
    supervisor.sign_in(accounts["supervisor"])
    assert supervisor.get(url).status_code == 200
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Screening)) == 1


def test_partner_and_auditor_have_no_questionnaire(signed_in: Any) -> None:
    for role in ("partner", "auditor"):
        client = signed_in(role)
        assert client.get("/screenings/new").status_code == 403
        client.post("/logout", form_page="/")


def test_explanation_is_in_the_screeners_language(client: Client,
                                                  accounts: dict[str, Account]) -> None:
    client.sign_in(accounts["screener"])
    client.post("/account", {"locale": "es"})
    page = answer_all(client, begin(client, safety={"language": "fr"}),
                      ids("exploitative_conditions", "strong", 1)).get_data(as_text=True)
    explanation = page.split('<ul class="explanation">', 1)[1].split("</ul>", 1)[0]
    assert "no de una identificación de víctima" in explanation
    question = next(i for i in CATALOGUE["adult"].indicators
                    if i.id in ids("exploitative_conditions", "strong", 1))
    assert question.question["fr"] in html.unescape(page)  # quoted as it was asked
