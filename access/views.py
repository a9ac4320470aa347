"""Web pages for signing in and out, the second factor, password links and one's own account."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from access import audit, authn, passwords, services, totp
from access.forms import (
    ActionForm,
    ChangePasswordForm,
    CodeForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    ReauthForm,
)
from access.guard import public, requires
from access.models import User
from access.passwords import MIN_LENGTH, PasswordRejected
from access.policy import require
from access.sessions import current_session, end_all_sessions, end_session, list_sessions
from core import clock, db, settings
from core.ratelimit import limiter
from core.web import form_status, safe_next, show_refusal

bp = Blueprint("access", __name__)

SIGN_IN_FAILED = _l(
    "Sign-in failed. Check your e-mail address, password and code, or wait a minute and try again."
)


def _login_limit() -> str:
    return settings.current().login_rate_limit


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    """First step: e-mail address and password."""
    if current_user.is_authenticated:
        return redirect(url_for("access.home"))
    form = LoginForm()
    if form.validate_on_submit():
        store, now = db.session(), clock.now()
        user = authn.check_password(
            store, form.email.data or "", form.password.data or "", now, settings.current()
        )
        store.commit()
        if user is not None:
            step = "code" if user.totp_confirmed_at else "enrol"
            _start_pending(user, step, now, safe_next(request.args.get("next")))
            return redirect(url_for(f"access.{step}"))
        return _sign_in_failed("access/login.html", form=form)
    return render_template("access/login.html", form=form), form_status(form)


def _sign_in_failed(template: str, **context: Any) -> tuple[str, int]:
    """The page again after a wrong password or code: one message and one status (422)
    whatever failed, an unknown account, a delay or a lock included, so that neither says
    which (R8). The failure itself was counted and committed, as it must be."""
    flash(SIGN_IN_FAILED, "error")
    return render_template(template, **context), 422


def _start_pending(user: User, step: str, now: datetime, next_url: str | None) -> None:
    session.clear()
    current_session().renew()
    session.update(
        pending_user_id=str(user.id), pending_step=step, pending_at=now.isoformat(), next=next_url
    )


def _pending_user(step: str) -> User | None:
    """The user half-way through signing in at ``step``, if that step is still open."""
    if session.get("pending_step") != step:
        return None
    started = datetime.fromisoformat(session["pending_at"])
    if (clock.now() - started).total_seconds() > settings.current().sign_in_step_max_age:
        return None
    user = services.get_user(db.session(), uuid.UUID(session["pending_user_id"]))
    return user if user is not None and user.is_active else None


def _restart() -> Response:
    session.clear()
    flash(_l("Please sign in again."), "info")
    return redirect(url_for("access.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def code() -> Any:
    """Second step: a code from the user's authenticator app."""
    user = _pending_user("code")
    if user is None:
        return _restart()
    form = CodeForm()
    if form.validate_on_submit():
        return _check_code_and_finish(user, form)
    return render_template("access/code.html", form=form), form_status(form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def enrol() -> Any:
    """First sign-in: set up the authenticator app, then prove it works with a code."""
    user = _pending_user("enrol")
    if user is None:
        return _restart()
    form = CodeForm()
    if form.validate_on_submit():
        return _check_code_and_finish(user, form)
    page = render_template("access/enrol.html", form=form, **_enrol_context(user))
    return page, form_status(form)


def _check_code_and_finish(user: User, form: CodeForm) -> Any:
    store, now = db.session(), clock.now()
    accepted = authn.check_code(store, user, form.code.data or "", now, settings.current())
    if not accepted:
        store.commit()
        if user.locked_at is not None:
            flash(SIGN_IN_FAILED, "error")
            return _restart()
        return _sign_in_failed(
            f"access/{session['pending_step']}.html", form=form, **_enrol_context(user)
        )
    authn.signed_in(store, user, settings.current())
    store.commit()
    next_url = session.get("next")
    session.clear()
    current_session().renew()
    login_user(user)
    session["auth_at"] = now.isoformat()
    return redirect(next_url or url_for("access.home"))


def _enrol_context(user: User) -> dict[str, Any]:
    if session.get("pending_step") != "enrol":
        return {}
    secret = services.totp_secret(db.session(), user)
    uri = totp.provisioning_uri(secret, user.email, settings.current().totp_issuer)
    return {"qr": totp.qr_svg(uri), "secret": totp.grouped(secret)}


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    """Sign out: the session ends on the server and the browser is told to forget the site."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("access.home"))
    if current_user.is_authenticated:
        store = db.session()
        audit.record(store, "sign_out", object_type="user", object_id=current_user.id)
        store.commit()
    logout_user()
    current_session().destroy()
    response = redirect(url_for("access.login"))
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.route("/password/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def set_password(token: str) -> Any:
    """Choose a password through a single-use link from an administrator."""
    store, now = db.session(), clock.now()
    link = passwords.find_password_link(store, token, now)
    if link is None:
        return render_template("access/link_invalid.html"), 404
    form = NewPasswordForm()
    status = form_status(form)
    if form.validate_on_submit():
        try:
            authn.complete_password_link(
                store, link, form.password.data or "", form.code.data or "", now, settings.current()
            )
        except PasswordRejected as error:
            store.rollback()
            status = show_refusal(form, error)
        except services.UserError as error:
            store.commit()  # the wrong code counts towards delays and lock-out, audited
            status = show_refusal(form, error)
        else:
            store.commit()
            flash(_l("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("access.login"))
    return render_template(
        "access/set_password.html",
        form=form,
        min_length=MIN_LENGTH,
        needs_code=link.user.totp_confirmed_at is not None,
    ), status


@bp.route("/language", methods=["POST"])
@public
def language() -> Response:
    """Switch the language; remembered on the account when signed in."""
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session().commit()
        else:
            session["locale"] = form.locale.data
    return redirect(safe_next(form.next.data) or url_for("access.home"))


@bp.route("/")
@requires("home.view")
def home() -> str:
    """The signed-in user's start page; it says when an idle session ends, in whole minutes
    (rounded down, so the page never promises more time than the setting gives)."""
    idle = settings.current().session_idle_timeout
    return render_template("access/home.html", idle_minutes=max(1, idle // 60))


@bp.route("/reauth", methods=["GET", "POST"])
@requires("account.manage")
def reauth() -> Any:
    """Prove both factors again before a sensitive action."""
    form = ReauthForm()
    if form.validate_on_submit():
        store, now = db.session(), clock.now()
        password_ok = (
            authn.check_password(
                store, current_user.email, form.password.data or "", now, settings.current()
            )
            is not None
        )
        if password_ok and authn.check_code(
            store, current_user, form.code.data or "", now, settings.current()
        ):
            audit.record(store, "step_up", object_type="user", object_id=current_user.id)
            store.commit()
            current_session().renew()
            session["auth_at"] = now.isoformat()
            return redirect(safe_next(request.args.get("next")) or url_for("access.account"))
        store.commit()
        return _sign_in_failed("access/reauth.html", form=form)
    return render_template("access/reauth.html", form=form), form_status(form)


@bp.route("/account", methods=["GET", "POST"])
@requires("account.manage")
def account() -> Any:
    """The user's own settings: language, password, sessions."""
    form = LanguageForm(locale=current_user.locale or "en")
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        db.session().commit()
        flash(_l("Saved."), "success")
        return redirect(url_for("access.account"))
    sessions = list_sessions(db.session(), current_user.id)
    return render_template(
        "access/account.html",
        form=form,
        sessions=sessions,
        current_session=getattr(session, "row_id", None),
        action=ActionForm(),
    ), form_status(form)


@bp.route("/account/password", methods=["GET", "POST"])
@requires("account.manage")
def change_password() -> Any:
    """Change one's own password with the current password and a fresh code."""
    form = ChangePasswordForm()
    status = form_status(form)
    if form.validate_on_submit():
        store = db.session()
        try:
            authn.change_password(
                store,
                current_user,
                form.current.data or "",
                form.password.data or "",
                form.code.data or "",
                clock.now(),
                settings.current(),
            )
        except PasswordRejected as error:
            store.rollback()
            status = show_refusal(form, error)
        except services.UserError as error:
            store.commit()  # the failure counts towards delays and lock-out, audited
            status = show_refusal(form, error)
        else:
            store.commit()
            logout_user()
            session.clear()
            current_session().renew()
            flash(_l("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("access.login"))
    page = render_template("access/change_password.html", form=form, min_length=MIN_LENGTH)
    return page, status


@bp.route("/account/sessions/<session_id>/end", methods=["POST"])
@requires("account.manage", step_up=True)
def end_own_session(session_id: str) -> Response:
    """End one of one's own sessions, for instance on a lost phone."""
    if ActionForm().validate_on_submit():
        store = db.session()
        own = {s.id: s for s in list_sessions(store, current_user.id)}
        require(current_user, "account.manage", own.get(session_id))
        end_session(store, current_user.id, session_id)
        audit.record(store, "session.ended", object_type="user", object_id=current_user.id)
        store.commit()
        flash(_l("The session has ended."), "success")
    return redirect(url_for("access.account"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@requires("account.manage", step_up=True)
def end_other_sessions() -> Response:
    """End every session of the user but this one."""
    if ActionForm().validate_on_submit():
        store = db.session()
        end_all_sessions(store, current_user.id, keep=getattr(session, "row_id", None))
        audit.record(
            store,
            "sessions.ended",
            object_type="user",
            object_id=current_user.id,
            details={"kept_current": True},
        )
        store.commit()
        flash(_l("Your other sessions have ended."), "success")
    return redirect(url_for("access.account"))
