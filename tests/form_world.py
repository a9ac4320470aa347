"""The synthetic world the form sweep (tests/form_sweep.py) points its routes at: cases, a
referral, a follow-up, draft screenings, users, an account change, a notice, an e-mail, a
password link, and a browser signed in per role; and the steps some routes need before each
post (a sign-in half done, the questionnaire's earlier pages, the question now asked)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from access import tokens
from core import db
from referral import directory_import
from tests.form_sweep import World, column
from tests.helpers import Account, Client, create_account
from tests.referral.conftest import FULL_CONSENT, PARTNERS
from tests.screening.payloads import body as screening_body
from tests.screening.test_views import CONSENT, PERSON, SAFE, key_of


def api(client: Client, token: str, method: str, url: str, json: Any = None) -> Any:
    return client.raw.open(
        f"/api/v1{url}", method=method, json=json, headers={"Authorization": f"Bearer {token}"}
    )


def build(
    app: Flask,
    clock: Any,
    accounts: dict[str, Account],
    make_account: Callable[..., Account],
    new_client: Callable[[], Client],
    issue_token: Callable[..., str],
    mail_relay: list[Any],
) -> World:
    """Two cases of Team A (one referred to org-a, with a follow-up), two draft screenings
    (one waiting on a red flag), a user to administer, a pending account change, a notice and
    its e-mail, a password link, and browsers signed in as a screener, both supervisors, a
    partner, an administrator and an auditor (each with a fresh step-up)."""
    with app.app_context():
        store = db.session()
        directory_import.import_partners(store, PARTNERS, clock.now())
        store.commit()
    target = make_account("screener", email="canaryform.target@test.passage.example")
    browsers = {"anonymous": new_client()}
    for role in ("screener", "supervisor", "supervisor_b", "partner", "admin", "auditor"):
        browsers[role] = new_client()
        browsers[role].sign_in(accounts[role])
        browsers[role].reauth(accounts[role])
    # A second session of the screener's, for "end this session".
    second = new_client()
    second.sign_in(accounts["screener"])
    token = issue_token(accounts["screener"])
    screener = browsers["screener"]
    made = api(screener, token, "POST", "/screenings", screening_body(consent=FULL_CONSENT))
    assert made.status_code == 201, made.get_json()
    case = made.get_json()["case_id"]
    earlier = api(screener, token, "POST", "/screenings", screening_body()).get_json()["case_id"]
    referral = api(
        screener,
        token,
        "POST",
        f"/cases/{case}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": ["given_name"], "note": "n"},
    )
    assert referral.status_code == 201, referral.get_json()
    task = screener.post(
        f"/cases/{case}/tasks",
        {"title": "Canaryform call", "due_on": "2026-03-05", "assignee": accounts["screener"].id},
        form_page=f"/cases/{case}",
    )
    assert task.status_code == 302, task.get_data(as_text=True)
    asked = browsers["admin"].post(
        "/admin/users/new",
        {"email": "canaryform.new@test.passage.example", "role": "screener", "team": "Team A"},
    )
    assert asked.status_code == 302, asked.get_data(as_text=True)
    ids = {
        "case": case,
        "completed": made.get_json()["id"],
        "earlier": earlier,
        "referral": referral.get_json()["id"],
        "task": str(column(app, "case_tasks", "id")[0]),
        "user": str(target.id),
        "change": str(column(app, "account_changes", "id")[0]),
        "notice": str(column(app, "notices", "id", user_id=accounts["partner"].id)[0]),
        "organisation": str(column(app, "partner_organisations", "id", slug="org-c")[0]),
        "session": session_of(second),
        "message": str(column(app, "outbox_messages", "id")[0]),
        "screening": (screening := draft_screening(browsers["screener"])),
        # The first question's key, answered by the sweep of "ask" before "change" asks again.
        "first_key": key_of(screener.get(f"/screenings/{screening}/ask").get_data(as_text=True)),
        "flagged": draft_screening(browsers["screener"], danger="yes"),
        "link": password_link(browsers["admin"], target, mail_relay),
        "screener": str(accounts["screener"].id),
        "supervisor": str(accounts["supervisor"].id),
        "target": str(target.id),
    }
    return World(app, {**ids, "key": "", "flag": "", "acted_at": ""}, browsers, accounts, clock)


def session_of(browser: Client) -> str:
    """The id of the browser's session on the server (the digest of its cookie)."""
    cookie = browser.cookie()
    assert cookie is not None
    return tokens.digest(cookie)


