"""Signing in with a real browser: both factors, enrolment, throttling, sign-out, language."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

from access import totp
from core.clock import FrozenClock
from tests.helpers import Account

# Without Playwright, conftest.py skips every test here (or fails them with REQUIRE_BROWSER=1).
with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, Request, expect

CODE_LABEL = "Six-digit code from your app"


def enter_password(page: Page, base: str, email: str, password: str) -> None:
    """Open the sign-in page and submit an e-mail address and password."""
    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue", exact=True).click()


def enter_code(page: Page, account: Account, clock: FrozenClock, button: str = "Sign in") -> None:
    """Type the code the account's authenticator app shows at the test clock's time."""
    code = totp.code_at(account.secret, totp.step_at(clock.now()))
    page.get_by_label(CODE_LABEL).fill(code)
    page.get_by_role("button", name=button, exact=True).click()


def sign_in(page: Page, base: str, account: Account, clock: FrozenClock) -> None:
    """Both steps, ending on the start page."""
    enter_password(page, base, account.email, account.password)
    enter_code(page, account, clock)
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()


def expect_sign_in_failed(page: Page) -> None:
    expect(page.get_by_role("alert")).to_contain_text("Sign-in failed")


def test_screener_signs_in_with_password_and_code(
    page: Page, live_server: str, make_account: Callable[..., Account], clock: FrozenClock
) -> None:
    account = make_account("screener")
    enter_password(page, live_server, account.email, account.password)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    enter_code(page, account, clock)
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(account.email)


def test_new_user_enrols_second_factor_with_qr_code(
    page: Page, live_server: str, make_account: Callable[..., Account], clock: FrozenClock
) -> None:
    account = make_account("screener", enrolled=False)
    enter_password(page, live_server, account.email, account.password)
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    qr = page.get_by_role("figure", name="QR code for your authenticator app")
    expect(qr.locator("svg.qr")).to_be_visible()
    expect(page.get_by_text(totp.grouped(account.secret), exact=True)).to_be_visible()
    enter_code(page, account, clock, button="Confirm and sign in")
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()


def test_repeated_failures_throttle_the_account(
    page: Page, live_server: str, make_account: Callable[..., Account], clock: FrozenClock
) -> None:
    account = make_account("screener")
    for _ in range(5):
        enter_password(page, live_server, account.email, "not the right passphrase")
        expect_sign_in_failed(page)
    enter_password(page, live_server, account.email, account.password)
    expect_sign_in_failed(page)
    clock.advance(seconds=61)
    enter_password(page, live_server, account.email, account.password)
    expect(page.get_by_label(CODE_LABEL)).to_be_visible()


def test_sign_out_ends_the_session(
    page: Page, live_server: str, make_account: Callable[..., Account], clock: FrozenClock
) -> None:
    sign_in(page, live_server, make_account("screener"), clock)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    expect(page.get_by_label("Password", exact=True)).to_be_visible()


def test_language_switcher_changes_language(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Français", exact=True).click()
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_pages_load_no_script_and_no_external_requests(
    page: Page, live_server: str, make_account: Callable[..., Account], clock: FrozenClock
) -> None:
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    sign_in(page, live_server, make_account("screener"), clock)
    assert requests
    assert [r.url for r in requests if not r.url.startswith(f"{live_server}/")] == []
    assert [r.url for r in requests if r.resource_type == "script"] == []


def test_the_stylesheet_loads_under_its_fingerprint_and_is_kept(
    page: Page, live_server: str
) -> None:
    """The page's stylesheet arrives (its rules apply) from a fingerprinted name that the
    browser may keep for a year; a second page takes it from the browser's cache."""
    fetched: list[tuple[str, int, str]] = []
    page.on(
        "response",
        lambda response: (
            fetched.append(
                (response.url, response.status, response.headers.get("cache-control", ""))
            )
            if "/static/" in response.url
            else None
        ),
    )
    page.goto(f"{live_server}/login")
    rules = page.evaluate("document.styleSheets[0].cssRules.length")
    assert rules > 50  # noqa: PLR2004 - the whole of passage.css, not an error page
    assert len(fetched) == 1
    url, status, cache = fetched[0]
    assert re.fullmatch(rf"{live_server}/static/passage\.[0-9a-f]{{12}}\.css", url)
    assert (status, cache) == (200, "public, max-age=31536000, immutable")
    page.goto(f"{live_server}/login")
    from_cache = page.evaluate(
        "performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/static/')).map(e => e.transferSize)"
    )
    assert from_cache == [0]  # served from the browser's cache, no request at all
