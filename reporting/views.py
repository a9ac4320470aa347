"""The report pages: the catalogue, one report as a chart beside a table of the same
published numbers with the rule under it, its CSV download, and the release register.
Every number here comes from reporting.catalogue.published (docs/reporting.md §2–§3)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from access import services
from access.guard import requires
from core import clock, db, i18n, paging
from core.ratelimit import per_user_and_address
from reporting import (
    catalogue,
    definition,
    disclosure,
    exports,
    findings,
    labels,
    output,
    overlap,
    tables,
)
from reporting.definition import Report
from reporting.forms import ReportFilterForm
from reporting.tables import PublishedTable

bp = Blueprint("reports", __name__, url_prefix="/reports")
PER_PAGE = 50  # entries of the release register a page shows
NAMED = ("partner", "country")  # dimensions the pages show by name where the CSV keeps codes


def _report(name: str) -> Report:
    report = catalogue.readable(current_user, name)
    if report is None:
        abort(404)
    return report


def _form() -> ReportFilterForm:
    return ReportFilterForm(formdata=request.args).with_teams(
        db.session(), current_user.role in definition.ALL_TEAMS
    )


@bp.route("/")
@requires("stats.read")
def index() -> str:
    """The reports this reader may open."""
    return render_template("reporting/index.html", reports=catalogue.visible(current_user))


@bp.route("/<name>")
@requires("stats.read")
def show(name: str) -> Any:
    """One report, filtered: chart, table and the rule that protected them."""
    report = _report(name)
    form = _form()
    if not form.validate():
        return render_template(
            "reporting/report.html", report=report, form=form, table=None, **_words(report)
        ), 400
    asked = form.filters()
    table = catalogue.published(
        db.session(), report, definition.for_user(current_user, asked), catalogue.threshold()
    )
    words = _words(report, table)
    # Rows go in the order of the names shown, not of the codes the CSV keeps.
    for dimension in NAMED:
        if dimension in report.dimensions:
            at = report.dimensions.index(dimension)
            table = tables.ordered_by_name(table, at, words["labels"])
    return render_template(
        "reporting/report.html",
        report=report,
        form=form,
        table=table,
        rule_text=disclosure.rule_text(table.rule),
        args=asked.as_dict(),
        **words,
    )


def _words(report: Report, table: PublishedTable | None = None) -> dict[str, Any]:
    # The page shows names where the table (and its CSV) keep codes: a partner's slug, a
    # country's ISO code.
    words: dict[str, Any] = {
        code: word for d in report.dimensions for code, word in labels.for_dimension(d).items()
    }
    if "partner" in report.dimensions:
        words.update((p.slug, p.name) for p in services.list_partner_organisations(db.session()))
    if table is not None and "country" in report.dimensions:
        at = report.dimensions.index("country")
        words.update(
            (code, i18n.country_name(code))
            for code in (table.categories[at] if len(table.categories) > at else ())
            if code != "unknown"
        )
    return {"labels": words, "dimension_labels": labels.DIMENSIONS, "finding": findings.finding}


@bp.route("/<name>.csv")
@per_user_and_address("export_rate_limit")
@requires("stats.read", step_up=True)
def download(name: str) -> Any:
    """The published table as CSV; the release is audited and registered."""
    report = _report(name)
    form = _form()
    if not form.validate():
        abort(400)
    filters = definition.for_user(current_user, form.filters())
    store = db.session()
    table = catalogue.published(store, report, filters, catalogue.threshold())
    content = output.to_csv(table).encode()
    digest = output.record_table_release(
        store,
        user_id=current_user.id,
        channel="web",
        report=report,
        filters=filters.as_dict(),
        table=table,
        form="csv",
        content=content,
        now=clock.now(),
    )
    store.commit()
    response = Response(content, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="passage-{report.name}-v{report.version}.csv"'
    )
    response.headers["X-Content-SHA256"] = digest
    return response


@bp.route("/exports/ctdc.csv")
@per_user_and_address("export_rate_limit")
@requires("stats.export", step_up=True)
def ctdc_download() -> Any:
    """The CTDC contribution file, k-anonymous; the release is audited and registered."""
    form = _form()
    if not form.validate():
        abort(400)
    store = db.session()
    try:
        text, digest = exports.release_ctdc(
            store, current_user.id, "web", form.filters(), catalogue.threshold(), clock.now()
        )
    except overlap.ReleasedBefore as refused:
        store.rollback()
        flash(str(refused), "error")
        return redirect(url_for("reports.index")), 303
    store.commit()
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="passage-ctdc.csv"'
    response.headers["X-Content-SHA256"] = digest
    return response


@bp.route("/releases")
@requires("stats.releases")
def releases() -> str:
    """The release register: every table or file that left, newest first."""
    page = paging.read(per_page=PER_PAGE, fixed=True)
    entries, total = output.register(db.session(), page.number, page.size)
    return render_template(
        "reporting/releases.html",
        entries=entries,
        total=total,
        page=page.number,
        per_page=page.size,
    )
