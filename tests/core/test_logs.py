"""Log lines cannot be forged through request input."""

from __future__ import annotations

import logging

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
