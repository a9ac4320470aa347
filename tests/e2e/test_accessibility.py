"""axe-core on every page of the service, in a real Chromium: for each role, sign in and
visit, breadth first, every page its links reach by GET (the navigation, the lists, the case,
referral and screening pages they lead to), and run axe on each; the sign-in pages too, and
forms sent back with their errors, each error describing its field. Data first: three cases
from completed screenings, two referred (one referral waiting, one accepted) and one of the
same person again, a note, a follow-up, notices, an account change to approve, an
undelivered e-mail, a break-glass grant, statistics and a release; every value synthetic.

Closed ``<details>`` are opened first, as axe skips what is hidden; each page is also
narrowed to 320 pixels, where it must fit without scrolling sideways (WCAG 1.4.10, reflow),
which axe does not check. A test fails listing each violation: the page, the rule, its
impact and the elements. The crawl skips downloads and the API, keeps to a few pages of each
kind and checks that the pages each role must reach were reached, so a page it stops finding
fails too. The screening interview's own pages are checked by tests/e2e/test_screening.py.
See docs/architecture.md, "Accessibility".
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from core.clock import FrozenClock
from referral.models import OutboxMessage
from tests.e2e.test_referral_journey import load_directory
from tests.e2e.test_reports import seed as seed_facts
from tests.e2e.test_screening import violations
from tests.e2e.test_sign_in import CODE_LABEL, enter_password, sign_in
from tests.helpers import Account, Client, replace_settings
from tests.screening.payloads import body

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

PARTNER = "org-journey"  # the organisation load_directory lists, serving XK
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Downloads, the API, the stylesheet: no page to check. (Signing out and ending sessions are
# buttons of forms that POST, never links, so a crawl that follows links cannot reach them.)
NOT_PAGES = re.compile(r"^/(api|static)/|\.(csv|json)$")
PAGES_PER_ROLE = 45
PAGES_PER_KIND = 2  # two cases, two referrals: enough to meet both states of a page
REPORT = re.compile(r"^/reports/(?!releases$)\w+$")
PHONE = {"width": 320, "height": 640}  # WCAG 1.4.10: content reflows at 320 CSS pixels
SHARE = ["given_name", "needs", "languages", "answers"]
ELSEWHERE = "supervisor elsewhere"  # a supervisor of Team B, with break-glass access

# Pages no link leads to by GET: the neutral leaflet the "Hide screen" button shows, the
# second check before a sensitive change, a case maybe screened before (its "link the cases"
# form), another team's case opened by break-glass and the form that asks for it.
EXTRA_PAGES = {
    "screener": ["/screenings/neutral", "/screenings/stop", "/reauth", "/cases/{again}"],
    "supervisor": ["/reauth"],
    ELSEWHERE: ["/cases/{waiting}", "/cases/{again}/break-glass"],
    "partner": [],
    "auditor": [],
    "analyst": [],
    "admin": ["/reauth"],
}
# The kinds of page each role must have reached (UUIDs as <id>): a crawl that stops finding
# one fails, rather than checks less without a word.
MUST_REACH = {
    "screener": {
        "/",
        "/account",
        "/account/password",
        "/cases/",
        "/cases/<id>",
        "/cases/<id>/copy",
        "/cases/<id>/person",
        "/cases/<id>/person/history",
        "/notices/",
        "/referrals/",
        "/referrals/<id>",
        "/referrals/<id>/receipt",
        "/screenings/",
        "/screenings/<id>",
        "/screenings/new",
        "/tasks/",
    },
    "supervisor": {"/approvals", "/cases/<id>", "/cases/reassign", "/referrals/<id>", "/reports/"},
    ELSEWHERE: {"/cases/", "/cases/<id>", "/cases/<id>/break-glass"},
    "partner": {"/notices/", "/referrals/", "/referrals/<id>", "/reports/"},
    "auditor": {"/audit/events", "/audit/verify", "/cases/break-glass", "/reports/releases"},
    "analyst": {"/reports/"},
    "admin": {"/admin/users", "/admin/users/<id>", "/admin/users/new", "/admin/e-mail/"},
}


# --- the data ----------------------------------------------------------------------------


def _api(client: Client, token: str, method: str, url: str, json: Any = None) -> Any:
    response = client.raw.open(
        f"/api/v1{url}", method=method, json=json, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def _screened(client: Client, token: str, name: str) -> str:
    """A completed screening of a synthetic person; the id of the case it opens."""
    subject = {**body()["subject"], "given_name": name}
    consent = {"screening": True, "referral": True, "share": SHARE}
    made = _api(client, token, "POST", "/screenings", body(subject=subject, consent=consent))
    return str(made["case_id"])


def _referred(client: Client, token: str, case_id: str) -> str:
    sent = {"partner": PARTNER, "services": ["shelter"], "urgency": "normal", "share": SHARE}
    made = _api(client, token, "POST", f"/cases/{case_id}/referrals", {**sent, "note": "Canary"})
    return str(made["id"])


def _signed_in(app: Flask, clock: FrozenClock, account: Account) -> Client:
    person = Client(app, clock)
    person.sign_in(account)
    return person


def seed(
    app: Flask,
    clock: FrozenClock,
    make_account: Callable[..., Account],
    issue_token: Callable[..., str],
) -> tuple[dict[str, Account], dict[str, str]]:
    """An account for each entry of EXTRA_PAGES, something on every page they read, and the
    ids of three cases: one referral waiting, one accepted, and the same person again."""
    accounts = {
        role: make_account(role.split()[0], team="Team B" if role == ELSEWHERE else None)
        for role in EXTRA_PAGES
        if role != "partner"
    }
    accounts["partner"] = make_account("partner", partner=PARTNER)
    replace_settings(app, mail_server="relay.test.passage.example")  # notices queue e-mails
    load_directory(app, clock)
    seed_facts(app)
    client = Client(app, clock)
    token = issue_token(accounts["screener"])
    cases = {name: _screened(client, token, f"Canaryaxe{name}") for name in ("waiting", "accepted")}
    _referred(client, token, cases["waiting"])
    accepted = _referred(client, token, cases["accepted"])
    _api(client, issue_token(accounts["partner"]), "POST", f"/referrals/{accepted}/accept")
    cases["again"] = _screened(client, token, "Canaryaxewaiting")  # maybe screened before

    screener, page = _signed_in(app, clock, accounts["screener"]), f"/cases/{cases['waiting']}"
    assert "Maybe screened before" in screener.get(f"/cases/{cases['again']}").text
    note = {"text": "Canaryaxe note"}
    assert screener.post(f"{page}/notes", note, form_page=page).status_code == 302
    task = {"title": "Canaryaxe follow-up", "due_on": "2026-03-09"}
    task["assignee"] = str(accounts["screener"].id)
    assert screener.post(f"{page}/tasks", task, form_page=page).status_code == 302
    reason = {"reason": "Canaryaxe: a synthetic emergency call about this person"}
    other_team = _signed_in(app, clock, accounts[ELSEWHERE])
    assert other_team.post(f"{page}/break-glass", reason).status_code == 302

    admin = _signed_in(app, clock, accounts["admin"])
    admin.reauth(accounts["admin"])
    new = {"email": "canaryaxe.new@test.passage.example", "role": "screener", "team": "Team A"}
    assert admin.post("/admin/users/new", {**new, "partner": ""}).status_code == 302
    auditor = _signed_in(app, clock, accounts["auditor"])
    assert auditor.get("/reports/exports/ctdc.csv").status_code == 200  # a release
    with app.app_context():
        store = db.session()
        undelivered = store.scalars(sa.select(OutboxMessage.id).limit(1)).one()
        store.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == undelivered)
            .values(state="dead", attempts=5, attempted_at=clock.now(), last_error="550")
        )
        store.commit()
    clock.advance(seconds=60)  # the codes of the sign-ins above are not to be used again
    return accounts, cases


# --- the crawl ---------------------------------------------------------------------------


def kind(url: str, every_report: bool) -> str:
    """What makes two addresses the same kind of page: the path, ids aside (a list filtered
    is its list again). Every report is drawn by one template: unless ``every_report``, they
    are one kind too."""
    path = UUID.sub("<id>", urlsplit(url).path)
    return "/reports/<name>" if REPORT.match(path) and not every_report else path


def links(page: Page, base: str) -> list[str]:
    """The page's links to other pages of the service, without their fragments."""
    found: list[str] = page.eval_on_selector_all("a[href]", "all => all.map(a => a.href)")
    return [
        url.partition("#")[0]
        for url in found
        if url.startswith(base + "/") and not NOT_PAGES.search(urlsplit(url).path)
    ]


