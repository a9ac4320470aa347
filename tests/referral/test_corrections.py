"""Correcting the record (docs/case-work.md "Correcting the record"): the caseworker in charge
of a case, or the team's supervisor, corrects the person's details and reads the previous
values; nobody else does, not even under break-glass; the audit, the logs, the notices and
the page titles name fields, never values; a correction that makes the person a child or an
adult holds the case's referrals to their legal basis again; authority is asked at use."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import db
from referral import matching
from referral.models import Case, Notice
from screening import retention
from screening.models import Person, PersonChange
from tests.helpers import Account, Client, csrf_from, error_of
from tests.screening.payloads import body, child_body

API = Callable[..., Any]
# The person the conftest's open_case screens through the API, as the form shows them.
DETAILS = {
    "given_name": "Canaryapi",
    "family_name": "Testperson",
    "birth_date": "",
    "age": "34",
    "age_source": "",
    "sex": "female",
    "nationality": "ZZ",
    "country": "XK",
    "region": "Canaryregionapi",
    "languages": "fr",
    "contact": "canary-api-contact",
    "notes": "",
}
NO_REFERRAL = {
    "screening": True,
    "referral": False,
    "share": [],
    "child": {"assent": True, "guardian_consent": True, "basis": None},
}
PROTECTION = {
    "partner": "org-k",
    "services": ["child_protection"],
    "share": ["given_name", "age", "location", "languages", "needs"],
}


def correct(client: Client, case_id: str, **changes: Any) -> Any:
    return client.post(f"/cases/{case_id}/person", {**DETAILS, **changes})


def title(page: str) -> str:
    return page.split("<title>", 1)[1].split("</title>", 1)[0]


def audit_details(app: Flask) -> str:
    with app.app_context():
        return json.dumps([d for d in db.session().scalars(sa.select(AuditEvent.details))])


def audited(app: Flask, action: str) -> list[Any]:
    with app.app_context():
        return [
            json.loads(d) if d else None
            for d in db.session().scalars(
                sa.select(AuditEvent.details)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        ]


def person_of(app: Flask, case_id: str) -> Person:
    with app.app_context():
        store = db.session()
        case = store.get(Case, uuid.UUID(case_id))
        assert case is not None
        person = store.get(Person, case.person_id)
        assert person is not None
        store.expunge(person)
        return person


def changes(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(PersonChange)) or 0


def child(app: Flask, case_id: str) -> bool:
    with app.app_context():
        store = db.session()
        case = store.get(Case, uuid.UUID(case_id))
        assert case is not None
        return matching.is_child(store, case)


def test_the_form_is_filled_with_what_is_held_and_remembers_nothing(
    open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    page = signed_in("screener").get(f"/cases/{case_id}/person").get_data(as_text=True)
    assert 'value="Canaryapi"' in page
    assert 'value="canary-api-contact"' in page
    assert "Canary" not in title(page)
    for name in (
        "given_name",
        "family_name",
        "birth_date",
        "age",
        "contact",
        "region",
        "notes",
        "nationality",
        "languages",
    ):
        tag = re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', page)
        assert tag is not None, name
        assert 'autocomplete="off"' in tag.group(0), name
    assert not re.search(r'<input[^>]*name="possibly_minor"[^>]*checked', page)


def test_a_correction_names_fields_never_values(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    case_id = open_case()
    client = signed_in("screener")
    caplog.set_level(logging.DEBUG)
    done = correct(client, case_id, given_name="Canarynewname", contact="canary-new-contact")
    assert done.status_code == 302
    case_page = client.get(done.location).get_data(as_text=True)
    assert "Details corrected." in case_page
    assert "Canarynewname" in case_page
    history = client.get(f"/cases/{case_id}/person/history").get_data(as_text=True)
    form = client.get(f"/cases/{case_id}/person").get_data(as_text=True)
    assert audited(app, "person.corrected") == [{"fields": ["given_name", "contact"]}]
    with app.app_context():
        kinds = db.session().scalars(sa.select(Notice.kind)).all()
    for canary in ("Canaryapi", "Canarynewname", "canary-api-contact", "canary-new-contact"):
        assert canary not in audit_details(app), canary
        assert canary not in caplog.text, canary
        assert canary not in " ".join(kinds), canary
        for page in (case_page, history, form):
            assert canary not in title(page), canary
    flashes = re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', case_page)
    assert not [f for f in flashes if "Canary" in f or "canary" in f]


def test_the_history_shows_the_previous_values_to_the_owner_and_the_supervisor(
    app: Flask,
    clock: Any,
    open_case: Callable[..., str],
    new_client: Any,
    accounts: dict[str, Account],
) -> None:
    case_id = open_case()
    owner = new_client()
    owner.sign_in(accounts["screener"])
    correct(owner, case_id, given_name="Canarysecond")
    clock.advance(minutes=5)
    supervisor = new_client()
    supervisor.sign_in(accounts["supervisor"])
    assert correct(supervisor, case_id, given_name="Canarythird", age="35").status_code == 302
    for client in (owner, supervisor):
        page = client.get(f"/cases/{case_id}/person/history").get_data(as_text=True)
        assert page.index("Canarysecond") < page.index("Canaryapi")  # newest first
        assert "Canarythird" not in page  # the present value is not history
        assert "34" in page
        assert accounts["supervisor"].email in page
        assert "Supervisor" in page
        assert "Screener" in page
    assert audited(app, "person.history_read")[-1] == {"count": 2}


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("screener_b", 404),
        ("supervisor_b", 404),
        ("partner", 403),
        ("auditor", 403),
        ("analyst", 403),
        ("admin", 403),
    ],
)
def test_nobody_else_corrects_or_reads_the_history(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    name: str,
    status: int,
) -> None:
    case_id = open_case()
    client = signed_in(name)
    assert client.get(f"/cases/{case_id}/person").status_code == status
    assert client.get(f"/cases/{case_id}/person/history").status_code == status
    refused = correct(client, case_id, given_name="Canaryintruder")
    assert refused.status_code in (400, status)  # no form of theirs: no CSRF token either
    assert changes(app) == 0


def test_nobody_else_corrects_even_with_a_valid_token(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    new_client: Any,
    accounts: dict[str, Account],
) -> None:
    case_id = open_case()
    for name, status in (("screener_b", 404), ("auditor", 403)):
        client = new_client()
        client.sign_in(accounts[name])
        posted = client.post(
            f"/cases/{case_id}/person", {**DETAILS, "given_name": "Canaryintruder"}, form_page="/"
        )
        assert posted.status_code == status, name
    assert changes(app) == 0


def test_a_break_glass_supervisor_cannot_correct_or_read_the_history(
    app: Flask, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    client = signed_in("supervisor_b")
    page = f"/cases/{case_id}/break-glass"
    reason = {"reason": "Duty night: the person called our hotline and team A is away."}
    assert client.post(page, reason, form_page=page).status_code == 302
    case_page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/cases/{case_id}/person" not in case_page  # no link to what is refused
    assert client.get(f"/cases/{case_id}/person").status_code == 404
    assert client.get(f"/cases/{case_id}/person/history").status_code == 404
    refused = client.post(
        f"/cases/{case_id}/person",
        {**DETAILS, "given_name": "Canaryglass"},
        form_page=f"/cases/{case_id}",
    )
    assert refused.status_code == 404
    assert changes(app) == 0


def test_an_age_under_18_makes_the_person_a_child(
    app: Flask, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case(subject={**body()["subject"], "age": 25})
    assert child(app, case_id) is False
    assert correct(signed_in("screener"), case_id, age="16").status_code == 302
    assert child(app, case_id) is True
    assert person_of(app, case_id).possibly_minor is True
    assert audited(app, "person.minor_presumption") == [{"possibly_minor": True}]


def test_a_claimed_adult_age_keeps_the_presumption_and_the_form_says_why(
    app: Flask, api: API, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case(**child_body())
    client = signed_in("screener")
    child_details = {
        **DETAILS,
        "given_name": "Canarychild",
        "family_name": "",
        "age": "15",
        "age_source": "claimed",
        "sex": "",
        "nationality": "",
        "region": "",
        "contact": "",
    }
    page = client.get(f"/cases/{case_id}/person").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*name="possibly_minor"|'
        r'<input[^>]*name="possibly_minor"[^>]*checked',
        page,
    )
    unticked = client.post(f"/cases/{case_id}/person", {**child_details, "age": "25"})
    assert unticked.status_code == 422
    assert error_of(unticked.get_data(as_text=True), "possibly_minor") == (
        "The person may still be under 18: only an identity document showing they are 18 or "
        "more lifts this. Keep the box ticked, or record the age from the document."
    )
    assert changes(app) == 0
    assert child(app, case_id) is True
    kept = client.post(
        f"/cases/{case_id}/person", {**child_details, "age": "25", "possibly_minor": "y"}
    )
    assert kept.status_code == 302
    assert child(app, case_id) is True
    assert audited(app, "person.minor_presumption") == []


def test_a_documented_adult_age_lifts_the_presumption_and_ends_what_rested_on_it(
    app: Flask,
    api: API,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    make_account: Callable[..., Account],
    signed_in: Callable[[str], Client],
) -> None:
    accounts["partner_k"] = make_account("partner", partner="org-k")
    case_id = open_case(**child_body(consent=NO_REFERRAL))
    sent = api("screener", "POST", f"/cases/{case_id}/referrals", PROTECTION).get_json()
    assert sent["basis"] == "child_protection"
    documented = {
        **DETAILS,
        "given_name": "Canarychild",
        "family_name": "",
        "age": "25",
        "age_source": "document",
        "sex": "",
        "nationality": "",
        "region": "",
        "contact": "",
    }
    done = signed_in("screener").post(f"/cases/{case_id}/person", documented)
    assert done.status_code == 302
    assert child(app, case_id) is False
    assert audited(app, "person.minor_presumption") == [{"possibly_minor": False}]
    assert api("partner_k", "GET", f"/referrals/{sent['id']}").get_json()["state"] == "withdrawn"
    with app.app_context():
        told = (
            db.session()
            .scalars(sa.select(Notice.kind).where(Notice.user_id == accounts["partner_k"].id))
            .all()
        )
    assert "referral.withdrawn" in told


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"age": "abc"}, 400, "Not a valid integer value. Number must be between 0 and 120."),
        (
            {"birth_date": "2026-03-03"},
            422,
            "The date of birth cannot be in the future, nor more than 120 years ago.",
        ),
        ({"birth_date": "yesterday"}, 400, "Not a valid date value."),
        (
            {"nationality": "Zedland"},
            400,
            "Not a country we know: write its name or its two-letter code.",
        ),
    ],
)
def test_bad_details_are_form_errors_and_change_nothing(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    change: dict[str, str],
    status: int,
    message: str,
) -> None:
    case_id = open_case()
    before = person_of(app, case_id)
    refused = correct(signed_in("screener"), case_id, given_name="Canarynewname", **change)
    assert refused.status_code == status
    [field] = change
    assert error_of(refused.get_data(as_text=True), field) == message
    after = person_of(app, case_id)
    assert (after.given_name, after.age, after.identity_index) == (
        before.given_name,
        before.age,
        before.identity_index,
    )
    assert changes(app) == 0
    assert audited(app, "person.corrected") == []


def test_nothing_changed_records_nothing(
    app: Flask, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    client = signed_in("screener")
    done = correct(client, case_id)
    assert "Nothing was changed." in client.get(done.location).get_data(as_text=True)
    assert changes(app) == 0
    assert audited(app, "person.corrected") == []


def test_authority_is_asked_again_when_the_form_comes_back(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    make_account: Callable[..., Account],
) -> None:
    case_id = open_case()
    client = signed_in("screener")
    token_page = client.get(f"/cases/{case_id}/person")
    assert token_page.status_code == 200
    other = make_account("screener", team="Team A")
    with app.app_context():
        store = db.session()
        store.execute(
            sa.update(Case).where(Case.id == uuid.UUID(case_id)).values(owner_id=other.id)
        )
        store.commit()
    token = csrf_from(token_page)
    late = client.raw.post(
        f"/cases/{case_id}/person",
        data={**DETAILS, "given_name": "Canarylate", "csrf_token": token},
    )
    assert late.status_code == 404
    assert changes(app) == 0


@pytest.mark.parametrize(
    ("status", "answer"), [("closed", 302), ("follow_up", 302), ("merged", 409)]
)
def test_a_closed_case_may_be_corrected_a_merged_one_not(
    app: Flask,
    open_case: Callable[..., str],
    signed_in: Callable[[str], Client],
    status: str,
    answer: int,
) -> None:
    case_id = open_case()
    client = signed_in("screener")
    token_page = client.get(f"/cases/{case_id}/person")
    with app.app_context():
        store = db.session()
        store.execute(sa.update(Case).where(Case.id == uuid.UUID(case_id)).values(status=status))
        store.commit()
    token = csrf_from(token_page)
    done = client.raw.post(
        f"/cases/{case_id}/person",
        data={**DETAILS, "given_name": "Canarylater", "csrf_token": token},
    )
    assert done.status_code == answer
    assert changes(app) == (1 if answer == 302 else 0)


def test_once_the_record_is_shredded_nothing_is_corrected_or_shown(
    app: Flask, clock: Any, open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    client = signed_in("screener")
    correct(client, case_id, given_name="Canarysecond")
    token = csrf_from(client.get(f"/cases/{case_id}/person"))
    with app.app_context():
        store = db.session()
        person = store.get(Person, person_of(app, case_id).id)
        assert person is not None
        retention.shred(store, person, clock.now())
        store.commit()
    history = client.get(f"/cases/{case_id}/person/history").get_data(as_text=True)
    assert "details are no longer kept." in history
    assert "Canary" not in history
    form = client.get(f"/cases/{case_id}/person").get_data(as_text=True)
    assert "details are no longer kept." in form
    late = client.raw.post(
        f"/cases/{case_id}/person",
        data={**DETAILS, "given_name": "Canarylate", "csrf_token": token},
    )
    assert late.status_code == 409
    assert changes(app) == 0  # the history goes with the record


def test_the_person_s_copy_holds_the_earlier_values(
    open_case: Callable[..., str], signed_in: Callable[[str], Client]
) -> None:
    case_id = open_case()
    client = signed_in("screener")
    correct(client, case_id, given_name="Canarysecond")
    held = client.get(f"/cases/{case_id}/copy.json").get_json()
    assert [c["previous"] for c in held["corrections"]] == [{"given_name": "Canaryapi"}]
    assert held["person"]["given_name"] == "Canarysecond"
