"""Hand-over: a team's supervisor puts another screener (or supervisor) of the team in charge
of an open case, or of every open case someone holds (when a screener leaves); and, when an
administrator disables an account, the supervisors of every team the account held open cases
in are told. Who may hand over is ``access.policy``'s to say (``cases.hand_over``); the rule,
the audit and the notices are in docs/case-work.md § Hand-over.

What moves is the case's owner only. The referrals the previous owner sent stay as they were
(``sent_by`` is history); whoever is in charge of a case is in charge of its referrals
(access.policy). Follow-up tasks keep their assignee: they are ``referral.tasks``'s."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeGuard

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.exceptions import Forbidden

from access import audit, teams
from access import services as access_services
from access.models import User
from access.policy import authorize, require
from access.roles import TEAM_ROLES
from core.errors import RefusedError
from referral import cases, endings, notices, tasks
from referral.models import Case

NOT_IN_TEAM = _l("Choose an active screener or supervisor of the case's team.")
ALREADY_IN_CHARGE = _l("This person is already in charge.")


class HandOverError(RefusedError):
    """A hand-over that cannot be made as asked; ``fields`` names the new owner's field."""


@dataclass(frozen=True)
class Waiting:
    """The open cases of one former owner who can no longer work on them."""

    owner_id: uuid.UUID
    owner_email: str | None
    cases: list[Case]


def works_in(user: User | None, team_id: uuid.UUID, today: date) -> TypeGuard[User]:
    """Whether ``user`` may be in charge of a case of the team now: a screener or supervisor
    of that team whose account may be used (not disabled, not locked)."""
    return (
        user is not None
        and user.role in TEAM_ROLES
        and user.team_id == team_id
        and user.active_on(today)
    )


def candidates(store: Session, team_id: uuid.UUID, today: date) -> list[User]:
    """Who may take over a case of the team: its active screeners and supervisors."""
    return [u for u in teams.team_members(store, team_id) if works_in(u, team_id, today)]


def _new_owner(store: Session, team_id: uuid.UUID, new_owner_id: uuid.UUID, today: date) -> User:
    # One answer for unknown, another team's, partner staff, disabled: a supervisor learns
    # nothing about accounts outside their team by trying ids.
    user = access_services.get_user(store, new_owner_id)
    if not works_in(user, team_id, today):
        raise HandOverError(
            "the new owner must be an active screener or supervisor of the case's team",
            {"owner": NOT_IN_TEAM},
        )
    return user


def _move(store: Session, case: Case, new_owner: User, now: datetime) -> uuid.UUID:
    before = case.owner_id
    case.owner_id = new_owner.id
    case.updated_at = now
    moved = tasks.reassign(store, case, before, new_owner.id)
    # Staff ids only: who had it and who has it now, never anything of the person.
    audit.record(
        store,
        "case.handed_over",
        object_type="case",
        object_id=case.id,
        details={"from": str(before), "to": str(new_owner.id), "tasks": moved},
    )
    return before


def _tell(
    store: Session, before: uuid.UUID, new_owner: User, case_id: uuid.UUID, now: datetime
) -> None:
    notices.notify(store, [new_owner], "case.handed_over", now, case_id=case_id)
    previous = access_services.get_user(store, before)
    if previous is not None:  # notify() itself skips an account that cannot be used
        notices.notify(store, [previous], "case.taken_over", now, case_id=case_id)


def hand_over(
    store: Session, user: Any, case: Case, new_owner_id: uuid.UUID, now: datetime
) -> Case:
    """Put ``new_owner_id`` in charge of ``case``: the team's supervisor only, an open case
    only, never under break-glass; the new owner an active screener or supervisor of the
    case's team other than its owner. Audited with both staff ids; the new owner is told,
    and the previous one if their account may still be used."""
    require(user, "cases.hand_over", case, "case", case.id)
    # Under the case's row lock, asked again: closed or linked meanwhile answers 409.
    cases.lock(store, case)
    require(user, "cases.hand_over", case, "case", case.id)
    new_owner = _new_owner(store, case.team_id, new_owner_id, now.date())
    if new_owner.id == case.owner_id:
        raise HandOverError(
            "the new owner is already in charge of the case", {"owner": ALREADY_IN_CHARGE}
        )
    before = _move(store, case, new_owner, now)
    _tell(store, before, new_owner, case.id, now)
    return case


