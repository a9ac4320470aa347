"""Pages on a phone's screen (360 pixels wide), in a real Chromium: every box keeps a size a
thumb can hit beside a label of several lines, a hint sits under its label, and a long e-mail
address breaks rather than widening the page."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from core.clock import FrozenClock
from tests.e2e.test_screening import (
    CATALOGUE,
    SAFE_PLACE_TONIGHT,
    answer,
    consent,
    person,
    question,
    safety_check,
)
from tests.e2e.test_sign_in import sign_in
from tests.helpers import Account

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect


PHONE = {"width": 360, "height": 740}
BOX = 19  # pixels: the stylesheet draws boxes 1.25rem (20 px) square


def small_boxes(page: Page) -> list[str]:
    """The visible checkboxes and radio buttons drawn smaller than :data:`BOX`, by label."""
    small = []
    for control in page.locator("input[type=checkbox], input[type=radio]").all():
        box = control.bounding_box()
        if box is not None and (box["width"] < BOX or box["height"] < BOX):
            label = page.locator(f"label[for='{control.get_attribute('id')}']").inner_text()
            small.append(f"{label[:40]}: {box['width']:.0f}x{box['height']:.0f}")
    return small


def hints_beside_their_label(page: Page) -> list[str]:
    """The hints of a checkbox that start above the end of its label (laid out beside it)."""
    beside = []
    for field in page.locator(".checkbox:has(.hint)").all():
        label, hint = field.locator("label").bounding_box(), field.locator(".hint").bounding_box()
        assert label is not None
        assert hint is not None
        if hint["y"] < label["y"] + label["height"]:
            beside.append(field.locator("label").inner_text()[:40])
    return beside


def test_on_a_phone_every_box_keeps_its_size_and_hints_sit_under_their_labels(
    new_context: Callable[..., Any],
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
) -> None:
    # A label of several lines used to squeeze its box to a few pixels, too small for a
    # thumb, and a consent purpose's hint sat in a third column beside its label.
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, make_account("screener"), clock)
    safety_check(page, live_server)
    expect(page.get_by_role("heading", name="Consent", exact=True)).to_be_visible()
    assert small_boxes(page) == []
    assert page.locator(".checkbox:has(.hint)").count() >= 1
    assert hints_beside_their_label(page) == []
    consent(page)
    person(page, "Canaryphone", "33")
    money = CATALOGUE["adult"].gate("b2").question.get("en")
    while question(page) != money:
        answer(page, "Yes" if question(page) == SAFE_PLACE_TONIGHT else "No")
    answer(page, "Yes")
    expect(page.get_by_role("group", name="The ones not ticked")).to_be_visible()
    assert small_boxes(page) == []  # "which of these?": long questions beside their boxes


def test_on_a_phone_a_long_address_does_not_widen_the_page(
    new_context: Callable[..., Any],
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
) -> None:
    # An administrator's user page heads with the user's e-mail address, one long word.
    admin = make_account("admin", email="canary.administrator.of.the.service@test.passage.example")
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, admin, clock)
    page.goto(f"{live_server}/admin/users")
    page.get_by_role("link", name=admin.email).click()
    expect(page.get_by_role("heading", name=admin.email)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_on_a_phone_the_review_pages_change_button_is_read_once(
    new_context: Callable[..., Any],
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
) -> None:
    # Each stacked row used to read "Change: Change": the column's label before the button.
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, live_server, make_account("screener"), clock)
    safety_check(page, live_server)
    consent(page)
    person(page, "Canaryphone", "33")
    answer(page, "No")
    page.get_by_role("link", name="Finish early").click()
    row = page.locator("table.answers tbody tr").first
    expect(row.get_by_role("button", name="Change")).to_be_visible()
    assert "Change: Change" not in row.inner_text()
    cell = row.locator("td").nth(2)
    assert cell.evaluate("td => getComputedStyle(td, '::before').content") == "none"
    question = row.locator("td").first
    assert question.evaluate("td => getComputedStyle(td, '::before').content") == '"Question: "'
