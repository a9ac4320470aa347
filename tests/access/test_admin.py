"""Administrators manage accounts (create, disable, unlock, reset the second factor, send
password links) after a recent re-authentication (R17), never set passwords (R9, R10) and never
see a password link: it goes to the user by e-mail. Creations and resets wait for a second
person's approval (tests/access/test_approvals.py has the rules of approval)."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import passwords, services
from access.models import AccountChange, PasswordLink, User
from access.services import UserError, create_user
from core import db
from tests.helpers import Account, Client, error_of, raw_database_bytes


def admin_client(client: Client, accounts: dict[str, Account]) -> Client:
    client.sign_in(accounts["admin"])
    client.reauth(accounts["admin"])
    return client


def user_row(app: Flask, email: str) -> User | None:
    with app.app_context():
        return db.session().scalar(sa.select(User).where(User.email == email))


def test_admin_pages_need_a_recent_reauth(client: Client, accounts: dict[str, Account]) -> None:
    client.sign_in(accounts["admin"])
    client.clock.advance(minutes=6)
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/reauth" in response.location
    client.reauth(accounts["admin"])
    assert client.get("/admin/users").status_code == 200


def test_the_users_come_a_hundred_a_page_by_address(
    app: Flask, client: Client, accounts: dict[str, Account], make_account: Any
) -> None:
    for n in range(100):  # with the nine of `accounts`, 109
        make_account("screener", email=f"zz.{n:03d}@test.passage.example")
    admin_client(client, accounts)
    first = client.get("/admin/users").get_data(as_text=True)
    assert first.count('<td data-label="E-mail address">') == 100
    assert "zz.090@test.passage.example" in first
    assert "zz.091@test.passage.example" not in first
    assert '<a href="/admin/users?page=2">Next</a>' in first
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert second.count('<td data-label="E-mail address">') == 9
    assert "zz.091@test.passage.example" in second
    assert '<a href="/admin/users?page=1">Previous</a>' in second
    assert "page=3" not in second


def test_reauth_with_wrong_code_does_not_unlock_admin_pages(
    client: Client, accounts: dict[str, Account]
) -> None:
    client.sign_in(accounts["admin"])
    client.clock.advance(minutes=6)
    response = client.post("/reauth", {"password": accounts["admin"].password, "code": "000000"})
    assert response.status_code == 422
    assert "/reauth" in client.get("/admin/users").location


def link_in(message: Any) -> str:
    """The path of the password link an e-mail carries."""
    return re.search(r"https?://[^/\s]+(/password/[\w-]+)", message.get_content()).group(1)


def approve_latest(app: Flask, clock: Any, approver: Account) -> Client:
    """Another administrator approves the newest pending change from the approvals page."""
    with app.app_context():
        change_id = db.session().scalar(
            sa.select(AccountChange.id).order_by(AccountChange.requested_at.desc())
        )
    browser = Client(app, clock)
    browser.sign_in(approver)
    browser.reauth(approver)
    response = browser.post(f"/approvals/{change_id}/approve", form_page="/approvals")
    assert response.status_code == 302
    return browser


def test_admin_creates_a_user_who_sets_password_and_enrols(
    app: Flask,
    client: Client,
    new_client: Any,
    accounts: dict[str, Account],
    make_account: Any,
    mail_relay: list[Any],
) -> None:
    admin = admin_client(client, accounts)
    form = admin.get("/admin/users/new").get_data(as_text=True)
    assert 'name="password"' not in form
    page = admin.post(
        "/admin/users/new",
        {
            "email": "New.Person@Test.Passage.Example",
            "role": "partner",
            "team": "",
            "partner": "org-a",
        },
    )
    assert page.status_code == 302
    assert user_row(app, "new.person@test.passage.example") is None
    approver = approve_latest(app, client.clock, make_account("admin"))
    assert "/password/" not in approver.get("/approvals").get_data(as_text=True)
    created = user_row(app, "new.person@test.passage.example")
    assert created is not None
    assert created.password_hash is None
    assert [m["To"] for m in mail_relay] == ["new.person@test.passage.example"]
    link = link_in(mail_relay[0])
    newcomer = new_client()
    assert (
        newcomer.post(
            link, {"password": "a brand new passphrase", "confirm": "a brand new passphrase"}
        ).status_code
        == 302
    )
    assert (
        newcomer.post(
            link, {"password": "a brand new passphrase", "confirm": "a brand new passphrase"}
        ).status_code
        == 404
    )
    with app.app_context():
        secret = services.totp_secret(db.session(), user_row(app, created.email))
    account = Account(created.id, created.email, "partner", secret or "", "a brand new passphrase")
    assert newcomer.password_step(account).location.endswith("/login/enrol")


def test_password_link_goes_to_the_user_never_to_the_admin(
    app: Flask, client: Client, accounts: dict[str, Account], mail_relay: list[Any]
) -> None:
    admin = admin_client(client, accounts)
    target = f"/admin/users/{accounts['screener'].id}"
    response = admin.post(f"{target}/password-link", form_page=target, follow_redirects=True)
    assert "/password/" not in response.get_data(as_text=True)
    assert [m["To"] for m in mail_relay] == [accounts["screener"].email]


def test_without_mail_no_password_link_is_issued_on_the_web(
    app: Flask, client: Client, accounts: dict[str, Account]
) -> None:
    admin = admin_client(client, accounts)
    target = f"/admin/users/{accounts['screener'].id}"
    response = admin.post(f"{target}/password-link", form_page=target, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "/password/" not in body
    assert "flask --app wsgi users link EMAIL" in body
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(PasswordLink)) == 0


def test_password_link_expires_after_a_day(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account], mail_relay: list[Any]
) -> None:
    admin = admin_client(client, accounts)
    admin.post(
        f"/admin/users/{accounts['screener'].id}/password-link",
        form_page=f"/admin/users/{accounts['screener'].id}",
    )
    link = link_in(mail_relay[0])
    client.clock.advance(hours=25)
    assert new_client().get(link).status_code == 404


def test_a_password_link_works_once_and_a_newer_one_cancels_it(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account], mail_relay: list[Any]
) -> None:
    admin = admin_client(client, accounts)
    target = f"/admin/users/{accounts['screener'].id}"
    admin.post(f"{target}/password-link", form_page=target)
    admin.post(f"{target}/password-link", form_page=target)
    first, second = (link_in(message) for message in mail_relay)
    person = new_client()
    assert person.get(first).status_code == 404
    person.clock.advance(seconds=30)
    used = person.post(
        second,
        {
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "code": person.code_for(accounts["screener"]),
        },
    )
    assert used.status_code == 302
    assert person.get(second).status_code == 404


def test_a_password_link_is_256_random_bits_stored_only_as_its_sha256(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    with app.app_context():
        store = db.session()
        user = services.get_user(store, accounts["screener"].id)
        token = passwords.issue_password_link(store, user, clock.now(), 24)
        store.commit()
        stored = store.scalars(sa.select(PasswordLink.token_hash)).all()
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token.encode() not in raw_database_bytes(app)


def test_password_reset_for_an_enrolled_user_needs_a_code(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account], mail_relay: list[Any]
) -> None:
    admin = admin_client(client, accounts)
    admin.post(
        f"/admin/users/{accounts['screener'].id}/password-link",
        form_page=f"/admin/users/{accounts['screener'].id}",
    )
    link = link_in(mail_relay[0])
    person = new_client()
    refused = person.post(
        link,
        {
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "code": "000000",
        },
    )
    assert refused.status_code == 422
    person.clock.advance(seconds=30)
    accepted = person.post(
        link,
        {
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "code": person.code_for(accounts["screener"]),
        },
    )
    assert accepted.status_code == 302


@pytest.mark.parametrize(
    ("data", "status", "field", "message"),
    [
        ({"email": "not-an-address"}, 422, "email", "Enter a valid e-mail address."),
        (
            {"role": "screener", "team": ""},
            422,
            "team",
            "Screeners and supervisors belong to a team; name it.",
        ),
        (
            {"role": "partner", "partner": ""},
            422,
            "partner",
            "Partner staff belong to a known partner organisation; choose it.",
        ),
        (
            {"email": "root@test.passage.example"},
            422,
            "email",
            "This address is reserved. Choose another.",
        ),
        ({"email": "{auditor}"}, 422, "email", "A user with this e-mail address already exists."),
        ({"role": "superuser"}, 400, "role", "Not a valid choice."),
        ({"email": ""}, 400, "email", "This field is required."),
    ],
)
def test_admin_creation_refuses_weak_or_inconsistent_input(
    app: Flask,
    client: Client,
    accounts: dict[str, Account],
    data: dict[str, str],
    status: int,
    field: str,
    message: str,
) -> None:
    """The form comes back with the problem next to its field: 400 when the form's own checks
    refuse it, 422 when the account rules do; nothing is asked for."""
    admin = admin_client(client, accounts)
    valid = {"email": "new.one@test.passage.example", "role": "auditor", "team": "", "partner": ""}
    sent = {k: v.format(auditor=accounts["auditor"].email) for k, v in {**valid, **data}.items()}
    response = admin.post("/admin/users/new", sent)
    assert response.status_code == status
    assert error_of(response.get_data(as_text=True), field) == message
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(AccountChange)) == 0


@pytest.mark.parametrize(
    ("data", "status", "field", "message"),
    [
        (
            {"role": "screener", "team": "Team A"},
            422,
            "role",
            "The account already has this role and membership.",
        ),
        (
            {"role": "screener", "team": ""},
            422,
            "team",
            "Screeners and supervisors belong to a team; name it.",
        ),
        ({"role": "superuser", "team": "Team A"}, 400, "role", "Not a valid choice."),
    ],
)
def test_a_refused_role_change_shows_the_user_page_with_its_error(
    app: Flask,
    client: Client,
    accounts: dict[str, Account],
    data: dict[str, str],
    status: int,
    field: str,
    message: str,
) -> None:
    """The account's page again, the refused choice kept and the problem next to its field
    (400 for the form's own checks, 422 for the account rules); nothing is asked for."""
    admin = admin_client(client, accounts)
    target = f"/admin/users/{accounts['screener'].id}"
    response = admin.post(f"{target}/role", {"partner": "", **data}, form_page=target)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert error_of(page, field) == message
    assert accounts["screener"].email in page  # the same account's page
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(AccountChange)) == 0
    assert user_row(app, accounts["screener"].email).role == "screener"


