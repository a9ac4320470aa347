"""The value axis shared by every report chart (docs/reporting.md §4): the view box and its
margins, the fixed size of a suppressed cell's stub, the legend's line pitch, and the scale
from zero to a round number at or above the largest published value, with its ticks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

WIDTH = 400  # view-box width of every chart; small enough that text stays legible on a phone
PAD = 8  # margin around the drawing, so strokes and centred tick labels are never clipped
STUB = 8  # length of a suppressed cell's hatched stub, whatever the scale
LEGEND_ROW = 22  # pitch of legend lines; the swatch is 14 units square


@dataclass(frozen=True)
class Tick:
    """A labelled value on an axis, ``position`` units from the zero line."""

    value: int
    position: float


@dataclass(frozen=True)
class Scale:
    """Published values 0…``maximum`` mapped onto 0…``length`` units."""

    maximum: int
    length: float
    ticks: tuple[Tick, ...]

    def at(self, value: int) -> float:
        """The length of ``value``; 0 for everything when ``maximum`` is 0."""
        if self.maximum == 0:
            return 0.0
        return round(value * self.length / self.maximum, 2)


def _steps() -> Iterator[int]:
    """Whole tick steps in increasing order: 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, …"""
    power = 1
    while True:
        yield power
        yield 2 * power
        if power >= 10:
            yield 5 * power // 2
        yield 5 * power
        power *= 10


def nice_maximum(largest: int, steps: int = 4) -> tuple[int, int]:
    """The axis end and tick step for a largest value: the smallest step of ``_steps`` that
    covers ``largest`` in at most ``steps`` steps, and ``largest`` rounded up to a multiple
    of it. ``(0, 0)`` when there is nothing above zero."""
    if largest <= 0:
        return 0, 0
    step = next(s for s in _steps() if s * steps >= largest)
    return math.ceil(largest / step) * step, step


def value_scale(largest: int, length: float) -> Scale:
    """A scale from zero to ``nice_maximum(largest)`` over ``length`` units, with its ticks."""
    maximum, step = nice_maximum(largest)
    scale = Scale(maximum, length, ())
    values = range(0, maximum + 1, step) if step else (0,)
    return Scale(maximum, length, tuple(Tick(v, scale.at(v)) for v in values))
