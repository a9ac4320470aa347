"""The interview in the browser's HTML: safety check, consent and the person first, then one
question per page with its red-flag protocol at once, the whole-group buttons, the
interpreter pause, the child's hand-over, finishing (early or not) and the result page, drafts
and scope. Expectations are literal: the wording on screen, the addresses, the stored answers."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from screening import people, red_flags, services
from screening.consent import EXPLAINED
from screening.instrument_files import load_catalogue
from screening.models import Person, Screening
from tests.helpers import Account, Client, error_of

CATALOGUE = load_catalogue()
ADULT, CHILD = CATALOGUE["adult"], CATALOGUE["child"]
SAFE = {
    "alone": "yes",
    "safe_to_talk": "yes",
    "child": "no",
    "language": "en",
    "interpreter_language": "",
    "interpreter_independent": "none",
}
CHILD_SAFE = {**SAFE, "alone": "", "child": "yes", "linked_present": "no", "present": ["guardian"]}
CONSENT = {
    "screening": "y",
    "storing": "y",
    "referral": "y",
    "statistics": "y",
    "explained": list(EXPLAINED),
}
CHILD_CONSENT = {**CONSENT, "assent": "y", "guardian_consent": "y"}
PERSON = {
    "given_name": "Canaryview",
    "family_name": "Personview",
    "age": "31",
    "needs": ["shelter"],
}
CHILD_PERSON = {"given_name": "Canarychildview", "age": "15", "age_source": "document"}

DANGER_NOW = "Right now, do you feel you are in danger?"
CONTROLLER_NEARBY = "Is anyone who controls your work or where you go close to here now?"
DISCLAIMER = "Screening indication for referral, not an identification."
# Answers that raise no red flag: "yes" to a safe place tonight (a5 fires on "no").
CALM = {"a5": "yes"}


# --- helpers -----------------------------------------------------------------------------


def main(response: Any) -> str:
    """The page's own content, without the header and the footer's language switcher."""
    return response.get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]


def begin(
    client: Client,
    safety: dict[str, Any] | None = None,
    consent: dict[str, Any] | None = None,
    person: dict[str, Any] | None = None,
) -> str:
    """Safety check, consent and the person; returns the address of the first question."""
    assert (
        client.post("/screenings/new", {**SAFE, **(safety or {})}).location
        == "/screenings/new/consent"
    )
    assert (
        client.post("/screenings/new/consent", {**CONSENT, **(consent or {})}).location
        == "/screenings/new/person"
    )
    response = client.post("/screenings/new/person", {**PERSON, **(person or {})})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert re.fullmatch(r"/screenings/[0-9a-f-]{36}/ask", response.location)
    return response.location


def begin_child(client: Client, **changes: Any) -> str:
    return begin(
        client,
        {**CHILD_SAFE, **changes.get("safety", {})},
        {**CHILD_CONSENT, **changes.get("consent", {})},
        {**CHILD_PERSON, **changes.get("person", {})},
    )


def screening_id(url: str) -> uuid.UUID:
    return uuid.UUID(url.split("/")[2])


def key_of(page: str) -> str:
    """The storage key of the question a page asks."""
    match = re.search(r'<input type="hidden" name="key" value="([^"]+)">', page)
    assert match, page
    return match.group(1)


def legend(page: str) -> str:
    """The question, as read out: the text of the question's legend."""
    match = re.search(
        r'<legend lang="[a-z]{2}">(?:<span class="hint">[^<]*</span><br>)?'
        r"([^<]*)</legend>",
        page,
    )
    assert match, page
    return html.unescape(match.group(1))


def answer(client: Client, url: str, value: str | None = "no", **extra: Any) -> Any:
    """Answer the question on the page at ``url`` with "Save and continue"."""
    key = key_of(client.get(url).get_data(as_text=True))
    data = {"key": key, "then": "next", **extra}
    if value is not None:
        data["answer"] = value
    return client.post(url, data)


def record_action(client: Client, red_flag_url: str, clock: Any, **changes: Any) -> Any:
    """Fill in the red-flag page's form as a screener does (every flag stays ticked)."""
    page = client.get(red_flag_url).get_data(as_text=True)
    flags = re.findall(r'name="flags" type="checkbox" value="([^"]+)"', page)
    return client.post(
        red_flag_url,
        {
            "flags": flags,
            "contacted": ["emergency_services", "supervisor"],
            "contacted_note": "",
            "acted_at": clock.now().strftime("%Y-%m-%dT%H:%M"),
            "action": "called",
            "outcome": "Canaryoutcome: moved to the shelter",
            **changes,
        },
    )


