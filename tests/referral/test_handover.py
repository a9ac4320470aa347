"""Hand-over (docs/case-work.md § Hand-over): the team's supervisor puts another screener of
the team in charge of an open case, who then works on it and its referrals while the previous
owner loses it; both are told and it is audited with staff ids only. Only the team's
supervisor, never under break-glass, only to an active member of the team; an account
disabled tells the supervisors, and its open cases move at once from "Cases to hand over"."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.exceptions import Forbidden

from access import services
from access.models import AuditEvent, Team, User
from core import db
from referral import handover
from referral.models import Case, Notice, OutboxMessage, Referral
from tests.helpers import Account, Client, csrf_from, error_of
from tests.referral.conftest import FULL_CONSENT
from tests.screening.payloads import body

API = Callable[..., Any]
CANARIES = ("Canaryapi", "Testperson", "Canaryregionapi", "canary-api-contact")


@pytest.fixture
def colleague(make_account: Callable[..., Account]) -> Account:
    """A second screener of Team A, to take cases over."""
    return make_account("screener", email="colleague@test.passage.example", team="Team A")


@pytest.fixture
def call(client: Client, issue_token: Any) -> Callable[..., Any]:
    """``call(account, method, url, json=None)`` on the API as any account."""
    tokens: dict[str, str] = {}

    def make(account: Account, method: str, url: str, json: Any = None) -> Any:
        if account.email not in tokens:
            tokens[account.email] = issue_token(account)
        return client.raw.open(
            f"/api/v1{url}",
            method=method,
            json=json,
            headers={"Authorization": f"Bearer {tokens[account.email]}"},
        )

    return make


def browser(new_client: Callable[[], Client], account: Account) -> Client:
    client = new_client()
    client.sign_in(account)
    return client


def owner(app: Flask, case_id: str) -> str:
    with app.app_context():
        return str(
            db.session().scalar(sa.select(Case.owner_id).where(Case.id == uuid.UUID(case_id)))
        )


def notices_of(app: Flask, account: Account) -> list[tuple[str, str | None]]:
    with app.app_context():
        return [
            (n.kind, str(n.case_id) if n.case_id else None)
            for n in db.session().scalars(
                sa.select(Notice).where(Notice.user_id == account.id).order_by(Notice.created_at)
            )
        ]


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def hand_over(client: Client, case_id: str, new_owner: Any) -> Any:
    return client.post(
        f"/cases/{case_id}/owner", {"owner": str(new_owner)}, form_page=f"/cases/{case_id}"
    )


def disable(app: Flask, account: Account, clock: Any) -> None:
    with app.app_context():
        store = db.session()
        user = services.get_user(store, account.id)
        assert user is not None
        services.disable_user(store, user, clock.now())
        store.commit()


def test_a_supervisor_hands_a_case_over_and_the_new_owner_takes_it_on(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    new_client: Callable[[], Client],
    call: API,
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    supervisor = browser(new_client, accounts["supervisor"])
    page = supervisor.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'action="/cases/{case_id}/owner"' in page
    offered = page.split(f'action="/cases/{case_id}/owner"', 1)[1].split("</form>", 1)[0]
    assert f'value="{colleague.id}"' in offered
    assert f'value="{accounts["screener"].id}"' not in offered  # in charge already
    assert accounts["screener_b"].email not in page  # another team's screener

    done = hand_over(supervisor, case_id, colleague.id)
    assert done.status_code == 302
    assert done.location.endswith(f"/cases/{case_id}")
    assert owner(app, case_id) == str(colleague.id)

    newcomer = browser(new_client, colleague)
    assert case_id in newcomer.get("/cases/").get_data(as_text=True)
    assert newcomer.get(f"/cases/{case_id}").status_code == 200
    sent = call(
        colleague,
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"]},
    )
    assert sent.status_code == 201
    previous = browser(new_client, accounts["screener"])
    assert previous.get(f"/cases/{case_id}").status_code == 404
    assert case_id not in previous.get("/cases/").get_data(as_text=True)
    assert call(accounts["screener"], "GET", f"/cases/{case_id}").status_code == 404

    assert notices_of(app, colleague)[0] == ("case.handed_over", case_id)
    assert notices_of(app, accounts["screener"]) == [("case.taken_over", case_id)]
    [event] = events(app, "case.handed_over")
    assert event.object_type == "case"
    assert event.object_id == case_id
    assert event.actor_id == str(accounts["supervisor"].id)
    assert json.loads(event.details) == {
        "from": str(accounts["screener"].id),
        "to": str(colleague.id),
        "tasks": 0,
    }


def test_the_new_owner_follows_up_the_referrals_the_previous_one_sent(
    app: Flask,
    referral: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    new_client: Callable[[], Client],
    call: API,
    api: API,
) -> None:
    referral_id = referral()
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]
    assert (
        hand_over(browser(new_client, accounts["supervisor"]), case_id, colleague.id).status_code
        == 302
    )

    assert call(colleague, "GET", f"/referrals/{referral_id}").status_code == 200
    listed = call(colleague, "GET", "/referrals").get_json()["items"]
    assert [r["id"] for r in listed] == [referral_id]
    assert call(accounts["screener"], "GET", f"/referrals/{referral_id}").status_code == 404
    assert api("screener", "GET", "/referrals").get_json()["items"] == []
    # The partner's answer goes to whoever is in charge now.
    assert api("partner", "POST", f"/referrals/{referral_id}/accept").status_code == 200
    assert ("referral.accepted", None) in notices_of(app, colleague)
    assert [kind for kind, _case in notices_of(app, accounts["screener"])] == ["case.taken_over"]
    assert call(colleague, "POST", f"/referrals/{referral_id}/withdraw").status_code == 200
    assert api("screener", "POST", f"/referrals/{referral_id}/withdraw").status_code == 404
    with app.app_context():
        sent_by = db.session().scalar(sa.select(Referral.sent_by))
    assert str(sent_by) == str(accounts["screener"].id)  # who sent it is history


def test_the_caseworker_in_charge_reads_a_referral_their_supervisor_sent(
    open_case: Callable[..., str], api: API
) -> None:
    case_id = open_case(consent=FULL_CONSENT)
    sent = api(
        "supervisor",
        "POST",
        f"/cases/{case_id}/referrals",
        {"partner": "org-a", "services": ["shelter"]},
    )
    assert sent.status_code == 201
    referral_id = sent.get_json()["id"]
    assert api("screener", "GET", f"/referrals/{referral_id}").status_code == 200
    assert [r["id"] for r in api("screener", "GET", "/referrals").get_json()["items"]] == [
        referral_id
    ]
    assert api("screener_b", "GET", f"/referrals/{referral_id}").status_code == 404
    assert api("screener_b", "GET", "/referrals").get_json()["items"] == []


@pytest.mark.parametrize("role", ["screener", "partner", "auditor", "analyst", "admin"])
def test_only_a_supervisor_may_hand_over(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    signed_in: Callable[[str], Client],
    role: str,
) -> None:
    case_id = open_case()
    client = signed_in(role)
    assert hand_over(client, case_id, colleague.id).status_code == 403
    assert client.get("/cases/reassign").status_code == 403
    assert (
        client.post(
            "/cases/reassign",
            {"former": str(accounts["screener"].id), "owner": str(colleague.id)},
            form_page="/",
        ).status_code
        == 403
    )
    assert owner(app, case_id) == str(accounts["screener"].id)
    if role == "screener":  # the case's own screener is not offered the form either
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "/owner" not in page


def test_another_teams_supervisor_finds_no_such_case(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    signed_in: Callable[[str], Client],
) -> None:
    case_id = open_case()
    client = signed_in("supervisor_b")
    refused = hand_over(client, case_id, accounts["screener_b"].id)
    assert refused.status_code == 404
    assert (
        client.post(
            f"/cases/{uuid.uuid4()}/owner", {"owner": str(colleague.id)}, form_page="/"
        ).status_code
        == 404
    )
    assert owner(app, case_id) == str(accounts["screener"].id)
    denied = [e for e in events(app, "access.denied") if e.object_id == case_id]
    assert json.loads(denied[-1].details)["action"] == "cases.hand_over"


def test_a_supervisor_under_break_glass_cannot_hand_over(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    signed_in: Callable[[str], Client],
) -> None:
    case_id = open_case()
    client = signed_in("supervisor_b")
    page = f"/cases/{case_id}/break-glass"
    assert (
        client.post(
            page,
            {"reason": "Duty night: the person called our hotline and team A cannot be reached."},
            form_page=page,
        ).status_code
        == 302
    )
    shown = client.get(f"/cases/{case_id}")
    assert shown.status_code == 200
    assert "/owner" not in shown.get_data(as_text=True)
    assert hand_over(client, case_id, accounts["screener_b"].id).status_code == 404
    assert owner(app, case_id) == str(accounts["screener"].id)
    assert events(app, "case.handed_over") == []


def _set_status(app: Flask, case_id: str, status: str) -> None:
    with app.app_context():
        store = db.session()
        store.execute(sa.update(Case).where(Case.id == uuid.UUID(case_id)).values(status=status))
        store.commit()


def test_a_closed_case_is_not_handed_over(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    signed_in: Callable[[str], Client],
) -> None:
    case_id = open_case()
    client = signed_in("supervisor")
    token = csrf_from(client.get(f"/cases/{case_id}"))
    _set_status(app, case_id, "closed")
    assert "/owner" not in client.get(f"/cases/{case_id}").get_data(as_text=True)
    refused = client.raw.post(
        f"/cases/{case_id}/owner", data={"csrf_token": token, "owner": str(colleague.id)}
    )
    assert refused.status_code == 409
    assert owner(app, case_id) == str(accounts["screener"].id)


@pytest.mark.parametrize(
    "who", ["screener_b", "supervisor_b", "partner", "admin", "unknown", "disabled", "screener"]
)
def test_the_new_owner_must_be_an_active_member_of_the_team(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    signed_in: Callable[[str], Client],
    clock: Any,
    who: str,
) -> None:
    case_id = open_case()
    if who == "disabled":
        disable(app, colleague, clock)
    target = {"unknown": uuid.uuid4(), "disabled": colleague.id}.get(
        who, accounts.get(who, colleague).id
    )
    client = signed_in("supervisor")
    refused = hand_over(client, case_id, target)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "The case was not handed over." in text
    assert error_of(text, "owner") == (
        "This person is already in charge."
        if who == "screener"
        else "Choose an active screener or supervisor of the case's team."
    )
    assert owner(app, case_id) == str(accounts["screener"].id)
    assert events(app, "case.handed_over") == []
    with app.app_context():
        assert (
            db.session().scalar(
                sa.select(sa.func.count())
                .select_from(Notice)
                .where(Notice.kind.in_(("case.handed_over", "case.taken_over")))
            )
            == 0
        )


@pytest.mark.parametrize("value", ["not-a-uuid", "", "1 OR 1=1", "0" * 1000])
def test_bad_input_is_refused_as_a_form_error(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    signed_in: Callable[[str], Client],
    value: str,
) -> None:
    case_id = open_case()
    client = signed_in("supervisor")
    assert hand_over(client, case_id, value).status_code == 400
    moved = client.post("/cases/reassign", {"former": value, "owner": value})
    assert moved.status_code == 400
    assert "Nothing was handed over." in moved.get_data(as_text=True)
    assert (
        client.post(
            "/cases/reassign", {"former": str(accounts["screener"].id), "owner": value}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/cases/reassign", {"former": str(accounts["screener"].id), "owner": str(uuid.uuid4())}
        ).status_code
        == 422
    )
    assert owner(app, case_id) == str(accounts["screener"].id)


def test_authority_is_asked_again_at_every_request(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    signed_in: Callable[[str], Client],
    clock: Any,
    make_account: Callable[..., Account],
) -> None:
    case_id = open_case()
    leaver = make_account("screener", team="Team A")
    client = signed_in("supervisor")
    page = client.get(f"/cases/{case_id}")
    assert f'value="{leaver.id}"' in page.get_data(as_text=True)
    token = csrf_from(page)
    # A screener offered on the page is disabled before the form is sent.
    disable(app, leaver, clock)
    refused = client.raw.post(
        f"/cases/{case_id}/owner", data={"csrf_token": token, "owner": str(leaver.id)}
    )
    assert refused.status_code == 422
    assert f'value="{leaver.id}"' not in refused.get_data(as_text=True)
    # The supervisor is moved to another team between two requests.
    with app.app_context():
        store = db.session()
        team_b = store.scalar(sa.select(Team.id).where(Team.name == "Team B"))
        store.execute(
            sa.update(User).where(User.id == accounts["supervisor"].id).values(team_id=team_b)
        )
        store.commit()
    moved_away = client.raw.post(
        f"/cases/{case_id}/owner", data={"csrf_token": token, "owner": str(colleague.id)}
    )
    assert moved_away.status_code == 404
    assert owner(app, case_id) == str(accounts["screener"].id)


def test_a_disabled_account_tells_the_supervisors_and_its_cases_move_at_once(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    signed_in: Callable[[str], Client],
    new_client: Callable[[], Client],
    call: API,
) -> None:
    first, second = (
        open_case(),
        open_case(subject={"given_name": "Canaryapi", "family_name": "Otherperson", "age": 50}),
    )
    elsewhere = open_case("screener_b")
    admin = browser(new_client, accounts["admin"])
    admin.reauth(accounts["admin"])
    user_page = f"/admin/users/{accounts['screener'].id}"
    assert admin.post(f"{user_page}/disable", form_page=user_page).status_code == 302

    [(kind, about)] = notices_of(app, accounts["supervisor"])
    assert kind == "case.owner_disabled"
    assert about in (first, second)
    assert notices_of(app, accounts["supervisor_b"]) == []
    [told] = events(app, "cases.owner_disabled")
    assert (told.object_type, told.object_id) == ("user", str(accounts["screener"].id))
    assert json.loads(told.details) == {"open_cases": 2, "teams": 1}

    client = signed_in("supervisor")
    page = client.get("/cases/reassign")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert accounts["screener"].email in text
    assert "2 open cases" in text
    assert first in text
    assert second in text
    assert elsewhere not in text
    assert f'value="{colleague.id}"' in text
    moved = client.post(
        "/cases/reassign", {"former": str(accounts["screener"].id), "owner": str(colleague.id)}
    )
    assert moved.status_code == 302
    assert "2 cases handed over" in client.get(moved.location).get_data(as_text=True)
    assert {owner(app, first), owner(app, second)} == {str(colleague.id)}
    assert owner(app, elsewhere) == str(accounts["screener_b"].id)
    assert call(colleague, "GET", f"/cases/{first}").status_code == 200
    assert (
        sorted(json.loads(e.details)["to"] for e in events(app, "case.handed_over"))
        == [str(colleague.id)] * 2
    )
    # One notice for the batch; none for the disabled account, which cannot read it.
    assert [kind for kind, _c in notices_of(app, colleague)] == ["case.handed_over"]
    assert notices_of(app, accounts["screener"]) == []
    assert "Nothing to hand over" in client.get("/cases/reassign").get_data(as_text=True)


@pytest.mark.parametrize(
    ("to", "said"),
    [
        ("unknown", "Choose an active screener or supervisor of the case's team."),
        ("former", "This person is already in charge."),
    ],
)
def test_moving_all_to_someone_who_may_not_take_them_is_said_on_the_row(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    signed_in: Callable[[str], Client],
    clock: Any,
    to: str,
    said: str,
) -> None:
    case_id = open_case()
    former = accounts["screener"]
    disable(app, former, clock)
    client = signed_in("supervisor")
    target = former.id if to == "former" else uuid.uuid4()
    refused = client.post("/cases/reassign", {"former": str(former.id), "owner": str(target)})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Nothing was handed over." in text
    # The refused form is the former owner's row, the service's words on its "Move all to".
    assert error_of(text, "owner-1") == said
    assert owner(app, case_id) == str(former.id)
    assert events(app, "case.handed_over") == []


def test_a_refusal_about_the_former_owner_is_said_above_the_row_not_on_its_hidden_field(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    signed_in: Callable[[str], Client],
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No rule names the former owner today; should one, the user still reads it."""
    open_case()
    former = accounts["screener"]
    disable(app, former, clock)

    def refuse(*_args: Any) -> int:
        raise handover.HandOverError("synthetic", {"former": "Synthetic: not this owner."})

    monkeypatch.setattr(handover, "hand_over_all", refuse)
    client = signed_in("supervisor")
    refused = client.post("/cases/reassign", {"former": str(former.id), "owner": str(colleague.id)})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert '<p class="error" role="alert">Synthetic: not this owner.</p>' in text
    assert error_of(text, "owner-1") == ""


