"""Screenings: starting one (the person, once the consent and safety check of
screening/opening.py pass), saving answers as the interview goes, completing it with a score,
and reading it back — each step audited, the answers and result sealed with the person's data
key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access.policy import authorize, found, require, visible
from core import datakeys, db
from core.errors import MalformedRequest, NotNow
from core.hooks import Hook
from screening import explain, people, scoring
from screening.instruments import Instrument, Voice
from screening.models import Person, Screening
from screening.opening import ScreeningError, Start, checked

SERVICES = (
    "shelter",
    "medical",
    "psychosocial",
    "legal",
    "child_protection",
    "return_reintegration",
    "livelihood",
    "interpretation",
)
TABLE = "screenings"

# The screening package knows nothing of cases or statistics (dependencies point one way):
# the composition root attaches the referral and reporting packages here (core/hooks.py).
# Asked with a completed screening's id, in its transaction, so the case opens with it or
# not at all; answers the case's id.
open_case = Hook("screening.open-case", port=True)
# Asked with a person id; answers the id of that person's case, if any.
find_case = Hook("screening.find-case", port=True)
# Told with a completed screening's id, after its case is open (the statistics' facts).
completed_event = Hook("screening.completed")
# A person refused a record but agreed to be counted, anonymously: told the team and the
# instrument only.
counted_without_record = Hook("screening.counted-without-record")


def count_without_record(team_id: uuid.UUID, instrument: str) -> None:
    """Have a person who refused a record but agreed to be counted counted: nothing about
    them but the team and the instrument."""
    counted_without_record.tell(team_id=team_id, instrument=instrument)


def case_of(screening: Screening) -> uuid.UUID | None:
    """The id of the case that holds this screening's person, once there is one."""
    case_id: uuid.UUID | None = find_case.ask(person_id=screening.person_id)
    return case_id


class ScreeningMalformed(ScreeningError, MalformedRequest):
    """The request's shape is wrong (400): answers that are not the instrument's questions
    and answers, a red-flag action whose fields are not of the documented types."""


class ScreeningConflict(ScreeningError, NotNow):
    """The screening's state refuses the request now (409): it is already completed, or a
    red flag still waits for what was done about it."""


def still_draft(screening: Screening) -> None:
    """Refuse (:class:`ScreeningConflict`) anything but a draft: its interview is over."""
    if screening.status != "draft":
        raise ScreeningConflict("this screening is completed", {"status": screening.status})


def started_with(store: Session, user: Any, key: str) -> Screening | None:
    """The screening a web form's start key made, if the user may read it: the form sent a
    second time leads there instead of recording the person twice."""
    screening = store.scalar(sa.select(Screening).where(Screening.start_key == key))
    if screening is None or not authorize(user, "screenings.read", screening):
        return None
    return screening


def key_taken(store: Session, key: str) -> bool:
    """Whether a screening was started with this key, whoever may read it."""
    return store.scalar(sa.select(Screening.id).where(Screening.start_key == key)) is not None


def lock_draft(store: Session, screening: Screening) -> None:
    """Take the draft's row lock for the rest of the transaction and read it again, before
    its answers are read to be changed: two answers saved at once, a reopening and a
    completion then take turns, so none overwrites another and nothing is written into a
    screening completed meanwhile (:class:`ScreeningConflict`). A draft made in this
    transaction needs no lock and costs no statement (``core.db.lock``)."""
    db.lock(store, screening)
    still_draft(screening)


def start(
    store: Session, user: Any, request: Start, now: datetime, retention_days: int
) -> Screening:
    """Register the person and open a draft screening; refused (:func:`checked`) without
    consent to screen and to store, when the person is not safe to talk, or for a child
    without assent and a guardian's consent or a statutory basis."""
    request = checked(request)
    person = people.register(
        store,
        request.identity,
        user.team_id,
        user.id,
        now,
        retention_days,
        possibly_minor=bool(request.safety.possibly_minor),
    )
    screening = Screening(
        id=uuid.uuid4(),
        person_id=person.id,
        person=person,
        team_id=user.team_id,
        screener_id=user.id,
        instrument=request.instrument.id,
        instrument_version=request.instrument.version,
        language=request.language,
        status="draft",
        consent=request.consent.as_dict(),
        safety=request.safety.as_dict(),
        needs=tuple(request.needs),
        created_at=now,
        updated_at=now,
        start_key=request.key,
        start_digest=request.digest,
    )
    store.add(screening)
    audit.record(store, "screening.created", object_type="screening", object_id=screening.id)
    return screening


def _person(store: Session, screening: Screening) -> Person:
    return people.get(store, screening.person_id)


def voice(store: Session, screening: Screening) -> Voice:
    """How this screening's questions are worded, from the person's facts kept in the clear
    (no sealed detail is opened): feminine French for a recorded sex of female, simpler
    words for a child whose age band is under 12."""
    person = _person(store, screening)
    return Voice(screening.language, person.sex == "female", people.younger_child_on_record(person))


def subject(store: Session, screening: Screening) -> people.Identity:
    """The screened person's details (an audited read)."""
    return people.read(store, _person(store, screening))


