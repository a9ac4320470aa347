"""Children's safeguards at intake: who is a child (people.is_child), what is kept in the clear
about it, the child's safety check (who is present, nobody linked to their exploiters), the
child's assent with a guardian's consent or a statutory basis, the consent script and the
points explained, on the web pages and in the API alike, never with a server error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask

from core import db
from core.cli import alembic_config, upgrade
from screening import people, retention
from screening.consent import EXPLAINED
from screening.models import Person, Screening
from tests.helpers import Account, Client, seal_audit
from tests.screening.payloads import CHILD_CONSENT, CHILD_SAFETY, body, child_body

SAFE = {
    "alone": "yes",
    "safe_to_talk": "yes",
    "child": "no",
    "language": "en",
    "interpreter_language": "",
    "interpreter_independent": "none",
}
CHILD_SAFE = {**SAFE, "alone": "", "child": "yes", "linked_present": "no", "present": ["guardian"]}
CONSENT = {"screening": "y", "storing": "y", "referral": "y", "explained": list(EXPLAINED)}
CHILD_YES = {**CONSENT, "assent": "y", "guardian_consent": "y"}
PERSON = {
    "given_name": "Canarychildweb",
    "age": "15",
    "age_source": "document",
    "exploitation": "labour",
}
EXPLAIN_EVERY_POINT = "Explain every point, then tick it."


@pytest.fixture
def token_for(accounts: dict[str, Account], issue_token: Any) -> Any:
    return lambda name: {"Authorization": f"Bearer {issue_token(accounts[name])}"}


@pytest.fixture
def post(client: Client, token_for: Any) -> Callable[[Any], Any]:
    """POST a screening through the API as the team's screener."""
    headers = token_for("screener")
    return lambda data: client.raw.post("/api/v1/screenings", json=data, headers=headers)


def stored(app: Flask) -> list[tuple[Person, dict[str, Any], dict[str, Any], str]]:
    """Each person with their screening's safety and consent JSON and instrument."""
    with app.app_context():
        store = db.session()
        rows = store.execute(
            sa.select(Person, Screening)
            .join(Screening, Screening.person_id == Person.id)
            .order_by(Screening.created_at)
        ).all()
        store.expunge_all()
        return [(p, s.safety, s.consent, s.instrument) for p, s in rows]


def count_people(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(Person)) or 0


# --- who is a child -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("possibly_minor", "age", "child"),
    [
        (True, 19, True),  # a claimed 18+ never lifts the presumption
        (True, None, True),
        (False, 17, True),
        (None, 17, True),
        (False, 18, False),
        (False, None, False),  # an unknown age alone makes no one a child
        (None, None, False),
    ],
)
def test_is_child_presumes_minority_from_the_flag_or_an_age_under_18(
    possibly_minor: bool | None, age: int | None, child: bool
) -> None:
    assert people.is_child(possibly_minor, age) is child


@pytest.mark.parametrize(
    ("changes", "flag", "source", "child"),
    [
        ({}, False, None, False),
        (
            {"subject": {"given_name": "Canaryapi", "age_source": "estimated"}},
            False,
            "estimated",
            False,
        ),  # no flag, no age: an adult, unless the child instrument is used
        (
            {
                "instrument": "child",
                "answers": {},
                "consent": CHILD_CONSENT,
                "subject": {"given_name": "Canaryapi"},
                "safety": {"alone": True, "safe_to_talk": True, "possibly_minor": False},
            },
            True,
            None,
            True,
        ),  # the child instrument marks the person possibly a minor
        (
            {
                "instrument": "child",
                "answers": {},
                "consent": CHILD_CONSENT,
                "safety": CHILD_SAFETY,
                "subject": {"given_name": "Canaryapi", "age": 19, "age_source": "claimed"},
            },
            True,
            "claimed",
            True,
        ),
    ],
)
def test_the_flag_and_age_source_are_kept_in_the_clear(
    app: Flask, post: Any, changes: dict[str, Any], flag: bool, source: str | None, child: bool
) -> None:
    assert post(body(**changes)).status_code == 201
    [(person, safety, _consent, _instrument)] = stored(app)
    assert (person.possibly_minor, person.age_source) == (flag, source)
    assert safety["possibly_minor"] is flag
    assert people.child_on_record(person) is child


