"""The ``Idempotency-Key`` of ``POST /api/v1/screenings`` (docs/screening.md §3.1).

A client on a slow connection that never saw the answer to its screening sends it again. With
the same key, it gets the screening the first call stored, never a second person and case.
The key is kept only as a keyed hash bound to the caller (``Screening.start_key``), with a
keyed digest of the body it came with (``Screening.start_digest``): the same key with another
body is refused (422) rather than answered with another person's screening, and a key whose
screening the caller may no longer open is refused too (409), saying nothing about it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core import crypto, keys
from core.errors import MalformedRequest, NotNow, RefusedError
from screening import services
from screening.models import Screening

HEADER = "Idempotency-Key"
SHAPE = re.compile(r"[A-Za-z0-9._:-]{8,100}")
HASH_CHARS = 32  # the columns' width: 128 bits of HMAC-SHA256, in hex


class KeyReused(RefusedError):
    """The key was sent before with another body: a client reusing keys (422)."""


class KeyTaken(NotNow):
    """The key was used before for a screening the caller may not open now (409)."""


@dataclass(frozen=True)
class Claim:
    """What a request's key becomes in the database."""

    key: str  # Screening.start_key
    digest: str  # Screening.start_digest


def _mac(secret: bytes, *parts: bytes) -> str:
    return hmac.new(secret, b"\x00".join(parts), hashlib.sha256).hexdigest()[:HASH_CHARS]


def claim(header: str | None, user_id: uuid.UUID, body: Any) -> Claim | None:
    """The request's claim, None without the header; a malformed key is refused (400)."""
    if header is None:
        return None
    if not SHAPE.fullmatch(header):
        raise MalformedRequest.on(
            HEADER, "8 to 100 letters, digits, '.', '_', ':' or '-', such as a new UUID"
        )
    secret = crypto.derive_key(keys.keyring().index, "idempotency-key")
    # The same body in any key order or spacing is the same request.
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Claim(
        key=_mac(secret, b"key", str(user_id).encode(), header.encode()),
        digest=_mac(secret, b"body", canonical.encode()),
    )


def earlier(store: Session, user: Any, claimed: Claim | None) -> Screening | None:
    """The screening this key already started, if any (see the module's docstring)."""
    if claimed is None:
        return None
    screening = services.started_with(store, user, claimed.key)
    if screening is None:
        if services.key_taken(store, claimed.key):
            raise KeyTaken.on(HEADER, "this key was used before; send a new one")
        return None
    if screening.start_digest != claimed.digest:
        raise KeyReused.on(HEADER, "this key was sent before with another screening")
    return screening
