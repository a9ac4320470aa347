"""Hooks: the one way a lower package reaches an upper one (docs/architecture.md).

Dependencies point one way (core, then access, screening, referral, reporting); a package
never imports one above it. When a lower package must have something done above it — a
completed screening opens a case, a shredded person's case closes first — it declares a
:class:`Hook`, and the composition root (``wsgi.create_app``, and nothing else) attaches
the upper package's receiver, so every such link is listed in one place.

A **port** has exactly one receiver and the caller uses its answer; asking a port that has
none fails loudly instead of answering nothing. An **event** has any number of receivers,
called in the order attached, their answers ignored. Receivers run in the caller's request
and transaction: what they write is kept or dropped with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

EXTENSION = "passage.hooks"


class HookMissing(RuntimeError):
    """A port was asked but the composition root attached no receiver to it."""


@dataclass(frozen=True)
class Hook:
    """A named place where an upper package is called; ``port`` when exactly one answers."""

    name: str
    port: bool = False

    def attach(self, app: Flask, receiver: Callable[..., Any]) -> None:
        """Call ``receiver`` when this hook fires in ``app``."""
        attached = app.extensions.setdefault(EXTENSION, {}).setdefault(self.name, [])
        if self.port and attached:
            raise RuntimeError(f"the port {self.name!r} already has its receiver")
        attached.append(receiver)

    def receivers(self, app: Flask) -> list[Callable[..., Any]]:
        """What is attached to this hook in ``app``, in order."""
        return list(app.extensions.get(EXTENSION, {}).get(self.name, ()))

    def ask(self, **arguments: Any) -> Any:
        """The answer of this port's receiver in the current app."""
        if not self.port:
            raise TypeError(f"{self.name!r} is an event: tell it, nobody answers")
        attached = self.receivers(current_app)
        if not attached:
            raise HookMissing(
                f"nothing is attached to the port {self.name!r}: "
                "wsgi.create_app must attach its receiver"
            )
        return attached[0](**arguments)

    def tell(self, **arguments: Any) -> None:
        """Call every receiver of this event in the current app."""
        if self.port:
            raise TypeError(f"{self.name!r} is a port: ask it")
        for receiver in self.receivers(current_app):
            receiver(**arguments)