def test_moving_every_case_of_one_owner_is_for_a_supervisor_and_to_someone_else(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    clock: Any,
) -> None:
    case_id = open_case()
    screener_id = accounts["screener"].id
    with app.test_request_context():
        store = db.session()
        screener = services.get_user(store, colleague.id)
        with pytest.raises(Forbidden):
            handover.hand_over_all(store, screener, screener_id, colleague.id, clock.now())
        supervisor = services.get_user(store, accounts["supervisor"].id)
        with pytest.raises(handover.HandOverError):
            handover.hand_over_all(store, supervisor, screener_id, screener_id, clock.now())
        assert (
            handover.hand_over_all(store, supervisor, colleague.id, screener_id, clock.now()) == 0
        )
        assert (
            handover.hand_over_all(store, supervisor, screener_id, colleague.id, clock.now()) == 1
        )
        store.commit()
    assert owner(app, case_id) == str(colleague.id)
    # The previous owner's account is still in use: they are told once.
    assert notices_of(app, accounts["screener"]) == [("case.taken_over", case_id)]


def test_a_case_is_handed_over_from_its_page_once_its_owner_left(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    signed_in: Callable[[str], Client],
    clock: Any,
) -> None:
    case_id = open_case()
    disable(app, accounts["screener"], clock)
    client = signed_in("supervisor")
    assert hand_over(client, case_id, colleague.id).status_code == 302
    assert owner(app, case_id) == str(colleague.id)
    assert "Nothing to hand over" in client.get("/cases/reassign").get_data(as_text=True)