def test_minority_outlives_shredding(app: Flask, post: Any, clock: Any) -> None:
    post(child_body(subject={"given_name": "Canaryshred", "age": 16, "age_source": "document"}))
    post(
        body(
            subject={"given_name": "Canaryadult", "age": 16},
            instrument="child",
            answers={},
            consent=CHILD_CONSENT,
            safety={**CHILD_SAFETY, "possibly_minor": False},
        )
    )
    with app.app_context():
        store = db.session()
        for person in store.scalars(sa.select(Person)):
            retention.shred(store, person, clock.now() + timedelta(days=1))
        store.commit()
        kept = {
            (p.possibly_minor, p.age_source, p.age_band, people.child_on_record(p))
            for p in store.scalars(sa.select(Person))
        }
    assert kept == {(True, "document", "12-17", True), (True, None, "12-17", True)}


def test_people_read_gives_back_the_age_source(app: Flask, post: Any) -> None:
    post(child_body())
    with app.app_context():
        store = db.session()
        person = store.scalar(sa.select(Person))
        assert person is not None
        assert people.read(store, person).age_source == "claimed"


def test_the_migration_marks_earlier_children_possibly_minor(app: Flask, post: Any) -> None:
    post(child_body(subject={"given_name": "Canarykid"}))  # no age: the instrument says it
    post(body())
    config = alembic_config(app)
    seal_audit(app)  # migration 0020 goes down only once every event is sealed
    command.downgrade(config, "0010")
    upgrade(app)
    flags = sorted(
        (instrument, person.possibly_minor) for person, _safety, _consent, instrument in stored(app)
    )
    assert flags == [("adult", False), ("child", True)]


# --- the safety check: who is present -----------------------------------------------------


def test_the_safety_page_asks_a_child_who_is_present(signed_in: Any) -> None:
    page = signed_in("screener").get("/screenings/new").get_data(as_text=True)
    assert "Is anyone present linked to the people who employ the child" in page
    for label in (
        "A parent or guardian",
        "An appointed representative or guardian ad litem",
        "A social worker",
        "Another adult the child trusts",
        "Nobody",
    ):
        assert label in page


def test_a_child_with_someone_linked_present_stops(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    response = client.post("/screenings/new", {**CHILD_SAFE, "linked_present": "yes"})
    assert response.location.endswith("/screenings/stop")
    assert client.get("/screenings/new/consent").location.endswith("/screenings/new")
    assert count_people(app) == 0


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"linked_present": "", "present": []}, 2),
        ({"present": ["nobody", "guardian"]}, 1),
        ({"child": "no", "alone": ""}, 1),  # an adult still answers "alone"
    ],
)
def test_the_presence_check_must_be_answered(
    signed_in: Any, changes: dict[str, Any], errors: int
) -> None:
    response = signed_in("screener").post("/screenings/new", {**CHILD_SAFE, **changes})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert page.count('class="error"') == errors
    if changes.get("present"):
        assert 'Tick who is present, or only "Nobody".' in page
    else:
        assert "Answer this question." in page


def test_a_child_with_a_guardian_present_is_screened_and_it_is_recorded(
    app: Flask, signed_in: Any
) -> None:
    client = signed_in("screener")
    assert client.post("/screenings/new", CHILD_SAFE).location.endswith("/new/consent")
    assert client.post("/screenings/new/consent", CHILD_YES).location.endswith("/new/person")
    started = client.post("/screenings/new/person", PERSON)
    assert "/ask" in started.location
    [(person, safety, consent, instrument)] = stored(app)
    assert instrument == "child"
    assert (person.possibly_minor, person.age_source) == (True, "document")
    assert safety == {
        "alone": False,
        "safe_to_talk": True,
        "interpreter_language": None,
        "interpreter_independent": None,
        "possibly_minor": True,
        "present": ["guardian"],
        "linked_present": False,
    }
    assert consent["child"] == {"assent": True, "guardian_consent": True, "basis": None}


