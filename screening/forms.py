"""Forms of the start of a screening: safety check, consent and the person's details
(docs/screening.md §8.1), and their correction on a case (docs/case-work.md), with the
pieces other forms share. The interview's own forms are in screening/interview_forms.py."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3), so its hints lack it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from core import i18n
from core.forms import UNKNOWN_LANGUAGE, AppForm, known_country, known_language
from core.languages import LANGUAGE_NAMES
from screening import people
from screening.consent import CHILD_BASES, EXPLAINED, PRESENT, presence_problem
from screening.opening import PURPOSES, SHAREABLE
from screening.people import AGE_SOURCES
from screening.services import SERVICES

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]
SERVICE_LABELS = {
    "shelter": _l("Safe place to stay"),
    "medical": _l("Medical care"),
    "psychosocial": _l("Psychosocial support"),
    "legal": _l("Legal advice"),
    "child_protection": _l("Child protection"),
    "return_reintegration": _l("Return and reintegration"),
    "livelihood": _l("Work and income"),
    "interpretation": _l("Interpretation"),
}
# What the person agrees to, purpose by purpose (opening.PURPOSES), and what the screener
# says of one where it needs saying.
PURPOSE_LABELS = {
    "screening": _l("Answer questions about their journey, work and living conditions"),
    "storing": _l("Keep a confidential record of the answers"),
    "referral": _l("Share some details with an organisation that can help"),
    "statistics": _l("Count the answers, without names, in statistics"),
    "recontact": _l("Be contacted again"),
}
PURPOSE_HINTS = {
    "statistics": _l(
        "Only the month, the country and coarse facts such as an age band are counted, never "
        "a name or a number. Nothing in the count leads back to the person, so it stays when "
        "their record is deleted. A person who does not want a record kept can still be counted."
    ),
}
SHARE_LABELS = {
    "given_name": _l("Given name"),
    "family_name": _l("Family name"),
    "age": _l("Age"),
    "sex": _l("Sex"),
    "nationality": _l("Nationality"),
    "location": _l("Where they are now"),
    "languages": _l("Languages they speak"),
    "contact": _l("How to contact them"),
    "needs": _l("What they need"),
    "answers": _l("Their answers to the screening questions"),
}
PRESENT_LABELS = {
    "guardian": _l("A parent or guardian"),
    "representative": _l("An appointed representative or guardian ad litem"),
    "social_worker": _l("A social worker"),
    "trusted_adult": _l("Another adult the child trusts"),
    "nobody": _l("Nobody"),
}
EXPLAINED_LABELS = {
    "purpose": _l("Who we are and why we ask these questions"),
    "voluntary": _l(
        "Answering is voluntary: any question can be skipped and the interview stopped"
    ),
    "kept_and_seen": _l("What is kept and who can see it"),
    "sharing": _l("Nothing is shared with another organisation without their agreement"),
    "not_police": _l("This is not a police interview"),
}
BASIS_LABELS = {
    "": _l("None: a parent, guardian or representative consents"),
    "child_protection": _l("Child protection: the child may be at risk of harm"),
    "risk_to_life": _l("Risk to the child's life or health"),
}
SEX_LABELS = {
    "": "—",
    "female": _l("Female"),
    "male": _l("Male"),
    "other": _l("Other"),
    "unknown": _l("Prefers not to say"),
}
AGE_SOURCE_LABELS = {
    "": "—",
    "document": _l("From an identity document"),
    "claimed": _l("As the person says"),
    "estimated": _l("Estimated by you"),
}
ANSWER_THIS = _l("Answer this question.")

# A browser must keep nothing typed about a person (names, contacts, notes): on a shared or
# seized device its saved form entries would name the people screened on it.
NOT_REMEMBERED = {"autocomplete": "off"}


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes, shown as a fieldset (see macros.choice)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AskedWhen:
    """Required when the safety form's ``child`` answer is ``child``; not asked otherwise."""

    def __init__(self, child: str) -> None:
        self.child = child

    def __call__(self, form: Any, field: Any) -> None:
        if form.child.data != self.child or not field.data:
            field.errors[:] = []  # not asked: nothing to check; asked, unanswered: say so
            raise StopValidation("" if form.child.data != self.child else ANSWER_THIS)


