"""Two requests, or a request and a command, on the same records at the same moment
(docs/architecture.md, Transactions): whichever commits first, nothing is done twice, lost,
left half-done, or written into a state that no longer allows it, and no run fails.

Races are interleaved deterministically: an engine listener runs the competing request in a
thread of its own, to its commit, at the exact statement of the first (as in
tests/referral/test_send_after_handover.py). They need PostgreSQL, where two transactions
really overlap; SQLite queues every writer from its BEGIN IMMEDIATE.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from tests.helpers import Account, Client
from tests.referral.conftest import FULL_CONSENT
from tests.screening.payloads import body


def postgres_only(app: Flask) -> Any:
    engine = app.extensions["passage.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite queues writers from BEGIN IMMEDIATE: nothing can come between")
    return engine


@contextmanager
def meanwhile(
    engine: Any, matches: Callable[[str], bool], other: Callable[[], Any]
) -> Iterator[list[Any]]:
    """While the block runs, the first statement of *this* thread that ``matches`` first
    lets ``other`` run in a thread of its own (to its end, unless it waits for a lock this
    thread holds); ``"fired"`` and then its result are listed."""
    done: list[Any] = []
    me = threading.get_ident()

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if done or threading.get_ident() != me or not matches(statement):
            return
        done.append("fired")

        def run() -> None:
            try:
                done.append(other())
            except BaseException as error:  # noqa: BLE001 - shown in the assertion
                done.append(error)

        worker = threading.Thread(target=run)
        workers.append(worker)
        worker.start()
        # The other request may wait for a lock this one holds: then it finishes after
        # this one commits.
        worker.join(5)

    workers: list[threading.Thread] = []
    sa.event.listen(engine, "before_cursor_execute", hook)
    try:
        yield done
    finally:
        sa.event.remove(engine, "before_cursor_execute", hook)
        for worker in workers:
            worker.join(30)


def caller(app: Flask, clock: Any, token: str) -> Callable[..., Any]:
    """An API caller of its own (a test client per thread)."""

    def call(method: str, url: str, json: Any = None) -> Any:
        return Client(app, clock).raw.open(
            f"/api/v1{url}", method=method, json=json, headers={"Authorization": f"Bearer {token}"}
        )

    return call


def stored_answers(app: Flask, screening_id: str) -> tuple[str, dict[str, str]]:
    from screening import services
    from screening.models import Screening

    with app.app_context():
        store = db.session()
        screening = store.get(Screening, uuid.UUID(screening_id))
        assert screening is not None
        return screening.status, services.answers(store, screening)


# 1. An answer saved into a screening that completed meanwhile.


def test_an_answer_racing_completion_does_not_change_a_completed_screening(
    app: Flask,
    clock: Any,
    partners: None,
    accounts: dict[str, Account],
    issue_token: Any,
) -> None:
    engine = postgres_only(app)
    call = caller(app, clock, issue_token(accounts["screener"]))
    made = call("POST", "/screenings", body(answers={}, complete=False))
    assert made.status_code == 201, made.get_json()
    screening_id = made.get_json()["id"]

    # The answer's request has read the draft (still a draft) and is about to write it,
    # when the colleague's "complete" runs to its commit.
    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("UPDATE screenings"),
        lambda: call("POST", f"/screenings/{screening_id}/complete").status_code,
    ) as done:
        saved = call(
            "POST", f"/screenings/{screening_id}/answers", {"answers": {"rf_in_danger_now": "yes"}}
        )
    assert done[0] == "fired"
    status, answers = stored_answers(app, screening_id)
    # The answer holds the draft's lock (services.lock_draft), so the completion waits for
    # it and then finds a red flag waiting for its action: refused, the screening stays a
    # draft. Never a completed screening holding a red flag that was never scored.
    assert (saved.status_code, done[1], status) == (200, 409, "draft"), saved.get_json()
    assert answers == {"rf_in_danger_now": "yes"}


# 2. A retention run and a referral sent at the same moment.


def send_referral(app: Flask, clock: Any, token: str, case_id: str) -> Callable[[], int]:
    call = caller(app, clock, token)
    return lambda: (
        call(
            "POST",
            f"/cases/{case_id}/referrals",
            {"partner": "org-a", "services": ["shelter"], "share": ["given_name"]},
        ).status_code
    )


def case_state(app: Flask, case_id: str) -> tuple[str, Any, list[tuple[str, bool]]]:
    from referral.models import Case, Referral
    from screening.models import Person

    with app.app_context():
        store = db.session()
        case = store.get(Case, uuid.UUID(case_id))
        assert case is not None
        person = store.get(Person, case.person_id)
        assert person is not None
        made = store.scalars(sa.select(Referral).where(Referral.case_id == case.id)).all()
        return case.status, person.shredded_at, [(r.state, r.packet is not None) for r in made]


def test_retention_does_not_shred_a_record_worked_on_after_the_run_listed_it(
    app: Flask,
    clock: Any,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    issue_token: Any,
) -> None:
    engine = postgres_only(app)
    case_id = open_case(consent=FULL_CONSENT)
    clock.advance(days=app.config["RETENTION_DAYS"] + 1)  # the record is due
    send = send_referral(app, clock, issue_token(accounts["screener"]), case_id)

    # The run has listed who is due; before it reads this person, the screener refers the
    # case (people.touch: the record's retention starts again from today) and commits.
    with meanwhile(engine, lambda s: "FROM people" in s and "people.id = " in s, send) as done:
        ran = app.test_cli_runner().invoke(args=["retention", "apply"])
    assert ran.exit_code == 0, ran.output
    assert done[0] == "fired"
    status, shredded_at, made = case_state(app, case_id)
    # The record was worked on: its retention date is two years away, so it is kept
    # (retention.still_due, asked again under the locks).
    assert (status, shredded_at) == ("active", None), made


def test_a_referral_sent_while_retention_closes_the_case_is_not_left_open(
    app: Flask,
    clock: Any,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    issue_token: Any,
) -> None:
    engine = postgres_only(app)
    case_id = open_case(consent=FULL_CONSENT)
    clock.advance(days=app.config["RETENTION_DAYS"] + 1)
    send = send_referral(app, clock, issue_token(accounts["screener"]), case_id)

    # close_for_retention holds the case's lock while it reads the referrals and closes
    # the case: the send waits for it, then finds the case closed.
    with meanwhile(engine, lambda s: s.lstrip().startswith("UPDATE cases"), send) as done:
        ran = app.test_cli_runner().invoke(args=["retention", "apply"])
    assert ran.exit_code == 0, ran.output
    assert done[0] == "fired"
    status, shredded_at, made = case_state(app, case_id)
    # No referral is left open, and no partner keeps a packet of a shredded person.
    assert [m for m in made if m[0] in ("pending", "accepted") or m[1]] == [], done


# 3. `referrals escalate` run twice at once ("safe to run from cron as often as wanted").


def escalate(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["referrals", "escalate"])


def notices_of(app: Flask, kind: str) -> int:
    from referral.models import Notice

    with app.app_context():
        return (
            db.session().scalar(
                sa.select(sa.func.count()).select_from(Notice).where(Notice.kind == kind)
            )
            or 0
        )


def test_two_overlapping_escalations_tell_the_supervisors_of_an_overdue_referral_once(
    app: Flask, clock: Any, referral: Callable[..., str]
) -> None:
    engine = postgres_only(app)
    referral()
    clock.advance(hours=73)  # past the 72 hours of a normal referral, not yet expired
    # The cron run of a minute ago is still marking overdue referrals when the next starts:
    # both selected the referral while overdue_at was empty; the mark asks again, in the
    # database, so only one of them tells anyone.
    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("UPDATE referrals") and "overdue_at" in s,
        lambda: escalate(app).output,
    ) as done:
        first = escalate(app)
    assert first.exit_code == 0, first.output
    assert done[0] == "fired"
    # One supervisor in Team A: one notice for one overdue referral.
    assert notices_of(app, "referral.overdue") == 1, (done, first.output)


def test_an_escalation_that_loses_the_race_to_expire_a_referral_does_not_crash(
    app: Flask, clock: Any, referral: Callable[..., str]
) -> None:
    engine = postgres_only(app)
    referral()
    clock.advance(days=8)  # past the expiry period
    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("UPDATE referrals") and "state" in s,
        lambda: escalate(app).output,
    ) as done:
        first = escalate(app)
    assert done[0] == "fired"
    # The second run's expiry committed first; the first run finds nothing left to expire
    # and goes on.
    assert first.exit_code == 0, (first.output, repr(first.exception))


# 4. The person form sent twice on a slow connection.

SAFE = {
    "alone": "yes",
    "safe_to_talk": "yes",
    "child": "no",
    "language": "en",
    "interpreter_language": "",
    "interpreter_independent": "none",
}
PERSON = {"given_name": "Canarytwice", "family_name": "Persontwice", "age": "31"}


def test_the_person_form_sent_twice_registers_the_person_once(
    app: Flask, clock: Any, signed_in: Callable[[str], Client]
) -> None:
    from screening import consent as consents
    from screening.models import Person, Screening

    engine = postgres_only(app)
    browser = signed_in("screener")
    assert browser.post("/screenings/new", SAFE).location == "/screenings/new/consent"
    agreed = {
        "screening": "y",
        "storing": "y",
        "referral": "y",
        "statistics": "y",
        "explained": list(consents.EXPLAINED),
    }
    assert browser.post("/screenings/new/consent", agreed).location == "/screenings/new/person"
    from tests.helpers import csrf_from

    form = {"csrf_token": csrf_from(browser.raw.get("/screenings/new/person")), **PERSON}
    # The same browser (the same cookie) sends the form again while the first is writing.
    again = app.test_client()
    again.set_cookie(app.config["SESSION_COOKIE_NAME"], browser.cookie() or "")

    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("INSERT INTO people"),
        lambda: again.post("/screenings/new/person", data=form).status_code,
    ) as done:
        first = browser.raw.post("/screenings/new/person", data=form)
    assert first.status_code == 302
    assert done[0] == "fired"
    with app.app_context():
        store = db.session()
        people_ = store.scalar(sa.select(sa.func.count()).select_from(Person))
        drafts = store.scalar(sa.select(sa.func.count()).select_from(Screening))
    # One record and one draft from one form, sent twice (Screening.start_key).
    assert (people_, drafts) == (1, 1), done


# 5. Two answers saved into one draft at once: each merges under the draft's lock.


def test_two_answers_saved_at_once_are_both_kept(
    app: Flask,
    clock: Any,
    partners: None,
    accounts: dict[str, Account],
    issue_token: Any,
) -> None:
    engine = postgres_only(app)
    call = caller(app, clock, issue_token(accounts["screener"]))
    made = call("POST", "/screenings", body(answers={}, complete=False))
    screening_id = made.get_json()["id"]
    url = f"/screenings/{screening_id}/answers"
    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("UPDATE screenings"),
        lambda: call("POST", url, {"answers": {"rf_in_danger_now": "yes"}}).status_code,
    ) as done:
        saved = call("POST", url, {"answers": {"rf_controller_nearby": "no"}})
    assert (saved.status_code, done) == (200, ["fired", 200])
    # Both answers are kept: the second waited for the first's lock and merged into what
    # the first committed.
    assert stored_answers(app, screening_id)[1] == {
        "rf_controller_nearby": "no",
        "rf_in_danger_now": "yes",
    }


# 6. A retention run that meets a partner's answer.


def test_a_partner_accepting_during_a_retention_run_does_not_abort_the_run(
    app: Flask,
    clock: Any,
    referral: Callable[..., str],
    accounts: dict[str, Account],
    issue_token: Any,
) -> None:
    from screening.models import Person

    engine = postgres_only(app)
    referral_id = referral()
    clock.advance(days=app.config["RETENTION_DAYS"] + 1)  # due, the referral still pending
    partner = caller(app, clock, issue_token(accounts["partner"]))
    # close_for_retention is about to revoke the pending referral when the partner accepts:
    # the answer takes the case's lock first (as retention did), waits, then finds the
    # referral withdrawn.
    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("UPDATE referrals") and "state" in s,
        lambda: partner("POST", f"/referrals/{referral_id}/accept").status_code,
    ) as done:
        ran = app.test_cli_runner().invoke(args=["retention", "apply"])
    assert done[0] == "fired"
    with app.app_context():
        left = db.session().scalar(
            sa.select(sa.func.count()).select_from(Person).where(Person.shredded_at.is_(None))
        )
    # The run ends normally and shreds everyone due.
    assert (ran.exit_code, left) == (0, 0), (done, repr(ran.exception))


def test_an_escalation_does_not_mark_overdue_a_referral_accepted_meanwhile(
    app: Flask,
    clock: Any,
    referral: Callable[..., str],
    accounts: dict[str, Account],
    issue_token: Any,
) -> None:
    from referral.models import Referral

    engine = postgres_only(app)
    referral_id = referral()
    clock.advance(hours=73)
    partner = caller(app, clock, issue_token(accounts["partner"]))
    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("UPDATE referrals") and "overdue_at" in s,
        lambda: partner("POST", f"/referrals/{referral_id}/accept").status_code,
    ) as done:
        ran = escalate(app)
    assert ran.exit_code == 0
    assert done[0] == "fired"
    with app.app_context():
        row = db.session().get(Referral, uuid.UUID(referral_id))
        assert row is not None
        state, overdue_at = row.state, row.overdue_at
    # The partner answered in time for the run that read it pending: no overdue mark, and
    # nobody is told it is overdue.
    assert (state, overdue_at, notices_of(app, "referral.overdue")) == ("accepted", None, 0), done
