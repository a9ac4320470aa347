"""``core.web.show_refusal``: a service's refusal shown on a page's form, each problem on the
field it names, the rest on a fallback field or above the form, with the refusal's status."""

from __future__ import annotations

from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from core.errors import NotNow, RefusedError
from core.forms import AppForm
from core.web import show_refusal
from tests.helpers import error_of


class Sample(AppForm):
    """Two fields, as a page's form has them."""

    class Meta:
        csrf = False

    title = StringField("Title")
    place = StringField("Place")


PAGE = """{% from "macros.html" import field %}
{% for message in form.form_errors %}<p class="error" role="alert">{{ message }}</p>{% endfor %}
{{ field(form.title) }}{{ field(form.place) }}"""


def sent(**data: str) -> Sample:
    form = Sample(formdata=MultiDict(data))
    assert form.validate()
    return form


def test_each_problem_is_shown_on_the_field_it_names_with_422(app: Flask) -> None:
    with app.test_request_context(method="POST"):
        form = sent(title="Visit", place="Lyon")
        refused = RefusedError("refused", {"place": "Choose a place in the team's region."})
        assert show_refusal(form, refused) == 422
        page = render_template_string(PAGE, form=form)
    assert error_of(page, "place") == "Choose a place in the team's region."
    assert error_of(page, "title") == ""
    assert 'role="alert"' not in page


def test_a_state_refusal_answers_409(app: Flask) -> None:
    with app.test_request_context(method="POST"):
        form = sent(title="Visit")
        assert show_refusal(form, NotNow("closed", {"title": "The case is closed."})) == 409
        assert form.title.errors == ["The case is closed."]


def test_a_problem_naming_no_field_goes_above_the_form_or_on_the_fallback(app: Flask) -> None:
    refused = RefusedError("refused", {"user": "You cannot do this to your own account."})
    with app.test_request_context(method="POST"):
        above, on_title = sent(title="Visit"), sent(title="Visit")
        show_refusal(above, refused)
        show_refusal(on_title, refused, fallback="title")
        page = render_template_string(PAGE, form=above)
        assert above.form_errors == ["You cannot do this to your own account."]
        assert on_title.title.errors == ["You cannot do this to your own account."]
        assert on_title.form_errors == []
    assert '<p class="error" role="alert">You cannot do this to your own account.</p>' in page


def test_the_services_names_are_mapped_and_foreign_words_replaced(app: Flask) -> None:
    refused = RefusedError(
        "refused",
        {
            "entry.title": "Another entry has this title.",
            "entry.kind": "Kinds cannot change.",
            "entry.size": "must be a whole number from 0",
            "entry.colour": "must be one of red, green",
        },
    )
    with app.test_request_context(method="POST"):
        form = sent(title="Visit")
        show_refusal(
            form,
            refused,
            names={"entry.title": "title", "entry.kind": None},
            instead="Check each field.",
        )
        assert form.title.errors == ["Another entry has this title."]
        # Two problems the page has no words for are said once.
        assert form.form_errors == ["Kinds cannot change.", "Check each field."]