def check(page: Page) -> list[str]:
    """axe's violations on the page as it is, every closed ``<details>`` opened first (axe
    skips what is hidden); and whether the page, narrowed to 320 pixels, still fits."""
    page.eval_on_selector_all("details:not([open])", "all => all.forEach(d => d.open = true)")
    found = violations(page)
    wide = page.viewport_size
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        found.append(f"{page.url}: {width} pixels wide at 320, scrolls sideways (WCAG 1.4.10)")
    if wide is not None:
        page.set_viewport_size(wide)
    return found


def crawl(page: Page, base: str, start: list[str], role: str) -> tuple[list[str], list[str]]:
    """Visit pages breadth first from ``start``, following links; the kinds of page
    visited, and every violation found (or page that failed to load)."""
    queue = deque(base + path for path in start)
    seen: set[str] = set(queue)
    per_kind: dict[str, int] = {}
    found: list[str] = []
    while queue and sum(per_kind.values()) < PAGES_PER_ROLE:
        url = queue.popleft()
        here = kind(url, role == "auditor")  # the auditor reads every report
        if per_kind.get(here, 0) >= PAGES_PER_KIND:
            continue
        response = page.goto(url)
        if response is None or not response.ok:
            found.append(f"{url}: answered {response.status if response else 'nothing'}")
            continue
        if page.url != url and page.url in seen:  # redirected to a page met before
            continue
        seen.add(page.url)
        per_kind[here] = per_kind.get(here, 0) + 1
        found += check(page)
        for link in links(page, base):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return sorted(per_kind), found


