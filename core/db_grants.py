"""The database role the service runs as, on PostgreSQL: what it may do and nothing more
(docs/security.md, R51; README.md, "Deploying on PostgreSQL with gunicorn").

Migrations run as the database's owner; the service runs as a role of its own, which
``flask --app wsgi init-db --service-role NAME`` grants exactly this, afresh on every run (so
tables a new migration adds are covered, and nothing granted by hand outlives it):

- on every table of the schema: read, add, change and remove rows (``TRUNCATE`` never);
- on ``audit_events``: read and add only, and change ``seq``, ``prev_mac`` and ``mac`` alone
  (the sealer's one change, which the triggers let through once per event); never remove;
- on ``audit_head``: read and change (the sealer moves the head); never add or remove;
- on ``alembic_version``: read only;
- the sequences behind the tables' ids.

The role is told nothing about other schemas, and can create nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

AUDIT_EVENTS, AUDIT_HEAD, VERSIONS = "audit_events", "audit_head", "alembic_version"
SEALED_COLUMNS = ("seq", "prev_mac", "mac")
# A role name as PostgreSQL writes it unquoted: never a statement of its own.
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class GrantError(ValueError):
    """The role cannot be given its grants here (another database, or a malformed name)."""


def statements(role: str, tables: list[str], schema: str, quote: Callable[[str], str]) -> list[str]:
    """The statements that leave ``role`` with exactly the service's rights on ``tables``.
    GRANT takes names, never bound values: each name is quoted by ``quote`` (the dialect's
    identifier quoting) and the role's must look like one besides."""
    if not ROLE_NAME.fullmatch(role):
        raise GrantError(f"not a role name: {role!r} (lower-case letters, digits, _)")
    quoted, role = quote(schema), quote(role)
    out = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted} FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quoted} FROM {role}",
        f"REVOKE CREATE ON SCHEMA {quoted} FROM {role}",
        f"GRANT USAGE ON SCHEMA {quoted} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quoted} TO {role}",
    ]
    for table in sorted(tables):
        name = f"{quoted}.{quote(table)}"
        if table == AUDIT_EVENTS:
            out.append(f"GRANT SELECT, INSERT ON {name} TO {role}")
            out.append(f"GRANT UPDATE ({', '.join(SEALED_COLUMNS)}) ON {name} TO {role}")
        elif table == AUDIT_HEAD:
            out.append(f"GRANT SELECT, UPDATE ON {name} TO {role}")
        elif table == VERSIONS:
            out.append(f"GRANT SELECT ON {name} TO {role}")
        else:
            out.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {role}")
    return out


def grant_service_role(engine: Engine, role: str) -> int:
    """Give ``role`` (which must exist) the service's rights on every table of the database's
    current schema, revoking whatever else it had there; how many tables. Run as the owner."""
    if engine.dialect.name != "postgresql":
        raise GrantError("a service role is for PostgreSQL; SQLite has no roles")
    if not ROLE_NAME.fullmatch(role):
        raise GrantError(f"not a role name: {role!r} (lower-case letters, digits, _)")
    with engine.begin() as connection:
        if (
            connection.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            is None
        ):
            raise GrantError(f"no role {role!r}: create it first (CREATE ROLE … LOGIN)")
        schema = connection.scalar(sa.text("SELECT current_schema()"))
        tables = sa.inspect(connection).get_table_names(schema=schema)
        quote = connection.dialect.identifier_preparer.quote_identifier
        for statement in statements(role, tables, schema, quote):
            connection.execute(sa.text(statement))
    return len(tables)
