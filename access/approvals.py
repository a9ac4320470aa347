"""Account changes that need a second person (separation of duties).

An administrator never reaches case content alone: creating an account, changing an account's
role, team or partner organisation, and resetting its second factor are only *requested* by an
administrator. They take effect when someone else approves: another administrator, or for an
account in a screener or supervisor role, a supervisor of the team it is to belong to. Nobody
decides on a change they asked for or on a change to their own account. A change nobody
approves expires after ``ACCOUNT_CHANGE_DAYS``, and one whose requester may no longer ask
(disabled, locked, no longer an administrator) is not carried out. The password link of a new
account goes to its owner by e-mail (or from the operator's console), never to the people who
asked or approved.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit, passwords, services, teams
from access.models import RESET_SECOND_FACTOR, AccountChange, User
from access.policy import NotNow, authorize, state_rule
from access.roles import Role
from core import clock, db, mail
from core.errors import RefusedError
from core.settings_type import Settings

CREATE, CHANGE, RESET = "create", "change", RESET_SECOND_FACTOR


class ChangeRefused(RefusedError):
    """A request or decision that cannot be carried out; the message is fit to show, and
    ``fields`` names what it is about (``email``, ``user``, ``role`` or ``change``)."""


class AlreadyDecided(ChangeRefused, NotNow):
    """Someone else decided on the change a moment before: its state refuses a second
    decision (409)."""


def _record(store: Session, change: AccountChange, event: str, outcome: str = "allowed") -> None:
    # Ids and the kind only: the e-mail address of a new account stays out of the log.
    audit.record(
        store,
        f"account_change.{event}",
        outcome,
        object_type="account_change",
        object_id=change.id,
        details={"kind": change.kind, "user": str(change.user_id) if change.user_id else None},
    )


def _new(
    store: Session, requester: User, kind: str, now: datetime, days: int, **values: Any
) -> AccountChange:
    expire_overdue(store, now)
    change = AccountChange(
        id=uuid.uuid4(),
        kind=kind,
        requested_by=requester.id,
        requested_at=now,
        expires_at=now + timedelta(days=days),
        **values,
    )
    store.add(change)
    store.flush()
    _record(store, change, "requested")
    return change


def _pending(store: Session, now: datetime) -> sa.Select[AccountChange]:
    return sa.select(AccountChange).where(
        AccountChange.outcome.is_(None), AccountChange.expires_at > now
    )


def request_creation(
    store: Session,
    requester: User,
    email: str,
    role: Role | str,
    now: datetime,
    days: int,
    *,
    team: str | None = None,
    partner: str | None = None,
    new_team: bool = False,
) -> AccountChange:
    """Ask for a new account; nothing is created until someone else approves. ``team`` is
    an existing team's name, or with ``new_team`` one no team has in any spelling."""
    address, role = services.check_new_user(store, email, role, team, partner, new_team=new_team)
    waiting = store.scalar(
        _pending(store, now).where(AccountChange.kind == CREATE, AccountChange.email == address)
    )
    if waiting is not None:
        raise ChangeRefused.on(
            "email", _l("An account with this e-mail address is already waiting for approval.")
        )
    return _new(
        store,
        requester,
        CREATE,
        now,
        days,
        email=address,
        role=str(role),
        team=team.strip() if team else None,
        partner=partner or None,
    )


def _not_own(requester: User, user: User) -> None:
    # Asking for a change to one's own account is asking a second person for one's own
    # access: an administrator changes other people's accounts only.
    if requester.id == user.id:
        raise ChangeRefused.on("user", _l("You cannot do this to your own account."))


def request_role_change(
    store: Session,
    requester: User,
    user: User,
    role: Role | str,
    now: datetime,
    days: int,
    *,
    team: str | None = None,
    partner: str | None = None,
    new_team: bool = False,
) -> AccountChange:
    """Ask to give ``user`` another role, team or partner organisation (``team`` as for
    :func:`request_creation`)."""
    _not_own(requester, user)
    role = services.check_membership(store, role, team, partner, new_team=new_team)
    team = team.strip() if team else None
    current = (
        user.role,
        user.team.name if user.team else None,
        user.partner.slug if user.partner else None,
    )
    if current == (role, team, partner or None):
        raise ChangeRefused.on("role", _l("The account already has this role and membership."))
    return _new(
        store,
        requester,
        CHANGE,
        now,
        days,
        user_id=user.id,
        role=str(role),
        team=team,
        partner=partner or None,
    )


def request_second_factor_reset(
    store: Session, requester: User, user: User, now: datetime, days: int
) -> AccountChange:
    """Ask to replace ``user``'s second factor with a fresh one they set up again."""
    _not_own(requester, user)
    return _new(store, requester, RESET, now, days, user_id=user.id)


def _undecided(change: AccountChange) -> bool:
    return change.outcome is None and change.expires_at > clock.now()


# A change may be decided once, before it expires; who may decide is the policy's scope.
state_rule("account_changes.decide", _undecided)


def get(store: Session, change_id: uuid.UUID) -> AccountChange | None:
    """The change with id ``change_id``, or None."""
    return store.get(AccountChange, change_id)


