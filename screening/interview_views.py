"""The interview pages: one question per page in the order the engine gives, the protocol
at once when an answer raises a red flag, the pauses (interpreter, child hand-over), the
finish and the result. No page needs JavaScript (docs/screening.md §4, §6, §7)."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from access.forms import ActionForm
from access.guard import requires
from core import clock, db, settings
from screening import (
    derivation,
    engine,
    explain,
    instruments,
    interview,
    opening,
    red_flags,
    revisit,
    scoring,
    services,
)
from screening.instruments import Instrument, Voice
from screening.interview_forms import ANSWER_LABELS, WHEN_UNKNOWN, AnswerForm, when_form
from screening.models import Screening
from screening.views import bp, load

BLOCK_TITLES = {
    "safety": _l("Safety"),
    "work": _l("Work"),
    "control": _l("Control"),
    "start": _l("How it started"),
    "journey": _l("Journey"),
    "closing": _l("Closing"),
}
HOURS_ITEM = "ec_excessive_hours"
PAY_ITEM = "ec_low_pay"


def _answer(step: engine.Step, form: AnswerForm) -> str:
    if step.key == HOURS_ITEM:
        config = settings.current()
        decided = interview.hours_answer(
            form.hours_per_day.data,
            form.days_per_week.data,
            config.excessive_hours_per_day,
            config.excessive_days_per_week,
        )
        if decided is not None:
            return decided
    return _paid(step, form) or form.answer.data or "unknown"


def _asks_pay(step: engine.Step) -> bool:
    """Whether the page takes the pay as a number: where very low pay is asked, once the
    deployment has set its line (docs/screening.md, Numbers for hours and pay)."""
    asked = step.key == PAY_ITEM or (step.kind == "list" and PAY_ITEM in step.members)
    return asked and settings.current().low_pay_per_month > 0


def _paid(step: engine.Step, form: AnswerForm) -> str | None:
    if not _asks_pay(step) or form.pay_per_month.data is None:
        return None
    return interview.pay_answer(form.pay_per_month.data, settings.current().low_pay_per_month)


def _given(step: engine.Step) -> tuple[dict[str, str], Any]:
    """The answer the page posted, and the form (to show again when it is not valid)."""
    if step.kind == "interpreter":
        return {step.key: "yes"}, ActionForm()
    if step.kind == "handover":
        choice = request.form.get("handover")
        return ({step.key: choice} if choice in derivation.HANDOVER else {}), ActionForm()
    if step.kind == "list":  # ticked: yes; the others as the screener confirms
        listed = AnswerForm()
        others = request.form.get("others")
        if not listed.validate_on_submit() or others not in ("no", *scoring.OPEN):
            return {}, listed
        ticked = set(request.form.getlist("yes"))
        given = {m: "yes" if m in ticked else others for m in step.members}
        paid = _paid(step, listed)
        return (given | {PAY_ITEM: paid} if paid else given), listed
    if step.kind == "when":  # phases ticked, or none: don't know when
        chosen = [w for w in request.form.getlist("when") if w in instruments.WHEN]
        return {step.key: " ".join(chosen) or WHEN_UNKNOWN}, ActionForm()
    form = AnswerForm()
    if not form.validate_on_submit():
        return {}, form
    return {step.key: _answer(step, form)}, form


@bp.route("/<uuid:screening_id>/ask", methods=["GET", "POST"])
@requires("screenings.read")
def ask(screening_id: uuid.UUID) -> Any:
    """The next question. Each answer is saved at once, so the interview can pause and
    resume anywhere; an answer that raises a red flag goes straight to its protocol."""
    screening, instrument = load(screening_id)
    if screening.status != "draft":
        if request.method == "POST":  # a page left open (second tab, back button)
            flash(_l("This screening is already completed. That answer was not saved."), "error")
        return redirect(url_for("screening.show", screening_id=screening_id))
    store = db.session()
    step = interview.next_step(store, screening, instrument)
    if step.kind == "done":
        if request.method == "POST":  # the interview ended meanwhile (a hand-over, a tab)
            flash(_l("The interview is over. That answer was not saved."), "error")
        return redirect(url_for("screening.review", screening_id=screening_id))
    here = url_for("screening.ask", screening_id=screening_id)
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        if request.form.get("key") != step.key:  # a stale page (back button, second tab)
            flash(_l("That question was already answered; here is the next one."), "error")
            return redirect(here)
        if step.kind == "interpreter" and request.form.get("then") == "pause":
            # Waiting for an independent interpreter: nothing is confirmed yet.
            flash(_l("Saved. You can resume this screening from your list."), "success")
            return redirect(url_for("screening.index"))
        group = request.form.get("group")
        if group in ("unknown", "declined") and step.gate is not None and _offers_group(step):
            interview.group(store, screening, instrument, step.gate.id, group, clock.now())
            store.commit()
            return redirect(here)
        given, form = _given(step)
        if not given and step.kind == "list" and not form.errors:
            flash(_l("Say what the answer is for the ones not ticked."), "error")
        if given:
            raised = interview.record(store, screening, instrument, given, clock.now())
            store.commit()
            then = here
            if request.form.get("then") == "pause":
                flash(_l("Saved. You can resume this screening from your list."), "success")
                then = url_for("screening.index")
            if raised:
                return redirect(url_for("screening.red_flag", screening_id=screening_id, next=then))
            return redirect(then)
        # No answer, or one the question's form refuses: the question again with its error.
        return _page(store, screening, instrument, step, form), 400
    return _page(store, screening, instrument, step)


def _page(
    store: Any, screening: Screening, instrument: Instrument, step: engine.Step, posted: Any = None
) -> str:
    voice = services.voice(store, screening)
    form: Any = ActionForm()
    if step.kind == "when":
        form = when_form({w: voice.say(instrument.when[w]) for w in instruments.WHEN})
    elif step.kind not in ("interpreter", "handover"):
        form = posted if isinstance(posted, AnswerForm) else AnswerForm()
    concept = instrument.concepts.get(step.ask)
    listed = [
        (m, interview.wording(instrument, engine.Step("member", key=m, ask=m), voice))
        for m in step.members
    ]
    return render_template(
        "screening/ask.html",
        screening=screening,
        step=step,
        form=form,
        question=interview.wording(instrument, step, voice),
        help=voice.say(step.gate.help)
        if step.gate and step.gate.help and step.kind == "gate"
        else None,
        about=voice.say(concept.label) if concept and step.kind == "when" else None,
        hours=step.key == HOURS_ITEM,
        hours_question=_item_question(instrument, step, voice),
        pay=_asks_pay(step),
        blocks=interview.progress(step),
        listed=listed,
        block_titles=BLOCK_TITLES,
        group=_offers_group(step),
    )


def _item_question(instrument: Instrument, step: engine.Step, voice: Voice) -> str | None:
    """The item's own question where its gate asks for numbers instead (b1: "how many hours
    a day?"): the yes or no answers it, so that "Yes" means too much to rest."""
    if step.key != HOURS_ITEM or step.kind != "gate":
        return None
    return interview.wording(instrument, engine.Step("member", key=step.key, ask=step.key), voice)


