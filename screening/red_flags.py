"""What the screener did about red flags: recording an action (who was contacted, when, what
was done, the outcome), reading the actions of a screening back, and which raised flags no
action answers yet.

An action may be recorded at any time, also after the screening is completed: help often
comes later. The outcome and the note on who was contacted may name people, so both are
sealed with the person's data key, as the screening's answers are; the audit event holds the
codes only, never those texts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit
from access.policy import require
from core import datakeys
from screening import instruments, people, protocols
from screening.models import RedFlagAction, Screening
from screening.opening import ScreeningError

TABLE = "red_flag_actions"
SEALED = ("contacted_note", "outcome")
CONTACTS = ("emergency_services", "medical", "child_protection", "supervisor", "partner", "other")
ACTIONS = ("called", "referred", "escorted", "safety_plan", "none_possible")
NOTE_MAX = 200
OUTCOME_MAX = 4000


def is_child(screening: Screening) -> bool:
    """Whether the screening is of a child, or of someone who may be one (the child
    instrument, or the safety check's "under 18, or might be")."""
    return (
        screening.instrument == instruments.CHILD or screening.safety.get("possibly_minor") is True
    )


def _cipher(store: Session, screening: Screening) -> datakeys.Cipher:
    return datakeys.cipher(store, people.get(store, screening.person_id).data_key_id)


def _problems(
    screening: Screening,
    flags: Sequence[str],
    contacted: Sequence[str],
    contacted_note: str | None,
    acted_at: datetime,
    action: str,
    outcome: str | None,
    now: datetime,
) -> dict[str, Any]:
    problems = {}
    unknown = [f for f in flags if not protocols.is_red_flag(f)]
    if not flags or unknown:
        problems["flags"] = (
            _l("not red flags: %(flags)s", flags=", ".join(unknown))
            if unknown
            else _l("name at least one red flag this action answers")
        )
    if any(c not in CONTACTS for c in contacted):
        problems["contacted"] = _l("each must be one of %(choices)s", choices=", ".join(CONTACTS))
    elif "other" in contacted and not (contacted_note or "").strip():
        problems["contacted_note"] = _l("say who else was contacted")
    if len(contacted_note or "") > NOTE_MAX:
        problems["contacted_note"] = _l("at most %(count)d characters", count=NOTE_MAX)
    if action not in ACTIONS:
        problems["action"] = _l("must be one of %(choices)s", choices=", ".join(ACTIONS))
    if len(outcome or "") > OUTCOME_MAX:
        problems["outcome"] = _l("at most %(count)d characters", count=OUTCOME_MAX)
    if acted_at > now:
        problems["acted_at"] = _l("cannot be in the future")
    elif acted_at < screening.created_at.replace(second=0, microsecond=0):
        problems["acted_at"] = _l("cannot be before the screening started")
    return problems


def record_action(
    store: Session,
    user: Any,
    screening: Screening,
    flags: Sequence[str],
    contacted: Sequence[str],
    acted_at: datetime,
    action: str,
    outcome: str | None,
    now: datetime,
    *,
    contacted_note: str | None = None,
) -> RedFlagAction:
    """Record what was done about ``flags`` of ``screening`` (a draft or a completed one),
    audited with the flags, protocols and action. ``acted_at`` without a time zone is
    taken as UTC. Raises :class:`ScreeningError` with ``fields`` on bad input."""
    require(user, "screenings.read", screening, "screening", screening.id)
    flags, contacted = list(dict.fromkeys(flags)), list(dict.fromkeys(contacted))
    acted_at = acted_at.replace(tzinfo=UTC) if acted_at.tzinfo is None else acted_at
    problems = _problems(
        screening, flags, contacted, contacted_note, acted_at, action, outcome, now
    )
    if problems:
        raise ScreeningError("the red-flag action cannot be recorded", problems)
    kinds = protocols.kinds(flags, is_child(screening))
    row = RedFlagAction(
        id=uuid.uuid4(),
        screening_id=screening.id,
        screening=screening,
        flags=tuple(flags),
        protocols=tuple(kinds),
        contacted=tuple(contacted),
        acted_at=acted_at,
        action=action,
        recorded_by=user.id,
        recorded_at=now,
    )
    cipher = _cipher(store, screening)
    for column, text in (("contacted_note", contacted_note), ("outcome", outcome)):
        setattr(row, column, cipher.seal(TABLE, column, row.id, (text or "").strip() or None))
    store.add(row)
    audit.record(
        store,
        "screening.red_flag_action",
        object_type="screening",
        object_id=screening.id,
        details={"flags": flags, "protocols": kinds, "action": action},
    )
    return row


def _rows(store: Session, screening: Screening) -> list[RedFlagAction]:
    return list(
        store.scalars(
            sa.select(RedFlagAction)
            .where(RedFlagAction.screening_id == screening.id)
            .order_by(RedFlagAction.acted_at, RedFlagAction.recorded_at)
        )
    )


def actions(store: Session, screening: Screening) -> list[dict[str, Any]]:
    """The actions recorded for ``screening``, oldest first, their texts opened: ``id``,
    ``flags``, ``protocols``, ``contacted``, ``contacted_note``, ``acted_at``, ``action``,
    ``outcome``, ``recorded_by``, ``recorded_at``."""
    cipher = _cipher(store, screening)
    return [
        {
            "id": row.id,
            "flags": list(row.flags),
            "protocols": list(row.protocols),
            "contacted": list(row.contacted),
            "contacted_note": cipher.open(TABLE, "contacted_note", row.id, row.contacted_note),
            "acted_at": row.acted_at,
            "action": row.action,
            "outcome": cipher.open(TABLE, "outcome", row.id, row.outcome),
            "recorded_by": row.recorded_by,
            "recorded_at": row.recorded_at,
        }
        for row in _rows(store, screening)
    ]


def unacknowledged(store: Session, screening: Screening, raised_flags: Iterable[str]) -> list[str]:
    """The raised flags no recorded action answers, once each, in the order given (an
    action saying none was possible answers its flags too)."""
    raised = list(dict.fromkeys(raised_flags))
    if not raised:  # nothing to answer: no need to read the actions
        return []
    answered = {flag for row in _rows(store, screening) for flag in row.flags}
    return [flag for flag in raised if flag not in answered]


def reseal(
    store: Session, screening: Screening, old: datakeys.Cipher, new: datakeys.Cipher
) -> None:
    """Seal the texts of the screening's actions again under ``new`` (the screening moves
    to another record of the same person, whose key replaces ``old``)."""
    for row in _rows(store, screening):
        for column in SEALED:
            value = old.open(TABLE, column, row.id, getattr(row, column))
            setattr(row, column, new.seal(TABLE, column, row.id, value))
