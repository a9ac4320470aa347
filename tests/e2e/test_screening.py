"""The interview in a real Chromium, one question per page: an adult's first answer raises a
red flag and the protocol interrupts at once, the screener records what was done and goes
on, and the result shows it; a child's first disclosure stops the questions for a hand-over
to child protection. Both run with JavaScript disabled, as no page needs it. axe-core finds no
accessibility violation on any page of the interview, the "which of these?" list and the
hand-over included."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.clock import FrozenClock
from screening.instrument_files import load_catalogue
from tests.e2e.test_sign_in import sign_in
from tests.helpers import Account

with contextlib.suppress(ImportError):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Page, expect

CATALOGUE = load_catalogue()
ASK = re.compile(r"/screenings/[0-9a-f-]{36}/ask$")
DANGER_NOW = "Right now, do you feel you are in danger?"
SAFE_PLACE_TONIGHT = "Tonight, do you have a safe place to sleep?"  # a "no" is a red flag
OUTCOME = "Canaryoutcome: the duty officer took the person to the shelter."
DISCLAIMER = "Screening indication for referral, not an identification."
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture
def page_without_js(new_context: Callable[..., Any]) -> Iterator[Page]:
    """A page in a browser context with JavaScript disabled."""
    context = new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


# --- a screener's steps ------------------------------------------------------------------


def group(page: Page, question: str) -> Any:
    """The fieldset whose legend starts with ``question``."""
    return page.get_by_role("group", name=re.compile("^" + re.escape(question)))


def safety_check(page: Page, base: str, child: bool = False) -> None:
    page.goto(f"{base}/screenings/new")
    expect(page.get_by_role("heading", name="Before you start")).to_be_visible()
    group(page, "Is the person under 18").get_by_label("Yes" if child else "No", exact=True).check()
    if child:
        group(page, "Is anyone present linked").get_by_label("No", exact=True).check()
        group(page, "Who else is present?").get_by_label("A parent or guardian").check()
    else:
        group(page, "Is the person alone").get_by_label("Yes", exact=True).check()
    group(page, "Does the person say it is safe").get_by_label("Yes", exact=True).check()
    page.get_by_label("Language of the questions").select_option("en")
    group(page, "Is the interpreter independent").get_by_label("No interpreter").check()
    page.get_by_role("button", name="Continue", exact=True).click()


def consent(page: Page, child: bool = False) -> None:
    expect(page.get_by_role("heading", name="Consent", exact=True)).to_be_visible()
    explained = group(page, "You explained:")
    for point in (
        "Who we are and why we ask these questions",
        "Answering is voluntary",
        "What is kept and who can see it",
        "Nothing is shared",
        "This is not a police interview",
    ):
        explained.get_by_label(re.compile("^" + re.escape(point))).check()
    if child:
        page.get_by_label("The child agrees to talk with you").check()
        page.get_by_label("A parent, guardian or appointed representative consents").check()
    for purpose in (
        "Answer questions about their journey, work and living conditions",
        "Keep a confidential record of the answers",
    ):
        page.get_by_label(purpose, exact=True).check()
    page.get_by_role("button", name="Continue", exact=True).click()


def person(page: Page, name: str, age: str) -> None:
    expect(page.get_by_role("heading", name="About the person")).to_be_visible()
    page.get_by_label("Given name or the name they use").fill(name)
    page.get_by_label("Age (leave empty if unknown)").fill(age)
    page.get_by_role("button", name="Start the questions").click()
    expect(page).to_have_url(ASK)


def question(page: Page) -> str:
    """The question on the page (its legend)."""
    return page.locator("fieldset.question legend").first.inner_text()


def answer(page: Page, choice: str, expected: str | None = None) -> None:
    """Tick ``choice`` for the page's question (``expected``, if given) and save."""
    if expected is not None:
        expect(page.locator("fieldset.question legend").first).to_have_text(expected)
    page.get_by_role("radio", name=choice, exact=True).check()
    page.get_by_role("button", name="Save and continue").click()


