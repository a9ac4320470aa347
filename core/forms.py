"""The base of every page's form: what every text field refuses whatever the form, so that
no form can forget it. Control characters (``core.text``) are refused with a field error: any
in a one-line field, all but tabs and line breaks in a textarea. Passwords (checked by
``access.passwords``) and hidden fields (nobody types them; each has its own check) are
left as they are.

Also the checks of a country or language a person names or codes (docs/architecture.md,
"Countries and languages on pages"), one way for every form that takes one."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import Optional, Regexp, ValidationError

from core import i18n
from core.text import has_control

ONE_LINE = _l("Write this on one line, without tabs or other control characters.")
MULTI_LINE = _l("Remove the control characters: only tabs and line breaks may stay.")


def _one_line(_form: Any, field: Field) -> None:
    if isinstance(field.data, str) and has_control(field.data):
        raise ValidationError(ONE_LINE)


def _multi_line(_form: Any, field: Field) -> None:
    if isinstance(field.data, str) and has_control(field.data, multiline=True):
        raise ValidationError(MULTI_LINE)


def text_check(field: Field) -> Callable[[Any, Field], None] | None:
    """The control-character check ``field`` gets, or None for a field that is not typed
    text (a choice, a number, a date, a password, a hidden field)."""
    if isinstance(field, TextAreaField):
        return _multi_line
    if isinstance(field, StringField) and not isinstance(field, PasswordField | HiddenField):
        return _one_line
    return None


UNKNOWN_COUNTRY = _l("Not a country we know: write its name or its two-letter code.")
UNKNOWN_ONE_LANGUAGE = _l("Not a language we know: write its name or its two-letter code.")
# Several languages, each unknown one named.
UNKNOWN_LANGUAGE = _l(
    "Not a language we know: %(names)s. Write each one's name or its two-letter code."
)


def known_country(_form: Any, field: Field) -> None:
    """A country written by its name, in any language Passage speaks, or its code."""
    if field.data and i18n.country_code(field.data) is None:
        raise ValidationError(UNKNOWN_COUNTRY)


def known_language(_form: Any, field: Field) -> None:
    """One language written by its name, in any language Passage speaks, or its code."""
    if field.data and i18n.language_code(field.data) is None:
        raise ValidationError(UNKNOWN_ONE_LANGUAGE)


class AppForm(FlaskForm):
    """A Flask-WTF form whose text fields refuse control characters. Every form of the
    pages derives from it (tests/core/test_forms.py checks that none is left out)."""

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Validate as Flask-WTF does, each text field also checked by :func:`text_check`
        after its own validators (so after any filter or normalising validator)."""
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            check = text_check(field)
            if check is not None:
                extra.setdefault(name, []).append(check)
        valid: bool = super().validate(extra)
        return valid


class OnceField(HiddenField):
    """A random key made when the form is shown and sent back with it: the same form sent
    twice (a slow connection, a second click) carries the same key, and the row it made,
    unique by that key, is not made again (docs/architecture.md, "Locks, and their order").
    A form sent without one (a page from before) is taken as it is."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            default=lambda: secrets.token_hex(16),
            validators=[Optional(), Regexp(r"^[0-9a-f]{32}$")],
            **kwargs,
        )
