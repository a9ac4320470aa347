"""A whole piece of work, through the pages and the API, leaves nothing of the person and no
secret in the logs, the addresses or the audit log (R41, R47).

A screener screens a synthetic person with canary values (a red flag and its action too), the
case opens, a note and a follow-up are written, two referrals are sent with consent; one
partner accepts and closes, the other declines; the person's copy is exported after a
step-up, and an auditor reads the audit log; refused forms, a 404 and a crash happen on the
way. Every log record at DEBUG, from every logger, is captured; so is a request log line per
request in the form a server writes (method, path and query, status, referrer), and every
address requested or redirected to. None holds a canary, a password, a code, a session
cookie or a bearer token; nor does any column of any audit row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import db
from tests.form_world import password_link
from tests.helpers import Account, Client
from tests.screening.test_views import CONSENT, SAFE, record_action, walk

# Distinctive values no log line, path or audit row could hold by chance; matched regardless
# of case.
PERSON = {
    "given_name": "Canaryzephyr",
    "family_name": "Testpersonqx",
    "age": "31",
    "nationality": "ZZ",
    "country": "XK",
    "region": "Canaryregionqx",
    "languages": "fr",
    "contact": "canary-contact-qx-0000",
    "needs": ["shelter", "legal"],
    "notes": "Canarypersonnoteqx",
}
RED_FLAG_OUTCOME = "Canaryredflagqx: moved to the shelter"
CASE_NOTE = "Canarycasenoteqx"
TASK_TITLE = "Canarytaskqx call back"
REFERRAL_NOTE = "Canaryreferralnoteqx"
DECLINE_REASON = "Canarydeclineqx: we are full"
REFUSED_NAME = "Canaryrefusedqx"
CANARIES = (
    "Canaryzephyr",
    "Testpersonqx",
    "Canaryregionqx",
    "canary-contact-qx",
    "Canarypersonnoteqx",
    "Canaryredflagqx",
    CASE_NOTE,
    "Canarytaskqx",
    REFERRAL_NOTE,
    "Canarydeclineqx",
    REFUSED_NAME,
)


class RequestLog:
    """The request log a server would write: one line per request of its method, path and
    query, status and referrer (what gunicorn's or werkzeug's access log draw on), and the
    addresses responses redirect to."""

    def __init__(self, app: Flask) -> None:
        self.lines: list[str] = []
        self.locations: list[str] = []
        inner = app.wsgi_app

        def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                query = environ.get("QUERY_STRING", "")
                target = environ["PATH_INFO"] + (f"?{query}" if query else "")
                referrer = environ.get("HTTP_REFERER", "-")
                self.lines.append(f'"{environ["REQUEST_METHOD"]} {target}" {status} "{referrer}"')
                self.locations += [value for name, value in headers if name == "Location"]
                return start_response(status, headers, *rest)

            return inner(environ, start)

        # Flask's documented way to wrap its WSGI app, which its hints declare as a method.
        app.wsgi_app = logged  # type: ignore[method-assign]


class Codes:
    """Every second-factor code the browsers type, recorded as they are made."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.typed: list[str] = []
        make = Client.code_for

        def recorded(client: Client, account: Account, steps_ahead: int = 0) -> str:
            code = make(client, account, steps_ahead)
            self.typed.append(code)
            return code

        monkeypatch.setattr(Client, "code_for", recorded)


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG, the app's own, werkzeug's and SQLAlchemy's among them, into
    ``caplog``."""
    caplog.set_level(logging.DEBUG)
    # Loggers that set a level of their own (the app's at INFO, SQLAlchemy's at WARNING)
    # would drop DEBUG records before they reach caplog's handler on the root.
    named = ("werkzeug", "sqlalchemy", "core", "access", "screening", "referral", "reporting")
    for name in {*named, *logging.root.manager.loggerDict}:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def screen_with_a_red_flag(browser: Client, clock: Any) -> str:
    """Screen the canary person through the pages, a red flag raised and acted on; returns
    the id of the case it opened. The person form is first refused once (an impossible age)
    with the canaries in its body."""
    assert browser.post("/screenings/new", SAFE).status_code == 302
    consent = {**CONSENT, "share": ["given_name", "family_name", "contact", "location", "needs"]}
    assert browser.post("/screenings/new/consent", consent).status_code == 302
    refused = browser.post("/screenings/new/person", {**PERSON, "age": "canary-not-an-age"})
    assert refused.status_code == 400
    ask = browser.post("/screenings/new/person", PERSON).location
    assert ask.endswith("/ask"), ask
    screening = ask.split("/")[2]
    # "No" to a safe place tonight raises a red flag; its action is recorded with the canary.
    review, _asked = walk(browser, ask, clock, {"a5": "no"}, record=False)
    waiting = browser.get(f"/screenings/{screening}/red-flag").get_data(as_text=True)
    assert 'name="flags"' in waiting  # the red flag is raised and waits for its action
    acted = record_action(
        browser, f"/screenings/{screening}/red-flag", clock, outcome=RED_FLAG_OUTCOME
    )
    assert acted.status_code == 302, acted.get_data(as_text=True)
    assert browser.post(review, {}).status_code == 302
    to_case = browser.get(f"/cases/for-screening/{screening}")
    assert to_case.status_code == 302, to_case.status_code
    return to_case.location.split("/")[2].split("#")[0]


def test_a_whole_workflow_leaves_no_personal_data_or_secret_in_logs_urls_or_audit(
    app: Flask,
    clock: Any,
    accounts: dict[str, Account],
    new_client: Callable[[], Client],
    issue_token: Callable[..., str],
    partners: None,
    mail_relay: list[Any],
    everything_logged: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requests = RequestLog(app)
    codes = Codes(monkeypatch)
    cookies: list[str] = []
    bearer: dict[str, str] = {}

    def browser(name: str) -> Client:
        signed = new_client()
        signed.sign_in(accounts[name])
        cookies.append(signed.cookie() or "")
        return signed

    def api(name: str, method: str, url: str, json: Any = None) -> Any:
        bearer.setdefault(name, issue_token(accounts[name]))
        headers = {"Authorization": f"Bearer {bearer[name]}"}
        return new_client().raw.open(f"/api/v1{url}", method=method, json=json, headers=headers)

    screener = browser("screener")
    case_id = screen_with_a_red_flag(screener, clock)
    case_page = f"/cases/{case_id}"
    assert "Canaryzephyr" in screener.get(case_page).get_data(as_text=True)

    noted = screener.post(f"{case_page}/notes", {"text": CASE_NOTE}, form_page=case_page)
    assert noted.status_code == 302
    task = {"title": TASK_TITLE, "due_on": "2026-03-05", "assignee": accounts["screener"].id}
    assert screener.post(f"{case_page}/tasks", task, form_page=case_page).status_code == 302
    assert screener.post(f"{case_page}/follow-up/on", form_page=case_page).status_code == 302

    # A referral through the page, one through the API; an empty page form is refused first.
    empty = screener.post(f"{case_page}/referrals", {"note": REFERRAL_NOTE}, form_page=case_page)
    assert empty.status_code == 400
    sent = screener.post(
        f"{case_page}/referrals",
        {
            "partner": "org-a",
            "services": ["shelter"],
            "urgency": "normal",
            "share": ["given_name", "family_name", "contact"],
            "note": REFERRAL_NOTE,
        },
        form_page=case_page,
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    to_b = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-b", "services": ["legal"], "share": ["given_name"], "note": REFERRAL_NOTE},
    )
    assert to_b.status_code == 201, to_b.get_json()
    listed = api("screener", "GET", f"/cases/{case_id}").get_json()
    assert listed["person"]["given_name"] == "Canaryzephyr"
    to_a = next(r["id"] for r in listed["referrals"] if r["partner"] == "Alpha Shelter")

    # Partner A reads the packet on its page, accepts, then closes through the API.
    partner = browser("partner")
    packet = partner.get(f"/referrals/{to_a}")
    assert "Canaryzephyr" in packet.get_data(as_text=True)
    accepted = partner.post(f"/referrals/{to_a}/accept", form_page=f"/referrals/{to_a}")
    assert accepted.status_code == 302
    closed = api("partner", "POST", f"/referrals/{to_a}/close", {"outcome": "services_provided"})
    assert closed.status_code == 200, closed.get_json()
    # Partner B declines: a free-text reason is refused, then a reason from the list is taken.
    refused = api("partner_b", "POST", f"/referrals/{to_b.get_json()['id']}/decline", {})
    assert refused.status_code == 400
    wrong = {"reason": DECLINE_REASON}
    refused = api("partner_b", "POST", f"/referrals/{to_b.get_json()['id']}/decline", wrong)
    assert refused.status_code == 422, refused.get_json()
    declined = api(
        "partner_b", "POST", f"/referrals/{to_b.get_json()['id']}/decline", {"reason": "other"}
    )
    assert declined.status_code == 200, declined.get_json()

    # The caseworker follows up, then exports the person's copy after a step-up.
    assert "Canarycasenoteqx" in screener.get(case_page).get_data(as_text=True)
    screener.reauth(accounts["screener"])
    copy = screener.get(f"{case_page}/copy.json")
    assert copy.status_code == 200
    assert copy.get_json()["person"]["given_name"] == "Canaryzephyr"
    assert screener.get(f"{case_page}/copy").status_code == 200
    # Errors on the way: an address that does not exist, and a crash.
    assert screener.get("/cases/00000000-0000-4000-8000-000000000000").status_code == 404
    assert screener.get("/_test/boom").status_code == 500

    auditor = browser("auditor")
    assert auditor.get("/audit/events").status_code == 200
    # The audit filter is a GET form: what it puts in the address is ids and codes.
    by_case = f"/audit/events?object_type=case&object_id={case_id}"
    assert auditor.get(by_case).status_code == 200
    assert api("auditor", "GET", "/audit/events").status_code == 200

    # An administrator e-mails a password link, which is opened. Its token is in the link's
    # path by design (a proxy's log may keep it; it is single-use and expires): it must be
    # in no log record and no audit row.
    admin = browser("admin")
    admin.reauth(accounts["admin"])
    link_token = password_link(admin, accounts["analyst"], mail_relay)
    assert new_client().get(f"/password/{link_token}").status_code == 200

    cookies += [c for c in (screener.cookie(), partner.cookie(), auditor.cookie()) if c]
    with app.app_context():
        audit_rows = repr(db.session().execute(sa.select(AuditEvent.__table__)).all())
    records = everything_logged.records
    logged = "\n".join(
        [r.getMessage() for r in records] + [repr(r.args) for r in records] + requests.lines
    )
    # The capture saw the work: SQLAlchemy's statements among the records, every request.
    assert any(r.name.startswith("sqlalchemy.engine") for r in records)
    assert len(requests.lines) > 40
    addresses = "\n".join(requests.lines + requests.locations)
    for canary in CANARIES:
        for where, text in (("logs", logged), ("URLs", addresses), ("audit", audit_rows)):
            assert canary.lower() not in text.lower(), (canary, where)
    secrets = [accounts["screener"].password, *cookies, *bearer.values()]
    for secret in secrets:
        for where, text in (("logs", logged), ("URLs", addresses), ("audit", audit_rows)):
            assert secret not in text, where
    assert link_token not in logged.replace(f"/password/{link_token}", "/password/-")
    assert link_token not in audit_rows
    for code in codes.typed:
        # A code on its own, not six digits inside an id or a time.
        alone = re.compile(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])")
        assert not alone.search(logged), code
        assert not alone.search(audit_rows), code