@pytest.mark.parametrize("role", sorted(EXTRA_PAGES))
def test_axe_finds_no_violation_on_any_page_a_role_reaches(
    role: str,
    app: Flask,
    page: Page,
    live_server: str,
    make_account: Callable[..., Account],
    issue_token: Callable[..., str],
    clock: FrozenClock,
) -> None:
    accounts, cases = seed(app, clock, make_account, issue_token)
    sign_in(page, live_server, accounts[role], clock)
    extra = [path.format(**cases) for path in EXTRA_PAGES[role]]
    kinds, found = crawl(page, live_server, ["/", *extra], role)
    assert MUST_REACH[role] - set(kinds) == set(), kinds
    assert found == [], "\n".join(found)


def press(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).first.click()


UNTIED = """() => [...document.querySelectorAll("p.error:not([role=alert])")]
  .filter(p => !p.id || !document.querySelector(`[aria-describedby~="${p.id}"]`))
  .map(p => p.textContent.trim())"""


def untied_errors(page: Page) -> list[str]:
    """The error messages on the page that describe no input or group: a screen reader
    would not say them on reaching the field they are about."""
    return [f"{page.url}: error tied to no field: {text}" for text in page.evaluate(UNTIED)]


def test_axe_finds_no_violation_on_forms_sent_back_with_errors(
    app: Flask,
    page: Page,
    live_server: str,
    make_account: Callable[..., Account],
    issue_token: Callable[..., str],
    clock: FrozenClock,
) -> None:
    """Each form of the case page, the corrections, a password, a new account, an account's
    role, a new partner and a break-glass reason, sent empty or wrong: the page again, with
    its errors."""
    accounts, cases = seed(app, clock, make_account, issue_token)
    found: list[str] = []
    case = f"{live_server}/cases/{cases['waiting']}"
    sign_in(page, live_server, accounts["screener"], clock)
    for button in ("Send the referral", "Save the note", "Add the follow-up", "Close the case"):
        page.goto(case)
        page.eval_on_selector_all("details", "all => all.forEach(d => d.open = true)")
        press(page, button)
        expect(page.locator("p.error").first).to_be_visible()
        found += check(page) + untied_errors(page)
    page.goto(f"{case}/person")
    page.get_by_label("Age (leave empty if unknown)").fill("999")
    press(page, "Save the corrections")
    found += check(page) + untied_errors(page)
    page.goto(f"{live_server}/account/password")
    press(page, "Change password")
    found += check(page) + untied_errors(page)
    for role, address, button in (
        ("admin", "/admin/users/new", "Ask for this account"),
        ("admin", f"/admin/users/{accounts['screener'].id}", "Ask for this change"),
        ("admin", "/admin/partners/new", "Add"),
        (ELSEWHERE, f"/cases/{cases['again']}/break-glass", "Open the case"),
    ):
        page.context.clear_cookies()
        clock.advance(seconds=60)
        sign_in(page, live_server, accounts[role], clock)
        page.goto(live_server + address)
        press(page, button)
        expect(page.locator("p.error").first).to_be_visible()
        found += check(page) + untied_errors(page)
    assert found == [], "\n".join(found)


def test_axe_finds_no_violation_on_the_sign_in_pages(
    page: Page, live_server: str, make_account: Callable[..., Account], clock: FrozenClock
) -> None:
    """Signing in, a refusal, the code, enrolling the second factor, a spent password link
    and a page that does not exist."""
    found: list[str] = []
    page.goto(f"{live_server}/login")
    found += check(page)
    enter_password(page, live_server, "nobody@test.passage.example", "not the passphrase")
    expect(page.get_by_role("alert")).to_contain_text("Sign-in failed")
    found += check(page)
    enrolled = make_account("screener")
    enter_password(page, live_server, enrolled.email, enrolled.password)
    page.get_by_label(CODE_LABEL).fill("000000")
    press(page, "Sign in")
    expect(page.locator("p.error, [role=alert]").first).to_be_visible()
    found += check(page)
    page.context.clear_cookies()
    newcomer = make_account("screener", enrolled=False)
    enter_password(page, live_server, newcomer.email, newcomer.password)
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    found += check(page)
    page.goto(f"{live_server}/password/{uuid.uuid4().hex}")
    found += check(page)
    page.goto(f"{live_server}/no-such-page")
    found += check(page)
    assert found == [], "\n".join(found)