def draft_screening(browser: Client, danger: str | None = None) -> str:
    """A draft screening of a synthetic adult through the first pages, its first question
    answered ``danger`` if given (yes raises a red flag); returns its id."""
    assert browser.post("/screenings/new", SAFE).status_code == 302
    assert browser.post("/screenings/new/consent", CONSENT).status_code == 302
    ask = browser.post("/screenings/new/person", PERSON).location
    if danger:
        key = key_of(browser.get(ask).get_data(as_text=True))
        answered = browser.post(ask, {"key": key, "answer": danger, "then": "next"})
        assert "/red-flag" in answered.location
    return ask.split("/")[2]


def password_link(admin: Client, account: Account, sent: list[Any]) -> str:
    """A fresh single-use password link's token for ``account``, as e-mailed."""
    target = f"/admin/users/{account.id}"
    assert admin.post(f"{target}/password-link", form_page=target).status_code == 302
    match = re.search(r"/password/([A-Za-z0-9_-]+)", str(sent[-1]))
    assert match, "no link was sent"
    return match.group(1)


def pending_sign_in(world: World, browser: Client) -> None:
    """The password step done, so the code step's form is the one asked."""
    browser.raw.delete_cookie(world.app.config["SESSION_COOKIE_NAME"])
    world.tokens.pop("anonymous", None)
    # A fresh account each time: wrong codes count towards an account's sign-in delays.
    fresh = create_account(world.app, world.clock, "analyst")
    assert browser.password_step(fresh).status_code == 302


def pending_enrolment(world: World, browser: Client) -> None:
    """The password step done by an account with no second factor yet: enrolment is asked."""
    browser.raw.delete_cookie(world.app.config["SESSION_COOKIE_NAME"])
    fresh = create_account(world.app, world.clock, "analyst", enrolled=False)
    assert browser.password_step(fresh).status_code == 302


def safety_done(world: World, browser: Client) -> None:
    assert browser.post("/screenings/new", SAFE).status_code == 302


def consent_done(world: World, browser: Client) -> None:
    safety_done(world, browser)
    assert browser.post("/screenings/new/consent", CONSENT).status_code == 302


def at_question(world: World, browser: Client) -> None:
    """The ``ask`` route's valid body answers the question now asked; once every question
    was answered, or a red flag waits, another screening starts."""
    shown = browser.get(f"/screenings/{world.ids['screening']}/ask")
    if shown.status_code != 200 or 'name="key"' not in shown.get_data(as_text=True):
        world.ids["screening"] = draft_screening(browser)
        shown = browser.get(f"/screenings/{world.ids['screening']}/ask")
    world.ids["key"] = key_of(shown.get_data(as_text=True))


def flag_waiting(world: World, browser: Client) -> None:
    """The red-flag route's valid body names the flag waiting on its page, acted on now; once
    a body was taken as the action, another screening raises the flag again."""
    page = browser.get(f"/screenings/{world.ids['flagged']}/red-flag").get_data(as_text=True)
    flags = re.findall(r'name="flags" type="checkbox" value="([^"]+)"', page)
    if not flags:
        world.ids["flagged"] = draft_screening(browser, danger="yes")
        page = browser.get(f"/screenings/{world.ids['flagged']}/red-flag").get_data(as_text=True)
        flags = re.findall(r'name="flags" type="checkbox" value="([^"]+)"', page)
    world.ids["flag"] = flags[0] if flags else ""
    world.ids["acted_at"] = world.clock.now().strftime("%Y-%m-%dT%H:%M")
