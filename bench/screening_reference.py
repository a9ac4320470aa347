"""The reference respondents of the question-count benchmark (bench/screening_questions.py):
answer sets written by hand, one per kind of story a screener meets, and how a simulated
interview reads them (docs/screening.md §5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from screening.derivation import gate_key
from screening.engine import Step
from screening.instruments import Instrument
from screening.scoring import OPEN
from screening.simulation import Respondent

# Reference respondents: what each would answer, over gate, concept ("<concept>_when" too) and
# item keys. Anything not named is "no" (and "yes" to a safe place tonight); an umbrella's
# answer follows its members, and an umbrella named here gives its value to every member not
# named. Concepts answered "yes" say when: before (arranged), way (journey), work (or now).
REFERENCE: dict[str, dict[str, dict[str, str]]] = {
    "adult": {
        "nothing_reported": {},
        "smuggled_only": {"e0": "yes", "sm_paid_facilitator": "yes", "sm_dangerous_journey": "yes"},
        "labour_deception_and_debt": {
            "ec_excessive_hours": "yes",
            "ec_low_pay": "yes",
            "ec_wage_manipulation": "yes",
            "documents": "yes",
            "documents_when": "work",
            "debt": "yes",
            "debt_when": "before work",
            "dr_job_nature": "yes",
            "dr_pay": "yes",
            "rv_economic_need": "yes",
            "e0": "yes",
        },
        "sexual_exploitation": {
            "ec_excessive_hours": "yes",
            "money_kept": "yes",
            "money_kept_when": "work",
            "documents": "yes",
            "documents_when": "way work",
            "debt": "yes",
            "debt_when": "way work",
            "violence": "yes",
            "violence_when": "work",
            "rf_sexual_assault": "yes",
            "cd_tasks_not_agreed": "yes",
            "dr_job_nature": "yes",
            "e0": "yes",
            "sm_paid_facilitator": "yes",
            "sm_still_involved": "yes",
            "f1": "yes",
            "sx_misled_sex_work_conditions": "yes",
            "sx_forced_drugs": "yes",
        },
        "domestic_worker_confined": {
            "ec_excessive_hours": "yes",
            "ec_low_pay": "yes",
            "ec_no_social_protection": "yes",
            "confinement": "yes",
            "confinement_when": "work",
            "documents": "yes",
            "documents_when": "work",
            "vd_dependence": "yes",
            "vd_unknown_place": "yes",
            "dr_conditions": "yes",
            "rv_economic_need": "yes",
            "e0": "yes",
        },
        "construction_worker_underpaid": {
            "ec_excessive_hours": "yes",
            "ec_hazardous": "yes",
            "ec_low_pay": "yes",
            "ec_living_conditions": "yes",
            "rv_economic_need": "yes",
        },
        "declines_many": {
            "ec_excessive_hours": "declined",
            "b2": "declined",
            "documents": "declined",
            "debt": "declined",
            "confinement": "declined",
            "violence": "declined",
            "c5": "declined",
            "dr_job_nature": "declined",
            "cr_abduction_sale": "declined",
            "e0": "yes",
            "sm_paid_facilitator": "declined",
            "f1": "declined",
        },
        "unsure_newcomer": {
            "ec_excessive_hours": "unknown",
            "b2": "unknown",
            "documents": "unknown",
            "debt": "yes",
            "debt_when": "way",
            "d2": "unknown",
            "d5": "unknown",
            "e0": "yes",
            "sm_paid_facilitator": "yes",
            "sm_dangerous_journey": "yes",
        },
    },
    "child": {
        "nothing_reported": {},
        "separated_child_on_a_farm": {
            "rf_child_separated": "yes",
            "ec_excessive_hours": "yes",
            "ec_hazardous": "yes",
            "ec_no_education": "yes",
            "e0": "yes",
            "sm_paid_facilitator": "yes",
        },
        "child_begging": {
            "rf_child_separated": "yes",
            "rf_child_unrelated_adult": "yes",
            "money_kept": "yes",
            "money_kept_when": "work",
            "ec_no_education": "yes",
            "threats": "yes",
            "threats_when": "work",
            "cd_illicit": "yes",
        },
        "domestic_child_worker": {
            "ec_excessive_hours": "yes",
            "ec_low_pay": "yes",
            "ec_no_education": "yes",
            "confinement": "yes",
            "confinement_when": "work",
            "vd_dependence": "yes",
            "dr_education": "yes",
        },
        "sexually_exploited_child": {
            "rf_child_separated": "yes",
            "documents": "yes",
            "documents_when": "way work",
            "e0": "yes",
            "sm_paid_facilitator": "yes",
            "sx_child_sexual": "yes",
        },
        "smuggled_child_only": {
            "rf_child_separated": "yes",
            "e0": "yes",
            "sm_paid_facilitator": "yes",
            "sm_dangerous_journey": "yes",
            "sm_children_alone": "yes",
        },
        "promised_school": {
            "ec_low_pay": "yes",
            "ec_no_education": "yes",
            "dr_education": "yes",
            "rv_economic_need": "yes",
            "rv_family_situation": "yes",
        },
        "unsure_child": {
            "ec_excessive_hours": "unknown",
            "b2": "unknown",
            "b3": "unknown",
            "d4": "unknown",
            "e0": "unknown",
            "sm_paid_facilitator": "unknown",
        },
    },
}


@dataclass
class HandsOver(Respondent):
    """A respondent whose interview stops when child protection takes over."""

    def answer(self, step: Step) -> str:
        return "done" if step.kind == "handover" else super().answer(step)


def person(instrument: Instrument, answers: Mapping[str, str]) -> Respondent:
    """A respondent from a reference answer set (see ``REFERENCE``)."""
    concepts = instrument.concepts
    gates = {g.id: g for g in instrument.gates}
    unknown = set(answers) - {
        *instrument.by_id,
        *concepts,
        *gates,
        *(f"{c}_when" for c in concepts),
    }
    if unknown:
        raise ValueError(f"{instrument.id}: no question has the keys {sorted(unknown)}")
    member_default = {
        m: answers[g.id]
        for g in instrument.gates
        if g.kind == "umbrella" and g.id in answers
        for m in g.members
    }
    items = {i.id: answers.get(i.id, member_default.get(i.id, "no")) for i in instrument.indicators}
    own: dict[str, str] = {"e0": answers.get("e0", "no")}
    if gates["f1"].kind == "filter":
        own["f1"] = answers.get("f1", "no")
    for concept_id, concept in concepts.items():
        answer = answers.get(concept_id, member_default.get(concept_id, "no"))
        own[concept_id] = answer
        when = answers.get(f"{concept_id}_when", "").split()
        if answer == "yes":
            if not when:
                raise ValueError(f"{instrument.id}: {concept_id} is yes: say when")
            own[f"{concept_id}_when"] = " ".join(when)
        for item in concept.indicators:
            items[item] = (
                answer
                if answer != "yes"
                else ("yes" if any(item in concept.phases.get(w, ()) for w in when) else "no")
            )
    for gate in instrument.gates:
        if gate.kind == "safety" and gate_key(instrument, gate) == gate.id:  # a5
            safe = "no" if "yes" in gate.flag_on else "yes"
            own[gate.id] = answers.get(gate.id, safe)
            items[gate.members[0]] = (
                "yes"
                if own[gate.id] in gate.flag_on
                else (own[gate.id] if own[gate.id] in OPEN else "no")
            )
        if gate.kind == "umbrella":
            values = [own[m] if m in concepts else items[m] for m in gate.members]
            own[gate.id] = (
                "yes" if "yes" in values else next((v for v in values if v in OPEN), "no")
            )
    return Respondent(items=items, gates=own)
