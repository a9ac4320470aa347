"""``GET /healthz`` tells a load balancer whether the database answers."""

from __future__ import annotations

from typing import Any

from flask import url_for


def test_healthz_answers_ok_without_signing_in(client: Any, app: Any) -> None:
    with app.test_request_context():
        url = url_for("healthz")
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_reports_unreachable_database(make_app: Any, tmp_path: Any) -> None:
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing-dir/nothing.sqlite3")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