def walk(
    client: Client, url: str, clock: Any, answers: dict[str, str] | None = None, record: bool = True
) -> tuple[str, list[str]]:
    """Answer every question, "no" unless ``answers`` says otherwise by key, recording an
    action on each red-flag page (or passing it by with ``record=False``), up to the
    review page. Returns the review address and the keys asked, in order."""
    answers = {**CALM, **(answers or {})}
    asked: list[str] = []
    while url.endswith("/ask"):
        shown = client.get(url)
        if shown.status_code == 302:  # nothing left to ask
            url = shown.location
            break
        page = shown.get_data(as_text=True)
        key = key_of(page)
        asked.append(key)
        assert len(asked) < 120, asked
        data = {"key": key, "then": "next"}
        if 'name="handover"' in page:
            data["handover"] = answers.get(key, "done")
        elif 'name="when"' in page:
            data["when"] = answers.get(key, "work").split()
        elif 'name="answer"' in page:
            data["answer"] = answers.get(key, "no")
        response = client.post(url, data)
        assert response.status_code == 302, response.get_data(as_text=True)
        url = response.location
        if "/red-flag" in url:
            next_url = url.split("next=", 1)[1]
            if record:
                assert record_action(client, url, clock).location == next_url
            url = next_url
    assert url.endswith("/review"), url
    return url, asked


def finish(client: Client, review_url: str) -> Any:
    """Press "Finish and see the result"."""
    return client.post(review_url, {})


def stored_answers(app: Flask, url: str) -> dict[str, str]:
    with app.app_context():
        store = db.session()
        return services.answers(store, store.get(Screening, screening_id(url)))


def status_of(app: Flask, url: str) -> str:
    with app.app_context():
        return db.session().get(Screening, screening_id(url)).status


def without_details(page: str) -> str:
    return re.sub(r"<details>.*?</details>", "", page, flags=re.S)


def details(page: str) -> str:
    match = re.search(r"<details>.*?</details>", page, flags=re.S)
    assert match, page
    return match.group(0)


def assert_no_question_outside_details(page: str, instrument: Any) -> None:
    """The result page's sentences name signs by label: no wording of a question appears
    outside the collapsed <details>, and the disclaimer is always there."""
    assert DISCLAIMER in page
    outside = without_details(page)
    assert [q for q in all_questions(instrument) if q in outside] == []


def all_questions(instrument: Any, language: str = "en") -> list[str]:
    """Every wording a screener reads out: gates, concepts and items."""
    texts = [g.question.get(language) for g in instrument.gates if g.question]
    texts += [c.question.get(language) for c in instrument.concepts.values()]
    texts += [i.question.get(language) for i in instrument.indicators if i.question]
    return [t for t in texts if t]


# --- safety, consent and the person ------------------------------------------------------


def test_an_adult_goes_from_the_safety_check_to_the_first_question(signed_in: Any) -> None:
    client = signed_in("screener")
    safety = client.get("/screenings/new").get_data(as_text=True)
    assert "Is the person under 18, or might they be?" in html.unescape(safety)
    assert client.post("/screenings/new", SAFE).location == "/screenings/new/consent"
    consent = html.unescape(main(client.get("/screenings/new/consent")))
    assert "Read this aloud" in consent
    for point in (
        "Who we are and why we ask these questions",
        "Answering is voluntary: any question can be skipped and the interview stopped",
        "What is kept and who can see it",
        "Nothing is shared with another organisation without their agreement",
        "This is not a police interview",
    ):
        assert point in consent
    assert "The child agrees to talk with you" not in consent
    for purpose, label in (
        ("screening", "Answer questions about their journey, work and living conditions"),
        ("storing", "Keep a confidential record of the answers"),
        ("referral", "Share some details with an organisation that can help"),
        ("statistics", "Count the answers, without names, in statistics"),
        ("recontact", "Be contacted again"),
    ):
        assert consent.count(f'name="{purpose}"') == 1
        assert label in consent
    assert "Nothing in the count leads back to the person" in consent
    assert client.post("/screenings/new/consent", CONSENT).location == "/screenings/new/person"
    assert "Start the questions" in client.get("/screenings/new/person").get_data(as_text=True)
    url = client.post("/screenings/new/person", PERSON).location
    page = main(client.get(url))
    assert legend(page) == DANGER_NOW
    assert '<li class="current" aria-current="step">Safety</li>' in page


def test_a_child_goes_through_assent_and_consent_to_the_first_question(
    app: Flask, signed_in: Any
) -> None:
    client = signed_in("screener")
    assert client.post("/screenings/new", CHILD_SAFE).location == "/screenings/new/consent"
    consent = html.unescape(main(client.get("/screenings/new/consent")))
    assert "The child agrees to talk with you" in consent
    assert "A parent, guardian or appointed representative consents" in consent
    url = begin_child(client)
    assert legend(main(client.get(url))) == DANGER_NOW
    with app.app_context():
        assert db.session().get(Screening, screening_id(url)).instrument == "child"


