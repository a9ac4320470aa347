"""Tables of the screening package: the people screened, their screenings, and what was done
about the red flags raised.

A person's identifying details are sealed with the person's own data key (core.datakeys);
only non-identifying facts used for statistics and routing stay in the clear. Destroying the
data key when the retention date passes leaves those facts and nothing else.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONObject, StringList
from core.datakeys import DataKey
from core.db import Base, UTCDateTime, new_id

SEALED_FIELDS = ("given_name", "family_name", "birth_date", "age", "region", "contact", "notes")


class Person(Base):
    """Someone who was screened. Never a member of staff."""

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    data_key_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("data_keys.id"))
    # Set on a new row, it makes the unit of work insert the new key first
    # (docs/architecture.md, "One flush").
    data_key: Mapped[DataKey] = relationship(lazy="raise")
    team_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    # Keyed HMAC of name and year of birth, to find an earlier screening of the same person.
    identity_index: Mapped[bytes | None] = mapped_column(sa.LargeBinary(16), index=True)
    given_name: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    family_name: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    birth_date: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    age: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    region: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    contact: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    notes: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # Non-identifying facts, kept after shredding for anonymised statistics.
    age_band: Mapped[str | None] = mapped_column(sa.String(8))
    sex: Mapped[str | None] = mapped_column(sa.String(16))
    nationality: Mapped[str | None] = mapped_column(sa.String(2))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    languages: Mapped[tuple[str, ...]] = mapped_column(StringList(64), default=())
    # A child's safeguards rest on these, so they outlive the sealed age (people.is_child).
    possibly_minor: Mapped[bool] = mapped_column(default=False)
    age_source: Mapped[str | None] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retention_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    legal_hold: Mapped[bool] = mapped_column(default=False)
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Person {self.id}>"


class PersonChange(Base):
    """One correction of a person's details: which fields changed (names only, in the clear)
    and their previous values, sealed with the person's data key, so the history lasts
    exactly as long as the record (docs/case-work.md)."""

    __tablename__ = "person_changes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), index=True)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fields: Mapped[tuple[str, ...]] = mapped_column(StringList(200))
    previous: Mapped[bytes | None] = mapped_column(sa.LargeBinary)


class Screening(Base):
    """One interview with one person using one instrument version.

    Answers, the full result and notes are sealed with the person's data key; the headline of
    the result (class, urgency, route) stays in the clear for queues and statistics.
    """

    __tablename__ = "screenings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), index=True)
    # Set on a new row, it makes the unit of work insert the new person first
    # (docs/architecture.md, "One flush").
    person: Mapped[Person] = relationship(lazy="raise")
    team_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    screener_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    instrument: Mapped[str] = mapped_column(sa.String(64))
    instrument_version: Mapped[str] = mapped_column(sa.String(32))
    rules: Mapped[str | None] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(2))
    exploitation: Mapped[str | None] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    answers: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    result: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    classification: Mapped[str | None] = mapped_column(sa.String(24))
    # For a child, whether an act (recruitment, transport, harbouring…) was recorded: without
    # one, "likely" is shown as child exploitation, act to be established (None: an adult,
    # or completed before migration 0024).
    act_established: Mapped[bool | None] = mapped_column()
    urgent: Mapped[bool] = mapped_column(default=False)
    incomplete: Mapped[bool] = mapped_column(default=False)
    smuggling: Mapped[bool] = mapped_column(default=False)
    route: Mapped[str | None] = mapped_column(sa.String(32))
    consent: Mapped[dict[str, Any]] = mapped_column(JSONObject, default=dict)
    safety: Mapped[dict[str, Any]] = mapped_column(JSONObject, default=dict)
    needs: Mapped[tuple[str, ...]] = mapped_column(StringList(200), default=())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The random key of the web form's setup that started it: the person form sent twice
    # (a slow connection, a second click) finds the draft the first made instead of
    # recording the person again (migration 0027). Through the API, a keyed hash of the
    # caller's Idempotency-Key, with a keyed digest of the body it came with (migration 0028;
    # screening/idempotency.py); None without the header.
    start_key: Mapped[str | None] = mapped_column(sa.String(32), index=True, unique=True)
    start_digest: Mapped[str | None] = mapped_column(sa.String(32))

    def __repr__(self) -> str:
        return f"<Screening {self.id} {self.status}>"


class RedFlagAction(Base):
    """What the screener did about red flags raised in a screening: the flags it answers,
    the protocols they called for, who was contacted, when, the action and its outcome.

    The outcome and the free-text note on who was contacted may name people: both are sealed
    with the person's data key. The codes stay in the clear for oversight.
    """

    __tablename__ = "red_flag_actions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    screening_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("screenings.id"), index=True)
    # Set on a new row, it makes the unit of work insert the new screening first
    # (docs/architecture.md, "One flush").
    screening: Mapped[Screening] = relationship(lazy="raise")
    flags: Mapped[tuple[str, ...]] = mapped_column(StringList(500))  # red-flag ids
    protocols: Mapped[tuple[str, ...]] = mapped_column(StringList(120))  # protocol kinds
    contacted: Mapped[tuple[str, ...]] = mapped_column(StringList(120), default=())  # codes
    contacted_note: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    acted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(sa.String(16))
    outcome: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    recorded_by: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<RedFlagAction {self.id} {self.action}>"
