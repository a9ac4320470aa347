"""Migration 0009 moves each partner's vetting onto its organisation, the one record of its
standing, and back again on downgrade, without losing a suspension."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command

from core.cli import alembic_config, upgrade

ORGANISATIONS = {  # slug: (active, vetting of its directory entry or None when it has none)
    "vetted": (True, ("vetted", date(2027, 1, 31))),
    "lapsed": (True, ("vetted", date(2025, 1, 31))),
    "pending": (True, ("pending", None)),
    "deactivated": (False, ("vetted", date(2027, 1, 31))),
    "no-entry": (True, None),
    "no-entry-off": (False, None),
}


ORG = sa.table(
    "partner_organisations",
    sa.column("id", sa.Uuid()),
    sa.column("slug", sa.String()),
    sa.column("name", sa.String()),
    sa.column("active", sa.Boolean()),
    sa.column("vetting_status", sa.String()),
    sa.column("vetting_valid_until", sa.Date()),
)
PROFILE = sa.table(
    "partner_profiles",
    *(sa.column(n, sa.Uuid()) for n in ("id", "organisation_id", "data_key_id")),
    sa.column("vetting_status", sa.String()),
    sa.column("vetting_valid_until", sa.Date()),
    *(sa.column(n, sa.String()) for n in ("services", "populations", "languages")),
    sa.column("capacity", sa.Integer()),
    sa.column("updated_at", sa.DateTime()),
)
KEY = sa.table(
    "data_keys",
    sa.column("id", sa.Uuid()),
    sa.column("purpose", sa.String()),
    sa.column("created_at", sa.DateTime()),
)


def test_vetting_moves_to_the_organisation_and_back(app: Any) -> None:
    config = alembic_config(app)
    engine = app.extensions["passage.engine"]
    command.downgrade(config, "0006")
    now = datetime(2026, 3, 2, 9, 0)
    with engine.begin() as connection:
        for slug, (active, vetting) in ORGANISATIONS.items():
            organisation = uuid.uuid4()
            connection.execute(
                sa.insert(ORG).values(id=organisation, slug=slug, name=slug, active=active)
            )
            if vetting is None:
                continue
            key = uuid.uuid4()
            connection.execute(sa.insert(KEY).values(id=key, purpose="partner", created_at=now))
            connection.execute(
                sa.insert(PROFILE).values(
                    id=uuid.uuid4(),
                    organisation_id=organisation,
                    vetting_status=vetting[0],
                    vetting_valid_until=vetting[1],
                    services="",
                    populations="",
                    languages="",
                    capacity=0,
                    data_key_id=key,
                    updated_at=now,
                )
            )

    command.upgrade(config, "0009")
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(ORG.c.slug, ORG.c.vetting_status, ORG.c.vetting_valid_until)
        ).all()
        assert {slug: (status, until) for slug, status, until in found} == {
            "vetted": ("vetted", date(2027, 1, 31)),
            "lapsed": ("vetted", date(2025, 1, 31)),
            "pending": ("pending", None),
            "deactivated": ("suspended", date(2027, 1, 31)),
            "no-entry": ("pending", None),
            "no-entry-off": ("suspended", None),
        }
        assert "vetting_status" not in {
            c["name"] for c in sa.inspect(connection).get_columns("partner_profiles")
        }

    command.downgrade(config, "0006")
    with engine.connect() as connection:
        assert dict(connection.execute(sa.select(ORG.c.slug, ORG.c.active)).all()) == {
            "vetted": True,
            "lapsed": True,
            "pending": True,
            "deactivated": False,
            "no-entry": True,
            "no-entry-off": False,
        }
        assert sorted(
            connection.execute(
                sa.select(PROFILE.c.vetting_status, PROFILE.c.vetting_valid_until)
            ).all(),
            key=lambda row: (row[0], row[1] or date.min),
        ) == [
            ("pending", None),
            ("suspended", date(2027, 1, 31)),
            ("vetted", date(2025, 1, 31)),
            ("vetted", date(2027, 1, 31)),
        ]
    upgrade(app)
