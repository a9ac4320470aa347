"""Red-flag protocols: which protocol each red flag calls for, and its texts.

A red flag (docs/screening.md §7) stops the questionnaire with a protocol: a title, the
steps to take and who to call. There are six kinds (:data:`KINDS`); each flag belongs to one
(:data:`FLAG_KINDS`). A deployment words them, in every interview language, in the
``RED_FLAG_PROTOCOLS`` setting (defaults in ``core.protocol_defaults``); :func:`init_app` checks the
setting at start-up, and a missing kind or language stops start-up with a message naming
it, as ``screening.instruments`` does for catalogue files.

Children (under 18, or possibly so): child protection takes over a child's case at once and
handles a child's emergency, missing companion or same-day problem itself, so every flag of a
child routes to ``child_protection`` — except ``medical`` and ``suicide_risk``, which come
first: an injured child needs a doctor, and a child thinking of self-harm a mental-health
response, before anything else. Child protection is still called for such a child: any
flag of a child triggers it (:func:`kinds`), listed after them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, current_app

from core import settings
from screening.instruments import LANGUAGES

KINDS = ("emergency", "medical", "suicide_risk", "child_protection", "missing_person", "same_day")
FIELDS = ("title", "steps", "contact")
SETTING = "RED_FLAG_PROTOCOLS"
# Every red flag the screening may raise, and the protocol it calls for (for an adult).
FLAG_KINDS: dict[str, str] = {
    "rf_in_danger_now": "emergency",
    "rf_controller_nearby": "emergency",
    "rf_cannot_leave": "emergency",
    "rf_threat_to_kill": "emergency",
    "rf_recent_violence": "emergency",
    "rf_sexual_assault": "emergency",
    "rf_extortion_now": "emergency",
    "rf_others_held": "emergency",
    "rf_imminent_move": "emergency",
    "rf_injury_illness": "medical",
    "rf_self_harm": "suicide_risk",
    "rf_child_separated": "child_protection",
    "rf_child_unrelated_adult": "child_protection",
    "rf_missing_companion": "missing_person",
    "rf_no_safe_place_tonight": "same_day",
    "rf_detention_or_removal": "same_day",
    "rf_interpreter_linked": "same_day",
}
RED_FLAGS = tuple(FLAG_KINDS)
# What comes before child protection for a child (see the module's docstring).
BEFORE_CHILD_PROTECTION = ("medical", "suicide_risk")


class ProtocolError(ValueError):
    """The ``RED_FLAG_PROTOCOLS`` setting is incomplete; the message names what is missing."""


def is_red_flag(flag_id: str) -> bool:
    """Whether ``flag_id`` names a red flag."""
    return flag_id in FLAG_KINDS


def known(flag_ids: Iterable[str]) -> list[str]:
    """The red flags among ``flag_ids``, once each, in the order given; others dropped."""
    return list(dict.fromkeys(f for f in (i.strip() for i in flag_ids) if is_red_flag(f)))


def protocol_for(flag_id: str, child: bool) -> str:
    """The protocol kind a raised red flag calls for; KeyError for an unknown flag."""
    kind = FLAG_KINDS[flag_id]
    if child and kind not in BEFORE_CHILD_PROTECTION:
        return "child_protection"
    return kind


def kinds(flags: Iterable[str], child: bool) -> list[str]:
    """The protocol kinds the red flags among ``flags`` trigger, once each, in
    :data:`KINDS` order; for a child, child protection whenever any flag is raised."""
    raised = {protocol_for(f, child) for f in known(flags)}
    if child and raised:
        raised.add("child_protection")
    return [k for k in KINDS if k in raised]


def _text(texts: Mapping[str, Any], language: str) -> Any:
    return texts[language] if language in texts else texts["en"]


def protocol(kind: str, language: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """One protocol's texts in ``language`` (English where the setting has none): ``kind``,
    ``language`` (the one used), ``title``, ``steps`` (a list) and ``contact``."""
    wording = config[kind]
    return {
        "kind": kind,
        "language": language if language in wording["title"] else "en",
        "title": _text(wording["title"], language),
        "steps": list(_text(wording["steps"], language)),
        "contact": _text(wording["contact"], language),
    }


def protocols(
    flags: Iterable[str], child: bool, language: str, config: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Each protocol the red flags among ``flags`` trigger, once, as :func:`protocol` gives
    it, with ``flags``: the flags that call for it (all of a child's flags for child
    protection). Unknown ids are ignored. ``config`` is the validated setting."""
    raised = known(flags)

    def calling(kind: str) -> list[str]:
        if child and kind == "child_protection":
            return raised
        return [f for f in raised if protocol_for(f, child) == kind]

    return [
        {**protocol(kind, language, config), "flags": calling(kind)}
        for kind in kinds(raised, child)
    ]


def _language_texts(value: Any, where: str, steps: bool) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{where}: must map each language ({', '.join(LANGUAGES)}) to its text")
    missing = [language for language in LANGUAGES if language not in value]
    if missing:
        raise ProtocolError(f"{where}: no text in {', '.join(missing)}")
    return {
        language: _one_text(text, f"{where}[{language!r}]", steps)
        for language, text in value.items()
    }


def _one_text(text: Any, where: str, steps: bool) -> Any:
    if steps and isinstance(text, list | tuple):
        if text and all(isinstance(t, str) and t.strip() for t in text):
            return tuple(t.strip() for t in text)
        raise ProtocolError(f"{where}: needs a non-empty list of non-empty steps")
    if not isinstance(text, str) or not text.strip():
        raise ProtocolError(f"{where}: needs non-empty text")
    return (text.strip(),) if steps else text.strip()


def validate(config: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Check a ``RED_FLAG_PROTOCOLS`` setting and return it normalised (steps as tuples);
    raise :class:`ProtocolError` naming the first kind, field or language missing."""
    if not isinstance(config, Mapping):
        raise ProtocolError(f"{SETTING}: must map each protocol kind to its texts")
    missing, unknown = [k for k in KINDS if k not in config], sorted(set(config) - set(KINDS))
    if missing or unknown:
        raise ProtocolError(
            f"{SETTING}: "
            + "; ".join(
                ([f"missing protocol kinds {missing}"] if missing else [])
                + (
                    [f"unknown protocol kinds {unknown} (kinds are {', '.join(KINDS)})"]
                    if unknown
                    else []
                )
            )
        )
    checked = {}
    for kind in KINDS:
        where = f"{SETTING}[{kind!r}]"
        wording = config[kind]
        if not isinstance(wording, Mapping) or set(wording) != set(FIELDS):
            raise ProtocolError(f"{where}: needs exactly the fields {', '.join(FIELDS)}")
        checked[kind] = {
            name: _language_texts(wording[name], f"{where}[{name!r}]", steps=name == "steps")
            for name in FIELDS
        }
    return checked


def init_app(app: Flask) -> None:
    """Check the deployment's protocols; anything missing stops start-up here."""
    config = settings.of(app)
    if config.safety_contact is not None:
        # The one contact for every red flag is gone; a duty line set there would be
        # silently ignored, so say where it belongs now.
        raise ProtocolError(
            "SAFETY_CONTACT is no longer used: put the duty lines into the "
            f"'contact' texts of {SETTING} (see core/protocol_defaults.py)"
        )
    app.extensions["passage.protocols"] = validate(config.red_flag_protocols)


def configured() -> dict[str, dict[str, dict[str, Any]]]:
    """The current app's validated protocols."""
    protocols: dict[str, dict[str, dict[str, Any]]] = current_app.extensions["passage.protocols"]
    return protocols