def test_a_child_needs_assent_with_consent_or_a_legal_basis(signed_in: Any) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", CHILD_SAFE)
    refused = client.post("/screenings/new/consent", {**CONSENT, "assent": "y"})
    assert refused.status_code == 422
    assert (
        "For a child, record their assent and the consent of a parent, guardian or "
        "representative, or the legal basis for going on without it."
    ) in html.unescape(refused.get_data(as_text=True))
    on_basis = client.post("/screenings/new/consent", {**CONSENT, "basis": "child_protection"})
    assert on_basis.location == "/screenings/new/person"


def test_the_questions_wait_until_every_point_is_explained(signed_in: Any) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    response = client.post(
        "/screenings/new/consent", {**CONSENT, "explained": list(EXPLAINED[:-1])}
    )
    assert response.status_code == 422
    assert "Explain every point, then tick it." in response.get_data(as_text=True)
    assert client.get("/screenings/new/person").location == "/screenings/new"


def test_a_consent_tick_box_is_described_by_what_agreeing_means(signed_in: Any) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    page = client.get("/screenings/new/consent").get_data(as_text=True)
    assert (
        '<input aria-describedby="statistics-hint" id="statistics" name="statistics" '
        'type="checkbox" value="y">'
    ) in page
    assert '<p class="hint" id="statistics-hint">Only the month, the country' in page
    safety = client.get("/screenings/new").get_data(as_text=True)  # fields without a hint
    assert 'aria-describedby=""' not in safety
    assert 'aria-describedby=""' not in page


