"""Follow-up tasks on a case (``referral.tasks``, ``tasks remind``): added on an open case for
its owner or a supervisor of its team, listed on the case (an audited read of sealed titles)
and under "My follow-ups" (no titles), marked done by the assignee, the owner or the team's
supervisor with their authority asked at every use; reminders on the day and once overdue,
once each, to the team's supervisors when the assignee cannot act; what to do never leaves
the case page."""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import services, teams
from access.models import AuditEvent, User
from core import clock as app_clock
from core import db
from core.clock import FrozenClock
from referral import cases, tasks
from referral.models import Case, CaseTask, Notice, OutboxMessage
from tests.helpers import Account, Client, error_of, raw_database_bytes

TITLE = "Call back about the canary-task-title shelter place"
TODAY = date(2026, 3, 2)  # the test clock's day


@pytest.fixture
def case_id(open_case: Callable[..., str]) -> str:
    """A case of Team A owned by the ``screener`` account."""
    return open_case()


def add(
    client: Client, case_id: str, assignee: Any, title: str = TITLE, due: str = "2026-03-05"
) -> Any:
    return client.post(
        f"/cases/{case_id}/tasks",
        {"title": title, "due_on": due, "assignee": str(assignee)},
        form_page=f"/cases/{case_id}",
    )


def task_rows(app: Flask) -> list[CaseTask]:
    with app.app_context():
        # The test clock stands still: the due date keeps the order the same on every database.
        return list(
            db.session().scalars(sa.select(CaseTask).order_by(CaseTask.created_at, CaseTask.due_on))
        )


