"""Keys and backups from the command line, audited: ``keys rotate`` and ``keys status`` (master
keys per period, core/rotation.py) and ``backup create`` and ``backup restore``
(core/backup.py). What they promise and the restore drill are in docs/operations.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask, current_app
from flask.cli import AppGroup

from access import audit
from core import backup, clock, datakeys, db, keys, rotation, settings
from core.cli import alembic_config, upgrade

keys_cli = AppGroup("keys", help="Rotate master keys per period; show their dates.")
backup_cli = AppGroup("backup", help="Back up and restore the database (never the keys).")


def _app() -> Flask:
    # Flask types current_app as the Flask it stands for, hiding the proxy's own method.
    return current_app._get_current_object()  # type: ignore[attr-defined, no-any-return]


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


@keys_cli.command("rotate")
@click.option(
    "--now", "force", is_flag=True, help="Make a new master key even if the newest is recent."
)
def rotate_keys_command(force: bool) -> None:
    """Make a new master key when the newest is MASTER_KEY_PERIOD_DAYS old, re-wrap every data
    key under the newest, and destroy master keys retired longer than BACKUP_RETENTION_DAYS.

    Safe to run daily from cron, to repeat and to interrupt: a re-run finishes the job.
    """
    store = db.session()

    def announce(action: str, details: dict[str, Any]) -> None:
        audit.record(store, action, details=details)
        store.commit()

    try:
        run = rotation.rotate(_app(), store, clock.now(), announce, force=force)
    except keys.MissingKeyError as error:
        raise click.ClickException(str(error)) from error
    audit.record(
        store,
        "keys.rotated",
        details={
            "to_version": run.target,
            "added": run.added,
            "rewrapped": run.rewrapped,
            "destroyed": run.destroyed,
        },
    )
    store.commit()
    click.echo(f"{'new master key' if run.added else 'current master key'}: version {run.target}")
    click.echo(f"re-wrapped {run.rewrapped} data keys")
    click.echo(f"destroyed master key versions {run.destroyed or 'none'}")
    for version, moment in sorted(run.waiting.items()):
        click.echo(f"kept version {version} for backups until {_day(moment)}")
    if run.add_to_environment:
        click.echo(f"due: add version {run.target + 1} to {keys.MASTER_ENV}", err=True)
    if run.remove_from_environment:
        click.echo(
            f"due: remove versions {run.remove_from_environment} from {keys.MASTER_ENV}", err=True
        )
    if run.added or run.destroyed:
        click.echo(
            "master keys changed: replace the copy of the key folder kept apart now", err=True
        )


@keys_cli.command("status")
def key_status_command() -> None:
    """List master key versions: held or not, live data keys, dates, when each may go."""
    click.echo("version\tstate\tdata keys\tcreated\tretired\tdestroyed\tdestroy after")
    for row in rotation.status(_app(), db.session()):
        state = "held" if row.held else "destroyed" if row.entry.destroyed else "missing"
        dates = (row.entry.created, row.entry.retired, row.entry.destroyed, row.destroy_after)
        click.echo(f"{row.version}\t{state}\t{row.data_keys}\t" + "\t".join(_day(d) for d in dates))


@backup_cli.command("create")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="A new file."
)
def create_backup_command(out: Path) -> None:
    """Write the whole database to a new file (mode 600); the keys are never in it."""
    url = settings.current().database_url
    store = db.session()
    try:
        # Refused before anything is recorded: a file name that cannot be used is not a backup.
        backup.check_new_file(out)
        kind = backup.engine_name(url)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    try:
        # Recorded first, so the backup holds the record of its own making.
        audit.record(store, "backup.created", details={"engine": kind})
        store.commit()
        backup.create(url, out)
    except backup.BackupError as error:
        store.rollback()
        audit.record(store, "backup.created", "failed", details={"reason": "error"})
        store.commit()
        raise click.ClickException(str(error)) from error
    click.echo(f"backup written to {out} ({out.stat().st_size} bytes)")
    click.echo("it holds no key: keep the key folder's copy apart from it", err=True)


@backup_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the whole database with the backup.")
def restore_backup_command(file: Path, yes: bool) -> None:
    """Replace the whole database with a backup, then migrate it to the latest schema.

    Stop the service first. Everything since the backup is lost, the audit log included:
    signed checkpoints taken after the backup will then report `truncated`.
    """
    app, url = _app(), settings.current().database_url
    try:
        revision = backup.revision(url, file)
        ScriptDirectory.from_config(alembic_config(app)).get_revision(revision)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    except CommandError as error:
        raise click.ClickException(
            f"{file} was made by a newer Passage (schema {revision}): restore it with that one"
        ) from error
    if not yes:
        raise click.ClickException(
            f"this replaces the whole database with {file}: everything since the backup is "
            "lost, the audit log included. Stop the service, then run again with --yes"
        )
    store = db.session()
    if sa.inspect(db.engine()).has_table("audit_head"):
        audit.record(store, "backup.restore_started", details={"revision": revision})
        store.commit()
    store.close()
    db.engine().dispose()
    try:
        backup.restore(url, file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    db.engine().dispose()
    upgrade(app)
    # The restored data keys go under the newest master key at once, before the service
    # starts and before any backup of the restored database can be taken: then no copy made
    # from now on holds them under an older master key, and that key's retirement date, kept
    # in the ledger, stands. Left to the next `keys rotate`, they would restart it, and every
    # older backup under that key would outlive the erasure bound (docs/operations.md).
    target = keys.keyring().master_version
    moved = datakeys.rewrap(store, target)
    audit.record(
        store,
        "backup.restored",
        details={"revision": revision, "rewrapped": moved, "master_version": target},
    )
    store.commit()
    click.echo(f"restored {file} (schema {revision}, now migrated to the latest)")
    click.echo(f"moved {moved} restored data keys under master key version {target}")
    _report_data_keys(store)


def _report_data_keys(store: Any) -> None:
    ring, in_use = keys.keyring(), datakeys.versions_in_use(store)
    readable = sum(count for version, count in in_use.items() if version in ring.master)
    gone = sum(count for version, count in in_use.items() if version in ring.destroyed)
    missing = sorted(v for v in in_use if v not in ring.master and v not in ring.destroyed)
    click.echo(f"data keys: {readable} readable, {gone} under destroyed master keys")
    if missing:
        click.echo(
            f"master key versions {missing} are missing: put back the key folder copy "
            "that holds them",
            err=True,
        )
    click.echo(
        "run `retention apply` now; auditors' checkpoints taken after the backup will report "
        "`truncated` (see the restore drill)",
        err=True,
    )
