"""What the screener did about red flags: recorded with its outcome sealed, audited without
any text, allowed after completion, refused for bad input with named fields; which raised
flags are still open; the red-flag page's protocols and form; the neutral screen."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template, url_for
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from access import services as access_services
from access.models import AuditEvent
from core import datakeys, db
from screening import instruments, interview, red_flags, services
from screening.models import RedFlagAction, Screening
from screening.opening import ScreeningError
from tests.helpers import Account, Client, error_of, raw_database_bytes

OUTCOME = "Canaryoutcome: taken to the shelter on Canarystreet"
NOTE = "Canarynote the night nurse"


@contextmanager
def session_for(app: Flask, account: Account) -> Iterator[tuple[Session, Any]]:
    """A request context, its session and the account's user (committed at the end)."""
    with app.test_request_context():
        store = db.session()
        yield store, access_services.get_user(store, account.id)
        store.commit()


@pytest.fixture
def record(app: Flask, accounts: dict[str, Account], clock: Any) -> Callable[..., Any]:
    """Record an action on a screening as the screener; keyword arguments change the
    defaults (two emergency flags, the supervisor called, just now)."""

    def record_it(screening_id: uuid.UUID, by: str = "screener", **changes: Any) -> Any:
        values = {
            "flags": ["rf_in_danger_now", "rf_cannot_leave"],
            "contacted": ["supervisor"],
            "acted_at": clock.now(),
            "action": "called",
            "outcome": OUTCOME,
            "contacted_note": None,
            **changes,
        }
        with session_for(app, accounts[by]) as (store, user):
            screening = store.get(Screening, screening_id)
            note = values.pop("contacted_note")
            return red_flags.record_action(
                store, user, screening, **values, now=clock.now(), contacted_note=note
            ).id

    return record_it


def opened(app: Flask, screening_id: uuid.UUID) -> list[dict[str, Any]]:
    with app.app_context():
        store = db.session()
        return red_flags.actions(store, store.get(Screening, screening_id))


def open_flags(app: Flask, screening_id: uuid.UUID, raised: list[str]) -> list[str]:
    with app.app_context():
        store = db.session()
        return red_flags.unacknowledged(store, store.get(Screening, screening_id), raised)


def audit_events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session().scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# --- the service -----------------------------------------------------------------------


def test_an_action_is_recorded_and_read_back_with_its_texts(
    app: Flask, start_screening: Any, record: Any, accounts: dict[str, Account], clock: Any
) -> None:
    screening_id = start_screening()
    record(
        screening_id,
        flags=["rf_injury_illness", "rf_cannot_leave"],
        contacted=["medical", "other"],
        contacted_note=NOTE,
        action="escorted",
    )
    [action] = opened(app, screening_id)
    assert {k: v for k, v in action.items() if k not in ("id", "recorded_by")} == {
        "flags": ["rf_injury_illness", "rf_cannot_leave"],
        "protocols": ["emergency", "medical"],
        "contacted": ["medical", "other"],
        "contacted_note": NOTE,
        "acted_at": clock.now(),
        "action": "escorted",
        "outcome": OUTCOME,
        "recorded_at": clock.now(),
    }
    assert action["recorded_by"] == accounts["screener"].id


def test_the_outcome_and_the_note_are_sealed_at_rest(
    app: Flask, start_screening: Any, record: Any
) -> None:
    screening_id = start_screening()
    record(screening_id, contacted=["other"], contacted_note=NOTE)
    raw = raw_database_bytes(app)
    for canary in ("Canaryoutcome", "Canarystreet", "Canarynote"):
        assert canary.encode() not in raw
        assert canary.lower().encode() not in raw.lower()
    with app.app_context():
        row = db.session().scalars(sa.select(RedFlagAction)).one()
        assert OUTCOME.encode() not in row.outcome
        assert (row.flags, row.protocols, row.contacted) == (
            ("rf_in_danger_now", "rf_cannot_leave"),
            ("emergency",),
            ("other",),
        )


def test_the_audit_event_holds_codes_never_the_texts(
    app: Flask, start_screening: Any, record: Any
) -> None:
    screening_id = start_screening()
    record(screening_id, contacted=["other"], contacted_note=NOTE)
    [event] = audit_events(app, "screening.red_flag_action")
    assert (event.object_type, event.object_id) == ("screening", str(screening_id))
    assert json.loads(event.details) == {
        "flags": ["rf_in_danger_now", "rf_cannot_leave"],
        "protocols": ["emergency"],
        "action": "called",
    }
    assert "Canary" not in event.details


