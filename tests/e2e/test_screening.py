"""A screener's interview in a real browser: a French-language screening that ends with likely
trafficking and its explanation, and a red flag that stops everything for the protocol."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from screening.instruments import load_catalogue
from tests.e2e.test_sign_in import sign_in
from tests.helpers import Account

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

from core.clock import FrozenClock
from screening.consent import EXPLAINED

ADULT = load_catalogue()["adult"]


def first(dimension: str, strength: str) -> str:
    return next(i.id for i in ADULT.indicators if i.dimension == dimension
                and i.strength == strength and not i.red_flag
                and i.exploitation in ("labour", "any"))


LIKELY = {first("deceptive_recruitment", "strong"), first("deceptive_recruitment", "medium"),
          first("exploitative_conditions", "strong"), first("exploitative_conditions", "medium"),
          first("coercion_at_destination", "strong")} | {
    i.id for i in ADULT.indicators if i.dimension == "coercion_at_destination"
    and i.strength == "strong" and not i.red_flag and i.exploitation in ("labour", "any")}
RED_FLAG = next(i for i in ADULT.indicators if i.red_flag and i.phase == "destination")


def start_interview(page: Page, base: str, language: str) -> None:
    """Safety check, consent and the person, as a screener fills them in."""
    page.goto(f"{base}/screenings/new")
    for name in ("alone", "safe_to_talk"):
        page.locator(f'input[name="{name}"][value="yes"]').check()
    page.locator('input[name="child"][value="no"]').check()
    page.locator('input[name="interpreter_independent"][value="none"]').check()
    page.locator('select[name="language"]').select_option(language)
    page.locator("form.stack button[type=submit]").click()
    for purpose in ("screening", "storing", "referral"):
        page.locator(f'input[name="{purpose}"]').check()
    for point in EXPLAINED:
        page.locator(f'input[name="explained"][value="{point}"]').check()
    page.locator("form.stack button[type=submit]").click()
    page.locator('input[name="given_name"]').fill("Synthetic Browsertest")
    page.locator('input[name="age"]').fill("29")
    page.locator('select[name="exploitation"]').select_option("labour")
    page.locator("form.stack button[type=submit]").click()


def answer_yes(page: Page, ids: set[str], language: str, yes: str) -> None:
    """On the current step, answer yes to the questions in ``ids``, by their wording."""
    for indicator in ADULT.indicators:
        if indicator.id in ids and page.locator(f'input[name="q_{indicator.id}"]').count():
            group = page.get_by_role("group", name=indicator.question[language], exact=True)
            group.get_by_label(yes, exact=True).check()


def test_french_screening_ends_likely_with_its_explanation(
        page: Page, live_server: str, make_account: Callable[..., Account],
        clock: FrozenClock) -> None:
    account = make_account("screener")
    sign_in(page, live_server, account, clock)
    page.get_by_role("button", name="Français", exact=True).click()
    start_interview(page, live_server, "fr")
    while "/step/" in page.url:
        answer_yes(page, LIKELY, "fr", "Oui")
        page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("h1")).to_be_visible()
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("p.headline")).to_have_text("Traite des êtres humains probable")
    explanation = page.locator("ul.explanation")
    expect(explanation).to_contain_text("recrutement trompeur")
    expect(explanation).to_contain_text("pas d'une identification")


def test_red_flag_interrupts_with_the_protocol(
        page: Page, live_server: str, make_account: Callable[..., Account],
        clock: FrozenClock) -> None:
    account = make_account("screener")
    sign_in(page, live_server, account, clock)
    start_interview(page, live_server, "en")
    while "/step/destination" not in page.url:
        page.get_by_role("button", name="Save and continue").click()
    answer_yes(page, {RED_FLAG.id}, "en", "Yes")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Red flag: act now")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("in danger now")
    expect(page.get_by_role("main")).to_contain_text("duty protection officer")
    expect(page.get_by_role("link", name="Continue the questions")).to_be_visible()
