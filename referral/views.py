"""Case pages: the screener's and supervisor's list, a case with its person, consent,
screenings, ranked partners and referrals; referring, linking an earlier record, withdrawing
consent, and a supervisor's break-glass."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import NotFound

from access.forms import ActionForm
from access.guard import requires
from access.policy import NotNow, authorize
from core import clock, db, paging, settings
from core.ratelimit import per_user_and_address
from core.web import form_status, show_refusal
from referral import basis, case_page, cases, endings, list_rows, matching, referrals
from referral import person_copy as person_copy_module
from referral.case_forms import BreakGlassForm, LinkForm, ReferForm
from screening import services as screenings

bp = Blueprint("cases", __name__, url_prefix="/cases")
GRANTS_PER_PAGE = 50
PER_PAGE = 50  # cases a page of the case list

# The case list's filters: open cases unless asked (docs/case-work.md).
LIST_FILTERS = {
    "open": cases.OPEN,
    "active": ("active",),
    "follow_up": ("follow_up",),
    "closed": cases.CLOSED,
    "all": cases.ALL,
}


@bp.route("/")
@per_user_and_address("search_rate_limit")
@requires("cases.read")
def index() -> Any:
    """Cases: the screener's own, or the team's for a supervisor; urgent first. Open ones
    unless a filter asks for the follow-ups, the closed, or all."""
    shown = request.args.get("status", "open")
    if shown not in LIST_FILTERS:
        flash(_l("There is no such filter; open cases are shown."), "error")
        shown, status = "open", 400
    else:
        status = 200
    page = paging.read(per_page=PER_PAGE, fixed=True)
    # A case sought by its reference is found whatever its status.
    reference = request.args.get("reference", "")[:20].strip() or None
    statuses = cases.ALL if reference else LIST_FILTERS[shown]
    store = db.session()
    found = cases.list_for(store, current_user, page, statuses, reference)
    store.commit()
    return render_template(
        "referral/cases.html",
        rows=list_rows.case_rows(found.rows),
        found=found,
        shown=shown,
        reference=reference or "",
        filters=list(LIST_FILTERS),
    ), status


@bp.route("/break-glass")
@per_user_and_address("audit_rate_limit")
@requires("audit.read")
def break_glass_log() -> str:
    """For auditors: every break-glass access, who asked, when, and the reason written; a
    page at a time, as reasons may be long."""
    page = paging.read(per_page=GRANTS_PER_PAGE, fixed=True)
    store = db.session()
    rows, total = cases.recent_grants(store, page)
    store.commit()
    return render_template("referral/break_glass_log.html", rows=rows, page=page, total=total)


@bp.route("/for-screening/<uuid:screening_id>")
@requires("screenings.read")
def for_screening(screening_id: uuid.UUID) -> Any:
    """From a screening result to its case."""
    store = db.session()
    screening = screenings.get(store, current_user, screening_id)
    case_id = screenings.case_of(screening)
    store.commit()
    if case_id is None:
        raise NotFound()
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/<uuid:case_id>")
@per_user_and_address("search_rate_limit")
@requires("cases.read")
def show(case_id: uuid.UUID) -> Any:
    """One case, with everything needed to refer it."""
    case = cases.get(db.session(), current_user, case_id)
    if case.status == "merged" and case.merged_into_id:
        return redirect(url_for("cases.show", case_id=case.merged_into_id))
    return case_page.render(case)


def _manage(case_id: uuid.UUID, action: str = "cases.manage") -> Any:
    return cases.get(db.session(), current_user, case_id, action)


@bp.route("/<uuid:case_id>/referrals", methods=["POST"])
@requires("cases.manage")
def refer(case_id: uuid.UUID) -> Any:
    """Send the case to the chosen partner with the chosen, consented details."""
    case = _manage(case_id)
    form = ReferForm()
    given = cases.consent(case)
    form.limit(
        [(s, s) for s in form.partner.raw_data or []],
        basis.shareable(given, matching.is_child(db.session(), case)),
    )
    if not form.validate():
        return case_page.render(case, 400, refer=form)
    store, now, config = db.session(), clock.now(), settings.current()
    try:
        sent = referrals.send(
            store,
            current_user,
            case,
            referrals.Send(
                partner=form.partner.data,
                services=tuple(form.services.data or ()),
                share=tuple(form.share.data or ()),
                urgency=form.urgency.data,
                note=form.note.data or "",
            ),
            now,
            referrals.Deadlines.from_settings(config),
            config.retention_days,
        )
    except (referrals.ReferralError, NotNow) as error:
        store.rollback()
        # Consent and the case's state are about the referral as a whole: said at the partner.
        status = show_refusal(form, error, fallback="partner")
        flash(_l("The referral was not sent. See what to fix below."), "error")
        return case_page.render(
            cases.get(store, current_user, case_id, "cases.manage"), status, refer=form
        )
    store.commit()
    if sent.told:
        flash(
            _l("Referral sent. The partner's staff have been told that it awaits them."), "success"
        )
    else:
        # Every account that could answer is locked just now: the referral waits unseen.
        flash(
            _l(
                "Referral sent, but nobody at the partner could be told now. Call the partner "
                "and quote the referral's reference."
            ),
            "error",
        )
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/<uuid:case_id>/link", methods=["POST"])
@requires("cases.link")
def link(case_id: uuid.UUID) -> Any:
    """The screener confirms an earlier case is the same person: the records become one."""
    case = _manage(case_id, "cases.link")
    form = LinkForm()
    if not form.validate():  # the box not ticked: said next to it
        return case_page.render(case, 400, link=form)
    store, now = db.session(), clock.now()
    try:
        earlier = endings.link_cases(
            store,
            current_user,
            case,
            uuid.UUID(form.earlier.data),
            now,
            settings.current().retention_days,
        )
    except cases.CaseError:
        store.rollback()
        flash(_l("These cases cannot be linked."), "error")
        return redirect(url_for("cases.show", case_id=case_id))
    store.commit()
    flash(_l("Linked: the screenings are now on the earlier case."), "success")
    return redirect(url_for("cases.show", case_id=earlier.id))


@bp.route("/<uuid:case_id>/consent/withdraw", methods=["POST"])
@requires("cases.withdraw_consent")
def withdraw_consent(case_id: uuid.UUID) -> Any:
    """The person no longer agrees to referral: open referrals are withdrawn, and no partner
    keeps their details, whether the case is open or closed."""
    case = _manage(case_id, "cases.withdraw_consent")
    if not ActionForm().validate():
        raise NotFound()
    store = db.session()
    count = endings.withdraw_consent(
        store, current_user, case, clock.now(), settings.current().retention_days
    )
    store.commit()
    flash(
        _l("Consent to referral withdrawn; %(count)d open referrals withdrawn.", count=count),
        "success",
    )
    return redirect(url_for("cases.show", case_id=case_id))


def _held(case_id: uuid.UUID) -> tuple[Any, Any, dict[str, Any]]:
    # The policy and the audit event (case.copy) come with cases.get, at every request.
    store = db.session()
    case = cases.get(store, current_user, case_id, "cases.copy")
    return store, case, person_copy_module.copy_of(store, case, clock.now())


@bp.route("/<uuid:case_id>/copy")
@per_user_and_address("export_rate_limit")
@requires("cases.copy", step_up=True)
def person_copy(case_id: uuid.UUID) -> Any:
    """The person's own copy, for print, in their interview language; audited."""
    store, case, held = _held(case_id)
    with force_locale(held["language"]):
        body = render_template("referral/person_copy.html", held=held, case=case)
    store.commit()
    return body


