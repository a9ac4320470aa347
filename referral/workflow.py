"""The referral state machine, in one place: which action moves a referral from which state,
and who may take it. Anything else is illegal (the API answers 409).

    pending --accept--> accepted --close(outcome)--> closed
    pending --decline(reason)--> declined
    pending --expire--> expired
    pending|accepted --withdraw--> withdrawn
    pending|accepted --revoke(reason)--> withdrawn   (the system: the partner lost standing)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from access.policy import NotNow, state_rule

STATES = ("pending", "accepted", "declined", "expired", "withdrawn", "closed")
FINAL = frozenset({"declined", "expired", "withdrawn", "closed"})
# Waiting for an answer or accepted: a partner holds the person's packet and may act on it.
OPEN = tuple(state for state in STATES if state not in FINAL)


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """``column IN ('a', 'b')`` for a CHECK constraint or a partial index: the table's rules
    are written from these tuples, not again by hand (the values are fixed literals)."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def sql_inbox_rank(urgent: str) -> str:
    """Where a referral stands in an inbox, as SQL over its ``state`` and ``urgency``: open
    before ended, waiting for an answer before accepted (the order of :data:`OPEN`), and
    ``urgent`` first within each; 0 (urgent, waiting) to 5 (normal, ended). The database
    keeps it in a generated column, so an index serves the inbox's order."""
    ranks = " ".join(f"WHEN {state!r} THEN {2 * n}" for n, state in enumerate(OPEN))
    return (
        f"CASE state {ranks} ELSE {2 * len(OPEN)} END"
        f" + CASE urgency WHEN {urgent!r} THEN 0 ELSE 1 END"
    )


# Why the system revokes a referral: the partner was suspended, set back to pending, or its
# vetting lapsed; in each case it may no longer hold or answer for the person.
PARTNER_SUSPENDED = "partner_suspended"
# ...or the partner can no longer take it while in standing: no staff account left that can
# open it, or it no longer offers child protection, the basis of a child's referral made
# without consent.
PARTNER_UNAVAILABLE = "partner_unavailable"


@dataclass(frozen=True)
class Move:
    """One legal transition: the state it leads to, who may make it, what it must carry."""

    to: str
    by: str  # "partner" (the receiving organisation), "sender" or "system"
    needs: str | None = None  # "reason" or "outcome"


# The sides that move a referral from a page; the system moves by itself.
PEOPLE = ("partner", "sender")


TRANSITIONS: dict[tuple[str, str], Move] = {
    ("pending", "accept"): Move("accepted", "partner"),
    ("pending", "decline"): Move("declined", "partner", needs="reason"),
    ("pending", "expire"): Move("expired", "system"),
    ("pending", "withdraw"): Move("withdrawn", "sender"),
    ("accepted", "withdraw"): Move("withdrawn", "sender"),
    ("accepted", "close"): Move("closed", "partner", needs="outcome"),
    ("pending", "revoke"): Move("withdrawn", "system", needs="reason"),
    ("accepted", "revoke"): Move("withdrawn", "system", needs="reason"),
}
ACTIONS = tuple(sorted({action for _state, action in TRANSITIONS}))


class IllegalTransition(NotNow):
    """The action cannot be taken from this state, by this side, or without what it needs."""


def allows(state: str, action: str, by: str) -> bool:
    """Whether ``by`` may take ``action`` on a referral in ``state``."""
    step = TRANSITIONS.get((state, action))
    return step is not None and step.by == by


def moves(state: str, by: str) -> tuple[tuple[str, Move], ...]:
    """The actions ``by`` may take on a referral in ``state``, in the table's order."""
    return tuple(
        (action, step)
        for (start, action), step in TRANSITIONS.items()
        if start == state and step.by == by
    )


def actions_of(by: str) -> tuple[str, ...]:
    """Every action ``by`` takes in some state, in the table's order, once each."""
    return tuple(dict.fromkeys(a for (_state, a), step in TRANSITIONS.items() if step.by == by))


def move(state: str, action: str, by: str, detail: str | None = None) -> str:
    """The state after ``action`` taken by ``by`` on a referral in ``state``; raises
    :class:`IllegalTransition` for anything the table does not allow."""
    step = TRANSITIONS.get((state, action))
    if step is None:
        raise IllegalTransition(f"cannot {action} a referral that is {state}")
    if step.by != by:
        raise IllegalTransition(f"only the {step.by} may {action} a referral")
    if step.needs and not (detail and detail.strip()):
        raise IllegalTransition(f"{action} needs a {step.needs}")
    return step.to


def suggests_next_partner(state: str, withdraw_reason: str | None = None) -> bool:
    """Whether the sender should be offered the next matching partner: declined, expired,
    or withdrawn because the partner lost its standing or can no longer take it (not when the
    sender withdrew)."""
    return state in ("declined", "expired") or (
        state == "withdrawn" and withdraw_reason in (PARTNER_SUSPENDED, PARTNER_UNAVAILABLE)
    )


# The policy asks the state machine whether a referral's state allows a move, so the page
# offers exactly the moves the service accepts: a rule for each action a person takes.
def _allowed(action: str, by: str) -> Callable[[Any], bool]:
    return lambda referral: allows(referral.state, action, by)


for _by in PEOPLE:
    for _action in actions_of(_by):
        state_rule(f"referrals.{_action}", _allowed(_action, _by))
