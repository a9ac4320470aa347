"""Display words for the categories reports count (translated at render time): the codes
stay in CSV and JSON, people read words on the pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from referral.case_forms import DECLINE_LABELS, OUTCOME_LABELS
from screening.explain import CLASS_LABELS
from screening.forms import SERVICE_LABELS

MEANS_OF_CONTROL = {
    "PhysicalThreats": _l("Threats of violence"),
    "ThreatsLawEnforcement": _l("Threats of the police or deportation"),
    "ThreatensChildrenFamily": _l("Threats against family or children"),
    "DebtBondage": _l("Debt bondage"),
    "FalsePromises": _l("False promises"),
    "PhysicalAbuse": _l("Physical abuse"),
    "SexualAbuse": _l("Sexual abuse"),
    "TakesEarnings": _l("Earnings taken"),
    "RestrictsFinancialAccess": _l("No access to own money"),
    "RestrictsMedicalCare": _l("Medical care withheld"),
    "WithholdsNecessities": _l("Food, water or sleep withheld"),
    "PsychologicalAbuse": _l("Psychological abuse"),
    "PsychoactiveSubstance": _l("Made to take drugs or alcohol"),
    "ExcessiveWorkingHours": _l("Excessive working hours"),
    "WithholdsDocuments": _l("Documents withheld"),
    "RestrictsMovement": _l("Movement restricted"),
}
FORCED_LABOUR = {
    "abuse_of_vulnerability": _l("Abuse of vulnerability"),
    "deception": _l("Deception"),
    "restriction_of_movement": _l("Restriction of movement"),
    "physical_and_sexual_violence": _l("Physical and sexual violence"),
    "intimidation_and_threats": _l("Intimidation and threats"),
    "retention_of_documents": _l("Retention of identity documents"),
    "withholding_of_wages": _l("Withholding of wages"),
    "debt_bondage": _l("Debt bondage"),
    "abusive_conditions": _l("Abusive working and living conditions"),
    "excessive_overtime": _l("Excessive overtime"),
}
POPULATIONS = {"adult": _l("Adults"), "child": _l("Children (or possibly under 18)")}
STEPS = {
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("Expired without an answer"),
    "withdrawn": _l("Withdrawn"),
    "closed": _l("Closed"),
    "overdue": _l("Overdue"),
}
ANSWER_TIMES = {
    "0-24h": _l("Within a day"),
    "24-72h": _l("One to three days"),
    "72-168h": _l("Three to seven days"),
    "168h+": _l("More than a week"),
}
IN_TIME = {"True": _l("By the deadline"), "False": _l("After the deadline")}
AFTER_DECLINE = {
    "True": _l("After another partner declined or let it expire"),
    "False": _l("At the first partner asked"),
}
GAPS = {
    "vetting_lapsed": _l("The partner's vetting has lapsed"),
    "no_staff_account": _l("The partner has no staff account yet"),
    "no_capacity": _l("No free place"),
    "language_not_covered": _l("No shared language"),
    "population_not_served": _l("Nobody serves this person's group"),
    "service_not_offered": _l("Nobody offers the service here"),
    "no_partner_in_area": _l("No partner in the area"),
}
MEASURES = {
    "users_screener": _l("Active screeners"),
    "users_supervisor": _l("Active supervisors"),
    "users_partner": _l("Active partner staff"),
    "users_auditor": _l("Active auditors"),
    "users_analyst": _l("Active analysts"),
    "users_admin": _l("Active administrators"),
    "sign_ins": _l("Sign-ins"),
    "statistics_released": _l("Statistics released"),
    "audit_verified": _l("Audit log verified intact"),
    "audit_verification_failed": _l("Audit log verifications that failed"),
}
DIMENSIONS = {
    "month": _l("Month"),
    "classification": _l("Result"),
    "country": _l("Country"),
    "population": _l("Population"),
    "means_of_control": _l("Means of control"),
    "forced_labour_indicator": _l("Forced-labour indicator"),
    "need": _l("Need"),
    "partner": _l("Partner"),
    "step": _l("Step"),
    "in_time": _l("Answered"),
    "decline_reason": _l("Reason"),
    "outcome": _l("Outcome"),
    "after_decline": _l("Accepted"),
    "gap": _l("Why not met"),
    "measure": _l("Measure"),
    "answer_time": _l("Time to answer"),
}


def for_dimension(name: str) -> dict[str, Any]:
    """The words for the values of one dimension (codes without words are shown as is)."""
    return {
        "classification": CLASS_LABELS,
        "population": POPULATIONS,
        "means_of_control": MEANS_OF_CONTROL,
        "forced_labour_indicator": FORCED_LABOUR,
        "need": SERVICE_LABELS,
        "step": STEPS,
        "in_time": IN_TIME,
        "decline_reason": DECLINE_LABELS,
        "outcome": OUTCOME_LABELS,
        "after_decline": AFTER_DECLINE,
        "gap": GAPS,
        "measure": MEASURES,
        "answer_time": ANSWER_TIMES,
    }.get(name, {})
