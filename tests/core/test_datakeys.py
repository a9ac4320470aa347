"""Data keys: wrapped storage, rotation across master keys, and crypto-shredding (R36-R38)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import crypto, datakeys, db, keys
from core.datakeys import DataKey


def entropy(data: bytes) -> float:
    counts = Counter(data)
    return -sum(c / len(data) * math.log2(c / len(data)) for c in counts.values())


def seal_values(app: Flask, clock: Any, count: int) -> list[tuple[int, Any, bytes]]:
    sealed = []
    with app.app_context():
        store = db.session()
        for number in range(count):
            cipher = datakeys.create(store, "test", clock.now())
            sealed.append(
                (number, cipher.key_id, cipher.seal("tests", "value", number, f"canary-{number}"))
            )
        store.commit()
    return sealed


def open_all(app: Flask, sealed: list[tuple[int, Any, bytes]]) -> list[str | None]:
    with app.app_context():
        store = db.session()
        return [
            datakeys.cipher(store, key_id).open("tests", "value", number, value)
            for number, key_id, value in sealed
        ]


def test_data_keys_are_stored_only_wrapped(app: Flask, clock: Any) -> None:
    with app.app_context():
        store = db.session()
        cipher = datakeys.create(store, "test", clock.now())
        store.commit()
        row = store.get(DataKey, cipher.key_id)
    assert row is not None
    assert cipher.key not in (row.wrapped or b"")
    assert len(row.wrapped or b"") == 1 + 12 + 32 + 16
    assert entropy(row.wrapped or b"") > 5


def test_a_subjects_value_opens_only_in_the_row_and_column_it_was_sealed_for(
    app: Flask, clock: Any
) -> None:
    with app.app_context():
        cipher = datakeys.create(db.session(), "test", clock.now())
        sealed = cipher.seal("tests", "value", 1, "canary-1")
        assert cipher.open("tests", "value", 1, sealed) == "canary-1"
        for table, column, row_id in [("tests", "value", 2), ("tests", "other", 1)]:
            with pytest.raises(crypto.DecryptionError):
                cipher.open(table, column, row_id, sealed)


def test_rotation_rewraps_everything_and_old_master_can_go(app: Flask, clock: Any) -> None:
    sealed = seal_values(app, clock, 7)
    with app.app_context():
        target = keys.add_master_key(app)
        moved = datakeys.rewrap(db.session(), target, batch=3)
        assert moved == 7
        assert datakeys.versions_in_use(db.session()) == {target: 7}
        keys.retire_master_key(app, 1)
    assert not (keys.key_dir(app) / "master-v1.key").exists()
    assert open_all(app, sealed) == [f"canary-{n}" for n in range(7)]


def test_interrupted_rotation_resumes(app: Flask, clock: Any, monkeypatch: Any) -> None:
    sealed = seal_values(app, clock, 6)
    with app.app_context():
        target = keys.add_master_key(app)
        real_wrap = datakeys.crypto.wrap
        calls = {"n": 0}

        def failing_wrap(*args: Any) -> bytes:
            calls["n"] += 1
            if calls["n"] > 4:
                raise KeyboardInterrupt
            return real_wrap(*args)

        monkeypatch.setattr(datakeys.crypto, "wrap", failing_wrap)
        with pytest.raises(KeyboardInterrupt):
            datakeys.rewrap(db.session(), target, batch=2)
        monkeypatch.undo()
        db.session().rollback()
        assert datakeys.versions_in_use(db.session()) == {1: 2, target: 4}
    assert open_all(app, sealed) == [f"canary-{n}" for n in range(6)]  # reads work mid-way
    with app.app_context():
        assert datakeys.rewrap(db.session(), target) == 2
    assert open_all(app, sealed) == [f"canary-{n}" for n in range(6)]


def test_shredding_makes_ciphertext_unreadable(app: Flask, clock: Any) -> None:
    sealed = seal_values(app, clock, 2)
    with app.app_context():
        store = db.session()
        assert datakeys.shred(store, sealed[0][1], clock.now())
        assert not datakeys.shred(store, sealed[0][1], clock.now())
        store.commit()
        with pytest.raises(datakeys.ShreddedError):
            datakeys.cipher(store, sealed[0][1])
        row = store.get(DataKey, sealed[0][1])
        assert row is not None
        assert row.wrapped is None
        assert row.shredded_at is not None
    assert open_all(app, sealed[1:2]) == ["canary-1"]  # the other subject is untouched


def test_missing_master_version_fails_closed(app: Flask, clock: Any) -> None:
    sealed = seal_values(app, clock, 1)
    (keys.key_dir(app) / "master-v1.key").unlink()
    keys.create_missing(app)  # a fresh v1 that wrapped nothing
    with pytest.raises(datakeys.crypto.DecryptionError):
        open_all(app, sealed)


def test_raw_database_holds_no_secrets(app: Flask, clock: Any, make_account: Any) -> None:
    account = make_account("screener")
    with app.app_context():
        engine = app.extensions["passage.engine"]
        with engine.connect() as connection:
            dump = "\n".join(
                repr(tuple(row))
                for table in db.Base.metadata.sorted_tables
                for row in connection.execute(sa.select(table))
            )
    assert account.secret not in dump
    assert account.password not in dump
