"""The case page, put together for every view that shows it: after a GET, and again with
the errors of a form that was refused (referring, linking an earlier case, closing,
reopening, a note, a follow-up, a hand-over). A refused form is handed to :func:`render` by
name; the page's own forms are built here, and a section built elsewhere (follow-ups,
hand-over) asks :func:`refused`."""

from __future__ import annotations

from typing import Any

from flask import g, render_template
from flask_login import current_user
from flask_wtf import FlaskForm

from access.forms import ActionForm
from access.policy import authorize
from core import clock, db
from referral import basis, case_links, matching, notes, overview
from referral.case_forms import CloseCaseForm, LinkForm, NoteForm, ReferForm, ReopenForm

# The forms of the case page, each blank unless a refused one is handed back.
FORMS: dict[str, type[FlaskForm]] = {
    "refer": ReferForm,
    "close": CloseCaseForm,
    "reopen": ReopenForm,
    "note": NoteForm,
    "link": LinkForm,
}


def refused(name: str) -> FlaskForm | None:
    """The form ``name`` handed back to this request's case page with its errors, if any."""
    return g.get("refused_forms", {}).get(name)


def render(case: Any, status: int = 200, **refused_forms: FlaskForm) -> tuple[str, int]:
    """The case page, with ``refused_forms`` (by name) showing their errors."""
    store, now = db.session(), clock.now()
    g.refused_forms = refused_forms
    forms = {name: refused_forms.get(name) or form(formdata=None) for name, form in FORMS.items()}
    seen = overview.of(store, case, now.date())
    refer = forms["refer"]
    refer.limit([(m.slug, m.name) for m in seen.matches], basis.shareable(seen.consent, seen.child))
    if not refer.services.data:
        refer.services.data = list(seen.needs)
    earlier = (
        case_links.earlier_cases(store, current_user, case, seen.who, now.date())
        if seen.who
        else []
    )
    body = render_template(
        "referral/case.html",
        case=case,
        who=seen.who,
        consent=seen.consent,
        child=seen.child,
        protection_fields=basis.PROTECTION_FIELDS,
        needs=seen.needs,
        screenings=seen.screenings,
        referrals=seen.referrals,
        open_referrals=seen.open_referrals,
        names=matching.partner_names(store),
        matches=seen.matches,
        suggestion=seen.suggestion,
        earlier=earlier,
        action=ActionForm(formdata=None),
        case_notes=notes.of_case(store, case)
        if authorize(current_user, "cases.notes", case)
        else [],
        **forms,
    )
    store.commit()
    return body, status
