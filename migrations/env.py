"""Alembic environment: migrates the engine the app hands over, or the one for the app that
``create_app()`` builds from the configuration when Alembic runs on its own."""

from __future__ import annotations

from alembic import context

from core.db import Base

config = context.config


def _engine():  # type: ignore[no-untyped-def]
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


def run_migrations_online() -> None:
    """Run the migrations inside one transaction on the app's engine."""
    _models()
    with _engine().connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