def _offers_group(step: engine.Step) -> bool:
    """Whether the page has the whole-group buttons: an umbrella's question or a member's.
    Elsewhere (a safety gate, a "when?") a posted group is ignored, so an answer that
    raises a red flag always goes through the protocol."""
    return (
        step.gate is not None
        and step.gate.kind == "umbrella"
        and step.kind in ("gate", "member", "list")
    )


@bp.route("/<uuid:screening_id>/review", methods=["GET", "POST"])
@requires("screenings.read")
def review(screening_id: uuid.UUID) -> Any:
    """Finish: what is still open, red flags still waiting for their action, then the
    result. Finishing early is allowed; the result then shows its range."""
    screening, instrument = load(screening_id)
    if screening.status != "draft":
        return redirect(url_for("screening.show", screening_id=screening_id))
    store = db.session()
    form = ActionForm()
    if form.validate_on_submit():
        age = services.subject(store, screening).age
        try:
            interview.finish(
                store,
                screening,
                instrument,
                age,
                clock.now(),
                explain_in=str(get_locale() or screening.language),
            )
        except opening.ScreeningError as error:
            store.rollback()
            flash(
                _l("Record what was done about each red flag before finishing.")
                if "red_flags" in error.fields
                else _l("This screening is already completed."),
                "error",
            )
            return redirect(url_for("screening.review", screening_id=screening_id))
        store.commit()
        return redirect(url_for("screening.show", screening_id=screening_id))
    step = interview.next_step(store, screening, instrument)
    return render_template(
        "screening/review.html",
        form=form,
        screening=screening,
        answered=len(services.answers(store, screening)),
        rows=_answered(store, screening, instrument),
        finished=step.kind == "done",
        waiting=interview.waiting(store, screening, instrument),
    )


