"""Bad input to any HTML form never makes a 500 and never changes what is stored (R30): every
POST route outside the API, as a user allowed to use it, is sent no fields, each field empty,
over-long, with control characters, with bytes that are not UTF-8, with values of the wrong
type, repeated and alongside unknown fields, and with a wrong CSRF token; its path points at a
real synthetic row (a case with a completed screening, a referral, a task, a user...) and at an
unknown one. A refusal (4xx) leaves every stored row as it was; an unknown object is 404."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from werkzeug.test import TestResponse

from access import tokens
from core import db
from core.clock import FrozenClock
from referral import directory
from tests.helpers import Account, Client, create_account, csrf_from
from tests.referral.conftest import FULL_CONSENT, PARTNERS
from tests.screening.payloads import body as screening_body
from tests.screening.test_views import CONSENT, PERSON, SAFE, key_of

UNKNOWN = "00000000-0000-0000-0000-00000000f00d"
# What changes on any request, a refused one too: the audit trail of the refusal (R46), the
# session's last use, the rate limiter's and the sign-in throttle's counts.
BOOKKEEPING = {
    "audit_events",
    "audit_head",
    "web_sessions",
    "rate_limit_windows",
    "sign_in_throttles",
}

# Field kinds, and the hostile values each gets (already percent-encoded where a raw byte
# sequence is the point: %ff%fe and %ed%a0%80 are not UTF-8, the second a lone surrogate).
TEXT, NUMBER, DATE, UUID_, CHOICE = "text", "number", "date", "uuid", "choice"
LONG = "x" * 100_000
COMMON = [
    ("empty", ""),
    ("over-long", quote(LONG)),
    ("control characters", quote("a\x01\x08\x1b\x7f\u0085\u2028b")),
    ("not UTF-8", "%ff%fe"),
    ("lone surrogate", "%ed%a0%80"),
]
HOSTILE: dict[str, list[tuple[str, str]]] = {
    TEXT: [*COMMON, ("NUL", "a%00b")],
    NUMBER: [
        *COMMON,
        ("letters", "abc"),
        ("negative", "-1"),
        ("huge", "9" * 40),
        ("float", "1e309"),
    ],
    DATE: [
        *COMMON,
        ("letters", "abc"),
        ("0000-00-00", "0000-00-00"),
        ("9999-99-99", "9999-99-99"),
        ("9999-12-31", "9999-12-31"),
        ("0001-01-01", "0001-01-01"),
    ],
    UUID_: [*COMMON, ("letters", "abc"), ("unknown uuid", UNKNOWN), ("negative", "-1")],
    CHOICE: [*COMMON, ("unknown choice", "canaryform"), ("negative", "-1")],
}
EXTRA = [
    ("canaryform", "1"),
    ("id", UNKNOWN),
    ("role", "admin"),
    ("team_id", UNKNOWN),
    ("user_id", UNKNOWN),
]


@dataclass
class Route:
    """A form route as a role allowed to use it posts to it: its address (``{case}`` and the
    like stand for the world's rows), a valid body, and the kind of each field."""

    endpoint: str
    role: str
    path: str
    valid: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    # Run before each post (a sign-in step, the questionnaire's earlier pages).
    prepare: Callable[[World, Client], None] | None = None


@dataclass
class World:
    """The synthetic rows the routes point at, and a signed-in browser per role."""

    app: Flask
    ids: dict[str, str]
    browsers: dict[str, Client]
    accounts: dict[str, Account]
    clock: FrozenClock
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, role: str) -> str:
        if role not in self.tokens or role == "anonymous":  # its session changes often
            page = "/login" if role == "anonymous" else "/account"
            self.tokens[role] = csrf_from(self.browsers[role].get(page))
        return self.tokens[role]


def stored(app: Flask) -> dict[str, list[str]]:
    """Every stored row but the bookkeeping, table by table, in a fixed order."""
    with app.extensions["passage.engine"].connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(sa.select(table)))
            for table in db.Base.metadata.sorted_tables
            if table.name not in BOOKKEEPING
        }


