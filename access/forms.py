"""Forms of the access package: sign-in steps, passwords, language, user administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from access.passwords import MAX_LENGTH
from access.roles import Role
from core.i18n import LANGUAGE_NAMES

# Longer than any allowed password, so an over-long one gets the policy's clear message
# rather than being cut; far below anything that would make hashing a burden.
PASSWORD_FIELD_LIMIT = MAX_LENGTH * 8

ROLE_LABELS = {
    Role.SCREENER: _l("Screener"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.PARTNER: _l("Partner staff"),
    Role.AUDITOR: _l("Auditor"),
    Role.ADMIN: _l("Administrator"),
}


def _password(label: str | object) -> PasswordField:
    return PasswordField(label, validators=[DataRequired(), Length(max=PASSWORD_FIELD_LIMIT)])


def _code() -> StringField:
    return StringField(_l("Six-digit code from your app"),
                       validators=[DataRequired(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                  "pattern": "[0-9 ]*"})


class ActionForm(FlaskForm):
    """A button that changes something: it carries only the CSRF token."""


class LoginForm(FlaskForm):
    """First step of signing in."""

    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "inputmode": "email"})
    password = _password(_l("Password"))


class CodeForm(FlaskForm):
    """Second step of signing in, and enrolment of a new second factor."""

    code = _code()


class ReauthForm(FlaskForm):
    """Both factors again before a sensitive action."""

    password = _password(_l("Password"))
    code = _code()


class NewPasswordForm(FlaskForm):
    """Choosing a password through a single-use link."""

    password = _password(_l("New password"))
    confirm = PasswordField(_l("New password again"),
                            validators=[EqualTo("password", message=_l("The passwords differ."))])
    code = StringField(_l("Six-digit code from your app"), validators=[Optional(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ChangePasswordForm(FlaskForm):
    """Changing one's own password."""

    current = _password(_l("Current password"))
    password = _password(_l("New password"))
    confirm = PasswordField(_l("New password again"),
                            validators=[EqualTo("password", message=_l("The passwords differ."))])
    code = _code()


class LanguageForm(FlaskForm):
    """The language switcher and the language setting."""

    locale = SelectField(_l("Language"), choices=[SelectChoice(code, name)
                                                  for code, name in LANGUAGE_NAMES.items()])
    next = HiddenField()


class UserForm(FlaskForm):
    """An administrator creating a user. There is no password field: the new user chooses
    their own through a single-use link."""

    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(role.value, label)
                                            for role, label in ROLE_LABELS.items()])
    team = StringField(_l("Team (screeners and supervisors)"),
                       validators=[Optional(), Length(max=80)])
    partner = SelectField(_l("Partner organisation (partner staff)"), choices=[],
                          validators=[Optional()])
