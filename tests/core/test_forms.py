"""The base of every form (``core.forms.AppForm``): every page's form derives from it, and its
text fields refuse control characters with a field error (any on one line, all but tabs and
line breaks in a textarea), while printable Unicode, passwords and hidden fields are left
as they are."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, PasswordField, StringField, TextAreaField

from core.forms import AppForm


class Sample(AppForm):
    """One field of each kind the check tells apart."""

    class Meta:
        csrf = False

    name = StringField()
    notes = TextAreaField()
    password = PasswordField()
    next = HiddenField()


def errors_of(app: Flask, **data: str) -> dict[str, list[str]]:
    with app.test_request_context(method="POST"):
        form = Sample(formdata=MultiDict(data))
        form.validate()
        return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def subclasses(kind: type) -> set[type]:
    found = set()
    for sub in kind.__subclasses__():
        found |= {sub, *subclasses(sub)}
    return found


def test_every_form_of_the_app_derives_from_the_base(app: Flask) -> None:
    # The app imports every blueprint, hence every form; a form deriving from FlaskForm
    # directly would take control characters as typed.
    ours = {
        form
        for form in subclasses(FlaskForm)
        if form.__module__.split(".")[0] in ("access", "referral", "reporting", "screening")
    }
    assert len(ours) > 20
    assert [f.__qualname__ for f in ours if not issubclass(f, AppForm)] == []


@pytest.mark.parametrize("value", ["a\x01b", "a\x1bb", "a\x7fb", "a\x85b", "a\tb", "a\nb"])
def test_a_control_character_in_a_one_line_field_is_a_field_error(app: Flask, value: str) -> None:
    assert errors_of(app, name=value) == {
        "name": ["Write this on one line, without tabs or other control characters."]
    }


@pytest.mark.parametrize("value", ["a\x01b", "a\x1bb", "a\x7fb", "a\x85b", "a\x9fb"])
def test_a_control_character_in_a_textarea_is_a_field_error(app: Flask, value: str) -> None:
    assert errors_of(app, notes=value) == {
        "notes": ["Remove the control characters: only tabs and line breaks may stay."]
    }


def test_tabs_and_line_breaks_stay_allowed_in_a_textarea(app: Flask) -> None:
    assert errors_of(app, notes="first line\r\n\tsecond line\nthird") == {}


@pytest.mark.parametrize(
    "value", ["Association\u00a0: Refuge", "Zoë Ñúñez", "Nguyễn Thị Minh", "محمد", "a\u2028b"]
)
def test_printable_unicode_is_allowed_everywhere(app: Flask, value: str) -> None:
    assert errors_of(app, name=value, notes=value) == {}


def test_passwords_and_hidden_fields_are_left_to_their_own_checks(app: Flask) -> None:
    assert errors_of(app, password="pass\x01word", next="/cases\x1b") == {}


def test_the_refusal_is_said_in_the_users_language(app: Flask) -> None:
    with app.test_request_context(method="POST", headers={"Accept-Language": "fr"}):
        form: Any = Sample(formdata=MultiDict({"name": "a\x1bb", "notes": "a\x1bb"}))
        assert not form.validate()
        french = [str(e) for e in form.name.errors + form.notes.errors]
    assert french == [
        "Écrivez ceci sur une seule ligne, sans tabulation ni autre caractère de contrôle.",
        "Retirez les caractères de contrôle : seuls les tabulations et les retours à la ligne "
        "sont permis.",
    ]
