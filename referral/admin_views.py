"""Administrators' pages for the partner directory: the list with who is offered today, adding
and editing a partner (its contact details opened only for the edit page, an audited read),
suspending and re-vetting. The rules live in ``referral.directory``; these views parse forms,
call it and render."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound

from access.guard import requires
from core import clock, db
from core.web import form_status, show_refusal
from referral import directory, routing
from referral.forms import VETTING_LABELS, NewPartnerForm, PartnerForm, VettingForm
from referral.models import PartnerProfile

bp = Blueprint("partners_admin", __name__, url_prefix="/admin/partners")

# Where the directory's rules for one partner put a problem, and the form field that shows it
# in the directory's words (None: above the form). A problem anywhere else is one the form's
# own checks should already have caught, and is shown as NOT_SAVED.
ON_FORM = {
    "partner.slug": "slug",
    "partner.vetting.valid_until": "valid_until",
    "partner.vetting": None,
}
NOT_SAVED = _l("The partner could not be saved as it is. Check each field.")


def _refused(form: FlaskForm, error: directory.DirectoryError) -> int:
    """The directory's refusal on ``form`` (as :data:`ON_FORM` says); its status."""
    return show_refusal(form, error, names=ON_FORM, instead=NOT_SAVED)


def _profile_or_404(organisation_id: uuid.UUID) -> PartnerProfile:
    profile = directory.get_profile(db.session(), organisation_id)
    if profile is None:
        raise NotFound()
    return profile


@bp.route("/")
@requires("partners.manage", step_up=True)
def index() -> str:
    """Every partner with its vetting, capacity and whether routing offers it today, or why
    not."""
    today, store = clock.now().date(), db.session()
    answering = directory.staffed(store)
    rows = [
        (p, routing.not_offered(directory.for_routing(p, answering), today))
        for p in directory.profiles(store)
    ]
    return render_template("referral/partners.html", rows=rows, vetting_labels=VETTING_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@requires("partners.manage", step_up=True)
def new() -> Any:
    """Add a partner: its details, slug and first vetting."""
    form = NewPartnerForm()
    if form.validate_on_submit():
        store = db.session()
        try:
            saved = directory.save_partner(store, form.entry(), clock.now())
        except directory.DirectoryError as error:
            store.rollback()
            return _form_page(form, status=_refused(form, error))
        unstaffed = saved.organisation_id not in directory.staffed(store)
        store.commit()
        flash(
            _l(
                "The partner is added to the directory. It is not offered to screeners until "
                "it has a staff account to answer referrals."
            )
            if unstaffed
            else _l("The partner is added to the directory."),
            "success",
        )
        return redirect(url_for("partners_admin.index"))
    return _form_page(form, status=form_status(form))


@bp.route("/<uuid:organisation_id>/edit", methods=["GET", "POST"])
@requires("partners.manage", step_up=True)
def edit(organisation_id: uuid.UUID) -> Any:
    """Change a partner's details; its slug and vetting stay as they are."""
    profile = _profile_or_404(organisation_id)
    form = PartnerForm()
    if form.validate_on_submit():
        store = db.session()
        # The slug and vetting come from the stored entry, never from the posted form.
        entry = {**directory.entry_of(profile), **form.details()}
        try:
            directory.save_partner(store, entry, clock.now(), profile)
        except directory.DirectoryError as error:
            store.rollback()
            return _form_page(form, profile, status=_refused(form, error))
        store.commit()
        flash(_l("The partner's details are saved."), "success")
        return redirect(url_for("partners_admin.index"))
    return _form_page(form if form.is_submitted() else None, profile, status=form_status(form))


@bp.route("/<uuid:organisation_id>/vetting", methods=["POST"])
@requires("partners.manage", step_up=True)
def vetting(organisation_id: uuid.UUID) -> Any:
    """Suspend the partner, or re-vet it until a date after today."""
    profile = _profile_or_404(organisation_id)
    form = VettingForm()
    if not form.validate_on_submit():
        return _form_page(None, profile, form, status=400)
    revet = form.action.data == "revet"
    store = db.session()
    try:
        directory.set_vetting(
            store,
            profile,
            "vetted" if revet else "suspended",
            form.valid_until.data if revet else None,
            clock.now(),
        )
    except directory.DirectoryError as error:
        store.rollback()
        return _form_page(None, profile, form, status=_refused(form, error))
    store.commit()
    flash(
        _l("The partner is vetted again and can be offered.")
        if revet
        else _l("The partner is suspended and is no longer offered."),
        "success",
    )
    return redirect(url_for("partners_admin.index"))


def _form_page(
    form: FlaskForm | None,
    profile: PartnerProfile | None = None,
    vetting_form: VettingForm | None = None,
    status: int = 200,
) -> Any:
    """The add page, or a partner's edit page with its vetting actions. Without a form, the
    edit form is filled from the stored entry, opening its contact details (audited)."""
    store = db.session()
    if form is None and profile is not None:
        entry = directory.entry_of(profile, directory.contact(store, profile))
        form = PartnerForm(formdata=None, data=PartnerForm.initial(entry))
    body = render_template(
        "referral/partner_form.html",
        form=form,
        profile=profile,
        vetting=vetting_form or VettingForm(formdata=None),
        vetting_labels=VETTING_LABELS,
        not_offered=profile is None
        or routing.not_offered(
            directory.for_routing(profile, directory.staffed(store)), clock.now().date()
        ),
    )
    store.commit()  # keeps the audit event of the contact read
    return body, status
