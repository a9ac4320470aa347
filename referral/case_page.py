"""The case page, put together for every view that shows it: after a GET, and again with
the errors of a form that was refused (referring, closing, reopening, a note)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user
from flask_wtf import FlaskForm

from access.forms import ActionForm
from access.policy import authorize
from core import clock, db
from referral import basis, cases, matching, notes, referrals
from referral.case_forms import CloseCaseForm, LinkForm, NoteForm, ReferForm, ReopenForm
from referral.presenting import identity_or_none

# The forms of the case page, each blank unless a refused one is handed back.
FORMS: dict[str, type[FlaskForm]] = {"refer": ReferForm, "close": CloseCaseForm,
                                     "reopen": ReopenForm, "note": NoteForm}


def render(case: Any, status: int = 200, **refused: FlaskForm) -> tuple[str, int]:
    """The case page, with ``refused`` forms (by name) showing their errors."""
    store, now = db.session(), clock.now()
    forms = {name: refused.get(name) or form(formdata=None) for name, form in FORMS.items()}
    who = identity_or_none(store, case)
    given = cases.consent(case)
    matches = matching.matches(store, case, now.date(), who.region if who else None) \
        if cases.is_open(case) else []
    sent = referrals.of_case(store, case)
    child = matching.is_child(store, case)
    refer = forms["refer"]
    refer.limit([(m.slug, m.name) for m in matches], basis.shareable(given, child))
    if not refer.services.data:
        refer.services.data = list(cases.needs(case))
    suggestion = matching.next_partner(sent, matches, matching.partner_slugs(store))
    earlier = cases.earlier_cases(store, current_user, case, who, now.date()) if who else []
    body = render_template(
        "referral/case.html", case=case, who=who, consent=given, child=child,
        protection_fields=basis.PROTECTION_FIELDS, needs=cases.needs(case),
        screenings=cases.screenings_of(store, case), referrals=sent,
        open_referrals=[r for r in sent if r.state in referrals.OPEN],
        names=matching.partner_names(store), matches=matches, suggestion=suggestion,
        earlier=earlier, link=LinkForm(formdata=None), action=ActionForm(formdata=None),
        case_notes=notes.of_case(store, case)
        if authorize(current_user, "cases.notes", case) else [],
        **forms)
    store.commit()
    return body, status
