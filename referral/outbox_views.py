"""Administrators' page for notice e-mails that need a person: dead (refused, or failed too
often) and unknown (the send was cut off, so it may have arrived). Each shows the staff
address, the notice's kind and link — never whom the notice is about — and can be sent again
or dismissed, both audited. The rules live in ``referral.outbox``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from access.forms import ActionForm
from access.guard import requires
from core import clock, db, mail, paging, settings
from referral import outbox
from referral.inbox_views import NOTICE_LABELS

bp = Blueprint("outbox", __name__, url_prefix="/admin/e-mail")
PER_PAGE = 50

STATE_LABELS = {
    "pending": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "dead": _l("Not delivered"),
    "unknown": _l("May not have arrived"),
    "dismissed": _l("Dismissed"),
}
RECIPIENT_GONE = _l(
    "The recipient's account cannot be used now (disabled, or its partner "
    "out of standing): dismiss this e-mail instead."
)
NOT_WAITING = _l("This e-mail no longer needs a decision; someone may have acted on it meanwhile.")


@bp.route("/")
@requires("notices.outbox", step_up=True)
def index() -> str:
    """How many e-mails are in each state, and the dead and unknown ones to act on, a page
    at a time."""
    page = paging.read(per_page=PER_PAGE, fixed=True)
    store = db.session()
    counts = outbox.counts_by_state(store)
    rows = outbox.needing_attention(store, page)
    return render_template(
        "referral/outbox.html",
        counts=counts,
        rows=rows,
        reachable=outbox.reachable(store, rows, clock.now()),
        gone=RECIPIENT_GONE,
        page=page,
        waiting=sum(counts.get(state, 0) for state in outbox.ATTENTION),
        kinds=NOTICE_LABELS,
        states=STATE_LABELS,
        action=ActionForm(formdata=None),
        mail_on=mail.configured(settings.current()),
    )


def _decide(message_id: uuid.UUID, decide: Callable[[Session], object], done: str) -> Any:
    # Both buttons: a valid form, then the rule, then commit; anything else changes nothing.
    if not ActionForm().validate_on_submit():
        raise NotFound()
    store = db.session()
    if outbox.get(store, message_id) is None:
        raise NotFound()
    try:
        decide(store)
    except outbox.NotWaiting:
        store.rollback()
        flash(NOT_WAITING, "error")
    except outbox.RecipientGone:
        store.rollback()
        flash(RECIPIENT_GONE, "error")
    else:
        store.commit()
        flash(done, "success")
    return redirect(url_for("outbox.index"))


@bp.route("/<uuid:message_id>/retry", methods=["POST"])
@requires("notices.outbox", step_up=True)
def retry(message_id: uuid.UUID) -> Any:
    """Put the e-mail back in line, to the user's present address."""
    return _decide(
        message_id,
        lambda store: outbox.retry(store, message_id, clock.now()),
        _l("The e-mail will be sent again with the next run of notices send."),
    )


@bp.route("/<uuid:message_id>/dismiss", methods=["POST"])
@requires("notices.outbox", step_up=True)
def dismiss(message_id: uuid.UUID) -> Any:
    """Take the e-mail off the list without sending it."""
    return _decide(
        message_id,
        lambda store: outbox.dismiss(store, message_id),
        _l("The e-mail is dismissed and will not be sent."),
    )
