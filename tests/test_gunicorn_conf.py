"""gunicorn.conf.py: the app is built once in the master (preload) and frozen out of the
garbage collector's sight before each worker is forked; a worker starts its own pool of
database connections."""

from __future__ import annotations

import gc
import runpy
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


@pytest.fixture
def conf() -> Iterator[dict[str, Any]]:
    yield runpy.run_path(str(CONF))
    gc.unfreeze()


def test_the_app_is_built_once_in_the_master(conf: dict[str, Any]) -> None:
    assert conf["preload_app"] is True
    assert conf["wsgi_app"] == "wsgi:create_app()"


def test_what_the_master_built_is_frozen_before_a_worker_is_forked(conf: dict[str, Any]) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    conf["pre_fork"](None, None)
    assert gc.get_freeze_count() > 10_000  # at least the modules imported so far


def test_a_worker_starts_a_pool_of_its_own(conf: dict[str, Any], app: Flask) -> None:
    engine = app.extensions["passage.engine"]
    with engine.connect() as connection:  # one the master would hand down
        connection.execute(sa.select(1))
        masters = connection.connection.driver_connection
    assert engine.pool.checkedin() == 1
    worker = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))
    conf["post_fork"](None, worker)
    assert engine.pool.checkedin() == 0
    masters.close()  # the master's to close, not the worker's


def test_another_app_served_from_here_is_left_alone(conf: dict[str, Any]) -> None:
    worker = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: Flask("bare")))
    conf["post_fork"](None, worker)  # no Passage engine: nothing to do, nothing raised
