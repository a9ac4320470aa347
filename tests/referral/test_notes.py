"""Case notes (docs/case-work.md): sealed with the person's key, read only by the team in
charge (never under break-glass), their text never in logs, notices, page titles or the
audit log, in the person's own copy, and gone with the person."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import db
from referral.models import Case, CaseNote, Notice, OutboxMessage
from screening import retention
from screening.models import Person
from tests.helpers import Account, error_of

CANARY = "Canarynote she fears the man at the border"


def write(client: Any, case_id: str, text: str = CANARY) -> Any:
    return client.post(f"/cases/{case_id}/notes", {"text": text}, form_page=f"/cases/{case_id}")


def test_a_note_is_sealed_and_shown_to_the_owner_and_the_supervisor(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Any,
    new_client: Any,
    accounts: dict[str, Account],
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    assert write(screener, case_id).status_code == 302
    page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    assert CANARY in page
    assert CANARY not in page.split("<title>", 1)[1].split("</title>", 1)[0]
    supervisor = new_client()
    supervisor.sign_in(accounts["supervisor"])
    assert CANARY in supervisor.get(f"/cases/{case_id}").get_data(as_text=True)
    with app.app_context():
        store = db.session()
        [note] = store.scalars(sa.select(CaseNote))
        assert b"Canarynote" not in note.body
        assert note.author_id == accounts["screener"].id
        reads = store.scalars(
            sa.select(AuditEvent.details).where(AuditEvent.action == "case.notes_read")
        )
        assert [json.loads(d) for d in reads][-1] == {"count": 1}


def test_the_text_of_a_note_never_leaves_the_page(
    app: Flask, open_case: Callable[..., str], signed_in: Any, caplog: Any
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    write(screener, case_id)
    screener.get(f"/cases/{case_id}")
    assert "Canarynote" not in caplog.text
    with app.app_context():
        store = db.session()
        audit = repr([(e.action, e.details) for e in store.scalars(sa.select(AuditEvent))])
        assert "Canarynote" not in audit
        assert "case.note_written" in audit
        assert "Canarynote" not in repr(
            [(n.kind, n.case_id) for n in store.scalars(sa.select(Notice))]
        )
        assert "Canarynote" not in repr(
            [(m.link, m.kind) for m in store.scalars(sa.select(OutboxMessage))]
        )


def test_an_empty_or_overlong_note_is_refused_with_a_form_error(
    app: Flask, open_case: Callable[..., str], signed_in: Any
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    blank = write(screener, case_id, "   ")
    assert blank.status_code == 422
    assert error_of(blank.get_data(as_text=True), "text") == "must not be empty"
    too_long = write(screener, case_id, "x" * 4001)
    assert too_long.status_code == 400
    assert "4000" in too_long.get_data(as_text=True)
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(CaseNote)) == 0


def test_a_note_with_control_characters_is_refused_with_a_form_error(
    app: Flask, open_case: Callable[..., str], signed_in: Any
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    refused = write(screener, case_id, "She said:\x1b[2J nothing")
    assert refused.status_code == 400
    assert "Remove the control characters: only tabs and line breaks may stay." in (
        refused.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(CaseNote)) == 0
    kept = write(screener, case_id, "Rendez-vous\u00a0: lundi.\r\n\tPrévoir un interprète.")
    assert kept.status_code == 302


def test_notes_are_not_shown_under_break_glass(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Any,
    new_client: Any,
    accounts: dict[str, Account],
) -> None:
    case_id = open_case()
    write(signed_in("screener"), case_id)
    other = new_client()
    other.sign_in(accounts["supervisor_b"])
    granted = other.post(
        f"/cases/{case_id}/break-glass",
        {"reason": "A synthetic emergency call about this person now"},
    )
    assert granted.status_code == 302
    page = other.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert CANARY not in page.get_data(as_text=True)
    assert write(other, case_id, "added under break-glass").status_code == 404


def test_the_persons_copy_holds_the_notes(open_case: Callable[..., str], signed_in: Any) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    write(screener, case_id)
    held = screener.get(f"/cases/{case_id}/copy.json").get_json()
    assert [n["text"] for n in held["case_notes"]] == [CANARY]
    assert held["case"] == {"status": "active", "outcome": None}


def test_notes_go_with_the_person(
    app: Flask, open_case: Callable[..., str], signed_in: Any
) -> None:
    case_id = open_case()
    write(signed_in("screener"), case_id)
    with app.app_context():
        store = db.session()
        person = store.get(Person, store.get(Case, uuid.UUID(case_id)).person_id)
        person.retention_until = person.created_at
        store.commit()
        retention.apply(store, person.created_at.replace(year=2099), False)
        store.commit()
        assert store.scalar(sa.select(sa.func.count()).select_from(CaseNote)) == 0


def test_linking_a_newer_record_carries_its_notes_to_the_earlier_case(
    open_case: Callable[..., str], signed_in: Any
) -> None:
    first = open_case()
    second = open_case(needs=["medical"])
    screener = signed_in("screener")
    write(screener, first, "Canaryfirst note on the earlier case")
    write(screener, second)
    linked = screener.post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    assert linked.status_code == 302
    page = screener.get(f"/cases/{first}").get_data(as_text=True)
    assert CANARY in page  # sealed again with the earlier person's key, still readable
    assert "Canaryfirst note on the earlier case" in page
