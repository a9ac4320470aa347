"""Static files under fingerprinted names, cached for a year (docs/architecture.md, "Page
weight and static files").

At start-up every file of the static folder is read once and named by its content:
``passage.css`` is served as ``/static/passage.<hash>.css``, where the hash is the first
hex digits of the file's SHA-256. ``url_for('static', filename='passage.css')`` writes that
name, so a page always asks for the bytes it was made with, and a browser may keep them for
a year without asking again (``immutable``): a new stylesheet is a new name. Any other name
under ``/static/`` — a plain one, or one whose hash is not the current content's (a page
from an older deployment) — is answered 404, so nothing but current content is ever cached
as immutable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from flask import Flask, Response, send_from_directory
from werkzeug.exceptions import NotFound

EXTENSION = "passage.static_files"
HASH_DIGITS = 12
# A year, the most RFC 9111 recommends; "immutable" spares the revalidation on reload.
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Fingerprints:
    """The static folder's files, each under its fingerprinted name and back."""

    folder: Path
    named: dict[str, str]  # "passage.css" -> "passage.<hash>.css"
    files: dict[str, str]  # and back

    @classmethod
    def of(cls, folder: Path) -> Fingerprints:
        """Read every file under ``folder`` once and name it by its content."""
        named = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = PurePosixPath(path.relative_to(folder).as_posix())
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_DIGITS]
            named[str(relative)] = str(relative.with_name(_stamped(relative.name, digest)))
        return cls(folder, named, {v: k for k, v in named.items()})

    def url_name(self, filename: str) -> str:
        """The name ``url_for`` writes for ``filename`` (unchanged if there is no such file,
        so that the link fails visibly with a 404)."""
        return self.named.get(filename, filename)


def _stamped(name: str, digest: str) -> str:
    # "passage.css" -> "passage.<digest>.css"; a name without a suffix gets it at the end.
    stem, dot, suffix = name.partition(".")
    return f"{stem}.{digest}{dot}{suffix}"


def init_app(app: Flask, folder: Path) -> None:
    """Serve ``folder`` under ``/static/`` by fingerprinted names only (the app is built
    with ``static_folder=None``, so this is the one ``static`` endpoint)."""
    prints = Fingerprints.of(folder)
    app.extensions[EXTENSION] = prints

    def static(filename: str) -> Response:
        real = prints.files.get(filename)
        if real is None:
            raise NotFound()
        response = send_from_directory(prints.folder, real, max_age=31536000, etag=True)
        response.headers["Cache-Control"] = IMMUTABLE
        return response

    app.add_url_rule("/static/<path:filename>", "static", static)

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = prints.url_name(values["filename"])
