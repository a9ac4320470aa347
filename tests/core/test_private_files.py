"""The instance folder is 0700 and the SQLite database with its companion files 0600 after
``init-db`` and while the service runs, whatever the umask (the database holds everything
about people in danger)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wsgi import create_app

CONFIG = {"ENV": "testing", "SECRET_KEY": "test-only-secret-key-" + "x" * 32}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def init_db(app: Any) -> int:
    # As ``flask --app wsgi init-db`` runs it: inside an application context.
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exception is None, result.output
    return int(result.exit_code)


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: Any) -> Iterator[int]:
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def test_init_db_makes_instance_private(tmp_path: Path, umask: int) -> None:
    instance = tmp_path / "instance"
    app = create_app({**CONFIG, "INSTANCE_PATH": str(instance)})
    assert init_db(app) == 0
    database = instance / "passage.sqlite3"
    assert mode(instance) == 0o700
    assert mode(database) == 0o600
    engine = app.extensions["passage.engine"]
    with engine.connect() as connection:
        connection.execute(sa.text("CREATE TABLE scratch (x INTEGER)"))
        connection.commit()
        companions = {path.name: mode(path) for path in instance.glob("passage.sqlite3-*")}
        assert companions == {
            "passage.sqlite3-wal": 0o600,
            "passage.sqlite3-shm": 0o600,
            "passage.sqlite3-writer": 0o600,
        }
    engine.dispose()


def test_init_db_tightens_an_existing_open_instance(tmp_path: Path, umask: int) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    instance.chmod(0o755)
    database = instance / "passage.sqlite3"
    database.touch()
    database.chmod(0o644)
    app = create_app({**CONFIG, "INSTANCE_PATH": str(instance)})
    assert init_db(app) == 0
    assert (mode(instance), mode(database)) == (0o700, 0o600)
    app.extensions["passage.engine"].dispose()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal", "-writer"])
def test_connecting_makes_database_files_private(tmp_path: Path, umask: int, suffix: str) -> None:
    database = tmp_path / "other.sqlite3"
    if suffix:
        sa.create_engine(f"sqlite:///{database}").connect().close()
    stray = database.with_name(database.name + suffix)
    stray.touch()
    stray.chmod(0o666)
    app = create_app(
        {
            **CONFIG,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{database}",
        }
    )
    engine = app.extensions["passage.engine"]
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
        assert mode(database) == 0o600
        if suffix == "-journal":
            # SQLite deletes an empty rollback journal once it has opened the database.
            assert not stray.exists() or mode(stray) == 0o600
        else:
            assert mode(stray) == 0o600
    engine.dispose()
