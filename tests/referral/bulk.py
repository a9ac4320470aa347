"""Many referrals at once, for the list benchmark (bench/list_scale.py) and the tests of the
lists' query plans and statement counts: cases, their people and referrals, and the partner's
notices, written by batched INSERTs of plain rows (no ORM object, no encryption: one shared
data key, packets of random bytes as long as real ones), on SQLite or PostgreSQL.

The shape is fixed by a seed: referrals spread over two years, a share of them to the one
partner organisation whose inbox is read, the rest to others; teams of screeners, each
screener owning cases of their team; states, urgency and overdue referrals in proportions
like a busy service's (docs/architecture.md, "Lists at scale"). Nothing here is personal
data, real or synthetic."""

from __future__ import annotations

import os
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access import services, teams
from core import datakeys, db
from referral import directory, directory_import
from referral.models import Case, Notice, Referral
from screening.models import Person
from tests.helpers import PASSWORD, Account

BATCH = 2000  # rows per INSERT batch
# (state, share of referrals): a busy service's inbox, mostly history.
STATES = (
    ("pending", 0.10),
    ("accepted", 0.15),
    ("closed", 0.35),
    ("declined", 0.15),
    ("expired", 0.10),
    ("withdrawn", 0.15),
)
URGENT_SHARE = 0.2
UNREAD_SHARE = 0.1  # of the partner's notices
OPEN_CASE_SHARE = 0.3  # of cases whose referral has ended
SPREAD = timedelta(days=730)


@dataclass(frozen=True)
class Shape:
    """How much to make, and how it is spread: the partner organisation ``org-0`` receives
    ``partner_share`` of the referrals, the screener ``screener.0.0`` owns one case in
    ``teams * screeners`` (team 0), the supervisor leads team 0."""

    referrals: int
    teams: int = 4
    screeners: int = 5  # per team
    partners: int = 4
    partner_share: float = 0.5
    overdue_share: float = 0.3  # of the referrals waiting for an answer
    packet_bytes: int = 2300
    seed: int = 2026


@dataclass(frozen=True)
class Seeded:
    """The accounts whose lists are read: they sign in with ``tests.helpers.PASSWORD``."""

    partner: Account
    screener: Account
    supervisor: Account


def _account(app: Flask, user: Any) -> Account:
    store = db.session()
    return Account(user.id, user.email, str(user.role), services.totp_secret(store, user))


def _people(
    app: Flask, shape: Shape, now: datetime
) -> tuple[Seeded, list[list[uuid.UUID]], list[uuid.UUID], uuid.UUID, Any]:
    """The partners, teams and accounts; the screeners' ids by team, the partner
    organisations' ids, the measured partner's staff id and a data key for every person."""
    store = db.session()
    directory_import.import_partners(
        store,
        [
            {
                "slug": f"org-{n}",
                "name": f"Organisation {n}",
                "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
                "services": ["shelter", "legal"],
                "areas": [{"country": "XK"}],
            }
            for n in range(shape.partners)
        ],
        now,
    )
    enrolled = []
    screeners: list[list[uuid.UUID]] = []
    for team in range(shape.teams):
        ids = []
        for n in range(shape.screeners):
            measured = team == 0 and n == 0
            user = services.create_user(
                store,
                f"screener.{team}.{n}@bench.passage.example",
                "screener",
                now,
                team=f"Team {team}",
                password=PASSWORD if measured else None,
            )
            ids.append(user.id)
            if measured:
                enrolled.append(user)
        screeners.append(ids)
    for role, email, where in (
        ("supervisor", "supervisor.0@bench.passage.example", {"team": "Team 0"}),
        ("partner", "partner.0@bench.passage.example", {"partner": "org-0"}),
    ):
        enrolled.append(services.create_user(store, email, role, now, password=PASSWORD, **where))
    for user in enrolled:
        user.totp_confirmed_at = now
    key = datakeys.create(store, "person", now)
    organisations = [
        p.organisation_id
        for p in sorted(directory.profiles(store), key=lambda p: p.organisation.slug)
    ]
    screener, supervisor, partner = (_account(app, u) for u in enrolled)
    store.commit()
    return Seeded(partner, screener, supervisor), screeners, organisations, partner.id, key.key_id


