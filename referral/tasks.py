"""Follow-up tasks on a case: something for someone who works on the case (its owner or a
supervisor of its team) to do by a date; reminders to them on the day and once it is
overdue; and forgetting a case's tasks when its person is shredded. The only module that
queries case tasks. What to do is sealed with the person's data key and never reaches an
audit detail, a notice or a log; who and when stay in the clear for the reminders
(docs/case-work.md, "Follow-up tasks and reminders"; docs/access-policy.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit, teams
from access import services as access_services
from access.models import User
from access.policy import basis, require, visible
from access.roles import Role
from core import datakeys, db
from core.clock import years_after
from core.errors import RefusedError
from referral import cases, notices
from referral.models import Case, CaseTask

TABLE = "case_tasks"
TITLE_MAX = 300
# How far ahead a follow-up may be due: further off than the case itself is likely to stay
# open (9999-12-31 is a slip, and would never be reminded of).
DUE_YEARS_MAX = 5


class TaskError(RefusedError):
    """A follow-up that cannot be added as asked; ``fields`` says what to fix."""


@dataclass(frozen=True)
class Task:
    """A follow-up as the case page shows it; ``title`` is None once the person's record
    is shredded."""

    id: uuid.UUID
    title: str | None
    due_on: date
    assignee_id: uuid.UUID
    done_at: datetime | None


@dataclass(frozen=True)
class FollowUp:
    """One of the user's open follow-ups as their list shows it: when, and which case; never
    what to do (that is the person's data, read on the case page)."""

    id: uuid.UUID
    case_id: uuid.UUID
    due_on: date
    case_opened_at: datetime
    urgent: bool
    overdue: bool
    due_today: bool


def may_work_on(user: Any, case: Case) -> bool:
    """Whether ``user`` may be given, and be told about, a follow-up on ``case`` now: an
    active member of its team who may change the case (its owner or a supervisor). Anyone
    else could not even open the case the reminder links to."""
    return basis(user, "cases.manage", case) == "scope"


def may_complete(user: Any, task: CaseTask | Task, case: Case) -> bool:
    """The assignee, the case's owner or the team's supervisor, while the case is theirs to
    work on (asked at every use: a move to another team or a hand-over counts at once)."""
    return may_work_on(user, case) and (
        user.id in (task.assignee_id, case.owner_id) or user.role == Role.SUPERVISOR
    )


def assignable(store: Session, case: Case) -> list[User]:
    """Who a follow-up on ``case`` may be given to now, by e-mail address."""
    return [u for u in teams.team_members(store, case.team_id) if may_work_on(u, case)]


def _cipher(store: Session, case: Case) -> datakeys.Cipher:
    return datakeys.cipher(store, cases.person(store, case).data_key_id)


def add(
    store: Session,
    user: Any,
    case: Case,
    title: str,
    due_on: date,
    assignee_id: uuid.UUID | None,
    now: datetime,
    form_key: str | None = None,
) -> CaseTask:
    """Give someone working on an open case something to do by ``due_on`` (today or later,
    at most ``DUE_YEARS_MAX`` years ahead).
    The case's row is locked and its state asked again, so a case closed meanwhile gets no
    new task (409). Audited without the title. The form sent again (``form_key``) finds the
    follow-up it added and adds nothing."""
    require(user, "cases.manage", cases.lock(store, case), "case", case.id)
    earlier = added_with(store, case, form_key)
    if earlier is not None:
        return earlier
    text = (title or "").strip()
    assignee = access_services.get_user(store, assignee_id) if assignee_id else None
    problems = {}
    if not text or len(text) > TITLE_MAX:
        problems["title"] = _l(
            "Write what is to be done, in at most %(max)d characters.", max=TITLE_MAX
        )
    if due_on < now.date():
        problems["due_on"] = _l("Choose today or a later day.")
    elif due_on > years_after(now.date(), DUE_YEARS_MAX):
        problems["due_on"] = _l("Choose a day at most %(years)d years ahead.", years=DUE_YEARS_MAX)
    if assignee is None or not may_work_on(assignee, case):
        problems["assignee"] = _l(
            "Choose the person in charge of the case or a supervisor of its team."
        )
    if problems:
        raise TaskError("the follow-up cannot be added as it is", problems)
    assert assignee is not None  # noqa: S101 - refused above otherwise
    task = CaseTask(
        id=uuid.uuid4(),
        case_id=case.id,
        team_id=case.team_id,
        created_by=user.id,
        assignee_id=assignee.id,
        due_on=due_on,
        created_at=now,
        form_key=form_key,
    )
    task.title = _cipher(store, case).seal(TABLE, "title", task.id, text)
    store.add(task)
    store.flush()
    audit.record(
        store,
        "case.task_added",
        object_type="case",
        object_id=case.id,
        details={"task": str(task.id), "assignee": str(assignee.id), "due_on": due_on.isoformat()},
    )
    return task


def tasks_of(store: Session, case: Case) -> list[Task]:
    """The case's follow-ups, open ones first by due date, then the done ones, latest done
    first. Opening the titles is a read of the person's data, audited with the count; the
    caller has checked the reader (the team in charge of the case)."""
    rows = list(store.scalars(sa.select(CaseTask).where(CaseTask.case_id == case.id)))
    if not rows:
        return []
    try:
        cipher: datakeys.Cipher | None = _cipher(store, case)
    except datakeys.ShreddedError:
        cipher = None
    shown = [
        Task(
            t.id,
            cipher.open(TABLE, "title", t.id, t.title) if cipher else None,
            t.due_on,
            t.assignee_id,
            t.done_at,
        )
        for t in rows
    ]
    audit.record(
        store,
        "case.tasks_read",
        object_type="case",
        object_id=case.id,
        details={"count": len(shown)},
    )
    still_open = sorted((t for t in shown if t.done_at is None), key=lambda t: t.due_on)
    done = sorted(
        (t for t in shown if t.done_at is not None),
        key=lambda t: t.done_at or t.due_on,
        reverse=True,
    )
    return still_open + done


def names(store: Session, shown: list[Task]) -> dict[uuid.UUID, str]:
    """The e-mail addresses of the staff the follow-ups are given to."""
    found = {i: access_services.get_user(store, i) for i in {t.assignee_id for t in shown}}
    return {i: u.email for i, u in found.items() if u is not None}


def _completable(
    store: Session, user: Any, task_id: uuid.UUID, case_id: uuid.UUID | None
) -> tuple[CaseTask, Case]:
    task = store.get(CaseTask, task_id)
    case = cases.holding(store, task.case_id) if task is not None else None
    if (
        task is not None
        and case is not None
        and case_id in (None, case.id)
        and may_complete(user, task, case)
    ):
        return task, case
    require(user, "cases.manage", None, "case_task", task_id)  # 404, audited, as if missing
    raise LookupError("no such follow-up")  # not reached: require refuses a missing object


def complete(
    store: Session, user: Any, task_id: uuid.UUID, now: datetime, case_id: uuid.UUID | None = None
) -> bool:
    """Mark a follow-up done (:func:`may_complete` says who). A task the user may not
    complete answers 404 exactly as a missing one (and ``case_id``, when given, must be its
    case); on a case no longer open, 409. Returns False, changing nothing, when it was done
    already (a second click, or a colleague first)."""
    task, case = _completable(store, user, task_id, case_id)
    require(user, "cases.manage", cases.lock(store, case), "case", case.id)
    done = store.execute(
        sa.update(CaseTask)
        .where(CaseTask.id == task.id, CaseTask.done_at.is_(None))
        .values(done_at=now)
        .execution_options(synchronize_session=False)
    )
    store.expire(task)
    if db.rowcount(done) != 1:
        return False
    audit.record(
        store,
        "case.task_done",
        object_type="case",
        object_id=case.id,
        details={"task": str(task.id)},
    )
    return True


def for_assignee(store: Session, user: Any, today: date, limit: int = 200) -> list[FollowUp]:
    """The user's open follow-ups on open cases they may still open, soonest due first
    ("My follow-ups"). Titles are not opened: the list holds no personal data."""
    rows = store.execute(
        sa.select(CaseTask.id, CaseTask.case_id, CaseTask.due_on, Case.opened_at, Case.urgent)
        .join(Case, Case.id == CaseTask.case_id)
        .where(
            CaseTask.assignee_id == user.id,
            CaseTask.done_at.is_(None),
            Case.status.in_(cases.OPEN),
            visible(user, "cases.read", Case),
        )
        .order_by(CaseTask.due_on, Case.urgent.desc(), CaseTask.created_at)
        .limit(limit)
    )
    found = [
        FollowUp(*row, overdue=row.due_on < today, due_today=row.due_on == today) for row in rows
    ]
    audit.record(store, "tasks.listed", details={"count": len(found)})
    return found


def waiting(store: Session, today: date) -> list[CaseTask]:
    """Open follow-ups on open cases whose assignee has not yet been told they are due
    today, or that they are overdue."""
    return list(
        store.scalars(
            sa.select(CaseTask)
            .join(Case, Case.id == CaseTask.case_id)
            .where(
                CaseTask.done_at.is_(None),
                Case.status.in_(cases.OPEN),
                sa.or_(
                    sa.and_(CaseTask.due_on == today, CaseTask.due_notice_at.is_(None)),
                    sa.and_(CaseTask.due_on < today, CaseTask.overdue_notice_at.is_(None)),
                ),
            )
            .order_by(CaseTask.due_on, CaseTask.id)
        )
    )


def tell(store: Session, task: CaseTask, today: date, now: datetime) -> tuple[str, bool] | None:
    """Tell whoever should know that ``task`` is due or overdue, unless someone already
    did: the assignee, or the team's supervisors when the assignee can no longer work on
    the case. Returns the notice's kind and whether the supervisors were told instead, or
    None when there was nothing to tell."""
    overdue = task.due_on < today
    if not overdue and task.due_on != today:
        return None
    column = CaseTask.overdue_notice_at if overdue else CaseTask.due_notice_at
    case, assignee_id = cases.holding(store, task.case_id), task.assignee_id
    if not cases.is_open(case):
        return None
    # The condition in the WHERE makes the notice go once: of two runners, the second finds
    # the column set once the first commits (PostgreSQL re-checks it under the row lock),
    # however stale its own copy of the task.
    claimed = store.execute(
        sa.update(CaseTask)
        .where(CaseTask.id == task.id, column.is_(None), CaseTask.done_at.is_(None))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    store.expire(task)
    if db.rowcount(claimed) != 1:
        return None
    kind = "task.overdue" if overdue else "task.due"
    assignee = access_services.get_user(store, assignee_id)
    if assignee is not None and may_work_on(assignee, case):
        notices.notify(store, [assignee], kind, now, case_id=case.id)
        return kind, False
    notices.notify(store, notices.supervisors(store, case.team_id), kind, now, case_id=case.id)
    return kind, True


def remind(store: Session, today: date, now: datetime) -> dict[str, int]:
    """Tell each assignee of an open follow-up on an open case that it is due (on the day)
    or overdue (any day after): once each, however often this runs and however many run at
    once. When the assignee can no longer work on the case (disabled, moved to another team,
    no longer in charge of it), the team's supervisors are told instead. Returns counts."""
    counts = {"due": 0, "overdue": 0, "to_supervisors": 0}
    for task in waiting(store, today):
        told = tell(store, task, today, now)
        if told is not None:
            kind, to_supervisors = told
            counts[kind.removeprefix("task.")] += 1
            counts["to_supervisors"] += to_supervisors
    audit.record(store, "tasks.reminded", details=counts)
    return counts


def added_with(store: Session, case: Case, form_key: str | None) -> CaseTask | None:
    """The follow-up the form with this key added to this case, if any; a key that added
    one to another case (a form copied from another page) is refused (422)."""
    if not form_key:
        return None
    task = store.scalar(sa.select(CaseTask).where(CaseTask.form_key == form_key))
    if task is not None and task.case_id != case.id:
        raise TaskError(
            "this form was sent before",
            {"title": _l("This form was already sent. Open the case again and add it there.")},
        )
    return task


def move(store: Session, source: Case, target: Case) -> int:
    """Move a case's follow-ups onto another case of the same person and team (a confirmed
    link), sealing each title again with the target person's key: the source's key is about
    to be shredded. An open one whose assignee cannot work on the target (the newer case's
    screener, when another screener holds the earlier case) goes to the target's owner, who
    is reminded afresh, as at a hand-over. Returns how many moved."""
    rows = list(store.scalars(sa.select(CaseTask).where(CaseTask.case_id == source.id)))
    if rows:
        opener, sealer = _cipher(store, source), _cipher(store, target)
        for row in rows:
            text = opener.open(TABLE, "title", row.id, row.title)
            row.case_id, row.team_id = target.id, target.team_id
            row.title = sealer.seal(TABLE, "title", row.id, text)
            assignee = access_services.get_user(store, row.assignee_id)
            if row.done_at is None and (assignee is None or not may_work_on(assignee, target)):
                row.assignee_id, row.due_notice_at, row.overdue_notice_at = (
                    target.owner_id,
                    None,
                    None,
                )
        store.flush()
    return len(rows)


def reassign(store: Session, case: Case, before: uuid.UUID, after: uuid.UUID) -> int:
    """The case was handed over: its open follow-ups assigned to the previous owner go to
    the new one, who is reminded afresh (the previous owner may no longer open the case).
    Returns how many moved."""
    moved = store.execute(
        sa.update(CaseTask)
        .where(
            CaseTask.case_id == case.id, CaseTask.assignee_id == before, CaseTask.done_at.is_(None)
        )
        .values(assignee_id=after, due_notice_at=None, overdue_notice_at=None)
        .execution_options(synchronize_session=False)
    )
    return db.rowcount(moved)


def forget(store: Session, case: Case) -> int:
    """Delete every follow-up of ``case`` (its person is being shredded: the titles could
    never be read again, and who had what to do for them goes too). The caller audits the
    shredding. Returns how many were deleted."""
    gone = store.execute(
        sa.delete(CaseTask)
        .where(CaseTask.case_id == case.id)
        .execution_options(synchronize_session=False)
    )
    return db.rowcount(gone)
