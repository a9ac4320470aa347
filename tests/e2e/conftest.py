"""Fixtures for browser tests: Debian's Chromium driven by Playwright, Passage served from a thread.

Every test here is marked ``browser``. Without a Chromium (``/usr/bin/chromium``, or the path in
``PASSAGE_CHROMIUM``) or without Playwright the tests are skipped, or fail when
``REQUIRE_BROWSER=1`` says a run must include them.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("PASSAGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # Without these Chromium keeps trying to reach hosts it cannot.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRED = "set REQUIRE_BROWSER=1 to make this an error"


def _missing_browser() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium found at {CHROMIUM}; install Debian's chromium package, or {REQUIRED}"
    try:
        importlib.import_module("playwright.sync_api")
    except ImportError as error:
        return (
            f"playwright is not importable ({error}); install the dev extras "
            f"(pip install -e '.[dev]'), or {REQUIRED}"
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of this folder ``browser``."""
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, with ``REQUIRE_BROWSER=1``, fail) before any fixture needs the browser."""
    reason = _missing_browser()
    if reason is None:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason.partition(', or ')[0]}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Launch Debian's Chromium headless, never a browser Playwright downloads."""
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """An English-speaking browser whatever the host's locale, so pages start in English."""
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app served on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Wait for requests still being served when the test ends (the browser may be fetching
    # one more page): a request cut off by the engine's disposal would leave its database
    # connection to the garbage collector, and its ResourceWarning fail a later test.
    server.daemon_threads = False
    server.block_on_close = True
    # A short poll interval lets shutdown() return quickly at the end of each test.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()
