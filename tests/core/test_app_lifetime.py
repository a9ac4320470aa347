"""An app, once nobody holds it, is freed: nothing the app registers with a library for good
(SQLAlchemy session events, rate limits, hooks) keeps it alive. Workers build one app, but
tests build thousands, and a leak there hid the suite's memory growth (core/mail.py)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from core import keys
from core.clock import FrozenClock
from tests.conftest import START, TEST_CONFIG
from wsgi import create_app


def test_an_app_nobody_holds_is_freed(database_url: str, tmp_path: Path) -> None:
    app = create_app(
        {**TEST_CONFIG, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i")},
        FrozenClock(START),
    )
    keys.create_missing(app)
    with app.test_client() as client:
        assert client.get("/healthz").status_code == 200
    app.extensions["passage.engine"].dispose()
    gone = weakref.ref(app)
    del app, client
    gc.collect()
    assert gone() is None
