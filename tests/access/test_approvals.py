"""Two people for every account that can reach case content (finding 8): an administrator only
asks; another administrator, or a supervisor of the team concerned, approves; the requester and
the account concerned never decide; unapproved changes expire; the password link goes to the
user under ``BASE_URL``, whatever Host the request named (finding 12)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import services
from access.models import AccountChange, ApiToken, AuditEvent, User
from core import db, settings
from tests.helpers import Account, Client, replace_settings


def browser(app: Flask, clock: Any, account: Account) -> Client:
    person = Client(app, clock)
    person.sign_in(account)
    person.reauth(account)
    return person


def ask_for_account(admin: Client, email: str, role: str, team: str = "", partner: str = "") -> Any:
    response = admin.post(
        "/admin/users/new", {"email": email, "role": role, "team": team, "partner": partner}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with admin.app.app_context():
        return db.session().scalar(sa.select(AccountChange.id).where(AccountChange.email == email))


def only_change(app: Flask) -> Any:
    with app.app_context():
        return db.session().scalars(sa.select(AccountChange.id)).one()


def decide(
    person: Client,
    change_id: Any,
    decision: str = "approve",
    form_page: str = "/approvals",
    **kwargs: Any,
) -> Any:
    return person.post(f"/approvals/{change_id}/{decision}", form_page=form_page, **kwargs)


def user_row(app: Flask, email: str) -> User | None:
    with app.app_context():
        return db.session().scalar(sa.select(User).where(User.email == email))


def change_row(app: Flask, change_id: Any) -> AccountChange:
    with app.app_context():
        return db.session().get(AccountChange, change_id)


def test_the_requester_cannot_approve_their_own_request(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    admin = browser(app, clock, accounts["admin"])
    change = ask_for_account(
        admin, "new.supervisor@test.passage.example", "supervisor", team="Team A"
    )
    page = admin.get("/approvals").get_data(as_text=True)
    assert "new.supervisor@test.passage.example" in page
    assert f"/approvals/{change}/approve" not in page
    assert decide(admin, change).status_code == 404
    assert decide(admin, change, "refuse").status_code == 404
    assert user_row(app, "new.supervisor@test.passage.example") is None
    assert change_row(app, change).outcome is None


def test_another_admin_approves_and_the_link_goes_to_the_user_under_base_url(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any, mail_relay: list[Any]
) -> None:
    replace_settings(app, base_url="https://passage.example.org")
    change = ask_for_account(
        browser(app, clock, accounts["admin"]),
        "new.screener@test.passage.example",
        "screener",
        team="Team A",
    )
    second = browser(app, clock, make_account("admin"))
    # The request names the test client's host; the link still uses BASE_URL.
    response = decide(second, change, follow_redirects=True)
    assert response.status_code == 200
    assert "/password/" not in response.get_data(as_text=True)
    created = user_row(app, "new.screener@test.passage.example")
    assert created is not None
    assert created.role == "screener"
    assert created.team.name == "Team A"
    assert [m["To"] for m in mail_relay] == ["new.screener@test.passage.example"]
    assert re.search(
        r"https://passage\.example\.org/password/[\w-]{40,}", mail_relay[0].get_content()
    )
    assert change_row(app, change).outcome == "approved"
    assert change_row(app, change).user_id == created.id


def test_a_forged_host_is_refused_before_anything_is_decided(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any, mail_relay: list[Any]
) -> None:
    change = ask_for_account(
        browser(app, clock, accounts["admin"]), "forged.host@test.passage.example", "auditor"
    )
    second = browser(app, clock, make_account("admin"))
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', second.get("/approvals").get_data(as_text=True)
    ).group(1)
    response = second.raw.post(
        f"/approvals/{change}/approve",
        data={"csrf_token": token},
        headers={"Host": "attacker.example"},
    )
    assert response.status_code == 400
    assert user_row(app, "forged.host@test.passage.example") is None
    assert mail_relay == []


def test_a_supervisor_of_the_team_approves_team_roles_only(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    admin = browser(app, clock, accounts["admin"])
    for_team_a = ask_for_account(admin, "team.a@test.passage.example", "screener", team="Team A")
    partner = ask_for_account(admin, "staff.a@test.passage.example", "partner", partner="org-a")
    another_admin = ask_for_account(admin, "second.admin@test.passage.example", "admin")
    other_team = browser(app, clock, accounts["supervisor_b"])
    assert "team.a@test.passage.example" not in other_team.get("/approvals").get_data(as_text=True)
    assert decide(other_team, for_team_a).status_code == 404
    supervisor = browser(app, clock, accounts["supervisor"])
    page = supervisor.get("/approvals").get_data(as_text=True)
    assert "staff.a@test.passage.example" not in page
    assert "second.admin@test.passage.example" not in page
    assert decide(supervisor, partner).status_code == 404
    assert decide(supervisor, another_admin).status_code == 404
    assert user_row(app, "staff.a@test.passage.example") is None
    assert user_row(app, "second.admin@test.passage.example") is None
    assert decide(supervisor, for_team_a).status_code == 302
    assert user_row(app, "team.a@test.passage.example").team.name == "Team A"


def test_screeners_partners_and_auditors_cannot_decide(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    change = ask_for_account(
        browser(app, clock, accounts["admin"]),
        "nobody.yet@test.passage.example",
        "screener",
        team="Team A",
    )
    for name in ("screener", "partner", "auditor"):
        person = browser(app, clock, accounts[name])
        assert person.get("/approvals").status_code == 403
        assert decide(person, change, form_page="/").status_code == 403
    assert user_row(app, "nobody.yet@test.passage.example") is None


def test_nobody_approves_a_change_to_their_own_account(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    admin = browser(app, clock, accounts["admin"])
    target = f"/admin/users/{accounts['supervisor'].id}"
    admin.post(f"{target}/reset-second-factor", form_page=target)
    change = only_change(app)
    supervisor = browser(app, clock, accounts["supervisor"])
    assert decide(supervisor, change).status_code == 404
    assert change_row(app, change).outcome is None
    assert user_row(app, accounts["supervisor"].email).totp_confirmed_at is not None


def test_a_refused_change_does_nothing_and_cannot_be_approved_later(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    change = ask_for_account(
        browser(app, clock, accounts["admin"]),
        "refused.one@test.passage.example",
        "supervisor",
        team="Team B",
    )
    second = browser(app, clock, make_account("admin"))
    assert decide(second, change, "refuse").status_code == 302
    # Those who could have decided learn it is decided (409); nothing changes.
    assert decide(second, change).status_code == 409
    assert decide(browser(app, clock, accounts["supervisor_b"]), change).status_code == 409
    assert user_row(app, "refused.one@test.passage.example") is None
    assert change_row(app, change).outcome == "refused"


@pytest.mark.parametrize("how", ["disabled", "no longer an administrator"])
def test_a_change_is_not_carried_out_once_its_requester_may_no_longer_ask(
    how: str, app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    asker = make_account("admin")
    change = ask_for_account(
        browser(app, clock, asker), "asked.then.gone@test.passage.example", "supervisor", "Team A"
    )
    with app.app_context():
        store = db.session()
        user = services.get_user(store, asker.id)
        assert user is not None
        if how == "disabled":
            services.disable_user(store, user, clock.now())
        else:
            services.change_role(store, user, "auditor", clock.now())
        store.commit()
    supervisor = browser(app, clock, accounts["supervisor"])
    response = decide(supervisor, change)
    assert response.status_code == 302
    assert response.headers["Location"] == "/approvals"
    assert (
        "The person who asked for this change may no longer ask for it: refuse it or let it"
        " expire." in supervisor.get("/approvals").get_data(as_text=True)
    )
    assert user_row(app, "asked.then.gone@test.passage.example") is None
    assert change_row(app, change).outcome is None
    with app.app_context():
        assert (
            db.session().scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "account_change.approved")
            )
            == 0
        )
    # Closing it without carrying it out is still possible.
    assert decide(supervisor, change, "refuse").status_code == 302
    assert change_row(app, change).outcome == "refused"


@pytest.mark.parametrize("how", ["disabled", "locked", "no longer an administrator"])
def test_the_page_offers_only_refusing_a_change_whose_requester_may_no_longer_ask(
    how: str, app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    asker = make_account("admin")
    gone = ask_for_account(
        browser(app, clock, asker), "asked.then.gone@test.passage.example", "screener", "Team A"
    )
    normal = ask_for_account(
        browser(app, clock, accounts["admin"]),
        "asked.normally@test.passage.example",
        "screener",
        "Team A",
    )
    with app.app_context():
        store = db.session()
        user = services.get_user(store, asker.id)
        assert user is not None
        if how == "disabled":
            services.disable_user(store, user, clock.now())
        elif how == "locked":
            user.locked_at = clock.now()
        else:
            services.change_role(store, user, "auditor", clock.now())
        store.commit()
    page = browser(app, clock, accounts["supervisor"]).get("/approvals").get_data(as_text=True)
    # The same rule as the approval itself: no Approve form for the one it would refuse, a
    # line saying why, and Refuse still offered.
    assert f'action="/approvals/{gone}/approve"' not in page
    assert f'action="/approvals/{gone}/refuse"' in page
    assert page.count("The administrator who asked can no longer ask for changes.") == 1
    assert f'action="/approvals/{normal}/approve"' in page
    assert f'action="/approvals/{normal}/refuse"' in page


def test_a_change_expires_unapproved(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    change = ask_for_account(
        browser(app, clock, accounts["admin"]),
        "late.one@test.passage.example",
        "screener",
        team="Team A",
    )
    second_admin = make_account("admin")
    clock.advance(days=3, seconds=1)
    second = browser(app, clock, second_admin)
    assert "late.one@test.passage.example" not in second.get("/approvals").get_data(as_text=True)
    assert decide(second, change).status_code == 409
    assert user_row(app, "late.one@test.passage.example") is None
    result = app.test_cli_runner().invoke(args=["users", "expire-changes"])
    assert result.output.strip() == "1 expired"
    assert change_row(app, change).outcome == "expired"


def test_moving_a_screener_to_another_team_waits_for_that_teams_supervisor(
    app: Flask, clock: Any, new_client: Any, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["screener"])
    screener = new_client()
    screener.sign_in(accounts["screener"])
    admin = browser(app, clock, accounts["admin"])
    target = f"/admin/users/{accounts['screener'].id}"
    admin.post(
        f"{target}/role", {"role": "screener", "team": "Team B", "partner": ""}, form_page=target
    )
    change = only_change(app)
    assert user_row(app, accounts["screener"].email).team.name == "Team A"
    assert decide(browser(app, clock, accounts["supervisor"]), change).status_code == 404
    assert decide(browser(app, clock, accounts["supervisor_b"]), change).status_code == 302
    assert user_row(app, accounts["screener"].email).team.name == "Team B"
    assert screener.get("/").status_code == 302  # the old standing's session has ended
    assert (
        screener.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    with app.app_context():
        assert db.session().scalar(sa.select(ApiToken.revoked_at)) is not None


def test_making_an_auditor_a_partner_needs_another_admin(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    admin = browser(app, clock, accounts["admin"])
    target = f"/admin/users/{accounts['auditor'].id}"
    admin.post(
        f"{target}/role", {"role": "partner", "team": "", "partner": "org-a"}, form_page=target
    )
    change = only_change(app)
    assert user_row(app, accounts["auditor"].email).role == "auditor"
    assert decide(admin, change).status_code == 404
    assert decide(browser(app, clock, make_account("admin")), change).status_code == 302
    changed = user_row(app, accounts["auditor"].email)
    assert changed.role == "partner"
    assert changed.partner.slug == "org-a"


def test_approval_without_mail_leaves_the_link_to_the_operator(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    replace_settings(app, base_url="https://passage.example.org")
    change = ask_for_account(
        browser(app, clock, accounts["admin"]), "console.link@test.passage.example", "auditor"
    )
    response = decide(browser(app, clock, make_account("admin")), change, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "/password/" not in body
    assert "flask --app wsgi users link EMAIL" in body
    result = app.test_cli_runner().invoke(
        args=["users", "link", "console.link@test.passage.example"]
    )
    assert result.exit_code == 0
    link = result.stdout.strip()
    assert re.fullmatch(r"https://passage\.example\.org/password/[\w-]{40,}", link)
    assert (
        Client(app, clock).get(link.removeprefix("https://passage.example.org")).status_code == 200
    )


def test_decisions_are_audited_as_their_own_kinds_with_ids_only(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    admin = browser(app, clock, accounts["admin"])
    approved = ask_for_account(admin, "audited.one@test.passage.example", "screener", team="Team A")
    refused = ask_for_account(admin, "audited.two@test.passage.example", "auditor")
    expired = ask_for_account(admin, "audited.three@test.passage.example", "auditor")
    second = make_account("admin")
    decide(browser(app, clock, accounts["supervisor"]), approved)
    decide(browser(app, clock, second), refused, "refuse")
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(AccountChange)
            .where(AccountChange.id == expired)
            .values(expires_at=clock.now())
        )
        store.commit()
    app.test_cli_runner().invoke(args=["users", "expire-changes"])
    with app.app_context():
        rows = (
            db.session()
            .scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action.like("account_change.%"))
                .order_by(AuditEvent.id)
            )
            .all()
        )
    created = user_row(app, "audited.one@test.passage.example")
    assert [(r.action, r.object_id) for r in rows] == [
        ("account_change.requested", str(approved)),
        ("account_change.requested", str(refused)),
        ("account_change.requested", str(expired)),
        ("account_change.approved", str(approved)),
        ("account_change.refused", str(refused)),
        ("account_change.expired", str(expired)),
    ]
    assert rows[3].actor_id == str(accounts["supervisor"].id)
    assert json.loads(rows[3].details) == {"kind": "create", "user": str(created.id)}
    assert all("@" not in r.details for r in rows)


def test_the_console_still_creates_accounts_directly(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "first.admin@test.passage.example",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a synthetic cli passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert user_row(app, "first.admin@test.passage.example").role == "admin"
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(AccountChange)) == 0


def test_only_one_decision_counts_when_two_people_decide_at_once(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    from access import approvals

    change_id = ask_for_account(
        browser(app, clock, accounts["admin"]),
        "raced.one@test.passage.example",
        "screener",
        team="Team A",
    )
    second_admin = make_account("admin")
    with app.app_context():
        first, second = (app.extensions["passage.sessionmaker"]() for _ in range(2))
        # The second decider loads the undecided change (SQLite allows one open writer, so
        # the view is kept across its own commit) before the first decides.
        second_view = second.get(AccountChange, change_id)
        approver = second.get(User, accounts["supervisor"].id)
        second.commit()
        refuser = first.get(User, second_admin.id)
        approvals.refuse(first, refuser, first.get(AccountChange, change_id), clock.now())
        first.commit()
        try:
            approvals.approve(second, approver, second_view, clock.now(), settings.of(app))
        except approvals.ChangeRefused:
            second.rollback()
        else:
            raise AssertionError("a second decision was accepted")
        first.close()
        second.close()
    assert user_row(app, "raced.one@test.passage.example") is None
    assert change_row(app, change_id).outcome == "refused"


def test_the_approvals_page_needs_a_recent_reauth(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    supervisor = Client(app, clock)
    supervisor.sign_in(accounts["supervisor"])
    clock.advance(minutes=6)
    assert "/reauth" in supervisor.get("/approvals").location
    supervisor.reauth(accounts["supervisor"])
    assert supervisor.get("/approvals").status_code == 200


def test_an_admin_cannot_ask_for_changes_to_their_own_account(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    admin = browser(app, clock, accounts["admin"])
    own = f"/admin/users/{accounts['admin'].id}"
    admin.post(
        f"{own}/role", {"role": "supervisor", "team": "Team A", "partner": ""}, form_page=own
    )
    admin.post(f"{own}/reset-second-factor", form_page=own)
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(AccountChange)) == 0
    assert user_row(app, accounts["admin"].email).role == "admin"
