"""Fixtures for screening tests: synthetic people with canary values in every sealed field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import Team
from core import db
from screening import people
from screening.models import Person

CANARY = people.Identity(
    given_name="Canarygiven", family_name="Canaryfamily", birth_date=date(2008, 5, 17),
    age=17, region="Canaryregion", contact="+00 0000 canarycontact", notes="canarynote text",
    sex="female", nationality="ZZ", country="XK", languages=("fr", "ar"))


@pytest.fixture
def register(app: Flask, clock: Any, make_account: Any) -> Callable[..., Person]:
    """Register a synthetic person (by default the canary one) for a team."""
    make_account("screener", team="Team A")

    def register_person(identity: people.Identity = CANARY) -> Person:
        with app.app_context():
            store = db.session()
            team = store.scalar(sa.select(Team).where(Team.name == "Team A"))
            assert team is not None
            person = people.register(store, identity, team.id, None, clock.now(),
                                     app.config["RETENTION_DAYS"])
            store.commit()
            return person

    return register_person
