"""The web interview at its edges (docs/screening.md §2.3, §4, §6, §7, §8): "Hide screen" on
every page seen with the person; a draft with a red flag marked urgent in the list; a child's
hand-over neither claiming the journey was asked nor coming before a red-flag follow-up;
hours with one number missing; what was done for a flag answered "no" later still shown;
an answer from a page left open after completion said not to be saved. The people are
synthetic; expectations are literal."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask

from core import db
from screening import services
from screening.models import Screening
from tests.screening.test_views import (
    CONSENT,
    SAFE,
    answer,
    answer_until,
    begin,
    begin_child,
    finish,
    key_of,
    main,
    record_action,
    screening_id,
    stored_answers,
    walk,
)

HIDE_SCREEN = 'action="/screenings/neutral-exit"'


def test_the_red_flag_protocol_and_other_pages_seen_with_the_person_have_hide_screen(
    signed_in: Any, clock: Any
) -> None:
    # "Is anyone who controls you close to here now?" - "yes": the protocol page comes at
    # once, at the moment someone may walk in, and it says "Red flag: act now".
    client = signed_in("screener")
    url = begin(client)
    answer(client, url, "no")  # a1
    red_flag = answer(client, url, "yes").location  # a2: controller nearby
    assert "/red-flag" in red_flag
    protocol_page = client.get(red_flag).get_data(as_text=True)
    assert record_action(client, red_flag, clock).location == url
    review, _asked = walk(client, url, clock)
    result = finish(client, review).location
    assert result == f"/screenings/{screening_id(url)}"
    pages = {
        "safety check": "/screenings/new",
        "stop safely": "/screenings/stop",
        "result": result,
    }
    missing = [
        name
        for name, page in pages.items()
        if HIDE_SCREEN not in client.get(page).get_data(as_text=True)
    ]
    if HIDE_SCREEN not in protocol_page:
        missing.insert(0, "red flag protocol")
    # A new setup: the consent read aloud, then the person's name and contact typed in.
    assert client.post("/screenings/new", SAFE).location == "/screenings/new/consent"
    if HIDE_SCREEN not in client.get("/screenings/new/consent").get_data(as_text=True):
        missing.append("consent")
    assert client.post("/screenings/new/consent", CONSENT).location == "/screenings/new/person"
    if HIDE_SCREEN not in client.get("/screenings/new/person").get_data(as_text=True):
        missing.append("person")
    assert not missing, f"no Hide screen on: {', '.join(missing)}"


def test_a_draft_with_a_red_flag_still_waiting_is_marked_urgent_in_the_list(
    signed_in: Any,
) -> None:
    client = signed_in("screener")
    url = begin(client)
    red_flag = answer(client, url, "yes").location  # a1: in danger now
    assert "/red-flag" in red_flag
    # "Record later", then "Stop here": the list is where the screener (or the supervisor)
    # comes back to.
    listing = main(client.get("/screenings/"))
    row = re.search(
        rf'<tr>\s*<td[^>]*><a href="/screenings/{screening_id(url)}">.*?</tr>', listing, re.S
    )
    assert row is not None, listing
    assert "Urgent" in row.group(0), "the draft's row: Draft: resume, no mark of the waiting flag"


def test_a_child_handed_over_is_not_told_no_sign_of_smuggling(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin_child(client)
    answer_until(client, url, "ec_excessive_hours")
    answer(client, url, "yes")  # a disclosure: the hand-over comes next
    assert key_of(client.get(url).get_data(as_text=True)) == "handover"
    client.post(url, {"key": "handover", "handover": "done"})
    review = f"/screenings/{screening_id(url)}/review"
    page = html.unescape(main(client.get(finish(client, review).location)))
    with app.app_context():
        store = db.session()
        stored = services.result(store, store.get(Screening, screening_id(url)))
    assert stored["derived"]["sm_paid_facilitator"] == "handover"  # never asked
    assert "No sign of smuggling." not in page, "the journey, never asked, reads as a clean no"


def test_hours_with_one_number_missing_do_not_turn_a_yes_into_no(
    app: Flask, signed_in: Any
) -> None:
    # The person works six days a week, cannot say how many hours a day, and says yes:
    # the hours are so long they cannot rest.
    client = signed_in("screener")
    url = begin(client)
    answer_until(client, url, "ec_excessive_hours")
    response = client.post(
        url,
        {"key": "ec_excessive_hours", "days_per_week": "6", "answer": "yes", "then": "next"},
    )
    assert response.status_code == 302
    assert stored_answers(app, url)["ec_excessive_hours"] == "yes"


def test_an_action_recorded_for_a_flag_answered_again_no_stays_on_the_result(
    signed_in: Any, clock: Any
) -> None:
    client = signed_in("screener")
    url = begin(client)
    red_flag = answer(client, url, "yes").location  # a1: in danger now
    assert record_action(client, red_flag, clock).location == url
    review = f"/screenings/{screening_id(url)}/review"
    changed = client.post(
        f"/screenings/{screening_id(url)}/change", {"key": "rf_in_danger_now"}, form_page=review
    )
    assert changed.location == url
    review, _asked = walk(client, url, clock)  # a1 now "no"
    page = html.unescape(main(client.get(finish(client, review).location)))
    # Emergency services were called and the person went to a shelter: the record keeps it
    # (docs/screening.md §4.1.1), so the one page that shows actions must show it.
    assert "Canaryoutcome: moved to the shelter" in page, "the recorded action is not shown"


def test_an_answer_posted_after_the_screening_was_completed_says_it_was_not_saved(
    app: Flask, signed_in: Any, clock: Any
) -> None:
    client = signed_in("screener")
    url = begin(client)
    answer(client, url, "no")  # a1
    stale = client.get(url).get_data(as_text=True)  # a second tab: "controller nearby?"
    review = f"/screenings/{screening_id(url)}/review"
    assert finish(client, review).location == f"/screenings/{screening_id(url)}"  # finish early
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', stale).group(1)
    posted = client.raw.post(
        url, data={"csrf_token": token, "key": key_of(stale), "answer": "yes", "then": "next"}
    )
    assert stored_answers(app, url) == {"rf_in_danger_now": "no"}  # nothing saved, rightly
    shown = html.unescape(main(client.get(posted.location)))
    assert "This screening is already completed." in shown, "the answer was dropped silently"


def test_a_child_is_asked_whether_others_are_held_before_the_hand_over(
    signed_in: Any,
) -> None:
    # A child says they were locked in at work. Whether others (other children) are there
    # who cannot leave (rf_others_held, emergency) is asked before the hand-over, which
    # "done" would end the interview with.
    client = signed_in("screener")
    url = begin_child(client)
    answer_until(client, url, "confinement")
    answer(client, url, "yes")
    assert key_of(client.get(url).get_data(as_text=True)) == "confinement_when"
    client.post(url, {"key": "confinement_when", "when": ["work"], "then": "next"})
    assert key_of(client.get(url).get_data(as_text=True)) == "rf_others_held"