def test_an_adult_keeps_the_alone_check(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    assert client.post("/screenings/new", {**SAFE, "alone": "no"}).location.endswith("/stop")
    client.post("/screenings/new", SAFE)
    client.post("/screenings/new/consent", CONSENT)
    client.post("/screenings/new/person", {**PERSON, "age": "30"})
    [(person, safety, consent, instrument)] = stored(app)
    assert (instrument, person.possibly_minor) == ("adult", False)
    assert (safety["alone"], safety["present"], safety["linked_present"]) == (True, None, None)
    assert "child" not in consent


@pytest.mark.parametrize(
    ("safety", "status", "fields"),
    [
        (
            {**CHILD_SAFETY, "linked_present": True},
            422,
            {
                "safety": "nobody linked to the people who employ, brought or control the child "
                "may be present, and it must be safe to talk"
            },
        ),
        (
            {**CHILD_SAFETY, "present": None},
            422,
            {
                "safety.present": "say who is present: guardian, representative, social_worker, "
                "trusted_adult, nobody"
            },
        ),
        (
            {**CHILD_SAFETY, "linked_present": None},
            422,
            {"safety.linked_present": "required for a child: true or false"},
        ),
        (
            {**CHILD_SAFETY, "present": ["nobody", "guardian"]},
            400,
            {"safety.present": "nobody cannot be combined with someone present"},
        ),
        (
            {**CHILD_SAFETY, "present": ["uncle"]},
            400,
            {
                "safety.present": "say who is present: guardian, representative, social_worker, "
                "trusted_adult, nobody"
            },
        ),
        (
            {**CHILD_SAFETY, "present": "guardian"},
            400,
            {
                "safety.present": "must list some of guardian, representative, social_worker, "
                "trusted_adult, nobody"
            },
        ),
        (
            {**CHILD_SAFETY, "present": [{"who": "guardian"}]},
            400,
            {
                "safety.present": "must list some of guardian, representative, social_worker, "
                "trusted_adult, nobody"
            },
        ),
        (
            {**CHILD_SAFETY, "linked_present": "no"},
            400,
            {"safety.linked_present": "must be true or false"},
        ),
    ],
)
def test_the_api_checks_who_is_present_for_a_child(
    app: Flask, post: Any, safety: dict[str, Any], status: int, fields: dict[str, str]
) -> None:
    response = post(child_body(safety={k: v for k, v in safety.items() if v is not None}))
    assert response.status_code == status
    assert response.get_json()["error"]["fields"] == fields
    assert count_people(app) == 0


def test_a_child_alone_through_the_api_is_recorded_with_nobody_present(
    app: Flask, post: Any
) -> None:
    safety = {"alone": True, "safe_to_talk": True, "possibly_minor": True}
    assert post(child_body(safety=safety)).status_code == 201
    [(_person, stored_safety, _consent, _instrument)] = stored(app)
    assert (stored_safety["present"], stored_safety["linked_present"]) == (["nobody"], False)


# --- a child's consent -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("child", "starts"),
    [
        ({"assent": "y", "guardian_consent": "y"}, True),
        ({"basis": "child_protection"}, True),
        ({"basis": "risk_to_life", "assent": "y"}, True),
        ({"assent": "y"}, False),
        ({"guardian_consent": "y"}, False),
        ({}, False),
    ],
)
def test_a_child_starts_on_assent_with_consent_or_a_statutory_basis(
    signed_in: Any, child: dict[str, str], starts: bool
) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", CHILD_SAFE)
    response = client.post("/screenings/new/consent", {**CONSENT, **child})
    if starts:
        assert response.location.endswith("/new/person")
    else:
        assert response.status_code == 422
        assert (
            "For a child, record their assent and the consent of a parent, guardian or "
            "representative, or the legal basis for going on without it."
            in response.get_data(as_text=True)
        )


def test_the_child_consent_is_asked_only_of_a_child(signed_in: Any) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    adult = client.get("/screenings/new/consent").get_data(as_text=True)
    assert "The child agrees to talk with you" not in adult
    client.post("/screenings/new", CHILD_SAFE)
    child = client.get("/screenings/new/consent").get_data(as_text=True)
    assert "The child agrees to talk with you" in child
    assert "Child protection: the child may be at risk of harm" in child