def hand_over_all(
    store: Session, user: Any, from_owner_id: uuid.UUID, to_owner_id: uuid.UUID, now: datetime
) -> int:
    """Move every open case of the supervisor's team held by ``from_owner_id`` to
    ``to_owner_id`` (an active screener or supervisor of the team, not the same person).
    Each case is locked, checked and audited as by :func:`hand_over`; each side is told once
    for the whole batch, about the first case moved. Returns how many cases moved."""
    if not authorize(user, "cases.hand_over"):
        raise Forbidden()
    if from_owner_id == to_owner_id:
        raise HandOverError(
            "the new owner is already in charge of these cases", {"owner": ALREADY_IN_CHARGE}
        )
    new_owner = _new_owner(store, user.team_id, to_owner_id, now.date())
    found = cases.open_owned(store, user, "cases.hand_over", [from_owner_id])
    moved: list[Case] = []
    # Locked in one order for every worker, so two batches never wait on each other.
    for case in sorted(found, key=lambda c: str(c.id)):
        cases.lock(store, case)
        if case.owner_id != from_owner_id or not cases.is_open(case):
            continue  # handed over or closed meanwhile: that is the later word
        require(user, "cases.hand_over", case, "case", case.id)
        _move(store, case, new_owner, now)
        moved.append(case)
    if moved:
        first = next(c for c in found if c in moved)  # the most urgent, then the oldest
        _tell(store, from_owner_id, new_owner, first.id, now)
    return len(moved)


def waiting(store: Session, user: Any, today: date) -> list[Waiting]:
    """The open cases of the supervisor's team whose owner can no longer work on them (the
    account was disabled or locked, or moved to another team or role), by former owner.
    Audited as a list, with its count."""
    active = [u.id for u in candidates(store, user.team_id, today)]
    groups: dict[uuid.UUID, list[Case]] = {}
    for case in cases.open_owned(store, user, "cases.hand_over", active, others=True):
        groups.setdefault(case.owner_id, []).append(case)
    found = []
    for owner_id, held in groups.items():
        owner = access_services.get_user(store, owner_id)
        found.append(Waiting(owner_id, owner.email if owner else None, held))
    audit.record(
        store,
        "cases.listed",
        details={
            "count": sum(len(w.cases) for w in found),
            "owners": len(found),
            "list": "to_hand_over",
        },
    )
    return sorted(found, key=lambda w: w.owner_email or "")


def tell_supervisors(store: Session, owner_id: uuid.UUID, now: datetime) -> int:
    """An account was disabled: for every team it held open cases in, the team's supervisors
    are told once (``case.owner_disabled``, about its most urgent case; the page of cases to
    hand over lists them all). Audited with counts. Returns how many open cases it held."""
    held = cases.open_of_owner(store, owner_id)
    first_by_team: dict[uuid.UUID, Case] = {}
    for case in held:
        first_by_team.setdefault(case.team_id, case)
    for team_id, first in first_by_team.items():
        notices.notify(
            store, notices.supervisors(store, team_id), "case.owner_disabled", now, case_id=first.id
        )
    if held:
        audit.record(
            store,
            "cases.owner_disabled",
            object_type="user",
            object_id=owner_id,
            details={"open_cases": len(held), "teams": len(first_by_team)},
        )
    return len(held)


def on_user_disabled(store: Session, user_id: uuid.UUID, now: datetime) -> None:
    """Receiver of ``access.services.user_disabled``: the supervisors are asked to hand
    over the open cases the account held; a partner's last staff account takes its
    organisation's open referrals with it (``endings.end_without_staff``)."""
    tell_supervisors(store, user_id, now)
    user = access_services.get_user(store, user_id)
    if user is not None and user.partner_id is not None:
        endings.end_without_staff(store, user.partner_id, now)


def on_user_moved(
    store: Session, user_id: uuid.UUID, partner_before: uuid.UUID | None, now: datetime
) -> None:
    """Receiver of ``access.services.user_moved``: an account that left a partner
    organisation may have been the last to open its referrals
    (``endings.end_without_staff``)."""
    user = access_services.get_user(store, user_id)
    if partner_before is not None and (user is None or user.partner_id != partner_before):
        endings.end_without_staff(store, partner_before, now)
