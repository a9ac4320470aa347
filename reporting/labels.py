"""Display words for the categories reports count (translated at render time): the codes
stay in CSV and JSON, people read words on the pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from screening.explain import CLASS_LABELS
from screening.forms import SERVICE_LABELS

MEANS_OF_CONTROL = {
    "PhysicalThreats": _l("Threats of violence"),
    "ThreatsLawEnforcement": _l("Threats of the police or deportation"),
    "ThreatensChildrenFamily": _l("Threats against family or children"),
    "DebtBondage": _l("Debt bondage"), "FalsePromises": _l("False promises"),
    "PhysicalAbuse": _l("Physical abuse"), "SexualAbuse": _l("Sexual abuse"),
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
    "abuse_of_vulnerability": _l("Abuse of vulnerability"), "deception": _l("Deception"),
    "restriction_of_movement": _l("Restriction of movement"),
    "physical_and_sexual_violence": _l("Physical and sexual violence"),
    "intimidation_and_threats": _l("Intimidation and threats"),
    "retention_of_documents": _l("Retention of identity documents"),
    "withholding_of_wages": _l("Withholding of wages"), "debt_bondage": _l("Debt bondage"),
    "abusive_conditions": _l("Abusive working and living conditions"),
    "excessive_overtime": _l("Excessive overtime"),
}
POPULATIONS = {"adult": _l("Adults"), "child": _l("Children (or possibly under 18)")}
DIMENSIONS = {
    "month": _l("Month"), "classification": _l("Result"), "country": _l("Country"),
    "population": _l("Population"), "means_of_control": _l("Means of control"),
    "forced_labour_indicator": _l("Forced-labour indicator"), "need": _l("Need"),
}


def for_dimension(name: str) -> dict[str, Any]:
    """The words for the values of one dimension (codes without words are shown as is)."""
    return {"classification": CLASS_LABELS, "population": POPULATIONS,
            "means_of_control": MEANS_OF_CONTROL, "forced_labour_indicator": FORCED_LABOUR,
            "need": SERVICE_LABELS}.get(name, {})
