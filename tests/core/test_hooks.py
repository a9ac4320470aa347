"""Hooks (core/hooks.py, docs/architecture.md): a port without its receiver fails loudly, a
port takes one receiver only, an event calls its receivers in order; and the composition root
attaches a receiver to every hook the packages declare."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from flask import Flask

from core.hooks import Hook, HookMissing

PACKAGES = ("access", "core", "screening", "referral", "reporting")


def test_a_port_without_its_receiver_fails_loudly() -> None:
    bare = Flask("bare")
    with bare.app_context(), pytest.raises(HookMissing, match="wsgi.create_app"):
        Hook("test.port", port=True).ask(screening_id=1)


def test_a_port_answers_with_its_one_receiver() -> None:
    app, port = Flask("port"), Hook("test.port", port=True)
    port.attach(app, lambda value: value * 2)
    with pytest.raises(RuntimeError, match="already has its receiver"):
        port.attach(app, lambda value: value)
    with app.app_context():
        assert port.ask(value=21) == 42


def test_an_event_calls_every_receiver_in_order() -> None:
    app, event, heard = Flask("event"), Hook("test.event"), []
    event.attach(app, lambda value: heard.append(("first", value)))
    event.attach(app, lambda value: heard.append(("second", value)))
    with app.app_context():
        event.tell(value=7)
        with pytest.raises(TypeError):
            event.ask(value=7)
    assert heard == [("first", 7), ("second", 7)]


def declared() -> dict[str, Hook]:
    found: dict[str, Hook] = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__, f"{package}."):
            for value in vars(importlib.import_module(info.name)).values():
                if isinstance(value, Hook):
                    found[value.name] = value
    return found


def test_every_declared_hook_has_its_receivers_in_the_app(app: Any) -> None:
    hooks = declared()
    assert {
        "screening.open-case",
        "screening.find-case",
        "retention.shredding",
        "access.user-disabled",
        "referral.step",
    } <= set(hooks)
    unattached = sorted(name for name, hook in hooks.items() if not hook.receivers(app))
    assert unattached == []
    ports = {name for name, hook in hooks.items() if hook.port}
    assert all(len(hooks[name].receivers(app)) == 1 for name in ports)
