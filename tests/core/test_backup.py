"""Backups restore the database as it was, wrapped data keys included, and hold no key: SQLite
through its online backup API, PostgreSQL through pg_dump and pg_restore."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core import backup, datakeys, db, keys
from core.cli import upgrade
from tests.helpers import throwaway_postgres_database

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture
def sqlite_app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """An app on an SQLite file of its own, whatever database the suite runs on."""
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'own.sqlite3'}")
    upgrade(app)
    return app


def seal(app: Flask, clock: Any, text: str) -> tuple[Any, bytes]:
    with app.app_context():
        store = db.session()
        cipher = datakeys.create(store, "test", clock.now())
        sealed = cipher.seal("tests", "value", 1, text)
        store.commit()
    assert sealed is not None
    return cipher.key_id, sealed


def opened(app: Flask, key_id: Any, sealed: bytes) -> str | None:
    with app.app_context():
        return datakeys.cipher(db.session(), key_id).open("tests", "value", 1, sealed)


def shred(app: Flask, clock: Any, key_id: Any) -> None:
    with app.app_context():
        store = db.session()
        assert datakeys.shred(store, key_id, clock.now())
        store.commit()


def key_bytes(app: Flask) -> list[bytes]:
    """What every key file holds, as written and as the key it encodes."""
    found = []
    for path in keys.key_dir(app).glob("*.key"):
        text = path.read_bytes()
        found += [text.strip(), base64.b64decode(text)]
    return found


def round_trip(app: Flask, clock: Any, out: Path) -> None:
    url = app.config["DATABASE_URL"]
    kept, kept_sealed = seal(app, clock, "kept at backup time")
    backup.create(url, out)
    assert out.stat().st_mode & 0o777 == 0o600
    later, later_sealed = seal(app, clock, "made after the backup")
    shred(app, clock, kept)
    with app.app_context(), pytest.raises(datakeys.ShreddedError):
        opened(app, kept, kept_sealed)
    app.extensions["passage.engine"].dispose()
    backup.restore(url, out)
    app.extensions["passage.engine"].dispose()
    assert opened(app, kept, kept_sealed) == "kept at backup time"
    with app.app_context(), pytest.raises(datakeys.ShreddedError):
        opened(app, later, later_sealed)  # its data key did not exist at backup time
    whole = out.read_bytes()
    assert len(key_bytes(app)) == 8
    assert [k for k in key_bytes(app) if k in whole] == []


def test_sqlite_round_trip_brings_the_data_back_and_holds_no_key(
    sqlite_app: Flask, clock: Any, tmp_path: Path
) -> None:
    round_trip(sqlite_app, clock, tmp_path / "passage.backup")
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.skipif(not POSTGRES, reason="TEST_DATABASE_URL is not PostgreSQL")
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_postgresql_round_trip_brings_the_data_back_and_holds_no_key(
    make_app: Callable[..., Flask], clock: Any, tmp_path: Path
) -> None:
    with throwaway_postgres_database(os.environ["TEST_DATABASE_URL"], "passage_backup") as url:
        app = make_app(DATABASE_URL=url)
        upgrade(app)
        round_trip(app, clock, tmp_path / "passage.dump")
        app.extensions["passage.engine"].dispose()


def test_a_backup_never_overwrites_a_file(sqlite_app: Flask, tmp_path: Path) -> None:
    existing = tmp_path / "existing"
    existing.write_text("someone else's file")
    with pytest.raises(backup.BackupError, match="exists"):
        backup.create(sqlite_app.config["DATABASE_URL"], existing)
    assert existing.read_text() == "someone else's file"


@pytest.mark.parametrize(
    "content", [b"", b"not a database at all", b"SQLite format 3\x00" + b"\x00" * 200]
)
def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(
    sqlite_app: Flask, clock: Any, tmp_path: Path, content: bytes
) -> None:
    key_id, sealed = seal(sqlite_app, clock, "still here")
    bogus = tmp_path / "bogus"
    bogus.write_bytes(content)
    with pytest.raises(backup.BackupError):
        backup.restore(sqlite_app.config["DATABASE_URL"], bogus)
    assert opened(sqlite_app, key_id, sealed) == "still here"


def test_a_backup_into_a_missing_folder_is_a_clear_error(sqlite_app: Flask, tmp_path: Path) -> None:
    with pytest.raises(backup.BackupError, match="cannot write"):
        backup.create(sqlite_app.config["DATABASE_URL"], tmp_path / "nowhere" / "out")


def test_backups_of_other_databases_are_refused(tmp_path: Path) -> None:
    with pytest.raises(backup.BackupError, match="mysql"):
        backup.create("mysql://somewhere/passage", tmp_path / "out")