def waiting(store: Session, user: Any, now: datetime) -> list[AccountChange]:
    """Pending changes ``user`` may see: all of them for an administrator (their own too,
    to follow them), those they may decide for a supervisor; oldest first."""
    changes = store.scalars(_pending(store, now).order_by(AccountChange.requested_at))
    if user.role == Role.ADMIN:
        return list(changes)
    return [change for change in changes if authorize(user, "account_changes.decide", change)]


def _account(change: AccountChange) -> User:
    """The existing account a role change or reset is about (only a creation has none)."""
    if change.user is None:
        raise LookupError(f"the {change.kind} {change.id} names no account")
    return change.user


def approve(
    store: Session, approver: User, change: AccountChange, now: datetime, config: Settings
) -> User:
    """Carry out ``change`` on ``approver``'s word; return the account concerned.

    A new account gets its password link by e-mail when mail is configured; without mail the
    operator issues one at the console. Raises :class:`ChangeRefused` when ``approver`` may
    not decide or whoever asked may no longer ask (disabled, locked, no longer an
    administrator), and ``services.UserError`` when the change no longer fits (the caller
    rolls back, and the change stays pending).
    """
    _claim(store, approver, change, now, "approved")
    _still_asked(change)
    if change.partner and services.partner_suspended(store, change.partner):
        # Asked while it was in standing: its staff would sign in the day it is vetted again.
        raise ChangeRefused.on(
            "change", _l("The partner organisation was suspended after this was asked: refuse it.")
        )
    if change.user is not None and change.user.disabled_at is not None:
        # The person left meanwhile: enabling the account later must give back nothing new.
        raise ChangeRefused.on(
            "change", _l("The account was disabled after this was asked: refuse it.")
        )
    # A change names its team; one no team had when it was asked is a new team, made now
    # unless a team of that name in another spelling was made meanwhile.
    new_team = bool(change.team) and not teams.exists(store, change.team or "")
    if change.kind == CREATE:
        user = services.create_user(
            store,
            change.email or "",
            change.role or "",
            now,
            team=change.team,
            partner=change.partner,
            new_team=new_team,
        )
        change.user_id = user.id
        passwords.send_password_link(store, user, now, config)
    elif change.kind == CHANGE:
        user = _account(change)
        services.change_role(
            store,
            user,
            change.role or "",
            now,
            team=change.team,
            partner=change.partner,
            new_team=new_team,
        )
    else:
        user = _account(change)
        services.reset_second_factor(store, user, now)
    store.flush()
    _record(store, change, "approved")
    return user


def requester_may_ask(change: AccountChange) -> bool:
    """Whether whoever asked for ``change`` may still ask for it: their account is active
    (not disabled, not locked) and still holds ``users.manage``. The approvals page asks it
    to offer approving at all; :func:`approve` asks it again and refuses otherwise."""
    # Two people make the change, so the authority of the one who asked is asked again when
    # it takes effect, not only when they asked: a requester disabled, locked or no longer an
    # administrator since then asks for nothing any more (refusing it is still possible).
    # ``authorize`` asks the account's state too (``basis`` refuses an inactive user).
    return authorize(change.requester, "users.manage")


def _still_asked(change: AccountChange) -> None:
    if not requester_may_ask(change):
        raise ChangeRefused.on(
            "change",
            _l(
                "The person who asked for this change may no longer ask for it: refuse it or "
                "let it expire."
            ),
        )


def refuse(store: Session, decider: User, change: AccountChange, now: datetime) -> None:
    """Close ``change`` without carrying it out."""
    _claim(store, decider, change, now, "refused")
    _record(store, change, "refused")


def _claim(
    store: Session, decider: User, change: AccountChange, now: datetime, outcome: str
) -> None:
    expire_overdue(store, now)
    if not authorize(decider, "account_changes.decide", change):
        raise ChangeRefused.on("change", _l("You cannot decide on this change."))
    # One decision per change, even when two people press at the same moment: only the
    # UPDATE that still finds it undecided wins.
    result = store.execute(
        sa.update(AccountChange)
        .where(AccountChange.id == change.id, AccountChange.outcome.is_(None))
        .values(outcome=outcome, decided_by=decider.id, decided_at=now)
    )
    if db.rowcount(result) != 1:
        raise AlreadyDecided.on("change", _l("Someone has already decided on this change."))
    store.refresh(change)


def expire_overdue(store: Session, now: datetime) -> int:
    """Close every pending change past its expiry (audited); return how many."""
    overdue = list(
        store.scalars(
            sa.select(AccountChange).where(
                AccountChange.outcome.is_(None), AccountChange.expires_at <= now
            )
        )
    )
    for change in overdue:
        change.outcome, change.decided_at = "expired", now
        _record(store, change, "expired")
    return len(overdue)


def password_link_needed(change: AccountChange, config: Settings) -> bool:
    """Whether an approved creation still needs the operator to hand out a password link
    (no mail server to send it)."""
    return change.kind == CREATE and not mail.configured(config)