def test_nothing_about_the_person_reaches_notices_audit_or_e_mail(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    colleague: Account,
    signed_in: Callable[[str], Client],
    mail_relay: list[Any],
    caplog: pytest.LogCaptureFixture,
    clock: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    first, second = open_case(consent=FULL_CONSENT), open_case()
    client = signed_in("supervisor")
    assert hand_over(client, first, colleague.id).status_code == 302
    assert hand_over(client, second, str(uuid.uuid4())).status_code == 422
    disable(app, accounts["screener"], clock)
    assert (
        client.post(
            "/cases/reassign", {"former": str(accounts["screener"].id), "owner": str(colleague.id)}
        ).status_code
        == 302
    )
    with app.app_context():
        store = db.session()
        held = repr(
            [
                list(store.execute(sa.select(table)))
                for table in (Notice.__table__, OutboxMessage.__table__)
            ]
        )
        details = repr(list(store.scalars(sa.select(AuditEvent.details))))
        kinds = set(store.scalars(sa.select(OutboxMessage.kind)))
    assert kinds == {"case.handed_over", "case.taken_over", "case.owner_disabled"}
    for canary in CANARIES:
        assert canary not in held
        assert canary not in details
        assert canary not in caplog.text


def test_the_previous_owner_s_notice_leads_to_their_list_not_to_a_closed_door(
    app: Flask,
    open_case: Callable[..., str],
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
    colleague: Account,
) -> None:
    case_id = open_case()
    hand_over(browser(new_client, accounts["supervisor"]), case_id, colleague.id)
    with app.app_context():
        notice_id = db.session().scalar(
            sa.select(Notice.id).where(
                Notice.user_id == accounts["screener"].id, Notice.kind == "case.taken_over"
            )
        )
    previous = browser(new_client, accounts["screener"])
    opened = previous.post(f"/notices/{notice_id}/open", form_page="/notices/")
    assert opened.status_code == 302
    assert opened.location.endswith("/cases/")


def test_the_case_s_screenings_follow_it_to_the_new_owner(
    app: Flask,
    accounts: dict[str, Account],
    colleague: Account,
    new_client: Callable[[], Client],
    call: API,
    partners: None,
    clock: Any,
) -> None:
    # A completed screening is part of its case: after a hand-over the new caseworker reads
    # it and its answers, and the previous owner no longer does (docs/access-policy.md).
    created = call(accounts["screener"], "POST", "/screenings", body()).get_json()
    screening_id, case_id = created["id"], created["case_id"]
    draft = call(accounts["screener"], "POST", "/screenings", body(complete=False)).get_json()
    action = {
        "flags": ["rf_in_danger_now"],
        "contacted": ["supervisor"],
        "acted_at": clock.now().isoformat(),
        "action": "called",
        "outcome": "Synthetic outcome",
    }
    assert call(colleague, "GET", f"/screenings/{screening_id}").status_code == 404
    supervisor = browser(new_client, accounts["supervisor"])
    assert hand_over(supervisor, case_id, colleague.id).status_code == 302

    newcomer = browser(new_client, colleague)
    assert call(colleague, "GET", f"/screenings/{screening_id}").status_code == 200
    assert newcomer.get(f"/screenings/{screening_id}").status_code == 200
    case_page = newcomer.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'href="/screenings/{screening_id}"' in case_page
    assert f'href="/screenings/{screening_id}"' in newcomer.get("/screenings/").get_data(
        as_text=True
    )
    recorded = call(colleague, "POST", f"/screenings/{screening_id}/red-flag-actions", action)
    assert recorded.status_code == 201, recorded.get_json()

    previous = browser(new_client, accounts["screener"])
    assert call(accounts["screener"], "GET", f"/screenings/{screening_id}").status_code == 404
    assert previous.get(f"/screenings/{screening_id}").status_code == 404
    assert screening_id not in previous.get("/screenings/").get_data(as_text=True)
    refused = call(
        accounts["screener"], "POST", f"/screenings/{screening_id}/red-flag-actions", action
    )
    assert refused.status_code == 404

    # A draft has no case yet: it stays with the screener interviewing.
    assert call(accounts["screener"], "GET", f"/screenings/{draft['id']}").status_code == 200
    assert draft["id"] in previous.get("/screenings/").get_data(as_text=True)
    assert call(colleague, "GET", f"/screenings/{draft['id']}").status_code == 404
    assert draft["id"] not in newcomer.get("/screenings/").get_data(as_text=True)