def test_a_childs_flags_are_recorded_under_child_protection(
    start_screening: Any, record: Any, app: Flask
) -> None:
    screening_id = start_screening(child=True)
    record(screening_id, flags=["rf_in_danger_now", "rf_self_harm"])
    assert opened(app, screening_id)[0]["protocols"] == ["suicide_risk", "child_protection"]


def test_an_action_may_be_recorded_after_completion(
    app: Flask, start_screening: Any, record: Any, clock: Any
) -> None:
    screening_id = start_screening()
    with app.app_context():
        store = db.session()
        screening = store.get(Screening, screening_id)
        interview.finish(store, screening, instruments.catalogue()["adult"], 30, clock.now())
        store.commit()
    clock.advance(hours=5)
    record(screening_id, acted_at=clock.now() - timedelta(hours=1), action="referred")
    assert [a["action"] for a in opened(app, screening_id)] == ["referred"]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"flags": []}, {"flags": "name at least one red flag this action answers"}),
        ({"flags": ["rf_in_danger_now", "cd_documents"]}, {"flags": "not red flags: cd_documents"}),
        (
            {"contacted": ["police"]},
            {
                "contacted": "each must be one of emergency_services, "
                "medical, child_protection, supervisor, "
                "partner, other"
            },
        ),
        ({"contacted": ["other"]}, {"contacted_note": "say who else was contacted"}),
        ({"contacted_note": "x" * 201}, {"contacted_note": "at most 200 characters"}),
        (
            {"action": "phoned"},
            {"action": "must be one of called, referred, escorted, safety_plan, none_possible"},
        ),
        ({"outcome": "x" * 4001}, {"outcome": "at most 4000 characters"}),
    ],
)
def test_bad_input_is_refused_with_the_field_named(
    app: Flask, start_screening: Any, record: Any, changes: dict[str, Any], fields: dict[str, str]
) -> None:
    screening_id = start_screening()
    with pytest.raises(ScreeningError) as error:
        record(screening_id, **changes)
    assert error.value.fields == fields
    assert opened(app, screening_id) == []


def test_a_time_in_the_future_or_before_the_screening_is_refused(
    start_screening: Any, record: Any, clock: Any
) -> None:
    screening_id = start_screening()
    with pytest.raises(ScreeningError) as future:
        record(screening_id, acted_at=clock.now() + timedelta(minutes=1))
    with pytest.raises(ScreeningError) as earlier:
        record(screening_id, acted_at=clock.now() - timedelta(days=1))
    assert future.value.fields == {"acted_at": "cannot be in the future"}
    assert earlier.value.fields == {"acted_at": "cannot be before the screening started"}


def test_another_teams_screener_cannot_record(start_screening: Any, record: Any) -> None:
    screening_id = start_screening()
    with pytest.raises(NotFound):
        record(screening_id, by="screener_b")


def test_unacknowledged_lists_the_raised_flags_no_action_answers(
    app: Flask, start_screening: Any, record: Any
) -> None:
    screening_id = start_screening()
    raised = ["rf_in_danger_now", "rf_self_harm", "rf_cannot_leave", "rf_self_harm"]
    assert open_flags(app, screening_id, raised) == [
        "rf_in_danger_now",
        "rf_self_harm",
        "rf_cannot_leave",
    ]
    record(screening_id, flags=["rf_in_danger_now"])
    assert open_flags(app, screening_id, raised) == ["rf_self_harm", "rf_cannot_leave"]
    record(
        screening_id,
        flags=["rf_self_harm", "rf_cannot_leave"],
        action="none_possible",
        contacted=[],
    )
    assert open_flags(app, screening_id, raised) == []


def test_actions_stay_readable_when_the_screening_moves_to_another_record(
    app: Flask, start_screening: Any, record: Any, register: Any, clock: Any
) -> None:
    screening_id = start_screening()
    record(screening_id)
    target = register()
    with app.app_context():
        store = db.session()
        screening = store.get(Screening, screening_id)
        old_key = services.people.get(store, screening.person_id).data_key_id
        services.move_to(store, screening, services.people.get(store, target.id), clock.now())
        datakeys.shred(store, old_key, clock.now())
        store.commit()
    assert [a["outcome"] for a in opened(app, screening_id)] == [OUTCOME]


