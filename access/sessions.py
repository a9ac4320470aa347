"""Server-side sessions: the cookie carries a random token, the state lives in ``web_sessions``.

Sessions end after ``SESSION_IDLE_TIMEOUT`` without a request or ``SESSION_ABSOLUTE_TIMEOUT``
after sign-in, enforced here on the server. Signing in, stepping up and signing out renew or
destroy the session; ending every session of a user is one DELETE.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Request, Response, request, session
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy.orm import Session
from werkzeug.datastructures import CallbackDict

from access import audit
from access.models import WebSession
from access.tokens import digest
from core import clock, db, settings
from core.errors import API_PREFIX
from core.settings_type import Settings

TOKEN_BYTES = 32
# Writing last_seen on every request would cost a write per page; a minute is precise enough.
TOUCH_INTERVAL = timedelta(seconds=60)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session of one browser; ``renew()`` gives it a new id when it is next saved."""

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        row_id: str | None = None,
        last_seen: datetime | None = None,
        expired: str | None = None,
        signed_in: tuple[uuid.UUID, datetime] | None = None,
    ) -> None:
        def on_update(_self: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.row_id = row_id
        self.last_seen = last_seen
        self.expired = expired  # "idle" or "absolute" when the previous session timed out
        # Who had signed in on the stored row, and since when: a new id for the same
        # person's sign-in (re-authenticating) keeps its start, so the absolute timeout
        # counts from signing in however often the id is renewed (R14).
        self.signed_in = signed_in
        self.modified = False
        self.renewing = False
        self.destroyed = False

    def renew(self) -> None:
        """Give the session a new id on save; the old id stops working at once."""
        self.renewing = True
        self.modified = True

    def destroy(self) -> None:
        """Forget everything and remove the session on the server and in the browser."""
        self.clear()
        self.destroyed = True


def current_session() -> ServerSession:
    """This request's session, which :class:`ServerSessionInterface` opened."""
    opened = session
    if not isinstance(opened, ServerSession):
        raise TypeError("the session was not opened by ServerSessionInterface")
    return opened


class ServerSessionInterface(SessionInterface):
    """Flask session interface storing sessions in the database."""

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if request.path.startswith(API_PREFIX):
            return ServerSession()  # the API authenticates by bearer token only
        token = request.cookies.get(self.get_cookie_name(app))
        if not token or len(token) > 100:
            return ServerSession()
        store = db.session()
        row = store.get(WebSession, digest(token))
        if row is None:
            return ServerSession()
        expired = expiry_reason(row, clock.now(), settings.of(app))
        if expired:
            if row.user_id is not None:
                audit.record(
                    store,
                    f"session.expired_{expired}",
                    "denied",
                    object_type="user",
                    object_id=row.user_id,
                    actor=audit.Actor(str(row.user_id)),
                )
            store.delete(row)
            store.commit()
            return ServerSession(expired=expired)
        data = json.loads(row.data)
        signed_in = data.get("_user_id")  # signed in fully: both steps done
        return ServerSession(
            data,
            row_id=row.id,
            last_seen=row.last_seen_at,
            signed_in=(uuid.UUID(signed_in), row.created_at) if signed_in else None,
        )

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.path.startswith(API_PREFIX) or not isinstance(session, ServerSession):
            return
        store = db.session()
        now = clock.now()
        if session.destroyed or not session:
            if session.row_id is not None:
                store.execute(sa.delete(WebSession).where(WebSession.id == session.row_id))
                store.commit()
                self._forget_cookie(app, response)
            return
        if session.renewing and session.row_id is not None:
            store.execute(sa.delete(WebSession).where(WebSession.id == session.row_id))
            session.row_id = None
        token = None
        if session.row_id is None:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            session.row_id = digest(token)
            started = now
            if session.signed_in is not None and session.signed_in[0] == _user_id(session):
                started = session.signed_in[1]
            store.add(
                WebSession(
                    id=session.row_id,
                    created_at=started,
                    last_seen_at=now,
                    data="{}",
                    user_agent=request.user_agent.string[:200],
                )
            )
            _purge_expired(store, now, settings.of(app))
        elif not session.modified and now - (session.last_seen or now) < TOUCH_INTERVAL:
            return
        # default=str turns lazily translated flash messages into text.
        data = json.dumps(dict(session), default=str)
        updated = store.execute(
            sa.update(WebSession)
            .where(WebSession.id == session.row_id)
            .values(data=data, user_id=_user_id(session), last_seen_at=now)
        )
        store.commit()
        if not db.rowcount(updated):
            # Ended on the server meanwhile (sign-out everywhere, an admin's revocation).
            self._forget_cookie(app, response)
        elif token is not None:
            response.set_cookie(
                self.get_cookie_name(app),
                token,
                httponly=True,
                samesite="Strict",
                secure=self.get_cookie_secure(app),
                path="/",
            )
        response.vary.add("Cookie")

    def _forget_cookie(self, app: Flask, response: Response) -> None:
        response.delete_cookie(
            self.get_cookie_name(app),
            path="/",
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite="Strict",
        )


def _user_id(session: ServerSession) -> uuid.UUID | None:
    value = session.get("_user_id") or session.get("pending_user_id")
    return uuid.UUID(value) if value else None


def expiry_reason(row: WebSession, now: datetime, config: Settings) -> str | None:
    """``"idle"`` or ``"absolute"`` when ``row`` has timed out at ``now``, else ``None``."""
    if now - row.created_at > timedelta(seconds=config.session_absolute_timeout):
        return "absolute"
    if now - row.last_seen_at > timedelta(seconds=config.session_idle_timeout):
        return "idle"
    return None


def _purge_expired(store: Session, now: datetime, config: Settings) -> None:
    # Cheap housekeeping when a session starts: rows nobody can use any more go.
    idle = now - timedelta(seconds=config.session_idle_timeout)
    absolute = now - timedelta(seconds=config.session_absolute_timeout)
    store.execute(
        sa.delete(WebSession).where(
            sa.or_(WebSession.last_seen_at < idle, WebSession.created_at < absolute)
        )
    )


def end_all_sessions(store: Session, user_id: uuid.UUID, keep: str | None = None) -> int:
    """Delete every session of ``user_id`` (except the one with id ``keep``); return how many."""
    query = sa.delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    return db.rowcount(store.execute(query))


def list_sessions(store: Session, user_id: uuid.UUID) -> list[WebSession]:
    """The user's live sessions, newest activity first."""
    return list(
        store.scalars(
            sa.select(WebSession)
            .where(WebSession.user_id == user_id)
            .order_by(WebSession.last_seen_at.desc())
        )
    )


def end_session(store: Session, user_id: uuid.UUID, session_id: str) -> bool:
    """End one of ``user_id``'s own sessions; False when no such session of theirs exists."""
    result = store.execute(
        sa.delete(WebSession).where(WebSession.user_id == user_id, WebSession.id == session_id)
    )
    return bool(db.rowcount(result))


def init_app(app: Flask) -> None:
    """Use server-side sessions for ``app``."""
    app.session_interface = ServerSessionInterface()
