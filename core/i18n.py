"""The languages Passage speaks, defined here once (docs/architecture.md, "How to add…"), and
the choice among them: the user's setting, then the visitor's choice, then Accept-Language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from babel import Locale, dates
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale, get_timezone
from flask_login import current_user

from core import settings

# The interface's and the questionnaires' languages, each with a catalogue in translations/
# and wordings in the instruments; English first, the fallback.
LANGUAGES: tuple[str, ...] = ("en", "fr", "es")


def _own_name(code: str) -> str:
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


# Each language by its own name (CLDR), as the switcher and the questionnaire offer it.
LANGUAGE_NAMES = {code: _own_name(code) for code in LANGUAGES}


def select_locale() -> str:
    """Pick the language for the current request."""
    config = settings.current()
    languages = config.languages
    if not has_request_context():
        return config.babel_default_locale  # CLI commands
    chosen = getattr(current_user, "locale", None) or session.get("locale")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(languages) or languages[0]


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with Passage's catalogues and locale selector."""
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale() or "en")
    app.jinja_env.globals["text_direction"] = text_direction


def text_direction() -> str:
    """``ltr`` or ``rtl`` for the current language, as CLDR writes it (an Arabic or Dari
    catalogue added tomorrow reads right to left without touching a template)."""
    locale = get_locale()
    return locale.text_direction if locale is not None else "ltr"


def datetime_format(width: str = "short") -> Callable[[datetime], str]:
    """A formatter writing datetimes as the ``datetimeformat`` filter does (the user's
    language and time zone, CLDR's ``width`` pattern), for a list's many rows: the language
    and zone are looked up once, where the filter looks them up for every value."""
    locale, zone = get_locale(), get_timezone()
    return lambda value: dates.format_datetime(value, width, tzinfo=zone, locale=locale)