def answer_the_rest_no(page: Page) -> None:
    """Answer "No" to every question left (but "Yes" to a safe place tonight), up to the
    review page."""
    while ASK.search(page.url):
        here = question(page)
        answer(page, "Yes" if here == SAFE_PLACE_TONIGHT else "No")
        expect(page.locator("h1")).not_to_have_text("Red flag: act now")
    expect(page.get_by_role("heading", name="Finish the screening")).to_be_visible()


def record_the_action(page: Page, clock: FrozenClock) -> None:
    """The red-flag form: who was contacted, when, what was done, the outcome."""
    group(page, "Who was contacted?").get_by_label("Emergency services").check()
    group(page, "Who was contacted?").get_by_label("Supervisor or duty protection officer").check()
    page.get_by_label("When", exact=True).fill(clock.now().strftime("%Y-%m-%dT%H:%M"))
    group(page, "What was done?").get_by_label("Called for help").check()
    page.get_by_label("Outcome (kept confidential)").fill(OUTCOME)
    page.get_by_role("button", name="Record and continue").click()


# --- the journeys, without JavaScript ----------------------------------------------------


def test_a_red_flag_on_the_first_answer_interrupts_and_its_action_shows_on_the_result(
    page_without_js: Page,
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
) -> None:
    page = page_without_js
    sign_in(page, live_server, make_account("screener"), clock)
    safety_check(page, live_server)
    consent(page)
    person(page, "Canarybrowseradult", "34")

    expect(page.get_by_role("heading", name="Safety", exact=True)).to_be_visible()
    answer(page, "Yes", DANGER_NOW)

    expect(page).to_have_url(re.compile(r"/red-flag\?next="))
    expect(page.get_by_role("heading", name="Red flag: act now")).to_be_visible()
    expect(page.get_by_role("heading", name="Immediate danger")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("call the emergency services")
    record_the_action(page, clock)

    expect(page).to_have_url(ASK)
    expect(page.get_by_role("status")).to_have_text("The action is recorded.")
    expect(page.locator("fieldset.question legend")).to_have_text(
        CATALOGUE["adult"].gate("a2").question.get("en")
    )
    answer_the_rest_no(page)
    expect(page.get_by_role("alert")).to_have_count(0)  # no red flag still waits
    page.get_by_role("button", name="Finish and see the result").click()

    expect(page.get_by_role("heading", name="Screening result")).to_be_visible()
    flags = page.get_by_role("region", name="Red flags", exact=True)
    expect(flags).to_contain_text("In danger now")
    actions = page.get_by_role("region", name="What was done about the red flags")
    row = actions.get_by_role("row").nth(1)
    for text in (
        "Mar 2, 2026, 09:00 UTC",
        "In danger now",
        "Immediate danger",
        "Emergency services; Supervisor or duty protection officer",
        "Called for help",
        OUTCOME,
    ):
        expect(row).to_contain_text(text)
    expect(page.get_by_role("main")).to_contain_text(DISCLAIMER)


def test_a_mistaken_answer_is_changed_from_the_review_page(
    page_without_js: Page,
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
) -> None:
    page = page_without_js
    sign_in(page, live_server, make_account("screener"), clock)
    safety_check(page, live_server)
    consent(page)
    person(page, "Canarybrowserchange", "29")
    answer(page, "No", DANGER_NOW)
    controller = CATALOGUE["adult"].gate("a2").question.get("en")
    answer(page, "Don't know", controller)
    page.get_by_role("link", name="Finish early").click()

    answers = page.get_by_role("table")
    expect(answers.get_by_role("row")).to_have_count(3)  # the heading and two answers
    expect(answers.get_by_role("row").nth(2)).to_contain_text("Don't know")
    answers.get_by_role("button", name="Change").nth(1).click()

    expect(page).to_have_url(ASK)
    answer(page, "No", controller)
    page.get_by_role("link", name="Finish early").click()
    expect(page.get_by_role("table").get_by_role("row").nth(2)).to_contain_text("No")


def test_a_childs_first_disclosure_stops_the_questions_for_a_hand_over(
    page_without_js: Page,
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
) -> None:
    page = page_without_js
    sign_in(page, live_server, make_account("screener"), clock)
    safety_check(page, live_server, child=True)
    consent(page, child=True)
    person(page, "Canarybrowserchild", "14")

    hours = CATALOGUE["child"].gate("b1").question.get("en")
    while question(page) != hours:
        answer(page, "Yes" if question(page) == SAFE_PLACE_TONIGHT else "No")
    page.get_by_label("Hours a day").fill("14")
    page.get_by_label("Days a week").fill("7")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("alert")).to_have_text(
        "The child has disclosed exploitation or coercion. Stop the questions here and hand "
        "over to child-protection staff."
    )
    expect(page.get_by_role("radio")).to_have_count(0)
    page.get_by_role("button", name="Stop and hand over: finish with what is known").click()

    expect(page.get_by_role("heading", name="Finish the screening")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("Some questions were not reached")
    page.get_by_role("button", name="Finish and see the result").click()
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", name="Screening result")).to_be_visible()
    expect(main).to_contain_text(
        "Handed over to child protection: this is at least the "
        "result shown, to be completed by child protection."
    )
    expect(main).to_contain_text("The person is or may be a child: refer to child protection now.")
    expect(main).to_contain_text(DISCLAIMER)


# --- accessibility -----------------------------------------------------------------------


def violations(page: Page) -> list[str]:
    """axe-core's violations on the page, one line each: rule, impact, the elements."""
    found = Axe().run(page, options={"runOnly": AXE_RULES}).response["violations"]
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(", ".join(n["target"]) for n in v["nodes"])
        for v in found
    ]


