"""Every Alembic revision goes down and up again with data in the database (R56).

The database is filled at head through the app's own pages, API and services with synthetic
data (the form sweep's world, plus a note, a red flag acted on, a correction, a break-glass
grant, an accepted and closed referral, a declined one, filed statistics and a release, a
failed sign-in and a refused request), then walked from head to base one revision at a time:
each revision is downgraded, upgraded again and downgraded once more. A downgrade may drop a
column's values, never a row of a table that exists on both sides of the step, and no step
may fail on the data. This one walk stands for the per-revision test modules of the
requirement. It runs on SQLite, or on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask

from access import refusals
from core import db
from core.cli import alembic_config, upgrade
from reporting import facts
from tests.form_sweep import World
from tests.helpers import Account, Client, seal_audit
from tests.referral.conftest import FULL_CONSENT
from tests.referral.test_corrections import DETAILS
from tests.screening.payloads import body
from tests.screening.test_views import record_action


def row_counts(engine: Any) -> dict[str, int]:
    """Rows per table of the database as it is now (Alembic's own table left out)."""
    with engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        return {
            name: connection.execute(
                sa.select(sa.func.count()).select_from(sa.table(name))
            ).scalar_one()
            for name in sorted(names)
        }


def fill(world: World, app: Flask, clock: Any, issue_token: Callable[..., str]) -> None:
    """Add, through the pages, the API and the services, what the world lacks."""
    accounts: dict[str, Account] = world.accounts
    tokens: dict[str, str] = {}

    def api(name: str, method: str, url: str, json: Any = None) -> Any:
        tokens.setdefault(name, issue_token(accounts[name]))
        headers = {"Authorization": f"Bearer {tokens[name]}"}
        return world.browsers["anonymous"].raw.open(
            f"/api/v1{url}", method=method, json=json, headers=headers
        )

    screener, case = world.browsers["screener"], world.ids["case"]
    case_page = f"/cases/{case}"
    noted = screener.post(f"{case_page}/notes", {"text": "Synthetic note"}, form_page=case_page)
    assert noted.status_code == 302
    corrected = screener.post(f"{case_page}/person", {**DETAILS, "given_name": "Synthname"})
    assert corrected.status_code == 302, corrected.get_data(as_text=True)
    flag = f"/screenings/{world.ids['flagged']}/red-flag"
    acted = record_action(screener, flag, clock, outcome="Synthetic outcome")
    assert acted.status_code == 302, acted.get_data(as_text=True)
    grant = f"/cases/{world.ids['earlier']}/break-glass"
    glass = world.browsers["supervisor_b"].post(
        grant, {"reason": "Synthetic duty night: team A is away."}, form_page=grant
    )
    assert glass.status_code == 302, glass.get_data(as_text=True)

    # The world's referral is accepted and closed. Counted screenings (one referred to
    # org-b, which declines) are filed as facts and pre-aggregates, then one more is left
    # queued, and a table of them is released.
    referral = world.ids["referral"]
    assert api("partner", "POST", f"/referrals/{referral}/accept", {}).status_code == 200
    closed = api(
        "partner", "POST", f"/referrals/{referral}/close", {"outcome": "services_provided"}
    )
    assert closed.status_code == 200, closed.get_json()
    counted = {**FULL_CONSENT, "statistics": True}
    made = api("screener", "POST", "/screenings", body(consent=counted))
    assert made.status_code == 201, made.get_json()
    to_b = api(
        "screener",
        "POST",
        f"/cases/{made.get_json()['case_id']}/referrals",
        {"partner": "org-b", "services": ["legal"], "share": ["given_name"], "note": "n"},
    )
    assert to_b.status_code == 201, to_b.get_json()
    declined = api(
        "partner_b", "POST", f"/referrals/{to_b.get_json()['id']}/decline", {"reason": "other"}
    )
    assert declined.status_code == 200, declined.get_json()
    with app.app_context():
        store = db.session()
        assert facts.flush(store, force=True) > 0
        store.commit()
    assert api("screener", "POST", "/screenings", body(consent=counted)).status_code == 201
    assert api("analyst", "GET", "/stats/screenings_by_month").status_code == 200

    # A failed sign-in (the throttle) and a refused request (its rate-limit window).
    failed = Client(app, clock).post(
        "/login", {"email": accounts["screener"].email, "password": "wrong synthetic password"}
    )
    assert failed.status_code == 422
    with app.app_context():
        store = db.session()
        refusals.record_refusal(
            store,
            client="192.0.2.1",
            limit="5 per minute",
            window_seconds=60,
            endpoint="access.login",
            now=clock.now(),
            secret_key=app.config["SECRET_KEY"],
        )
        store.commit()
    # Migration 0020 refuses to go down while audit events wait unsealed.
    seal_audit(app)


def test_every_revision_keeps_its_rows_down_and_up(
    world: World, app: Flask, clock: Any, issue_token: Callable[..., str]
) -> None:
    fill(world, app, clock, issue_token)
    engine = app.extensions["passage.engine"]
    config = alembic_config(app)
    # Every table holds rows, so each is walked with data (a new table must be filled).
    assert [name for name, count in row_counts(engine).items() if count == 0] == []

    walked = []
    try:
        for script in ScriptDirectory.from_config(config).walk_revisions():  # head first
            below = script.down_revision or "base"
            assert isinstance(below, str), script.revision  # one line of revisions
            before = row_counts(engine)
            command.downgrade(config, below)
            kept = set(row_counts(engine)) & set(before)  # the tables both schemas have
            command.upgrade(config, script.revision)
            after = row_counts(engine)
            assert {n: after[n] for n in kept} == {n: before[n] for n in kept}, script.revision
            command.downgrade(config, below)
            walked.append(script.revision)
    finally:
        upgrade(app)  # the run's PostgreSQL database serves the tests after this one
    assert walked == [
        *("0030", "0029", "0028", "0027", "0026", "0025", "0024", "0023", "0022", "0021"),
        *("0020", "0017", "0016"),
        *("0015", "0014", "0013", "0012", "0011", "0010", "0009", "0008", "0007", "0006"),
        *("0005", "0004", "0003", "0002", "0001"),
    ]
