"""A password link stops working when the account changes under it (docs/security.md, R9):
a second-factor reset, a disabled account (enabled again or not) and a new password each
cancel every unused link. A link of an account without a confirmed second factor sets a
password with no code, so a link from before a reset would otherwise hand the account to
whoever holds it, who would then enrol an authenticator of their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from access import passwords, services
from access.models import User
from core import db
from tests.helpers import Account, Client

NEW = {"password": "an entirely new passphrase", "confirm": "an entirely new passphrase"}


def change(app: Flask, account: Account, *moves: Callable[[Any, User], None]) -> None:
    """Apply ``moves`` (each given the session and the user) in one transaction."""
    with app.app_context():
        store = db.session()
        user = services.get_user(store, account.id)
        assert user is not None
        for made in moves:
            made(store, user)
        store.commit()


def link_for(app: Flask, clock: Any, account: Account) -> str:
    tokens: list[str] = []
    change(
        app,
        account,
        lambda store, user: tokens.append(
            passwords.issue_password_link(store, user, clock.now(), 24)
        ),
    )
    return f"/password/{tokens[0]}"


def test_a_link_issued_before_a_second_factor_reset_no_longer_works(
    app: Flask, clock: Any, accounts: dict[str, Account], new_client: Callable[[], Client]
) -> None:
    victim = accounts["screener"]
    link = link_for(app, clock, victim)
    change(app, victim, lambda store, user: services.reset_second_factor(store, user, clock.now()))
    holder = new_client()  # whoever holds the old link, with no authenticator at all
    clock.advance(minutes=5)
    assert holder.get(link).status_code == 404
    assert holder.post(link, NEW, form_page=None).status_code == 404
    # The password did not change: the new one does not sign in.
    step = holder.post("/login", {"email": victim.email, "password": NEW["password"]})
    assert step.status_code == 422
    # A link issued after the reset works, as the way back for a user who forgot both.
    fresh = link_for(app, clock, victim)
    assert new_client().get(fresh).status_code == 200


def test_a_link_of_a_disabled_account_stays_dead_when_it_is_enabled_again(
    app: Flask, clock: Any, accounts: dict[str, Account], new_client: Callable[[], Client]
) -> None:
    account = accounts["screener"]
    link = link_for(app, clock, account)
    change(app, account, lambda store, user: services.disable_user(store, user, clock.now()))
    change(app, account, lambda store, user: services.enable_user(store, user))
    assert new_client().get(link).status_code == 404


def test_a_new_password_cancels_every_unused_link(
    app: Flask, clock: Any, accounts: dict[str, Account], new_client: Callable[[], Client]
) -> None:
    account = accounts["screener"]
    link = link_for(app, clock, account)
    change(
        app,
        account,
        lambda store, user: passwords.set_password(
            store, user, "the passphrase chosen today", "change", clock.now()
        ),
    )
    assert new_client().get(link).status_code == 404
