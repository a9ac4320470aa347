"""Cases: opened by a completed screening (API and web), seen by the owner and their
supervisor only, break-glass for another team's supervisor with a reason and a flag in the
audit log, and linking a person screened again to their earlier case."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import grants
from access import services as access_services
from access.models import AuditEvent, CaseAccessGrant
from core import db
from referral import cases
from referral.models import Case
from screening.consent import EXPLAINED
from screening.models import Person
from tests.helpers import Account, Client, error_of
from tests.referral.conftest import FULL_CONSENT


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def test_a_completed_screening_opens_a_case_for_its_screener(
    app: Flask, api: Callable[..., Any], open_case: Callable[..., str], accounts: dict[str, Account]
) -> None:
    case_id = open_case()
    case = api("screener", "GET", f"/cases/{case_id}")
    assert case.status_code == 200
    data = case.get_json()
    assert data["status"] == "active"
    assert data["owner_id"] == str(accounts["screener"].id)
    assert data["person"]["given_name"] == "Canaryapi"
    assert data["consent"] == {"referral": True, "share": ["given_name", "needs"]}
    assert data["needs"] == ["legal", "shelter"]
    assert data["classification"] == "likely_trafficking"
    assert len(data["screenings"]) == 1
    assert data["referrals"] == []
    opened = events(app, "case.opened")
    assert [e.object_id for e in opened] == [case_id]


def test_only_the_owner_and_their_supervisor_see_a_case(
    app: Flask, api: Callable[..., Any], open_case: Callable[..., str], accounts: dict[str, Account]
) -> None:
    case_id = open_case()
    assert api("supervisor", "GET", f"/cases/{case_id}").status_code == 200
    for outsider in ("screener_b", "supervisor_b"):
        refused = api(outsider, "GET", f"/cases/{case_id}")
        assert refused.status_code == 404
        assert refused.get_json() == api(outsider, "GET", f"/cases/{uuid.uuid4()}").get_json()
    for role in ("partner", "auditor", "admin"):
        assert api(role, "GET", f"/cases/{case_id}").status_code == 403
    denied = [e for e in events(app, "access.denied") if e.object_id == case_id]
    assert {e.actor_id for e in denied} >= {
        str(accounts["screener_b"].id),
        str(accounts["supervisor_b"].id),
    }


def test_a_screener_sees_only_their_own_cases_and_a_supervisor_the_teams(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    make_account: Any,
    new_client: Any,
) -> None:
    mine = open_case()
    client = signed_in("screener")
    assert mine in client.get("/cases/").get_data(as_text=True)
    colleague = make_account("screener", team="Team A")
    other = new_client()
    other.sign_in(colleague)
    assert mine not in other.get("/cases/").get_data(as_text=True)
    assert other.get(f"/cases/{mine}").status_code == 404


def test_break_glass_needs_a_reason_is_flagged_and_lapses(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    clock: Any,
    accounts: dict[str, Account],
    new_client: Callable[[], Client],
) -> None:
    case_id = open_case()
    client = signed_in("supervisor_b")
    assert client.get(f"/cases/{case_id}").status_code == 404
    page = f"/cases/{case_id}/break-glass"
    assert client.get(page).status_code == 200
    short = client.post(page, {"reason": "need it"}, form_page=page)
    assert short.status_code == 400  # the form's own check: the page again, the error on it
    assert "20" in error_of(short.get_data(as_text=True), "reason")
    padded = client.post(page, {"reason": "need      it      " * 2}, form_page=page)
    assert padded.status_code == 422  # long enough for the form, not once its spaces are out
    assert error_of(padded.get_data(as_text=True), "reason") == (
        "Say why you need this case in at least 20 characters; repeated spaces count as one."
    )
    assert client.get(f"/cases/{case_id}").status_code == 404
    granted = client.post(
        page,
        {"reason": "Duty night: the person called our hotline and team A cannot be reached."},
        form_page=page,
    )
    assert granted.status_code == 302
    shown = client.get(f"/cases/{case_id}")
    assert shown.status_code == 200
    assert "Canaryapi" in shown.get_data(as_text=True)
    flagged = events(app, "case.break_glass")
    assert len(flagged) == 1
    assert json.loads(flagged[0].details)["break_glass"] is True
    assert flagged[0].actor_id == str(accounts["supervisor_b"].id)
    reads = [e for e in events(app, "case.read") if e.object_id == case_id]
    assert json.loads(reads[-1].details) == {"break_glass": True}
    clock.advance(minutes=app.config["BREAK_GLASS_MINUTES"] + 1)
    client.sign_in(accounts["supervisor_b"])
    assert client.get(f"/cases/{case_id}").status_code == 404
    auditor = new_client()
    auditor.sign_in(accounts["auditor"])
    review = auditor.get("/cases/break-glass").get_data(as_text=True)
    assert "team A cannot be reached" in review
    assert case_id in review


def test_a_case_read_by_break_glass_links_only_to_pages_the_grant_opens(
    open_case: Callable[..., str],
    api: Callable[..., Any],
    signed_in: Callable[[str], Client],
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"], "share": ["given_name"]},
    )
    assert sent.status_code == 201
    screening_id = api("screener", "GET", f"/cases/{case_id}").get_json()["screenings"][0]["id"]
    referral_id = sent.get_json()["id"]
    own = signed_in("supervisor").get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'href="/screenings/{screening_id}"' in own
    assert f'href="/referrals/{referral_id}"' in own

    other = new_client()
    other.sign_in(accounts["supervisor_b"])
    page = f"/cases/{case_id}/break-glass"
    reason = {"reason": "Duty night: the person called our hotline and team A cannot be reached."}
    assert other.post(page, reason, form_page=page).status_code == 302
    shown = other.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Canaryapi" in shown
    assert f"/screenings/{screening_id}" not in shown
    assert f"/referrals/{referral_id}" not in shown
    assert other.get(f"/screenings/{screening_id}").status_code == 404
    assert other.get(f"/referrals/{referral_id}").status_code == 404


def test_auditors_read_the_break_glass_log_fifty_grants_a_page(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
    clock: Any,
) -> None:
    case_id = uuid.UUID(open_case())
    with app.app_context():
        store = db.session()
        key_id = cases.person(store, store.get(Case, case_id)).data_key_id
        for n in range(53):
            clock.advance(minutes=1)
            reason = f"Reason number {n:02d}: the person called the hotline at night."
            grants.give(
                store, accounts["supervisor_b"].id, case_id, key_id, reason, clock.now(), 60
            )
        store.commit()
    auditor = signed_in("auditor")
    first = auditor.get("/cases/break-glass").get_data(as_text=True)
    assert first.count("the person called the hotline") == 50
    assert "Reason number 52" in first  # newest first
    assert "Reason number 02" not in first
    assert '<a href="/cases/break-glass?page=2">Older</a>' in first
    second = auditor.get("/cases/break-glass?page=2").get_data(as_text=True)
    assert second.count("the person called the hotline") == 3
    assert "Reason number 00" in second
    assert '<a href="/cases/break-glass?page=1">Newer</a>' in second
    assert auditor.get("/cases/break-glass?page=0").status_code == 400


def test_only_supervisors_may_break_glass(
    open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    client = signed_in("screener_b")
    assert client.get(f"/cases/{case_id}/break-glass").status_code == 403


def _person_count(app: Flask) -> int:
    with app.app_context():
        return (
            db.session().scalar(
                sa.select(sa.func.count()).select_from(Person).where(Person.shredded_at.is_(None))
            )
            or 0
        )


def test_a_person_screened_again_is_linked_to_their_earlier_case_on_confirmation(
    app: Flask,
    api: Callable[..., Any],
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
) -> None:
    first = open_case(consent=FULL_CONSENT)
    second = open_case(needs=["medical"])
    other_team = open_case("screener_b")
    client = signed_in("screener")
    page = client.get(f"/cases/{second}").get_data(as_text=True)
    assert "Maybe screened before" in page
    assert first in page
    assert other_team not in page  # another team's record is never offered
    assert _person_count(app) == 3
    linked = client.post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    assert linked.status_code == 302
    assert linked.location.endswith(f"/cases/{first}")
    merged = api("screener", "GET", f"/cases/{first}").get_json()
    assert len(merged["screenings"]) == 2
    assert merged["needs"] == ["legal", "medical", "shelter"]
    gone = api("screener", "GET", f"/cases/{second}").get_json()
    assert (gone["status"], gone["merged_into"], gone["person"]) == ("merged", first, None)
    assert _person_count(app) == 2  # the duplicate record is shredded
    screening_id = gone["screenings"] and gone["screenings"][0]["id"]
    assert not screening_id  # its screenings moved
    moved = merged["screenings"][0]["id"]
    assert api("screener", "GET", f"/screenings/{moved}").get_json()["case_id"] == first
    assert [json.loads(e.details) for e in events(app, "case.linked")] == [{"from": second}]


def test_a_case_is_not_linked_without_the_same_name_and_year(
    open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    open_case()
    other = open_case(subject={"given_name": "Someoneelse", "family_name": "Testperson", "age": 34})
    page = signed_in("screener").get(f"/cases/{other}").get_data(as_text=True)
    assert "Maybe screened before" not in page


def test_a_case_with_referrals_cannot_be_linked_away(
    api: Callable[..., Any], open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    first = open_case()
    second = open_case(consent=FULL_CONSENT)
    sent = api(
        "screener",
        "POST",
        f"/cases/{second}/referrals",
        {"partner": "org-a", "services": ["shelter"]},
    )
    assert sent.status_code == 201
    client = signed_in("screener")
    client.post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    assert api("screener", "GET", f"/cases/{second}").get_json()["status"] == "active"
    assert len(api("screener", "GET", f"/cases/{first}").get_json()["screenings"]) == 1


def test_case_activity_moves_the_retention_date(
    app: Flask, api: Callable[..., Any], open_case: Callable[..., str], clock: Any
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    with app.app_context():
        before = db.session().scalar(sa.select(Person.retention_until))
    clock.advance(days=10)
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"]},
    )
    assert sent.status_code == 201
    with app.app_context():
        after = db.session().scalar(sa.select(Person.retention_until))
    assert after is not None
    assert before is not None
    assert (after - before).days == 10


def test_the_web_questionnaire_opens_a_case_with_the_shared_fields_chosen(
    app: Flask, signed_in: Callable[[str], Client], partners: None
) -> None:
    client = signed_in("screener")
    client.post(
        "/screenings/new",
        {
            "alone": "yes",
            "safe_to_talk": "yes",
            "child": "no",
            "language": "en",
            "interpreter_independent": "none",
        },
        form_page="/screenings/new",
    )
    client.post(
        "/screenings/new/consent",
        {
            "screening": "y",
            "storing": "y",
            "referral": "y",
            "share": ["given_name", "needs"],
            "explained": list(EXPLAINED),
        },
        form_page="/screenings/new/consent",
    )
    started = client.post(
        "/screenings/new/person",
        {"given_name": "Canaryweb", "age": "30", "country": "XK", "needs": ["shelter"]},
        form_page="/screenings/new/person",
    )
    screening_id = started.location.split("/")[2]
    review = f"/screenings/{screening_id}/review"
    assert client.post(review, {}, form_page=review).status_code == 302
    to_case = client.get(f"/cases/for-screening/{screening_id}")
    assert to_case.status_code == 302
    page = client.get(to_case.location).get_data(as_text=True)
    assert "Canaryweb" in page
    assert "Alpha Shelter" in page
    assert 'value="given_name"' in page
    assert 'value="contact"' not in page  # not agreed: never offered for sending


@pytest.mark.parametrize("role", ["partner", "admin", "auditor"])
@pytest.mark.parametrize("action", ["referrals", "link", "consent/withdraw", "break-glass"])
def test_other_roles_cannot_change_a_case(
    open_case: Callable[..., str], signed_in: Callable[[str], Client], role: str, action: str
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    client = signed_in(role)
    response = client.post(
        f"/cases/{case_id}/{action}",
        {
            "earlier": case_id,
            "partner": "org-a",
            "services": ["shelter"],
            "reason": "a reason that is long enough to be accepted",
        },
        form_page="/",
    )
    assert response.status_code == 403


@pytest.mark.parametrize("ended_by", ["role_change", "disabled"])
def test_a_break_glass_grant_ends_with_its_holders_role_or_account(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    clock: Any,
    accounts: dict[str, Account],
    ended_by: str,
) -> None:
    case_id = open_case()
    client = signed_in("supervisor_b")
    page = f"/cases/{case_id}/break-glass"
    reason = {"reason": "Duty night: the person called our hotline and team A cannot be reached."}
    assert client.post(page, reason, form_page=page).status_code == 302
    assert client.get(f"/cases/{case_id}").status_code == 200
    with app.app_context():
        store = db.session()
        holder = access_services.get_user(store, accounts["supervisor_b"].id)
        assert holder is not None
        if ended_by == "role_change":  # made a screener, then supervisor again at once
            access_services.change_role(store, holder, "screener", clock.now(), team="Team B")
            access_services.change_role(store, holder, "supervisor", clock.now(), team="Team B")
        else:  # disabled, then enabled again at once
            access_services.disable_user(store, holder, clock.now())
            access_services.enable_user(store, holder)
        store.commit()
    client.sign_in(accounts["supervisor_b"])  # the change ended their sessions
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert client.get(page).status_code == 200  # a new grant needs a new reason


def test_a_break_glass_reason_is_erased_when_the_person_is_shredded(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    clock: Any,
    accounts: dict[str, Account],
    new_client: Callable[[], Client],
) -> None:
    case_id = open_case()
    client = signed_in("supervisor_b")
    page = f"/cases/{case_id}/break-glass"
    reason = "Canaryapi Testperson called from the bus station; her trafficker is near"
    assert client.post(page, {"reason": reason}, form_page=page).status_code == 302
    clock.advance(days=app.config["RETENTION_DAYS"] + 1)
    assert app.test_cli_runner().invoke(args=["retention", "apply"]).exit_code == 0
    with app.app_context():
        store = db.session()
        [grant] = store.scalars(sa.select(CaseAccessGrant)).all()
    [closed] = [e for e in events(app, "case.closed") if e.object_id == case_id]
    assert (str(grant.user_id), str(grant.case_id), grant.reason) == (
        str(accounts["supervisor_b"].id),
        case_id,
        "",
    )
    assert json.loads(closed.details)["grant_reasons"] == 1
    auditor = new_client()
    auditor.sign_in(accounts["auditor"])
    review = auditor.get("/cases/break-glass").get_data(as_text=True)
    assert "Canaryapi" not in review
    assert "<em>Erased with the person's record.</em>" in review
