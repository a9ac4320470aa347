"""``flask --app wsgi partners import FILE.json``, ``partners list`` and
``referrals escalate``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from core import clock, db
from referral import directory, referrals

partners_cli = AppGroup("partners", help="Load and list the partner directory.")


@partners_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_partners_command(file: Any) -> None:
    """Create or update the partners in FILE (a JSON list, HSDS-shaped); all or nothing."""
    try:
        data = json.load(file)
    except ValueError as error:
        click.echo(f"error: not JSON ({error})", err=True)
        sys.exit(1)
    store = db.session()
    try:
        counts = directory.import_partners(store, data, clock.now())
    except directory.DirectoryError as error:
        store.rollback()
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    store.commit()
    click.echo(f"{counts['created']} partners created, {counts['updated']} updated")


@partners_cli.command("list")
def list_partners_command() -> None:
    """List partners with vetting, services, areas and free capacity."""
    today = clock.now().date()
    for profile in directory.profiles(db.session()):
        partner = directory.for_routing(profile)
        state = "offered" if directory.offered(profile, today) else "not offered"
        areas = " ".join(f"{c}/{r}" if r else c for c, r in partner.areas) or "-"
        click.echo(f"{partner.slug}\t{profile.vetting_status} until "
                   f"{profile.vetting_valid_until or '-'} ({state})\t"
                   f"{','.join(sorted(partner.services)) or '-'}\t{areas}\t"
                   f"capacity {partner.capacity}")


DEMO_DIRECTORY = Path(__file__).parent / "data" / "demo_partners.json"


def load_demo_directory(store: Session, now: datetime) -> None:
    """The synthetic partner directory ``demo`` loads for ``make run``."""
    counts = directory.import_partners(store, json.loads(DEMO_DIRECTORY.read_text("utf-8")),
                                       now)
    click.echo(f"Demo partner directory: {sum(counts.values())} partners working in GR, IT, "
               "ES and FR; give one of those as the person's country to see partners matched.")


referrals_cli = AppGroup("referrals", help="Apply partner standing and referral deadlines.")


@referrals_cli.command("escalate")
def escalate_command() -> None:
    """Withdraw the open referrals of partners out of standing (a lapsed vetting included)
    and end their staff's sessions and tokens; mark unanswered referrals past their deadline
    overdue (their senders' supervisors are told) and expire those left too long. Safe to
    run from cron as often as wanted."""
    store = db.session()
    counts = referrals.escalate(store, clock.now(),
                                referrals.Deadlines.from_config(current_app.config))
    store.commit()
    click.echo(f"{counts['overdue']} overdue, {counts['expired']} expired, "
               f"{counts['withdrawn']} withdrawn")