@pytest.mark.parametrize(
    ("consent", "status", "fields"),
    [
        (
            {"screening": True},
            422,
            {
                "consent.child": (
                    "the child's assent with a guardian's or representative's consent, "
                    "or a legal basis (child_protection, risk_to_life)"
                )
            },
        ),
        (
            {"screening": True, "child": {"assent": True}},
            422,
            {
                "consent.child": (
                    "the child's assent with a guardian's or representative's consent, "
                    "or a legal basis (child_protection, risk_to_life)"
                )
            },
        ),
        (
            {"screening": True, "child": {"assent": "yes"}},
            400,
            {"consent.child.assent": "must be true or false"},
        ),
        (
            {"screening": True, "child": {"basis": "police"}},
            400,
            {"consent.child.basis": "must be one of child_protection, risk_to_life"},
        ),
        (
            {"screening": True, "child": {"assent": True, "parent": True}},
            400,
            {"consent.child.parent": "unknown field"},
        ),
        (
            {"screening": True, "child": True},
            400,
            {"consent.child": "must be an object with assent, guardian_consent, basis"},
        ),
        (
            {"screening": True, "child": [1]},
            400,
            {"consent.child": "must be an object with assent, guardian_consent, basis"},
        ),
    ],
)
def test_the_api_refuses_a_child_without_assent_and_consent_or_basis(
    app: Flask, post: Any, consent: dict[str, Any], status: int, fields: dict[str, str]
) -> None:
    response = post(child_body(consent=consent))
    assert response.status_code == status
    assert response.get_json()["error"]["fields"] == fields
    assert count_people(app) == 0


@pytest.mark.parametrize(
    "child",
    [
        {"assent": True, "guardian_consent": True},
        {"assent": False, "guardian_consent": False, "basis": "risk_to_life"},
        {"basis": "child_protection"},
    ],
)
def test_the_api_records_a_childs_consent(app: Flask, post: Any, child: dict[str, Any]) -> None:
    assert post(child_body(consent={"screening": True, "child": child})).status_code == 201
    [(_person, _safety, consent, _instrument)] = stored(app)
    assert consent["child"] == {"assent": False, "guardian_consent": False, "basis": None, **child}


def test_a_child_who_cannot_say_when_is_handed_over_urgent_through_the_api(post: Any) -> None:
    answers = {
        "rf_in_danger_now": "no",
        "rf_controller_nearby": "no",
        "rf_cannot_leave": "no",
        "rf_injury_illness": "no",
        "a5": "yes",
        "rf_detention_or_removal": "no",
        "rf_child_separated": "no",
        "ec_excessive_hours": "no",
        "b2": "no",
        "b3": "no",
        "violence": "yes",
        "violence_when": "unknown",
    }
    # Stopped at the disclosure: the violence's red-flag follow-ups come first (safety
    # first), then the hand-over; urgent already.
    draft = post(child_body(answers=answers, complete=False))
    assert draft.status_code == 201
    assert (draft.get_json()["next"]["kind"], draft.get_json()["next"]["key"]) == (
        "followup",
        "rf_recent_violence",
    )
    answers |= {"rf_recent_violence": "no", "rf_sexual_assault": "no"}
    draft = post(child_body(answers=answers, complete=False))
    assert (draft.get_json()["next"]["kind"], draft.get_json()["urgent"]) == ("handover", True)
    done = post(child_body(answers={**answers, "handover": "done"}))
    assert done.status_code == 201
    result = done.get_json()["result"]
    assert (result["urgent"], result["route"], result["lower_bound"]) == (
        True,
        "child_protection",
        True,
    )


