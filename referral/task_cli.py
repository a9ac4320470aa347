"""``flask --app wsgi tasks remind``: the follow-up reminders, from cron (docs/case-work.md,
"Follow-up tasks and reminders")."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from core import clock, db
from referral import tasks

tasks_cli = AppGroup("tasks", help="Remind staff of their follow-ups on cases.")


@tasks_cli.command("remind")
def remind_command() -> None:
    """Tell assignees of follow-ups due today, and of those overdue, once each (the team's
    supervisors when the assignee can no longer work on the case). Prints the counts as
    JSON. Safe to run from cron as often as wanted, and from several machines at once."""
    store = db.session()
    now = clock.now()
    counts = tasks.remind(store, now.date(), now)
    store.commit()
    click.echo(json.dumps(counts, sort_keys=True))
