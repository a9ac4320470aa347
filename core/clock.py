"""The one source of "now": a clock stored on the app, which tests replace with a frozen one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask, current_app


class Clock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        """Return the current aware UTC time."""
        return datetime.now(UTC)


class FrozenClock(Clock):
    """A clock that stands still until moved; for tests and benchmarks."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by a ``timedelta(**delta)``."""
        self._now += timedelta(**delta)


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later; 28 February for 29 February in a year with no leap day.
    For bounds such as "at most five years ahead"."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def init_app(app: Flask, clock: Clock | None = None) -> None:
    """Attach ``clock`` (the wall clock by default) to ``app``."""
    app.extensions["passage.clock"] = clock or Clock()


def of(app: Flask) -> Clock:
    """The clock of ``app`` (for code that holds the app outside an app context)."""
    clock: Clock = app.extensions["passage.clock"]
    return clock


def now() -> datetime:
    """The current app's idea of now."""
    return of(current_app).now()
