"""Consent before a screening, beyond the purposes: the script read aloud and the points the
screener explained, and for a child who is present, the child's assent and who consents for
them (or the legal basis for going on without that consent). Pure rules over plain values,
shared by the web pages and the API."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from screening import instruments

SCRIPT_FILE = Path(__file__).resolve().parent / "consent_script.json"
# What the screener must have explained before the first question (docs/screening.md §8.1,
# "Interviewing safely"); the consent JSON records them as ``explained``.
EXPLAINED = ("purpose", "voluntary", "kept_and_seen", "sharing", "not_police")
# Without a guardian's or representative's consent a child is screened only on one of these.
CHILD_BASES = ("child_protection", "risk_to_life")
# Who may be in the room with a child (the safety JSON's ``present``).
PRESENT = ("guardian", "representative", "social_worker", "trusted_adult", "nobody")
NOBODY = "nobody"


@dataclass(frozen=True)
class ChildConsent:
    """For a child: whether they assent, whether a parent, guardian or appointed
    representative consents, and the legal basis when no one can or will."""

    assent: bool = False
    guardian_consent: bool = False
    basis: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "assent": self.assent,
            "guardian_consent": self.guardian_consent,
            "basis": self.basis,
        }


def child_may_start(child: ChildConsent | None) -> bool:
    """A child is screened on their assent together with a guardian's or representative's
    consent, or on a statutory basis (child protection, risk to life) without it."""
    if child is None:
        return False
    return (child.assent and child.guardian_consent) or child.basis in CHILD_BASES


def unexplained(explained: Iterable[str]) -> list[str]:
    """The points not yet explained, in the order of :data:`EXPLAINED`."""
    done = set(explained)
    return [point for point in EXPLAINED if point not in done]


def presence_problem(present: Iterable[str]) -> str | None:
    """What is wrong with a list of who is present, or None: at least one answer, only known
    ones, and "nobody" alone."""
    given = list(present)
    if not given or any(p not in PRESENT for p in given):
        return "say who is present: " + ", ".join(PRESENT)
    if NOBODY in given and len(given) > 1:
        return "nobody cannot be combined with someone present"
    return None


@dataclass(frozen=True)
class Script:
    """What the screener reads aloud before asking for consent."""

    version: str
    text: str


@cache
def _scripts() -> dict[str, Any]:
    scripts: dict[str, Any] = json.loads(SCRIPT_FILE.read_text(encoding="utf-8"))
    return scripts


def script(child: bool, language: str) -> Script:
    """The consent script for an adult or a child, in the interview's language (English
    when that language has none)."""
    scripts = _scripts()
    texts = scripts[instruments.for_population(child)]
    return Script(scripts["version"], texts.get(language) or texts["en"])
