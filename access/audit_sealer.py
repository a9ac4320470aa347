"""Who seals the audit chain, and when (docs/security.md, Audit trail).

With ``AUDIT_SEALER = "thread"`` every web worker runs a :class:`Sealer` thread, started by the
first commit that added events in that process (so after gunicorn forks). It seals every
quarter of ``AUDIT_SEAL_MAX_DELAY_MS``, in batches: waking it on every commit would add a
write transaction per request. The workers take turns (``audit_chain.seal_all``: whoever
has the turn seals what is committed; the others skip the round). A command (no
request) seals its own events right after its commit, so the chain never waits for a web
worker to start. With ``"external"`` nothing runs in-process:
``flask --app wsgi audit seal --watch`` runs :meth:`Sealer.watch`.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Any

from flask import Flask, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from access import audit_chain
from access.audit import APPENDED
from core import keys, settings

_log = logging.getLogger(__name__)
BATCH = 1000
PATIENCE = 30.0  # seconds a command waits for its turn to seal: SQLite's busy timeout


class Sealer:
    """Seals committed events of one app's database, on demand or in a loop."""

    def __init__(
        self, factory: sessionmaker[Session], extensions: dict[str, Any], max_delay: float
    ) -> None:
        # The app's extensions, not the app: ``init-db`` may load the keyring later, and the
        # sealer must not keep its app alive.
        self._factory, self._extensions = factory, extensions
        self.poll = max_delay / 4
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def seal_now(self, wait: float = PATIENCE) -> int:
        """Seal every committed event, waiting up to ``wait`` seconds while another sealer
        has the turn; how many this sealed. A command waits, so that what it committed
        is sealed when it ends (and a checkpoint covers it); the watching loop does not,
        since the sealer at work seals for everyone."""
        ring = self._extensions.get("passage.keys")
        if ring is None:
            raise keys.MissingKeyError("the audit key is missing: nothing can be sealed")
        with self._factory() as store:
            return audit_chain.seal_all(store, ring.audit, BATCH, wait)

    def start(self) -> None:
        """Start this process's sealing thread unless it runs already."""
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._stop.clear()
            self._thread = threading.Thread(target=self.watch, name="audit-sealer", daemon=True)
            self._thread.start()

    def watch(self) -> None:
        """Seal every :attr:`poll` seconds until :meth:`stop`. A failed
        round (the database away, say) is logged and tried again: nothing is lost, the
        events wait unsealed, and ``audit verify`` reports how long."""
        while not self._stop.wait(self.poll):
            try:
                self.seal_now(wait=0)
            except Exception:
                _log.exception("audit sealing failed; trying again")

    def stop(self) -> None:
        """End the loop (and this process's thread) after the current round."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)


def _after_commit(sealer_ref: weakref.ref[Sealer], store: Session) -> None:
    if not store.info.pop(APPENDED, False):
        return
    sealer = sealer_ref()
    if sealer is None:
        return
    if has_request_context():
        sealer.start()
    else:
        sealer.seal_now()


def _after_rollback(store: Session) -> None:
    store.info.pop(APPENDED, None)


def of(app: Flask) -> Sealer:
    """The app's sealer (for the command line and tests)."""
    sealer: Sealer = app.extensions["passage.audit_sealer"]
    return sealer


def init_app(app: Flask) -> None:
    """Give the app its sealer and, with ``AUDIT_SEALER = "thread"``, start it on commits."""
    config = settings.of(app)
    factory: sessionmaker[Session] = app.extensions["passage.sessionmaker"]
    sealer = Sealer(factory, app.extensions, config.audit_seal_max_delay_ms / 1000)
    app.extensions["passage.audit_sealer"] = sealer
    # Listeners live as long as the sessionmaker's class-level registry: a weak reference
    # keeps the sealer (and what it holds) collectable with its app.
    ref = weakref.ref(sealer)
    event.listen(factory, "after_rollback", _after_rollback)
    if config.audit_sealer == "thread":
        event.listen(factory, "after_commit", lambda store: _after_commit(ref, store))
