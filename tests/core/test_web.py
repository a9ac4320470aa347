"""Headers on every response (R32), no caching of pages (R33), generic errors (R34), size
limits (R30) and templates that need no inline script."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

from access import guard
from tests.helpers import Account, Client, csrf_from
from tests.screening import payloads

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def assert_security_headers(response: Any) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["Permissions-Policy"] == (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
        "interest-cohort=(), browsing-topics=()"
    )
    assert "Server" not in headers


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/",
        "/healthz",
        "/static/passage.css",
        "/no-such-page",
        "/_test/boom",
        "/api/v1/me",
    ],
)
def test_every_response_carries_security_headers(client: Client, path: str) -> None:
    with client.get(path) as response:
        assert_security_headers(response)


def test_a_server_header_set_by_a_view_is_dropped(app: Flask) -> None:
    @guard.public
    def banner() -> Response:
        return Response("ok", headers={"Server": "Canary/9.9"})

    app.add_url_rule("/_test/banner", "test_banner", banner)
    response = app.test_client().get("/_test/banner")
    assert response.status_code == 200
    assert "Server" not in response.headers


def test_signed_in_pages_are_not_cached(signed_in: Any) -> None:
    client = signed_in("screener")
    for path in ("/", "/account", "/account/password"):
        headers = client.get(path).headers
        assert headers["Cache-Control"] == "no-store"
        assert headers["Pragma"] == "no-cache"


def test_crash_shows_generic_page_without_details(client: Client, caplog: Any) -> None:
    response = client.get("/_test/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body
    assert "canary-secret" not in body
    assert "RuntimeError" not in body
    assert "canary-secret" not in caplog.text


def test_api_crash_uses_error_shape(app: Flask) -> None:
    app.add_url_rule("/api/v1/_boom", "api_boom", app.view_functions["test_boom"])
    response = app.test_client().get("/api/v1/_boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"


def test_trace_is_not_allowed(client: Client) -> None:
    assert client.raw.open("/login", method="TRACE").status_code == 405


def test_oversized_body_gets_413(client: Client) -> None:
    response = client.raw.post("/login", data={"email": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413


def test_invalid_form_input_gets_form_errors_not_500(
    client: Client, accounts: dict[str, Account]
) -> None:
    for data, status in (
        ({"email": "", "password": ""}, 400),  # the form's own checks refuse it
        ({"email": "\x01\x02", "password": "\ud7ff"}, 400),  # control characters: the field's
        ({"email": "ünknown", "password": "\ud7ff"}, 422),  # well formed, a failed sign-in
        ({"email": "a" * 300, "password": "b" * 2000}, 400),
    ):
        response = client.post("/login", data)
        assert response.status_code == status
        assert 'class="error"' in response.get_data(
            as_text=True
        ) or "Sign-in failed" in response.get_data(as_text=True)


def test_templates_have_no_inline_script_or_handlers() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert "style=" not in text, template


def test_pages_load_nothing_from_elsewhere(client: Client) -> None:
    body = client.get("/login").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_autoescaping_of_user_supplied_text(client: Client) -> None:
    response = client.post(
        "/login", {"email": "<script>alert(1)</script>@x.org", "password": "whatever it is long"}
    )
    body = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_autoescaping_of_text_a_person_gave(
    client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    # Rendered by a template's {{ }}, not by a form widget, which escapes on its own.
    token = issue_token(accounts["screener"])
    data = payloads.body()
    data["subject"]["given_name"] = "<script>alert(1)</script>"
    created = client.raw.post(
        "/api/v1/screenings", json=data, headers={"Authorization": f"Bearer {token}"}
    )
    assert created.status_code == 201, created.get_json()
    client.sign_in(accounts["screener"])
    page = client.get(f"/cases/{created.get_json()['case_id']}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("path", ["/login?next=%00", "/api/v1/audit/events?action=a%00b"])
def test_nul_characters_in_queries_are_refused(client: Client, path: str) -> None:
    assert client.get(path).status_code == 400


def test_nul_characters_in_forms_and_json_are_refused(client: Client) -> None:
    assert client.post("/login", {"email": "a\x00@x.org", "password": "p"}).status_code == 400
    response = client.raw.post(
        "/api/v1/screenings",
        data=b'{"instrument": "a\\u0000"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_a_json_body_to_a_form_is_refused_as_the_wrong_kind(
    client: Client, accounts: dict[str, Account]
) -> None:
    # Flask-WTF reads JSON as form data when the CSRF token comes in its header: a number or
    # an object where the form expects text made /login (and every form) answer 500.
    token = csrf_from(client.get("/login"))
    for body in ({"email": 5, "password": {"a": 1}}, [1, 2], {"email": "\ud800", "password": "p"}):
        response = client.raw.post("/login", json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 415
        assert "This page takes only what its own form sends" in response.get_data(as_text=True)


def test_a_file_sent_to_a_form_is_refused_as_the_wrong_kind(
    client: Client, accounts: dict[str, Account]
) -> None:
    # No form takes a file: one sent as a text field reached the form as a file object (500).
    token = csrf_from(client.get("/login"))
    response = client.raw.post(
        "/login",
        data={"csrf_token": token, "email": (io.BytesIO(b"Canaryfile"), "a.txt"), "password": "p"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 415
    # A multipart form of text fields only, as a browser may send, is read as usual.
    response = client.raw.post(
        "/login",
        data={"csrf_token": token, "email": "canaryform@test.passage.example", "password": "p"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422  # read, and a failed sign-in


def test_the_api_still_takes_json(
    client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["screener"])
    response = client.raw.post(
        "/api/v1/screenings", json=payloads.body(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code != 415