def test_axe_finds_no_violation_on_any_page_of_the_interview(
    page: Page, live_server: str, make_account: Callable[..., Account], clock: FrozenClock
) -> None:
    found: list[str] = []
    sign_in(page, live_server, make_account("screener"), clock)

    safety_check_page = f"{live_server}/screenings/new"
    page.goto(safety_check_page)
    found += violations(page)
    safety_check(page, live_server)
    found += violations(page)  # consent
    consent(page)
    found += violations(page)  # the person
    person(page, "Canaryaxe", "40")

    found += violations(page)  # a question
    answer(page, "Yes", DANGER_NOW)
    expect(page.get_by_role("heading", name="Red flag: act now")).to_be_visible()
    found += violations(page)
    record_the_action(page, clock)

    money = CATALOGUE["adult"].gate("b2").question.get("en")
    while question(page) != money:
        answer(page, "Yes" if question(page) == SAFE_PLACE_TONIGHT else "No")
    answer(page, "Yes")
    expect(page.get_by_role("group", name="The ones not ticked")).to_be_visible()
    found += violations(page)  # "which of these?"
    page.get_by_role(
        "checkbox", name=CATALOGUE["adult"].indicator("ec_low_pay").question.get("en"), exact=True
    ).check()
    page.get_by_role("group", name="The ones not ticked").get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    documents = CATALOGUE["adult"].gate("c1").question.get("en")
    while question(page) != documents:
        answer(page, "Yes" if question(page) == SAFE_PLACE_TONIGHT else "No")
    answer(page, "Yes")
    expect(page.locator("fieldset.question legend")).to_contain_text("When did this happen?")
    found += violations(page)  # "when?"
    page.get_by_label("during the work, or now").check()
    page.get_by_role("button", name="Save and continue").click()

    answer_the_rest_no(page)
    found += violations(page)  # review
    page.get_by_role("button", name="Finish and see the result").click()
    expect(page.get_by_role("heading", name="Screening result")).to_be_visible()
    found += violations(page)
    assert found == []


def test_axe_finds_no_violation_on_the_hand_over_page(
    page: Page, live_server: str, make_account: Callable[..., Account], clock: FrozenClock
) -> None:
    sign_in(page, live_server, make_account("screener"), clock)
    safety_check(page, live_server, child=True)
    consent(page, child=True)
    person(page, "Canaryaxechild", "15")
    hours = CATALOGUE["child"].gate("b1").question.get("en")
    while question(page) != hours:
        answer(page, "Yes" if question(page) == SAFE_PLACE_TONIGHT else "No")
    answer(page, "Yes")
    expect(
        page.get_by_role("button", name="Stop and hand over: finish with what is known")
    ).to_be_visible()
    assert violations(page) == []
