"""Each step of a referral as the statistics may count it (docs/reporting.md §1): sent,
each state it moves to, overdue. The referral package announces a step with plain values
only — no person, no case or referral id — on the ``referral_event`` hook; the reporting
package is attached to it, and this package never knows it (dependencies point one way;
core/hooks.py)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.hooks import Hook
from referral import cases, matching
from referral.models import Case
from screening import opening
from screening.models import Screening

referral_event = Hook("referral.step")


@dataclass(frozen=True)
class Event:
    """One step of a referral as the statistics may count it: no person, no case id."""

    event: str
    at: datetime
    team_id: uuid.UUID
    partner_id: uuid.UUID
    urgency: str
    services: tuple[str, ...]
    country: str | None  # where the person is now
    child: bool
    counted: bool  # the person agreed to the statistics purpose
    hours: int | None  # whole hours since the referral was sent
    in_time: bool | None  # answered by its deadline (accepted or declined)
    decline_reason: str | None
    outcome: str | None
    after_decline: bool | None  # accepted after the case's earlier decline or expiry


def _completed_at(screening: Screening) -> datetime:
    if screening.completed_at is None:  # only completed screenings are compared
        raise ValueError("a draft screening has no completion time")
    return screening.completed_at


def counted(store: Session, case: Case) -> bool:
    """Whether the person agreed to be counted: their latest word, the consent of the
    case's most recent completed screening (asked at each step, so a later "no" counts)."""
    done = [s for s in cases.screenings_of(store, case) if s.completed_at is not None]
    latest = max(done, key=_completed_at, default=None)
    return latest is not None and bool(opening.consent_of(latest).purposes.get("statistics"))


def announce(
    store: Session, referral: Any, case: Case, earlier: list[Any], event: str, now: datetime
) -> None:
    """Announce one step of ``referral``; ``earlier`` are the case's other referrals."""
    answered = event in ("accepted", "declined")
    step = Event(
        event=event,
        at=now,
        team_id=referral.team_id,
        partner_id=referral.partner_id,
        urgency=referral.urgency,
        services=referral.services,
        country=cases.person(store, case).country,
        child=matching.is_child(store, case),
        counted=counted(store, case),
        hours=int((now - referral.created_at).total_seconds() // 3600),
        in_time=(now <= referral.due_at) if answered else None,
        decline_reason=referral.decline_reason if event == "declined" else None,
        outcome=referral.outcome if event == "closed" else None,
        after_decline=any(r.state in ("declined", "expired") for r in earlier)
        if event == "accepted"
        else None,
    )
    referral_event.tell(event=asdict(step))
