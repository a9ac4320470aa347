"""A break-glass reason is free text that may be about the person: it is sealed with their
data key and goes with their record, in the database and its backups; a confirmed link moves
it to the earlier record's key, and the earlier record's shredding erases it, with the clear
reasons written before sealing (docs/security.md, R38; docs/case-work.md, "Retention closes
the loop")."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access.models import CaseAccessGrant
from core import db
from tests.helpers import Account, Client, raw_database_bytes
from tests.referral.conftest import FULL_CONSENT

REASON = "Canaryglassqx called from the bus station; her trafficker is near"
ERASED = "<em>Erased with the person's record.</em>"


def break_glass(new_client: Callable[[], Client], accounts: dict[str, Account], case: str) -> None:
    supervisor_b = new_client()
    supervisor_b.sign_in(accounts["supervisor_b"])
    page = f"/cases/{case}/break-glass"
    assert supervisor_b.post(page, {"reason": REASON}, form_page=page).status_code == 302


def review(new_client: Callable[[], Client], accounts: dict[str, Account]) -> str:
    auditor = new_client()
    auditor.sign_in(accounts["auditor"])
    page = auditor.get("/cases/break-glass")
    assert page.status_code == 200
    return str(page.get_data(as_text=True))


def shred_everything(app: Flask, clock: Any) -> None:
    clock.advance(days=app.config["RETENTION_DAYS"] + 1)
    assert app.test_cli_runner().invoke(args=["retention", "apply"]).exit_code == 0


def test_a_reason_is_never_stored_in_the_clear(
    app: Flask,
    open_case: Callable[..., str],
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
) -> None:
    case = open_case()
    break_glass(new_client, accounts, case)
    assert b"Canaryglassqx" not in raw_database_bytes(app)
    assert REASON in review(new_client, accounts)  # the auditors still read it


def test_a_reason_goes_with_the_persons_record(
    app: Flask,
    open_case: Callable[..., str],
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
    clock: Any,
) -> None:
    case = open_case()
    break_glass(new_client, accounts, case)
    shred_everything(app, clock)
    page = review(new_client, accounts)
    assert "Canaryglassqx" not in page
    assert ERASED in page
    assert b"Canaryglassqx" not in raw_database_bytes(app)


def test_a_reason_follows_a_link_and_goes_with_the_earlier_record(
    app: Flask,
    open_case: Callable[..., str],
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
    clock: Any,
) -> None:
    first = open_case(consent=FULL_CONSENT)
    second = open_case(needs=["medical"])
    break_glass(new_client, accounts, second)
    screener = new_client()
    screener.sign_in(accounts["screener"])
    linked = screener.post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    assert linked.status_code == 302
    # The duplicate record is shredded; the reason, sealed again with the earlier record's
    # key, stays for the auditors while that record is kept.
    assert REASON in review(new_client, accounts)
    shred_everything(app, clock)
    page = review(new_client, accounts)
    assert "Canaryglassqx" not in page
    assert ERASED in page


def test_a_clear_reason_from_before_sealing_goes_with_a_linked_record_too(
    app: Flask,
    open_case: Callable[..., str],
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
    clock: Any,
) -> None:
    first = open_case(consent=FULL_CONSENT)
    second = open_case(needs=["medical"])
    with app.app_context():  # as migration 0029 left a reason written before it
        store = db.session()
        store.add(
            CaseAccessGrant(
                id=uuid.uuid4(),
                case_id=uuid.UUID(second),
                user_id=accounts["supervisor_b"].id,
                reason=REASON,
                created_at=clock.now(),
                expires_at=clock.now(),
            )
        )
        store.commit()
    screener = new_client()
    screener.sign_in(accounts["screener"])
    linked = screener.post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    assert linked.status_code == 302
    assert REASON in review(new_client, accounts)
    shred_everything(app, clock)
    with app.app_context():
        kept = (
            db.session()
            .execute(sa.select(CaseAccessGrant.reason, CaseAccessGrant.reason_sealed))
            .all()
        )
    assert [tuple(row) for row in kept] == [("", None)]
    assert "Canaryglassqx" not in review(new_client, accounts)