def test_unsafe_conversation_stops_before_anything_is_stored(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    response = client.post("/screenings/new", {**SAFE, "safe_to_talk": "no"})
    assert response.location == "/screenings/stop"
    assert "Stop safely" in client.get(response.location).get_data(as_text=True)
    assert client.get("/screenings/new/person").location == "/screenings/new"
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_without_consent_nothing_is_stored(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    page = client.post("/screenings/new/consent", {"screening": "y"}).get_data(as_text=True)
    assert "nothing has been recorded" in page
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_person_form_errors_are_shown(app: Flask, signed_in: Any) -> None:
    """The form's own checks send it back (400), each error next to its field; no record."""
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    client.post("/screenings/new/consent", CONSENT)
    page = client.post(
        "/screenings/new/person", {"given_name": "", "age": "200", "nationality": "Zedland"}
    )
    assert page.status_code == 400
    body = page.get_data(as_text=True)
    assert body.count('class="error"') == 3
    assert error_of(body, "given_name") == "This field is required."
    assert error_of(body, "age")
    assert error_of(body, "nationality") == (
        "Not a country we know: write its name or its two-letter code."
    )
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_a_safety_check_left_unanswered_is_sent_back_with_400(signed_in: Any) -> None:
    """Nothing is kept of it: the consent page still sends back to the safety check."""
    client = signed_in("screener")
    response = client.post("/screenings/new", {**SAFE, "safe_to_talk": ""})
    assert response.status_code == 400
    assert error_of(response.get_data(as_text=True), "safe_to_talk") == "This field is required."
    assert client.get("/screenings/new/consent").location == "/screenings/new"


def test_a_consent_form_its_rules_refuse_is_sent_back_with_422_on_its_field(
    signed_in: Any,
) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    response = client.post("/screenings/new/consent", {**CONSENT, "explained": []})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_of(page, "explained") == "Explain every point, then tick it."
    assert client.get("/screenings/new/person").location == "/screenings/new"


# --- one question per page ---------------------------------------------------------------


def test_one_question_per_page_and_save_and_continue_moves_on(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    page = main(client.get(url))
    assert page.count("<fieldset") == 1
    assert page.count('name="answer"') == 4
    labels = {html.unescape(t) for t in re.findall(r'<label for="answer-\d">([^<]+)</label>', page)}
    assert labels == {"Yes", "No", "Don't know", "Prefers not to say"}
    assert "required" not in page
    assert 'name="group"' not in page  # the whole-group buttons belong to umbrellas
    response = answer(client, url, "no")
    assert response.location == url
    assert legend(main(client.get(url))) == CONTROLLER_NEARBY
    assert stored_answers(app, url) == {"rf_in_danger_now": "no"}


def test_a_page_saved_with_nothing_chosen_records_dont_know(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    assert answer(client, url, None).location == url
    assert stored_answers(app, url) == {"rf_in_danger_now": "unknown"}


def test_hours_as_numbers_count_as_yes_from_12_a_day(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    for _ in range(6):  # the safety gates
        answer(client, url, CALM.get(key_of(client.get(url).get_data(as_text=True)), "no"))
    page = main(client.get(url))
    assert key_of(page) == "ec_excessive_hours"
    assert "Hours a day" in page
    assert "Days a week" in page
    answer(client, url, None, hours_per_day="13", days_per_week="6")
    assert stored_answers(app, url)["ec_excessive_hours"] == "yes"


def answer_until(client: Client, url: str, key: str) -> None:
    """Answer "no" (or the calm answer) up to the question stored under ``key``."""
    while (current := key_of(client.get(url).get_data(as_text=True))) != key:
        answer(client, url, CALM.get(current, "no"))


def test_a_topic_answered_yes_asks_when_it_happened(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    answer_until(client, url, "documents")
    answer(client, url, "yes")
    page = html.unescape(main(client.get(url)))
    assert key_of(page) == "documents_when"
    assert legend(page) == "When did this happen?"
    assert '<span class="hint">Passport or ID kept</span>' in page
    labels = re.findall(r'<label for="when-\d">([^<]+)</label>', page)
    assert labels == [
        "while it was being arranged",
        "on the way here",
        "during the work, or now",
        "Don't know",
    ]
    assert (
        client.post(
            url, {"key": "documents_when", "when": ["before", "work"], "then": "next"}
        ).location
        == url
    )
    assert stored_answers(app, url)["documents_when"] == "before work"
    assert key_of(client.get(url).get_data(as_text=True)) == "debt"


def test_an_answer_not_accepted_is_shown_as_an_error(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    answer_until(client, url, "ec_excessive_hours")
    response = answer(client, url, None, hours_per_day="twelve", days_per_week="9")
    assert response.status_code == 400
    page = main(response)
    assert "Not a valid integer value." in page
    assert "Number must be between 0 and 7." in page
    assert 'aria-invalid="true"' in page
    not_a_choice = answer(client, url, "maybe")
    assert not_a_choice.status_code == 400
    refused = main(not_a_choice)
    assert '<p class="error" id="answer-error">Not a valid choice.</p>' in refused
    assert 'aria-describedby="answer-error"' in refused  # the question's group names it
    assert "ec_excessive_hours" not in stored_answers(app, url)


def test_a_stale_page_does_not_overwrite_a_later_answer(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    answer(client, url, "no")  # a1; the page now asks a2
    stale = client.post(url, {"key": "rf_in_danger_now", "answer": "yes", "then": "next"})
    assert stale.location == url  # not the red-flag page
    page = main(client.get(url))
    assert "That question was already answered; here is the next one." in html.unescape(page)
    assert legend(page) == CONTROLLER_NEARBY
    assert stored_answers(app, url) == {"rf_in_danger_now": "no"}


# --- red flags ---------------------------------------------------------------------------


def test_a_red_flag_answer_goes_at_once_to_its_protocol(signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    response = answer(client, url, "yes")
    assert response.location == f"/screenings/{screening_id(url)}/red-flag?next={url}"
    page = html.unescape(main(client.get(response.location)))
    assert '<h1 class="alert-title">Red flag: act now</h1>' in page
    assert '<h2 id="protocol-emergency" lang="en">Immediate danger</h2>' in page
    assert "Tell the duty protection officer at once" in page
    assert "Record what was done" in page
    for name in (
        'name="flags"',
        'name="contacted"',
        'name="acted_at"',
        'name="action"',
        'name="outcome"',
    ):
        assert name in page
    assert "Record and continue" in page
    assert "Record later" in page


def test_recording_the_action_returns_to_the_next_question(
    app: Flask, signed_in: Any, clock: Any
) -> None:
    client = signed_in("screener")
    url = begin(client)
    red_flag = answer(client, url, "yes").location
    recorded = record_action(client, red_flag, clock)
    assert recorded.location == url
    page = main(client.get(url))
    assert "The action is recorded." in page
    assert legend(page) == CONTROLLER_NEARBY
    with app.app_context():
        store = db.session()
        [action] = red_flags.actions(store, store.get(Screening, screening_id(url)))
    assert (
        action["flags"],
        action["protocols"],
        action["contacted"],
        action["action"],
        action["outcome"],
    ) == (
        ["rf_in_danger_now"],
        ["emergency"],
        ["emergency_services", "supervisor"],
        "called",
        "Canaryoutcome: moved to the shelter",
    )


def test_finishing_with_an_unrecorded_red_flag_is_refused(
    app: Flask, signed_in: Any, clock: Any
) -> None:
    client = signed_in("screener")
    review, _asked = walk(client, begin(client), clock, {"rf_in_danger_now": "yes"}, record=False)
    page = html.unescape(main(client.get(review)))
    assert "Record what was done about each red flag before finishing." in page
    assert (
        f'/screenings/{screening_id(review)}/red-flag?next={review}">Record what was done' in page
    )
    refused = finish(client, review)
    assert refused.location == review
    after = main(client.get(review))
    assert after.count("Record what was done about each red flag before finishing.") == 2
    assert "before completing" not in after  # the service's words are not shown as they are
    assert status_of(app, review) == "draft"
    link = re.search(r'href="([^"]*/red-flag\?[^"]*)"', main(client.get(review))).group(1)
    assert record_action(client, html.unescape(link), clock).location == review
    done = finish(client, review)
    assert done.location == f"/screenings/{screening_id(review)}"
    assert status_of(app, review) == "completed"


def test_the_result_shows_the_recorded_action(signed_in: Any, clock: Any) -> None:
    client = signed_in("screener")
    review, _asked = walk(client, begin(client), clock, {"rf_in_danger_now": "yes"})
    page = html.unescape(main(client.get(finish(client, review).location)))
    assert '<h2 id="red-flags-title">Red flags</h2>' in page
    assert "What was done about the red flags" in page
    for text in (
        "Immediate danger",
        "Emergency services",
        "Supervisor or duty protection officer",
        "Called for help",
        "Canaryoutcome: moved to the shelter",
        "Mar 2, 2026, 09:00 UTC",
    ):
        assert text in page, text
    assert "No action recorded yet" not in page
    assert_no_question_outside_details(page, ADULT)


# --- whole-group buttons, pauses ---------------------------------------------------------


def test_the_whole_group_button_on_an_umbrella_fills_the_group(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    for key in (
        "rf_in_danger_now",
        "rf_controller_nearby",
        "rf_cannot_leave",
        "rf_injury_illness",
        "a5",
        "rf_detention_or_removal",
        "ec_excessive_hours",
    ):
        assert key_of(client.get(url).get_data(as_text=True)) == key
        answer(client, url, CALM.get(key, "no"))
    page = html.unescape(main(client.get(url)))
    assert key_of(page) == "b2"
    assert "Whole group: don't know" in page
    assert "Whole group: prefers not to say" in page
    response = client.post(url, {"key": "b2", "group": "unknown"})
    assert response.location == url
    assert key_of(client.get(url).get_data(as_text=True)) == "b3"
    given = stored_answers(app, url)
    assert {k: given[k] for k in ("b2", *ADULT.gate("b2").members)} == dict.fromkeys(
        (
            "b2",
            "ec_low_pay",
            "ec_wage_manipulation",
            "money_kept",
            "ec_law_not_respected",
            "ec_no_social_protection",
        ),
        "unknown",
    )


def money_group_opened(client: Client) -> str:
    """A new interview up to the money group (b2), answered "one of these happened"; its
    question page's address."""
    url = begin(client)
    for _ in range(7):
        key = key_of(client.get(url).get_data(as_text=True))
        answer(client, url, CALM.get(key, "no"))
    answer(client, url, "yes")
    return url


def test_an_opened_group_is_asked_on_one_which_of_these_page(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = money_group_opened(client)
    page = main(client.get(url))
    assert key_of(page) == "b2_list"
    assert 'name="group" value="declined"' in page
    # No line for very low pay is set (LOW_PAY_PER_MONTH 0): the pay is not asked as a
    # number (tests/screening/test_pay_numbers.py has a deployment that set one).
    assert "pay_per_month" not in page
    for member in (
        "ec_low_pay",
        "ec_wage_manipulation",
        "money_kept",
        "ec_law_not_respected",
        "ec_no_social_protection",
    ):
        assert f'name="yes" value="{member}"' in page
    # The ones not ticked need the screener's word, and the page says so rather than promise
    # that a blank is "don't know" as on a single question: nothing is saved without it.
    assert "Left blank, the answer is" not in page
    assert "then choose the answer for the ones not ticked" in page
    assert client.post(url, {"key": "b2_list", "yes": "ec_low_pay"}).status_code == 400
    assert "ec_low_pay" not in stored_answers(app, url)
    assert client.post(url, {"key": "b2_list", "yes": "ec_low_pay", "others": "no"}).location == url
    assert key_of(client.get(url).get_data(as_text=True)) == "b3"
    given = stored_answers(app, url)
    assert {
        m: given[m]
        for m in (
            "ec_low_pay",
            "ec_wage_manipulation",
            "money_kept",
            "ec_law_not_respected",
            "ec_no_social_protection",
        )
    } == {
        "ec_low_pay": "yes",
        "ec_wage_manipulation": "no",
        "money_kept": "no",
        "ec_law_not_respected": "no",
        "ec_no_social_protection": "no",
    }


def test_the_whole_group_button_on_the_list_page_fills_the_group(
    app: Flask, signed_in: Any
) -> None:
    client = signed_in("screener")
    url = money_group_opened(client)
    assert client.post(url, {"key": "b2_list", "group": "declined"}).location == url
    assert key_of(client.get(url).get_data(as_text=True)) == "b3"
    given = stored_answers(app, url)
    assert {
        given.get(m)
        for m in (
            "ec_low_pay",
            "ec_wage_manipulation",
            "money_kept",
            "ec_law_not_respected",
            "ec_no_social_protection",
        )
    } == {"declined"}


def test_a_whole_group_answer_posted_to_a_safety_question_still_goes_to_the_protocol(
    app: Flask, signed_in: Any
) -> None:
    client = signed_in("screener")
    url = begin(client)
    answer_until(client, url, "a5")
    assert 'name="group"' not in main(client.get(url))
    response = client.post(url, {"key": "a5", "group": "unknown"})  # not offered: ignored
    assert response.location == f"/screenings/{screening_id(url)}/red-flag?next={url}"
    assert "Same-day review" in main(client.get(response.location))
    assert stored_answers(app, url)["a5"] == "unknown"  # saved blank: "Don't know"


def test_the_interpreter_pause_holds_the_sensitive_questions(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client, safety={"interpreter_language": "ar", "interpreter_independent": "no"})
    for _ in range(9):  # the six safety gates, b1, b2 and b3 come before the pause
        key = key_of(client.get(url).get_data(as_text=True))
        assert key != "interpreter_replaced"
        answer(client, url, CALM.get(key, "no"))
    page = html.unescape(main(client.get(url)))
    assert key_of(page) == "interpreter_replaced"
    assert (
        "The questions about control, how it started, the journey and closing wait "
        "until an independent interpreter is present."
    ) in page
    assert 'name="answer"' not in page
    paused = client.post(url, {"key": "interpreter_replaced", "then": "pause"})
    assert paused.location == "/screenings/"
    assert "interpreter_replaced" not in stored_answers(app, url)
    assert key_of(client.get(url).get_data(as_text=True)) == "interpreter_replaced"
    assert client.post(url, {"key": "interpreter_replaced"}).location == url
    assert stored_answers(app, url)["interpreter_replaced"] == "yes"
    assert legend(main(client.get(url))) == ADULT.gate("c1").question.get("en")


def test_an_interpreter_linked_to_the_employer_is_a_red_flag_to_act_on(
    signed_in: Any, clock: Any
) -> None:
    client = signed_in("screener")
    url = begin(client, safety={"interpreter_language": "ar", "interpreter_independent": "no"})
    review, asked = walk(client, url, clock, record=False)
    assert "interpreter_replaced" in asked
    assert "Record what was done about each red flag before finishing." in main(client.get(review))
    protocol = main(client.get(f"/screenings/{screening_id(url)}/red-flag?next={review}"))
    assert 'value="rf_interpreter_linked"' in protocol
    assert finish(client, review).location == review


def test_a_child_disclosure_offers_the_hand_over_and_stopping_gives_a_lower_bound(
    app: Flask, signed_in: Any, clock: Any
) -> None:
    client = signed_in("screener")
    url = begin_child(client)
    for _ in range(7):  # a1 to a7
        key = key_of(client.get(url).get_data(as_text=True))
        answer(client, url, CALM.get(key, "no"))
    hours = main(client.get(url))
    assert key_of(hours) == "ec_excessive_hours"
    assert legend(hours) == CHILD.gate("b1").question.get("en")  # the child's wording
    answer(client, url, "yes")
    page = html.unescape(main(client.get(url)))
    assert key_of(page) == "handover"
    assert (
        "The child has disclosed exploitation or coercion. Stop the questions here and "
        "hand over to child-protection staff."
    ) in page
    assert "Stop and hand over: finish with what is known" in page
    assert client.post(url, {"key": "handover", "handover": "done"}).location == url
    review = client.get(url).location
    assert review == f"/screenings/{screening_id(url)}/review"
    assert "Some questions were not reached" not in main(client.get(review))
    result = html.unescape(main(client.get(finish(client, review).location)))
    assert (
        "Handed over to child protection: this is at least the result shown, to be "
        "completed by child protection."
    ) in result
    assert "The person is or may be a child: refer to child protection now." in result
    assert_no_question_outside_details(result, CHILD)
    assert status_of(app, url) == "completed"


def test_a_child_interview_continued_by_child_protection_goes_on(
    app: Flask, signed_in: Any, clock: Any
) -> None:
    client = signed_in("screener")
    review, asked = walk(
        client, begin_child(client), clock, {"ec_excessive_hours": "yes", "handover": "continued"}
    )
    assert asked.count("handover") == 1
    assert asked.index("handover") == asked.index("ec_excessive_hours") + 1
    assert len(asked) > asked.index("handover") + 5
    result = html.unescape(main(client.get(finish(client, review).location)))
    assert "Handed over to child protection" not in result


# --- finishing and the result ------------------------------------------------------------


def test_finishing_early_shows_the_range(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    answer(client, url, "no")
    review = f"/screenings/{screening_id(url)}/review"
    page = html.unescape(main(client.get(review)))
    assert "1 answer recorded." in page
    assert "Some questions were not reached." in page
    result = html.unescape(main(client.get(finish(client, review).location)))
    assert (
        "Between No indicators and Likely trafficking in persons: some answers are open." in result
    )
    assert "Answers that could change it:" in result
    assert '<p class="headline">No indicators</p>' not in result
    assert_no_question_outside_details(result, ADULT)


def test_a_full_interview_with_every_answer_no_has_no_range(signed_in: Any, clock: Any) -> None:
    client = signed_in("screener")
    review, asked = walk(client, begin(client), clock)
    assert asked[:7] == [
        "rf_in_danger_now",
        "rf_controller_nearby",
        "rf_cannot_leave",
        "rf_injury_illness",
        "a5",
        "rf_detention_or_removal",
        "ec_excessive_hours",
    ]
    assert "g1" not in asked
    assert "rf_imminent_move" not in asked
    assert asked[-1] == "rf_self_harm"
    assert "Some questions were not reached" not in main(client.get(review))
    result = html.unescape(main(client.get(finish(client, review).location)))
    assert '<p class="headline">No indicators</p>' in result
    assert "Between" not in result
    assert_no_question_outside_details(result, ADULT)


def test_the_result_names_signs_by_label_and_quotes_questions_only_in_details(
    signed_in: Any, clock: Any
) -> None:
    client = signed_in("screener")
    yes = {
        "ec_excessive_hours": "yes",
        "documents": "yes",
        "documents_when": "work",
        "debt": "yes",
        "debt_when": "before work",
        "d1": "yes",
        "dr_job_nature": "yes",
    }
    review, _asked = walk(client, begin(client), clock, yes)
    page = html.unescape(main(client.get(finish(client, review).location)))
    assert_no_question_outside_details(page, ADULT)
    assert "Canaryview" not in page  # no identity on the result
    inside = details(page)
    quoted = [q for q in all_questions(ADULT) if q in inside]
    assert ADULT.indicator("ec_excessive_hours").question.get("en") in quoted
    assert '<ul lang="en">' in inside
    assert re.search(r"<details>\s*<summary>", inside)  # collapsed: no open attribute


def test_the_result_is_in_the_screeners_language_and_quotes_in_the_interviews(
    client: Client, accounts: dict[str, Account], clock: Any
) -> None:
    client.sign_in(accounts["screener"])
    client.post("/account", {"locale": "es"})
    url = begin(client, safety={"language": "fr"})
    review, _asked = walk(client, url, clock, {"ec_excessive_hours": "yes"})
    page = html.unescape(main(client.get(finish(client, review).location)))
    assert "<h1>Resultado de la detección</h1>" in page
    assert "Vía de derivación recomendada" in page
    inside = details(page)
    assert '<ul lang="fr">' in inside
    assert ADULT.indicator("ec_excessive_hours").question.get("fr") in inside
    assert ADULT.indicator("ec_excessive_hours").question.get("fr") not in without_details(page)


# --- hiding, drafts, scope, bad input ----------------------------------------------------


def test_hide_screen_goes_to_the_neutral_page(signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    page = main(client.get(url))
    assert 'action="/screenings/neutral-exit"' in page
    response = client.post("/screenings/neutral-exit", {}, form_page=url)
    assert response.location == "/screenings/neutral"
    neutral = client.get(response.location).get_data(as_text=True)
    assert "Staying well" in neutral
    assert "Passage" not in neutral
    assert "screening" not in neutral.lower()


def test_draft_can_be_paused_and_resumed_from_the_list(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    paused = answer(client, url, "declined", then="pause")
    assert paused.location == "/screenings/"
    listing = client.get("/screenings/").get_data(as_text=True)
    assert "Saved. You can resume this screening from your list." in listing
    assert "Draft: resume" in listing
    resume = f"/screenings/{screening_id(url)}"
    assert f'href="{resume}"' in listing
    assert client.get(resume).location == url
    assert legend(main(client.get(url))) == CONTROLLER_NEARBY
    assert stored_answers(app, url) == {"rf_in_danger_now": "declined"}


def test_a_completed_screening_no_longer_takes_answers(signed_in: Any, clock: Any) -> None:
    client = signed_in("screener")
    url = begin(client)
    review, _asked = walk(client, url, clock)
    result = finish(client, review).location
    assert client.get(url).location == result
    assert client.get(review).location == result


def test_other_screeners_cannot_open_it(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    client.sign_in(accounts["screener"])
    url = begin(client)
    other = new_client()
    other.sign_in(accounts["screener_b"])
    for path in (
        url,
        f"/screenings/{screening_id(url)}",
        f"/screenings/{screening_id(url)}/review",
    ):
        assert other.get(path).status_code == 404
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


@pytest.mark.parametrize(
    "data",
    [
        {"answer": "maybe"},
        {"answer": "yes", "then": "elsewhere"},
        {"hours_per_day": "abc"},
        {"hours_per_day": "99", "days_per_week": "-1"},
        {"group": "everything"},
        {"group": "unknown", "key": "rf_in_danger_now"},
        {"key": ""},
        {"key": "x" * 5000},
        {"handover": "done"},
        {"when": ["yesterday"]},
    ],
)
def test_bad_answers_never_give_a_server_error(
    app: Flask, signed_in: Any, data: dict[str, Any]
) -> None:
    client = signed_in("screener")
    url = begin(client)
    response = client.post(url, {"key": "rf_in_danger_now", **data})
    assert response.status_code in (400, 302), response.status_code
    assert status_of(app, url) == "draft"
    assert client.get(url).status_code == 200


def test_bad_input_after_the_last_question_never_gives_a_server_error(
    app: Flask, signed_in: Any, clock: Any
) -> None:
    client = signed_in("screener")
    url = begin(client)
    review, _asked = walk(client, url, clock, {"rf_in_danger_now": "yes"}, record=False)
    for path, data in [
        (url, {"key": "documents_when", "when": ["nonsense", "work"]}),
        (url, {"key": "handover", "handover": "done"}),
        (review, {"csrf_token": "forged"}),
        (
            f"/screenings/{screening_id(url)}/red-flag?next=" + url,
            {"flags": ["rf_in_danger_now"], "acted_at": "not a time", "action": "magic"},
        ),
        (f"/screenings/{screening_id(url)}/red-flag?flags=nonsense", {"action": "called"}),
    ]:
        assert client.post(path, data, form_page=review).status_code < 500, path
    for path in (
        f"/screenings/{uuid.uuid4()}/ask",
        f"/screenings/{uuid.uuid4()}/review",
        f"/screenings/{uuid.uuid4()}",
        "/screenings/not-a-uuid/ask",
    ):
        assert client.get(path).status_code == 404, path
    assert client.raw.post(url, data={"key": "b1", "answer": "yes"}).status_code == 400
    assert status_of(app, url) == "draft"


def test_countries_and_languages_may_be_named_and_are_kept_as_codes(
    app: Flask, signed_in: Any
) -> None:
    # A screener with an interpreter knows "Eritrea" and "Tigrinya", rarely ER and ti; names
    # are read in any language Passage speaks (Grèce is French), and codes still do.
    client = signed_in("screener")
    url = begin(
        client,
        person={
            "nationality": "eritrea",
            "country": "Grèce",
            "languages": "Tigrinya, arabic, fr en",
        },
    )
    with app.app_context():
        store = db.session()
        screening = store.get(Screening, screening_id(url))
        person = store.get(Person, screening.person_id)
        assert (person.nationality, person.country) == ("ER", "GR")
        assert people.read(store, person).languages == ("ti", "ar", "fr", "en")


def test_an_unknown_country_or_language_is_sent_back_on_its_field(signed_in: Any) -> None:
    client = signed_in("screener")
    assert client.post("/screenings/new", SAFE).location == "/screenings/new/consent"
    assert client.post("/screenings/new/consent", CONSENT).location == "/screenings/new/person"
    refused = client.post(
        "/screenings/new/person",
        {**PERSON, "country": "Atlantis", "languages": "Tigrinya, Klingon, Elvish"},
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert error_of(page, "country") == (
        "Not a country we know: write its name or its two-letter code."
    )
    assert error_of(page, "languages") == (
        "Not a language we know: Klingon, Elvish. Write each one's name or its two-letter code."
    )
    many = client.post(
        "/screenings/new/person", {**PERSON, "languages": "aa bb cc dd ee ff gg hh ii"}
    )
    assert error_of(many.get_data(as_text=True), "languages") == "Write at most 8 languages."
