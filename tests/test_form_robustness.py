"""Every POST route outside the API is swept with hostile form bodies (R30): the routes are
listed per package (tests/access, tests/referral and tests/screening, each
``test_form_robustness.py``), and bodies no form sends are refused on every one of them."""

from __future__ import annotations

from flask import Flask

from tests.access.test_form_robustness import ROUTES as ACCESS
from tests.form_sweep import World, refused_shapes
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
