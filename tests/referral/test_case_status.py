"""A case's status after HTCDS cas_Status (docs/case-work.md): follow-up and back, closing
with an outcome (refused while referrals are open unless the screener withdraws them, whose
partners are told), reopening with a reason kept as a sealed note, the list's filters, and
retention closing the case before the person is shredded."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import db
from referral.models import Case, CaseNote, Notice, Referral
from screening import retention
from screening.models import Person
from tests.helpers import Account, error_of, seal_audit

REASON = "Canaryreason: the person came back and asked for help again"


def case_of(api: Callable[..., Any], case_id: str) -> dict[str, Any]:
    return api("screener", "GET", f"/cases/{case_id}").get_json()


def refer(api: Callable[..., Any], case_id: str, partner: str = "org-a") -> str:
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": partner, "services": ["shelter"], "share": ["given_name"]},
    )
    assert sent.status_code == 201, sent.get_json()
    return sent.get_json()["id"]


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


SHARED = {"screening": True, "referral": True, "share": ["given_name", "needs"]}


def test_a_new_case_is_active_and_follow_up_goes_both_ways(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    case_id = open_case()
    assert case_of(api, case_id)["status"] == "active"
    screener = signed_in("screener")
    screener.post(f"/cases/{case_id}/follow-up/on", form_page=f"/cases/{case_id}")
    assert case_of(api, case_id)["status"] == "follow_up"
    page = screener.get("/cases/").get_data(as_text=True)
    assert f"/cases/{case_id}" in page  # follow-up cases are still open cases
    screener.post(f"/cases/{case_id}/follow-up/off", form_page=f"/cases/{case_id}")
    assert case_of(api, case_id)["status"] == "active"


def test_closing_asks_for_an_outcome_from_the_list(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    refused = screener.post(
        f"/cases/{case_id}/close", {"outcome": "vanished"}, form_page=f"/cases/{case_id}"
    )
    assert refused.status_code == 400
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert case_of(api, case_id)["status"] == "active"
    done = screener.post(
        f"/cases/{case_id}/close", {"outcome": "moved_away"}, form_page=f"/cases/{case_id}"
    )
    assert done.status_code == 302
    body = case_of(api, case_id)
    assert (body["status"], body["outcome"]) == ("closed", "moved_away")
    assert body["closed_at"] is not None


def test_no_outcome_is_chosen_for_the_screener_closing_a_case(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    select = page.split('name="outcome"', 1)[1].split("</select>", 1)[0]
    assert '<option value="">Choose the outcome</option>' in select
    assert "selected" not in select
    refused = screener.post(
        f"/cases/{case_id}/close", {"outcome": ""}, form_page=f"/cases/{case_id}"
    )
    assert refused.status_code == 400
    assert error_of(refused.get_data(as_text=True), "outcome") == "Choose how the case ended."
    assert case_of(api, case_id)["status"] == "active"


def test_referred_on_closes_as_closed_referred(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    case_id = open_case()
    signed_in("screener").post(
        f"/cases/{case_id}/close", {"outcome": "referred_on"}, form_page=f"/cases/{case_id}"
    )
    assert case_of(api, case_id)["status"] == "closed_referred"


def test_closing_is_refused_while_referrals_are_open_unless_they_are_withdrawn(
    app: Flask,
    open_case: Callable[..., str],
    api: Callable[..., Any],
    signed_in: Any,
    accounts: dict[str, Account],
) -> None:
    case_id = open_case(consent=SHARED)
    referral_id = refer(api, case_id)
    screener = signed_in("screener")
    refused = screener.post(
        f"/cases/{case_id}/close", {"outcome": "services_provided"}, form_page=f"/cases/{case_id}"
    )
    assert refused.status_code == 422
    assert (
        error_of(refused.get_data(as_text=True), "withdraw")
        == "1 referral is still open: withdraw it to close the case."
    )
    assert case_of(api, case_id)["status"] == "active"
    assert api("partner", "GET", f"/referrals/{referral_id}").get_json()["state"] == "pending"
    done = screener.post(
        f"/cases/{case_id}/close",
        {"outcome": "services_provided", "withdraw": "y"},
        form_page=f"/cases/{case_id}",
    )
    assert done.status_code == 302
    assert case_of(api, case_id)["status"] == "closed"
    with app.app_context():
        store = db.session()
        referral = store.get(Referral, uuid.UUID(referral_id))
        assert (referral.state, referral.packet) == ("withdrawn", None)
        told = store.scalars(
            sa.select(Notice.kind).where(
                Notice.user_id == accounts["partner"].id, Notice.referral_id == referral.id
            )
        )
        assert "referral.withdrawn" in set(told)
    [closed] = events(app, "case.closed")
    assert json.loads(closed.details) == {"outcome": "services_provided", "withdrawn": 1}


def test_a_refusal_of_the_service_is_written_in_the_screener_s_language(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    case_id = open_case(consent=SHARED)
    refer(api, case_id)
    refer(api, case_id, partner="org-b")
    screener = signed_in("screener")
    screener.post("/account", {"locale": "fr"})
    refused = screener.post(
        f"/cases/{case_id}/close", {"outcome": "services_provided"}, form_page=f"/cases/{case_id}"
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "2 orientations sont encore ouvertes : retirez-les pour clôturer le dossier." in page
    assert "still open" not in page


def test_a_closed_case_leaves_the_default_list_and_the_filters_show_it(
    open_case: Callable[..., str], signed_in: Any
) -> None:
    kept, closed = open_case(), open_case()
    screener = signed_in("screener")
    screener.post(
        f"/cases/{closed}/close", {"outcome": "lost_contact"}, form_page=f"/cases/{closed}"
    )
    default = screener.get("/cases/").get_data(as_text=True)
    assert f"/cases/{kept}" in default
    assert f"/cases/{closed}" not in default
    shown = screener.get("/cases/?status=closed").get_data(as_text=True)
    assert f"/cases/{closed}" in shown
    assert f"/cases/{kept}" not in shown
    everything = screener.get("/cases/?status=all").get_data(as_text=True)
    assert f"/cases/{kept}" in everything
    assert f"/cases/{closed}" in everything
    assert screener.get("/cases/?status=archived").status_code == 400


def test_a_closed_case_takes_no_referral_and_no_change_for_the_person(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    case_id = open_case(consent=SHARED)
    screener = signed_in("screener")
    screener.post(f"/cases/{case_id}/close", {"outcome": "other"}, form_page=f"/cases/{case_id}")
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": ["given_name"]},
    )
    assert sent.status_code == 409
    page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Send the referral" not in page
    assert "Close the case" not in page


def test_reopening_needs_a_reason_kept_as_a_sealed_note(
    app: Flask, open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any, caplog: Any
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    screener.post(
        f"/cases/{case_id}/close", {"outcome": "lost_contact"}, form_page=f"/cases/{case_id}"
    )
    short = screener.post(
        f"/cases/{case_id}/reopen", {"reason": "back"}, form_page=f"/cases/{case_id}"
    )
    assert short.status_code == 400
    assert case_of(api, case_id)["status"] == "closed"
    done = screener.post(
        f"/cases/{case_id}/reopen", {"reason": REASON}, form_page=f"/cases/{case_id}"
    )
    assert done.status_code == 302
    body = case_of(api, case_id)
    assert (body["status"], body["outcome"], body["closed_at"]) == ("active", None, None)
    page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Canaryreason" in page
    assert "Reason for reopening" in page
    with app.app_context():
        [sealed] = db.session().scalars(sa.select(CaseNote.body))
        assert b"Canaryreason" not in sealed
        details = [e.details for e in db.session().scalars(sa.select(AuditEvent))]
    assert "Canaryreason" not in repr(details)
    assert "Canaryreason" not in caplog.text
    [reopened] = events(app, "case.reopened")
    details = json.loads(reopened.details)
    assert (details["from"], details["outcome"]) == ("closed", "lost_contact")


def test_reopening_an_open_case_or_closing_a_closed_one_is_a_conflict(
    open_case: Callable[..., str], signed_in: Any
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    assert (
        screener.post(
            f"/cases/{case_id}/reopen", {"reason": REASON}, form_page=f"/cases/{case_id}"
        ).status_code
        == 409
    )
    screener.post(f"/cases/{case_id}/close", {"outcome": "other"}, form_page=f"/cases/{case_id}")
    assert (
        screener.post(
            f"/cases/{case_id}/close", {"outcome": "other"}, form_page=f"/cases/{case_id}"
        ).status_code
        == 409
    )


def test_only_the_team_in_charge_changes_a_case_status(
    open_case: Callable[..., str], signed_in: Any, new_client: Any, accounts: dict[str, Account]
) -> None:
    case_id = open_case()
    for name, status in (
        ("screener_b", 404),
        ("supervisor_b", 404),
        ("partner", 403),
        ("auditor", 403),
        ("analyst", 403),
        ("admin", 403),
    ):
        other = new_client()
        other.sign_in(accounts[name])
        for url, data in (
            (f"/cases/{case_id}/close", {"outcome": "other"}),
            (f"/cases/{case_id}/follow-up/on", {}),
            (f"/cases/{case_id}/notes", {"text": "x"}),
        ):
            assert other.post(url, data, form_page="/account").status_code == status, (name, url)
    assert (
        signed_in("supervisor")
        .post(f"/cases/{case_id}/close", {"outcome": "other"}, form_page=f"/cases/{case_id}")
        .status_code
        == 302
    )


def test_retention_withdraws_open_referrals_and_closes_the_case_first(
    app: Flask,
    open_case: Callable[..., str],
    api: Callable[..., Any],
    accounts: dict[str, Account],
    signed_in: Any,
) -> None:
    case_id = open_case(consent=SHARED)
    open_one = refer(api, case_id, "org-a")
    closed_one = refer(api, case_id, "org-b")
    assert api("partner_b", "POST", f"/referrals/{closed_one}/accept").status_code == 200
    assert (
        api(
            "partner_b", "POST", f"/referrals/{closed_one}/close", {"outcome": "services_provided"}
        ).status_code
        == 200
    )
    signed_in("screener").post(
        f"/cases/{case_id}/notes", {"text": "Canarynote shredded"}, form_page=f"/cases/{case_id}"
    )
    with app.app_context():
        store = db.session()
        case = store.get(Case, uuid.UUID(case_id))
        person = store.get(Person, case.person_id)
        person.retention_until = person.created_at  # due now
        store.commit()
        assert retention.apply(store, person.created_at.replace(year=2099), False) == [person.id]
        store.commit()
        case = store.get(Case, uuid.UUID(case_id))
        assert (case.status, case.outcome) == ("closed", "retention")
        first = store.get(Referral, uuid.UUID(open_one))
        second = store.get(Referral, uuid.UUID(closed_one))
        assert (first.state, first.withdraw_reason, first.packet) == (
            "withdrawn",
            "retention",
            None,
        )
        assert (second.state, second.outcome, second.packet) == (
            "closed",
            "services_provided",
            None,
        )
        told = set(
            store.scalars(
                sa.select(Notice.kind).where(
                    Notice.user_id == accounts["partner"].id, Notice.referral_id == first.id
                )
            )
        )
        assert "referral.withdrawn" in told
        assert store.scalar(sa.select(sa.func.count()).select_from(CaseNote)) == 0
    # The partner still sees that the referral existed and how it ended, nothing more.
    kept = api("partner_b", "GET", f"/referrals/{closed_one}").get_json()
    assert (kept["state"], kept["fields"]) == ("closed", {})


def test_cases_open_before_statuses_existed_become_active(
    app: Flask, open_case: Callable[..., str], api: Callable[..., Any]
) -> None:
    from alembic import command

    from core.cli import alembic_config, upgrade

    case_id = open_case(consent=SHARED)
    refer(api, case_id)  # a referral and a notice point at the case's table
    seal_audit(app)  # migration 0020 goes down only once every event is sealed
    command.downgrade(alembic_config(app), "0016")
    with app.extensions["passage.engine"].connect() as connection:
        assert connection.scalar(sa.text("SELECT status FROM cases")) == "open"
    upgrade(app)
    assert case_of(api, case_id)["status"] == "active"
    with app.extensions["passage.engine"].connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM referrals")) == 1


def test_once_the_person_is_shredded_the_case_offers_no_reopening_and_no_note(
    app: Flask, open_case: Callable[..., str], signed_in: Any
) -> None:
    case_id = open_case()
    screener = signed_in("screener")
    screener.post(
        f"/cases/{case_id}/close", {"outcome": "lost_contact"}, form_page=f"/cases/{case_id}"
    )
    with app.app_context():
        store = db.session()
        person = store.get(Person, store.get(Case, uuid.UUID(case_id)).person_id)
        person.retention_until = person.created_at
        store.commit()
        retention.apply(store, person.created_at.replace(year=2099), False)
        store.commit()
    page = screener.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Reopen the case" not in page
    assert "Save the note" not in page
    token_page = "/account"
    assert (
        screener.post(
            f"/cases/{case_id}/reopen", {"reason": REASON}, form_page=token_page
        ).status_code
        == 409
    )
    assert (
        screener.post(
            f"/cases/{case_id}/notes", {"text": "Canary late note"}, form_page=token_page
        ).status_code
        == 409
    )
