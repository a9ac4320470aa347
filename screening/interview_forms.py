"""Forms of the interview itself: the answer to one question (docs/screening.md §3, §4), its
"when?" (the phases, or don't know), and what the screener did about the red flags just raised
(docs/screening.md §7). The forms that start a screening, and the pieces these share with
them, are in screening/forms.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, RadioField, StringField, TextAreaField

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3), so its hints lack it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from core import i18n
from core.forms import AppForm
from screening.forms import NOT_REMEMBERED, MultiCheckboxField
from screening.instruments import WHEN
from screening.red_flags import ACTIONS, CONTACTS, NOTE_MAX, OUTCOME_MAX
from screening.scoring import GIVEN

# The answers a person can give (scoring.GIVEN), as the interview page words them.
ANSWER_LABELS = {
    "yes": _l("Yes"),
    "no": _l("No"),
    "unknown": _l("Don't know"),
    "declined": _l("Prefers not to say"),
}
ANSWER_CHOICES = [SelectChoice(a, ANSWER_LABELS[a]) for a in GIVEN]
WHEN_UNKNOWN = "unknown"

# Who the screener contacted about a red flag, and what was done (red_flags.CONTACTS, ACTIONS).
CONTACT_LABELS = {
    "emergency_services": _l("Emergency services"),
    "medical": _l("Doctor, nurse or clinic"),
    "child_protection": _l("Child protection"),
    "supervisor": _l("Supervisor or duty protection officer"),
    "partner": _l("A partner organisation"),
    "other": _l("Someone else (say who below)"),
}
ACTION_LABELS = {
    "called": _l("Called for help"),
    "referred": _l("Referred to a service"),
    "escorted": _l("Went with the person to safety or care"),
    "safety_plan": _l("Agreed a safety plan with the person"),
    "none_possible": _l("No action was possible"),
}
# The form's time field, as a browser's datetime-local input sends it.
TIME_FORMAT = "%Y-%m-%dT%H:%M"


class AnswerForm(AppForm):
    """One question of the interview: Yes / No / Don't know / Prefers not to say. None is
    mandatory; "Save and continue" with nothing chosen records "Don't know" (shown and left
    blank is unknown, docs/screening.md §3). Where the question takes numbers, the hours or
    the pay the person gives decide the answer instead."""

    answer = RadioField(choices=ANSWER_CHOICES, validators=[Optional()])
    hours_per_day = IntegerField(
        _l("Hours a day"), validators=[Optional(), NumberRange(min=0, max=24)]
    )
    days_per_week = IntegerField(
        _l("Days a week"), validators=[Optional(), NumberRange(min=0, max=7)]
    )
    pay_per_month = IntegerField(
        _l("Pay in a month, in the local money"),
        validators=[Optional(), NumberRange(min=0, max=1_000_000_000)],
    )


class WhenForm(AppForm):
    """ "When did this happen?": one or more phases, or don't know."""

    when = MultiCheckboxField(validators=[Optional()])


def when_form(texts: dict[str, str], formdata: Any = None) -> WhenForm:
    """The "when?" form with the instrument's wording for each phase."""
    form = WhenForm(formdata=formdata)
    form.when.choices = [SelectChoice(w, texts[w]) for w in WHEN] + [
        SelectChoice(WHEN_UNKNOWN, _l("Don't know"))
    ]
    return form


def _at_least_one(form: FlaskForm, field: Any) -> None:
    # Not DataRequired: its "required" attribute on each checkbox would ask for all of them.
    if not field.data:
        raise StopValidation(str(_l("Tick at least one red flag.")))


class RedFlagActionForm(AppForm):
    """What was done about the red flags just raised. The flags to choose from are set by
    the view (:meth:`for_flags`); all are ticked at first."""

    flags = MultiCheckboxField(_l("Red flags this action answers"), validators=[_at_least_one])
    contacted = MultiCheckboxField(
        _l("Who was contacted?"),
        choices=[SelectChoice(c, CONTACT_LABELS[c]) for c in CONTACTS],
        validators=[Optional()],
    )
    contacted_note = StringField(
        _l("Who else (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        render_kw=NOT_REMEMBERED,
    )
    # In the deployment's time zone, as the screener's clock shows it (core.i18n.from_local).
    acted_at = DateTimeLocalField(_l("When"), format=TIME_FORMAT, validators=[InputRequired()])
    action = RadioField(
        _l("What was done?"),
        choices=[SelectChoice(a, ACTION_LABELS[a]) for a in ACTIONS],
        validators=[InputRequired()],
    )
    outcome = TextAreaField(
        _l("Outcome (kept confidential)"),
        validators=[Optional(), Length(max=OUTCOME_MAX)],
        render_kw=NOT_REMEMBERED,
    )

    @classmethod
    def for_flags(
        cls, flags: list[str], now: Any, label: Callable[[str], str]
    ) -> RedFlagActionForm:
        """The form for ``flags``, every one ticked and the time set to ``now`` (the
        deployment's local time) at first; each flag is shown by its ``label`` (the
        catalogue's words), its code is what is posted."""
        form = cls(flags=flags, acted_at=i18n.to_local(now))
        form.flags.choices = [SelectChoice(f, label(f)) for f in flags]
        return form
