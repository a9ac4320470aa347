"""The heaviest pages, filled to their largest: synthetic data at the sizes a busy deployment
reaches, and every page that data makes heaviest rendered and weighed (docs/architecture.md,
"Page weight and static files"). Used by tests/test_page_weight.py and bench/page_weight.py.

Every list is filled beyond what one of its pages shows, its rows with the longest values
the app writes (every need, every service, the longest labels) and free text at a long but
typical length (a page of free text weighs what people wrote); the directory has 40
partners all serving the person's country, each matching on every ground.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access import approvals, grants, services, tokens
from core import db
from core.clock import FrozenClock
from referral import cases, directory_import, notes, notices, tasks
from referral.models import Case, OutboxMessage
from reporting.catalogue import CATALOGUE
from reporting.demo import load_demo_facts
from screening import instruments, opening
from screening import services as screenings
from screening.services import SERVICES
from tests.helpers import Account, Client, create_account, replace_settings
from tests.screening.conftest import ADULT_CANARY
from tests.screening.payloads import body

GOAL_BYTES = 60_000
COUNTRY = "XK"
WORDS = "Synthetic words written to fill the field as far as a person might type. "
PARTNERS = 40  # every one ranked on the case page, with its reasons
CASES = 110  # more than a page of the case list shows (50)
REFERRALS = 30  # more than the inbox shows (25)
ACCOUNTS = 150  # the administrators' list pages them
FOLLOW_UPS = 2  # per case: more than "My follow-ups" shows (200)
NOTES = 10  # on the heaviest case, with as many follow-ups
OUTBOX = 210  # undelivered e-mails, more than the outbox page shows
GRANTS = 210  # break-glass grants, more than the log shows
APPROVALS = 30  # account changes waiting
NOTE = 600  # characters of a case note, a long one (at most 4000)
REASON = 400  # of a break-glass reason (at most 1000)
SHARE = ["given_name", "family_name", "age", "needs", "languages", "answers"]


def text(length: int) -> str:
    """Synthetic words, ``length`` characters long."""
    return (WORDS * (length // len(WORDS) + 1))[:length].strip() + "."


@dataclass(frozen=True)
class Page:
    """A page to weigh: its name, who looks at it, and where; ``row`` is the text that
    starts each row of its list, to count them."""

    name: str
    role: str
    url: str
    row: str | None = None


@dataclass(frozen=True)
class Weight:
    """What a page weighed: bytes of HTML as sent, uncompressed; and its list's rows."""

    name: str
    url: str
    status: int
    size: int
    rows: int | None = None


def directory_entries() -> list[dict[str, Any]]:
    """Partners that all serve the cases' people, on every ground."""
    return [
        {
            "slug": f"org-{n:02d}" if n else "org-a",
            "name": f"Partner organisation number {n:02d} with a long official name",
            "capacity": 500,
            "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
            "services": list(SERVICES),
            "areas": [{"country": COUNTRY}],
            "populations": ["women", "men", "children", "families", "lgbtqi"],
            "languages": ["en", "fr", "es", "ar", "uk", "ru", "fa", "ti"],
            "contact": {"phone": "+00 0000 000 000"},
        }
        for n in range(PARTNERS)
    ]


def screening_body(index: int) -> dict[str, Any]:
    """A likely-trafficking screening asking for every service, sharing every field."""
    data = body(
        needs=list(SERVICES),
        consent={"screening": True, "referral": True, "share": SHARE},
    )
    data["subject"].update(
        given_name=f"Synthetic{index:03d}",
        family_name="Longfamilynamewithmanyletters",
        location={"country": COUNTRY, "region": text(80)},
        contact=text(120),
        languages=["fr", "en", "ar", "es"],
    )
    return data


def referral_body(partner: str) -> dict[str, Any]:
    return {
        "partner": partner,
        "services": list(SERVICES),
        "share": ["given_name", "needs", "languages"],
        "urgency": "urgent",
        "note": text(1000),
    }


