"""Follow-up pages: adding a follow-up on the case page, marking one done, and "My
follow-ups" for screeners and supervisors; the case page's section of follow-ups
(templates/referral/_case_tasks.html) gets its data from ``case_tasks``. The rules are
``referral.tasks``'s (docs/case-work.md, "Follow-up tasks and reminders")."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import NotFound
from wtforms import DateField, SelectField, StringField

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3), so its hints lack it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length

from access.forms import ROLE_LABELS, ActionForm
from access.guard import requires
from access.models import User
from access.policy import authorize, basis
from core import clock, db
from core.forms import AppForm, OnceField
from core.ratelimit import per_user_and_address
from core.web import show_refusal
from referral import case_page, cases, tasks
from screening.forms import NOT_REMEMBERED

bp = Blueprint("tasks", __name__)


class TaskForm(AppForm):
    """A follow-up: what to do (the person's data: never remembered by the browser), by
    when, and who does it (only those who may work on the case are offered)."""

    title = StringField(
        _l("What to do"),
        validators=[InputRequired(), Length(max=tasks.TITLE_MAX)],
        render_kw={**NOT_REMEMBERED, "maxlength": tasks.TITLE_MAX},
    )
    due_on = DateField(_l("Due on"), validators=[InputRequired()])
    assignee = SelectField(_l("Who does it"), choices=[], validators=[InputRequired()])
    once = OnceField()  # sent twice, added once

    def offer(self, people: list[User], default: uuid.UUID | None = None) -> None:
        """Offer these people; ``default`` is chosen when nothing was chosen yet."""
        self.assignee.choices = [
            SelectChoice(str(u.id), f"{u.email} · {ROLE_LABELS[u.role]}") for u in people
        ]
        if not self.assignee.data and default in {u.id for u in people}:
            self.assignee.data = str(default)


def _refused(case: Any, form: TaskForm, status: int) -> Any:
    flash(_l("Nothing was changed. See what to fix below."), "error")
    return case_page.render(case, status, task=form)


def _on_case(case_id: uuid.UUID, anchor: str = "tasks") -> Any:
    return redirect(url_for("cases.show", case_id=case_id, _anchor=anchor))


@bp.route("/cases/<uuid:case_id>/tasks", methods=["POST"])
@requires("cases.manage")
def add(case_id: uuid.UUID) -> Any:
    """Add a follow-up to an open case."""
    store = db.session()
    case = cases.get(store, current_user, case_id, "cases.manage")
    form = TaskForm()
    form.offer(tasks.assignable(store, case))
    if not form.validate() or form.due_on.data is None:  # InputRequired: never None here
        return _refused(case, form, 400)
    try:
        tasks.add(
            store,
            current_user,
            case,
            form.title.data or "",
            form.due_on.data,
            uuid.UUID(form.assignee.data),
            clock.now(),
            form_key=form.once.data or None,
        )
        store.commit()
    except tasks.TaskError as error:
        store.rollback()
        status = show_refusal(form, error, fallback="title")
        return _refused(cases.get(store, current_user, case_id, "cases.manage"), form, status)
    flash(_l("Follow-up added."), "success")
    return _on_case(case_id)


@bp.route("/cases/<uuid:case_id>/tasks/<uuid:task_id>/done", methods=["POST"])
@requires("cases.manage")
def done(case_id: uuid.UUID, task_id: uuid.UUID) -> Any:
    """Mark a follow-up done: its assignee, the case's owner or the team's supervisor."""
    if not ActionForm().validate():
        raise NotFound()
    store = db.session()
    changed = tasks.complete(store, current_user, task_id, clock.now(), case_id)
    store.commit()
    flash(
        _l("Follow-up done.") if changed else _l("This follow-up was already done."),
        "success" if changed else "info",
    )
    return _on_case(case_id)


@bp.route("/tasks/")
@per_user_and_address("search_rate_limit")
@requires("cases.read")
def index() -> str:
    """My follow-ups: open ones on open cases, soonest due first; the case holds the rest."""
    store, today = db.session(), clock.now().date()
    rows = tasks.for_assignee(store, current_user, today)
    store.commit()
    return render_template("referral/tasks.html", rows=rows)


@bp.app_context_processor
def task_section() -> dict[str, Any]:
    """``case_tasks(case)`` for the case page: its follow-ups (an audited read) and the form
    to add one when the user may; None for a reader under break-glass, who sees the case's
    record but, as with its notes, not the team's work on it (docs/case-work.md)."""

    def case_tasks(case: Any) -> dict[str, Any] | None:
        if basis(current_user, "cases.read", case) != "scope":
            return None
        store = db.session()
        shown = tasks.tasks_of(store, case)
        form = case_page.refused("task")
        if form is None and authorize(current_user, "cases.manage", case):
            form = TaskForm(formdata=None)
            form.offer(tasks.assignable(store, case), current_user.id)
        return {
            "tasks": shown,
            "names": tasks.names(store, shown),
            "form": form,
            "action": ActionForm(formdata=None),
            "today": clock.now().date(),
            "may_complete": lambda task: tasks.may_complete(current_user, task, case),
        }

    return {"case_tasks": case_tasks}
