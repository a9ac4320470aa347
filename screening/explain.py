"""Plain-language explanation of a result, in the screener's language."""

from __future__ import annotations

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from screening.instruments import Instrument
from screening.scoring import Result

CLASS_TEXT = {
    "likely_trafficking": _l("The answers show the signs that, together, indicate likely "
                             "trafficking in persons."),
    "possible_trafficking": _l("The answers show some of the signs of trafficking in persons; "
                               "it is possible and needs follow-up."),
    "indicators_present": _l("Some signs of exploitation were reported, not enough to "
                             "indicate trafficking on their own."),
    "smuggling_indicators": _l("The answers show signs of migrant smuggling, and no sign of "
                               "trafficking."),
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
}


def explain(result: Result, instrument: Instrument, language: str,
            explain_in: str) -> list[str]:
    """Sentences explaining ``result`` in ``explain_in``, quoting the questions as they were
    asked, in ``language``."""
    with force_locale(explain_in):
        lines = [str(CLASS_TEXT[result.classification])]
        if result.child:
            lines.append(gettext("The person is, or may be, under 18: the means used do not "
                                 "need to be shown, and child protection comes first."))
        for dimension, detail in result.dimensions.items():
            if detail.status == "positive":
                questions = "; ".join(_question(instrument, i, language)
                                      for i in detail.fired)
                lines.append(gettext("Positive: %(dimension)s, from %(clause)s (%(questions)s).",
                                     dimension=DIMENSION_TEXT[dimension],
                                     clause=CLAUSE_TEXT[detail.clause or "two_strong"],
                                     questions=questions))
        if result.incomplete:
            lines.append(gettext("Some answers were unknown or declined and could change "
                                 "this result."))
        if result.smuggling:
            lines.append(gettext("Signs of smuggling were also reported."))
        if result.red_flags:
            lines.append(gettext("A red flag was raised: act on the safety protocol now."))
        lines.append(gettext("This is an indication for referral, not an identification of "
                             "a victim."))
    return lines


def _question(instrument: Instrument, indicator_id: str, language: str) -> str:
    indicator = instrument.indicator(indicator_id)
    return indicator.question[language] if indicator else indicator_id


CLASS_LABELS = {
    "likely_trafficking": _l("Likely trafficking in persons"),
    "possible_trafficking": _l("Possible trafficking in persons"),
    "indicators_present": _l("Some indicators of exploitation"),
    "smuggling_indicators": _l("Indicators of smuggling only"),
    "no_indicators": _l("No indicators"),
}
ROUTE_LABELS = {
    "child_protection": _l("Child protection: refer to child-protection services now."),
    "emergency": _l("Emergency: act on the safety protocol, then refer for specialised "
                    "assistance."),
    "specialised_assistance": _l("Refer for specialised assistance to people who may have "
                                 "been trafficked."),
    "follow_up": _l("Follow up: offer the help needed and screen again if more comes to "
                    "light."),
    "migrant_protection": _l("Offer protection and assistance for migrants."),
    "none": _l("No referral indicated by this screening; offer information on help "
               "available."),
}