def only_task(app: Flask) -> CaseTask:
    [row] = task_rows(app)
    return row


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session().scalars(
                sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def notices_of(app: Flask) -> list[tuple[str, str, str | None]]:
    """(user id, kind, case id) of every notice, oldest first."""
    with app.app_context():
        return [
            (str(n.user_id), n.kind, str(n.case_id) if n.case_id else None)
            for n in db.session().scalars(sa.select(Notice).order_by(Notice.created_at))
        ]


def service_add(
    app: Flask, account: Account, case_id: str, assignee: Any, due: date = TODAY, title: str = TITLE
) -> uuid.UUID:
    with app.app_context():
        store = db.session()
        user = services.get_user(store, account.id)
        case = cases.get(store, user, uuid.UUID(case_id), "cases.manage")
        task = tasks.add(store, user, case, title, due, uuid.UUID(str(assignee)), app_clock.now())
        store.commit()
        return task.id


def remind(app: Flask) -> dict[str, int]:
    with app.app_context():
        store = db.session()
        now = app_clock.now()
        counts = tasks.remind(store, now.date(), now)
        store.commit()
        return counts


def set_status(app: Flask, case_id: str, status: str) -> None:
    with app.app_context():
        store = db.session()
        case = store.get(Case, uuid.UUID(case_id))
        assert case is not None
        case.status = status
        store.commit()


def page_title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert match
    return match.group(1)


# Adding, listing, completing


def test_a_follow_up_is_added_listed_and_done(
    app: Flask, case_id: str, signed_in: Callable[[str], Client], accounts: dict[str, Account]
) -> None:
    client = signed_in("screener")
    me = accounts["screener"].id
    added = add(client, case_id, me)
    assert added.status_code == 302
    assert added.location.endswith(f"/cases/{case_id}#tasks")
    task = only_task(app)
    assert (task.assignee_id, task.created_by, task.due_on, task.done_at) == (
        me,
        me,
        date(2026, 3, 5),
        None,
    )
    [event] = events(app, "case.task_added")
    assert event.object_id == case_id
    assert json.loads(event.details) == {
        "task": str(task.id),
        "assignee": str(me),
        "due_on": "2026-03-05",
    }

    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert TITLE in page
    assert "Mark done" in page
    assert json.loads(events(app, "case.tasks_read")[-1].details) == {"count": 1}

    mine = client.get("/tasks/")
    assert mine.status_code == 200
    listed = mine.get_data(as_text=True)
    assert f"/cases/{case_id}#tasks" in listed
    assert "canary-task-title" not in listed  # the list holds no personal data

    done = client.post(f"/cases/{case_id}/tasks/{task.id}/done", form_page=f"/cases/{case_id}")
    assert done.status_code == 302
    assert only_task(app).done_at is not None
    [finished] = events(app, "case.task_done")
    assert json.loads(finished.details) == {"task": str(task.id)}
    assert f"/cases/{case_id}" not in client.get("/tasks/").get_data(as_text=True)
    again = client.post(f"/cases/{case_id}/tasks/{task.id}/done", form_page=f"/cases/{case_id}")
    assert again.status_code == 302  # a second click changes nothing
    assert len(events(app, "case.task_done")) == 1


def test_open_follow_ups_come_first_by_due_date_then_the_done_ones(
    app: Flask, case_id: str, accounts: dict[str, Account]
) -> None:
    me = accounts["screener"]
    late = service_add(app, me, case_id, me.id, date(2026, 3, 9), "later one")
    soon = service_add(app, me, case_id, me.id, date(2026, 3, 3), "sooner one")
    finished = service_add(app, me, case_id, me.id, date(2026, 3, 2), "finished one")
    with app.app_context():
        store = db.session()
        user = services.get_user(store, me.id)
        assert tasks.complete(store, user, finished, app_clock.now()) is True
        case = store.get(Case, uuid.UUID(case_id))
        assert case is not None
        shown = tasks.tasks_of(store, case)
        store.commit()
    assert [(t.id, t.title) for t in shown] == [
        (soon, "sooner one"),
        (late, "later one"),
        (finished, "finished one"),
    ]


def test_the_owner_or_a_supervisor_of_the_team_may_be_given_one(
    app: Flask,
    case_id: str,
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
    make_account: Callable[..., Account],
) -> None:
    colleague = make_account("screener", team="Team A")  # not in charge of this case
    client = signed_in("screener")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert accounts["supervisor"].email in page
    assert colleague.email not in page
    assert accounts["supervisor_b"].email not in page
    assert add(client, case_id, accounts["supervisor"].id).status_code == 302
    assert only_task(app).assignee_id == accounts["supervisor"].id
    # Offered or not, the service refuses anyone else, field by field.
    for outsider in (
        accounts["supervisor_b"],
        accounts["screener_b"],
        colleague,
        accounts["partner"],
    ):
        with pytest.raises(tasks.TaskError) as refused:
            service_add(app, accounts["screener"], case_id, outsider.id)
        assert set(refused.value.fields) == {"assignee"}
    with pytest.raises(tasks.TaskError):
        service_add(app, accounts["screener"], case_id, uuid.uuid4())
    assert len(task_rows(app)) == 1


def test_a_disabled_supervisor_cannot_be_given_one(
    app: Flask, case_id: str, accounts: dict[str, Account], clock: FrozenClock
) -> None:
    with app.app_context():
        store = db.session()
        services.disable_user(store, store.get(User, accounts["supervisor"].id), clock.now())
        store.commit()
    with pytest.raises(tasks.TaskError) as refused:
        service_add(app, accounts["screener"], case_id, accounts["supervisor"].id)
    assert refused.value.fields == {
        "assignee": "Choose the person in charge of the case or a supervisor of its team."
    }


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"due_on": "2026-03-01"}, 422, "due_on"),  # yesterday
        ({"title": ""}, 400, "title"),
        ({"title": "   "}, 422, "title"),
        ({"title": "x" * 301}, 400, "title"),
        ({"due_on": "2026-02-30"}, 400, "due_on"),
        ({"due_on": "next tuesday"}, 400, "due_on"),
        ({"due_on": ""}, 400, "due_on"),
        ({"assignee": str(uuid.uuid4())}, 400, "assignee"),  # not among those offered
        ({"assignee": "not-a-uuid"}, 400, "assignee"),
        ({"assignee": ""}, 400, "assignee"),
    ],
)
def test_bad_input_answers_with_form_errors_and_adds_nothing(
    app: Flask,
    case_id: str,
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
    data: dict[str, str],
    status: int,
    field: str,
) -> None:
    client = signed_in("screener")
    form = {
        "title": TITLE,
        "due_on": "2026-03-05",
        "assignee": str(accounts["screener"].id),
        **data,
    }
    response = client.post(f"/cases/{case_id}/tasks", form, form_page=f"/cases/{case_id}")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    if status == 422:  # refused by the service, said in its words on the field
        assert (
            error_of(page, field)
            == {
                "due_on": "Choose today or a later day.",
                "title": "Write what is to be done, in at most 300 characters.",
            }[field]
        )
    assert task_rows(app) == []