class Seeder:
    """Fills an app with the synthetic data, through its API and services."""

    def __init__(self, app: Flask, clock: FrozenClock) -> None:
        self.app, self.clock = app, clock
        self.accounts: dict[str, Account] = {}
        self._client = Client(app, clock)
        self._tokens: dict[str, str] = {}

    def api(self, name: str, method: str, url: str, json: Any = None) -> Any:
        """Call the API as the account ``name``; the call must succeed."""
        if name not in self._tokens:
            with self.app.app_context():
                store = db.session()
                user = services.get_user(store, self.accounts[name].id)
                _row, self._tokens[name] = tokens.issue_token(store, user, self.clock.now(), 30)
                store.commit()
        response = self._client.raw.open(
            f"/api/v1{url}",
            method=method,
            json=json,
            headers={"Authorization": f"Bearer {self._tokens[name]}"},
        )
        assert response.status_code in (200, 201), response.get_json()  # noqa: S101
        return response.get_json()

    def seed(self) -> dict[str, Any]:
        """Everything; returns the ids the pages need."""
        roles = {"screener": {}, "supervisor": {}, "partner": {"partner": "org-a"}}
        for role in ("screener", "supervisor", "partner", "auditor", "analyst", "admin"):
            self.accounts[role] = create_account(self.app, self.clock, role, **roles.get(role, {}))
        self.accounts["supervisor_b"] = create_account(
            self.app, self.clock, "supervisor", team="Team B"
        )
        self.accounts["admin_b"] = create_account(self.app, self.clock, "admin")
        for n in range(ACCOUNTS):
            create_account(self.app, self.clock, "screener", team=f"Team number {n % 12}")
        for n in range(1, PARTNERS):  # a partner is ranked only with a staff account to answer
            create_account(self.app, self.clock, "partner", partner=f"org-{n:02d}")
        with self.app.app_context():
            store = db.session()
            directory_import.import_partners(store, directory_entries(), self.clock.now())
            load_demo_facts(store, self.clock.now())
            store.commit()
        made = [
            self.api("screener", "POST", "/screenings", screening_body(n)) for n in range(CASES)
        ]
        sent = [
            self.api("screener", "POST", f"/cases/{m['case_id']}/referrals", referral_body("org-a"))
            for m in made[:REFERRALS]
        ]
        heaviest = made[0]["case_id"]
        for n in range(1, 4):  # the heaviest case is referred to four partners
            self.api(
                "screener", "POST", f"/cases/{heaviest}/referrals", referral_body(f"org-{n:02d}")
            )
        self._fill_cases(heaviest, [m["case_id"] for m in made])
        self._fill_administration(heaviest, sent[0]["id"])
        return {"case": heaviest, "screening": made[0]["id"], "referral": sent[0]["id"]}

    def _fill_cases(self, heaviest: str, every: list[str]) -> None:
        """Follow-ups on every case; notes and more follow-ups on the heaviest."""
        with self.app.app_context():
            store = db.session()
            user = services.get_user(store, self.accounts["screener"].id)
            now = self.clock.now()
            for case_id in every:
                case = cases.get(store, user, uuid.UUID(case_id))
                for _ in range(NOTES if case_id == heaviest else FOLLOW_UPS):
                    tasks.add(store, user, case, text(200), now.date(), user.id, now)
                for _ in range(NOTES if case_id == heaviest else 0):
                    notes.add(store, user, case, text(NOTE), now, 365)
                store.commit()

    def _fill_administration(self, case_id: str, referral_id: str) -> None:
        """Undelivered e-mails, break-glass grants and account changes waiting."""
        replace_settings(self.app, mail_server="smtp.invalid")  # notices queue their e-mail
        with self.app.app_context():
            store = db.session()
            now = self.clock.now()
            partner = services.get_user(store, self.accounts["partner"].id)
            admin = services.get_user(store, self.accounts["admin"].id)
            other = services.get_user(store, self.accounts["supervisor_b"].id)
            for _ in range(OUTBOX):
                notices.notify(
                    store, [partner], "referral.received", now, referral_id=uuid.UUID(referral_id)
                )
            store.flush()
            store.execute(
                sa.update(OutboxMessage).values(
                    state="dead", attempts=8, attempted_at=now, last_error="SMTPRecipientsRefused"
                )
            )
            opened = store.get(Case, uuid.UUID(case_id))
            key_id = cases.person(store, opened).data_key_id
            for _ in range(GRANTS):
                grants.give(store, other.id, uuid.UUID(case_id), key_id, text(REASON), now, 60)
            for n in range(APPROVALS):
                approvals.request_creation(
                    store,
                    admin,
                    f"new.person.with.a.long.address.{n:03d}@partner-organisation.example",
                    "partner",
                    now,
                    7,
                    partner="org-a",
                )
            store.commit()


