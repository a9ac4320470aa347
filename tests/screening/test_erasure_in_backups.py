"""Erasure reaches backups (R38): a person shredded after a backup was taken can still be read
from it within the window (MASTER_KEY_PERIOD_DAYS + BACKUP_RETENTION_DAYS, 30 + 35 days by
default, with `keys rotate` run daily), and never after it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core import datakeys, db, keys
from screening import people, retention
from screening.models import Person


def run(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def given_name(app: Flask, person_id: Any) -> str:
    with app.app_context():
        store = db.session()
        return people.read(store, people.get(store, person_id)).given_name


def shred(app: Flask, clock: Any, person_id: Any) -> None:
    with app.app_context():
        store = db.session()
        retention.shred(store, store.get(Person, person_id), clock.now())
        store.commit()


def test_a_person_shredded_after_a_backup_is_gone_from_it_once_the_window_has_passed(
    app: Flask, register: Any, clock: Any, tmp_path: Path
) -> None:
    person = register()
    before = tmp_path / "before-shredding.backup"
    run(app, "backup", "create", "--out", str(before))
    shred(app, clock, person.id)
    with pytest.raises(datakeys.ShreddedError):
        given_name(app, person.id)

    # Within the window the backup still holds the person: restoring it brings them back
    # until they are shredded again (the restore drill runs `retention apply` at once).
    run(app, "backup", "restore", str(before), "--yes")
    assert given_name(app, person.id) == "Canarygiven"
    shred(app, clock, person.id)

    master_v1 = keys.key_dir(app) / "master-v1.key"
    for _day in range(64):  # cron, daily
        clock.advance(days=1)
        run(app, "keys", "rotate")
    assert master_v1.exists()  # day 64: a restore would still read the backup
    clock.advance(days=1)
    assert "destroyed master key versions [1]" in run(app, "keys", "rotate").stdout
    assert not master_v1.exists()  # day 65 = period + retention after the shredding

    restored = run(app, "backup", "restore", str(before), "--yes")
    assert "data keys: 0 readable" in restored.stdout
    with pytest.raises(datakeys.ShreddedError):
        given_name(app, person.id)

    newcomer = register()
    after = tmp_path / "after-rotation.backup"
    run(app, "backup", "create", "--out", str(after))
    shred(app, clock, newcomer.id)
    run(app, "backup", "restore", str(after), "--yes")
    assert given_name(app, newcomer.id) == "Canarygiven"


def test_restoring_a_later_backup_does_not_keep_an_old_master_key_past_the_bound(
    app: Flask, register: Any, clock: Any, tmp_path: Path
) -> None:
    # Day 0: a backup holding the person, then the person is shredded (S = day 0).
    shredded = register()
    oldest = tmp_path / "day-0.backup"
    run(app, "backup", "create", "--out", str(oldest))
    shred(app, clock, shredded.id)
    clock.advance(days=10)
    register()
    middle = tmp_path / "day-10.backup"  # still under master key v1
    run(app, "backup", "create", "--out", str(middle))
    for _day in range(30):  # cron, daily: v2 made on day 30, v1 retired then
        clock.advance(days=1)
        run(app, "keys", "rotate")
    # Day 41, an incident: the drill restores the day-10 backup. Its data keys go under the
    # newest master key at once, so the next rotation does not restart v1's retirement.
    clock.advance(days=1)
    restored = run(app, "backup", "restore", str(middle), "--yes")
    assert "moved 2 restored data keys under master key version 2" in restored.stdout
    run(app, "retention", "apply")
    run(app, "keys", "rotate")
    master_v1 = keys.key_dir(app) / "master-v1.key"
    for _day in range(23):  # to day 64
        clock.advance(days=1)
        run(app, "keys", "rotate")
    assert master_v1.exists()
    clock.advance(days=1)
    run(app, "keys", "rotate")
    assert not master_v1.exists()  # day 65 = S + period + retention, as without the restore
    run(app, "backup", "restore", str(oldest), "--yes")
    with pytest.raises(datakeys.ShreddedError):
        given_name(app, shredded.id)
