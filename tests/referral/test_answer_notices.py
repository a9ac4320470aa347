"""A partner's answer, and a referral's expiry, reach someone who can open the referral and act:
the caseworker in charge of the case, or the team's supervisors when that caseworker may no
longer open it (docs/notices.md)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access import teams
from access.models import User
from core import db
from referral.models import Notice
from tests.helpers import Account

API = Callable[..., Any]


def notices_of(app: Flask, referral_id: str, kind: str) -> set[uuid.UUID]:
    with app.app_context():
        return set(
            db.session().scalars(
                sa.select(Notice.user_id).where(
                    Notice.referral_id == uuid.UUID(referral_id), Notice.kind == kind
                )
            )
        )


def move_to_team(app: Flask, account: Account, team: str) -> None:
    """An administrator's approved change: the account now works in another team."""
    with app.app_context():
        store = db.session()
        user = store.get(User, account.id)
        assert user is not None
        user.team = teams.ensure_team(store, team)
        store.commit()


def test_a_partners_answer_reaches_someone_who_can_open_it_once_the_owner_moved_team(
    app: Flask, api: API, referral: Callable[..., str], accounts: dict[str, Account]
) -> None:
    """The screener who owns the case moves to Team B (no hand-over yet). The partner
    accepts: the owner, who could no longer open the referral, is not told; Team A's
    supervisor, who can act, is (referrals.in_charge), as for a follow-up's reminder."""
    referral_id = referral()
    move_to_team(app, accounts["screener"], "Team B")
    accepted = api("partner", "POST", f"/referrals/{referral_id}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    told = notices_of(app, referral_id, "referral.accepted")
    assert accounts["screener"].id not in told  # they can no longer open it
    assert accounts["supervisor"].id in told  # Team A's supervisor can, and must act
