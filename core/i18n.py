"""The choice among the languages Passage speaks (core/languages.py): the user's setting, then
the visitor's choice, then Accept-Language; dates and numbers formatted in that language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from babel import Locale, dates
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale, get_timezone
from flask_login import current_user

from core import settings
from core.languages import LANGUAGE_NAMES, LANGUAGES


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


# CLDR date fields written directly, as babel writes them (a zero-padded number as wide as the
# field, a two-digit year for "yy"): a list formats two dates a row, and babel's general
# machinery takes some 12 µs a date, as much as the rest of the row. Any other field is
# babel's.
_NUMBERS: dict[str, Callable[[datetime], str]] = {
    "d": lambda v: str(v.day),
    "dd": lambda v: f"{v.day:02d}",
    "M": lambda v: str(v.month),
    "MM": lambda v: f"{v.month:02d}",
    "y": lambda v: str(v.year),
    "yy": lambda v: f"{v.year % 100:02d}",
    "yyyy": lambda v: f"{v.year:04d}",
    "H": lambda v: str(v.hour),
    "HH": lambda v: f"{v.hour:02d}",
    "h": lambda v: str(v.hour % 12 or 12),
    "hh": lambda v: f"{v.hour % 12 or 12:02d}",
    "m": lambda v: str(v.minute),
    "mm": lambda v: f"{v.minute:02d}",
    "ss": lambda v: f"{v.second:02d}",
}


class _Fields:
    """The fields of one datetime, by their CLDR letters, for a pattern's %-format."""

    def __init__(self, value: datetime, locale: Locale, periods: tuple[str, str]) -> None:
        self.value, self.locale, self.periods = value, locale, periods

    def __getitem__(self, field: str) -> str:
        number = _NUMBERS.get(field)
        if number is not None:
            return number(self.value)
        if field == "a":
            return self.periods[self.value.hour >= 12]
        return str(dates.DateTimeFormat(self.value, self.locale)[field])


Width = Literal["full", "long", "medium", "short"]


def datetime_format(width: Width = "short") -> Callable[[datetime], str]:
    """A formatter writing datetimes exactly as the ``datetimeformat`` filter does (CLDR's
    ``width`` pattern in the user's language and time zone), for a list's many rows: the
    language, zone and patterns are looked up once, the common fields written directly."""
    locale, zone = get_locale() or Locale.parse(LANGUAGES[0]), get_timezone()
    whole = str(dates.get_datetime_format(width, locale=locale)).replace("'", "")
    # A pattern's %-format, such as "%(M)s/%(d)s/%(yy)s" (typed as babel's formatter).
    day = str(dates.get_date_format(width, locale=locale).format)
    hour = str(dates.get_time_format(width, locale=locale).format)
    periods = tuple(
        str(dates.DateTimeFormat(datetime(2000, 1, 1, h), locale)["a"]) for h in (0, 12)
    )

    def write(value: datetime) -> str:
        fields = _Fields(value.astimezone(zone), locale, (periods[0], periods[1]))
        return whole.replace("{0}", hour % fields).replace("{1}", day % fields)

    return write