def column(app: Flask, table: str, name: str, **where: Any) -> list[Any]:
    """The values of one column of a table, where the other columns hold ``where``."""
    chosen = db.Base.metadata.tables[table]
    query = sa.select(chosen.c[name]).where(*(chosen.c[k] == v for k, v in where.items()))
    with app.extensions["passage.engine"].connect() as connection:
        return list(connection.scalars(query))


def encode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={v}" for k, v in pairs)


def plain(valid: dict[str, Any], ids: dict[str, str]) -> list[tuple[str, str]]:
    """A valid body's fields as pairs, ``{name}`` filled from ``ids``, percent-encoded."""
    pairs = []
    for name, value in valid.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, quote(one.format(**ids), safe="")))
    return pairs


Body = Callable[[str, list[tuple[str, str]]], list[tuple[str, str]]]


def bodies(route: Route) -> Iterator[tuple[str, Body]]:
    """(what, how to make it from the CSRF token and the valid pairs) for every hostile body
    of ``route``; each has the valid CSRF token unless it is about the token."""

    def csrf(token: str) -> list[tuple[str, str]]:
        return [("csrf_token", quote(token, safe=""))]

    yield "the valid body with a wrong CSRF token", lambda t, valid: [("csrf_token", "x"), *valid]
    yield "no field", lambda t, valid: csrf(t)
    yield "every field empty", lambda t, valid: csrf(t) + [(n, "") for n in route.valid]
    for name, kind in route.kinds.items():
        for what, value in HOSTILE[kind]:
            yield (
                f"{name}: {what}",
                lambda t, valid, n=name, v=value: (
                    csrf(t) + [(k, w) for k, w in valid if k != n] + [(n, v)]
                ),
            )
        yield (
            f"{name}: repeated",
            lambda t, valid, n=name, v=HOSTILE[kind][1][1]: csrf(t) + valid + [(n, v)],
        )
    yield "unknown fields", lambda t, valid: csrf(t) + valid + [(k, quote(v)) for k, v in EXTRA]


def post(world: World, route: Route, path: str, pairs: list[tuple[str, str]]) -> TestResponse:
    return world.browsers[route.role].raw.post(
        path, data=encode(pairs), content_type="application/x-www-form-urlencoded"
    )


def sweep(world: World, routes: list[Route]) -> list[str]:
    """Post every hostile body to every route; what went wrong, one line each."""
    problems: list[str] = []
    for role, browser in world.browsers.items():
        if role != "anonymous":  # a fresh step-up for the routes that ask for one
            browser.reauth(world.accounts[role])
    before = stored(world.app)
    for route in routes:
        path = route.path.format(**world.ids)
        if "{" in route.path:
            unknown = route.path.format(**dict.fromkeys(world.ids, UNKNOWN))
            token = [("csrf_token", quote(world.token(route.role), safe=""))]
            response = post(world, route, unknown, token + plain(route.valid, world.ids))
            if response.status_code != 404:
                problems.append(f"{route.endpoint} unknown id: {response.status_code}")
            before = stored(world.app)
        for what, make in bodies(route):
            if route.prepare:
                route.prepare(world, world.browsers[route.role])
                before = stored(world.app)
            pairs = make(world.token(route.role), plain(route.valid, world.ids))
            response = post(world, route, path, pairs)
            after = stored(world.app)
            status = response.status_code
            if status >= 500:
                problems.append(f"{route.endpoint} {what}: {status}")
            elif status >= 400 and after != before:
                changed = sorted(t for t in after if after[t] != before[t])
                problems.append(f"{route.endpoint} {what}: {status} but changed {changed}")
            before = after
    return problems


# Path arguments that name no row of the world.
FIXED = {"phase": "recruitment", "name": "ctdc", "action": "unlock", "move": "accept"}
ARGUMENT_ROWS = {
    "case_id": ["case", "earlier"],
    "screening_id": ["screening", "completed", "flagged"],
    "referral_id": ["referral"],
    "user_id": ["user", "screener"],
    "task_id": ["task"],
    "notice_id": ["notice"],
    "change_id": ["change"],
    "message_id": ["message"],
    "organisation_id": ["organisation"],
    "session_id": ["session"],
    "token": ["link"],
}