def test_a_hand_over_without_a_disclosure_is_refused_in_one_call_and_in_a_draft(
    app: Flask, post: Any, client: Client, token_for: Any
) -> None:
    # Nothing was disclosed, so no hand-over was offered: a "done" cannot end a child's
    # screening before a single question and pass as "no indicators".
    refused = post(child_body(answers={"handover": "done"}))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "answers.handover": "not offered: nothing was disclosed"
    }
    assert count_people(app) == 0
    draft = post(child_body(complete=False))
    url = f"/api/v1/screenings/{draft.get_json()['id']}"
    saved = client.raw.post(
        f"{url}/answers", json={"answers": {"handover": "done"}}, headers=token_for("screener")
    )
    assert saved.status_code == 422
    asked = client.raw.get(f"{url}/next", headers=token_for("screener")).get_json()["next"]
    assert (asked["kind"], asked["key"]) == ("gate", "rf_in_danger_now")


def test_a_child_is_not_screened_with_the_adult_instrument(app: Flask, post: Any) -> None:
    response = post(body(subject={"given_name": "Canaryapi", "age": 15}))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "instrument": "a child (under 18, or possibly a minor) is screened with the child "
        "instrument",
        "consent.child": "the child's assent with a guardian's or representative's consent, "
        "or a legal basis (child_protection, risk_to_life)",
    }
    assert count_people(app) == 0


