"""Account changes at their edges (README, "Two people for every account change"): a change
to an account disabled since it was asked, or to staff of a partner suspended since, is not
carried out; an address that case folding makes wider than its column is refused; taking
someone out of an administrator's, auditor's or analyst's role is another administrator's
decision; the audit log names the team or partner an account is given. Synthetic data."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access.models import AccountChange, AuditEvent, Team, User
from core import db
from referral import directory, directory_import
from tests.helpers import Account, Client
from tests.referral.conftest import PARTNERS


def browser(app: Flask, clock: Any, account: Account) -> Client:
    person = Client(app, clock)
    person.sign_in(account)
    person.reauth(account)
    return person


def only_change(app: Flask) -> Any:
    with app.app_context():
        return db.session().scalars(sa.select(AccountChange.id)).one()


def user_row(app: Flask, email: str) -> User | None:
    with app.app_context():
        return db.session().scalar(sa.select(User).where(User.email == email))


def decide(person: Client, change_id: Any, decision: str = "approve") -> Any:
    return person.post(f"/approvals/{change_id}/{decision}", form_page="/approvals")


def test_a_change_to_an_account_disabled_since_it_was_asked_is_not_carried_out(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    """A change asked before the account was disabled is not carried out: a later "enable"
    (one administrator, README: "gives nobody access to anything new") would otherwise hand
    out the new role."""
    admin = browser(app, clock, accounts["admin"])
    target = f"/admin/users/{accounts['screener'].id}"
    admin.post(
        f"{target}/role", {"role": "supervisor", "team": "Team A", "partner": ""}, form_page=target
    )
    change = only_change(app)
    admin.post(f"{target}/disable", form_page=target)  # the screener leaves
    assert user_row(app, accounts["screener"].email).disabled_at is not None
    decide(browser(app, clock, accounts["supervisor"]), change)
    assert user_row(app, accounts["screener"].email).role == "screener"


def test_a_partner_account_is_not_made_for_a_partner_suspended_since_it_was_asked(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    """The web refuses to ask for staff of a suspended partner (it is not on the list); an
    approval given after the suspension is refused alike (``approvals.approve``)."""
    with app.app_context():
        store = db.session()
        directory_import.import_partners(store, PARTNERS, clock.now())
        store.commit()
    admin = browser(app, clock, accounts["admin"])
    asked = admin.post(
        "/admin/users/new",
        {
            "email": "staff.asked@test.passage.example",
            "role": "partner",
            "team": "",
            "partner": "org-b",
        },
    )
    assert asked.status_code == 302
    change = only_change(app)
    with app.app_context():
        store = db.session()
        profile = directory.by_slug(store, "org-b")
        assert profile is not None
        directory.set_vetting(store, profile, "suspended", None, clock.now())
        store.commit()
    decide(browser(app, clock, make_account("admin")), change)
    assert user_row(app, "staff.asked@test.passage.example") is None


def test_an_address_wider_than_its_column_once_normalised_is_refused(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    """``normalise_email`` casefolds after email_validator checked the length: 30 x U+0390
    (one character, three after casefolding) in a 219-character address becomes 279
    characters, wider than ``users.email``/``account_changes.email`` (254). It is refused
    with the form's "Enter a valid e-mail address", never stored (SQLite) or a 500
    (PostgreSQL)."""
    domain = "d" * 50 + "." + "d" * 50 + "." + "d" * 50 + "." + "d" * 27 + ".example"
    address = "\u0390" * 30 + "@" + domain
    assert len(address) == 219
    admin = browser(app, clock, accounts["admin"])
    response = admin.post(
        "/admin/users/new", {"email": address, "role": "auditor", "team": "", "partner": ""}
    )
    with app.app_context():
        stored = db.session().scalars(sa.select(AccountChange.email)).all()
    assert [len(e or "") for e in stored if len(e or "") > 254] == []
    assert response.status_code == 422


def test_a_team_supervisor_does_not_alone_take_an_auditor_out_of_their_role(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    """Taking the auditor (who reviews break-glass) or an administrator out of that role is
    another administrator's decision, as making one is (README): not the supervisor of the
    team the account would join."""
    admin = browser(app, clock, accounts["admin"])
    target = f"/admin/users/{accounts['auditor'].id}"
    admin.post(
        f"{target}/role", {"role": "screener", "team": "Team A", "partner": ""}, form_page=target
    )
    change = only_change(app)
    assert decide(browser(app, clock, accounts["supervisor"]), change).status_code == 404
    assert user_row(app, accounts["auditor"].email).role == "auditor"


def test_the_audit_log_names_the_team_an_account_is_moved_to(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    """Moving a screener from Team A to Team B names Team B's id in the tamper-evident log,
    so auditors can tell who was let into which team's cases."""
    admin = browser(app, clock, accounts["admin"])
    target = f"/admin/users/{accounts['screener'].id}"
    admin.post(
        f"{target}/role", {"role": "screener", "team": "Team B", "partner": ""}, form_page=target
    )
    change = only_change(app)
    assert decide(browser(app, clock, accounts["supervisor_b"]), change).status_code == 302
    with app.app_context():
        store = db.session()
        team_b = str(store.scalar(sa.select(Team.id).where(Team.name == "Team B")))
        details = [
            json.loads(d)
            for d in store.scalars(
                sa.select(AuditEvent.details).where(
                    AuditEvent.object_id.in_([str(accounts["screener"].id), str(change)])
                )
            )
        ]
    assert any(team_b in json.dumps(d) for d in details), details
