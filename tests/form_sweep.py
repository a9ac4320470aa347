"""The sweep of hostile input over the pages' forms (R30): the hostile values for each kind
of field, a route as a role allowed to use it posts to it, the world of synthetic rows the
routes point at, and the checks: never a 500, a refusal (4xx) leaves every stored row as it
was, an unknown object is 404, every page still reads afterwards, and bodies no form sends
(JSON, a file, too large, another content type) are refused. The routes themselves are listed
in each package's ``test_form_robustness.py``."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask, url_for
from werkzeug.test import TestResponse

from core import db
from core.clock import FrozenClock
from tests.helpers import Account, Client, csrf_from

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
# And, of a real account, its count of consecutive sign-in failures: a wrong password or code
# is refused (422) and must still be counted towards lock-out (access.authn, R8).
BOOKKEEPING_COLUMNS = {"users": {"failed_logins"}}

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

    def kept(table: sa.Table) -> sa.Select[Any]:
        skipped = BOOKKEEPING_COLUMNS.get(table.name, set())
        return sa.select(*(c for c in table.columns if c.name not in skipped))

    with app.extensions["passage.engine"].connect() as connection:
        return {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(kept(table)))
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
            f"{name}: repeated, hostile last",
            lambda t, valid, n=name, v=HOSTILE[kind][1][1]: csrf(t) + valid + [(n, v)],
        )
        yield (
            f"{name}: repeated, hostile first",
            lambda t, valid, n=name, v=HOSTILE[kind][1][1]: csrf(t) + [(n, v)] + valid,
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
            response = post(world, route, route.path.format(**world.ids), pairs)
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


# The fields of screening.forms.PersonForm, on its own page and on the case's correction.
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


def refused_shapes(world: World, routes: list[Route]) -> list[str]:
    """Post every body no form sends to every route; what was not refused as expected, and
    whether anything stored changed."""
    problems = []
    for role, browser in world.browsers.items():
        if role != "anonymous":  # a fresh step-up for the routes that ask for one
            browser.reauth(world.accounts[role])
    before = stored(world.app)
    for route in routes:
        browser = world.browsers[route.role]
        valid = {
            k: v.format(**world.ids) if isinstance(v, str) else v for k, v in route.valid.items()
        }
        for what, arguments, expected in shapes(world.token(route.role), valid):
            response = browser.raw.post(route.path.format(**world.ids), **arguments)
            if response.status_code != expected:
                problems.append(f"{route.endpoint} {what}: {response.status_code}")
    after = stored(world.app)
    changed = sorted(t for t in after if after[t] != before[t])
    return problems + ([f"stored rows changed in {changed}"] if changed else [])