def reread(world: World) -> list[str]:
    """Every page and JSON read outside the API, as every signed-in role, for each row the
    forms wrote to: what a form accepted must never make a later read fail."""
    problems = []
    rules = [
        r
        for r in world.app.url_map.iter_rules()
        if "GET" in r.methods and r.endpoint not in ("static", "test_boom")
    ]
    for rule in rules:
        if rule.rule.startswith("/api/"):
            continue
        choices = [
            [(name, world.ids[row]) for row in ARGUMENT_ROWS[name]]
            if name in ARGUMENT_ROWS
            else [(name, FIXED.get(name, "on"))]
            for name in sorted(rule.arguments)
        ]
        for values in itertools.product(*choices):
            with world.app.test_request_context():
                url = url_for(rule.endpoint, **dict(values))
            for role, browser in world.browsers.items():
                status = browser.get(url).status_code
                if status >= 500:
                    problems.append(f"GET {url} as {role}: {status}")
    return problems


# --- the world ----------------------------------------------------------------------------


def api(client: Client, token: str, method: str, url: str, json: Any = None) -> Any:
    return client.raw.open(
        f"/api/v1{url}", method=method, json=json, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.fixture
def world(
    app: Flask,
    clock: Any,
    accounts: dict[str, Account],
    make_account: Callable[..., Account],
    new_client: Callable[[], Client],
    issue_token: Callable[..., str],
    mail_relay: list[Any],
) -> World:
    """Two cases of Team A (one referred to org-a, with a follow-up), a draft screening
    waiting on a red flag, a user to administer, a pending account change, a notice, and
    browsers signed in as a screener, a supervisor, a partner and an administrator."""
    with app.app_context():
        store = db.session()
        directory.import_partners(store, PARTNERS, clock.now())
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
        "screening": draft_screening(browsers["screener"]),
        "flagged": draft_screening(browsers["screener"], danger="yes"),
        "link": password_link(browsers["admin"], target, mail_relay),
        "screener": str(accounts["screener"].id),
        "supervisor": str(accounts["supervisor"].id),
        "target": str(target.id),
    }
    return World(app, {**ids, "key": "", "flag": ""}, browsers, accounts, clock)


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


# --- the routes ---------------------------------------------------------------------------


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
    """The ``ask`` route's valid body answers the question now asked."""
    page = browser.get(f"/screenings/{world.ids['screening']}/ask").get_data(as_text=True)
    world.ids["key"] = key_of(page)


def flag_waiting(world: World, browser: Client) -> None:
    """The red-flag route's valid body names the flag waiting on its page."""
    page = browser.get(f"/screenings/{world.ids['flagged']}/red-flag").get_data(as_text=True)
    world.ids["flag"] = (re.findall(r'name="flags" type="checkbox" value="([^"]+)"', page) or [""])[
        0
    ]


PARTNER_DETAILS = {
    "name": "Canaryform Partner",
    "services": ["shelter", "legal"],
    "populations": ["women"],
    "languages": "en fr",
    "areas": "XK\nXK/North",
    "capacity": "3",
    "phone": "+00 0000 canaryform",
    "email": "canaryform@partner.test.passage.example",
    "address": "1 Canaryform street",
}
PARTNER_KINDS = {
    "name": TEXT,
    "services": CHOICE,
    "populations": CHOICE,
    "languages": TEXT,
    "areas": TEXT,
    "capacity": NUMBER,
    "phone": TEXT,
    "email": TEXT,
    "address": TEXT,
}
PERSON_KINDS = {
    "given_name": TEXT,
    "family_name": TEXT,
    "age": NUMBER,
    "age_source": CHOICE,
    "sex": CHOICE,
    "nationality": TEXT,
    "country": TEXT,
    "region": TEXT,
    "languages": TEXT,
    "contact": TEXT,
    "notes": TEXT,
}
CORRECTION = {
    "given_name": "Canaryform",
    "family_name": "Correctedform",
    "age": "35",
    "sex": "female",
    "nationality": "ZZ",
    "country": "XK",
    "region": "Canaryformregion",
    "languages": "fr",
    "contact": "canaryform-contact",
    "notes": "canaryform notes",
    "birth_date": "1990-05-17",
}
ASK = Route(
    "screening.ask",
    "screener",
    "/screenings/{screening}/ask",
    {"key": "{key}", "answer": "no", "then": "next"},
    {"key": TEXT, "answer": CHOICE, "then": CHOICE, "group": CHOICE},
    at_question,
)

