"""The service's own database role (docs/security.md, R51): ``init-db --service-role`` gives
it what the service needs and nothing more. On PostgreSQL a submission, a case read and the
sealing and verifying of their audit events all run as that role, while no statement of
its own may change, remove or empty the audit log; on SQLite the option is refused."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from access import audit_sealer
from core import db
from tests.helpers import Account
from tests.screening.payloads import body


def run_init_db(app: Flask, *args: str) -> Any:
    # As ``flask --app wsgi init-db`` runs it: inside an application context.
    with app.app_context():
        return app.test_cli_runner().invoke(args=["init-db", *args])


@pytest.fixture
def service_role(app: Flask) -> Iterator[str]:
    """A login role of its own for this test, given the service's rights by ``init-db``."""
    engine = app.extensions["passage.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's (TEST_DATABASE_URL)")
    role = "passage_service_" + secrets.token_hex(4)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE ROLE " + role + " LOGIN"))
    try:
        done = run_init_db(app, "--service-role", role)
        assert done.exit_code == 0, done.output
        assert f"role {role} may use the " in done.output
        yield role
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP OWNED BY " + role))
            connection.execute(sa.text("DROP ROLE " + role))


def test_the_service_works_as_its_role(
    make_app: Callable[..., Flask],
    database_url: str,
    service_role: str,
    accounts: dict[str, Account],
    issue_token: Callable[..., str],
) -> None:
    as_role = make_url(database_url).set(username=service_role, password=None)
    service = make_app(DATABASE_URL=as_role.render_as_string(hide_password=False))
    client = service.test_client()
    bearer = {"Authorization": f"Bearer {issue_token(accounts['screener'])}"}
    created = client.post("/api/v1/screenings", json=body(), headers=bearer)
    assert created.status_code == 201, created.get_json()
    case = client.get(f"/api/v1/cases/{created.get_json()['case_id']}", headers=bearer)
    assert case.status_code == 200
    assert audit_sealer.of(service).seal_now() >= 6  # the sealer's change, as the role
    verified = service.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    with service.app_context():
        user = db.session().scalar(sa.text("SELECT current_user"))
    assert user == service_role


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'changed'",
        "UPDATE audit_events SET details = '{}'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "INSERT INTO audit_head (id, seq, mac) VALUES (2, 0, 'x')",
        "DELETE FROM audit_head",
        "DELETE FROM alembic_version",
        "CREATE TABLE planted (id integer)",
    ],
)
def test_the_role_may_not_touch_the_audit_log_otherwise(
    app: Flask, database_url: str, service_role: str, statement: str
) -> None:
    as_role = sa.create_engine(make_url(database_url).set(username=service_role, password=None))
    try:
        with (
            pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
            as_role.begin() as connection,
        ):
            connection.execute(sa.text(statement))
    finally:
        as_role.dispose()


def test_the_role_has_exactly_the_service_s_rights(app: Flask, service_role: str) -> None:
    def may(table: str, right: str) -> bool:
        query = sa.text("SELECT has_table_privilege(:role, :table, :right)")
        with app.extensions["passage.engine"].connect() as connection:
            return bool(
                connection.scalar(query, {"role": service_role, "table": table, "right": right})
            )

    assert [r for r in ("SELECT", "INSERT", "UPDATE", "DELETE") if may("audit_events", r)] == [
        "SELECT",
        "INSERT",
    ]
    assert [r for r in ("SELECT", "INSERT", "UPDATE", "DELETE") if may("audit_head", r)] == [
        "SELECT",
        "UPDATE",
    ]
    assert [r for r in ("SELECT", "INSERT", "UPDATE", "DELETE") if may("cases", r)] == [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
    ]
    assert not may("cases", "TRUNCATE")
    with app.extensions["passage.engine"].connect() as connection:
        columns = connection.scalars(
            sa.text(
                "SELECT column_name FROM information_schema.column_privileges "
                "WHERE grantee = :role AND table_name = 'audit_events' "
                "AND privilege_type = 'UPDATE' ORDER BY column_name"
            ),
            {"role": service_role},
        ).all()
    assert columns == ["mac", "prev_mac", "seq"]


def test_a_second_run_takes_back_what_was_granted_by_hand(app: Flask, service_role: str) -> None:
    engine = app.extensions["passage.engine"]
    with engine.begin() as connection:
        connection.execute(sa.text("GRANT DELETE ON audit_events TO " + service_role))
    assert run_init_db(app, "--service-role", service_role).exit_code == 0
    with engine.connect() as connection:
        query = "SELECT has_table_privilege(:role, 'audit_events', 'DELETE')"
        assert connection.scalar(sa.text(query), {"role": service_role}) is False


def test_a_service_role_is_refused_clearly_where_it_cannot_be(app: Flask) -> None:
    engine = app.extensions["passage.engine"]
    done = run_init_db(app, "--service-role", "Not A Role; DROP TABLE cases")
    assert done.exit_code == 1
    if engine.dialect.name == "postgresql":
        assert "Error: not a role name: 'Not A Role; DROP TABLE cases'" in done.output
    else:
        assert "Error: a service role is for PostgreSQL; SQLite has no roles" in done.output
    missing = run_init_db(app, "--service-role", "passage_nobody_here")
    assert missing.exit_code == 1
    if engine.dialect.name == "postgresql":
        assert "Error: no role 'passage_nobody_here': create it first" in missing.output