# --- the red-flag page -------------------------------------------------------------------


@pytest.fixture
def screener(signed_in: Callable[[str], Client]) -> Client:
    return signed_in("screener")


@pytest.fixture
def urls(app: Flask) -> Callable[..., str]:
    def build(endpoint: str, **values: Any) -> str:
        with app.test_request_context():
            return url_for(endpoint, **values)

    return build


@pytest.fixture
def page_of(
    app: Flask, screener: Client, start_screening: Any, clock: Any, urls: Callable[..., str]
) -> Any:
    """The red-flag page of a draft screening whose answers raised ``flags`` (comma-separated;
    ids the catalogue does not know are not answerable and raise nothing), going back to
    its first step."""

    def build(flags: str, language: str = "en", next_url: str | None = None) -> Any:
        screening_id = start_screening(language=language)
        with app.app_context():
            store = db.session()
            screening = store.get(Screening, screening_id)
            adult = instruments.catalogue()["adult"]
            interview.record(
                store,
                screening,
                adult,
                {flag: "yes" for flag in flags.split(",") if adult.indicator(flag)},
                clock.now(),
            )
            store.commit()
        step = urls("screening.ask", screening_id=screening_id)
        url = urls(
            "screening.red_flag",
            screening_id=screening_id,
            next=step if next_url is None else next_url,
        )
        return screening_id, url, step

    return build


def main(response: Any) -> str:
    """The page's own content (the footer's language switcher repeats the address)."""
    return response.get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]


def form_data(clock: Any, **changes: Any) -> dict[str, Any]:
    return {
        "flags": ["rf_in_danger_now", "rf_self_harm"],
        "contacted": ["supervisor"],
        "contacted_note": "",
        "acted_at": clock.now().strftime("%Y-%m-%dT%H:%M"),
        "action": "called",
        "outcome": OUTCOME,
        **changes,
    }


def test_the_page_shows_each_protocol_once_for_the_flags_raised(
    screener: Client, page_of: Any
) -> None:
    _id, url, step = page_of("rf_in_danger_now,rf_cannot_leave,rf_made_up,rf_self_harm")
    page = main(screener.get(url))
    assert page.count('<h2 id="protocol-') == 2
    assert page.count("Immediate danger") == 1
    assert "Risk of suicide or self-harm" in page
    assert "rf_made_up" not in page
    assert (
        '<input checked id="flags-0" name="flags" type="checkbox" value="rf_in_danger_now">' in page
    )
    assert f'href="{step}">Record later</a>' in page


def test_the_protocol_is_in_the_interview_language(screener: Client, page_of: Any) -> None:
    _id, url, _step = page_of("rf_injury_illness", language="es")
    page = screener.get(url).get_data(as_text=True)
    assert '<h2 id="protocol-medical" lang="es">Necesita atención médica</h2>' in page


def test_without_a_known_flag_the_emergency_protocol_shows_and_no_form(
    screener: Client, page_of: Any
) -> None:
    _id, url, _step = page_of("rf_made_up")
    page = screener.get(url).get_data(as_text=True)
    assert "Immediate danger" in page
    assert 'name="action"' not in page
    assert "Continue the questions" in page


def test_the_form_records_the_action_and_goes_on(
    app: Flask, screener: Client, page_of: Any, clock: Any
) -> None:
    screening_id, url, step = page_of("rf_in_danger_now,rf_self_harm")
    response = screener.post(url, form_data(clock))
    assert response.status_code == 302
    assert response.location == step
    [action] = opened(app, screening_id)
    assert (action["flags"], action["protocols"], action["contacted"], action["outcome"]) == (
        ["rf_in_danger_now", "rf_self_harm"],
        ["emergency", "suicide_risk"],
        ["supervisor"],
        OUTCOME,
    )


