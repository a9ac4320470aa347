"""Hand-over pages for a team's supervisor: the form on the case page that puts another
screener in charge of the case, and "Cases to hand over", the team's open cases whose owner
can no longer work on them, each former owner's moved at once. The rule, the audit and the
notices are ``referral.handover``'s (docs/case-work.md § Hand-over)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import HiddenField, SelectField

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3), so its hints lack it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import UUID, InputRequired

from access import services as access_services
from access.guard import requires
from access.models import User
from core import clock, db
from core.forms import AppForm
from core.web import show_refusal
from referral import case_page, cases, handover

bp = Blueprint("handover", __name__, url_prefix="/cases")


CHOOSE_OWNER = _l("Choose someone from the list.")


class _Owner(AppForm):
    # The choices are for the page; the service decides who may take a case, at the POST.
    owner = SelectField(
        _l("Hand over to"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(CHOOSE_OWNER), UUID(CHOOSE_OWNER)],
    )

    def offer(self, staff: list[User], but: uuid.UUID | None = None) -> None:
        """Offer these members of the team (but not ``but``, who holds the cases now)."""
        self.owner.choices = [SelectChoice(str(u.id), u.email) for u in staff if u.id != but]


class HandOverForm(_Owner):
    """Put another screener of the team in charge of one case."""


class MoveAllForm(_Owner):
    """Put another screener of the team in charge of every open case of a former owner."""

    former = HiddenField(
        validators=[
            InputRequired(_l("Choose whose cases to move.")),
            UUID(_l("Choose whose cases to move.")),
        ]
    )


@dataclass(frozen=True)
class HandOver:
    """What the case page's hand-over part shows: who is in charge, and the form."""

    in_charge: str | None
    form: HandOverForm


@bp.app_context_processor
def hand_over_context() -> dict[str, Any]:
    """``hand_over(case)`` for the case page; it shows only where ``can("cases.hand_over",
    case)``. After a refused hand-over, the form comes back with its errors."""

    def hand_over(case: Any) -> HandOver:
        store = db.session()
        form = case_page.refused("hand_over") or HandOverForm(formdata=None)
        form.offer(handover.candidates(store, case.team_id, clock.now().date()), but=case.owner_id)
        owner = access_services.get_user(store, case.owner_id)
        return HandOver(owner.email if owner else None, form)

    return {"hand_over": hand_over}


@bp.route("/<uuid:case_id>/owner", methods=["POST"])
@requires("cases.hand_over")
def hand_over(case_id: uuid.UUID) -> Any:
    """The team's supervisor puts another screener in charge of the case; both are told."""
    store = db.session()
    case = cases.get(store, current_user, case_id, "cases.hand_over")
    form = HandOverForm()
    status = 400
    if form.validate():
        try:
            handover.hand_over(store, current_user, case, uuid.UUID(form.owner.data), clock.now())
        except handover.HandOverError as error:
            store.rollback()
            status = show_refusal(form, error, fallback="owner")
        else:
            store.commit()
            flash(
                _l("The case is handed over. The new owner and the previous one have been told."),
                "success",
            )
            return redirect(url_for("cases.show", case_id=case_id))
    flash(_l("The case was not handed over. See what to fix below."), "error")
    return case_page.render(cases.get(store, current_user, case_id), status, hand_over=form)


def _reassign_page(failed: MoveAllForm | None = None, status: int = 200) -> Any:
    store, today = db.session(), clock.now().date()
    rows = handover.waiting(store, current_user, today)
    staff = handover.candidates(store, current_user.team_id, today)
    forms = {}
    for row in rows:
        form = (
            failed
            if failed is not None and failed.former.data == str(row.owner_id)
            else MoveAllForm(formdata=None)
        )
        form.former.data = str(row.owner_id)
        form.offer(staff, but=row.owner_id)
        forms[row.owner_id] = form
    # A refused form about no listed owner (a bad id, or one moved meanwhile) shows on top.
    stray = failed if failed is not None and failed not in forms.values() else None
    body = render_template("referral/reassign.html", rows=rows, forms=forms, stray=stray)
    store.commit()
    return body, status


@bp.route("/reassign")
@requires("cases.hand_over")
def reassign() -> Any:
    """The team's open cases whose owner can no longer work on them, by former owner."""
    return _reassign_page()


@bp.route("/reassign", methods=["POST"])
@requires("cases.hand_over")
def reassign_all() -> Any:
    """Move every open case of one former owner to another screener of the team."""
    form = MoveAllForm()
    if not form.validate():
        flash(_l("Nothing was handed over. See what to fix below."), "error")
        return _reassign_page(form, 400)
    store = db.session()
    try:
        count = handover.hand_over_all(
            store,
            current_user,
            uuid.UUID(form.former.data),
            uuid.UUID(form.owner.data),
            clock.now(),
        )
    except handover.HandOverError as error:
        store.rollback()
        # ``former`` is hidden on the page: a problem with it is said above the form instead.
        status = show_refusal(form, error, fallback="owner", names={"former": None})
        flash(_l("Nothing was handed over. See what to fix below."), "error")
        return _reassign_page(form, status)
    store.commit()
    if count:
        flash(
            ngettext(
                "%(num)d case handed over. The new owner has been told.",
                "%(num)d cases handed over. The new owner has been told.",
                count,
            ),
            "success",
        )
    else:
        flash(_l("No open case was left to hand over."), "info")
    return redirect(url_for("handover.reassign"))
