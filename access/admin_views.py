"""Administrators' pages for managing users. They show accounts only, never case content.

Creating an account, changing its role or membership and resetting its second factor are only
requested here; ``access.approvals`` carries them out when a second person approves. Password
links go to the user by e-mail and are never shown on these pages.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3), so its hints lack it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from access import approvals, authn, passwords, services, teams
from access.forms import ActionForm, RoleForm, UserForm
from access.guard import requires
from access.models import User
from core import clock, db, paging, settings
from core.web import form_status, show_refusal

bp = Blueprint("admin", __name__, url_prefix="/admin")
USERS_PER_PAGE = 100  # keeps the page light (docs/architecture.md, "Page weight and static files")


def _user_or_404(user_id: uuid.UUID) -> User:
    user = services.get_user(db.session(), user_id)
    if user is None:
        raise NotFound()
    return user


@bp.route("/users")
@requires("users.manage", step_up=True)
def users() -> str:
    """The accounts with their role, membership and state, a page at a time."""
    page = paging.read(per_page=USERS_PER_PAGE, fixed=True)
    shown, total = services.list_users(db.session(), page)
    return render_template("admin/users.html", users=shown, total=total, page=page)


def _partner_choices(form: UserForm | RoleForm) -> None:
    form.team.choices = [SelectChoice("", "—")] + [
        SelectChoice(name, name) for name in teams.names(db.session())
    ]
    form.partner.choices = [SelectChoice("", "—")] + [
        SelectChoice(p.slug, p.name)
        for p in services.list_partner_organisations(db.session())
        if p.vetting_status != "suspended"
    ]


def _days() -> int:
    return settings.current().account_change_days


WAITS = _l(
    "Requested. It takes effect when another administrator, or for screeners and "
    "supervisors a supervisor of their team, approves it."
)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("users.manage", step_up=True)
def new_user() -> Any:
    """Ask for a new account; it is created only when a second person approves."""
    form = UserForm()
    _partner_choices(form)
    status = form_status(form)
    if form.validate_on_submit():
        refused = _ask_for(form, approvals.request_creation, form.email.data or "")
        if refused is None:
            return redirect(url_for("approvals.index"))
        status = refused
    return render_template("admin/new_user.html", form=form), status


def _ask_for(form: UserForm | RoleForm, ask: Callable[..., object], *subject: object) -> int | None:
    """Ask, with ``ask``, for the role and membership ``form`` gives ``subject`` (a new
    address, or an account). None when asked; else the refusal is on the form, one about no
    field of it (``user``: one's own account) said above it, and its status returned."""
    store = db.session()
    team, new_team = form.chosen_team()
    try:
        ask(
            store,
            current_user,
            *subject,
            form.role.data,
            clock.now(),
            _days(),
            team=team,
            partner=form.partner.data or None,
            new_team=new_team,
        )
    except (services.UserError, approvals.ChangeRefused) as error:
        store.rollback()
        status = show_refusal(form, error)
        for problem in form.form_errors:
            flash(problem, "error")
        return status
    store.commit()
    flash(WAITS, "success")
    return None


@bp.route("/users/<uuid:user_id>")
@requires("users.manage", step_up=True)
def user(user_id: uuid.UUID) -> Any:
    """One account and the actions an administrator may take on it."""
    user = _user_or_404(user_id)
    form = RoleForm(
        role=str(user.role),
        team=user.team.name if user.team else "",
        partner=user.partner.slug if user.partner else "",
    )
    _partner_choices(form)
    return _user_page(user, form)


def _user_page(user: User, role_form: RoleForm, status: int = 200) -> Any:
    """The account's page, its role form as given (a refused one shows its errors)."""
    return render_template(
        "admin/user.html",
        user=user,
        action=ActionForm(),
        role_form=role_form,
        is_self=user.id == current_user.id,
    ), status


@bp.route("/users/<uuid:user_id>/role", methods=["POST"])
@requires("users.manage", step_up=True)
def change_role(user_id: uuid.UUID) -> Any:
    """Ask to give an account another role, team or partner organisation."""
    user = _user_or_404(user_id)
    form = RoleForm()
    _partner_choices(form)
    if not form.validate_on_submit():
        return _user_page(user, form, 400)  # the form's own checks: a role not on the list
    refused = _ask_for(form, approvals.request_role_change, user)
    if refused is not None:
        return _user_page(user, form, refused)
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<uuid:user_id>/reset-second-factor", methods=["POST"])
@requires("users.manage", step_up=True)
def reset_second_factor(user_id: uuid.UUID) -> Any:
    """Ask to reset an account's second factor (a lost phone); a second person approves."""
    user = _user_or_404(user_id)
    if ActionForm().validate_on_submit():
        store = db.session()
        try:
            approvals.request_second_factor_reset(store, current_user, user, clock.now(), _days())
        except approvals.ChangeRefused as error:
            store.rollback()
            flash(str(error), "error")
        else:
            store.commit()
            flash(WAITS, "success")
    return redirect(url_for("admin.user", user_id=user_id))


# Each action: (service call, confirmation message). Self-service is refused for those that
# would let an administrator lock themselves out.
ACTIONS: dict[str, tuple[Callable[[Session, User, datetime], object], str]] = {
    "disable": (
        lambda store, user, now: services.disable_user(store, user, now),
        _l("The account is disabled and its sessions have ended."),
    ),
    "enable": (
        lambda store, user, now: services.enable_user(store, user),
        _l("The account is enabled."),
    ),
    "unlock": (
        lambda store, user, now: authn.unlock(store, user, settings.current()),
        _l("The account is unlocked."),
    ),
    "end-sessions": (
        lambda store, user, now: services.end_sessions(store, user, now),
        _l("All sessions of this account have ended, and its API tokens are revoked."),
    ),
}
NOT_ON_SELF = frozenset({"disable", "end-sessions"})


@bp.route(
    "/users/<uuid:user_id>/<any(" + ", ".join(f"'{a}'" for a in ACTIONS) + "):action>",
    methods=["POST"],
)
@requires("users.manage", step_up=True)
def user_action(user_id: uuid.UUID, action: str) -> Any:
    """Apply one of :data:`ACTIONS` to an account."""
    user = _user_or_404(user_id)
    if action in NOT_ON_SELF and user.id == current_user.id:
        flash(_l("You cannot do this to your own account."), "error")
        return redirect(url_for("admin.user", user_id=user_id))
    store = db.session()
    change, message = ACTIONS[action]
    change(store, user, clock.now())
    store.commit()
    flash(message, "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<uuid:user_id>/password-link", methods=["POST"])
@requires("users.manage", step_up=True)
def password_link(user_id: uuid.UUID) -> Response:
    """E-mail the user a fresh single-use link to choose a new password. The link goes to
    the user only: administrators never see it."""
    user = _user_or_404(user_id)
    if ActionForm().validate_on_submit():
        store = db.session()
        if passwords.send_password_link(store, user, clock.now(), settings.current()):
            store.commit()
            flash(
                _l(
                    "A single-use link to choose a password is on its way to the user's "
                    "e-mail address."
                ),
                "success",
            )
        else:
            flash(NO_MAIL, "error")
    return redirect(url_for("admin.user", user_id=user_id))


NO_MAIL = _l(
    "No mail server is configured, so the link cannot be sent. The operator issues "
    "it at the console with: flask --app wsgi users link EMAIL"
)