@pytest.mark.parametrize("due", ["2031-03-03", "9999-12-31"])
def test_a_due_date_more_than_five_years_ahead_is_refused(
    app: Flask,
    case_id: str,
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
    due: str,
) -> None:
    response = add(signed_in("screener"), case_id, accounts["screener"].id, due=due)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_of(page, "due_on") == "Choose a day at most 5 years ahead."
    assert task_rows(app) == []


def test_the_service_refuses_a_due_date_past_its_bound_whoever_calls_it(
    app: Flask, case_id: str, accounts: dict[str, Account]
) -> None:
    with pytest.raises(tasks.TaskError) as refused:
        service_add(app, accounts["screener"], case_id, accounts["screener"].id, date(9999, 12, 31))
    assert {k: str(v) for k, v in refused.value.fields.items()} == {
        "due_on": "Choose a day at most 5 years ahead."
    }
    assert task_rows(app) == []


def test_a_due_date_five_years_ahead_is_allowed(
    app: Flask, case_id: str, signed_in: Callable[[str], Client], accounts: dict[str, Account]
) -> None:
    client = signed_in("screener")
    assert add(client, case_id, accounts["screener"].id, due="2031-03-02").status_code == 302
    assert only_task(app).due_on == date(2031, 3, 2)


def test_today_is_a_due_date_allowed(
    app: Flask, case_id: str, signed_in: Callable[[str], Client], accounts: dict[str, Account]
) -> None:
    client = signed_in("screener")
    assert add(client, case_id, accounts["screener"].id, due="2026-03-02").status_code == 302
    assert only_task(app).due_on == TODAY


# Who may


def test_other_roles_are_refused_and_another_teams_staff_find_nothing(
    app: Flask, case_id: str, new_client: Callable[[], Client], accounts: dict[str, Account]
) -> None:
    task_id = service_add(app, accounts["screener"], case_id, accounts["screener"].id)
    for role in ("partner", "auditor", "analyst", "admin"):
        client = new_client()
        client.sign_in(accounts[role])
        assert client.get("/tasks/").status_code == 403, role
        assert add(client, case_id, accounts[role].id).status_code == 403, role
        assert (
            client.post(f"/cases/{case_id}/tasks/{task_id}/done", form_page="/").status_code == 403
        ), role
    for outsider in ("screener_b", "supervisor_b"):
        client = new_client()
        client.sign_in(accounts[outsider])
        assert add(client, case_id, accounts[outsider].id).status_code == 404, outsider
        assert (
            client.post(f"/cases/{case_id}/tasks/{task_id}/done", form_page="/").status_code == 404
        ), outsider
        assert (
            client.post(f"/cases/{case_id}/tasks/{uuid.uuid4()}/done", form_page="/").status_code
            == 404
        ), outsider
        assert case_id not in client.get("/tasks/").get_data(as_text=True)
    assert only_task(app).done_at is None
    denied = [e for e in events(app, "access.denied") if e.object_id == str(task_id)]
    assert {e.actor_id for e in denied} == {
        str(accounts["screener_b"].id),
        str(accounts["supervisor_b"].id),
    }


def test_a_task_is_done_only_through_its_own_case(
    app: Flask,
    open_case: Callable[..., str],
    case_id: str,
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
) -> None:
    other = open_case()
    task_id = service_add(app, accounts["screener"], case_id, accounts["screener"].id)
    client = signed_in("screener")
    assert client.post(f"/cases/{other}/tasks/{task_id}/done", form_page="/").status_code == 404
    assert only_task(app).done_at is None


def test_the_team_supervisor_may_complete_a_screeners_task(
    app: Flask, case_id: str, signed_in: Callable[[str], Client], accounts: dict[str, Account]
) -> None:
    task_id = service_add(app, accounts["screener"], case_id, accounts["screener"].id)
    client = signed_in("supervisor")
    assert (
        client.post(
            f"/cases/{case_id}/tasks/{task_id}/done", form_page=f"/cases/{case_id}"
        ).status_code
        == 302
    )
    assert only_task(app).done_at is not None