def _cipher(store: Session, screening: Screening) -> datakeys.Cipher:
    return datakeys.cipher(store, _person(store, screening).data_key_id)


def answers(store: Session, screening: Screening) -> dict[str, str]:
    """The answers given so far."""
    opened = _cipher(store, screening).open(TABLE, "answers", screening.id, screening.answers)
    return json.loads(opened) if opened else {}


def save_answers(
    store: Session,
    screening: Screening,
    given: Mapping[str, str],
    now: datetime,
    cleared: Collection[str] = (),
) -> None:
    """Add or change answers of a draft (a paused interview resumes from here), or clear
    those under ``cleared`` so that they are asked again."""
    if screening.status != "draft":
        raise ScreeningConflict(
            "this screening is completed; its answers cannot change", {"status": screening.status}
        )
    merged = {k: v for k, v in answers(store, screening).items() if k not in cleared} | dict(given)
    screening.answers = _cipher(store, screening).seal(
        TABLE, "answers", screening.id, json.dumps(merged, sort_keys=True)
    )
    screening.updated_at = now
    audit.record(
        store,
        "screening.updated",
        object_type="screening",
        object_id=screening.id,
        details={"answers": len(given), **({"cleared": len(cleared)} if cleared else {})},
    )


def complete(
    store: Session,
    screening: Screening,
    instrument: Instrument,
    result: scoring.Result,
    now: datetime,
    explain_in: str | None = None,
) -> dict[str, Any]:
    """Seal a scored result (screening.interview.finish scores it) and keep its headline in
    the clear; the person's case opens (or takes the screening in) in the same transaction.
    The explanation is written in ``explain_in`` (the screener's language), by default in
    the language of the questions."""
    if screening.status != "draft":
        raise ScreeningConflict("this screening is already completed", {"status": screening.status})
    stored = {
        **result.as_dict(),
        "explanation": explain.explain(result, instrument, explain_in or screening.language),
    }
    screening.result = _cipher(store, screening).seal(
        TABLE, "result", screening.id, json.dumps(stored, sort_keys=True)
    )
    screening.rules = result.rules
    screening.instrument_version = result.instrument_version
    screening.classification, screening.route = result.classification, result.route
    screening.act_established = result.act_established
    screening.urgent, screening.incomplete = result.urgent, result.incomplete
    screening.smuggling = result.smuggling
    screening.status, screening.completed_at, screening.updated_at = "completed", now, now
    audit.record(
        store,
        "screening.completed",
        object_type="screening",
        object_id=screening.id,
        details={"classification": result.classification, "urgent": result.urgent},
    )
    open_case.ask(screening_id=screening.id)
    completed_event.tell(screening_id=screening.id)
    return stored


def result(store: Session, screening: Screening) -> dict[str, Any] | None:
    """The stored result of a completed screening."""
    opened = _cipher(store, screening).open(TABLE, "result", screening.id, screening.result)
    return json.loads(opened) if opened else None


def get(store: Session, user: Any, screening_id: uuid.UUID) -> Screening:
    """A screening the user may see (404 otherwise, audited either way)."""
    screening = store.get(Screening, screening_id)
    require(user, "screenings.read", screening, "screening", screening_id)
    audit.record(store, "screening.read", object_type="screening", object_id=screening_id)
    return found(screening)


def completed(store: Session, screening_id: uuid.UUID) -> Screening | None:
    """A completed screening by id, for the case it opens (no user: the system acts)."""
    screening = db.get(store, Screening, screening_id)
    return screening if screening is not None and screening.status == "completed" else None


def of_person(store: Session, person_id: uuid.UUID) -> list[Screening]:
    """A person's completed screenings, newest first."""
    return list(
        store.scalars(
            sa.select(Screening)
            .where(Screening.person_id == person_id, Screening.status == "completed")
            .order_by(Screening.completed_at.desc())
        )
    )


def move_to(store: Session, screening: Screening, person: Person, now: datetime) -> None:
    """File a screening under another record of the same person: its sealed answers and
    result, and the texts of its red-flag actions, are opened with the old person's key and
    sealed again with the new one's."""
    from screening import red_flags  # here: red_flags builds on this module

    old, new = _cipher(store, screening), datakeys.cipher(store, person.data_key_id)
    for column in ("answers", "result"):
        value = old.open(TABLE, column, screening.id, getattr(screening, column))
        setattr(screening, column, new.seal(TABLE, column, screening.id, value))
    red_flags.reseal(store, screening, old, new)
    screening.person_id, screening.team_id, screening.updated_at = person.id, person.team_id, now
    audit.record(
        store,
        "screening.moved",
        object_type="screening",
        object_id=screening.id,
        details={"person": str(person.id)},
    )


def list_for(store: Session, user: Any, limit: int = 50) -> list[Screening]:
    """The screenings a user may see, drafts first, newest first: their own, or their
    team's for a supervisor (the policy's list scope)."""
    query = sa.select(Screening).where(visible(user, "screenings.read", Screening))
    return list(
        store.scalars(
            query.order_by((Screening.status == "draft").desc(), Screening.updated_at.desc()).limit(
                limit
            )
        )
    )