ACCESS_ROUTES = [
    Route(
        "access.language",
        "anonymous",
        "/language",
        {"locale": "fr", "next": "/"},
        {"locale": CHOICE, "next": TEXT},
    ),
    Route(
        "access.login",
        "anonymous",
        "/login",
        {"email": "canaryform@test.passage.example", "password": "not the password"},
        {"email": TEXT, "password": TEXT},
    ),
    Route(
        "access.code",
        "anonymous",
        "/login/code",
        {"code": "000000"},
        {"code": NUMBER},
        pending_sign_in,
    ),
    Route(
        "access.enrol",
        "anonymous",
        "/login/enrol",
        {"code": "000000"},
        {"code": NUMBER},
        pending_enrolment,
    ),
    Route(
        "access.set_password",
        "anonymous",
        "/password/{link}",
        {
            "password": "a long canaryform passphrase",
            "confirm": "a long canaryform passphrase",
            "code": "000000",
        },
        {"password": TEXT, "confirm": TEXT, "code": NUMBER},
    ),
    Route("access.account", "screener", "/account", {"locale": "fr"}, {"locale": CHOICE}),
    Route(
        "access.reauth",
        "screener",
        "/reauth",
        {"password": "wrong", "code": "000000"},
        {"password": TEXT, "code": NUMBER},
    ),
    Route(
        "access.change_password",
        "screener",
        "/account/password",
        {
            "current": "wrong",
            "password": "a long canaryform passphrase",
            "confirm": "a long canaryform passphrase",
            "code": "000000",
        },
        {"current": TEXT, "password": TEXT, "confirm": TEXT, "code": NUMBER},
    ),
    Route("access.end_own_session", "screener", "/account/sessions/{session}/end"),
    Route("access.end_other_sessions", "screener", "/account/sessions/end-others"),
    Route(
        "admin.new_user",
        "admin",
        "/admin/users/new",
        {
            "email": "canaryform.other@test.passage.example",
            "role": "screener",
            "team": "Team A",
            "partner": "",
        },
        {"email": TEXT, "role": CHOICE, "team": TEXT, "partner": CHOICE},
    ),
    Route(
        "admin.change_role",
        "admin",
        "/admin/users/{user}/role",
        {"role": "supervisor", "team": "Team A", "partner": ""},
        {"role": CHOICE, "team": TEXT, "partner": CHOICE},
    ),
    Route("admin.reset_second_factor", "admin", "/admin/users/{user}/reset-second-factor"),
    Route("admin.password_link", "admin", "/admin/users/{user}/password-link"),
    Route("admin.user_action", "admin", "/admin/users/{user}/unlock"),
    Route("admin.user_action", "admin", "/admin/users/{user}/end-sessions"),
    Route("admin.user_action", "admin", "/admin/users/{user}/disable"),
    Route("admin.user_action", "admin", "/admin/users/{user}/enable"),
    Route("approvals.approve", "supervisor", "/approvals/{change}/approve"),
    Route("approvals.refuse", "supervisor", "/approvals/{change}/refuse"),
    Route("access.logout", "screener", "/logout"),
]

