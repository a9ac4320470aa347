"""Forms of the access package: sign-in steps, passwords, language, user administration."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, SelectField, StringField

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3), so its hints lack it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    Optional,
    ValidationError,
)

from access.audit import id_prefix
from access.models import TEAM_NAME_MAX
from access.passwords import MAX_LENGTH
from access.roles import Role
from core import paging
from core.forms import AppForm
from core.languages import LANGUAGE_NAMES

# Longer than any allowed password, so an over-long one gets the policy's clear message
# rather than being cut; far below anything that would make hashing a burden.
PASSWORD_FIELD_LIMIT = MAX_LENGTH * 8

ROLE_LABELS = {
    Role.SCREENER: _l("Screener"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.PARTNER: _l("Partner staff"),
    Role.AUDITOR: _l("Auditor"),
    Role.ANALYST: _l("Analyst"),
    Role.ADMIN: _l("Administrator"),
}


def _password(label: str) -> PasswordField:
    return PasswordField(label, validators=[DataRequired(), Length(max=PASSWORD_FIELD_LIMIT)])


def _code() -> StringField:
    return StringField(
        _l("Six-digit code from your app"),
        validators=[DataRequired(), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"},
    )


class ActionForm(AppForm):
    """A button that changes something: it carries only the CSRF token."""


class LoginForm(AppForm):
    """First step of signing in."""

    email = StringField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "inputmode": "email"},
    )
    password = _password(_l("Password"))


class CodeForm(AppForm):
    """Second step of signing in, and enrolment of a new second factor."""

    code = _code()


class ReauthForm(AppForm):
    """Both factors again before a sensitive action."""

    password = _password(_l("Password"))
    code = _code()


class NewPasswordForm(AppForm):
    """Choosing a password through a single-use link."""

    password = _password(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", message=_l("The passwords differ."))],
    )
    code = StringField(
        _l("Six-digit code from your app"),
        validators=[Optional(), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ChangePasswordForm(AppForm):
    """Changing one's own password."""

    current = _password(_l("Current password"))
    password = _password(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", message=_l("The passwords differ."))],
    )
    code = _code()


class LanguageForm(AppForm):
    """The language switcher and the language setting."""

    locale = SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]
    )
    next = HiddenField()


class RoleForm(AppForm):
    """An administrator asking to change an account's role, team or partner organisation."""

    role = SelectField(
        _l("Role"), choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]
    )
    # A list, so a misspelt name cannot make a team nobody else is in; a new team is named
    # on its own field, on purpose.
    team = SelectField(_l("Team (screeners and supervisors)"), choices=[], validators=[Optional()])
    new_team = StringField(
        _l("Or a new team (only to create one)"),
        validators=[Optional(), Length(max=TEAM_NAME_MAX)],
    )
    partner = SelectField(
        _l("Partner organisation (partner staff)"), choices=[], validators=[Optional()]
    )

    def validate_new_team(self, field: Field) -> None:
        if field.data and field.data.strip() and self.team.data:
            raise ValidationError(_l("Choose a team from the list or name a new one, not both."))

    def chosen_team(self) -> tuple[str | None, bool]:
        """The team's name and whether it is a new team."""
        new = (self.new_team.data or "").strip()
        return (new, True) if new else (self.team.data or None, False)


class UserForm(RoleForm):
    """An administrator creating a user. There is no password field: the new user chooses
    their own through a single-use link."""

    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])


def _iso_moment(_form: FlaskForm, field: Field) -> None:
    if field.data:
        try:
            moment = datetime.fromisoformat(field.data.replace("Z", "+00:00"))
        except ValueError as error:
            raise ValidationError(_l("Use a date like 2026-03-01 or 2026-03-01T09:30.")) from error
        if not 2000 <= moment.year <= 2999:
            raise ValidationError(_l("Use a date like 2026-03-01 or 2026-03-01T09:30."))
        field.data = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    else:
        field.data = None


# wtforms' own words for a number out of range, which wtforms' catalogues translate.
OUT_OF_RANGE = "Number must be between %(min)s and %(max)s."


def _paging(form: FlaskForm, field: StringField) -> None:
    # core.paging decides what is a good value, as for every list; the form only says so.
    most = getattr(form, "most_per_page", paging.MAX_PER_PAGE)
    limits = {**paging.LIMITS, "per_page": most}
    if field.name in paging.problems({field.name: field.data} if field.data else {}, most=most)[1]:
        raise ValidationError(field.gettext(OUT_OF_RANGE) % {"min": 1, "max": limits[field.name]})


def _actor_id(_form: FlaskForm, field: Field) -> None:
    if field.data and id_prefix(field.data) is None:
        raise ValidationError(
            _l(
                "Write the id as the table shows it, its first 8 characters or more "
                "(for example b9ae4ac5), or the whole id."
            )
        )


class AuditFilterForm(AppForm):
    """Filters for the audit log, read from the query string by the pages and the API."""

    class Meta:
        csrf = False  # a GET search that changes nothing

    most_per_page = paging.MAX_PER_PAGE  # the API's; the web page shows fewer (audit_views)
    actor = StringField(_l("Actor id"), validators=[Optional(), Length(max=64), _actor_id])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=40)])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=64)])
    outcome = SelectField(
        _l("Outcome"),
        validators=[Optional()],
        choices=[
            SelectChoice("", "—"),
            SelectChoice("allowed", _l("allowed")),
            SelectChoice("denied", _l("denied")),
            SelectChoice("failed", _l("failed")),
        ],
    )
    since = StringField(_l("From (UTC)"), validators=[_iso_moment])
    until = StringField(_l("Until (UTC)"), validators=[_iso_moment])
    # Paging is read by core.paging, as for every list; the form shows per_page as an input.
    per_page = StringField(_l("Per page"), validators=[_paging])

    def filters(self) -> dict[str, object]:
        """The validated filters, as ``access.audit.events`` takes them."""
        return {
            "actor_id": self.actor.data,
            "action": self.action.data,
            "object_type": self.object_type.data,
            "object_id": self.object_id.data,
            "outcome": self.outcome.data,
            "since": self.since.data,
            "until": self.until.data,
        }