def test_an_age_under_18_switches_to_the_child_questions(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    client.post("/screenings/new/consent", CONSENT)
    back = client.post("/screenings/new/person", {**PERSON, "age": "16"})
    assert back.location.endswith("/screenings/new/consent")
    assert count_people(app) == 0
    page = client.get(back.location).get_data(as_text=True)
    assert "The age given is under 18: the questions for children will be used." in page
    assert "The child agrees to talk with you" in page
    assert client.post("/screenings/new/consent", CHILD_YES).location.endswith("/new/person")
    assert "/ask" in client.post("/screenings/new/person", {**PERSON, "age": "16"}).location
    [(person, safety, consent, instrument)] = stored(app)
    assert (instrument, person.possibly_minor) == ("child", True)
    assert (safety["present"], safety["linked_present"]) == (["nobody"], False)
    assert consent["child"]["guardian_consent"] is True


# --- the script and what was explained ----------------------------------------------------


@pytest.mark.parametrize(
    ("safety", "phrase"),
    [
        ({**SAFE, "language": "fr"}, "Je travaille pour Passage, un service confidentiel"),
        ({**SAFE, "language": "es"}, "Trabajo para Passage, un servicio confidencial"),
        ({**CHILD_SAFE, "language": "en"}, "An adult you trust can stay with you while we talk."),
        ({**CHILD_SAFE, "language": "fr"}, "Un adulte en qui tu as confiance peut rester"),
    ],
)
def test_the_consent_page_shows_the_script_in_the_interview_language(
    signed_in: Any, safety: dict[str, Any], phrase: str
) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", safety)
    page = client.get("/screenings/new/consent").get_data(as_text=True)
    assert phrase in page.replace("&#39;", "'")
    assert f'lang="{safety["language"]}"' in page


@pytest.mark.parametrize("explained", [[], list(EXPLAINED[:-1]), ["purpose"]])
def test_the_screening_cannot_start_before_every_point_is_explained(
    app: Flask, signed_in: Any, explained: list[str]
) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    response = client.post("/screenings/new/consent", {**CONSENT, "explained": explained})
    assert response.status_code == 422
    assert EXPLAIN_EVERY_POINT in response.get_data(as_text=True)
    assert client.get("/screenings/new/person").location.endswith("/screenings/new")
    assert count_people(app) == 0


def test_what_was_explained_is_recorded_with_the_script_version(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    client.post("/screenings/new", SAFE)
    client.post("/screenings/new/consent", CONSENT)
    client.post("/screenings/new/person", {**PERSON, "age": "40"})
    [(_person, _safety, consent, _instrument)] = stored(app)
    assert consent["explained"] == [
        "purpose",
        "voluntary",
        "kept_and_seen",
        "sharing",
        "not_police",
    ]
    assert consent["script_version"] == "consent-script/1"


@pytest.mark.parametrize(
    ("consent", "status", "fields"),
    [
        (
            {"explained": ["purpose", "voluntary", "kept_and_seen", "sharing"]},
            422,
            {"consent.explained": "explain every point first: not_police"},
        ),
        (
            {"explained": ["purpose", "magic"]},
            400,
            {
                "consent.explained": (
                    "must list points among purpose, voluntary, kept_and_seen, sharing, not_police"
                )
            },
        ),
        (
            {"explained": "all"},
            400,
            {
                "consent.explained": (
                    "must list points among purpose, voluntary, kept_and_seen, sharing, not_police"
                )
            },
        ),
        (
            {"explained": list(EXPLAINED), "script_version": 3},
            400,
            {"consent.script_version": "must be text of at most 32 characters"},
        ),
    ],
)
def test_the_api_checks_what_was_explained(
    app: Flask, post: Any, consent: dict[str, Any], status: int, fields: dict[str, str]
) -> None:
    response = post(body(consent={"screening": True, **consent}))
    assert response.status_code == status
    assert response.get_json()["error"]["fields"] == fields


def test_the_api_records_what_was_explained_and_stays_compatible(app: Flask, post: Any) -> None:
    assert post(body()).status_code == 201
    assert (
        post(
            body(
                consent={
                    "screening": True,
                    "explained": list(EXPLAINED),
                    "script_version": "consent-script/1",
                }
            )
        ).status_code
        == 201
    )
    # Both were created at the same (frozen) moment: tell them apart by content, not order.
    consents = [row[2] for row in stored(app)]
    assert len(consents) == 2
    assert [c for c in consents if "explained" not in c] != []
    [newer] = [c for c in consents if "explained" in c]
    assert (newer["explained"], newer["script_version"]) == (list(EXPLAINED), "consent-script/1")


@pytest.mark.parametrize(
    "subject", [{"given_name": "A", "age_source": "guess"}, {"given_name": "A", "age_source": 1}]
)
def test_a_bad_age_source_gets_a_field_error(post: Any, subject: dict[str, Any]) -> None:
    response = post(body(subject=subject))
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {
        "subject.age_source": "must be one of document, claimed, estimated"
    }


FIRST_QUESTION = "Right now, do you feel you are in danger?"
FIRST_QUESTION_YOUNGER = (
    "Right now, do you feel in danger? Do you feel that someone or something could hurt you?"
)
NO_DANGER = {"rf_in_danger_now": "no", "rf_controller_nearby": "no", "rf_cannot_leave": "no"}


@pytest.mark.parametrize(
    ("subject", "language", "answers", "question"),
    [
        ({"age": 9, "age_source": "estimated"}, "en", {}, FIRST_QUESTION_YOUNGER),
        ({"age": 11, "age_source": "claimed"}, "en", {}, FIRST_QUESTION_YOUNGER),
        ({"age": 12, "age_source": "document"}, "en", {}, FIRST_QUESTION),
        ({"age_source": "estimated"}, "en", {}, FIRST_QUESTION),  # no age: the usual words
        (
            {"age": 9, "age_source": "estimated", "sex": "female"},
            "fr",
            NO_DANGER,
            "Est-ce que tu as besoin d'un médecin ou d'une infirmière aujourd'hui, "
            "parce que tu es blessée ou malade ?",
        ),
        (
            {"age": 9, "age_source": "estimated", "sex": "male"},
            "fr",
            NO_DANGER,
            "Est-ce que tu as besoin d'un médecin ou d'une infirmière aujourd'hui, "
            "parce que tu es blessé ou malade ?",
        ),
        (
            {"age": 15, "age_source": "claimed", "sex": "female"},
            "fr",
            NO_DANGER,
            "Est-ce que tu es blessée ou malade, et tu as besoin d'un médecin ou d'une "
            "infirmière aujourd'hui ?",
        ),
    ],
)
def test_a_child_under_12_hears_the_simpler_wording(
    post: Any, subject: dict[str, Any], language: str, answers: dict[str, str], question: str
) -> None:
    draft = post(
        child_body(
            language=language,
            subject={"given_name": "Canaryyoung", **subject},
            answers=answers,
            complete=False,
        )
    )
    assert draft.status_code == 201, draft.get_json()
    assert draft.get_json()["next"]["question"] == question
