"""Case pages for correcting the record (docs/case-work.md "Correcting the record"): the form
correcting the person's details, pre-filled with what is held, and the history of
corrections with the previous values. Authority is asked again at every request."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from access.guard import requires
from access.policy import NotNow
from core import clock, datakeys, db, settings
from core.web import show_refusal
from referral import cases, corrections
from screening import people, person_changes
from screening.forms import CorrectionForm, identity_of

bp = Blueprint("corrections", __name__, url_prefix="/cases")

NOT_CORRECTED = _l("The details were not corrected. See what to fix below.")
# The fields as the history names them: short, unlike the form's labels with their hints.
LABELS = {
    "given_name": _l("Given name"),
    "family_name": _l("Family name"),
    "birth_date": _l("Date of birth"),
    "age": _l("Age"),
    "age_source": _l("How is the age known?"),
    "region": _l("Region or town"),
    "contact": _l("How to contact them"),
    "notes": _l("Notes"),
    "sex": _l("Sex"),
    "nationality": _l("Nationality"),
    "country": _l("Country"),
    "languages": _l("Languages"),
    person_changes.MINOR_FLAG: _l("May be under 18"),
}


def _prefilled(case: Any) -> CorrectionForm | None:
    store = db.session()
    try:
        who = cases.identity(store, case)
    except datakeys.ShreddedError:
        return None
    data = {name: getattr(who, name) for name in person_changes.CORRECTABLE}
    data.update(
        languages=" ".join(who.languages),
        age_source=who.age_source or "",
        sex=who.sex or "",
        possibly_minor=people.child_on_record(cases.person(store, case)),
    )
    return CorrectionForm(formdata=None, data=data)


def _page(case: Any, form: CorrectionForm | None, status: int = 200) -> Any:
    body = render_template("referral/person_correct.html", case=case, form=form)
    db.session().commit()
    return body, status


@bp.route("/<uuid:case_id>/person", methods=["GET", "POST"])
@requires("cases.correct")
def correct(case_id: uuid.UUID) -> Any:
    """The person's details, to correct; what changed is recorded with its previous values."""
    store, now = db.session(), clock.now()
    case = cases.get(store, current_user, case_id, "cases.correct")
    form = CorrectionForm()
    if not form.is_submitted():
        return _page(case, _prefilled(case))
    if not form.validate():
        flash(NOT_CORRECTED, "error")
        return _page(case, form, 400)
    try:
        done = corrections.correct_person(
            store,
            current_user,
            case,
            identity_of(form),
            now,
            settings.current().retention_days,
            possibly_minor=form.possibly_minor.data,
        )
    except person_changes.CorrectionError as error:
        store.rollback()
        status = show_refusal(form, error, fallback="given_name")
        flash(NOT_CORRECTED, "error")
        return _page(cases.get(store, current_user, case_id, "cases.correct"), form, status)
    except datakeys.ShreddedError as error:
        raise NotNow("the person's details are no longer kept") from error
    store.commit()
    if not done.fields:
        flash(_l("Nothing was changed."), "info")
    else:
        flash(_l("Details corrected."), "success")
    if done.withdrawn:
        flash(
            _l(
                "%(count)d open referrals were withdrawn: without the person's consent, only "
                "a child may be referred, and only to child protection.",
                count=done.withdrawn,
            ),
            "info",
        )
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/<uuid:case_id>/person/history")
@requires("cases.history")
def history(case_id: uuid.UUID) -> Any:
    """Every correction of the person's details: when, by whom, which fields, and what they
    held before. Reading it is audited."""
    store = db.session()
    case = cases.get(store, current_user, case_id, "cases.history")
    try:
        entries = corrections.history(store, case)
    except datakeys.ShreddedError:
        entries = None
    form = CorrectionForm(formdata=None)
    rows = [
        (
            entry,
            [
                (LABELS.get(name, name), _shown(form, name, entry.change.previous.get(name)))
                for name in entry.change.fields
            ],
        )
        for entry in entries or ()
    ]
    body = render_template(
        "referral/person_history.html", case=case, rows=rows, shredded=entries is None
    )
    store.commit()
    return body


def _shown(form: CorrectionForm, name: str, value: Any) -> str:
    # Values as the form offers them: a code by its label, a list joined, a flag as yes/no.
    if value is None or value in ("", []):
        return "—"
    if name == person_changes.MINOR_FLAG:
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list):
        return ", ".join(value)
    labels = {choice.value: choice.label for choice in getattr(form[name], "choices", None) or ()}
    return str(labels.get(value, value))
