"""``flask --app wsgi reports ...``: file the waiting statistics facts (cron), rebuild the
reports' pre-aggregates, and export a published report as CSV or JSON, audited and
registered like a download."""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import version
from pathlib import Path
from typing import TextIO

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.datastructures import MultiDict

from core import clock, db
from reporting import aggregates, catalogue, exports, facts, output, overlap
from reporting.forms import ReportFilterForm

reports_cli = AppGroup(
    "reports", help="Statistics: file facts, refresh pre-aggregates, export reports."
)


@reports_cli.command("flush")
@click.option(
    "--force", is_flag=True, help=f"File the facts even when fewer than {facts.BATCH} are waiting."
)
def flush_command(force: bool) -> None:
    """File the waiting facts in one shuffled batch (run daily from cron)."""
    store = db.session()
    filed = facts.flush(store, force)
    store.commit()
    click.echo(f"filed {filed} facts")


@reports_cli.command("export-htcds")
@click.option("--recipient", required=True, help="The partner organisation's slug.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="A new folder for the CSV files and datadictionary.json.",
)
def export_htcds_command(recipient: str, out_dir: str) -> None:
    """Write the HTCDS 2.0 export for one partner organisation in standing: the cases
    referred to it whose person still agrees, with only what each consent shares with it."""
    store = db.session()
    try:
        manifest = exports.release_htcds(
            store, recipient, Path(out_dir), version("passage"), catalogue.threshold(), clock.now()
        )
    except LookupError as error:
        raise click.UsageError(str(error)) from None
    except exports.NotInStanding as error:
        raise click.ClickException(str(error)) from None
    except FileExistsError as error:
        raise click.UsageError(f"{error.filename} exists already: give a new folder") from None
    except OSError as error:
        store.rollback()
        raise click.ClickException(f"cannot write {out_dir}: {error.strerror}") from None
    store.commit()
    for name, entry in manifest.items():
        click.echo(f"{name}\t{entry['rows']}\t{entry['sha256']}")


@reports_cli.command("refresh")
def refresh_command() -> None:
    """Rebuild every report's pre-aggregates from all the facts (after an upgrade, or to
    check them: the numbers published do not change)."""
    store = db.session()
    reports = catalogue.aggregated()
    written = aggregates.rebuild(store, reports)
    store.commit()
    click.echo(f"wrote {written} pre-aggregated rows for {len(reports)} reports")


def _open_now(out: TextIO) -> None:
    """Open a lazily opened --out file now (click.File opens a file to write on its first
    write): one that cannot be written is refused before the release is recorded. The file
    is made private (0600) before anything is written to it, whatever the umask, as the
    HTCDS files and backups are: a CTDC file holds a row per person."""
    opener = getattr(out, "open", None)
    if callable(opener):
        opener()
        os.chmod(out.name, 0o600)


@reports_cli.command("export")
@click.argument("name")
@click.option("--format", "form", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--since", default="", help="First month, YYYY-MM.")
@click.option("--until", default="", help="Last month, YYYY-MM.")
@click.option("--country", default="", help="Two-letter country code.")
@click.option("--team", default="", help="Team id.")
@click.option("--out", type=click.File("w"), default="-", help="File to write (default: stdout).")
@click.option(
    "--suppress",
    is_flag=True,
    help="Exact counts with audited complementary suppression (slow: offline "
    "publication of a table with its totals).",
)
def export_command(
    name: str,
    form: str,
    since: str,
    until: str,
    country: str,
    team: str,
    out: TextIO,
    suppress: bool,
) -> None:
    """Write one published report, or ``ctdc``: the CTDC contribution file (every team: run
    by the operator, as an analyst would)."""
    report = catalogue.CATALOGUE.get(name)
    if report is None and name != exports.CTDC:
        raise click.UsageError(
            f"no report {name!r}; one of: {', '.join([*catalogue.CATALOGUE, exports.CTDC])}"
        )
    store = db.session()
    k = catalogue.threshold()
    with current_app.test_request_context():
        filters_form = ReportFilterForm(
            formdata=MultiDict({"since": since, "until": until, "country": country, "team": team})
        ).with_teams(store, all_teams=True)
        if not filters_form.validate():
            raise click.UsageError(
                "; ".join(
                    f"{field}: {' '.join(map(str, errors))}"
                    for field, errors in filters_form.errors.items()
                )
            )
        filters = filters_form.filters()
        if report is None and form != "csv":
            raise click.UsageError("the CTDC file is CSV only")
        # Before the file is opened: a refused release leaves no file behind either.
        if report is None or suppress:
            try:
                overlap.refuse_overlap(
                    store,
                    exports.CTDC if report is None else report.name,
                    "k_anonymous" if report is None else "suppress",
                    filters.as_dict(),
                    clock.now(),
                )
            except overlap.ReleasedBefore as error:
                raise click.ClickException(str(error)) from None
        _open_now(out)
        if report is None:
            text, _digest = exports.release_ctdc(store, None, "cli", filters, k, clock.now())
            store.commit()
            out.write(text)
            return
        table = catalogue.published(store, report, filters, k, audited=suppress)
        rows = output.rows(table)
        text = (
            output.to_csv(table)
            if form == "csv"
            else json.dumps(
                output.document(report.name, report.version, filters.as_dict(), table), indent=2
            )
            + "\n"
        )
    output.record_table_release(
        store,
        user_id=None,
        channel="cli",
        report=report,
        filters=filters.as_dict(),
        table=table,
        form=form,
        content=text.encode(),
        now=clock.now(),
    )
    store.commit()
    out.write(text)
    if out is not sys.stdout:
        click.echo(f"wrote {len(rows)} rows", err=True)