REFERRAL_ROUTES = [
    Route(
        "partners_admin.new",
        "admin",
        "/admin/partners/new",
        {
            **PARTNER_DETAILS,
            "slug": "canaryform",
            "vetting_status": "vetted",
            "valid_until": "2099-12-31",
        },
        {**PARTNER_KINDS, "slug": TEXT, "vetting_status": CHOICE, "valid_until": DATE},
    ),
    Route(
        "partners_admin.edit",
        "admin",
        "/admin/partners/{organisation}/edit",
        PARTNER_DETAILS,
        PARTNER_KINDS,
    ),
    Route(
        "partners_admin.vetting",
        "admin",
        "/admin/partners/{organisation}/vetting",
        {"action": "revet", "valid_until": "2099-12-31"},
        {"action": CHOICE, "valid_until": DATE},
    ),
    Route("outbox.retry", "admin", "/admin/e-mail/{message}/retry"),
    Route("outbox.dismiss", "admin", "/admin/e-mail/{message}/dismiss"),
    Route("referrals.open_notice", "partner", "/notices/{notice}/open"),
    Route(
        "corrections.correct",
        "screener",
        "/cases/{case}/person",
        CORRECTION,
        {**PERSON_KINDS, "birth_date": DATE, "possibly_minor": CHOICE},
    ),
    Route(
        "tasks.add",
        "screener",
        "/cases/{case}/tasks",
        {"title": "Canaryform follow-up", "due_on": "2026-03-09", "assignee": "{screener}"},
        {"title": TEXT, "due_on": DATE, "assignee": UUID_},
    ),
    Route(
        "case_work.add_note",
        "screener",
        "/cases/{case}/notes",
        {"text": "Canaryform note"},
        {"text": TEXT},
    ),
    Route(
        "cases.refer",
        "screener",
        "/cases/{case}/referrals",
        {
            "partner": "org-b",
            "services": ["legal"],
            "share": ["given_name"],
            "urgency": "normal",
            "note": "Canaryform",
        },
        {"partner": CHOICE, "services": CHOICE, "share": CHOICE, "urgency": CHOICE, "note": TEXT},
    ),
    Route(
        "handover.hand_over",
        "supervisor",
        "/cases/{case}/owner",
        {"owner": "{target}"},
        {"owner": UUID_},
    ),
    Route(
        "handover.reassign_all",
        "supervisor",
        "/cases/reassign",
        {"former": "{target}", "owner": "{screener}"},
        {"former": UUID_, "owner": UUID_},
    ),
    Route(
        "cases.break_glass",
        "supervisor_b",
        "/cases/{case}/break-glass",
        {"reason": "Canaryform reason for reading the case"},
        {"reason": TEXT},
    ),
    Route("case_work.follow_up", "screener", "/cases/{case}/follow-up/on"),
    Route("case_work.follow_up", "screener", "/cases/{case}/follow-up/off"),
    Route("tasks.done", "screener", "/cases/{case}/tasks/{task}/done"),
    Route("referrals.answer", "partner", "/referrals/{referral}/accept"),
    Route(
        "referrals.answer",
        "partner",
        "/referrals/{referral}/decline",
        {"reason": "out_of_area"},
        {"reason": CHOICE},
    ),
    Route(
        "referrals.answer",
        "partner",
        "/referrals/{referral}/close",
        {"outcome": "services_provided"},
        {"outcome": CHOICE},
    ),
    Route("referrals.withdraw", "screener", "/referrals/{referral}/withdraw"),
    Route(
        "cases.link",
        "screener",
        "/cases/{case}/link",
        {"earlier": "{earlier}", "confirm": "y"},
        {"earlier": UUID_, "confirm": CHOICE},
    ),
    Route("cases.withdraw_consent", "screener", "/cases/{earlier}/consent/withdraw"),
    Route(
        "case_work.close",
        "screener",
        "/cases/{earlier}/close",
        {"outcome": "lost_contact", "withdraw": "y"},
        {"outcome": CHOICE, "withdraw": CHOICE},
    ),
    Route(
        "case_work.reopen",
        "screener",
        "/cases/{earlier}/reopen",
        {"reason": "Canaryform reason to reopen"},
        {"reason": TEXT},
    ),
]

