"""Browsers keep nothing about the people screened (finding 9): after a screening typed into a
real Chromium with a profile on disk, the profile's autofill store holds none of what was typed.
A shared or seized device must not name the people interviewed on it."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from core.clock import FrozenClock
from screening.consent import EXPLAINED
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_sign_in import sign_in
from tests.helpers import Account

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, Playwright, expect

# Synthetic canaries, one per field that takes a person's data.
PERSON = {
    "given_name": "Canarygiven",
    "family_name": "Canaryfamily",
    "region": "Canaryregion",
    "contact": "canary.contact@example.invalid",
    "languages": "qq",
    "nationality": "QQ",
    "country": "XK",
}
NOTES = "Canarynotes about the person"
CANARIES = [*(v for k, v in PERSON.items() if k not in ("languages", "country")), NOTES]


def fill_screening_start(page: Page, base: str) -> None:
    """Safety check, consent and the person's details, each page submitted as a person would."""
    page.goto(f"{base}/screenings/new")
    for name in ("alone", "safe_to_talk"):
        page.locator(f'input[name="{name}"][value="yes"]').check()
    page.locator('input[name="child"][value="no"]').check()
    page.locator('input[name="interpreter_independent"][value="none"]').check()
    page.locator('input[name="interpreter_language"]').fill("qq")
    page.locator("form.stack button[type=submit]").click()
    for purpose in ("screening", "storing", "referral"):
        page.locator(f'input[name="{purpose}"]').check()
    for point in EXPLAINED:
        page.locator(f'input[name="explained"][value="{point}"]').check()
    page.locator("form.stack button[type=submit]").click()
    for name, value in PERSON.items():
        page.locator(f'input[name="{name}"]').press_sequentially(value)
    page.locator('textarea[name="notes"]').press_sequentially(NOTES)
    page.locator("form.stack button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/screenings/[0-9a-f-]+/ask$"))


def saved_text(profile: Path) -> str:
    """Every value in every table of the profile's autofill store ('Web Data')."""
    store = profile / "Default" / "Web Data"
    assert store.exists(), "Chromium wrote no autofill store"
    connection = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        values = [
            repr(row)
            for table in tables
            for row in connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608
        ]
    finally:
        connection.close()
    return "\n".join(values)


def test_a_screening_leaves_nothing_in_the_browsers_autofill_store(
    playwright: Playwright,
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    profile = tmp_path / "chromium-profile"
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, locale="en-GB"
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        sign_in(page, live_server, make_account("screener"), clock)
        fill_screening_start(page, live_server)
        page.goto(f"{live_server}/")  # a further navigation, as after any real form
    finally:
        context.close()
    saved = saved_text(profile)
    assert [canary for canary in CANARIES if canary.lower() in saved.lower()] == []