def test_authority_is_asked_at_every_use(
    app: Flask,
    case_id: str,
    signed_in: Callable[[str], Client],
    new_client: Any,
    accounts: dict[str, Account],
) -> None:
    task_id = service_add(app, accounts["screener"], case_id, accounts["supervisor"].id)
    supervisor = signed_in("supervisor")
    # The button was on their page...
    assert "Mark done" in supervisor.get(f"/cases/{case_id}").get_data(as_text=True)
    with app.app_context():  # ...then they moved to another team, their session still live
        store = db.session()
        moved = store.get(User, accounts["supervisor"].id)
        assert moved is not None
        moved.team = teams.ensure_team(store, "Team B")
        store.commit()
    refused = supervisor.post(f"/cases/{case_id}/tasks/{task_id}/done", form_page="/")
    assert refused.status_code == 404
    assert case_id not in supervisor.get("/tasks/").get_data(as_text=True)
    assert only_task(app).done_at is None
    owner = new_client()
    owner.sign_in(accounts["screener"])
    assert (
        owner.post(
            f"/cases/{case_id}/tasks/{task_id}/done", form_page=f"/cases/{case_id}"
        ).status_code
        == 302
    )
    assert only_task(app).done_at is not None


def test_a_closed_case_takes_no_new_follow_up_and_none_is_marked_done(
    app: Flask, case_id: str, signed_in: Callable[[str], Client], accounts: dict[str, Account]
) -> None:
    task_id = service_add(app, accounts["screener"], case_id, accounts["screener"].id)
    client = signed_in("screener")
    set_status(app, case_id, "closed")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert TITLE in page  # still read
    assert "Add the follow-up" not in page
    assert "Mark done" not in page
    assert add(client, case_id, accounts["screener"].id).status_code == 409
    assert client.post(f"/cases/{case_id}/tasks/{task_id}/done", form_page="/").status_code == 409
    assert [t.done_at for t in task_rows(app)] == [None]
    assert case_id not in client.get("/tasks/").get_data(as_text=True)


# What to do never leaves the case page


