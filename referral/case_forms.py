"""Forms of the case and inbox pages: referring a case, break-glass, linking an earlier
record, closing and reopening a case, a case note, and a partner's answer to a referral."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField

# types-WTForms 3.2 predates SelectChoice (WTForms 3.3), so its hints lack it.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import UUID, InputRequired, Length, Optional

from core.forms import AppForm, OnceField
from referral import case_status, notes, referrals
from referral.cases import REASON_MIN
from screening.forms import NOT_REMEMBERED, SERVICE_LABELS, SHARE_LABELS, MultiCheckboxField
from screening.services import SERVICES

DECLINE_LABELS = {
    "no_capacity": _l("No free place now"),
    "not_eligible": _l("Outside who we serve"),
    "out_of_area": _l("Outside the area we cover"),
    "service_unavailable": _l("The service asked for is not available"),
    "other": _l("Another reason"),
}
OUTCOME_LABELS = {
    "services_provided": _l("Help was given"),
    "person_declined": _l("The person said no"),
    "lost_contact": _l("Contact was lost"),
    "referred_on": _l("Referred on elsewhere"),
    "other": _l("Other outcome"),
}
URGENCY_LABELS = {"normal": _l("Normal"), "urgent": _l("Urgent")}
CASE_STATUS_LABELS = {
    "active": _l("Active"),
    "follow_up": _l("In follow-up"),
    "closed": _l("Closed"),
    "closed_referred": _l("Closed, referred on"),
    "merged": _l("Linked to an earlier case"),
}
CASE_OUTCOME_LABELS = {
    "services_provided": _l("Help was given"),
    "person_declined": _l("The person said no"),
    "lost_contact": _l("Contact was lost"),
    "referred_on": _l("Referred on elsewhere"),
    "moved_away": _l("The person moved away"),
    "other": _l("Other outcome"),
    "retention": _l("The record reached the end of its retention period"),
}


class ReferForm(AppForm):
    """Refer the case to one partner. The partner and share choices are set per case: only
    offered partners, only fields the person agreed to share."""

    partner = RadioField(_l("Partner"), choices=[], validators=[InputRequired()])
    services = MultiCheckboxField(
        _l("Services asked for"),
        choices=[SelectChoice(s, SERVICE_LABELS[s]) for s in SERVICES],
        validators=[InputRequired()],
    )
    share = MultiCheckboxField(
        _l("Send these details (only what is needed)"), choices=[], validators=[Optional()]
    )
    urgency = RadioField(
        _l("Urgency"),
        default="normal",
        choices=[SelectChoice(u, URGENCY_LABELS[u]) for u in referrals.URGENCIES],
        validators=[InputRequired()],
    )
    note = TextAreaField(
        _l("Note for the partner (optional)"),
        validators=[Optional(), Length(max=referrals.NOTE_MAX)],
        render_kw=NOT_REMEMBERED,
    )

    def limit(self, partners: list[tuple[str, str]], shareable: tuple[str, ...]) -> None:
        """Offer only these partners and these fields."""
        self.partner.choices = [SelectChoice(slug, name) for slug, name in partners]
        self.share.choices = [SelectChoice(f, SHARE_LABELS[f]) for f in shareable]


class BreakGlassForm(AppForm):
    """Why a supervisor needs a case outside their team."""

    reason = TextAreaField(
        _l("Why do you need this case now?"),
        validators=[InputRequired(), Length(min=REASON_MIN, max=1000)],
        render_kw=NOT_REMEMBERED,
    )


class LinkForm(AppForm):
    """Confirm that an earlier case is the same person."""

    earlier = HiddenField(validators=[InputRequired(), UUID()])
    # Linking shreds the newer record: the screener says they asked, every time.
    confirm = BooleanField(
        _l("I asked the person: it is the same person. This cannot be undone."),
        validators=[
            InputRequired(_l("Tick the box to confirm it is the same person before linking."))
        ],
    )


class DeclineForm(AppForm):
    """Why the partner cannot take the referral."""

    # No reason is chosen for the partner: one left as it came would be recorded untrue.
    reason = SelectField(
        _l("Why you decline it"),
        choices=[SelectChoice("", _l("Choose a reason"))]
        + [SelectChoice(r, DECLINE_LABELS[r]) for r in referrals.DECLINE_REASONS],
        validators=[InputRequired(message=_l("Choose why you decline the referral."))],
        render_kw=NOT_REMEMBERED,
    )


class CloseForm(AppForm):
    """How the referral ended."""

    # As the decline's reason: nothing chosen for the partner, or an outcome left as it came
    # would be recorded as what happened.
    outcome = SelectField(
        _l("Outcome"),
        choices=[SelectChoice("", _l("Choose the outcome"))]
        + [SelectChoice(o, OUTCOME_LABELS[o]) for o in referrals.OUTCOMES],
        validators=[InputRequired(message=_l("Choose how the referral ended."))],
        render_kw=NOT_REMEMBERED,
    )


class CloseCaseForm(AppForm):
    """How the case ended; open referrals are withdrawn only when the box is ticked."""

    outcome = SelectField(
        _l("How did the case end?"),
        choices=[SelectChoice("", _l("Choose the outcome"))]
        + [SelectChoice(o, CASE_OUTCOME_LABELS[o]) for o in case_status.OUTCOMES],
        validators=[InputRequired(message=_l("Choose how the case ended."))],
    )
    withdraw = BooleanField(_l("Withdraw the open referrals (their partners are told)"))


class ReopenForm(AppForm):
    """Why a closed case is opened again."""

    reason = TextAreaField(
        _l("Why is the case reopened?"),
        validators=[InputRequired(), Length(min=REASON_MIN, max=notes.NOTE_MAX)],
        render_kw=NOT_REMEMBERED,
    )


class NoteForm(AppForm):
    """A caseworker's note on the case; sent twice, written once (``once``)."""

    text = TextAreaField(
        _l("New note"),
        validators=[InputRequired(), Length(max=notes.NOTE_MAX)],
        render_kw=NOT_REMEMBERED,
    )
    once = OnceField()