def seed(app: Flask, shape: Shape, now: datetime) -> Seeded:
    """Make ``shape`` in ``app``'s database (migrated, with keys) and return the accounts
    whose lists are read."""
    rng = random.Random(shape.seed)
    packet = os.urandom(shape.packet_bytes) if shape.packet_bytes else None
    with app.app_context():
        seeded, screeners, organisations, staff, key_id = _people(app, shape, now)
        store = db.session()
        team_ids = [teams.ensure_team(store, f"Team {n}").id for n in range(shape.teams)]
        batch: dict[Any, list[dict[str, Any]]] = {t: [] for t in (Person, Case, Referral, Notice)}
        for number in range(shape.referrals):
            team = number % shape.teams
            owner = screeners[team][(number // shape.teams) % shape.screeners]
            sent = now - timedelta(seconds=rng.randrange(int(SPREAD.total_seconds())))
            state = rng.choices([s for s, _ in STATES], [w for _, w in STATES])[0]
            overdue = state == "pending" and rng.random() < shape.overdue_share
            to_partner = rng.random() < shape.partner_share
            partner = organisations[0 if to_partner else 1 + number % (len(organisations) - 1)]
            person_id, case_id, referral_id = (uuid.UUID(int=rng.getrandbits(128)) for _ in "pcr")
            batch[Person].append(_person(person_id, key_id, team_ids[team], owner, sent))
            open_case = state in ("pending", "accepted") or rng.random() < OPEN_CASE_SHARE
            batch[Case].append(
                _case(case_id, person_id, team_ids[team], owner, sent, open_case, rng)
            )
            batch[Referral].append(
                _referral(referral_id, case_id, partner, team_ids[team], owner, sent, state, rng)
                | {"overdue_at": sent + timedelta(hours=72) if overdue else None}
                | {"reference": f"{number // 10_000:04d}-{number % 10_000:04d}", "packet": packet}
            )
            if to_partner:
                read = None if rng.random() < UNREAD_SHARE else sent + timedelta(hours=1)
                batch[Notice].append(
                    {
                        "id": uuid.UUID(int=rng.getrandbits(128)),
                        "user_id": staff,
                        "kind": "referral.received",
                        "referral_id": referral_id,
                        "created_at": sent,
                        "read_at": read,
                    }
                )
            if len(batch[Referral]) >= BATCH:
                _flush(store, batch)
        _flush(store, batch)
        store.commit()
    analyse(app)
    return seeded


def _person(
    person_id: uuid.UUID, key_id: uuid.UUID, team: uuid.UUID, owner: uuid.UUID, at: datetime
) -> dict[str, Any]:
    return {
        "id": person_id,
        "data_key_id": key_id,
        "team_id": team,
        "created_by": owner,
        "languages": (),
        "possibly_minor": False,
        "legal_hold": False,
        "created_at": at,
        "last_activity_at": at,
        "retention_until": at + timedelta(days=730),
    }


def _case(
    case_id: uuid.UUID,
    person_id: uuid.UUID,
    team: uuid.UUID,
    owner: uuid.UUID,
    at: datetime,
    open_case: bool,
    rng: random.Random,
) -> dict[str, Any]:
    status = rng.choice(("active", "follow_up") if open_case else ("closed", "closed_referred"))
    return {
        "id": case_id,
        "person_id": person_id,
        "team_id": team,
        "owner_id": owner,
        "status": status,
        "consent": {"referral": True, "screening": True, "share": ["given_name"]},
        "needs": ("shelter",),
        "urgent": rng.random() < URGENT_SHARE,
        "classification": "indicators_present",
        "opened_at": at,
        "updated_at": at + timedelta(minutes=rng.randrange(60 * 24 * 30)),
        "outcome": None if open_case else "services_provided",
        "closed_at": None if open_case else at + timedelta(days=30),
    }


def _referral(
    referral_id: uuid.UUID,
    case_id: uuid.UUID,
    partner: uuid.UUID,
    team: uuid.UUID,
    sender: uuid.UUID,
    at: datetime,
    state: str,
    rng: random.Random,
) -> dict[str, Any]:
    answered = at + timedelta(hours=rng.randrange(1, 72)) if state != "pending" else None
    return {
        "id": referral_id,
        "case_id": case_id,
        "partner_id": partner,
        "team_id": team,
        "sent_by": sender,
        "state": state,
        "urgency": "urgent" if rng.random() < URGENT_SHARE else "normal",
        "services": ("shelter",),
        "share": ("given_name",),
        "decline_reason": "no_capacity" if state == "declined" else None,
        "outcome": "services_provided" if state == "closed" else None,
        "basis": "consent",
        "created_at": at,
        "updated_at": answered or at,
        "due_at": at + timedelta(hours=72),
        "answered_at": answered if state in ("accepted", "declined", "closed") else None,
    }


def _flush(store: Any, batch: dict[Any, list[dict[str, Any]]]) -> None:
    # In the order the foreign keys need: people, their cases, referrals, notices.
    for model in (Person, Case, Referral, Notice):
        if batch[model]:
            store.execute(sa.insert(model.__table__), batch[model])
            batch[model] = []


def analyse(app: Flask) -> None:
    """Give the planner fresh statistics (and PostgreSQL's visibility map, which lets a
    count read an index alone), as autovacuum would after a day of work."""
    engine = app.extensions["passage.engine"]
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
