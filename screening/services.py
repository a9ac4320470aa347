"""Screenings: starting one (the person, consent and safety check first), saving answers as
the interview goes, completing it with a score, and reading it back — each step audited, the
answers and result sealed with the person's data key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.orm import Session

from access import audit
from access.policy import require, visible
from core import datakeys
from core.errors import RefusedError
from screening import explain, people, scoring
from screening.instruments import Instrument
from screening.models import Person, Screening

PURPOSES = ("screening", "storing", "referral", "statistics", "recontact")
SHAREABLE = ("given_name", "family_name", "age", "sex", "nationality", "location",
             "languages", "contact", "needs", "answers")
SERVICES = ("shelter", "medical", "psychosocial", "legal", "child_protection",
            "return_reintegration", "livelihood", "interpretation")
# The safety check's answer about the interpreter, as the web form and the API name it.
INTERPRETER_INDEPENDENT = {"yes": True, "no": False, "none": None}
TABLE = "screenings"

signals = Namespace()
# The screening package knows nothing of cases (dependencies point one way); the referral
# package answers these two signals. Sent with the completed screening, in its transaction,
# so the case opens with it or not at all; the receiver returns the case id.
screening_completed = signals.signal("screening-completed")
# Asked with a person id; the receiver returns the id of that person's case, if any.
case_wanted = signals.signal("case-wanted")


def _reply(replies: list[tuple[Any, Any]]) -> uuid.UUID | None:
    return next((value for _receiver, value in replies if value is not None), None)


def announce(app: Any, screening: Screening) -> uuid.UUID | None:
    """Tell the referral package a screening is completed; returns the case it opened."""
    return _reply(screening_completed.send(app, screening_id=screening.id))


def case_of(app: Any, screening: Screening) -> uuid.UUID | None:
    """The id of the case that holds this screening's person, once there is one."""
    return _reply(case_wanted.send(app, person_id=screening.person_id))


class ScreeningError(RefusedError):
    """A screening request that cannot be carried out."""


@dataclass(frozen=True)
class Consent:
    """What the person agreed to, purpose by purpose, and which fields may be shared."""

    purposes: dict[str, bool]
    share: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {**self.purposes, "share": list(self.share)}


@dataclass(frozen=True)
class Safety:
    """The safety check before any question."""

    alone: bool
    safe_to_talk: bool
    interpreter_language: str | None = None
    interpreter_independent: bool | None = None
    possibly_minor: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"alone": self.alone, "safe_to_talk": self.safe_to_talk,
                "interpreter_language": self.interpreter_language,
                "interpreter_independent": self.interpreter_independent,
                "possibly_minor": self.possibly_minor}


def safe_to_screen(alone: bool, safe_to_talk: bool) -> bool:
    """The safety check's rule, for the web and the API alike: the questions are asked only
    when the person is alone with the screener and says it is safe to talk now. Anything
    else, including an answer not given, stops the interview."""
    return alone is True and safe_to_talk is True


@dataclass(frozen=True)
class Start:
    """Everything needed before the first question."""

    instrument: Instrument
    language: str
    identity: people.Identity
    consent: Consent
    safety: Safety
    needs: tuple[str, ...] = field(default_factory=tuple)


def start(store: Session, user: Any, request: Start, now: datetime,
          retention_days: int) -> Screening:
    """Register the person and open a draft screening; refused without consent to screen
    and to store, or when the person is not safe to talk."""
    if not request.consent.purposes.get("screening") or not request.consent.purposes.get(
            "storing"):
        raise ScreeningError("consent to screening and to storing the record is needed",
                             {"consent": "screening and storing must be agreed"})
    if not safe_to_screen(request.safety.alone, request.safety.safe_to_talk):
        raise ScreeningError("it is not safe to talk now; stop and follow the protocol",
                             {"safety": "the person must be alone and safe to talk"})
    person = people.register(store, request.identity, user.team_id, user.id, now,
                             retention_days)
    screening = Screening(
        id=uuid.uuid4(), person_id=person.id, team_id=user.team_id, screener_id=user.id,
        instrument=request.instrument.id, instrument_version=request.instrument.version,
        language=request.language, status="draft",
        consent=json.dumps(request.consent.as_dict()),
        safety=json.dumps(request.safety.as_dict()), needs=",".join(request.needs),
        created_at=now, updated_at=now)
    store.add(screening)
    store.flush()
    audit.record(store, "screening.created", object_type="screening", object_id=screening.id)
    return screening


