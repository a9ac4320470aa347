"""The safety check's interpreter's language: a name in any language Passage speaks or a
two-letter code, kept as the code; anything else is sent back with a message on the field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask

from core import db
from screening.models import Screening
from tests.helpers import error_of
from tests.screening.test_views import begin


def interpreter_language(app: Flask, url: str) -> Any:
    with app.app_context():
        screening = db.session().get(Screening, uuid.UUID(url.split("/")[2]))
        assert screening is not None
        return screening.safety["interpreter_language"]


@pytest.mark.parametrize("written", ["Arabic", "AR", "ar", " arabe ", "Árabe"])
def test_a_name_or_a_code_is_kept_as_the_code(app: Flask, signed_in: Any, written: str) -> None:
    client = signed_in("screener")
    url = begin(client, safety={"interpreter_language": written, "interpreter_independent": "yes"})
    assert interpreter_language(app, url) == "ar"


def test_no_interpreter_keeps_no_language(app: Flask, signed_in: Any) -> None:
    url = begin(signed_in("screener"))
    assert interpreter_language(app, url) is None


def test_an_unknown_language_is_sent_back_on_its_field(signed_in: Any) -> None:
    client = signed_in("screener")
    response = client.post(
        "/screenings/new",
        {
            "alone": "yes",
            "safe_to_talk": "yes",
            "child": "no",
            "language": "en",
            "interpreter_language": "Klingonese",
            "interpreter_independent": "yes",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert error_of(page, "interpreter_language") == (
        "Not a language we know: write its name or its two-letter code."
    )
    assert "language (its name or two-letter code), if any</label>" in page
