"""Referral pages: a partner's inbox, what a screener sent, a team's overdue referrals for
a supervisor; one referral's packet with the answers its side may give; and notices."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import NotFound

from access import teams
from access.forms import ActionForm
from access.guard import requires
from access.policy import NotNow, authorize
from core import clock, db, paging, settings
from core.ratelimit import per_user_and_address
from referral import inbox as referral_lists
from referral import list_rows, matching, notices, packets, referrals, workflow
from referral.case_forms import (
    CASE_OUTCOME_LABELS,
    CASE_STATUS_LABELS,
    DECLINE_LABELS,
    OUTCOME_LABELS,
    URGENCY_LABELS,
    CloseForm,
    DeclineForm,
)
from referral.forms import POPULATION_LABELS
from screening.forms import SERVICE_LABELS, SHARE_LABELS
from screening.interview_forms import ANSWER_CHOICES

bp = Blueprint("referrals", __name__)
PER_PAGE = 25
STATE_LABELS = {
    "pending": _l("Waiting for an answer"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("Expired without an answer"),
    "withdrawn": _l("Withdrawn"),
    "closed": _l("Closed"),
}
# The referral page's button for each move a person takes (workflow.TRANSITIONS), and the
# heading that opens the moves of a side where it has one.
MOVE_LABELS = {
    "accept": _l("Accept the referral"),
    "decline": _l("Decline the referral"),
    "close": _l("Close the referral"),
    "withdraw": _l("Withdraw the referral"),
}
MOVE_HEADINGS = {"accept": _l("Your answer"), "close": _l("Close the referral")}
# The form of a move that carries something (its field is named as the move's ``needs``).
MOVE_FORMS = {"decline": DeclineForm, "close": CloseForm}
# What the page says once a move is made, by move and by whether anyone was told of it
# (referrals.answer: the caseworker in charge of a partner's answer, the partner's staff of
# a withdrawal).
MOVE_DONE = {
    ("accept", True): _l(
        "You accepted the referral. The caseworker in charge of the case has been told. Close "
        "it with an outcome when your work with the person ends."
    ),
    ("accept", False): _l(
        "You accepted the referral. Nobody at the sending team could be told now: call them "
        "and quote the reference. Close it with an outcome when your work with the person ends."
    ),
    ("decline", True): _l(
        "You declined the referral. The caseworker in charge of the case has been told and may "
        "refer the person elsewhere. The details shared with you are no longer available."
    ),
    ("decline", False): _l(
        "You declined the referral. Nobody at the sending team could be told now: call them "
        "and quote the reference. The details shared with you are no longer available."
    ),
    ("close", True): _l(
        "You closed the referral. The caseworker in charge of the case has been told the outcome."
    ),
    ("close", False): _l(
        "You closed the referral. Nobody at the sending team could be told now: call them "
        "and quote the reference."
    ),
    ("withdraw", True): _l("The referral is withdrawn. The partner's staff have been told."),
    ("withdraw", False): _l(
        "The referral is withdrawn. Nobody at the partner could be told now: call them and "
        "quote the reference."
    ),
}
NOTICE_LABELS = {
    "referral.received": _l("A new referral is waiting for your answer."),
    "referral.accepted": _l("A referral you sent was accepted."),
    "referral.declined": _l("A referral you sent was declined."),
    "referral.closed": _l("A referral you sent was closed."),
    "referral.withdrawn": _l("A referral to your organisation was withdrawn."),
    "referral.expired": _l("A referral you sent expired without an answer."),
    "referral.overdue": _l("A referral from your team is overdue."),
    "referral.partner_suspended": _l(
        "A referral from your team was withdrawn: the partner "
        "is no longer vetted. Choose another partner."
    ),
    "referral.partner_unavailable": _l(
        "A referral from your team was withdrawn: the partner "
        "can no longer take it. Choose another partner."
    ),
    "case.handed_over": _l("A case was handed over to you."),
    "case.taken_over": _l("A case of yours was handed over to someone else in your team."),
    "case.owner_disabled": _l("A screener of your team left: their open cases need someone new."),
    "task.due": _l("A follow-up task of yours is due today."),
    "task.overdue": _l("A follow-up task of yours is overdue."),
}


@bp.route("/referrals/")
@per_user_and_address("search_rate_limit")
@requires("referrals.read")
def inbox() -> str:
    """Open and urgent first, the longest waiting on top; pages of 25, each a cursor away
    from the next (core.keyset)."""
    page = paging.read(per_page=PER_PAGE, fixed=True)
    overdue = request.args.get("overdue") == "1"
    reference = request.args.get("reference", "")[:20].strip() or None
    store = db.session()
    shown = referral_lists.list_for(store, current_user, page, overdue, reference)
    names = matching.partner_names(store)
    store.commit()
    return render_template(
        "referral/inbox.html",
        rows=list_rows.referral_rows(shown.rows, names, STATE_LABELS),
        shown=shown,
        overdue=overdue,
        reference=reference or "",
        # Every link of the page keeps the filters.
        filters={"overdue": 1 if overdue else None, "reference": reference},
    )


@bp.route("/referrals/<uuid:referral_id>")
@requires("referrals.read")
def show(referral_id: uuid.UUID) -> Any:
    """The packet: exactly the fields the person agreed to share and the screener sent."""
    return _page(referral_id)


def _page(referral_id: uuid.UUID, status: int = 200, **refused: FlaskForm) -> Any:
    """The referral's page; a move's form in ``refused`` (by move) is shown with its errors,
    every other one blank."""
    store = db.session()
    referral = referrals.get(store, current_user, referral_id)
    packet = packets.packet(store, referral)
    body = render_template(
        "referral/referral.html",
        referral=referral,
        packet=packet,
        answers=packets.questions(packet, str(get_locale() or "en")),
        names=matching.partner_names(store),
        # The receiving partner is told who sent it (the team, never the screener), to know
        # whom to call; the referral carries its team, the packet nothing of it.
        sent_by=teams.team_name(store, referral.team_id)
        if authorize(current_user, "referrals.respond")
        else None,
        # Every move a person may make from this state; the page shows those `can` allows.
        moves=[m for side in workflow.PEOPLE for m in workflow.moves(referral.state, side)],
        action=ActionForm(formdata=None),
        move_forms={
            name: refused.get(name) or form(formdata=None) for name, form in MOVE_FORMS.items()
        },
    )
    store.commit()
    return body, status


@bp.route("/referrals/<uuid:referral_id>/receipt")
@requires("referrals.read")
def receipt(referral_id: uuid.UUID) -> Any:
    """A printable receipt of the referral: its reference and what was asked, no personal
    data (it may be handed to the person or filed on paper)."""
    store = db.session()
    referral = referrals.get(store, current_user, referral_id)
    body = render_template(
        "referral/receipt.html", referral=referral, names=matching.partner_names(store)
    )
    store.commit()
    return body


@bp.route(
    f"/referrals/<uuid:referral_id>/<any({', '.join(workflow.actions_of('partner'))}):move>",
    methods=["POST"],
)
@requires("referrals.respond")
def answer(referral_id: uuid.UUID, move: str) -> Any:
    """The receiving partner accepts, declines with a reason, or closes with an outcome."""
    kind: type[FlaskForm] = MOVE_FORMS.get(move, ActionForm)
    form = kind()
    if not form.validate_on_submit():  # no reason, or one not on the list: shown on its field
        return _page(referral_id, 400, **{move: form})
    detail = getattr(getattr(form, "reason", None) or getattr(form, "outcome", None), "data", None)
    return _move(referral_id, move, detail)


@bp.route("/referrals/<uuid:referral_id>/withdraw", methods=["POST"])
@requires("referrals.withdraw")
def withdraw(referral_id: uuid.UUID) -> Any:
    """The sender withdraws a referral not yet closed."""
    if not ActionForm().validate_on_submit():
        raise NotFound()
    return _move(referral_id, "withdraw", None)


def _move(referral_id: uuid.UUID, move: str, detail: str | None) -> Any:
    # Anything the state machine refuses says so and changes nothing.
    store = db.session()
    try:
        done = referrals.answer(
            store,
            current_user,
            referral_id,
            move,
            detail,
            clock.now(),
            settings.current().retention_days,
        )
    except (referrals.ReferralError, NotNow):
        store.rollback()
        flash(
            _l("This referral cannot be moved that way now; it may have been answered meanwhile."),
            "error",
        )
        return redirect(url_for("referrals.show", referral_id=referral_id)), 303
    store.commit()
    told = bool(done.told)
    flash(MOVE_DONE[move, told], "success" if told else "error")
    return redirect(url_for("referrals.show", referral_id=referral_id))


@bp.route("/notices/")
@requires("notices.read")
def notice_list() -> str:
    """What awaits the user, unread first."""
    store = db.session()
    rows = notices.for_user(store, current_user)
    body = render_template(
        "referral/notices.html", rows=rows, labels=NOTICE_LABELS, action=ActionForm(formdata=None)
    )
    store.commit()
    return body


@bp.route("/notices/<uuid:notice_id>/open", methods=["POST"])
@requires("notices.read")
def open_notice(notice_id: uuid.UUID) -> Any:
    """Mark a notice read and go to what it is about."""
    if not ActionForm().validate_on_submit():
        raise NotFound()
    store = db.session()
    notice = notices.open_notice(store, current_user, notice_id, clock.now())
    store.commit()
    if notice.referral_id is None and notice.case_id is None:
        return redirect(url_for("referrals.notice_list"))
    return redirect(notices.where(notice.kind, notice.referral_id, notice.case_id))


@bp.app_context_processor
def referral_labels() -> dict[str, Any]:
    """Labels for referral pages, and the unread-notice count for the header."""

    def unread_notices() -> int:
        try:
            return notices.unread(db.session(), current_user)
        except SQLAlchemyError:
            return 0  # an error page must still render when the database does not answer

    return {
        "state_labels": STATE_LABELS,
        "service_labels": SERVICE_LABELS,
        "share_labels": SHARE_LABELS,
        "urgency_labels": URGENCY_LABELS,
        "decline_labels": DECLINE_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "move_labels": MOVE_LABELS,
        "move_headings": MOVE_HEADINGS,
        "population_labels": POPULATION_LABELS,
        "case_status_labels": CASE_STATUS_LABELS,
        "case_outcome_labels": CASE_OUTCOME_LABELS,
        "answer_labels": {choice.value: choice.label for choice in ANSWER_CHOICES},
        "unread_notices": unread_notices,
        "unread_limit": notices.UNREAD_LIMIT,
    }
