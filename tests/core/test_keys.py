"""The keyring: a running app follows a rotation made by another process, the ledger of master
key dates lives beside the keys, and a data key under a destroyed master key reads as shredded
while one under a merely missing key fails loudly (R37, R38)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from core import datakeys, db, key_ledger, keys


def seal(app: Flask, clock: Any) -> tuple[Any, bytes | None]:
    with app.app_context():
        store = db.session()
        cipher = datakeys.create(store, "test", clock.now())
        store.commit()
        return cipher.key_id, cipher.seal("tests", "value", 1, "canary")


def open_sealed(app: Flask, key_id: Any, sealed: bytes | None) -> str | None:
    with app.app_context():
        return datakeys.cipher(db.session(), key_id).open("tests", "value", 1, sealed)


def test_a_running_app_follows_a_rotation_made_by_another_process(
    app: Flask, make_app: Callable[..., Flask], clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, sealed = seal(app, clock)
    with app.app_context():
        keys.keyring()  # the running app has read its keys
    cron = make_app()  # `keys rotate` in a process of its own, same instance
    with cron.app_context():
        target = keys.add_master_key(cron)
        datakeys.rewrap(db.session(), target)
    assert open_sealed(app, key_id, sealed) == "canary"  # under version 2, unseen until now
    monkeypatch.setattr(keys, "CHECK_SECONDS", 0)
    with app.app_context():
        assert keys.keyring().master_version == 2
        store = db.session()
        datakeys.create(store, "test", clock.now())
        store.commit()
        assert datakeys.versions_in_use(store) == {2: 2}


def test_the_ledger_dates_every_master_key_beside_the_keys(app: Flask, clock: Any) -> None:
    with app.app_context():
        clock.advance(days=3)
        keys.add_master_key(app)
        clock.advance(days=1)
        keys.retire_master_key(app, 1)
    ledger = key_ledger.read(keys.key_dir(app))
    assert ledger[1].created is not None
    assert f"{ledger[1].created:%Y-%m-%d %H:%M}" == "2026-03-02 09:00"
    assert f"{ledger[2].created:%Y-%m-%d}" == "2026-03-05"
    assert f"{ledger[1].destroyed:%Y-%m-%d}" == "2026-03-06"
    assert (keys.key_dir(app) / "master-keys.json").stat().st_mode & 0o777 == 0o600


def test_a_damaged_ledger_is_named(app: Flask) -> None:
    (keys.key_dir(app) / "master-keys.json").write_text("{not json")
    with pytest.raises(key_ledger.LedgerError, match="master-keys.json"):
        keys.load(app)


def test_a_data_key_under_a_destroyed_master_key_reads_as_shredded(app: Flask, clock: Any) -> None:
    key_id, sealed = seal(app, clock)
    with app.app_context():
        keys.add_master_key(app)
        keys.retire_master_key(app, 1)  # unchecked: as a restored old backup would find it
    with pytest.raises(datakeys.ShreddedError, match="destroyed"):
        open_sealed(app, key_id, sealed)


def test_a_data_key_under_a_missing_master_key_fails_loudly(
    app: Flask, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, sealed = seal(app, clock)
    with app.app_context():
        keys.add_master_key(app)
    (keys.key_dir(app) / "master-v1.key").unlink()  # lost, not destroyed by Passage
    monkeypatch.setattr(keys, "CHECK_SECONDS", 0)  # noticed at the next look
    with pytest.raises(keys.MissingKeyError, match="version 1 is missing"):
        open_sealed(app, key_id, sealed)


def test_a_destroyed_version_number_is_never_given_again(app: Flask) -> None:
    with app.app_context():
        assert keys.add_master_key(app) == 2
        keys.retire_master_key(app, 2)
        assert keys.add_master_key(app) == 3
