"""A note or a follow-up sent twice from the same form (a slow connection, a second click)
is written once: the form carries a random key the row keeps, unique (docs/architecture.md,
"Locks, and their order"; ``core.forms.OnceField``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from referral.models import CaseNote, CaseTask
from tests.helpers import Account, Client, csrf_from
from tests.referral.test_races import meanwhile, postgres_only

NOTE = "Canarytwice called back about the shelter"


def form_of(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action`` on the page."""
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', form))


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session().scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_the_case_page_gives_each_form_a_fresh_key(
    open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    first = form_of(
        screener.get(f"/cases/{case_id}").get_data(as_text=True), f"/cases/{case_id}/notes"
    )
    again = form_of(
        screener.get(f"/cases/{case_id}").get_data(as_text=True), f"/cases/{case_id}/notes"
    )
    assert re.fullmatch(r"[0-9a-f]{32}", first["once"])
    assert first["once"] != again["once"]


def test_a_note_sent_twice_is_written_once(
    app: Flask, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    hidden = form_of(page, f"/cases/{case_id}/notes")
    sent = [
        screener.raw.post(f"/cases/{case_id}/notes", data={**hidden, "text": NOTE})
        for _ in range(2)
    ]
    assert [r.status_code for r in sent] == [302, 302]
    assert count(app, CaseNote) == 1
    shown = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    assert shown.count(NOTE) == 1


def test_a_follow_up_sent_twice_is_added_once(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    hidden = form_of(page, f"/cases/{case_id}/tasks")
    data = {
        **hidden,
        "title": "Canarytwice phone the shelter",
        "due_on": "2026-03-05",
        "assignee": str(accounts["screener"].id),
    }
    sent = [screener.raw.post(f"/cases/{case_id}/tasks", data=data) for _ in range(2)]
    assert [r.status_code for r in sent] == [302, 302]
    assert count(app, CaseTask) == 1


def test_two_showings_of_the_form_write_two_notes(
    app: Flask, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    for text in ("Canarytwice first", "Canarytwice second"):
        page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
        hidden = form_of(page, f"/cases/{case_id}/notes")
        sent = screener.raw.post(f"/cases/{case_id}/notes", data={**hidden, "text": text})
        assert sent.status_code == 302
    assert count(app, CaseNote) == 2


def test_a_key_copied_onto_another_cases_form_is_refused_with_a_form_error(
    app: Flask, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    first, second = open_case(), open_case(needs=["medical"])
    screener = signed_in("screener")
    page = screener.get(f"/cases/{first}").get_data(as_text=True)
    hidden = form_of(page, f"/cases/{first}/notes")
    sent = screener.raw.post(f"/cases/{first}/notes", data={**hidden, "text": NOTE})
    assert sent.status_code == 302
    token = csrf_from(screener.raw.get(f"/cases/{second}"))
    refused = screener.raw.post(
        f"/cases/{second}/notes", data={"csrf_token": token, "once": hidden["once"], "text": NOTE}
    )
    assert refused.status_code == 422
    assert (
        "This form was already sent. Open the case again and write the note there."
        in refused.get_data(as_text=True)
    )
    assert count(app, CaseNote) == 1


@pytest.mark.parametrize("key", ["not-hex", "ab" * 17, "ABCDEF0123456789ABCDEF0123456789"])
def test_a_malformed_key_is_a_form_error_and_writes_nothing(
    app: Flask, open_case: Callable[..., str], signed_in: Callable[[str], Client], key: str
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    token = csrf_from(screener.raw.get(f"/cases/{case_id}"))
    sent = screener.raw.post(
        f"/cases/{case_id}/notes", data={"csrf_token": token, "once": key, "text": NOTE}
    )
    assert sent.status_code == 400
    assert count(app, CaseNote) == 0


@pytest.mark.concurrency
def test_a_note_sent_twice_at_once_is_written_once(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    new_client: Callable[[], Client],
) -> None:
    engine = postgres_only(app)
    case_id = open_case()
    mine, again = new_client(), new_client()
    mine.sign_in(accounts["screener"])
    again.sign_in(accounts["screener"])
    hidden = form_of(
        mine.get(f"/cases/{case_id}").get_data(as_text=True), f"/cases/{case_id}/notes"
    )
    theirs = {**hidden, "csrf_token": csrf_from(again.raw.get(f"/cases/{case_id}"))}
    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("INSERT INTO case_notes"),
        lambda: again.raw.post(f"/cases/{case_id}/notes", data={**theirs, "text": NOTE}),
    ) as done:
        sent = mine.raw.post(f"/cases/{case_id}/notes", data={**hidden, "text": NOTE})
    # The second send waits for the case's lock, which the first holds to its commit, and
    # then finds the note written.
    assert done[0] == "fired"
    assert [sent.status_code, done[1].status_code] == [302, 302]
    assert count(app, CaseNote) == 1
