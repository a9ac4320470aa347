"""The report filters, read from the query string by the report pages, their CSV download
and the API alike (one parser for every way in)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3), so its hints lack it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Length, Optional, ValidationError

from access.models import Team
from core import i18n
from core.forms import AppForm, known_country
from reporting.definition import Filters

MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
# Months compare as text, so any four digits would do for a filter: only the years the
# statistics can hold are taken (Passage holds nothing before 2000; 0000-01 is a slip).
FIRST_YEAR, LAST_YEAR = 2000, 2999


def is_month(text: str) -> bool:
    """Whether ``text`` is a month as YYYY-MM, from FIRST_YEAR to LAST_YEAR: the one test of
    a month for the report pages, their API and ``reports export`` alike."""
    found = MONTH.fullmatch(text)
    return found is not None and FIRST_YEAR <= int(found[1]) <= LAST_YEAR


class _Month:
    """A field validator: empty, or a month :func:`is_month` takes."""

    def __init__(self, example: str) -> None:
        self.message = _l(
            "A month as YYYY-MM from %(first)d-01 to %(last)d-12, for example %(example)s.",
            first=FIRST_YEAR,
            last=LAST_YEAR,
            example=example,
        )

    def __call__(self, _form: Any, field: Any) -> None:
        if field.data and not is_month(field.data):
            raise ValidationError(self.message)


class ReportFilterForm(AppForm):
    """Period (months, both included), country and team."""

    class Meta:
        csrf = False  # a GET that changes nothing

    since = StringField(
        _l("From month (YYYY-MM)"),
        validators=[Optional(), _Month("2026-01")],
    )
    until = StringField(
        _l("Until month (YYYY-MM)"),
        validators=[Optional(), _Month("2026-12")],
    )
    # A name in any language Passage speaks, or the code; the facts keep the code.
    country = StringField(
        _l("Country (its name or two-letter code)"),
        validators=[Optional(), Length(max=100), known_country],
    )
    team = SelectField(_l("Team"), validators=[Optional()])

    def with_teams(self, store: Session, all_teams: bool) -> ReportFilterForm:
        """Offer every team to readers of all teams; a supervisor's team is fixed."""
        teams = (
            store.execute(sa.select(Team.id, Team.name).order_by(Team.name)).all()
            if all_teams
            else []
        )
        self.team.choices = [SelectChoice("", _l("All teams"))] + [
            SelectChoice(str(team_id), name) for team_id, name in teams
        ]
        return self

    def validate_until(self, field: Any) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The last month cannot come before the first."))

    def filters(self) -> Filters:
        """The validated filters."""
        return Filters(
            self.since.data or None,
            self.until.data or None,
            i18n.country_code(self.country.data) if self.country.data else None,
            uuid.UUID(self.team.data) if self.team.data else None,
        )