def test_a_foreign_next_goes_to_the_screenings_list(
    screener: Client, page_of: Any, clock: Any
) -> None:
    _id, url, _step = page_of("rf_in_danger_now", next_url="https://evil.example/")
    response = screener.post(url, form_data(clock, flags=["rf_in_danger_now"]))
    assert response.location == "/screenings/"


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"action": ""}, 400, "This field is required."),
        ({"acted_at": "yesterday"}, 400, "Not a valid datetime value."),
        ({"flags": []}, 400, "Tick at least one red flag."),
        ({"flags": ["rf_other_flag"]}, 400, "is not a valid choice"),
        ({"contacted": ["police"]}, 400, "is not a valid choice"),
        ({"outcome": "x" * 4001}, 400, "Field cannot be longer than 4000 characters."),
        ({"acted_at": "2099-01-01T00:00"}, 422, "cannot be in the future"),
        ({"contacted": ["other"]}, 422, "say who else was contacted"),
    ],
)
def test_bad_input_gives_form_errors_and_records_nothing(
    app: Flask,
    screener: Client,
    page_of: Any,
    clock: Any,
    changes: dict[str, Any],
    status: int,
    message: str,
) -> None:
    screening_id, url, _step = page_of("rf_in_danger_now,rf_self_harm")
    response = screener.post(url, form_data(clock, **changes))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert opened(app, screening_id) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"acted_at": "2099-01-01T00:00"}, "acted_at", "cannot be in the future"),
        ({"contacted": ["other"]}, "contacted_note", "say who else was contacted"),
    ],
)
def test_a_refused_action_shows_the_services_problem_on_its_field(
    app: Flask,
    screener: Client,
    page_of: Any,
    clock: Any,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    screening_id, url, _step = page_of("rf_in_danger_now,rf_self_harm")
    response = screener.post(url, form_data(clock, **changes))
    assert response.status_code == 422
    assert error_of(response.get_data(as_text=True), field) == message
    assert opened(app, screening_id) == []


# --- result-page partial -----------------------------------------------------------------


def test_the_result_partial_lists_recorded_actions(
    app: Flask, start_screening: Any, record: Any, clock: Any
) -> None:
    screening_id = start_screening()
    record(
        screening_id,
        flags=["rf_injury_illness"],
        contacted=["medical", "other"],
        contacted_note=NOTE,
        action="escorted",
    )
    with app.test_request_context():
        store = db.session()
        screening = store.get(Screening, screening_id)
        html = render_template(
            "screening/_red_flag_actions.html",
            screening=screening,
            red_flag_actions=red_flags.actions(store, screening),
            unacknowledged_flags=["rf_self_harm"],
            label={"rf_injury_illness": "Injured", "rf_self_harm": "Self-harm"}.get,
        )
    assert "Mar 2, 2026, 09:00 UTC" in html
    for text in (
        '<td data-label="Red flags">Injured</td>',
        "Medical care needed",
        "Doctor, nurse or clinic",
        NOTE,
        "Went with the person to safety or care",
        OUTCOME.replace("'", ""),
        "No action recorded yet for: Self-harm",
    ):
        assert text in html, text


# --- the neutral screen ------------------------------------------------------------------


def test_the_neutral_page_reveals_nothing(
    screener: Client, start_screening: Any, urls: Callable[..., str]
) -> None:
    screening_id = start_screening()
    page = screener.get(urls("screening.neutral")).get_data(as_text=True)
    assert "<title>Health information</title>" in page
    for revealing in (
        "Passage",
        "passage",
        "Canary",
        str(screening_id),
        "screening",
        "Sign out",
        "trafficking",
    ):
        assert revealing not in page, revealing


def test_hide_screen_is_audited_and_shows_the_neutral_page(
    app: Flask, screener: Client, urls: Callable[..., str]
) -> None:
    response = screener.post(urls("screening.neutral_exit"), form_page=urls("screening.index"))
    assert response.status_code == 302
    assert response.location == urls("screening.neutral")
    [event] = audit_events(app, "screening.hidden")
    assert (event.object_type, event.object_id, json.loads(event.details)) == (None, None, {})


def test_the_hide_screen_button_posts_with_a_token(app: Flask) -> None:
    with app.test_request_context():
        html = render_template("screening/_neutral_button.html")
    assert 'action="/screenings/neutral-exit"' in html
    assert 'name="csrf_token"' in html
    assert "Hide screen" in html


def test_the_page_reads_the_flags_from_the_screening_never_from_the_address(
    screener: Client, page_of: Any
) -> None:
    # An address naming flags would put them in every access log beside the screening id.
    _id, url, _step = page_of("rf_injury_illness")
    page = main(screener.get(url + "&flags=rf_self_harm"))
    assert "Medical care needed" in page
    assert "Risk of suicide or self-harm" not in page
    assert 'value="rf_self_harm"' not in page
