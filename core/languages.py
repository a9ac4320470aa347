"""The languages Passage speaks, defined here once (docs/architecture.md, "How to add…"):
plain data with no import of the app, so settings, instruments and forms can all read it
without an import cycle. Choosing among them per request is core/i18n.py's work."""

from __future__ import annotations

from babel import Locale

# The interface's and the questionnaires' languages, each with a catalogue in translations/
# and wordings in the instruments; English first, the fallback.
LANGUAGES: tuple[str, ...] = ("en", "fr", "es")


def _own_name(code: str) -> str:
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


# Each language by its own name (CLDR), as the switcher and the questionnaire offer it.
LANGUAGE_NAMES = {code: _own_name(code) for code in LANGUAGES}
