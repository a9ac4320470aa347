"""Alembic: ``upgrade head`` gives exactly the models' schema, and every revision goes down
and up again, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.cli import alembic_config, upgrade
from core.db import Base


def test_upgrade_head_matches_the_models(app: Any) -> None:
    with app.extensions["passage.engine"].connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_every_revision_downgrades_and_upgrades(app: Any) -> None:
    # Walks the run's own database (SQLite, or PostgreSQL in CI) down to nothing and back.
    config = alembic_config(app)
    revisions = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]
    upgrade(app)
    for revision in revisions:  # newest first
        command.downgrade(config, f"{revision}-1" if revision != revisions[-1] else "base")
    upgrade(app)
    with app.extensions["passage.engine"].connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