def test_a_role_change_of_ones_own_account_is_refused_on_the_page(
    app: Flask, client: Client, accounts: dict[str, Account]
) -> None:
    """An administrator's own page offers no role form, so the refusal is said above it."""
    admin = admin_client(client, accounts)
    own = f"/admin/users/{accounts['admin'].id}"
    data = {"role": "supervisor", "team": "Team A", "partner": ""}
    response = admin.post(f"{own}/role", data, form_page=own)
    assert response.status_code == 422
    assert "You cannot do this to your own account." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(AccountChange)) == 0


def test_a_role_change_refuses_a_team_name_wider_than_its_column(
    app: Flask, accounts: dict[str, Account], clock: Any
) -> None:
    # The service itself refuses it, whoever calls: the console, an approval, a form.
    with app.app_context():
        store = db.session()
        user = services.get_user(store, accounts["auditor"].id)
        with pytest.raises(UserError) as refused:
            services.change_role(store, user, "screener", clock.now(), team="Synthetic " * 9)
        assert {k: str(v) for k, v in refused.value.fields.items()} == {
            "team": "a team name has at most 80 characters"
        }
        store.rollback()
        assert services.get_user(store, accounts["auditor"].id).role == "auditor"


def test_mass_assignment_is_ignored(
    app: Flask, client: Client, accounts: dict[str, Account], make_account: Any
) -> None:
    admin = admin_client(client, accounts)
    admin.post(
        "/admin/users/new",
        {
            "email": "plain.user@test.passage.example",
            "role": "auditor",
            "team": "",
            "partner": "",
            "id": "00000000-0000-0000-0000-000000000001",
            "disabled_at": "2020-01-01",
            "totp_confirmed_at": "x",
            "password_hash": "x",
            "outcome": "approved",
            "decided_by": str(accounts["admin"].id),
        },
    )
    with app.app_context():
        change = db.session().scalar(sa.select(AccountChange))
        assert change.outcome is None
        assert change.decided_by is None
    assert user_row(app, "plain.user@test.passage.example") is None
    approve_latest(app, client.clock, make_account("admin"))
    created = user_row(app, "plain.user@test.passage.example")
    assert created is not None
    assert str(created.id) != "00000000-0000-0000-0000-000000000001"
    assert created.disabled_at is None
    assert created.totp_confirmed_at is None
    assert created.password_hash is None