@bp.route("/<uuid:screening_id>/change", methods=["POST"])
@requires("screenings.read")
def change(screening_id: uuid.UUID) -> Any:
    """Ask again from one answer on: it and every answer given after it are cleared
    (screening.revisit), and the questions go on from there."""
    screening, instrument = load(screening_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if screening.status != "draft":
        flash(_l("This screening is already completed."), "error")
        return redirect(url_for("screening.show", screening_id=screening_id))
    store = db.session()
    if not revisit.change(store, screening, instrument, request.form.get("key", ""), clock.now()):
        flash(_l("That answer is no longer part of this interview."), "error")
        return redirect(url_for("screening.review", screening_id=screening_id))
    store.commit()
    return redirect(url_for("screening.ask", screening_id=screening_id))


PAUSE_ANSWERS = {
    ("interpreter_replaced", "yes"): _l("An independent interpreter is now present"),
    ("handover", "done"): _l("Stop and hand over: finish with what is known"),
    ("handover", "continued"): _l("Child-protection staff are present and continue the interview"),
}
PAUSE_QUESTIONS = {
    "interpreter_replaced": _l("Interpreter"),
    "handover": _l("Hand-over to child protection"),
}


class Row(NamedTuple):
    """One answer on the review page. A ``*_lang`` is the interview's language where the
    words are the instrument's, None where they are the page's."""

    question: str
    question_lang: str | None
    answer: str
    answer_lang: str | None
    key: str  # the key that asks its page again
    about: str | None = None  # the topic a "when?" asks about (papers, debt…), as asked


def _answered(store: Any, screening: Screening, instrument: Instrument) -> list[Row]:
    """The answers so far, in the order they were asked."""
    voice = services.voice(store, screening)
    given = services.answers(store, screening)
    rows = []
    for step, keys in revisit.path(instrument, given, interview.population(screening)):
        for key in keys:
            value = given[key]
            asked = engine.Step("member", key=key, ask=key) if step.kind == "list" else step
            about = None
            if key in PAUSE_QUESTIONS:
                question, question_lang = str(PAUSE_QUESTIONS[key]), None
            else:
                question = _item_question(instrument, asked, voice) or interview.wording(
                    instrument, asked, voice
                )
                question_lang = voice.language
                concept = instrument.concepts.get(asked.ask) if asked.kind == "when" else None
                about = voice.say(concept.label) if concept else None
            if (key, value) in PAUSE_ANSWERS:
                answer, answer_lang = str(PAUSE_ANSWERS[key, value]), None
            elif key.endswith("_when") and value not in scoring.OPEN:
                phases = [voice.say(instrument.when[w]) for w in value.split()]
                answer, answer_lang = ", ".join(phases), voice.language
            else:
                answer, answer_lang = str(ANSWER_LABELS.get(value, value)), None
            rows.append(Row(question, question_lang, answer, answer_lang, keys[0], about))
    return rows


@bp.route("/<uuid:screening_id>")
@requires("screenings.read")
def show(screening_id: uuid.UUID) -> Any:
    """The result in plain words, or the way back into a draft."""
    screening, instrument = load(screening_id)
    if screening.status == "draft":
        return redirect(url_for("screening.ask", screening_id=screening_id))
    store = db.session()
    result = services.result(store, screening)
    if result is None:
        abort(404)
    template = "screening/result.html" if "range" in result else "screening/result_v1.html"
    return render_template(
        template,
        screening=screening,
        result=result,
        instrument=instrument,
        red_flag_actions=red_flags.actions(store, screening),
        unacknowledged_flags=red_flags.unacknowledged(store, screening, result["red_flags"]),
        label=lambda i: explain.label(instrument, i, str(get_locale() or "en")),
        grade=lambda i: _grade(instrument, result, i),
        grades_shown=_grades_shown(instrument, result),
        one_more_text=lambda grades: " / ".join(str(explain.STRENGTH_TEXT[g]) for g in grades),
    )


def _grades_shown(instrument: Instrument, result: dict[str, Any]) -> list[str]:
    """The strengths the result page marks a sign with, strongest first, for its legend."""
    fired = [i for d in result.get("dimensions", {}).values() for i in d.get("fired", [])]
    shown = {_grade(instrument, result, i) for i in fired}
    return [g for g in explain.STRENGTH_TEXT if g in shown]


def _grade(instrument: Instrument, result: dict[str, Any], indicator_id: str) -> str | None:
    indicator = instrument.indicator(indicator_id)
    if indicator is None:
        return None
    if result.get("child") and indicator_id == "sx_child_sexual":
        return "sufficient"
    return indicator.grade(result.get("list", instrument.labour_list))
