"""The JSON Schemas of the screening API (docs/architecture.md "How to add…"): each enum is
read from its vocabulary, so the published schema and the payload checks cannot drift."""

from __future__ import annotations

from typing import Any

from screening import (
    consent,
    engine,
    instruments,
    opening,
    people,
    red_flags,
    services,
)

INDICATOR_SCHEMA = {
    "type": "object",
    "required": [
        "id",
        "dimension",
        "strength",
        "grades",
        "exploitation",
        "red_flag",
        "gate",
        "label",
        "question",
    ],
}
INSTRUMENT_SCHEMA = {
    "type": "object",
    "required": ["id", "version", "title", "population", "indicators"],
    "properties": {"indicators": {"type": "array", "items": INDICATOR_SCHEMA}},
}
RESULT_SCHEMA = {
    "type": "object",
    "required": [
        "classification",
        "urgent",
        "incomplete",
        "smuggling",
        "red_flags",
        "route",
        "dimensions",
    ],
}
SCREENING_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "instrument", "result"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "case_id": {"type": ["string", "null"]},
        "result": {"anyOf": [RESULT_SCHEMA, {"type": "null"}]},
    },
}
# Keys are gate, item or concept ids, "<concept>_when" (phases: "before way work"), or the
# pauses "interpreter_replaced" and "handover" (docs/screening.md §3).
ANSWERS_SCHEMA = {
    "type": "object",
    "maxProperties": 200,
    "propertyNames": {"type": "string", "pattern": "^[a-z0-9_]{1,64}$"},
    "additionalProperties": {"type": "string", "maxLength": 40},
}
STEP_SCHEMA = {
    "type": "object",
    "required": ["kind"],
    "properties": {
        "kind": {"enum": list(engine.STEP_KINDS)},
        "key": {"type": "string"},
        "question": {"type": ["string", "null"]},
        "values": {"type": "array", "items": {"type": "string"}},
    },
}
PROTOCOL_SCHEMA = {"type": "object", "required": ["kind", "title", "steps", "contact"]}
DRAFT_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "urgent", "red_flags", "waiting", "protocols", "next"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "status": {"enum": ["draft"]},
        "red_flags": {"type": "array", "items": {"type": "string"}},
        "waiting": {"type": "array", "items": {"type": "string"}},
        "protocols": {"type": "array", "items": PROTOCOL_SCHEMA},
        "next": STEP_SCHEMA,
    },
}
ACTION_SCHEMA = {
    "type": "object",
    "required": ["flags", "contacted", "acted_at", "action"],
    "additionalProperties": False,
    "properties": {
        "flags": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "contacted": {"type": "array", "items": {"enum": list(red_flags.CONTACTS)}},
        "contacted_note": {"type": "string", "maxLength": red_flags.NOTE_MAX},
        "acted_at": {"type": "string", "format": "date-time"},
        "action": {"enum": list(red_flags.ACTIONS)},
        "outcome": {"type": "string", "maxLength": red_flags.OUTCOME_MAX},
    },
}
SUBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["given_name"],
    "additionalProperties": False,
    "properties": {
        "given_name": {"type": "string", "minLength": 1, "maxLength": 100},
        "family_name": {"type": "string", "maxLength": 100},
        "age": {"type": "integer", "minimum": 0, "maximum": 120},
        "sex": {"type": "string", "enum": list(people.SEXES)},
        "nationality": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "location": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "region": {"type": "string", "maxLength": 100},
            },
        },
        "languages": {
            "type": "array",
            "maxItems": 8,
            "items": {"type": "string", "pattern": "^[a-z]{2}$"},
        },
        "contact": {"type": "string", "maxLength": 200},
    },
}
CONSENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["screening"],
    "additionalProperties": False,
    # Screening without the person's agreement is refused: true is the only value accepted.
    "properties": {
        **{purpose: {"type": "boolean"} for purpose in opening.PURPOSES},
        "screening": {"type": "boolean", "enum": [True]},
        "share": {"type": "array", "items": {"type": "string", "enum": list(opening.SHAREABLE)}},
    },
}
CREATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["instrument", "subject", "consent", "safety"],
    "additionalProperties": False,
    "properties": {
        "instrument": {"type": "string", "enum": list(instruments.POPULATIONS)},
        "language": {"type": "string", "enum": list(instruments.LANGUAGES)},
        "subject": SUBJECT_SCHEMA,
        "answers": ANSWERS_SCHEMA,
        "complete": {"type": "boolean"},
        "red_flag_actions": {"type": "array", "maxItems": 20, "items": ACTION_SCHEMA},
        "needs": {"type": "array", "items": {"type": "string", "enum": list(services.SERVICES)}},
        "consent": CONSENT_SCHEMA,
        "safety": {
            "type": "object",
            "required": ["alone", "safe_to_talk"],
            "additionalProperties": False,
            "properties": {
                "alone": {"type": "boolean"},
                "safe_to_talk": {"type": "boolean"},
                "possibly_minor": {"type": "boolean"},
                "interpreter_independent": {
                    "type": "string",
                    "enum": list(opening.INTERPRETER_INDEPENDENT),
                },
                "interpreter_language": {"type": "string", "pattern": "^[a-z]{2}$"},
            },
        },
    },
}
# Children's safeguards: optional fields beside the ones above (screening/consent.py).
SUBJECT_SCHEMA["properties"]["age_source"] = {
    "type": "string",
    "enum": list(people.AGE_SOURCES),
}
CONSENT_SCHEMA["properties"].update(
    {
        "child": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "assent": {"type": "boolean"},
                "guardian_consent": {"type": "boolean"},
                "basis": {"type": ["string", "null"], "enum": [*consent.CHILD_BASES, None]},
            },
        },
        "explained": {
            "type": "array",
            "items": {"type": "string", "enum": list(consent.EXPLAINED)},
        },
        "script_version": {"type": "string", "maxLength": 32},
    }
)
CREATE_SCHEMA["properties"]["safety"]["properties"].update(
    {
        "present": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": list(consent.PRESENT)},
        },
        "linked_present": {"type": "boolean"},
    }
)


ID_PARAMETER = [
    {
        "name": "screening_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
]
