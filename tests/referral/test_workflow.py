"""The referral state machine: every legal move, and every other one refused."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from referral.workflow import (
    ACTIONS,
    STATES,
    TRANSITIONS,
    IllegalTransition,
    actions_of,
    move,
    moves,
    suggests_next_partner,
)

SIDES = ("partner", "sender", "system")


@pytest.mark.parametrize(
    ("state", "action", "by", "detail", "after"),
    [
        ("pending", "accept", "partner", None, "accepted"),
        ("pending", "decline", "partner", "no capacity this week", "declined"),
        ("pending", "expire", "system", None, "expired"),
        ("pending", "withdraw", "sender", None, "withdrawn"),
        ("accepted", "withdraw", "sender", None, "withdrawn"),
        ("accepted", "close", "partner", "assisted", "closed"),
        ("pending", "revoke", "system", "partner_suspended", "withdrawn"),
        ("accepted", "revoke", "system", "partner_suspended", "withdrawn"),
    ],
)
def test_legal_moves(state: str, action: str, by: str, detail: str | None, after: str) -> None:
    assert move(state, action, by, detail) == after


@pytest.mark.parametrize(
    ("state", "action", "by"),
    [
        (s, a, b)
        for s, a, b in itertools.product(STATES, ACTIONS, SIDES)
        if TRANSITIONS.get((s, a)) is None or TRANSITIONS[(s, a)].by != b
    ],
)
def test_every_other_move_is_illegal(state: str, action: str, by: str) -> None:
    with pytest.raises(IllegalTransition):
        move(state, action, by, "detail")


@pytest.mark.parametrize(("state", "action"), [("pending", "decline"), ("accepted", "close")])
@pytest.mark.parametrize("detail", [None, "", "   "])
def test_decline_needs_a_reason_and_close_an_outcome(
    state: str, action: str, detail: str | None
) -> None:
    with pytest.raises(IllegalTransition, match="needs a"):
        move(state, action, "partner", detail)


@pytest.mark.parametrize(
    ("state", "by", "offered"),
    [
        ("pending", "partner", [("accept", None), ("decline", "reason")]),
        ("pending", "sender", [("withdraw", None)]),
        ("accepted", "partner", [("close", "outcome")]),
        ("accepted", "sender", [("withdraw", None)]),
        ("closed", "partner", []),
        ("declined", "sender", []),
    ],
)
def test_the_moves_a_side_may_make_in_a_state_and_what_each_carries(
    state: str, by: str, offered: list[tuple[str, str | None]]
) -> None:
    assert [(action, step.needs) for action, step in moves(state, by)] == offered


def test_the_actions_each_side_takes() -> None:
    assert actions_of("partner") == ("accept", "decline", "close")
    assert actions_of("sender") == ("withdraw",)
    assert actions_of("system") == ("expire", "revoke")


def test_final_states_allow_nothing() -> None:
    for state in ("declined", "expired", "withdrawn", "closed"):
        assert not [a for (s, a) in TRANSITIONS if s == state]


def test_declined_and_expired_suggest_the_next_partner() -> None:
    assert [s for s in STATES if suggests_next_partner(s)] == ["declined", "expired"]


def test_revoking_needs_a_reason_and_only_then_suggests_the_next_partner() -> None:
    with pytest.raises(IllegalTransition, match="needs a"):
        move("pending", "revoke", "system", None)
    assert suggests_next_partner("withdrawn", "partner_suspended")
    assert not suggests_next_partner("withdrawn", None)


def test_the_migrated_table_admits_exactly_the_workflow_s_states(
    app: Any, referral: Callable[..., str]
) -> None:
    # The model writes its CHECK from workflow.STATES; the migrations write it by hand. A
    # state added to the workflow without a migration fails here, on either database.
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    from core import db
    from referral.workflow import STATES

    referral_id = referral()
    with app.app_context():
        store = db.session()
        for state in (*STATES, "archived"):
            savepoint = store.begin_nested()
            try:
                store.execute(
                    sa.text("UPDATE referrals SET state = :state WHERE id = :id"),
                    {
                        "state": state,
                        "id": referral_id.replace("-", "")
                        if store.bind.dialect.name == "sqlite"
                        else referral_id,
                    },
                )
                savepoint.commit()
                admitted = True
            except IntegrityError:
                savepoint.rollback()
                admitted = False
            assert admitted is (state != "archived"), state
        store.rollback()