class SafetyForm(AppForm):
    """Before anything else: can this conversation happen safely, and with whom? An adult
    must be alone; a child may keep a trusted adult, but nobody linked to their exploiters."""

    child = RadioField(
        _l("Is the person under 18, or might they be?"),
        choices=YES_NO,
        validators=[InputRequired()],
    )
    alone = RadioField(
        _l(
            "Is the person alone with you, with no one from their employer, "
            "recruiter or travel organiser nearby?"
        ),
        choices=YES_NO,
        validators=[AskedWhen("no")],
    )
    linked_present = RadioField(
        _l(
            "Is anyone present linked to the people who employ the "
            "child, brought them here or control them?"
        ),
        choices=YES_NO,
        validators=[AskedWhen("yes")],
    )
    present = MultiCheckboxField(
        _l("Who else is present?"),
        choices=[SelectChoice(p, PRESENT_LABELS[p]) for p in PRESENT],
        validators=[AskedWhen("yes")],
    )
    safe_to_talk = RadioField(
        _l("Does the person say it is safe to talk now?"),
        choices=YES_NO,
        validators=[InputRequired()],
    )
    language = SelectField(_l("Language of the questions"), choices=LANGUAGE_CHOICES)
    # A name as the person form takes one ("Arabic", "arabe") or a code, kept as the code.
    interpreter_language = StringField(
        _l("Interpreter's language (its name or two-letter code), if any"),
        validators=[Optional(), Length(max=100), known_language],
        render_kw=NOT_REMEMBERED,
    )
    interpreter_independent = RadioField(
        _l("Is the interpreter independent of anyone who brought or employs the person?"),
        choices=[*YES_NO, SelectChoice("none", _l("No interpreter"))],
        validators=[InputRequired()],
    )

    def interpreter_code(self) -> str | None:
        """The interpreter's language as its ISO 639-1 code, None when none was given."""
        return i18n.language_code(self.interpreter_language.data or "")

    def validate_present(self, field: MultiCheckboxField) -> None:
        """For a child: "Nobody" alone (AskedWhen requires an answer)."""
        if presence_problem(field.data or []):
            raise ValidationError(_l('Tick who is present, or only "Nobody".'))


class ConsentForm(AppForm):
    """Consent, purpose by purpose, asked after reading the script and explaining each
    point; for a child, their assent and who consents for them. Each purpose of
    ``opening.PURPOSES`` is a checkbox of its own name, added below the class."""

    share = MultiCheckboxField(
        _l("If they agree to referral: what may be shared with the organisation?"),
        choices=[SelectChoice(f, SHARE_LABELS[f]) for f in SHAREABLE],
        validators=[Optional()],
    )
    explained = MultiCheckboxField(
        _l("You explained:"),
        choices=[SelectChoice(p, EXPLAINED_LABELS[p]) for p in EXPLAINED],
        validators=[Optional()],
    )
    assent = BooleanField(_l("The child agrees to talk with you"))
    guardian_consent = BooleanField(_l("A parent, guardian or appointed representative consents"))
    basis = RadioField(
        _l("Without that consent, the legal basis for going on"),
        default="",
        choices=[SelectChoice(b, BASIS_LABELS[b]) for b in ("", *CHILD_BASES)],
        validators=[Optional()],
    )


# One checkbox per purpose, named as the purpose, so a purpose added to opening.PURPOSES is
# asked without touching the form (a purpose without a label stops the import here).
for _purpose in PURPOSES:
    setattr(ConsentForm, _purpose, BooleanField(PURPOSE_LABELS[_purpose]))


