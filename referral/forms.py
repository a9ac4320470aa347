"""Forms of the partner directory's admin pages: a partner's details, a new partner (with its
slug and first vetting), and suspending or re-vetting. They parse and check each field; the
rules across fields (a free slug, an expiry after today) are the directory service's."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3), so its hints lack it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from core import i18n
from core.forms import UNKNOWN_LANGUAGE, AppForm
from referral import directory
from screening.forms import SERVICE_LABELS, MultiCheckboxField
from screening.services import SERVICES

POPULATION_LABELS = {
    "women": _l("Women"),
    "men": _l("Men"),
    "children": _l("Children"),
    "families": _l("Families"),
    "lgbtqi": _l("LGBTQI+ people"),
}
VETTING_LABELS = {
    "vetted": _l("Vetted"),
    "pending": _l("Waiting for vetting"),
    "suspended": _l("Suspended"),
}
# The directory's caps (its import holds to them too), checked here to say so on the field.
MAX_LANGUAGES = directory.MAX_LANGUAGES
MAX_AREAS = directory.MAX_AREAS
REGION_MAX = directory.REGION_MAX  # the width of partner_areas.region


def _languages(_form: FlaskForm, field: StringField) -> None:
    codes, unknown = i18n.languages_of(field.data or "")
    if unknown:
        raise ValidationError(UNKNOWN_LANGUAGE % {"names": ", ".join(unknown)})
    if len(codes) > MAX_LANGUAGES:
        raise ValidationError(_l("At most %(num)d languages.", num=MAX_LANGUAGES))
    field.data = " ".join(sorted(codes))


def _areas(_form: FlaskForm, field: TextAreaField) -> None:
    areas = []
    for line in filter(None, (line.strip() for line in (field.data or "").splitlines())):
        written, _slash, region = line.partition("/")
        country, region = i18n.country_code(written), region.strip()
        if country is None or len(region) > REGION_MAX:
            raise ValidationError(
                _l(
                    "Write one area per line: a country (its name or two-letter code), or a "
                    "country and a region such as Kosovo/North. Not understood: %(line)s",
                    line=line,
                )
            )
        areas.append(f"{country}/{region}" if region else country)
    if len(set(areas)) > MAX_AREAS:
        raise ValidationError(_l("At most %(num)d areas.", num=MAX_AREAS))
    field.data = "\n".join(dict.fromkeys(areas))  # without repeats, in the order written


class PartnerForm(AppForm):
    """A partner's details as an administrator edits them. The slug and the vetting are not
    here: the slug never changes, and vetting changes only by suspending or re-vetting."""

    name = StringField(
        _l("Name"),
        filters=[lambda v: v.strip() if v else v],
        validators=[DataRequired(), Length(max=200)],
    )
    services = MultiCheckboxField(
        _l("Services offered"),
        choices=[SelectChoice(s, SERVICE_LABELS[s]) for s in SERVICES],
        validators=[Optional()],
    )
    populations = MultiCheckboxField(
        _l("People served"),
        choices=[SelectChoice(p, POPULATION_LABELS[p]) for p in directory.POPULATIONS],
        validators=[Optional()],
    )
    # Names or codes, as on the person's form (docs/architecture.md, "Countries and languages
    # on pages"); the directory keeps the codes.
    languages = StringField(
        _l("Languages spoken (names or two-letter codes, separated by commas)"),
        validators=[Length(max=200), _languages],
    )
    areas = TextAreaField(
        _l("Areas served, one per line: a country, or a country and a region (Kosovo/North)"),
        validators=[Length(max=10_000), _areas],
    )
    capacity = IntegerField(
        _l("Free places now"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=10**6)],
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    email = StringField(_l("E-mail address"), validators=[Optional(), Length(max=254), Email()])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=500)])

    @staticmethod
    def initial(entry: dict[str, Any]) -> dict[str, Any]:
        """Form data from a directory entry (see ``directory.entry_of``)."""
        contact = entry.get("contact") or {}
        return {
            **{name: contact.get(name) for name in directory.CONTACT_FIELDS},
            "name": entry["name"],
            "services": entry["services"],
            "populations": entry["populations"],
            "languages": " ".join(entry["languages"]),
            "areas": "\n".join(
                f"{a['country']}/{a['region']}" if a["region"] else a["country"]
                for a in entry["areas"]
            ),
            "capacity": entry["capacity"],
        }

    def details(self) -> dict[str, Any]:
        """The validated details, shaped as in the directory's import file."""
        contact = {
            name: getattr(self, name).data.strip()
            for name in directory.CONTACT_FIELDS
            if (getattr(self, name).data or "").strip()
        }
        return {
            "name": self.name.data,
            "services": self.services.data or [],
            "populations": self.populations.data or [],
            "languages": (self.languages.data or "").split(),
            "areas": [
                {"country": c, "region": r or None}
                for c, _s, r in (
                    line.partition("/") for line in (self.areas.data or "").splitlines()
                )
            ],
            "capacity": self.capacity.data,
            "contact": contact or None,
        }


class NewPartnerForm(PartnerForm):
    """A partner added to the directory: its details, its slug and its vetting."""

    slug = StringField(
        _l("Short name (lower-case letters, digits and hyphens; it cannot change later)"),
        validators=[
            InputRequired(),
            Length(max=64),
            Regexp(
                directory.SLUG.pattern + r"\Z",
                message=_l(
                    "Use 2 to 64 lower-case letters, digits "
                    "and hyphens, starting with a letter "
                    "or digit."
                ),
            ),
        ],
    )
    vetting_status = SelectField(
        _l("Vetting"),
        default="pending",
        choices=[SelectChoice(v, VETTING_LABELS[v]) for v in directory.VETTING],
    )
    valid_until = DateField(_l("Vetted until"), validators=[Optional()])

    def entry(self) -> dict[str, Any]:
        """The validated partner, shaped as in the directory's import file."""
        until = self.valid_until.data
        return {
            **self.details(),
            "slug": self.slug.data,
            "vetting": {
                "status": self.vetting_status.data,
                "valid_until": until.isoformat() if until else None,
            },
        }


class VettingForm(AppForm):
    """Suspend a partner, or re-vet it until a date (the service requires one after today)."""

    action = HiddenField(validators=[InputRequired(), Regexp(r"(suspend|revet)\Z")])
    valid_until = DateField(_l("Vetted until"), validators=[Optional()])
