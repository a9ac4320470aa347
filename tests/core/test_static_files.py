"""Static files under fingerprinted names, cached for a year; everything else still
``no-store`` (docs/architecture.md, "Page weight and static files")."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from flask import Flask, url_for

from core import static_files
from tests.helpers import Client

ROOT = Path(__file__).resolve().parents[2]
IMMUTABLE = "public, max-age=31536000, immutable"
LINKED = re.compile(r'<link rel="stylesheet" href="(/static/passage\.([0-9a-f]+)\.css)">')


def stylesheet_url(client: Client) -> str:
    match = LINKED.search(client.get("/login").get_data(as_text=True))
    assert match, "the page links no fingerprinted stylesheet"
    return match.group(1)


def test_pages_link_the_stylesheet_under_the_hash_of_its_content(client: Client) -> None:
    match = LINKED.search(client.get("/login").get_data(as_text=True))
    assert match is not None
    content = (ROOT / "static" / "passage.css").read_bytes()
    assert match.group(2) == hashlib.sha256(content).hexdigest()[:12]


def test_a_fingerprinted_file_is_served_for_a_year_with_its_bytes(client: Client) -> None:
    with client.get(stylesheet_url(client)) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert "Pragma" not in response.headers
        assert response.mimetype == "text/css"
        assert response.data == (ROOT / "static" / "passage.css").read_bytes()
        assert response.headers["X-Content-Type-Options"] == "nosniff"  # still every header


def test_revalidating_a_fingerprinted_file_answers_304_immutable(client: Client) -> None:
    url = stylesheet_url(client)
    with client.get(url) as first:
        tag = first.headers["ETag"]
    with client.get(url, headers={"If-None-Match": tag}) as again:
        assert again.status_code == 304
        assert again.headers["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize(
    "path",
    [
        "/static/passage.css",  # the plain name
        "/static/passage.000000000000.css",  # a stale or made-up fingerprint
        "/static/passage.css.css",
        "/static/../wsgi.py",
        "/static/no-such-file.js",
    ],
)
def test_any_other_name_is_404_and_never_cached(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_ordinary_pages_stay_no_store(client: Client) -> None:
    for path in ("/login", "/healthz"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def _app(folder: Path) -> Flask:
    app = Flask(__name__, static_folder=None)
    static_files.init_app(app, folder)
    return app


def _url(app: Flask, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_new_content_gets_a_new_name_and_the_old_name_is_gone(tmp_path: Path) -> None:
    (tmp_path / "icons").mkdir()
    (tmp_path / "app.css").write_text("body { color: black }")
    (tmp_path / "icons" / "mark.svg").write_text("<svg/>")
    before = _app(tmp_path)
    old = _url(before, "app.css")
    assert old == "/static/app.f674c2ffb741.css"
    assert _url(before, "icons/mark.svg") == "/static/icons/mark.d4dc56669143.svg"
    (tmp_path / "app.css").write_text("body { color: navy }")
    after = _app(tmp_path)
    new = _url(after, "app.css")
    assert new == "/static/app.16bcedd96262.css"
    assert after.test_client().get(old).status_code == 404
    with after.test_client().get(new) as response:
        assert response.data == b"body { color: navy }"


def test_names_are_worked_out_once_at_start_up(tmp_path: Path) -> None:
    (tmp_path / "app.css").write_text("body { color: black }")
    app = _app(tmp_path)
    (tmp_path / "app.css").write_text("body { color: navy }")
    assert _url(app, "app.css") == "/static/app.f674c2ffb741.css"