def test_what_to_do_is_sealed_and_never_leaves_the_case_page(
    app: Flask,
    case_id: str,
    signed_in: Callable[[str], Client],
    accounts: dict[str, Account],
    clock: FrozenClock,
    mail_relay: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = signed_in("screener")
    assert add(client, case_id, accounts["screener"].id, due="2026-03-02").status_code == 302
    case_page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert TITLE in case_page
    listed = client.get("/tasks/").get_data(as_text=True)
    assert remind(app) == {"due": 1, "overdue": 0, "to_supervisors": 0}
    clock.advance(days=1)
    assert remind(app) == {"due": 0, "overdue": 1, "to_supervisors": 0}
    result = app.test_cli_runner().invoke(args=["tasks", "remind"])
    assert result.exit_code == 0

    with app.app_context():
        store = db.session()
        sealed = store.scalar(sa.select(CaseTask.title))
        details = [e.details or "" for e in store.scalars(sa.select(AuditEvent))]
        outbox = repr(list(store.execute(sa.select(OutboxMessage.__table__))))
        notices_table = repr(list(store.execute(sa.select(Notice.__table__))))
    assert sealed is not None
    assert b"canary-task-title" not in sealed
    assert b"canary-task-title" not in raw_database_bytes(app)
    assert "task.due" in outbox
    assert "task.overdue" in outbox
    for text in (
        *details,
        outbox,
        notices_table,
        caplog.text,
        page_title(case_page),
        page_title(listed),
        listed,
        result.output,
    ):
        assert "canary-task-title" not in text


# Reminders


def test_the_assignee_is_told_on_the_day_and_once_overdue_once_each(
    app: Flask, case_id: str, accounts: dict[str, Account], clock: FrozenClock
) -> None:
    me = accounts["screener"]
    service_add(app, me, case_id, me.id, TODAY)
    service_add(app, me, case_id, me.id, TODAY + timedelta(days=3))  # not yet
    assert remind(app) == {"due": 1, "overdue": 0, "to_supervisors": 0}
    assert remind(app) == {"due": 0, "overdue": 0, "to_supervisors": 0}
    assert notices_of(app) == [(str(me.id), "task.due", case_id)]
    assert [t.due_notice_at is not None for t in task_rows(app)] == [True, False]
    clock.advance(days=1)
    assert remind(app) == {"due": 0, "overdue": 1, "to_supervisors": 0}
    assert remind(app) == {"due": 0, "overdue": 0, "to_supervisors": 0}
    clock.advance(days=5)  # the second is due, then overdue; the first stays told
    assert remind(app) == {"due": 0, "overdue": 1, "to_supervisors": 0}
    assert [kind for _user, kind, _case in notices_of(app)] == [
        "task.due",
        "task.overdue",
        "task.overdue",
    ]
    assert {user for user, _kind, _case in notices_of(app)} == {str(me.id)}
    assert json.loads(events(app, "tasks.reminded")[0].details) == {
        "due": 1,
        "overdue": 0,
        "to_supervisors": 0,
    }


def test_a_task_first_seen_after_its_day_is_told_overdue_only(
    app: Flask, case_id: str, accounts: dict[str, Account], clock: FrozenClock
) -> None:
    service_add(app, accounts["screener"], case_id, accounts["screener"].id, TODAY)
    clock.advance(days=2)
    assert remind(app) == {"due": 0, "overdue": 1, "to_supervisors": 0}
    assert [kind for _u, kind, _c in notices_of(app)] == ["task.overdue"]


def test_no_reminder_for_a_closed_case_or_a_done_task(
    app: Flask, open_case: Callable[..., str], case_id: str, accounts: dict[str, Account]
) -> None:
    me = accounts["screener"]
    service_add(app, me, case_id, me.id, TODAY)
    other = open_case()
    finished = service_add(app, me, other, me.id, TODAY)
    set_status(app, case_id, "closed")
    with app.app_context():
        store = db.session()
        assert tasks.complete(store, services.get_user(store, me.id), finished, app_clock.now())
        store.commit()
    assert remind(app) == {"due": 0, "overdue": 0, "to_supervisors": 0}
    assert notices_of(app) == []


def test_the_supervisors_are_told_when_the_assignee_was_disabled(
    app: Flask,
    case_id: str,
    accounts: dict[str, Account],
    clock: FrozenClock,
    make_account: Callable[..., Account],
) -> None:
    second = make_account("supervisor", team="Team A")
    service_add(app, accounts["screener"], case_id, accounts["screener"].id, TODAY)
    with app.app_context():
        store = db.session()
        services.disable_user(store, store.get(User, accounts["screener"].id), clock.now())
        store.commit()
    assert remind(app) == {"due": 1, "overdue": 0, "to_supervisors": 1}
    assert sorted(n for n in notices_of(app) if n[1].startswith("task.")) == sorted(
        [
            (str(accounts["supervisor"].id), "task.due", case_id),
            (str(second.id), "task.due", case_id),
        ]
    )  # not Team B's supervisor, not the assignee


@pytest.mark.concurrency
def test_two_runners_at_once_tell_each_assignee_once(
    app: Flask, open_case: Callable[..., str], accounts: dict[str, Account]
) -> None:
    me = accounts["screener"]
    for _ in range(3):
        service_add(app, me, open_case(), me.id, TODAY)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def run() -> None:
        with app.app_context():
            barrier.wait(10)
            results.append(remind(app))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r["due"] for r in results) == 3
    assert len(notices_of(app)) == 3


def test_a_runner_with_a_stale_list_tells_no_one_twice(
    app: Flask, case_id: str, accounts: dict[str, Account]
) -> None:
    service_add(app, accounts["screener"], case_id, accounts["screener"].id, TODAY)
    with app.app_context():
        late = app.extensions["passage.sessionmaker"]()
        stale = tasks.waiting(late, TODAY)
        late.commit()  # its copies still say nobody was told
        assert [t.due_notice_at for t in stale] == [None]
        assert remind(app)["due"] == 1
        assert [tasks.tell(late, t, TODAY, app_clock.now()) for t in stale] == [None]
        late.commit()
        late.close()
    assert len(notices_of(app)) == 1


