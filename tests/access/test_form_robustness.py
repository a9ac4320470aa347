"""Hostile input to the access package's forms (R30): signing in, the language, the account,
sessions, user administration and approvals, swept by tests/form_sweep.py."""

from __future__ import annotations

from tests.form_sweep import CHOICE, NUMBER, TEXT, Route, World, reread, sweep
from tests.form_world import pending_enrolment, pending_sign_in

ROUTES = [
    Route(
        "access.language",
        "anonymous",
        "/language",
        {"locale": "fr", "next": "/"},
        {"locale": CHOICE, "next": TEXT},
    ),
    Route(
        "access.login",
        "anonymous",
        "/login",
        {"email": "canaryform@test.passage.example", "password": "not the password"},
        {"email": TEXT, "password": TEXT},
    ),
    Route(
        "access.code",
        "anonymous",
        "/login/code",
        {"code": "000000"},
        {"code": NUMBER},
        pending_sign_in,
    ),
    Route(
        "access.enrol",
        "anonymous",
        "/login/enrol",
        {"code": "000000"},
        {"code": NUMBER},
        pending_enrolment,
    ),
    Route(
        "access.set_password",
        "anonymous",
        "/password/{link}",
        {
            "password": "a long canaryform passphrase",
            "confirm": "a long canaryform passphrase",
            "code": "000000",
        },
        {"password": TEXT, "confirm": TEXT, "code": NUMBER},
    ),
    Route("access.account", "screener", "/account", {"locale": "fr"}, {"locale": CHOICE}),
    Route(
        "access.reauth",
        "screener",
        "/reauth",
        {"password": "wrong", "code": "000000"},
        {"password": TEXT, "code": NUMBER},
    ),
    Route(
        "access.change_password",
        "screener",
        "/account/password",
        {
            "current": "wrong",
            "password": "a long canaryform passphrase",
            "confirm": "a long canaryform passphrase",
            "code": "000000",
        },
        {"current": TEXT, "password": TEXT, "confirm": TEXT, "code": NUMBER},
    ),
    Route("access.end_own_session", "screener", "/account/sessions/{session}/end"),
    Route("access.end_other_sessions", "screener", "/account/sessions/end-others"),
    Route(
        "admin.new_user",
        "admin",
        "/admin/users/new",
        {
            "email": "canaryform.other@test.passage.example",
            "role": "screener",
            "team": "Team A",
            "partner": "",
        },
        {"email": TEXT, "role": CHOICE, "team": TEXT, "partner": CHOICE},
    ),
    Route(
        "admin.change_role",
        "admin",
        "/admin/users/{user}/role",
        {"role": "supervisor", "team": "Team A", "partner": ""},
        {"role": CHOICE, "team": TEXT, "partner": CHOICE},
    ),
    Route("admin.reset_second_factor", "admin", "/admin/users/{user}/reset-second-factor"),
    Route("admin.password_link", "admin", "/admin/users/{user}/password-link"),
    Route("admin.user_action", "admin", "/admin/users/{user}/unlock"),
    Route("admin.user_action", "admin", "/admin/users/{user}/end-sessions"),
    Route("admin.user_action", "admin", "/admin/users/{user}/disable"),
    Route("admin.user_action", "admin", "/admin/users/{user}/enable"),
    Route("approvals.approve", "supervisor", "/approvals/{change}/approve"),
    Route("approvals.refuse", "supervisor", "/approvals/{change}/refuse"),
    Route("access.logout", "screener", "/logout"),
]


def test_hostile_form_bodies_get_no_500_and_refusals_change_nothing(world: World) -> None:
    problems = sweep(world, ROUTES) + reread(world)
    assert problems == [], "\n".join(problems)
