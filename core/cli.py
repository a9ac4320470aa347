"""``flask --app wsgi init-db``: create missing keys, then create or migrate the schema, and on
PostgreSQL give the service's own role its rights (core/db_grants.py)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app

from core import db_grants, keys


def alembic_config(app: Flask) -> Config:
    """An Alembic configuration for ``app``'s database and Passage's migrations folder."""
    config = Config()
    config.set_main_option("script_location", str(Path(app.root_path) / "migrations"))
    config.attributes["engine"] = app.extensions["passage.engine"]
    return config


def private_instance(app: Flask) -> None:
    """Create the instance folder if need be and make it 0700 whatever the umask: it holds
    the configuration, the keys and the SQLite database."""
    folder = Path(app.instance_path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def upgrade(app: Flask, revision: str = "head") -> None:
    """Bring ``app``'s database to ``revision``."""
    private_instance(app)
    command.upgrade(alembic_config(app), revision)


@click.command("init-db")
@click.option(
    "--service-role",
    metavar="NAME",
    help="PostgreSQL: the role the service runs as; it is given exactly its rights (R51).",
)
def init_db_command(service_role: str | None) -> None:
    """Create missing key files, then create or migrate the schema (Alembic upgrade head);
    with ``--service-role``, grant that role what the service needs and nothing more."""
    private_instance(current_app)
    for name in keys.create_missing(current_app):
        click.echo(f"created key {keys.key_dir(current_app) / name}")
    upgrade(current_app)
    click.echo("database is at the latest schema")
    if service_role is not None:
        try:
            count = db_grants.grant_service_role(
                current_app.extensions["passage.engine"], service_role
            )
        except db_grants.GrantError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"role {service_role} may use the {count} tables as the service needs, no more")


def init_app(app: Flask) -> None:
    """Register the command."""
    app.cli.add_command(init_db_command)