def test_the_command_prints_the_counts(
    app: Flask, case_id: str, accounts: dict[str, Account]
) -> None:
    service_add(app, accounts["screener"], case_id, accounts["screener"].id, TODAY)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["tasks", "remind"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {"due": 1, "overdue": 0, "to_supervisors": 0}
    second = runner.invoke(args=["tasks", "remind"])
    assert json.loads(second.output) == {"due": 0, "overdue": 0, "to_supervisors": 0}
    escalated = runner.invoke(args=["referrals", "escalate"])
    assert escalated.exit_code == 0
    assert len(notices_of(app)) == 1  # escalating referrals leaves tasks alone


def test_a_reminder_is_e_mailed_when_smtp_is_configured(
    app: Flask, case_id: str, accounts: dict[str, Account], mail_relay: list[Any]
) -> None:
    service_add(app, accounts["screener"], case_id, accounts["screener"].id, TODAY)
    remind(app)
    with app.app_context():
        [row] = db.session().scalars(sa.select(OutboxMessage)).all()
        assert (row.kind, row.recipient, row.state) == (
            "task.due",
            accounts["screener"].email,
            "pending",
        )
        assert row.link.endswith(f"/cases/{case_id}")


# Shredding


def test_forget_deletes_the_cases_tasks_only(
    app: Flask, open_case: Callable[..., str], case_id: str, accounts: dict[str, Account]
) -> None:
    me = accounts["screener"]
    service_add(app, me, case_id, me.id, TODAY)
    service_add(app, me, case_id, me.id, TODAY)
    other = open_case()
    kept = service_add(app, me, other, me.id, TODAY)
    with app.app_context():
        store = db.session()
        case = store.get(Case, uuid.UUID(case_id))
        assert case is not None
        assert tasks.forget(store, case) == 2
        store.commit()
    assert [t.id for t in task_rows(app)] == [kept]


def test_a_supervisor_under_break_glass_does_not_see_the_follow_ups(
    app: Flask, case_id: str, signed_in: Callable[[str], Client], accounts: dict[str, Account]
) -> None:
    service_add(app, accounts["screener"], case_id, accounts["screener"].id)
    client = signed_in("supervisor_b")
    page = f"/cases/{case_id}/break-glass"
    client.post(
        page,
        {"reason": "Duty night: the person called our hotline and team A cannot be reached."},
        form_page=page,
    )
    shown = client.get(f"/cases/{case_id}")
    assert shown.status_code == 200
    assert "canary-task-title" not in shown.get_data(as_text=True)
    assert events(app, "case.tasks_read") == []


def test_my_follow_ups_say_what_is_due_today_and_what_is_overdue(
    app: Flask,
    case_id: str,
    new_client: Callable[[], Client],
    accounts: dict[str, Account],
    clock: FrozenClock,
) -> None:
    service_add(app, accounts["screener"], case_id, accounts["screener"].id, TODAY)
    client = new_client()
    client.sign_in(accounts["screener"])
    today = client.get("/tasks/").get_data(as_text=True)
    assert "Due today" in today
    assert "Overdue" not in today
    clock.advance(days=1)
    client = new_client()
    client.sign_in(accounts["screener"])
    assert "Overdue" in client.get("/tasks/").get_data(as_text=True)


def test_move_carries_the_follow_ups_to_another_case_sealed_with_its_key(
    app: Flask, open_case: Callable[..., str], case_id: str, accounts: dict[str, Account]
) -> None:
    me = accounts["screener"]
    moved = service_add(app, me, case_id, me.id, TODAY)
    earlier = open_case()
    with app.app_context():
        store = db.session()
        source = store.get(Case, uuid.UUID(case_id))
        target = store.get(Case, uuid.UUID(earlier))
        assert source is not None
        assert target is not None
        before = store.scalar(sa.select(CaseTask.title))
        assert tasks.move(store, source, target) == 1
        store.commit()
        assert tasks.tasks_of(store, source) == []
        [task] = tasks.tasks_of(store, target)
        store.commit()
        after = store.scalar(sa.select(CaseTask.title))
    assert (task.id, task.title) == (moved, TITLE)
    assert after != before  # sealed again, with the other person's key


# What happens to follow-ups when the case changes hands, is linked, or its person is shredded


def test_a_hand_over_gives_the_previous_owner_s_open_follow_ups_to_the_new_one(
    app: Flask,
    case_id: str,
    accounts: dict[str, Account],
    make_account: Callable[..., Account],
    signed_in: Any,
) -> None:
    colleague = make_account("screener", team="Team A")
    mine = service_add(app, accounts["screener"], case_id, accounts["screener"].id)
    theirs = service_add(app, accounts["screener"], case_id, accounts["supervisor"].id)
    assert remind(app)["due"] == 2
    supervisor = signed_in("supervisor")
    moved = supervisor.post(
        f"/cases/{case_id}/owner", {"owner": str(colleague.id)}, form_page=f"/cases/{case_id}"
    )
    assert moved.status_code == 302
    with app.app_context():
        store = db.session()
        first, second = store.get(CaseTask, mine), store.get(CaseTask, theirs)
        assert (first.assignee_id, first.due_notice_at) == (colleague.id, None)
        assert second.assignee_id == accounts["supervisor"].id  # not the previous owner's
    assert remind(app)["due"] == 1  # the new owner is reminded afresh
    [event] = events(app, "case.handed_over")
    assert json.loads(event.details)["tasks"] == 1


def test_linking_carries_follow_ups_and_retention_removes_them(
    app: Flask, open_case: Callable[..., str], accounts: dict[str, Account], signed_in: Any
) -> None:
    first, second = open_case(), open_case(needs=["medical"])
    service_add(app, accounts["screener"], second, accounts["screener"].id)
    screener = signed_in("screener")
    screener.post(
        f"/cases/{second}/link", {"earlier": first, "confirm": "y"}, form_page=f"/cases/{second}"
    )
    assert TITLE in screener.get(f"/cases/{first}").get_data(as_text=True)
    assert [str(t.case_id) for t in task_rows(app)] == [first]
    with app.app_context():
        store = db.session()
        person = cases.person(store, store.get(Case, uuid.UUID(first)))
        person.retention_until = person.created_at
        store.commit()
        from screening import retention

        retention.apply(store, person.created_at.replace(year=2099), False)
        store.commit()
    assert task_rows(app) == []


def test_the_person_s_copy_lists_the_follow_ups(
    app: Flask, case_id: str, accounts: dict[str, Account], signed_in: Any
) -> None:
    service_add(app, accounts["screener"], case_id, accounts["screener"].id)
    held = signed_in("screener").get(f"/cases/{case_id}/copy.json").get_json()
    assert held["follow_ups"] == [{"title": TITLE, "due_on": TODAY.isoformat(), "done": False}]


def test_linking_leaves_no_follow_up_with_someone_who_cannot_open_the_case(
    app: Flask,
    open_case: Callable[..., str],
    accounts: dict[str, Account],
    make_account: Callable[..., Account],
    signed_in: Callable[[str], Client],
) -> None:
    """Two screeners of Team A screened the same (synthetic) person; the supervisor links the
    newer case into the earlier one. tasks.move re-seals the newer case's follow-ups onto the
    earlier case, and one whose assignee (the newer case's owner) cannot open the earlier
    case goes to its owner, as a hand-over moves them (tasks.reassign)."""
    accounts["colleague"] = make_account("screener", team="Team A")
    earlier = open_case("screener")
    newer = open_case("colleague")
    with app.app_context():
        store = db.session()
        colleague = services.get_user(store, accounts["colleague"].id)
        case = cases.get(store, colleague, uuid.UUID(newer), "cases.manage")
        tasks.add(
            store, colleague, case, "Synthetic call-back", TODAY, colleague.id, app_clock.now()
        )
        store.commit()
    supervisor = signed_in("supervisor")
    linked = supervisor.post(
        f"/cases/{newer}/link", {"earlier": earlier, "confirm": "y"}, form_page=f"/cases/{newer}"
    )
    assert linked.status_code == 302, linked.get_data(as_text=True)[:300]
    with app.app_context():
        [task] = db.session().scalars(sa.select(CaseTask)).all()
        assert str(task.case_id) == earlier
        assert task.assignee_id != accounts["colleague"].id
