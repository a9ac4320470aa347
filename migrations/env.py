"""Alembic environment: migrates the engine the app hands over, or the one for the app that
``create_app()`` builds from the configuration when Alembic runs on its own."""

from __future__ import annotations

from alembic import context

from core.db import Base

config = context.config


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from wsgi import create_app

    return create_app().extensions["passage.engine"]


def _models() -> None:
    # Importing the model modules fills Base.metadata.
    import access.models  # noqa: F401
    import core.datakeys  # noqa: F401
    import referral.models  # noqa: F401
    import reporting.models  # noqa: F401
    import screening.models  # noqa: F401


def _sqlite_foreign_keys(connection, on: bool) -> None:
    # SQLite rebuilds a table to change a constraint (copy, drop, rename); with foreign keys
    # on, dropping a table other tables point at deletes or refuses their rows. SQLite only
    # honours this pragma outside a transaction, so it goes to the driver's connection before
    # SQLAlchemy begins one.
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _sqlite_check_foreign_keys(connection) -> None:
    broken = connection.connection.driver_connection.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left {len(broken)} rows pointing at missing rows")


def run_migrations_online() -> None:
    """Run the migrations inside one transaction on the app's engine (on SQLite with foreign
    keys off for the length of it, and checked before they are back on)."""
    _models()
    with _engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, False)
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _sqlite_check_foreign_keys(connection)
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                _sqlite_foreign_keys(connection, True)


run_migrations_online()