class PersonForm(AppForm):
    """Who is being screened. Only the given name is required."""

    given_name = StringField(
        _l("Given name or the name they use"),
        validators=[InputRequired(), Length(max=100)],
        render_kw=NOT_REMEMBERED,
    )
    family_name = StringField(
        _l("Family name"), validators=[Optional(), Length(max=100)], render_kw=NOT_REMEMBERED
    )
    age = IntegerField(
        _l("Age (leave empty if unknown)"),
        validators=[Optional(), NumberRange(min=0, max=120)],
        render_kw=NOT_REMEMBERED,
    )
    age_source = SelectField(
        _l("How is the age known?"),
        choices=[SelectChoice(s, AGE_SOURCE_LABELS[s]) for s in ("", *AGE_SOURCES)],
        validators=[Optional()],
        render_kw=NOT_REMEMBERED,
    )
    sex = SelectField(
        _l("Sex"),
        choices=[SelectChoice(s, SEX_LABELS[s]) for s in ("", *people.SEXES)],
        validators=[Optional()],
        render_kw=NOT_REMEMBERED,
    )
    # Names or codes: a screener with an interpreter knows "Eritrea" and "Tigrinya", not ER
    # and ti; the record keeps the codes (core/i18n.py reads the names, in any language
    # Passage speaks, the page's first).
    nationality = StringField(
        _l("Nationality (the country's name or its two-letter code)"),
        validators=[Optional(), Length(max=100), known_country],
        render_kw=NOT_REMEMBERED,
    )
    country = StringField(
        _l("Country where they are now (its name or two-letter code)"),
        validators=[Optional(), Length(max=100), known_country],
        render_kw=NOT_REMEMBERED,
    )
    region = StringField(
        _l("Region or town"), validators=[Optional(), Length(max=100)], render_kw=NOT_REMEMBERED
    )
    languages = StringField(
        _l("Languages they speak (names or two-letter codes, separated by commas)"),
        validators=[Optional(), Length(max=300)],
        render_kw=NOT_REMEMBERED,
    )
    contact = StringField(
        _l("A safe way to contact them, if they agree"),
        validators=[Optional(), Length(max=200)],
        render_kw=NOT_REMEMBERED,
    )
    needs = MultiCheckboxField(
        _l("What do they need now?"),
        choices=[SelectChoice(s, SERVICE_LABELS[s]) for s in SERVICES],
        validators=[Optional()],
    )
    notes = TextAreaField(
        _l("Notes (kept confidential)"),
        validators=[Optional(), Length(max=4000)],
        render_kw=NOT_REMEMBERED,
    )

    def validate_languages(self, field: Any) -> None:
        """Languages the screener named or coded, eight at most."""
        codes, unknown = i18n.languages_of(field.data or "")
        if unknown:
            raise ValidationError(UNKNOWN_LANGUAGE % {"names": ", ".join(unknown)})
        if len(codes) > MAX_LANGUAGES:
            raise ValidationError(TOO_MANY_LANGUAGES % {"count": MAX_LANGUAGES})


class CorrectionForm(PersonForm):
    """Correcting the person's details on their case: the same fields as when they were
    registered, but not the needs (a case's needs add up from its screenings), with the
    date of birth and whether they may be under 18."""

    # WTForms' way to drop an inherited field, which its hints cannot express.
    needs = None  # type: ignore[assignment]
    birth_date = DateField(
        _l("Date of birth (leave empty if unknown)"),
        validators=[Optional()],
        render_kw=NOT_REMEMBERED,
    )
    possibly_minor = BooleanField(_l("May be under 18"), render_kw=NOT_REMEMBERED)


MAX_LANGUAGES = 8
TOO_MANY_LANGUAGES = _l("Write at most %(count)d languages.")


def identity_of(form: PersonForm) -> people.Identity:
    """The person's details as the form holds them (the date of birth when it asks it), the
    countries and languages as their codes."""
    languages = i18n.languages_of(form.languages.data or "")[0]
    birth_date = getattr(form, "birth_date", None)
    return people.Identity(
        given_name=(form.given_name.data or "").strip(),
        family_name=form.family_name.data or None,
        birth_date=birth_date.data if birth_date is not None else None,
        age=form.age.data,
        sex=form.sex.data or None,
        nationality=i18n.country_code(form.nationality.data or ""),
        country=i18n.country_code(form.country.data or ""),
        region=form.region.data or None,
        contact=form.contact.data or None,
        notes=form.notes.data or None,
        languages=languages,
        age_source=form.age_source.data or None,
    )
