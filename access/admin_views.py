"""Administrators' pages for managing users. They show accounts only, never case content."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import NotFound
from wtforms import SelectChoice

from access import authn, services
from access.forms import ActionForm, UserForm
from access.models import User
from access.passwords import PasswordRejected
from access.policy import requires
from core import clock, db

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_or_404(user_id: uuid.UUID) -> User:
    user = services.get_user(db.session(), user_id)
    if user is None:
        raise NotFound()
    return user


@bp.route("/users")
@requires("users.manage", step_up=True)
def users() -> str:
    """Every account with its role, membership and state."""
    return render_template("admin/users.html", users=services.list_users(db.session()))


@bp.route("/users/new", methods=["GET", "POST"])
@requires("users.manage", step_up=True)
def new_user() -> Any:
    """Create an account; the page then shows its single-use set-up link once."""
    store = db.session()
    form = UserForm()
    form.partner.choices = [SelectChoice("", "—")] + [
        SelectChoice(p.slug, p.name) for p in services.list_partner_organisations(store)
        if p.active]
    if form.validate_on_submit():
        now = clock.now()
        try:
            user = services.create_user(store, form.email.data, form.role.data, now,
                                        team=form.team.data or None,
                                        partner=form.partner.data or None)
        except (services.UserError, PasswordRejected) as error:
            store.rollback()
            form.email.errors.append(str(error))
        else:
            token = services.issue_password_link(store, user, now,
                                                 current_app.config["PASSWORD_LINK_HOURS"])
            store.commit()
            return _show_link(user, token)
    return render_template("admin/new_user.html", form=form)


def _show_link(user: User, token: str) -> str:
    link = url_for("access.set_password", token=token, _external=True)
    return render_template("admin/password_link.html", user=user, link=link,
                           hours=current_app.config["PASSWORD_LINK_HOURS"])


@bp.route("/users/<uuid:user_id>")
@requires("users.manage", step_up=True)
def user(user_id: uuid.UUID) -> str:
    """One account and the actions an administrator may take on it."""
    return render_template("admin/user.html", user=_user_or_404(user_id), action=ActionForm(),
                           is_self=user_id == current_user.id)


# Each action: (service call, confirmation message). Self-service is refused for those that
# would let an administrator lock themselves out.
ACTIONS = {
    "disable": (lambda store, user, now: services.disable_user(store, user, now),
                _l("The account is disabled and its sessions have ended.")),
    "enable": (lambda store, user, now: services.enable_user(store, user),
               _l("The account is enabled.")),
    "unlock": (lambda store, user, now: authn.unlock(store, user, current_app.config),
               _l("The account is unlocked.")),
    "reset-second-factor": (lambda store, user, now: services.reset_second_factor(store, user,
                                                                                  now),
                            _l("The second factor is reset; the user sets it up again at the "
                               "next sign-in.")),
    "end-sessions": (lambda store, user, now: services.end_sessions(store, user),
                     _l("All sessions of this account have ended.")),
}
NOT_ON_SELF = frozenset({"disable", "reset-second-factor", "end-sessions"})


@bp.route("/users/<uuid:user_id>/<any(" + ", ".join(f"'{a}'" for a in ACTIONS) + "):action>",
          methods=["POST"])
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
def password_link(user_id: uuid.UUID) -> str:
    """Issue a fresh single-use link for the user to choose a new password."""
    user = _user_or_404(user_id)
    store = db.session()
    token = services.issue_password_link(store, user, clock.now(),
                                         current_app.config["PASSWORD_LINK_HOURS"])
    store.commit()
    return _show_link(user, token)
