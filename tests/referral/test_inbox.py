"""The web side of referrals: a screener refers from the case page, the partner answers from
the inbox, the sender sees the state; notices link without personal data; deadlines are
applied by ``referrals escalate``, shown to the supervisor and mailed by ``notices send``
when SMTP is set."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent, PartnerOrganisation, User
from core import db, settings
from referral import notices
from referral.models import Notice
from tests.helpers import Account, Client, error_of, replace_settings
from tests.referral.conftest import FULL_CONSENT

API = Callable[..., Any]
CANARIES = ("Canaryapi", "Testperson", "canary-api-contact", "Canaryregionapi")


def test_a_screener_refers_from_the_case_page_and_the_partner_accepts(
    api: API,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    screener = signed_in("screener")
    sent = screener.post(
        f"/cases/{case_id}/referrals",
        {
            "partner": "org-a",
            "services": ["shelter"],
            "share": ["given_name"],
            "urgency": "urgent",
            "note": "",
        },
        form_page=f"/cases/{case_id}",
    )
    assert sent.status_code == 302
    referral_id = api("screener", "GET", f"/cases/{case_id}").get_json()["referrals"][0]["id"]
    partner = new_client()
    partner.sign_in(accounts["partner"])
    inbox = partner.get("/referrals/").get_data(as_text=True)
    assert referral_id in inbox
    assert "Urgent" in inbox
    page = f"/referrals/{referral_id}"
    assert partner.post(f"{page}/accept", {}, form_page=page).status_code == 302
    assert "Accepted" in screener.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Accepted" in screener.get("/referrals/").get_data(as_text=True)


def test_a_refer_form_outside_consent_shows_errors_and_sends_nothing(
    api: API, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    client = signed_in("screener")
    response = client.post(
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": ["contact"], "urgency": "normal"},
        form_page=f"/cases/{case_id}",
    )
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    unknown = client.post(
        f"/cases/{case_id}/referrals",
        {"partner": "org-c", "services": ["shelter"], "urgency": "normal"},
        form_page=f"/cases/{case_id}",
    )
    assert unknown.status_code == 422
    assert api("screener", "GET", f"/cases/{case_id}").get_json()["referrals"] == []


def test_an_answer_with_a_reason_not_on_the_list_is_sent_back_on_the_referral_page(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    """A decline or close with a reason or outcome not on the list: the referral's page again
    (400: the form's own check) with the error next to the field; the referral stays open."""
    referral_id = referral()
    client = signed_in("partner")
    page = f"/referrals/{referral_id}"
    refused = client.post(f"{page}/decline", {"reason": "canaryform"}, form_page=page)
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert error_of(body, "reason") == "Not a valid choice."
    assert "Decline the referral" in body
    assert api("partner", "GET", page).get_json()["state"] == "pending"
    assert client.post(f"{page}/accept", {}, form_page=page).status_code == 302
    refused = client.post(f"{page}/close", {"outcome": "canaryform"}, form_page=page)
    assert refused.status_code == 400
    assert error_of(refused.get_data(as_text=True), "outcome") == "Not a valid choice."
    assert api("partner", "GET", page).get_json()["state"] == "accepted"


def test_the_partner_declines_with_a_reason_from_the_page(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    client = signed_in("partner")
    page = f"/referrals/{referral_id}"
    refused = client.post(f"{page}/decline", {}, form_page=page)
    assert refused.status_code == 400  # the referral's page again, the error on its field
    assert error_of(refused.get_data(as_text=True), "reason") == (
        "Choose why you decline the referral."
    )
    assert api("partner", "GET", page).get_json()["state"] == "pending"
    client.post(f"{page}/decline", {"reason": "out_of_area"}, form_page=page)
    assert api("partner", "GET", page).get_json()["decline_reason"] == "out_of_area"
    assert client.post(f"{page}/accept", {}, form_page=page).status_code == 303


def test_another_organisation_cannot_answer_through_the_form(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()
    client = signed_in("partner_b")
    page = f"/referrals/{referral_id}"
    assert client.get(page).status_code == 404
    assert client.post(f"{page}/accept", {}, form_page="/referrals/").status_code == 404
    assert api("partner", "GET", page).get_json()["state"] == "pending"


def test_a_partner_removed_from_the_organisation_loses_access_at_once(
    app: Flask,
    api: API,
    referral: Callable[..., str],
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
) -> None:
    referral_id = referral()
    client = signed_in("partner")
    assert client.get(f"/referrals/{referral_id}").status_code == 200
    with app.app_context():
        store = db.session()
        other = store.scalar(
            sa.select(PartnerOrganisation.id).where(PartnerOrganisation.slug == "org-b")
        )
        store.execute(
            sa.update(User).where(User.id == accounts["partner"].id).values(partner_id=other)
        )
        store.commit()
    assert client.get(f"/referrals/{referral_id}").status_code == 404


def test_notices_say_only_that_something_awaits(
    app: Flask,
    referral: Callable[..., str],
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
) -> None:
    referral_id = referral()
    client = signed_in("partner")
    home = client.get("/").get_data(as_text=True)
    assert "1 notice" in home
    listing = client.get("/notices/").get_data(as_text=True)
    assert "A new referral is waiting for your answer." in listing
    for canary in CANARIES:
        assert canary not in listing
    with app.app_context():
        notice_id = db.session().scalar(
            sa.select(Notice.id).where(Notice.user_id == accounts["partner"].id)
        )
    opened = client.post(f"/notices/{notice_id}/open", {}, form_page="/notices/")
    assert opened.location.endswith(f"/referrals/{referral_id}")
    assert "1 notice" not in client.get("/").get_data(as_text=True)


def test_the_notices_page_lists_unread_first_then_newest_first_up_to_its_limit(
    app: Flask, referral: Callable[..., str], accounts: dict[str, Account]
) -> None:
    referral_id = uuid.UUID(referral())
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with app.app_context():
        store = db.session()
        store.execute(sa.delete(Notice))
        user = store.get(User, accounts["partner"].id)
        assert user is not None
        for day, opened in [(1, False), (2, True), (3, False), (4, True), (5, True), (6, False)]:
            moment = start + timedelta(days=day)
            notices.notify(store, [user], "referral.received", moment, referral_id=referral_id)
            store.flush()
            if opened:
                store.execute(
                    sa.update(Notice).where(Notice.created_at == moment).values(read_at=moment)
                )
        store.commit()
        days = [n.created_at.day for n in notices.for_user(store, user)]
        assert days == [8, 5, 3, 7, 6, 4]  # unread 8, 5, 3; then read 7, 6, 4
        assert [n.created_at.day for n in notices.for_user(store, user, limit=2)] == [8, 5]
        assert [n.created_at.day for n in notices.for_user(store, user, limit=4)] == [8, 5, 3, 7]
        other = store.get(User, accounts["partner_b"].id)
        assert notices.for_user(store, other) == []


def test_a_notice_of_someone_else_is_not_found(
    app: Flask, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral()
    with app.app_context():
        notice_id = db.session().scalar(sa.select(Notice.id))
    client = signed_in("partner_b")
    assert client.post(f"/notices/{notice_id}/open", {}, form_page="/notices/").status_code == 404


def escalate(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["referrals", "escalate"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_escalate_marks_overdue_tells_the_supervisor_and_expires_later(
    app: Flask,
    api: API,
    referral: Callable[..., str],
    clock: Any,
    signed_in: Callable[[str], Client],
) -> None:
    normal, urgent = referral(), referral(urgency="urgent")
    clock.advance(hours=23)
    assert escalate(app) == "0 overdue, 0 expired, 0 withdrawn"
    clock.advance(hours=2)
    assert escalate(app) == "1 overdue, 0 expired, 0 withdrawn"
    assert escalate(app) == "0 overdue, 0 expired, 0 withdrawn"  # idempotent
    supervisor = signed_in("supervisor")
    overdue = supervisor.get("/referrals/?overdue=1").get_data(as_text=True)
    assert urgent in overdue
    assert normal not in overdue
    assert "A referral from your team is overdue." in supervisor.get("/notices/").get_data(
        as_text=True
    )
    clock.advance(hours=48)
    assert escalate(app) == "1 overdue, 0 expired, 0 withdrawn"
    clock.advance(days=6)
    assert escalate(app) == "0 overdue, 2 expired, 0 withdrawn"
    assert escalate(app) == "0 overdue, 0 expired, 0 withdrawn"
    with app.app_context():
        actions = (
            db.session()
            .scalars(
                sa.select(AuditEvent.action).where(
                    AuditEvent.action.in_(("referral.overdue", "referral.expired"))
                )
            )
            .all()
        )
    assert sorted(actions) == ["referral.expired"] * 2 + ["referral.overdue"] * 2


def test_e_mail_notices_link_and_hold_no_personal_data(
    app: Flask, referral: Callable[..., str], mail_relay: list[Any], accounts: dict[str, Account]
) -> None:
    relay = settings.of(app).mail_server
    replace_settings(app, mail_server="")
    referral()
    replace_settings(app, mail_server=relay)
    referral_id = referral()
    assert mail_relay == []  # the request only wrote the outbox
    sent = app.test_cli_runner().invoke(args=["notices", "send"])
    assert sent.output.strip() == "1 sent, 0 retry, 0 dead, 0 unknown"  # none for the first
    assert len(mail_relay) == 1
    message = mail_relay[0]
    assert message["To"] == accounts["partner"].email
    text = message.get_content()
    assert f"/referrals/{referral_id}" in text
    for canary in CANARIES:
        assert canary not in text


def test_the_sender_withdraws_from_the_page_and_a_partner_cannot(
    api: API,
    referral: Callable[..., str],
    signed_in: Callable[[str], Client],
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
) -> None:
    referral_id = referral()
    page = f"/referrals/{referral_id}"
    partner = new_client()
    partner.sign_in(accounts["partner"])
    assert partner.post(f"{page}/withdraw", {}, form_page=page).status_code == 403
    screener = signed_in("screener")
    assert screener.post(f"{page}/accept", {}, form_page=page).status_code == 403
    assert screener.post(f"{page}/withdraw", {}, form_page=page).status_code == 302
    assert api("partner", "GET", page).get_json()["state"] == "withdrawn"


def test_an_answer_is_due_only_while_the_referral_waits_for_one(
    api: API, referral: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    referral_id = referral()  # normal urgency, sent at 9:00 on 2 March: due three days later
    partner = signed_in("partner")
    due = "Mar 5, 2026, 09:00 UTC"
    assert due in partner.get("/referrals/").get_data(as_text=True)
    assert due in partner.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert api("partner", "POST", f"/referrals/{referral_id}/accept").status_code == 200
    inbox = partner.get("/referrals/").get_data(as_text=True)
    page = partner.get(f"/referrals/{referral_id}").get_data(as_text=True)
    receipt = partner.get(f"/referrals/{referral_id}/receipt").get_data(as_text=True)
    for shown in (inbox, page, receipt):
        assert due not in shown
        assert "Answer due</dt>" not in shown
    assert '<td data-label="Answer due">—</td>' in inbox
