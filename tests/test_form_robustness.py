"""Every POST route outside the API is swept with hostile form bodies (R30): the routes are
listed per package (tests/access, tests/referral and tests/screening, each
``test_form_robustness.py``), and bodies no form sends are refused on every one of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, request

from access import guard, teams
from core import db
from core.clock import FrozenClock
from tests.access.test_form_robustness import ROUTES as ACCESS
from tests.form_sweep import TEXT, Route, World, refused_shapes, sweep
from tests.helpers import Client
from tests.referral.test_form_robustness import ROUTES as REFERRAL
from tests.screening.test_form_robustness import ROUTES as SCREENING

ALL_ROUTES = ACCESS + REFERRAL + SCREENING


def test_every_form_route_is_swept(app: Flask) -> None:
    swept = {route.endpoint for route in ALL_ROUTES}
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/")
    }
    assert swept == posts


def test_bodies_no_form_sends_are_refused_and_change_nothing(world: World) -> None:
    problems = refused_shapes(world, ALL_ROUTES)
    assert problems == [], "\n".join(problems)


def test_the_sweep_finds_a_500_and_a_refusal_that_changed_something(
    make_app: Callable[..., Flask], clock: FrozenClock
) -> None:
    """Two planted form routes: one fails on a long value, one stores then refuses."""
    app = make_app()

    @guard.public
    def crash() -> Any:
        if any(len(value) > 1000 for value in request.form.values()):
            raise RuntimeError("planted")
        return "", 204

    @guard.public
    def corrupt() -> Any:
        store = db.session()
        teams.ensure_team(store, f"Canaryform {len(request.form)}")
        store.commit()
        return "", 400

    app.add_url_rule("/_canaryform/crash", "canaryform.crash", crash, methods=["POST"])
    app.add_url_rule("/_canaryform/corrupt", "canaryform.corrupt", corrupt, methods=["POST"])
    world = World(app, {}, {"anonymous": Client(app, clock)}, {}, clock)
    routes = [
        Route(endpoint, "anonymous", f"/_canaryform/{name}", {"text": "Canaryform"}, {"text": TEXT})
        for endpoint, name in (("canaryform.crash", "crash"), ("canaryform.corrupt", "corrupt"))
    ]
    problems = sweep(world, routes)
    assert [p for p in problems if p.startswith("canaryform.crash")] == [
        "canaryform.crash text: over-long: 500",
        "canaryform.crash text: repeated, hostile first: 500",  # a field's first value counts
    ]
    assert "canaryform.corrupt no field: 400 but changed ['teams']" in problems
