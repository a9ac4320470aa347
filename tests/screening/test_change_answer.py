"""Changing an answer before finishing (docs/screening.md, Changing an answer): the review
page lists the answers in the order they were asked, and changing one asks again from that
question on, the answers given after it cleared."""

from __future__ import annotations

import html
import re
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import db
from screening import derivation, engine, revisit
from tests.helpers import Account, Client
from tests.screening.test_views import (
    ADULT,
    CONTROLLER_NEARBY,
    DANGER_NOW,
    answer,
    begin,
    finish,
    key_of,
    legend,
    main,
    money_group_opened,
    screening_id,
    stored_answers,
    walk,
)

ADULT_POPULATION = derivation.Population(child=False)
# An adult's first questions: the six safety gates, then the hours.
BEFORE_THE_MONEY = (
    "rf_in_danger_now",
    "rf_controller_nearby",
    "rf_cannot_leave",
    "rf_injury_illness",
    "a5",
    "rf_detention_or_removal",
    "ec_excessive_hours",
)


def review_of(url: str) -> str:
    return url.replace("/ask", "/review")


def change_of(url: str) -> str:
    return url.replace("/ask", "/change")


def rows(page: str) -> list[tuple[str, str]]:
    """The review page's answers: (question, answer) in order."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = re.findall(r"<tr>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>", body)
    return [(html.unescape(q), html.unescape(a)) for q, a in cells]


def test_the_path_replays_the_questions_in_the_order_they_were_asked() -> None:
    # An interview driven by the engine itself, "no" to everything but a safe place to
    # sleep, then "yes" to the money group and "no" to its members.
    given: dict[str, str] = {}
    asked: list[str] = []
    while (step := engine.next_question(ADULT, given, ADULT_POPULATION)).kind != "done":
        named = step.members if step.kind == "list" else (step.key,)
        value = {"a5": "yes", "b2": "yes"}.get(step.key, "no")
        given.update(dict.fromkeys(named, value))
        asked.extend(named)
    walked = revisit.path(ADULT, given, ADULT_POPULATION)
    assert [k for _step, keys in walked for k in keys] == asked
    assert asked[:9] == [*BEFORE_THE_MONEY, "b2", "ec_low_pay"]
    # The path ends at the first step with no answer.
    assert revisit.path(ADULT, {"rf_in_danger_now": "no"}, ADULT_POPULATION)[0][1] == (
        "rf_in_danger_now",
    )
    assert len(revisit.path(ADULT, {"rf_in_danger_now": "no", "b2": "no"}, ADULT_POPULATION)) == 1
    assert revisit.path(ADULT, {}, ADULT_POPULATION) == []


def test_the_review_page_lists_the_answers_in_the_order_asked(signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    answer(client, url, "no")
    answer(client, url, "unknown")
    page = main(client.get(review_of(url)))
    assert rows(page) == [(DANGER_NOW, "No"), (CONTROLLER_NEARBY, "Don't know")]
    assert page.count('name="key" value="') == 2
    assert 'name="key" value="rf_in_danger_now"' in page


def test_changing_an_answer_asks_again_from_there(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = money_group_opened(client)  # six safety answers, the hours, the money group: yes
    assert client.post(url, {"key": "b2_list", "yes": "ec_low_pay", "others": "no"}).location == url
    before = stored_answers(app, url)
    assert before["ec_low_pay"] == "yes"
    # The group was opened by mistake: asked again, it is closed, and what its members
    # said no longer counts.
    assert client.post(change_of(url), {"key": "b2"}, form_page=review_of(url)).location == url
    assert key_of(client.get(url).get_data(as_text=True)) == "b2"
    after = stored_answers(app, url)
    assert set(after) == set(BEFORE_THE_MONEY)
    answer(client, url, "no")
    assert key_of(client.get(url).get_data(as_text=True)) == "b3"
    assert "ec_low_pay" not in stored_answers(app, url)
    with app.app_context():
        details = db.session().scalars(
            sa.select(AuditEvent.details)
            .where(AuditEvent.action == "screening.updated")
            .order_by(AuditEvent.id)
        )
        assert '{"answers":0,"cleared":6}' in list(details)


def test_changing_the_first_answer_asks_everything_again(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    for _ in range(3):
        answer(client, url, "no")
    page = main(client.get(review_of(url)))
    assert page.count('name="key" value="') == 3
    assert client.post(change_of(url), {"key": "rf_controller_nearby"}).location == url
    assert stored_answers(app, url) == {"rf_in_danger_now": "no"}
    assert legend(main(client.get(url))) == CONTROLLER_NEARBY


def test_an_answer_off_the_path_changes_nothing(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    answer(client, url, "no")
    response = client.post(change_of(url), {"key": "ec_low_pay"}, form_page=review_of(url))
    assert response.location == review_of(url)
    assert "That answer is no longer part of this interview." in html.unescape(
        main(client.get(review_of(url)))
    )
    assert stored_answers(app, url) == {"rf_in_danger_now": "no"}


def test_a_completed_screening_keeps_its_answers(app: Flask, signed_in: Any, clock: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    review, _asked = walk(client, url, clock)
    finish(client, review)
    before = stored_answers(app, url)
    response = client.post(change_of(url), {"key": "rf_in_danger_now"}, form_page="/screenings/")
    assert response.location == f"/screenings/{screening_id(url)}"
    assert stored_answers(app, url) == before


def test_other_screeners_cannot_change_it(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    client.sign_in(accounts["screener"])
    url = begin(client)
    answer(client, url, "no")
    other = new_client()
    other.sign_in(accounts["screener_b"])
    posted = other.post(change_of(url), {"key": "rf_in_danger_now"}, form_page="/screenings/")
    assert posted.status_code == 404
    assert stored_answers(app, url) == {"rf_in_danger_now": "no"}
