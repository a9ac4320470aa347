"""Authority ends when standing ends: staff of a partner that is suspended, set back to
pending, or whose vetting lapsed (no event at all, only the date) are signed out, their
tokens refused, and the partner's open referrals are withdrawn with their packets cleared;
senders and supervisors are told and offered the next partner. Re-vetting restores signing
in, never the old referrals."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from access.models import AuditEvent
from core import db
from referral import directory, directory_import
from referral.models import Notice, Referral
from tests.conftest import START
from tests.helpers import Account, Client
from tests.referral.conftest import PARTNERS

API = Callable[..., Any]
HOW = ("suspended", "pending", "lapsed")
# org-a is vetted until the day the tests start; the tests run in that day's last quarter hour,
# so that passing midnight lapses the vetting well within the sessions' idle timeout.
LAST_DAY = {**PARTNERS[0], "vetting": {"status": "vetted", "valid_until": START.date().isoformat()}}


@pytest.fixture
def short_vetting(app: Flask, clock: Any, partners: None) -> None:
    clock.advance(hours=14, minutes=45)
    assert clock.now() == datetime(2026, 3, 2, 23, 45, tzinfo=UTC)
    with app.app_context():
        store = db.session()
        directory_import.import_partners(store, [LAST_DAY], clock.now())
        store.commit()


def lose_standing(app: Flask, clock: Any, how: str) -> None:
    """Put org-a out of standing: an admin suspends it, an import sets it back to pending,
    or the clock passes its last vetted day."""
    if how == "lapsed":
        midnight = datetime.combine(clock.now().date() + timedelta(days=1), time(), UTC)
        clock.advance(seconds=(midnight - clock.now()).total_seconds() + 60)
        return
    with app.app_context():
        store = db.session()
        if how == "suspended":
            profile = directory.by_slug(store, "org-a")
            assert profile is not None
            directory.set_vetting(store, profile, "suspended", None, clock.now())
        else:
            directory_import.import_partners(
                store, [{**LAST_DAY, "vetting": {"status": "pending"}}], clock.now()
            )
        store.commit()


def escalate(app: Flask) -> str:
    result: Result = app.test_cli_runner().invoke(args=["referrals", "escalate"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def rows(app: Flask, *ids: str) -> list[tuple[str, str | None, bytes | None]]:
    """(state, withdraw_reason, packet) of each referral, read straight from the table."""
    with app.app_context():
        found = {
            str(r.id): r
            for r in db.session().scalars(
                sa.select(Referral).where(Referral.id.in_([uuid.UUID(i) for i in ids]))
            )
        }
        return [(found[i].state, found[i].withdraw_reason, found[i].packet) for i in ids]


def notices_of(app: Flask, account: Account, kind: str) -> list[str]:
    with app.app_context():
        return sorted(
            str(n.referral_id)
            for n in db.session().scalars(
                sa.select(Notice).where(Notice.user_id == account.id, Notice.kind == kind)
            )
        )


def two_referrals(api: API, referral: Callable[..., str]) -> tuple[str, str]:
    """A pending and an accepted referral to org-a."""
    pending, accepted = referral(), referral()
    assert api("partner", "POST", f"/referrals/{accepted}/accept").status_code == 200
    return pending, accepted


@pytest.mark.usefixtures("short_vetting")
@pytest.mark.parametrize("how", HOW)
def test_staff_are_out_from_the_next_request_on_web_and_api(
    how: str,
    app: Flask,
    clock: Any,
    api: API,
    referral: Callable[..., str],
    accounts: dict[str, Account],
    new_client: Callable[[], Client],
) -> None:
    pending, accepted = two_referrals(api, referral)
    first, second = new_client(), new_client()
    first.sign_in(accounts["partner"])
    second.sign_in(accounts["partner"])
    assert first.get(f"/referrals/{pending}").status_code == 200
    assert api("partner", "GET", f"/referrals/{pending}").status_code == 200

    lose_standing(app, clock, how)

    page = first.get(f"/referrals/{pending}")
    assert (page.status_code, page.location.split("?")[0]) == (302, "/login")
    assert second.get("/referrals/").status_code == 302
    refused = first.post(f"/referrals/{pending}/accept", {}, form_page="/login")
    assert (refused.status_code, refused.location.split("?")[0]) == (302, "/login")
    for method, url in (
        ("GET", f"/referrals/{pending}"),
        ("GET", f"/referrals/{accepted}"),
        ("POST", f"/referrals/{pending}/accept"),
        ("GET", "/referrals"),
    ):
        assert api("partner", method, url).status_code == 401
    # Nothing moved on the refused accept; the lapse alone has changed no row yet.
    assert rows(app, pending)[0][0] == ("pending" if how == "lapsed" else "withdrawn")


def _normalised(response: Any, email: str) -> tuple[int, str]:
    body = re.sub(r'value="[^"]*"', 'value=""', response.get_data(as_text=True))
    return response.status_code, body.replace(email, "EMAIL")


@pytest.mark.usefixtures("short_vetting")
@pytest.mark.parametrize("how", HOW)
def test_staff_sign_in_fails_like_any_failed_sign_in(
    how: str, app: Flask, clock: Any, accounts: dict[str, Account], new_client: Callable[[], Client]
) -> None:
    lose_standing(app, clock, how)
    staff = accounts["partner"]
    refused = new_client().password_step(staff)
    unknown = new_client().post(
        "/login", {"email": "nobody@test.passage.example", "password": staff.password}
    )
    assert _normalised(refused, staff.email) == _normalised(unknown, "nobody@test.passage.example")
    assert refused.status_code == 422
    assert "suspended" not in refused.get_data(as_text=True)


@pytest.mark.usefixtures("short_vetting")
@pytest.mark.parametrize("how", HOW)
def test_open_referrals_are_withdrawn_and_the_sender_offered_the_next_partner(
    how: str,
    app: Flask,
    clock: Any,
    api: API,
    referral: Callable[..., str],
    accounts: dict[str, Account],
    signed_in: Callable[[str], Client],
) -> None:
    pending, accepted = two_referrals(api, referral)
    declined = referral()
    assert (
        api(
            "partner", "POST", f"/referrals/{declined}/decline", {"reason": "no_capacity"}
        ).status_code
        == 200
    )

    lose_standing(app, clock, how)
    if how == "lapsed":
        assert escalate(app) == "0 overdue, 0 expired, 2 withdrawn"

    assert rows(app, pending, accepted) == [("withdrawn", "partner_suspended", None)] * 2
    assert rows(app, declined) == [("declined", None, None)]
    for name in ("screener", "supervisor"):
        assert notices_of(app, accounts[name], "referral.partner_suspended") == sorted(
            [pending, accepted]
        )
    assert notices_of(app, accounts["supervisor_b"], "referral.partner_suspended") == []
    sent = api("screener", "GET", f"/referrals/{pending}").get_json()
    assert (sent["state"], sent["withdraw_reason"]) == ("withdrawn", "partner_suspended")
    case_id = sent["case_id"]
    assert api("screener", "GET", f"/cases/{case_id}").get_json()["next_partner"] == "org-b"
    screener = signed_in("screener")
    case_page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    assert (
        "A referral was withdrawn because the partner is no longer vetted. The next "
        "matching partner is Beta Legal." in case_page
    )
    assert (
        "A referral from your team was withdrawn: the partner is no longer vetted."
        in screener.get("/notices/").get_data(as_text=True)
    )


@pytest.mark.usefixtures("short_vetting")
def test_escalate_sweeps_a_lapse_once(
    app: Flask, clock: Any, api: API, referral: Callable[..., str], accounts: dict[str, Account]
) -> None:
    pending, accepted = two_referrals(api, referral)
    assert escalate(app) == "0 overdue, 0 expired, 0 withdrawn"
    assert rows(app, pending)[0][0] == "pending"
    lose_standing(app, clock, "lapsed")
    assert escalate(app) == "0 overdue, 0 expired, 2 withdrawn"
    assert escalate(app) == "0 overdue, 0 expired, 0 withdrawn"
    assert rows(app, pending, accepted) == [("withdrawn", "partner_suspended", None)] * 2
    assert len(notices_of(app, accounts["screener"], "referral.partner_suspended")) == 2
    with app.app_context():
        profile = directory.by_slug(db.session(), "org-a")
        assert profile is not None
        events = (
            db.session()
            .scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action.in_(["referral.withdrawn", "partner.staff_signed_out"]))
                .order_by(AuditEvent.id)
            )
            .all()
        )
        assert sorted((e.action, e.object_id, e.details) for e in events) == sorted(
            [
                ("referral.withdrawn", pending, '{"from":"pending","reason":"partner_suspended"}'),
                (
                    "referral.withdrawn",
                    accepted,
                    '{"from":"accepted","reason":"partner_suspended"}',
                ),
                (
                    "partner.staff_signed_out",
                    str(profile.organisation_id),
                    '{"sessions":0,"tokens":1}',
                ),
            ]
        )


@pytest.mark.usefixtures("short_vetting")
@pytest.mark.parametrize("how", ["suspended", "lapsed"])
def test_revetting_restores_sign_in_but_not_the_referrals(
    how: str,
    app: Flask,
    clock: Any,
    api: API,
    referral: Callable[..., str],
    accounts: dict[str, Account],
    new_client: Callable[[], Client],
    issue_token: Callable[..., str],
) -> None:
    pending, accepted = two_referrals(api, referral)
    old = new_client()
    old.sign_in(accounts["partner"])
    # Re-vetted before any request or sweep saw the lapse: it still ends what it ended.
    lose_standing(app, clock, how)
    with app.app_context():
        store = db.session()
        profile = directory.by_slug(store, "org-a")
        assert profile is not None
        directory.set_vetting(store, profile, "vetted", date(2027, 3, 31), clock.now())
        store.commit()

    assert old.get("/referrals/").status_code == 302  # the old session stays ended
    assert api("partner", "GET", "/referrals").status_code == 401  # the old token too
    fresh = new_client()
    fresh.sign_in(accounts["partner"])
    assert fresh.get("/referrals/").status_code == 200
    token = issue_token(accounts["partner"])
    shown = fresh.raw.get(
        f"/api/v1/referrals/{pending}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert (shown["state"], shown["fields"]) == ("withdrawn", {})
    assert rows(app, pending, accepted) == [("withdrawn", "partner_suspended", None)] * 2


def test_suspending_on_the_admin_page_withdraws_the_partners_referrals(
    app: Flask,
    api: API,
    referral: Callable[..., str],
    accounts: dict[str, Account],
    signed_in: Callable[[str], Client],
) -> None:
    pending = referral()
    with app.app_context():
        profile = directory.by_slug(db.session(), "org-a")
        assert profile is not None
        organisation_id = profile.organisation_id
    admin = signed_in("admin")
    admin.reauth(accounts["admin"])
    response = admin.post(
        f"/admin/partners/{organisation_id}/vetting",
        {"action": "suspend"},
        form_page=f"/admin/partners/{organisation_id}/edit",
    )
    assert response.status_code == 302
    assert rows(app, pending) == [("withdrawn", "partner_suspended", None)]
    assert api("partner", "GET", f"/referrals/{pending}").status_code == 401
