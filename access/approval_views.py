"""The approvals page: account changes an administrator asked for, waiting for a second
person. Administrators see every pending change; supervisors those of their own team. Only
someone other than the requester (and the account concerned) may approve or refuse."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from access import approvals, services, teams
from access.forms import ActionForm
from access.guard import requires
from access.models import AccountChange
from access.passwords import PasswordRejected
from access.policy import authorize, found, require
from core import clock, db, settings

bp = Blueprint("approvals", __name__, url_prefix="/approvals")


@bp.route("")
@requires("account_changes.decide", step_up=True)
def index() -> str:
    """Pending account changes, with approve and refuse buttons where the user may decide;
    a change whose requester may no longer ask offers refusing only, and says why."""
    now = clock.now()
    changes = approvals.waiting(db.session(), current_user, now)
    return render_template(
        "access/approvals.html",
        changes=changes,
        action=ActionForm(),
        may_decide={c.id: authorize(current_user, "account_changes.decide", c) for c in changes},
        still_asked={c.id: approvals.requester_may_ask(c) for c in changes},
        teams=set(teams.names(db.session())),
    )


def _decidable(change_id: uuid.UUID) -> AccountChange:
    change = approvals.get(db.session(), change_id)
    # Someone who may not decide learns nothing about the change: 404, as for a missing one;
    # one already decided or expired answers 409.
    require(current_user, "account_changes.decide", change, "account_change", change_id)
    return found(change)


@bp.route("/<uuid:change_id>/approve", methods=["POST"])
@requires("account_changes.decide", step_up=True)
def approve(change_id: uuid.UUID) -> Any:
    """Carry out a change someone else asked for."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("approvals.index"))
    change = _decidable(change_id)
    store = db.session()
    try:
        approvals.approve(store, current_user, change, clock.now(), settings.current())
    except (approvals.ChangeRefused, services.UserError, PasswordRejected) as error:
        store.rollback()
        flash(str(error), "error")
        return redirect(url_for("approvals.index"))
    store.commit()
    if approvals.password_link_needed(change, settings.current()):
        flash(
            _l(
                "Approved. The account exists; no mail server is configured, so the operator "
                "issues its password link at the console with: "
                "flask --app wsgi users link EMAIL"
            ),
            "success",
        )
    else:
        flash(_l("Approved."), "success")
    return redirect(url_for("approvals.index"))


@bp.route("/<uuid:change_id>/refuse", methods=["POST"])
@requires("account_changes.decide", step_up=True)
def refuse(change_id: uuid.UUID) -> Any:
    """Close a change without carrying it out."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("approvals.index"))
    change = _decidable(change_id)
    store = db.session()
    try:
        approvals.refuse(store, current_user, change, clock.now())
    except approvals.ChangeRefused as error:
        store.rollback()
        flash(str(error), "error")
        return redirect(url_for("approvals.index"))
    store.commit()
    flash(_l("Refused. Nothing was changed."), "success")
    return redirect(url_for("approvals.index"))
