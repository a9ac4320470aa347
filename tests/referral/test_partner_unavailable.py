"""A partner that can no longer take a referral while in standing: its last staff account
disabled, or child protection dropped from what it offers while a child's referral rests on
that basis. Each open referral concerned is withdrawn by the system (``partner_unavailable``,
packet cleared) and the caseworker and the team's supervisors are told, as when a partner
loses its standing (docs/case-work.md, "Hand-over"; docs/access-policy.md). Synthetic data."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access import services as access_services
from core import db
from referral import directory_import
from referral.models import Notice, Referral
from tests.helpers import Account
from tests.referral.conftest import PARTNERS
from tests.referral.test_child_protection import NO_REFERRAL, PROTECTION
from tests.screening.payloads import child_body

API = Callable[..., Any]


def disable(app: Flask, account: Account, clock: Any) -> None:
    with app.app_context():
        store = db.session()
        user = access_services.get_user(store, account.id)
        assert user is not None
        access_services.disable_user(store, user, clock.now())
        store.commit()


def ended(app: Flask, referral_id: str) -> tuple[str, str | None, bool]:
    with app.app_context():
        referral = db.session().get(Referral, uuid.UUID(referral_id))
        assert referral is not None
        return referral.state, referral.withdraw_reason, referral.packet is None


def kinds_told(app: Flask, user_id: Any, referral_id: str) -> list[str]:
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(Notice.kind).where(
                    Notice.user_id == user_id, Notice.referral_id == uuid.UUID(referral_id)
                )
            )
        )


def notices_about(app: Flask, user_id: Any, referral_id: str) -> int:
    with app.app_context():
        return db.session().scalar(
            sa.select(sa.func.count())
            .select_from(Notice)
            .where(Notice.user_id == user_id, Notice.referral_id == uuid.UUID(referral_id))
        )


def test_disabling_a_partners_last_staff_account_leaves_no_referral_unseen(
    app: Flask, referral: Callable[..., str], accounts: dict[str, Account], clock: Any
) -> None:
    """org-a's only staff account is disabled while an urgent referral waits for it: nobody
    can open it any more, so it is withdrawn at once and the caseworker told, rather than
    wait unseen until the overdue sweep (sending to such a partner is refused alike)."""
    referral_id = referral(urgency="urgent")
    before = notices_about(app, accounts["screener"].id, referral_id)
    disable(app, accounts["partner"], clock)
    assert notices_about(app, accounts["screener"].id, referral_id) > before
    assert ended(app, referral_id) == ("withdrawn", "partner_unavailable", True)
    assert "referral.partner_unavailable" in kinds_told(app, accounts["screener"].id, referral_id)
    assert "referral.partner_unavailable" in kinds_told(app, accounts["supervisor"].id, referral_id)


def test_disabling_one_of_a_partners_staff_leaves_its_referrals_with_the_others(
    app: Flask,
    referral: Callable[..., str],
    accounts: dict[str, Account],
    make_account: Any,
    clock: Any,
) -> None:
    make_account("partner", email="second.staff@test.passage.example", partner="org-a")
    referral_id = referral(urgency="urgent")
    disable(app, accounts["partner"], clock)
    assert ended(app, referral_id) == ("pending", None, False)


def test_a_childs_referral_without_consent_ends_when_its_partner_drops_child_protection(
    app: Flask,
    api: API,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    make_account: Any,
    clock: Any,
) -> None:
    """A child's referral without consent stands only "to a partner offering child
    protection" (docs/access-policy.md): a directory import (or admin edit) that takes child
    protection off org-k ends it."""
    accounts["partner_k"] = make_account("partner", partner="org-k")
    case_id = open_case(**child_body(consent=NO_REFERRAL))
    sent = api("screener", "POST", f"/cases/{case_id}/referrals", PROTECTION)
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["basis"] == "child_protection"
    referral_id = sent.get_json()["id"]
    changed = copy.deepcopy(PARTNERS)
    assert changed[3]["slug"] == "org-k"
    changed[3]["services"] = ["shelter"]
    with app.app_context():
        store = db.session()
        directory_import.import_partners(store, changed, clock.now())
        store.commit()
    assert ended(app, referral_id) == ("withdrawn", "partner_unavailable", True)
    assert "referral.partner_unavailable" in kinds_told(app, accounts["screener"].id, referral_id)


def test_moving_a_partners_last_staff_account_elsewhere_leaves_no_referral_unseen(
    app: Flask, referral: Callable[..., str], accounts: dict[str, Account], clock: Any
) -> None:
    referral_id = referral(urgency="urgent")
    with app.app_context():
        store = db.session()
        user = access_services.get_user(store, accounts["partner"].id)
        assert user is not None
        access_services.change_role(store, user, "partner", clock.now(), partner="org-b")
        store.commit()
    assert ended(app, referral_id) == ("withdrawn", "partner_unavailable", True)
    assert "referral.partner_unavailable" in kinds_told(app, accounts["screener"].id, referral_id)