def test_admin_disables_and_enables_a_user(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    victim = new_client()
    victim.sign_in(accounts["screener"])
    admin = admin_client(client, accounts)
    target = f"/admin/users/{accounts['screener'].id}"
    assert admin.post(f"{target}/disable", form_page=target).status_code == 302
    assert victim.get("/").status_code == 302
    assert new_client().password_step(accounts["screener"]).status_code == 422
    admin.post(f"{target}/enable", form_page=target)
    assert new_client().password_step(accounts["screener"]).status_code == 302


def test_admin_unlocks_a_locked_user(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(User)
            .where(User.id == accounts["screener"].id)
            .values(locked_at=client.clock.now(), failed_logins=100)
        )
        store.commit()
    admin = admin_client(client, accounts)
    target = f"/admin/users/{accounts['screener'].id}"
    assert "Locked" in admin.get(target).get_data(as_text=True)
    admin.post(f"{target}/unlock", form_page=target)
    assert new_client().password_step(accounts["screener"]).status_code == 302


def test_admin_resets_second_factor_once_another_admin_approves(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    admin = admin_client(client, accounts)
    target = f"/admin/users/{accounts['screener'].id}"
    admin.post(f"{target}/reset-second-factor", form_page=target)
    assert user_row(app, accounts["screener"].email).totp_confirmed_at is not None
    assert new_client().password_step(accounts["screener"]).location.endswith("/login/code")
    approve_latest(app, client.clock, make_account("admin"))
    changed = user_row(app, accounts["screener"].email)
    assert changed.totp_confirmed_at is None
    with app.app_context():
        assert services.totp_secret(db.session(), changed) != accounts["screener"].secret
    assert new_client().password_step(accounts["screener"]).location.endswith("/login/enrol")


def test_admin_cannot_disable_themselves(
    app: Flask, client: Client, accounts: dict[str, Account]
) -> None:
    admin = admin_client(client, accounts)
    target = f"/admin/users/{accounts['admin'].id}"
    admin.post(f"{target}/disable", form_page=target)
    assert user_row(app, accounts["admin"].email).disabled_at is None


def test_unknown_user_id_is_404(client: Client, accounts: dict[str, Account]) -> None:
    admin = admin_client(client, accounts)
    assert admin.get("/admin/users/00000000-0000-0000-0000-000000000000").status_code == 404


def test_fresh_install_has_no_users_and_reserved_names_are_refused(app: Flask, clock: Any) -> None:
    with app.app_context():
        store = db.session()
        assert store.scalar(sa.select(sa.func.count()).select_from(User)) == 0
        for name in ("admin", "root", "system", "deleted"):
            try:
                create_user(store, f"{name}@test.passage.example", "auditor", clock.now())
            except UserError:
                continue
            raise AssertionError(f"{name} was accepted")


@pytest.mark.parametrize(
    "typed",
    ["Admin@test.passage.example", "ROOT@test.passage.example", " system@test.passage.example"],
)
def test_reserved_names_are_refused_however_they_are_typed(
    app: Flask, clock: Any, typed: str
) -> None:
    with app.app_context(), pytest.raises(UserError, match="reserved"):
        create_user(db.session(), typed, "auditor", clock.now())


def test_admin_pages_show_no_password_fields_or_hashes(
    client: Client, accounts: dict[str, Account]
) -> None:
    admin = admin_client(client, accounts)
    for page in ("/admin/users", f"/admin/users/{accounts['screener'].id}"):
        body = admin.get(page).get_data(as_text=True)
        assert "$argon2id$" not in body
        assert accounts["screener"].secret not in body
        assert 'type="password"' not in body


def test_admin_unlock_also_lifts_a_current_delay(
    app: Flask, client: Client, new_client: Any, accounts: dict[str, Account]
) -> None:
    admin = admin_client(client, accounts)  # first: signing in moves the clock on
    locked = new_client()
    for _ in range(5):
        locked.post(
            "/login", {"email": accounts["screener"].email, "password": "not the right passphrase"}
        )
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(User)
            .where(User.id == accounts["screener"].id)
            .values(locked_at=client.clock.now(), failed_logins=100)
        )
        store.commit()
    target = f"/admin/users/{accounts['screener'].id}"
    admin.post(f"{target}/unlock", form_page=target)
    assert new_client().password_step(accounts["screener"]).status_code == 302


def test_an_administrator_ending_every_session_also_stops_the_accounts_api_tokens(
    client: Client, new_client: Any, accounts: dict[str, Account], issue_token: Any
) -> None:
    # The admin page's "end sessions" is there for a lost device or a leaver
    # (access.services.end_sessions); the account's bearer tokens keep reading the API.
    token = issue_token(accounts["screener"])
    assert me(client, token) == 200
    admin = new_client()
    admin.sign_in(accounts["admin"])
    target = f"/admin/users/{accounts['screener'].id}"
    assert admin.post(f"{target}/end-sessions", form_page=target).status_code == 302
    assert me(client, token) == 401


def me(client: Client, token: str) -> int:
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return int(response.status_code)
