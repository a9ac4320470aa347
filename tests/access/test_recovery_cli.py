"""The ``keys`` and ``backup`` commands: master keys made once a period and destroyed once
their backups have aged out, never while they wrap a live data key; restores that need
``--yes``, are audited, and leave a chain that verifies (R37, R38)."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent
from core import datakeys, db, keys, rotation
from tests.helpers import Client


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def master_files(app: Flask) -> list[str]:
    return sorted(p.name for p in keys.key_dir(app).glob("master-v*.key"))


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session().scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_master_key_is_made_once_a_period_and_destroyed_after_the_retention_window(
    app: Flask, make_account: Any, clock: Any
) -> None:
    account = make_account("screener")  # the second factor's secret is sealed with a data key
    first = run(app, "keys", "rotate")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        "current master key: version 1",
        "re-wrapped 0 data keys",
        "destroyed master key versions none",
    ]
    clock.advance(days=30)
    second = run(app, "keys", "rotate")
    assert second.stdout.splitlines() == [
        "new master key: version 2",
        "re-wrapped 1 data keys",
        "destroyed master key versions none",
        "kept version 1 for backups until 2026-05-06 09:00",
    ]
    assert "replace the copy of the key folder" in second.stderr
    assert master_files(app) == ["master-v1.key", "master-v2.key"]
    assert "new master key" not in run(app, "keys", "rotate").stdout  # same day: nothing due
    clock.advance(days=35)
    third = run(app, "keys", "rotate")
    assert "new master key: version 3" in third.stdout
    assert "destroyed master key versions [1]" in third.stdout
    assert master_files(app) == ["master-v2.key", "master-v3.key"]
    client = Client(app, clock)
    client.sign_in(account)
    assert client.get("/").status_code == 200
    recorded = actions(app)
    assert recorded.count("keys.rotated") == 4
    assert recorded.count("keys.rotation_started") == 2
    assert recorded.count("keys.master_destroyed") == 1


def test_rotate_now_makes_a_key_at_once_and_keeps_the_old_one_for_backups(
    app: Flask, make_account: Any
) -> None:
    make_account("screener")
    result = run(app, "keys", "rotate", "--now")
    assert "new master key: version 2" in result.stdout
    assert "kept version 1 for backups until 2026-04-06 09:00" in result.stdout
    assert master_files(app) == ["master-v1.key", "master-v2.key"]


def test_keys_rotate_resumes_an_interrupted_run(app: Flask, make_account: Any) -> None:
    make_account("auditor")
    with app.app_context():
        keys.add_master_key(app)  # a rotation that stopped right after making its key
    result = run(app, "keys", "rotate")
    assert result.stdout.splitlines()[:2] == [
        "current master key: version 2",
        "re-wrapped 1 data keys",
    ]
    with app.app_context():
        assert datakeys.versions_in_use(db.session()) == {2: 1}


def test_a_master_key_wrapping_a_live_data_key_is_never_destroyed(
    app: Flask, make_account: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = make_account("screener")
    monkeypatch.setattr(datakeys, "rewrap", lambda store, target: 0)  # a re-wrap that fails
    for _month in range(4):
        clock.advance(days=40)
        assert run(app, "keys", "rotate").exit_code == 0
    assert "master-v1.key" in master_files(app)
    with app.app_context():
        store = db.session()
        assert datakeys.versions_in_use(store) == {1: 1}
        with pytest.raises(rotation.KeyInUse, match="still wraps 1 live data keys"):
            rotation.destroy(app, store, 1)
        newest = keys.keyring().master_version
        with pytest.raises(rotation.KeyInUse, match="newest"):
            rotation.destroy(app, store, newest)
    client = Client(app, clock)
    client.sign_in(account)
    assert client.get("/").status_code == 200


def test_keys_status_lists_versions_with_their_dates(
    app: Flask, make_account: Any, clock: Any
) -> None:
    make_account("screener")
    clock.advance(days=30)
    run(app, "keys", "rotate")
    clock.advance(days=40)
    run(app, "keys", "rotate")
    assert run(app, "keys", "status").stdout.splitlines() == [
        "version\tstate\tdata keys\tcreated\tretired\tdestroyed\tdestroy after",
        "3\theld\t1\t2026-05-11 09:00\t-\t-\t-",
        "2\theld\t0\t2026-04-01 09:00\t2026-05-11 09:00\t-\t2026-06-15 09:00",
        "1\tdestroyed\t0\t2026-03-02 09:00\t2026-04-01 09:00\t2026-05-11 09:00\t-",
    ]


def test_master_keys_from_the_environment_are_changed_by_the_operator(
    make_app: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = (base64.b64encode(secrets.token_bytes(32)).decode() for _ in range(2))
    monkeypatch.setenv("PASSAGE_MASTER_KEYS", f"1:{first}")
    app = make_app()
    assert run(app, "keys", "rotate").stdout.startswith("current master key: version 1")
    clock.advance(days=30)
    assert "due: add version 2 to PASSAGE_MASTER_KEYS" in run(app, "keys", "rotate").stderr
    monkeypatch.setenv("PASSAGE_MASTER_KEYS", f"1:{first},2:{second}")
    app = make_app()
    assert "kept version 1 for backups until 2026-05-06" in run(app, "keys", "rotate").stdout
    clock.advance(days=35)
    due = run(app, "keys", "rotate")
    assert "due: remove versions [1] from PASSAGE_MASTER_KEYS" in due.stderr
    monkeypatch.setenv("PASSAGE_MASTER_KEYS", f"2:{second}")
    app = make_app()
    run(app, "keys", "rotate")
    ledger = json.loads((keys.key_dir(app) / "master-keys.json").read_text())
    assert ledger["versions"]["1"]["destroyed"] == "2026-05-06T09:00:00+00:00"


def test_restore_needs_yes_and_both_actions_are_audited(
    app: Flask, make_account: Any, tmp_path: Path
) -> None:
    out = tmp_path / "passage.backup"
    assert run(app, "backup", "create", "--out", str(out)).exit_code == 0
    make_account("auditor")  # after the backup: the restore takes it away
    refused = run(app, "backup", "restore", str(out))
    assert refused.exit_code == 1
    assert "run again with --yes" in refused.output
    assert actions(app).count("user.created") == 1
    restored = run(app, "backup", "restore", str(out), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "data keys: 0 readable, 0 under destroyed master keys" in restored.stdout
    assert actions(app) == ["backup.created", "backup.restored"]
    assert run(app, "audit", "seal").exit_code == 0
    verified = run(app, "audit", "verify")
    assert verified.stdout == "intact: 2 events\n"


def test_a_checkpoint_taken_after_the_backup_reports_truncated(
    app: Flask, make_account: Any, tmp_path: Path
) -> None:
    out, statement = tmp_path / "passage.backup", tmp_path / "checkpoint.json"
    run(app, "backup", "create", "--out", str(out))
    make_account("auditor")
    make_account("analyst")
    assert run(app, "audit", "checkpoint", "--out", str(statement)).exit_code == 0
    run(app, "backup", "restore", str(out), "--yes")
    result = run(app, "audit", "verify", "--checkpoint", str(statement))
    assert result.exit_code == 1
    assert "truncated" in result.stdout


def test_restore_refuses_a_backup_of_a_newer_schema(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "passage.backup"
    run(app, "backup", "create", "--out", str(out))
    if app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("rewriting the revision inside a pg_dump archive is not worth a test")
    import sqlite3

    with sqlite3.connect(out) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    result = run(app, "backup", "restore", str(out), "--yes")
    assert result.exit_code == 1
    assert "made by a newer Passage (schema 9999)" in result.output


def test_backup_refuses_to_overwrite_and_says_so(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.write_text("")
    result = run(app, "backup", "create", "--out", str(out))
    assert result.exit_code == 1
    assert "a backup never overwrites" in result.output


def test_a_checkpoint_that_cannot_be_written_is_refused_and_not_recorded(
    app: Flask, tmp_path: Path
) -> None:
    result = run(app, "audit", "checkpoint", "--out", str(tmp_path / "nowhere" / "c.json"))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "c.json: No such file or directory" in result.output
    assert "audit.checkpoint" not in actions(app)


def test_a_backup_to_an_unusable_file_name_is_refused_before_anything_is_recorded(
    app: Flask, tmp_path: Path
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("")
    for out in (taken, tmp_path / "nowhere" / "passage.backup"):
        result = run(app, "backup", "create", "--out", str(out))
        assert result.exit_code == 1
        assert str(out) in result.output
    assert "there is no folder" in result.output
    assert actions(app) == []