def _person(store: Session, screening: Screening) -> Person:
    person = store.get(Person, screening.person_id)
    assert person is not None  # noqa: S101 - a foreign key guarantees it
    return person


def feminine(store: Session, screening: Screening) -> bool:
    """Whether French questions take their feminine wording: the person's recorded sex
    (kept in the clear, non-identifying) is female."""
    return _person(store, screening).sex == "female"


def subject(store: Session, screening: Screening) -> people.Identity:
    """The screened person's details (an audited read)."""
    return people.read(store, _person(store, screening))


def _cipher(store: Session, screening: Screening) -> datakeys.Cipher:
    return datakeys.cipher(store, _person(store, screening).data_key_id)


def answers(store: Session, screening: Screening) -> dict[str, str]:
    """The answers given so far."""
    opened = _cipher(store, screening).open(TABLE, "answers", screening.id, screening.answers)
    return json.loads(opened) if opened else {}


def save_answers(store: Session, screening: Screening, given: Mapping[str, str],
                 now: datetime) -> None:
    """Add or change answers of a draft (a paused interview resumes from here)."""
    if screening.status != "draft":
        raise ScreeningError("this screening is completed; its answers cannot change")
    merged = {**answers(store, screening), **given}
    screening.answers = _cipher(store, screening).seal(TABLE, "answers", screening.id,
                                                       json.dumps(merged, sort_keys=True))
    screening.updated_at = now
    audit.record(store, "screening.updated", object_type="screening", object_id=screening.id,
                 details={"answers": len(given)})


def complete(store: Session, screening: Screening, instrument: Instrument,
             result: scoring.Result, now: datetime,
             explain_in: str | None = None) -> dict[str, Any]:
    """Seal a scored result (screening.interview.finish scores it) and keep its headline in
    the clear. The explanation is written in ``explain_in`` (the screener's language), by
    default in the language of the questions."""
    if screening.status != "draft":
        raise ScreeningError("this screening is already completed")
    stored = {**result.as_dict(), "explanation": explain.explain(
        result, instrument, explain_in or screening.language)}
    screening.result = _cipher(store, screening).seal(TABLE, "result", screening.id,
                                                      json.dumps(stored, sort_keys=True))
    screening.rules = result.rules
    screening.instrument_version = result.instrument_version
    screening.classification, screening.route = result.classification, result.route
    screening.urgent, screening.incomplete = result.urgent, result.incomplete
    screening.smuggling = result.smuggling
    screening.status, screening.completed_at, screening.updated_at = "completed", now, now
    audit.record(store, "screening.completed", object_type="screening",
                 object_id=screening.id, details={"classification": result.classification,
                                                  "urgent": result.urgent})
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
    return screening  # type: ignore[return-value]


def completed(store: Session, screening_id: uuid.UUID) -> Screening | None:
    """A completed screening by id, for the case it opens (no user: the system acts)."""
    screening = store.get(Screening, screening_id)
    return screening if screening is not None and screening.status == "completed" else None


def of_person(store: Session, person_id: uuid.UUID) -> list[Screening]:
    """A person's completed screenings, newest first."""
    return list(store.scalars(sa.select(Screening).where(
        Screening.person_id == person_id, Screening.status == "completed")
        .order_by(Screening.completed_at.desc())))


def consent_of(screening: Screening) -> Consent:
    """The consent the person gave at this screening."""
    given = json.loads(screening.consent or "{}")
    return Consent({p: bool(given.get(p)) for p in PURPOSES},
                   tuple(f for f in given.get("share", []) if f in SHAREABLE))


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
    audit.record(store, "screening.moved", object_type="screening", object_id=screening.id,
                 details={"person": str(person.id)})


def list_for(store: Session, user: Any, limit: int = 50) -> list[Screening]:
    """The screenings a user may see, drafts first, newest first: their own, or their
    team's for a supervisor (the policy's list scope)."""
    query = sa.select(Screening).where(visible(user, "screenings.read", Screening))
    return list(store.scalars(query.order_by((Screening.status == "draft").desc(),
                                             Screening.updated_at.desc()).limit(limit)))
