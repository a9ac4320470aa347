"""Choosing a team for an account (access/teams.py, the admin forms, the approval flow): an
existing team from a list; a new team only on its own field, refused when a team of that name
exists in another spelling; what was chosen is what the approval carries out."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import approvals, services, teams
from access.models import AccountChange, Team, User
from core import clock, db, settings
from tests.helpers import Account, Client


def browser(app: Flask, clock: Any, account: Account) -> Client:
    person = Client(app, clock)
    person.sign_in(account)
    person.reauth(account)
    return person


def team_names(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session().scalars(sa.select(Team.name).order_by(Team.name)))


def ask(admin: Client, **fields: str) -> Any:
    return admin.post(
        "/admin/users/new",
        {"email": "new.screener@test.passage.example", "role": "screener", "partner": "", **fields},
    )


def test_the_new_user_form_offers_the_existing_teams_as_a_list(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    page = browser(app, clock, accounts["admin"]).get("/admin/users/new").get_data(as_text=True)
    assert re.search(r'<select[^>]* name="team"', page)
    assert '<option value="Team A">Team A</option>' in page
    assert "Or a new team (only to create one)" in page


def test_a_misspelt_team_is_refused_and_no_team_is_made(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    before = team_names(app)
    response = ask(browser(app, clock, accounts["admin"]), team="Team Aa", new_team="")
    assert response.status_code == 400
    assert "Not a valid choice." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(AccountChange)) == 0
    assert team_names(app) == before


@pytest.mark.parametrize("typed", ["team a", "TEAM  A", "Team-A", " Team A "])
def test_a_new_team_that_exists_in_another_spelling_is_refused(
    app: Flask, clock: Any, accounts: dict[str, Account], typed: str
) -> None:
    response = ask(browser(app, clock, accounts["admin"]), team="", new_team=typed)
    assert response.status_code == 422
    assert "There is already a team called Team A: choose it from the list." in response.get_data(
        as_text=True
    )


def test_a_team_from_the_list_and_a_new_one_at_once_are_refused(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    response = ask(browser(app, clock, accounts["admin"]), team="Team A", new_team="Team North")
    assert response.status_code == 400
    assert "Choose a team from the list or name a new one, not both." in response.get_data(
        as_text=True
    )


def test_a_new_team_is_asked_for_shown_as_new_and_made_on_approval(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    admin = browser(app, clock, accounts["admin"])
    assert ask(admin, team="", new_team="Team North").status_code == 302
    assert "Team North" not in team_names(app)
    second = browser(app, clock, make_account("admin"))
    assert "Team North (a new team)" in second.get("/approvals").get_data(as_text=True)
    with app.app_context():
        change_id = db.session().scalars(sa.select(AccountChange.id)).one()
    assert second.post(f"/approvals/{change_id}/approve", form_page="/approvals").status_code == 302
    with app.app_context():
        user = db.session().scalar(
            sa.select(User).where(User.email == "new.screener@test.passage.example")
        )
        assert user is not None
        assert user.team.name == "Team North"


def test_an_approval_refuses_a_new_team_someone_made_meanwhile_in_another_spelling(
    app: Flask, accounts: dict[str, Account], make_account: Any
) -> None:
    with app.app_context():
        store = db.session()
        requester = store.get(User, accounts["admin"].id)
        change = approvals.request_creation(
            store,
            requester,
            "new.screener@test.passage.example",
            "screener",
            clock.now(),
            7,
            team="Team North",
            new_team=True,
        )
        store.commit()
        teams.ensure_team(store, "team north")
        store.commit()
        approver = store.get(User, make_account("admin").id)
        with pytest.raises(services.UserError) as refused:
            approvals.approve(store, approver, change, clock.now(), settings.of(app))
        store.rollback()
    assert refused.value.fields == {
        "new_team": "There is already a team called team north: choose it from the list."
    }


def test_a_role_change_moves_the_account_to_a_team_from_the_list(
    app: Flask, clock: Any, accounts: dict[str, Account], make_account: Any
) -> None:
    make_account("screener", team="Team B")
    admin = browser(app, clock, accounts["admin"])
    target = f"/admin/users/{accounts['screener'].id}"
    page = admin.get(target).get_data(as_text=True)
    assert '<option selected value="Team A">Team A</option>' in page
    refused = admin.post(
        f"{target}/role",
        {"role": "screener", "team": "Team Bee", "new_team": "", "partner": ""},
        form_page=target,
    )
    assert refused.status_code == 400
    moved = admin.post(
        f"{target}/role",
        {"role": "screener", "team": "Team B", "new_team": "", "partner": ""},
        form_page=target,
    )
    assert moved.status_code == 302
    with app.app_context():
        change = db.session().scalars(sa.select(AccountChange)).one()
        assert (change.team, change.user_id) == ("Team B", accounts["screener"].id)
