"""The questionnaire pages: safety check, consent, the person, questions step by step with
drafts and red-flag interruptions, then the result. No page needs JavaScript."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
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

from access.forms import ActionForm
from access.policy import requires
from core import clock, db
from screening import consent as consents
from screening import explain, instruments, people, services
from screening.forms import ConsentForm, PersonForm, SafetyForm, questions_form
from screening.models import Screening
from screening.scoring import applicable

bp = Blueprint("screening", __name__, url_prefix="/screenings")

PHASES = ("recruitment", "destination", "journey")
PHASE_TITLES = {"recruitment": _l("Recruitment and journey"),
                "destination": _l("Work and living now"),
                "journey": _l("The journey and smuggling")}
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
        safe = services.safe_for_child(linked, form.safe_to_talk.data == "yes") if child \
            else services.safe_to_screen(form.alone.data == "yes",
                                         form.safe_to_talk.data == "yes")
        if not safe:
            session.pop(SETUP, None)
            return redirect(url_for("screening.stop"))
        session[SETUP] = {
            "instrument": "child" if child else "adult",
            "language": form.language.data,
            "safety": {"alone": present == [consents.NOBODY] if child else True,
                       "safe_to_talk": True,
                       "interpreter_language": form.interpreter_language.data or None,
                       "interpreter_independent": services.INTERPRETER_INDEPENDENT[
                           form.interpreter_independent.data],
                       "possibly_minor": child, "present": present,
                       "linked_present": linked}}
        if form.interpreter_independent.data == "no":
            flash(_l("The interpreter may be linked to the person's employer or recruiter. "
                     "Arrange an independent interpreter before asking sensitive questions."),
                  "error")
        return redirect(url_for("screening.consent"))
    return render_template("screening/safety.html", form=form)


@bp.route("/stop")
@requires("screenings.create")
def stop() -> str:
    """How to end the conversation safely when it cannot go on."""
    return render_template("screening/stop.html",
                           contact=current_app.config["SAFETY_CONTACT"])


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
    child = setup["instrument"] == "child"
    script = consents.script(child, setup["language"])
    form = ConsentForm()
    if form.validate_on_submit():
        if not (form.screening.data and form.storing.data):
            session.pop(SETUP, None)
            return render_template("screening/no_consent.html")
        given = consents.ChildConsent(bool(form.assent.data), bool(form.guardian_consent.data),
                                      form.basis.data or None) if child else None
        if consents.unexplained(form.explained.data or ()):
            form.explained.errors = [_l("Explain every point, then tick it.")]
        elif child and not consents.child_may_start(given):
            form.basis.errors = [_l("For a child, record their assent and the consent of a "
                                    "parent, guardian or representative, or the legal basis "
                                    "for going on without it.")]
        else:
            setup["consent"] = {p: bool(getattr(form, p).data) for p in services.PURPOSES}
            setup["share"] = list(form.share.data or []) if form.referral.data else []
            setup["child_consent"] = given.as_dict() if given else None
            setup["explained"] = list(form.explained.data or [])
            setup["script_version"] = script.version
            session[SETUP] = setup
            return redirect(url_for("screening.person"))
    return render_template("screening/consent.html", form=form, child=child, script=script,
                           language=setup["language"])


def _now_a_child(setup: dict[str, Any]) -> Any:
    """The age typed is under 18 although the safety check said adult: the child's
    questions apply, and the child's consent is asked before anything is stored. The adult
    check passed, so the person is alone: nobody present, nobody linked."""
    setup["instrument"] = "child"
    setup["safety"].update(possibly_minor=True, present=[consents.NOBODY],
                           linked_present=False)
    setup.pop("consent", None)
    session[SETUP] = setup
    flash(_l("The age given is under 18: the questions for children will be used. Record the "
             "child's assent and who consents for them, then enter their details again."),
          "error")
    return redirect(url_for("screening.consent"))


def _start_request(setup: dict[str, Any], form: PersonForm) -> services.Start:
    child = setup.get("child_consent")
    return services.Start(
        instrument=instruments.catalogue()[setup["instrument"]], language=setup["language"],
        identity=_identity(form),
        consent=services.Consent(
            setup["consent"], tuple(setup.get("share", ())),
            consents.ChildConsent(**child) if child else None,
            tuple(setup.get("explained", ())), setup.get("script_version")),
        safety=services.Safety(**setup["safety"]),
        exploitation=form.exploitation.data or None, needs=tuple(form.needs.data or ()))


@bp.route("/new/person", methods=["GET", "POST"])
@requires("screenings.create")
def person() -> Any:
    """Step 3: who the person is; the record is created here, sealed."""
    setup = _setup()
    if setup is None or "consent" not in setup:
        return redirect(url_for("screening.new"))
    form = PersonForm()
    if form.validate_on_submit():
        if setup["instrument"] != "child" and people.is_child(
                setup["safety"].get("possibly_minor"), form.age.data):
            return _now_a_child(setup)
        store = db.session()
        try:
            screening = services.start(store, current_user, _start_request(setup, form),
                                       clock.now(), current_app.config["RETENTION_DAYS"])
        except services.ScreeningError:
            store.rollback()
            session.pop(SETUP, None)
            flash(_l("The screening could not start. Go through the safety check and "
                     "consent again."), "error")
            return redirect(url_for("screening.new"))
        store.commit()
        session.pop(SETUP, None)
        return redirect(url_for("screening.step", screening_id=screening.id,
                                phase=_phases(screening)[0]))
    return render_template("screening/person.html", form=form)


def _identity(form: PersonForm) -> people.Identity:
    languages = tuple(code.lower() for code in (form.languages.data or "").replace(",", " ")
                      .split())
    return people.Identity(
        given_name=form.given_name.data.strip(), family_name=form.family_name.data or None,
        age=form.age.data, sex=form.sex.data or None,
        nationality=(form.nationality.data or "").upper() or None,
        country=(form.country.data or "").upper() or None, region=form.region.data or None,
        contact=form.contact.data or None, notes=form.notes.data or None, languages=languages,
        age_source=form.age_source.data or None)


def _load(screening_id: uuid.UUID) -> tuple[Screening, instruments.Instrument]:
    store = db.session()
    screening = services.get(store, current_user, screening_id)
    store.commit()
    return screening, instruments.catalogue()[screening.instrument]


def _phases(screening: Screening) -> list[str]:
    asked = applicable(instruments.catalogue()[screening.instrument], screening.exploitation)
    return [p for p in PHASES if any(i.phase == p for i in asked)]


@bp.route("/<uuid:screening_id>/step/<any(recruitment, destination, journey):phase>",
          methods=["GET", "POST"])
@requires("screenings.read")
def step(screening_id: uuid.UUID, phase: str) -> Any:
    """One step of questions; each save keeps a draft that can be resumed later."""
    screening, instrument = _load(screening_id)
    if screening.status != "draft":
        return redirect(url_for("screening.show", screening_id=screening_id))
    store = db.session()
    indicators = [i for i in applicable(instrument, screening.exploitation) if i.phase == phase]
    form = questions_form(indicators, screening.language, services.answers(store, screening),
                          request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        given = {i.id: form[f"q_{i.id}"].data for i in indicators if form[f"q_{i.id}"].data}
        services.save_answers(store, screening, given, clock.now())
        store.commit()
        flags = [i.id for i in indicators if i.red_flag and given.get(i.id) == "yes"]
        next_url = _after(screening, phase, request.form.get("then"))
        if flags:
            return redirect(url_for("screening.red_flag", screening_id=screening_id,
                                    next=next_url))
        return redirect(next_url)
    phases = _phases(screening)
    return render_template("screening/step.html", form=form, screening=screening,
                           phase=phase, title=PHASE_TITLES[phase], phases=phases,
                           number=phases.index(phase) + 1 if phase in phases else 1,
                           indicators=indicators)


def _after(screening: Screening, phase: str, then: str | None) -> str:
    if then == "pause":
        flash(_l("Saved. You can resume this screening from your list."), "success")
        return url_for("screening.index")
    phases = _phases(screening)
    following = phases[phases.index(phase) + 1:] if phase in phases else []
    if following:
        return url_for("screening.step", screening_id=screening.id, phase=following[0])
    return url_for("screening.review", screening_id=screening.id)


@bp.route("/<uuid:screening_id>/red-flag")
@requires("screenings.read")
def red_flag(screening_id: uuid.UUID) -> str:
    """A red flag was answered yes: the protocol, at once."""
    _load(screening_id)
    next_url = request.args.get("next", "")
    if not next_url.startswith("/screenings/"):
        next_url = url_for("screening.index")
    return render_template("screening/red_flag.html", next_url=next_url,
                           contact=current_app.config["SAFETY_CONTACT"])


@bp.route("/<uuid:screening_id>/review", methods=["GET", "POST"])
@requires("screenings.read")
def review(screening_id: uuid.UUID) -> Any:
    """Finish: score the answers and show the result."""
    screening, instrument = _load(screening_id)
    if screening.status != "draft":
        return redirect(url_for("screening.show", screening_id=screening_id))
    form = ActionForm()
    if form.validate_on_submit():
        store = db.session()
        age = services.subject(store, screening).age
        services.complete(store, screening, instrument, age, clock.now(),
                          explain_in=str(get_locale() or screening.language))
        services.announce(current_app._get_current_object(), screening)  # type: ignore[attr-defined]
        store.commit()
        return redirect(url_for("screening.show", screening_id=screening_id))
    answered = services.answers(db.session(), screening)
    return render_template("screening/review.html", form=form, screening=screening,
                           answered=len(answered), phases=_phases(screening))


@bp.route("/<uuid:screening_id>")
@requires("screenings.read")
def show(screening_id: uuid.UUID) -> Any:
    """The result in plain words, or the way back into a draft."""
    screening, instrument = _load(screening_id)
    if screening.status == "draft":
        return redirect(url_for("screening.step", screening_id=screening_id,
                                phase=_phases(screening)[0]))
    result = services.result(db.session(), screening)
    if result is None:
        abort(404)
    return render_template("screening/result.html", screening=screening, result=result,
                           instrument=instrument)


@bp.app_context_processor
def labels() -> dict[str, Any]:
    """Plain-language labels the result pages use."""
    return {"class_labels": explain.CLASS_LABELS, "route_labels": explain.ROUTE_LABELS,
            "dimension_labels": explain.DIMENSION_TEXT}
