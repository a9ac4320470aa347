"""Requests refused by a rate limit: one audit event per client, limit and window, however
many requests the client sends, with the count kept beside it for auditors.

A flood must not grow the append-only audit log without bound, nor be lost in it. The first
refusal of a window appends a ``rate_limited`` event (the log stays append-only and its chain
untouched); every refusal, the first included, is counted in that window's row of
``rate_limit_windows``, which the event names in its details (``window``, a keyed hash).
The audit log page shows the count beside the event. Windows are the limit's own period (a
minute for "30 per minute") aligned on the service clock, and the client is stored only as
a keyed HMAC of its address; the event itself carries the address, as every event does.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access.models import RateLimitWindow
from core import db


def window_start(now: datetime, seconds: int) -> datetime:
    """The start of the ``seconds``-long window holding ``now``."""
    seconds = max(1, int(seconds))
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=UTC)


def _window_id(secret_key: str, client: str, limit: str, endpoint: str, start: datetime) -> str:
    text = "\x00".join((client, limit, endpoint, start.isoformat()))
    return hmac.new(
        str(secret_key).encode(), b"rate-limit:" + text.encode(), hashlib.sha256
    ).hexdigest()


def record_refusal(
    store: Session,
    *,
    client: str | None,
    per: str = "address",
    limit: str,
    window_seconds: int,
    endpoint: str | None,
    now: datetime,
    secret_key: str,
) -> bool:
    """Count one refused request of ``client`` (an address, or ``user:<id>`` when the limit is
    ``per`` user); the first of its window also appends the ``rate_limited`` audit event. True
    when this refusal wrote the event."""
    start = window_start(now, window_seconds)
    row_id = _window_id(secret_key, client or "", limit, endpoint or "", start)
    # The primary key decides which refusal is first, even between workers at once.
    first = store.execute(
        db.insert(store, RateLimitWindow)
        .values(
            id=row_id,
            rate_limit=limit,
            endpoint=endpoint,
            window_start=start,
            refused=1,
            last_refused_at=now,
        )
        .on_conflict_do_nothing(index_elements=[RateLimitWindow.id])
        .returning(RateLimitWindow.id)
    ).first()
    if first is not None:
        audit.record(
            store,
            "rate_limited",
            "denied",
            details={
                "limit": limit,
                "per": per,
                "endpoint": endpoint,
                "window_start": start.isoformat(),
                "window_seconds": int(window_seconds),
                "window": row_id,
            },
        )
        return True
    store.execute(
        sa.update(RateLimitWindow)
        .where(RateLimitWindow.id == row_id)
        .values(refused=RateLimitWindow.refused + 1, last_refused_at=now)
    )
    return False


def refused_counts(store: Session, windows: Iterable[str]) -> dict[str, int]:
    """How many requests were refused in each of ``windows`` (the ``window`` a
    ``rate_limited`` event names)."""
    wanted = list(windows)
    if not wanted:
        return {}
    rows = store.execute(
        sa.select(RateLimitWindow.id, RateLimitWindow.refused).where(RateLimitWindow.id.in_(wanted))
    )
    return {window: refused for window, refused in rows}
