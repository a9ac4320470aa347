"""Case notes: what a caseworker writes down about a case, and the reason given for
reopening one. Each note is sealed with the person's data key, so it is shredded with the
person; its text never reaches a log, a notice or the audit log, which records only that a
note was written or read (docs/case-work.md). The only module that queries case notes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit
from access.policy import require
from core import datakeys, db
from core.errors import NotNow, RefusedError
from referral import cases
from referral.models import Case, CaseNote

TABLE = "case_notes"
NOTE_MAX = 4000
FORM_USED = _l("This form was already sent. Open the case again and write the note there.")
KINDS = ("note", "reopened")


class NoteError(RefusedError):
    """A note that cannot be written as given."""


class RecordGone(NoteError, NotNow):
    """The person's record was shredded meanwhile: nothing can be sealed for them (409)."""


@dataclass(frozen=True)
class OpenedNote:
    """A note as read back: who wrote it, when, why, and the text."""

    id: uuid.UUID
    author_id: uuid.UUID
    kind: str
    created_at: datetime
    text: str


def _cipher(store: Session, case: Case) -> datakeys.Cipher:
    return datakeys.cipher(store, cases.person(store, case).data_key_id)


def clean(text: str | None, field: str = "text") -> str:
    """The note's text without surrounding blanks; refuses an empty or overlong note."""
    text = (text or "").strip()
    if not text:
        raise NoteError("write the note", {field: _l("must not be empty")})
    if len(text) > NOTE_MAX:
        raise NoteError(
            "the note is too long", {field: _l("at most %(count)d characters", count=NOTE_MAX)}
        )
    return text


def write(
    store: Session,
    user: Any,
    case: Case,
    text: str,
    now: datetime,
    kind: str = "note",
    form_key: str | None = None,
) -> CaseNote:
    """Add a sealed note to the case; audited with the note's id and kind only. The caller
    has checked the user may act on the case (``cases.notes``, or reopening)."""
    if kind not in KINDS:
        raise ValueError(f"unknown note kind {kind!r}")
    text = clean(text)
    note = CaseNote(
        id=uuid.uuid4(),
        case_id=case.id,
        author_id=user.id,
        kind=kind,
        created_at=now,
        form_key=form_key,
    )
    try:
        note.body = _cipher(store, case).seal(TABLE, "body", note.id, text)
    except datakeys.ShreddedError as error:
        raise RecordGone("the person's record is no longer kept") from error
    store.add(note)
    store.flush()
    audit.record(
        store,
        "case.note_written",
        object_type="case",
        object_id=case.id,
        details={"note": str(note.id), "kind": kind},
    )
    return note


def add(
    store: Session,
    user: Any,
    case: Case,
    text: str,
    now: datetime,
    retention_days: int,
    form_key: str | None = None,
) -> CaseNote:
    """A caseworker's note on a case in their charge (checked now, on the locked row). The
    form sent again (``form_key``, ``core.forms.OnceField``) finds the note it wrote and
    writes nothing: asked under the case's lock, so a second send at the same moment waits
    for the first and finds its note (the unique key is the last guard)."""
    cases.lock(store, case)
    require(user, "cases.notes", case, "case", case.id)
    earlier = written_with(store, case, form_key)
    if earlier is not None:
        return earlier
    note = write(store, user, case, text, now, form_key=form_key)
    cases.touch(store, case, now, retention_days)
    return note


def written_with(store: Session, case: Case, form_key: str | None) -> CaseNote | None:
    """The note the form with this key wrote on this case, if any; a key that wrote on
    another case (a form copied from another page) is refused (422)."""
    if not form_key:
        return None
    note = store.scalar(sa.select(CaseNote).where(CaseNote.form_key == form_key))
    if note is not None and note.case_id != case.id:
        raise NoteError("this form was sent before", {"text": FORM_USED})
    return note


def of_case(store: Session, case: Case) -> list[OpenedNote]:
    """The case's notes, newest first, opened (an audited read). None once the person's
    record is shredded: the key that opened them is gone."""
    rows = list(
        store.scalars(
            sa.select(CaseNote)
            .where(CaseNote.case_id == case.id)
            .order_by(CaseNote.created_at.desc(), CaseNote.id)
        )
    )
    if not rows:
        return []
    try:
        cipher = _cipher(store, case)
    except datakeys.ShreddedError:
        return []
    audit.record(
        store,
        "case.notes_read",
        object_type="case",
        object_id=case.id,
        details={"count": len(rows)},
    )
    return [
        OpenedNote(
            row.id,
            row.author_id,
            row.kind,
            row.created_at,
            cipher.open(TABLE, "body", row.id, row.body) or "",
        )
        for row in rows
    ]


def move(store: Session, source: Case, target: Case) -> int:
    """Move a case's notes onto another case of the same person (a confirmed link),
    sealing each again with the target person's key: the source's key is about to go."""
    rows = list(store.scalars(sa.select(CaseNote).where(CaseNote.case_id == source.id)))
    if rows:
        opener, sealer = _cipher(store, source), _cipher(store, target)
        for row in rows:
            text = opener.open(TABLE, "body", row.id, row.body)
            row.case_id, row.body = target.id, sealer.seal(TABLE, "body", row.id, text)
        store.flush()
    return len(rows)


def forget(store: Session, case_id: uuid.UUID) -> int:
    """Delete a case's notes (their person was shredded: they could no longer be read)."""
    done = store.execute(
        sa.delete(CaseNote)
        .where(CaseNote.case_id == case_id)
        .execution_options(synchronize_session=False)
    )
    return db.rowcount(done)
