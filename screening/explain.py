"""Plain-language explanation of a result, all in the screener's language: short labels of
the signs, never the verbatim questions (those stay in the interview language, on the
result page's collapsed list) and never a verdict (docs/screening.md §1, §6)."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from screening.instruments import Instrument
from screening.scoring import Result

CLASS_TEXT = {
    "likely_trafficking": _l(
        "The answers show the signs that, together, indicate likely trafficking in persons."
    ),
    "possible_trafficking": _l(
        "The answers show some of the signs of trafficking in persons; "
        "it is possible and needs follow-up."
    ),
    "indicators_present": _l(
        "Some signs of exploitation were reported, not enough to indicate trafficking on their own."
    ),
    "smuggling_indicators": _l(
        "The answers show signs of migrant smuggling, and no sign of trafficking."
    ),
    "no_indicators": _l("No sign of trafficking or smuggling was reported."),
}
DIMENSION_TEXT = {
    "deceptive_recruitment": _l("deceptive recruitment"),
    "coercive_recruitment": _l("coercive recruitment"),
    "recruitment_abuse_of_vulnerability": _l("recruitment by abuse of vulnerability"),
    "exploitative_conditions": _l("exploitative conditions of work or life"),
    "coercion_at_destination": _l("coercion at destination"),
    "abuse_of_vulnerability_at_destination": _l("abuse of vulnerability at destination"),
}
CLAUSE_TEXT = {
    "two_strong": _l("two strong signs"),
    "strong_and_medium_or_weak": _l("a strong sign with another sign"),
    "three_medium": _l("three medium signs"),
    "two_medium_and_weak": _l("two medium signs and a weak one"),
    "child_sexual_exploitation": _l("a child's sexual exploitation, which is enough by itself"),
}
ELEMENT_TEXT = {
    "recruitment": _l("How it started"),
    "exploitation": _l("Work and living conditions"),
    "destination": _l("Control"),
}
ELEMENT_HINT = {
    "recruitment": _l("recruitment: deception, coercion or abuse of vulnerability"),
    "exploitation": _l("exploitation"),
    "destination": _l("coercion or abuse of vulnerability at destination"),
}
ELEMENT_STATUS = {"met": _l("met"), "not_met": _l("not met"), "not_assessed": _l("not assessed")}
STRENGTH_BADGE = {"strong": _l("S"), "medium": _l("M"), "weak": _l("W"), "sufficient": _l("S")}
STRENGTH_TEXT = {
    "strong": _l("strong"),
    "medium": _l("medium"),
    "weak": _l("weak"),
    "sufficient": _l("enough by itself"),
}
CLASS_LABELS = {
    "likely_trafficking": _l("Likely trafficking in persons"),
    "possible_trafficking": _l("Possible trafficking in persons"),
    "indicators_present": _l("Some indicators of exploitation"),
    "smuggling_indicators": _l("Indicators of smuggling only"),
    "no_indicators": _l("No indicators"),
}
# A child's exploitation without a recorded act (recruitment, transport, harbouring…).
CHILD_NO_ACT = _l("Child exploitation, act to be established")
ROUTE_LABELS = {
    "child_protection": _l("Child protection: refer to child-protection services now."),
    "emergency": _l(
        "Emergency: act on the safety protocol, then refer for specialised assistance."
    ),
    "specialised_assistance": _l(
        "Refer for specialised assistance to people who may have been trafficked."
    ),
    "follow_up": _l("Follow up: offer the help needed and screen again if more comes to light."),
    "migrant_protection": _l("Offer protection and assistance for migrants."),
    "none": _l("No referral indicated by this screening; offer information on help available."),
}
REVIEW_TEXT = {
    "sexual_grades_provisional": _l(
        "To be reviewed: this result comes from the "
        "sexual-exploitation grades, which are provisional "
        "until checked against the ILO/EC lists."
    ),
}
DISCLAIMER = _l("Screening indication for referral, not an identification.")


def class_label(classification: str | None, act_established: bool | None = None) -> str:
    """The class as every page and list shows it: a child's exploitation with no recorded
    act is not called trafficking (docs/screening.md §2.3)."""
    if classification == "likely_trafficking" and act_established is False:
        return str(CHILD_NO_ACT)
    return str(CLASS_LABELS[classification]) if classification in CLASS_LABELS else ""


def headline(result: dict[str, Any]) -> str:
    """The class of a stored result, as :func:`class_label` words it."""
    act = result.get("act_established") if result.get("child") else None
    return class_label(result["classification"], act)


def label(instrument: Instrument | None, indicator_id: str, language: str) -> str:
    """An indicator's short label, or its id when the catalogue no longer has it."""
    indicator = instrument.indicator(indicator_id) if instrument else None
    return indicator.label.get(language) if indicator else indicator_id


def explain(result: Result, instrument: Instrument, explain_in: str) -> list[str]:
    """Sentences explaining ``result``, in ``explain_in``."""
    with force_locale(explain_in):
        lines = [str(CLASS_TEXT[result.classification])]
        if result.incomplete:
            lines.append(
                gettext(
                    "Some answers are missing or unknown: the result lies between "
                    "%(lower)s and %(upper)s.",
                    lower=CLASS_LABELS[result.range["lower"]],
                    upper=CLASS_LABELS[result.range["upper"]],
                )
            )
        if result.child:
            lines.append(
                gettext(
                    "The person is, or may be, under 18: the means used do not "
                    "need to be shown, and child protection comes first."
                )
            )
        if result.lower_bound:
            lines.append(
                gettext(
                    "The interview was handed over to child protection: this "
                    "is a lower bound, to be completed by child protection."
                )
            )
        for dimension, detail in result.dimensions.items():
            if detail.status == "positive":
                signs = ", ".join(label(instrument, i, explain_in) for i in detail.fired)
                lines.append(
                    gettext(
                        "Positive: %(dimension)s, from %(clause)s (%(signs)s).",
                        dimension=DIMENSION_TEXT[dimension],
                        clause=CLAUSE_TEXT[detail.clause or "two_strong"],
                        signs=signs,
                    )
                )
        if result.smuggling:
            lines.append(gettext("Signs of smuggling were also reported."))
        if result.smuggling_exploitation_risk:
            lines.append(
                gettext(
                    "The people who arranged the journey are still involved: "
                    "a risk of exploitation."
                )
            )
        if result.red_flags:
            lines.append(gettext("A red flag was raised: act on the safety protocol now."))
        lines += [str(REVIEW_TEXT[code]) for code in result.to_review]
        lines.append(str(DISCLAIMER))
    return lines
