"""``flask --app wsgi partners import FILE.json``, ``partners list``, ``referrals escalate``
and ``notices send [--watch]``."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core import clock, db, mail, settings
from referral import directory, directory_import, endings, outbox, referrals, routing

log = logging.getLogger(__name__)

partners_cli = AppGroup("partners", help="Load and list the partner directory.")


@partners_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_partners_command(file: Any) -> None:
    """Create or update the partners in FILE (a JSON list, HSDS-shaped); all or nothing."""
    try:
        data = json.load(file)
    except UnicodeDecodeError:
        click.echo("error: not UTF-8 text", err=True)
        sys.exit(1)
    except ValueError as error:
        click.echo(f"error: not JSON ({error})", err=True)
        sys.exit(1)
    store = db.session()
    try:
        counts = directory_import.import_partners(store, data, clock.now())
    except directory.DirectoryError as error:
        store.rollback()
        for where, problem in error.fields.items():
            click.echo(f"error: {where}: {problem}", err=True)
        sys.exit(1)
    store.commit()
    click.echo(f"{counts['created']} partners created, {counts['updated']} updated")


@partners_cli.command("list")
def list_partners_command() -> None:
    """List partners with vetting, services, areas and free capacity."""
    today, store = clock.now().date(), db.session()
    answering = directory.staffed(store)
    for profile in directory.profiles(store):
        partner = directory.for_routing(profile, answering)
        why = routing.not_offered(partner, today)
        state = {None: "offered", "no_staff": "not offered: no staff account yet"}.get(
            why, "not offered"
        )
        areas = " ".join(f"{c}/{r}" if r else c for c, r in partner.areas) or "-"
        click.echo(
            f"{partner.slug}\t{profile.vetting_status} until "
            f"{profile.vetting_valid_until or '-'} ({state})\t"
            f"{','.join(sorted(partner.services)) or '-'}\t{areas}\t"
            f"capacity {partner.capacity}"
        )


DEMO_DIRECTORY = Path(__file__).parent / "data" / "demo_partners.json"


def load_demo_directory(store: Session, now: datetime) -> None:
    """The synthetic partner directory ``demo`` loads for ``make run``."""
    counts = directory_import.import_partners(
        store, json.loads(DEMO_DIRECTORY.read_text("utf-8")), now
    )
    click.echo(
        f"Demo partner directory: {sum(counts.values())} partners working in GR, IT, "
        "ES and FR; give one of those as the person's country to see partners matched."
    )


referrals_cli = AppGroup("referrals", help="Apply partner standing and referral deadlines.")


@referrals_cli.command("escalate")
def escalate_command() -> None:
    """Withdraw the open referrals of partners out of standing (a lapsed vetting included)
    and end their staff's sessions and tokens; mark unanswered referrals past their deadline
    overdue (their senders' supervisors are told) and expire those left too long. Safe to
    run from cron as often as wanted."""
    store = db.session()
    counts = endings.escalate(
        store, clock.now(), referrals.Deadlines.from_settings(settings.current())
    )
    store.commit()
    click.echo(
        f"{counts['overdue']} overdue, {counts['expired']} expired, {counts['withdrawn']} withdrawn"
    )


notices_cli = AppGroup("notices", help="Send the e-mails of notices.")


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[name]} {name}" for name in outbox.RESULTS)


@notices_cli.command("send")
@click.option(
    "--watch",
    is_flag=True,
    help="Keep running, looking for e-mails every --interval seconds, until "
    "stopped (SIGTERM or Ctrl-C).",
)
@click.option(
    "--interval",
    # At most a day: a longer wait overflows the platform's timer (an OverflowError).
    type=click.FloatRange(min=0.1, max=86_400),
    default=10.0,
    show_default=True,
    help="Seconds between looks with --watch.",
)
def send_command(watch: bool, interval: float) -> None:
    """Send the e-mails of notices that are due: from cron every minute or so, or once with
    --watch. Failed e-mails are tried again later; ones that keep failing, or whose send was
    cut off, wait for an administrator (the E-mail page). Exits 1 when the relay cannot be
    reached."""
    config = settings.current()
    if not mail.configured(config):
        click.echo("error: MAIL_SERVER is not set, so no e-mail can be sent", err=True)
        sys.exit(1)
    if not watch:
        counts = outbox.send_due(db.session(), config, clock.now)
        click.echo(_summary(counts))
        if counts["unreachable"]:
            click.echo(
                "error: the mail relay could not be reached; the rest wait for the next run",
                err=True,
            )
            sys.exit(1)
        return
    _watch(interval)
    click.echo("stopped")


def _watch(interval: float) -> None:
    """Send what is due every ``interval`` seconds until SIGTERM or SIGINT; a send under
    way is finished and recorded first, so stopping never leaves a claim behind."""
    stopping = threading.Event()
    previous = {
        number: signal.signal(number, lambda *_args: stopping.set())
        for number in (signal.SIGTERM, signal.SIGINT)
    }
    store = db.session()
    try:
        while not stopping.is_set():
            try:
                counts = outbox.send_due(store, settings.current(), clock.now, stopping.is_set)
            except SQLAlchemyError as error:
                # The database restarting must not end the sender: try again next time.
                store.rollback()
                log.warning("notices send: database error %s", type(error).__name__)
            else:
                if any(counts.values()):
                    click.echo(_summary(counts))
            stopping.wait(interval)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
