"""The demo loads three synthetic people screened and referred through the real services
(referral/demo_cases.py): the screener finds what they referred (a child's urgently), the partner
a referral waiting and one accepted, and loading the demo again adds nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask

SCREENER = "screener@demo.passage.example"
PARTNER = "partner@demo.passage.example"


def _run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def _get(app: Flask, email: str, url: str) -> Any:
    token = _run(app, "tokens", "issue", email).stdout.strip().splitlines()[0]
    response = app.test_client().get(f"/api/v1{url}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_each_demo_role_finds_work_waiting_and_a_second_load_adds_nothing(
    make_app: Any,
) -> None:
    app = make_app(ENV="development")
    first = _run(app, "demo")
    assert first.exit_code == 0, first.output
    assert "Demo cases: 3 synthetic people screened and referred" in first.output
    again = _run(app, "demo")
    assert again.exit_code == 0, again.output
    assert "Demo cases" not in again.output

    sent = _get(app, SCREENER, "/referrals")["items"]
    assert sorted((r["state"], r["urgency"]) for r in sent) == [
        ("accepted", "normal"),
        ("pending", "normal"),
        ("pending", "urgent"),
    ]
    inbox = _get(app, PARTNER, "/referrals")["items"]
    assert sorted(r["state"] for r in inbox) == ["accepted", "pending"]
    verified = _run(app, "audit", "verify")
    assert verified.exit_code == 0, verified.output
