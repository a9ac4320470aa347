"""Case work pages: closing a case with an outcome, reopening it with a reason, putting it
into follow-up and back, and writing a note (docs/case-work.md). Each refused form comes back
on the case page with its errors."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound

from access.forms import ActionForm
from access.guard import requires
from access.policy import NotNow
from core import clock, db, settings
from core.errors import RefusedError
from core.web import show_refusal
from referral import case_page, case_status, cases, notes
from referral.case_forms import CloseCaseForm, NoteForm, ReopenForm

bp = Blueprint("case_work", __name__, url_prefix="/cases")


# Where a problem about no field of a form is said: on its one question.
FALLBACK = {"close": "outcome", "reopen": "reason", "note": "text"}


def _refused(
    case_id: uuid.UUID, name: str, form: FlaskForm, error: RefusedError | None = None
) -> Any:
    """The case page with ``form`` (``name`` on the page) refused: by its own checks (400),
    else by the service, its problems on their fields (core.web.show_refusal)."""
    store = db.session()
    store.rollback()
    status = show_refusal(form, error, fallback=FALLBACK[name]) if error else 400
    flash(_l("Nothing was changed. See what to fix below."), "error")
    case = cases.get(store, current_user, case_id, "cases.read")
    return case_page.render(case, status, **{name: form})


@bp.route("/<uuid:case_id>/close", methods=["POST"])
@requires("cases.close")
def close(case_id: uuid.UUID) -> Any:
    """Close the case with how it ended; open referrals go only if the screener says so."""
    store, now = db.session(), clock.now()
    case = cases.get(store, current_user, case_id, "cases.close")
    form = CloseCaseForm()
    if not form.validate():
        return _refused(case_id, "close", form)
    try:
        withdrawn = case_status.close(
            store,
            current_user,
            case,
            form.outcome.data,
            form.withdraw.data,
            now,
            settings.current().retention_days,
        )
    except (RefusedError, NotNow) as error:
        return _refused(case_id, "close", form, error)
    store.commit()
    flash(_l("Case closed; %(count)d open referrals withdrawn.", count=withdrawn), "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/<uuid:case_id>/reopen", methods=["POST"])
@requires("cases.reopen")
def reopen(case_id: uuid.UUID) -> Any:
    """Open a closed case again, saying why."""
    store, now = db.session(), clock.now()
    case = cases.get(store, current_user, case_id, "cases.reopen")
    form = ReopenForm()
    if not form.validate():
        return _refused(case_id, "reopen", form)
    try:
        case_status.reopen(
            store,
            current_user,
            case,
            form.reason.data or "",
            now,
            settings.current().retention_days,
        )
    except (RefusedError, NotNow) as error:
        return _refused(case_id, "reopen", form, error)
    store.commit()
    flash(_l("Case reopened."), "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/<uuid:case_id>/follow-up/<any(on, off):turn>", methods=["POST"])
@requires("cases.manage")
def follow_up(case_id: uuid.UUID, turn: str) -> Any:
    """Put the case into follow-up, or back to active."""
    if not ActionForm().validate():
        raise NotFound()
    store = db.session()
    case = cases.get(store, current_user, case_id, "cases.manage")
    case_status.follow_up(
        store, current_user, case, turn == "on", clock.now(), settings.current().retention_days
    )
    store.commit()
    flash(_l("Case in follow-up.") if turn == "on" else _l("Case active again."), "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/<uuid:case_id>/notes", methods=["POST"])
@requires("cases.notes")
def add_note(case_id: uuid.UUID) -> Any:
    """Write a note on the case (sealed; only the team in charge reads it)."""
    store, now = db.session(), clock.now()
    case = cases.get(store, current_user, case_id, "cases.notes")
    form = NoteForm()
    if not form.validate():
        return _refused(case_id, "note", form)
    try:
        notes.add(
            store,
            current_user,
            case,
            form.text.data or "",
            now,
            settings.current().retention_days,
            form_key=form.once.data or None,
        )
        store.commit()
    except (RefusedError, NotNow) as error:
        return _refused(case_id, "note", form, error)
    flash(_l("Note saved."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#notes")
