"""The questionnaire pages: safety check, consent, the person, questions step by step with
drafts and red-flag interruptions, then the result. No page needs JavaScript."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from access import audit
from access.forms import ActionForm
from access.guard import requires
from core import clock, db, i18n, settings
from core.web import form_status, safe_next, show_refusal
from screening import consent as consents
from screening import (
    explain,
    instruments,
    interview,
    opening,
    people,
    protocols,
    red_flags,
    services,
)
from screening.forms import PURPOSE_HINTS, ConsentForm, PersonForm, SafetyForm, identity_of
from screening.interview_forms import ACTION_LABELS, CONTACT_LABELS, RedFlagActionForm
from screening.models import Screening

bp = Blueprint("screening", __name__, url_prefix="/screenings")

SETUP = "screening_setup"  # safety check and consent: no personal data


@bp.route("/")
@requires("screenings.create")
def index() -> str:
    """The screener's drafts to resume and recent results."""
    rows = services.list_for(db.session(), current_user)
    return render_template("screening/index.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@requires("screenings.create")
def new() -> Any:
    """Step 1: is it safe to talk, who is in the room, which questionnaire."""
    form = SafetyForm()
    if form.validate_on_submit():
        child = form.child.data == "yes"
        present = list(form.present.data or []) if child else None
        linked = form.linked_present.data == "yes" if child else None
        safe = (
            opening.safe_for_child(linked, form.safe_to_talk.data == "yes")
            if child
            else opening.safe_to_screen(form.alone.data == "yes", form.safe_to_talk.data == "yes")
        )
        if not safe:
            session.pop(SETUP, None)
            return redirect(url_for("screening.stop"))
        session[SETUP] = {
            # One screening per setup, however often its last form is sent (Screening.start_key).
            "start_key": secrets.token_hex(16),
            "instrument": instruments.for_population(child),
            "language": form.language.data,
            "safety": {
                "alone": present == [consents.NOBODY] if child else True,
                "safe_to_talk": True,
                "interpreter_language": form.interpreter_code(),
                "interpreter_independent": opening.INTERPRETER_INDEPENDENT[
                    form.interpreter_independent.data
                ],
                "possibly_minor": child,
                "present": present,
                "linked_present": linked,
            },
        }
        if form.interpreter_independent.data == "no":
            flash(
                _l(
                    "The interpreter may be linked to the person's employer or recruiter. "
                    "Arrange an independent interpreter before asking sensitive questions."
                ),
                "error",
            )
        return redirect(url_for("screening.consent"))
    return render_template("screening/safety.html", form=form), form_status(form)


@bp.route("/stop")
@requires("screenings.create")
def stop() -> str:
    """How to end the conversation safely when it cannot go on, with the emergency
    protocol's contact in the screener's language."""
    emergency = protocols.protocol("emergency", str(get_locale() or "en"), protocols.configured())
    return render_template("screening/stop.html", contact=emergency["contact"])


def _setup() -> dict[str, Any] | None:
    setup = session.get(SETUP)
    return setup if isinstance(setup, dict) and "safety" in setup else None


@bp.route("/new/consent", methods=["GET", "POST"])
@requires("screenings.create")
def consent() -> Any:
    """Step 2: the script read aloud, what was explained, and consent for each purpose,
    before any question; for a child, their assent and who consents for them."""
    setup = _setup()
    if setup is None:
        return redirect(url_for("screening.new"))
    child = setup["instrument"] == instruments.CHILD
    script = consents.script(child, setup["language"])
    form = ConsentForm()
    status = form_status(form)
    if form.validate_on_submit():
        if not (form["screening"].data and form["storing"].data):
            session.pop(SETUP, None)
            if form["statistics"].data:
                services.count_without_record(current_user.team_id, setup["instrument"])
                db.session().commit()
            return render_template("screening/no_consent.html")
        given = (
            consents.ChildConsent(
                bool(form.assent.data), bool(form.guardian_consent.data), form.basis.data or None
            )
            if child
            else None
        )
        if consents.unexplained(form.explained.data or ()):
            form.explained.errors = [_l("Explain every point, then tick it.")]
        elif child and not consents.child_may_start(given):
            form.basis.errors = [
                _l(
                    "For a child, record their assent and the consent of a "
                    "parent, guardian or representative, or the legal basis "
                    "for going on without it."
                )
            ]
        else:
            setup["consent"] = {p: bool(form[p].data) for p in opening.PURPOSES}
            setup["share"] = list(form.share.data or []) if form["referral"].data else []
            setup["child_consent"] = given.as_dict() if given else None
            setup["explained"] = list(form.explained.data or [])
            setup["script_version"] = script.version
            session[SETUP] = setup
            return redirect(url_for("screening.person"))
        status = 422  # well formed, but a rule of consent refuses it
    return render_template(
        "screening/consent.html",
        form=form,
        child=child,
        script=script,
        language=setup["language"],
        purposes=opening.PURPOSES,
        purpose_hints=PURPOSE_HINTS,
    ), status


def _now_a_child(setup: dict[str, Any]) -> Any:
    """The age typed is under 18 although the safety check said adult: the child's
    questions apply, and the child's consent is asked before anything is stored. The adult
    check passed, so the person is alone: nobody present, nobody linked."""
    setup["instrument"] = instruments.CHILD
    setup["safety"].update(possibly_minor=True, present=[consents.NOBODY], linked_present=False)
    setup.pop("consent", None)
    session[SETUP] = setup
    flash(
        _l(
            "The age given is under 18: the questions for children will be used. Record the "
            "child's assent and who consents for them, then enter their details again."
        ),
        "error",
    )
    return redirect(url_for("screening.consent"))


def _start_request(setup: dict[str, Any], form: PersonForm) -> opening.Start:
    child = setup.get("child_consent")
    return opening.Start(
        instrument=instruments.catalogue()[setup["instrument"]],
        language=setup["language"],
        identity=identity_of(form),
        consent=opening.Consent(
            setup["consent"],
            tuple(setup.get("share", ())),
            consents.ChildConsent(**child) if child else None,
            tuple(setup.get("explained", ())),
            setup.get("script_version"),
        ),
        safety=opening.Safety(**setup["safety"]),
        needs=tuple(form.needs.data or ()),
        key=setup.get("start_key"),
    )


@bp.route("/new/person", methods=["GET", "POST"])
@requires("screenings.create")
def person() -> Any:
    """Step 3: who the person is; the record is created here, sealed."""
    setup = _setup()
    if setup is None or "consent" not in setup:
        return redirect(url_for("screening.new"))
    form = PersonForm()
    if form.validate_on_submit():
        if setup["instrument"] != instruments.CHILD and people.is_child(
            setup["safety"].get("possibly_minor"), form.age.data
        ):
            return _now_a_child(setup)
        store = db.session()
        try:
            screening = services.start(
                store,
                current_user,
                _start_request(setup, form),
                clock.now(),
                settings.current().retention_days,
            )
        except opening.ScreeningError:
            store.rollback()
            session.pop(SETUP, None)
            flash(
                _l("The screening could not start. Go through the safety check and consent again."),
                "error",
            )
            return redirect(url_for("screening.new"))
        try:
            store.commit()
        except IntegrityError:
            # The same form sent again while the first was being written: go on with the
            # draft it made (the person is recorded once).
            store.rollback()
            earlier = services.started_with(store, current_user, setup.get("start_key") or "")
            if earlier is None:
                raise
            screening = earlier
        session.pop(SETUP, None)
        return redirect(url_for("screening.ask", screening_id=screening.id))
    return render_template("screening/person.html", form=form), form_status(form)


def load(screening_id: uuid.UUID) -> tuple[Screening, instruments.Instrument]:
    """A screening the user may see, and its instrument (404 otherwise, audited)."""
    store = db.session()
    screening = services.get(store, current_user, screening_id)
    store.commit()
    return screening, instruments.catalogue()[screening.instrument]


@bp.route("/<uuid:screening_id>/red-flag", methods=["GET", "POST"])
@requires("screenings.read")
def red_flag(screening_id: uuid.UUID) -> Any:
    """The protocol for each red flag of this screening still waiting for its action, and a
    form to record what was done before going on to ``next``. The flags are read from the
    screening on the server, never from the address (access logs would tie a screening to
    its flags). With none waiting, the emergency protocol and no form."""
    screening, instrument = load(screening_id)
    # Where to go after the protocol: only back into the questionnaire.
    next_url = safe_next(request.args.get("next"), within=f"{bp.url_prefix}/") or url_for(
        "screening.index"
    )
    flags = protocols.known(interview.waiting(db.session(), screening, instrument))
    # The screener reads each flag in the page's language; the form posts its code.
    language = str(get_locale() or "en")

    def label(flag: str) -> str:
        return explain.label(instrument, flag, language)

    form = RedFlagActionForm.for_flags(flags, clock.now(), label) if flags else None
    status = 200
    if request.method == "POST":
        valid = form is not None and form.validate_on_submit()
        status = _record(screening, form) if form is not None and valid else 400
        if status == 302:
            flash(_l("The action is recorded."), "success")
            return redirect(next_url)
    return render_template(
        "screening/red_flag.html",
        next_url=next_url,
        form=form,
        protocols=_protocols_for(screening, flags),
        screening=screening,
        local_now=i18n.to_local(clock.now()),
        time_zone=settings.current().time_zone,
        label=label,
    ), status


def _protocols_for(screening: Screening, flags: list[str]) -> list[dict[str, Any]]:
    # In the interview language: the steps may be read out with the person.
    config = protocols.configured()
    return protocols.protocols(
        flags, red_flags.is_child(screening), screening.language, config
    ) or [protocols.protocol("emergency", screening.language, config)]


def _record(screening: Screening, form: RedFlagActionForm) -> int:
    """Record the form's action: 302 when done, else the refusal's status with the service's
    objections shown on the form's fields (one about no field of it on the red flags)."""
    store = db.session()
    acted_at = form.acted_at.data
    if acted_at is None:  # InputRequired has already refused a form without a time
        abort(400)
    try:
        red_flags.record_action(
            store,
            current_user,
            screening,
            form.flags.data or [],
            form.contacted.data or [],
            i18n.from_local(acted_at),
            form.action.data,
            form.outcome.data or None,
            clock.now(),
            contacted_note=form.contacted_note.data or None,
        )
    except opening.ScreeningError as error:
        store.rollback()
        return show_refusal(form, error, fallback="flags")
    store.commit()
    return 302


@bp.route("/neutral")
@requires("screenings.create")
def neutral() -> str:
    """A harmless health leaflet to show when someone comes near: nothing about Passage,
    the person or the screening."""
    return render_template("screening/neutral.html")


@bp.route("/neutral-exit", methods=["POST"])
@requires("screenings.create")
def neutral_exit() -> Any:
    """The "Hide screen" button: audited (without details), then the neutral page."""
    if not ActionForm().validate():
        abort(400)
    store = db.session()
    audit.record(store, "screening.hidden")
    store.commit()
    return redirect(url_for("screening.neutral"))


@bp.app_context_processor
def labels() -> dict[str, Any]:
    """Plain-language labels the result pages use."""
    return {
        "class_labels": explain.CLASS_LABELS,
        "route_labels": explain.ROUTE_LABELS,
        "dimension_labels": explain.DIMENSION_TEXT,
        "contact_labels": CONTACT_LABELS,
        "red_flag_action_labels": ACTION_LABELS,
        "protocol_title": _protocol_title,
        "headline": explain.headline,
        "class_label": explain.class_label,
        "element_labels": explain.ELEMENT_TEXT,
        "element_hints": explain.ELEMENT_HINT,
        "element_status": explain.ELEMENT_STATUS,
        "strength_badge": explain.STRENGTH_BADGE,
        "strength_text": explain.STRENGTH_TEXT,
        "review_text": explain.REVIEW_TEXT,
        "disclaimer": explain.DISCLAIMER,
        "clause_labels": explain.CLAUSE_TEXT,
    }


def _protocol_title(kind: str) -> str:
    # The result pages speak the screener's language.
    if kind not in protocols.KINDS:
        return kind
    return str(protocols.protocol(kind, str(get_locale() or "en"), protocols.configured())["title"])


# The interview pages register on this blueprint (screening/interview_views.py).
from screening import interview_views  # noqa: E402,F401