@bp.route("/<uuid:case_id>/copy.json")
@per_user_and_address("export_rate_limit")
@requires("cases.copy", step_up=True)
def person_copy_json(case_id: uuid.UUID) -> Any:
    """The person's own copy as JSON, to download; audited."""
    store, _case, held = _held(case_id)
    store.commit()
    response = jsonify(held)
    response.headers["Content-Disposition"] = 'attachment; filename="passage-copy.json"'
    return response


@bp.route("/<uuid:case_id>/break-glass", methods=["GET", "POST"])
@requires("cases.break_glass")
def break_glass(case_id: uuid.UUID) -> Any:
    """A supervisor opens another team's case for a while, saying why; auditors see it."""
    store, now = db.session(), clock.now()
    case = cases.for_break_glass(store, current_user, case_id)
    if authorize(current_user, "cases.read", case):
        return redirect(url_for("cases.show", case_id=case_id))
    form = BreakGlassForm()
    status = form_status(form)
    if form.validate_on_submit():
        try:
            cases.break_glass(
                store,
                current_user,
                case_id,
                form.reason.data or "",
                now,
                settings.current().break_glass_minutes,
            )
        except cases.CaseError as error:
            store.rollback()
            status = show_refusal(form, error, fallback="reason")
        else:
            store.commit()
            return redirect(url_for("cases.show", case_id=case_id))
    store.commit()
    return render_template(
        "referral/break_glass.html",
        form=form,
        case_id=case_id,
        minutes=settings.current().break_glass_minutes,
    ), status