SCREENING_ROUTES = [
    Route(
        "screening.new",
        "screener",
        "/screenings/new",
        SAFE,
        {
            "alone": CHOICE,
            "safe_to_talk": CHOICE,
            "child": CHOICE,
            "language": CHOICE,
            "interpreter_language": TEXT,
            "interpreter_independent": CHOICE,
            "present": CHOICE,
            "linked_present": CHOICE,
        },
    ),
    Route(
        "screening.consent",
        "screener",
        "/screenings/new/consent",
        CONSENT,
        {
            "screening": CHOICE,
            "storing": CHOICE,
            "referral": CHOICE,
            "statistics": CHOICE,
            "explained": CHOICE,
            "share": CHOICE,
            "basis": CHOICE,
            "assent": CHOICE,
        },
        safety_done,
    ),
    Route(
        "screening.person",
        "screener",
        "/screenings/new/person",
        PERSON,
        {**PERSON_KINDS, "needs": CHOICE},
        consent_done,
    ),
    ASK,
    Route(
        "screening.change",
        "screener",
        "/screenings/{screening}/change",
        {"key": "a1"},
        {"key": TEXT},
    ),
    Route(
        "screening.red_flag",
        "screener",
        "/screenings/{flagged}/red-flag",
        {
            "flags": "{flag}",
            "contacted": ["emergency_services"],
            "contacted_note": "",
            "acted_at": "2026-03-02T09:00",
            "action": "called",
            "outcome": "Canaryform",
        },
        {
            "flags": CHOICE,
            "contacted": CHOICE,
            "contacted_note": TEXT,
            "acted_at": DATE,
            "action": CHOICE,
            "outcome": TEXT,
        },
        flag_waiting,
    ),
    Route("screening.review", "screener", "/screenings/{screening}/review"),
    Route("screening.neutral_exit", "screener", "/screenings/neutral-exit"),
]
ALL_ROUTES = ACCESS_ROUTES + REFERRAL_ROUTES + SCREENING_ROUTES


def test_every_form_route_is_swept(app: Flask) -> None:
    swept = {route.endpoint for route in ALL_ROUTES}
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/")
    }
    assert swept == posts


@pytest.mark.parametrize(
    "routes",
    [ACCESS_ROUTES, REFERRAL_ROUTES, SCREENING_ROUTES],
    ids=["access", "referral", "screening"],
)
def test_hostile_form_bodies_get_no_500_and_refusals_change_nothing(
    world: World, routes: list[Route]
) -> None:
    problems = sweep(world, routes) + reread(world)
    assert problems == [], "\n".join(problems)


MAX_CONTENT = 1024 * 1024  # core.settings: MAX_CONTENT_LENGTH


BOUNDARY = "canaryformboundary"


def multipart(fields: dict[str, str]) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


def shapes(token: str, valid: dict[str, Any]) -> list[tuple[str, dict[str, Any], int]]:
    """(what, request arguments, the status expected) for bodies no page's form sends."""
    return [
        ("JSON", {"json": valid, "headers": {"X-CSRFToken": token}}, 415),
        (
            "JSON of another type",
            {"json": [1, {"a": None}], "headers": {"X-CSRFToken": token}},
            415,
        ),
        (
            "a file",
            {
                "data": {"csrf_token": token, "canaryform": (io.BytesIO(b"Canaryform"), "a.txt")},
                "content_type": "multipart/form-data",
            },
            415,
        ),
        (
            "over MAX_CONTENT_LENGTH",
            {
                "data": f"csrf_token={token}&canaryform={'x' * (MAX_CONTENT + 1)}",
                "content_type": "application/x-www-form-urlencoded",
            },
            413,
        ),
        (
            "a multipart field over MAX_FORM_MEMORY_SIZE",
            {
                # Encoded here: the test client would spool a body this large to a file.
                "data": multipart({"csrf_token": token, "canaryform": "x" * 600_000}),
                "content_type": f"multipart/form-data; boundary={BOUNDARY}",
            },
            413,
        ),
        ("text/plain", {"data": f"csrf_token={token}", "content_type": "text/plain"}, 400),
    ]


def test_bodies_no_form_sends_are_refused_and_change_nothing(world: World) -> None:
    problems = []
    for role, browser in world.browsers.items():
        if role != "anonymous":  # a fresh step-up for the routes that ask for one
            browser.reauth(world.accounts[role])
    before = stored(world.app)
    for route in ALL_ROUTES:
        browser = world.browsers[route.role]
        valid = {
            k: v.format(**world.ids) if isinstance(v, str) else v for k, v in route.valid.items()
        }
        for what, arguments, expected in shapes(world.token(route.role), valid):
            response = browser.raw.post(route.path.format(**world.ids), **arguments)
            if response.status_code != expected:
                problems.append(f"{route.endpoint} {what}: {response.status_code}")
    assert problems == [], "\n".join(problems)
    assert stored(world.app) == before
