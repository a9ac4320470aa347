"""``flask --app wsgi retention apply [--dry-run]``: crypto-shred records past retention."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core import clock, db
from screening import retention

retention_cli = AppGroup("retention", help="Apply the retention period.")


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="Only count what would be shredded.")
def apply_retention_command(dry_run: bool) -> None:
    """Crypto-shred every person whose retention date has passed (cron-friendly)."""
    store = db.session()
    ids = retention.apply(store, clock.now(), dry_run)
    store.commit()
    verb = "would shred" if dry_run else "shredded"
    click.echo(f"{verb} {len(ids)} records")
    for person_id in ids:
        click.echo(f"  {person_id}")
