"""Log lines cannot be forged through request input."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from core.logs import SafeFormatter


def test_newlines_in_logged_values_stay_on_one_line() -> None:
    record = logging.LogRecord(
        "access",
        logging.WARNING,
        __file__,
        1,
        "failed sign-in for %s",
        ("x\nFAKE 2026 INFO admin signed in",),
        None,
    )
    line = SafeFormatter("%(message)s").format(record)
    assert "\n" not in line
    assert line == "failed sign-in for x\\nFAKE 2026 INFO admin signed in"


def test_tracebacks_are_escaped_into_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError as error:
        record = logging.LogRecord(
            "core",
            logging.ERROR,
            __file__,
            1,
            "crash",
            (),
            (ValueError, error, error.__traceback__),
        )
    line = SafeFormatter("%(message)s").format(record)
    assert "\n" not in line
    assert "Traceback" in line


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("x\rFAKE", "x\\rFAKE"),
        ("x\x1b[2JFAKE", "x\\x1b[2JFAKE"),
        ("x\u2028FAKE", "x\\u2028FAKE"),
        ("x\x00FAKE", "x\\x00FAKE"),
    ],
)
def test_other_control_characters_are_escaped(value: str, escaped: str) -> None:
    record = logging.LogRecord(
        "access", logging.WARNING, __file__, 1, "failed sign-in for %s", (value,), None
    )
    assert SafeFormatter("%(message)s").format(record) == f"failed sign-in for {escaped}"


def test_the_apps_loggers_write_one_line_per_record(app: Flask) -> None:
    record = logging.LogRecord(
        "access", logging.WARNING, __file__, 1, "failed sign-in for %s", ("x\nFAKE",), None
    )
    names = ("core", "access", "screening", "referral")
    for logger in (app.logger, *(logging.getLogger(name) for name in names)):
        assert logger.handlers
        for handler in logger.handlers:
            line = handler.format(record)
            assert "\n" not in line
            assert line.endswith("failed sign-in for x\\nFAKE")