def pages(ids: dict[str, Any]) -> list[Page]:
    """The pages the seeded data makes heaviest, each seen by the role that sees most."""
    case, screening = ids["case"], ids["screening"]
    cell = '<td data-label="{}">'.format
    return [
        Page("case list", "screener", "/cases/", cell("Opened")),
        Page("case list, all", "supervisor", "/cases/?status=all", cell("Opened")),
        Page("partner inbox", "partner", "/referrals/", cell("Reference")),
        Page("sent referrals", "screener", "/referrals/", cell("Reference")),
        Page("referral", "partner", f"/referrals/{ids['referral']}"),
        Page("follow-ups", "screener", "/tasks/", cell("Due on")),
        Page("notices", "partner", "/notices/", '<li class="unread">'),
        Page("case", "screener", f"/cases/{case}", "<li><strong>Partner organisation"),
        Page("person's copy", "screener", f"/cases/{case}/copy"),
        Page("screening result", "screener", f"/screenings/{screening}"),
        Page("screenings", "screener", "/screenings/"),
        Page("audit log", "auditor", "/audit/events", cell("#")),
        Page("audit log, largest page", "auditor", "/audit/events?per_page=100", cell("#")),
        Page("break-glass log", "auditor", "/cases/break-glass", cell("When")),
        Page("users", "admin", "/admin/users", cell("E-mail address")),
        Page("new user", "admin", "/admin/users/new"),
        Page("partners", "admin", "/admin/partners/"),
        Page("notice e-mails", "admin", "/admin/e-mail/", cell("Recipient")),
        Page("approvals", "admin_b", "/approvals", cell("Change")),
        Page("statistics", "analyst", "/reports/"),
        Page("release register", "auditor", "/reports/releases"),
        *(Page(f"report {name}", "auditor", f"/reports/{name}") for name in CATALOGUE),
    ]


def interview_steps(app: Flask, clock: FrozenClock, account: Account) -> Iterator[Weight]:
    """Every step of an interview answered "don't know" (the longest path: every group
    opens its list of signs), in French; each step weighed."""
    with app.app_context():
        store = db.session()
        started = screenings.start(
            store,
            services.get_user(store, account.id),
            opening.Start(
                instrument=instruments.catalogue()["adult"],
                language="fr",
                identity=ADULT_CANARY,
                consent=opening.Consent(dict.fromkeys(opening.PURPOSES, True)),
                safety=opening.Safety(alone=True, safe_to_talk=True, possibly_minor=False),
            ),
            clock.now(),
            365,
        )
        store.commit()
        url = f"/screenings/{started.id}/ask"
    client = Client(app, clock)
    client.sign_in(account)
    while (page := client.get(url)).status_code == 200:
        key = re.search(r'name="key" value="([^"]+)"', page.get_data(as_text=True))
        assert key is not None  # noqa: S101 - every step's form names its question
        yield Weight(f"questionnaire step {key.group(1)}", url, 200, len(page.data))
        client.post(url, {"key": key.group(1), "answer": "unknown", "others": "unknown"})


def weigh_all(app: Flask, clock: FrozenClock) -> list[Weight]:
    """Seed ``app`` and weigh every heavy page, the interview's steps included."""
    seeder = Seeder(app, clock)
    ids = seeder.seed()
    clients: dict[str, Client] = {}
    weights = []
    for page in pages(ids):
        if page.role not in clients:
            clients[page.role] = Client(app, clock)
            clients[page.role].sign_in(seeder.accounts[page.role])
        response = clients[page.role].get(page.url)
        rows = response.get_data(as_text=True).count(page.row) if page.row else None
        weights.append(Weight(page.name, page.url, response.status_code, len(response.data), rows))
    weights.extend(interview_steps(app, clock, seeder.accounts["screener"]))
    return weights
