"""Fixtures for screening tests: synthetic people with canary values in every sealed field,
and draft screenings of them started by a test account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import services as access_services
from access.models import Team
from core import db
from screening import consent, instruments, opening, people, services
from screening.models import Person
from tests.helpers import Account

CANARY = people.Identity(
    given_name="Canarygiven",
    family_name="Canaryfamily",
    birth_date=date(2008, 5, 17),
    age=17,
    region="Canaryregion",
    contact="+00 0000 canarycontact",
    notes="canarynote text",
    sex="female",
    nationality="ZZ",
    country="XK",
    languages=("fr", "ar"),
)
# The same canary as an adult: a typed age under 18 makes anyone a child (people.is_child).
ADULT_CANARY = replace(CANARY, birth_date=date(1990, 5, 17), age=34)


@pytest.fixture
def register(app: Flask, clock: Any, make_account: Any) -> Callable[..., Person]:
    """Register a synthetic person (by default the canary one) for a team."""
    make_account("screener", team="Team A")

    def register_person(identity: people.Identity = CANARY) -> Person:
        with app.app_context():
            store = db.session()
            team = store.scalar(sa.select(Team).where(Team.name == "Team A"))
            assert team is not None
            person = people.register(
                store, identity, team.id, None, clock.now(), app.config["RETENTION_DAYS"]
            )
            store.commit()
            return person

    return register_person


@pytest.fixture
def start_screening(app: Flask, clock: Any, accounts: dict[str, Account]) -> Callable[..., Any]:
    """Start a draft screening of the canary person as the account named ``by`` (a screener
    of Team A unless told); ``child`` picks the child instrument. Returns its id."""

    def start(by: str = "screener", child: bool = False, language: str = "en") -> Any:
        with app.app_context():
            store = db.session()
            user = access_services.get_user(store, accounts[by].id)
            request = opening.Start(
                instrument=instruments.catalogue()["child" if child else "adult"],
                language=language,
                identity=CANARY if child else ADULT_CANARY,
                consent=opening.Consent(
                    dict.fromkeys(opening.PURPOSES, True),
                    child=consent.ChildConsent(assent=True, guardian_consent=True)
                    if child
                    else None,
                ),
                safety=opening.Safety(
                    alone=True,
                    safe_to_talk=True,
                    possibly_minor=child,
                    present=("social_worker",) if child else None,
                    linked_present=False if child else None,
                ),
            )
            screening = services.start(
                store, user, request, clock.now(), app.config["RETENTION_DAYS"]
            )
            store.commit()
            return screening.id

    return start
