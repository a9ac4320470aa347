"""The choice among the languages Passage speaks (core/languages.py): the user's setting, then
the visitor's choice, then Accept-Language; dates and numbers formatted in that language; and
countries and languages between the ISO codes records keep and the names people read and write
(docs/architecture.md, "Countries and languages on pages")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

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
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["country_name"] = country_name


def language_name(code: str | None) -> str:
    """A language's name in the reader's language ("Arabic", "arabe"), from the ISO 639 code
    people's records keep; the code itself where CLDR has no name for it."""
    if not code:
        return ""
    locale = get_locale() or Locale.parse(LANGUAGES[0])
    return str(locale.languages.get(code.lower(), code))


def _folded(text: str) -> str:
    # Case, accents and spacing aside: "Érythrée", "erythree" and "ERYTHRÉE" are one name.
    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _codes_by_name(language: str, kind: str) -> dict[str, str]:
    names = getattr(Locale.parse(language), kind)
    return {
        _folded(name): code for code, name in names.items() if re.fullmatch("[A-Za-z]{2}", code)
    }


def _code(text: str, kind: str) -> str | None:
    cleaned = " ".join(text.split())
    if re.fullmatch("[A-Za-z]{2}", cleaned):
        return cleaned
    reader = str(get_locale() or LANGUAGES[0])
    for language in dict.fromkeys((reader, *LANGUAGES)):
        code = _codes_by_name(language, kind).get(_folded(cleaned))
        if code is not None:
            return code
    return None


def language_code(text: str) -> str | None:
    """The two-letter ISO 639-1 code a screener means: the code itself, or the language's
    name in the reader's language or another Passage speaks ("Tigrinya", "tigrigna" → "ti");
    None when it is neither (a language with no two-letter code included)."""
    code = _code(text, "languages")
    return code.lower() if code else None


def country_code(text: str) -> str | None:
    """The two-letter ISO 3166 code a screener means: the code itself, or the country's name
    in the reader's language or another Passage speaks ("Eritrea", "Érythrée" → "ER"); None
    otherwise."""
    code = _code(text, "territories")
    return code.upper() if code else None


def languages_of(text: str) -> tuple[tuple[str, ...], list[str]]:
    """The codes of the languages written in ``text`` (names or two-letter codes separated by
    commas; codes may also be separated by spaces, as before), and what was not recognised."""
    codes: list[str] = []
    unknown: list[str] = []
    for part in text.split(","):
        words = part.split()
        coded = all(re.fullmatch("[A-Za-z]{2}", word) for word in words)
        for piece in words if coded else [part.strip()] if words else []:
            code = language_code(piece)
            if code is None:
                unknown.append(piece)
            else:
                codes.append(code)
    return tuple(dict.fromkeys(codes)), unknown


def country_name(code: str | None) -> str:
    """A country's name in the reader's language ("Greece", "Grèce"), from the ISO 3166 code
    people's records keep; the code itself where CLDR has no name for it."""
    if not code:
        return ""
    locale = get_locale() or Locale.parse(LANGUAGES[0])
    return str(locale.territories.get(code.upper(), code))


def text_direction() -> str:
    """``ltr`` or ``rtl`` for the current language, as CLDR writes it (an Arabic or Dari
    catalogue added tomorrow reads right to left without touching a template)."""
    locale = get_locale()
    return locale.text_direction if locale is not None else "ltr"


DAY = "yMMMd"  # CLDR's skeleton: year, abbreviated month name, day, in the language's order

# CLDR date fields written directly, as babel writes them (a zero-padded number as wide as the
# field, a two-digit year for "yy", the month's abbreviated name for "MMM"): a list formats
# two dates a row, and babel's general machinery takes some 12 µs a date, as much as the rest
# of the row. Any other field is babel's.
_NUMBERS: dict[str, Callable[[datetime], str]] = {
    "d": lambda v: str(v.day),
    "dd": lambda v: f"{v.day:02d}",
    "M": lambda v: str(v.month),
    "MM": lambda v: f"{v.month:02d}",
    "y": lambda v: str(v.year),
    "yy": lambda v: f"{v.year % 100:02d}",
    "yyyy": lambda v: f"{v.year:04d}",
}


class _Fields:
    """The fields of one datetime, by their CLDR letters, for a pattern's %-format."""

    def __init__(self, value: datetime, locale: Locale, months: Mapping[int, str]) -> None:
        self.value, self.locale, self.months = value, locale, months

    def __getitem__(self, field: str) -> str:
        number = _NUMBERS.get(field)
        if number is not None:
            return number(self.value)
        if field == "MMM":
            return str(self.months[self.value.month])
        return str(dates.DateTimeFormat(self.value, self.locale)[field])


def datetime_format() -> Callable[[datetime], str]:
    """Passage's one way of writing a moment on a page: the day with the month by name, in
    the user's language, a 24-hour time and the zone ("Mar 2, 2026, 09:05 UTC", "2 mars 2026,
    09:05 UTC"). A date written with numbers only, such as "3/2/26", is read as 3 February by
    some and 2 March by others; a referral's due date must not be (docs/architecture.md,
    Dates on pages). The language, zone and pattern are looked up once, for a list's many
    rows; the common fields are written directly."""
    locale, zone = get_locale() or Locale.parse(LANGUAGES[0]), get_timezone()
    whole = str(dates.get_datetime_format("medium", locale=locale)).replace("'", "")
    # The day's %-format, such as "%(MMM)s %(d)s, %(y)s" (typed as babel's formatter).
    day = str(locale.datetime_skeletons[DAY].format)
    months = locale.months["format"]["abbreviated"]

    def write(value: datetime) -> str:
        here = value.astimezone(zone)
        hour = f"{here.hour:02d}:{here.minute:02d} {here.tzname() or zone}"
        return whole.replace("{0}", hour).replace("{1}", day % _Fields(here, locale, months))

    return write


def local_zone() -> ZoneInfo:
    """The deployment's time zone (``PASSAGE_TIME_ZONE``), in which a form takes a time."""
    return ZoneInfo(settings.current().time_zone)


def to_local(value: datetime) -> datetime:
    """A stored (aware UTC) moment as the deployment's wall-clock time, to the minute and
    without a zone, as a form's date-and-time field shows it."""
    return value.astimezone(local_zone()).replace(second=0, microsecond=0, tzinfo=None)


def from_local(value: datetime) -> datetime:
    """A wall-clock time written in a form, in the deployment's time zone, as an aware
    moment (stored as UTC). In the hour a clock goes back, the earlier of the two."""
    return value.replace(tzinfo=local_zone())


def moment(value: datetime | str | None) -> str:
    """The template filter ``moment``: :func:`datetime_format` for one value, a moment or
    the ISO text of one as a document such as the person's copy keeps it ("" for none)."""
    if value is None or value == "":
        return ""
    return datetime_format()(datetime.fromisoformat(value) if isinstance(value, str) else value)
