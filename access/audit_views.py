"""Auditors' pages: the audit log filtered and paginated, its CSV export, and verification.

Auditors see ids, actions and outcomes, never personal data; nobody else reads the log.
Every look at the log is itself audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context

from access import audit, audit_chain, refusals
from access.forms import AuditFilterForm
from access.guard import requires
from core import db, paging
from core.csvcells import safe_cell
from core.ratelimit import per_user_and_address

bp = Blueprint("audit", __name__, url_prefix="/audit")

CSV_COLUMNS = ("id", *audit_chain.FIELDS, "prev_mac", "mac")


# The web page shows at most this many events (about 45 KB of HTML); the API up to 500.
WEB_MOST_PER_PAGE = 100


def _form() -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    form.most_per_page = WEB_MOST_PER_PAGE
    return form


PAGE_ARGUMENTS = ("page", "after", "before")  # the pages' links carry their own


@bp.route("/events")
@per_user_and_address("audit_rate_limit")
@requires("audit.read")
def events() -> Any:
    """Audit events, newest first, with filters; bad filters or paging show the form with
    its errors (400), as the reports do."""
    form = _form()
    page, wrong = paging.problems(most=WEB_MOST_PER_PAGE)
    args = {k: v for k, v in request.args.items() if k not in PAGE_ARGUMENTS}
    if not form.validate() or wrong:
        return render_template("audit/events.html", form=form, shown=None, args=args), 400
    store = db.session()
    shown = audit.read_page(store, form.filters(), page, via="web")
    refused = refusals.refused_counts(
        store, [audit.window_of(row) for row in shown.rows if row.action == "rate_limited"]
    )
    store.commit()
    return render_template(
        "audit/events.html",
        form=form,
        shown=shown,
        args=args,
        refused=refused,
        window_of=audit.window_of,
    )


@bp.route("/events.csv")
@per_user_and_address("audit_rate_limit")
@per_user_and_address("export_rate_limit")
@requires("audit.read", step_up=True)
def export() -> Any:
    """The filtered events as CSV, streamed in the order they were written."""
    form = _form()
    if not form.validate():
        return render_template("audit/events.html", form=form, shown=None, args={}), 400
    store = db.session()
    audit.record(
        store, "audit.exported", details={k: str(v) for k, v in form.filters().items() if v}
    )
    store.commit()
    filters = form.filters()
    response = Response(stream_with_context(_csv_lines(filters)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="passage-audit.csv"'
    return response


def _csv_lines(filters: dict[str, Any]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in audit.iter_all(db.session(), filters):
        data = audit.as_dict(row)
        writer.writerow([safe_cell(data[name]) for name in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@bp.route("/verify")
@per_user_and_address("audit_rate_limit")
@requires("audit.read")
def verify() -> str:
    """Walk the chain now and show whether it holds."""
    store = db.session()
    result = audit.run_verification(store, via="web")
    store.commit()
    return render_template("audit/verify.html", result=result)
