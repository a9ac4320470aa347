"""Case work in a real browser (docs/case-work.md): a screener refers, the partner accepts
and closes; the screener adds a note and a follow-up, corrects the person's age, closes the
case with an outcome, reopens it, and prints the person's own copy with its disclosure log;
a supervisor hands the case over to another screener of the team.

Every personal value is an obvious canary; the note must never reach the partner's pages.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

from flask import Flask

from core.clock import FrozenClock
from tests.e2e.test_referral_journey import (
    GIVEN_NAME,
    PARTNER_NAME,
    load_directory,
    refer_the_case,
    screen_the_person,
    sign_out,
)
from tests.e2e.test_sign_in import sign_in
from tests.helpers import Account

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

CASE_NOTE = "Canarycasenote: call back on Thursday, she prefers the afternoon."
REOPEN_REASON = "The person came back to the centre and asked for legal help."
FOLLOW_UP = "Canaryfollowup: ask the shelter whether a place is free"


def partner_accepts_and_closes(page: Page, base: str, partner: Account, clock: FrozenClock) -> None:
    clock.advance(seconds=60)
    sign_in(page, base, partner, clock)
    nav = page.get_by_role("navigation", name="Main menu")
    nav.get_by_role("link", name="1 notice", exact=True).click()
    page.get_by_role("button", name="Open", exact=True).click()
    page.get_by_role("button", name="Accept the referral").click()
    expect(page.locator("p.headline")).to_have_text("Accepted")
    page.get_by_label("Outcome").select_option(label="Help was given")
    page.get_by_role("button", name="Close the referral").click()
    expect(page.locator("p.headline")).to_have_text("Closed")
    assert CASE_NOTE not in page.content()
    sign_out(page, base)


def test_a_case_from_referral_to_closure_and_back(
    page: Page,
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
    app: Flask,
) -> None:
    screener = make_account("screener", email="first.screener@test.passage.example")
    colleague = make_account("screener", email="second.screener@test.passage.example")
    supervisor = make_account("supervisor")
    partner = make_account("partner", partner="org-journey")
    load_directory(app, clock)

    sign_in(page, live_server, screener, clock)
    screen_the_person(page, live_server)
    case_url = refer_the_case(page)
    sign_out(page, live_server)

    partner_accepts_and_closes(page, live_server, partner, clock)

    # The screener writes a note: it is on the case page, sealed, for the team only.
    clock.advance(seconds=60)
    sign_in(page, live_server, screener, clock)
    page.goto(case_url)
    row = page.get_by_role("row", name=re.compile(PARTNER_NAME))
    expect(row.locator("td.state-closed")).to_have_text("Closed")
    notes = page.locator("section#notes")
    notes.get_by_label("New note").fill(CASE_NOTE)
    notes.get_by_role("button", name="Save the note").click()
    expect(page.get_by_role("status")).to_have_text("Note saved.")
    expect(page.locator("section#notes")).to_contain_text(CASE_NOTE)
    assert CASE_NOTE not in page.title()

    # A follow-up for the screener, due in three days.
    tasks = page.locator("section", has=page.get_by_role("heading", name="Follow-ups"))
    tasks.get_by_label("What to do").fill(FOLLOW_UP)
    tasks.get_by_label("Due on").fill("2026-03-05")
    tasks.get_by_label("Who does it").select_option(str(screener.id))
    tasks.get_by_role("button", name="Add the follow-up").click()
    expect(page.get_by_role("status")).to_have_text("Follow-up added.")
    row = page.get_by_role("row", name=re.compile("Canaryfollowup"))
    expect(row).to_contain_text(screener.email)
    expect(row.get_by_role("button", name="Mark done")).to_be_visible()

    # The person's age was wrong: corrected, with the earlier value kept in the history.
    page.get_by_role("link", name="Correct the person's details").click()
    page.get_by_label("Age (leave empty if unknown)").fill("34")
    page.get_by_role("button", name="Save the corrections").click()
    expect(page.get_by_role("status")).to_have_text("Details corrected.")
    expect(page.locator("dl.facts")).to_contain_text("34")
    page.get_by_role("link", name="Earlier corrections").click()
    expect(page.get_by_role("main")).to_contain_text("31")
    page.goto(case_url)

    # Closing asks how the case ended; the case leaves the open list.
    status = page.locator("section#status")
    status.get_by_text("Close the case").first.click()
    status.get_by_label("How did the case end?").select_option(label="The person moved away")
    status.get_by_role("button", name="Close the case").click()
    expect(page.get_by_role("status")).to_contain_text("Case closed")
    expect(page.locator("section#status")).to_contain_text("Closed · The person moved away")
    expect(page.locator("#refer")).to_have_count(0)
    page.goto(f"{live_server}/cases/")
    expect(page.get_by_role("main")).to_contain_text("No open cases")
    page.get_by_role("link", name="Closed", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("The person moved away")

    # Reopening needs a reason, kept as a note.
    page.goto(case_url)
    status = page.locator("section#status")
    status.get_by_label("Why is the case reopened?").fill(REOPEN_REASON)
    status.get_by_role("button", name="Reopen the case").click()
    expect(page.get_by_role("status")).to_have_text("Case reopened.")
    expect(page.locator("section#status")).to_contain_text("Active")
    expect(page.locator("section#notes")).to_contain_text(REOPEN_REASON)

    # The person's own copy: what is held, the note, and who received and opened it.
    page.get_by_role("link", name=re.compile("The person's own copy")).click()
    main = page.get_by_role("main")
    expect(main).to_contain_text(GIVEN_NAME)
    expect(main).to_contain_text(CASE_NOTE)
    expect(main).to_contain_text(PARTNER_NAME)
    # The disclosure log: the partner's organisation opened the referral it received.
    expect(main.locator("table").last).to_contain_text(PARTNER_NAME)
    assert partner.email not in page.content()
    assert screener.email not in page.content()
    sign_out(page, live_server)

    # The supervisor hands the case over; the new owner has it, with the follow-up.
    clock.advance(seconds=60)
    sign_in(page, live_server, supervisor, clock)
    page.goto(case_url)
    page.get_by_label("Hand over to").select_option(str(colleague.id))
    page.get_by_role("button", name="Hand the case over").click()
    expect(page.get_by_role("status")).to_contain_text("The case is handed over.")
    sign_out(page, live_server)
    clock.advance(seconds=60)
    sign_in(page, live_server, colleague, clock)
    nav = page.get_by_role("navigation", name="Main menu")
    nav.get_by_role("link", name="1 notice", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("A case was handed over to you.")
    page.get_by_role("button", name="Open", exact=True).click()
    expect(page).to_have_url(case_url)
    expect(page.get_by_role("row", name=re.compile("Canaryfollowup"))).to_contain_text(
        colleague.email
    )
