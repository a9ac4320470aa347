"""The notice outbox: each notice's e-mail is a row written in the notice's own transaction,
and ``flask --app wsgi notices send`` (from cron, or ``--watch``) sends it later. No request
ever talks to the relay.

The guarantee (docs/notices.md): **nothing is lost, and nothing is sent twice by the
service**. A sender claims one due row at a time under a row lock (``FOR UPDATE SKIP LOCKED``
on PostgreSQL; on SQLite every transaction begins IMMEDIATE, so writers take turns) and
commits it as *sending*, with a lease, *before* it talks to the relay; only that claim's
holder may then record how the send ended. A failure that certainly delivered nothing is
tried again after a doubling delay, at most ``MAIL_MAX_ATTEMPTS`` times, and then the row is
*dead*. A send whose end is uncertain (the connection broke while the relay had the message,
or the sender died or hung past its lease) becomes *unknown* and is never sent again by
itself: SMTP offers no way to ask whether a message arrived, so an administrator checks and
retries or dismisses it. Every row thus ends *sent*, or in front of an administrator.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access.models import User
from core import mail
from core.paging import Page
from core.settings_type import Settings
from referral.models import OutboxMessage

log = logging.getLogger(__name__)
SUBJECT = "Passage: something is waiting for you"
# Longer than the slowest send can last (about a dozen exchanges with the relay, each
# bounded by mail.TIMEOUT): a live sender's claim never lapses under its feet.
LEASE = timedelta(minutes=5)
STATES = ("pending", "sending", "sent", "dead", "unknown", "dismissed")
ATTENTION = ("dead", "unknown")  # what waits for an administrator
RESULTS = ("sent", "retry", "dead", "unknown")
# The last error of an e-mail whose recipient's account can no longer be used.
RECIPIENT_GONE = "recipient's account disabled"


def body(link: str) -> str:
    """The e-mail's text: that something waits, and where; never about whom."""
    return f"Something new is waiting for you in Passage.\nSign in to see it: {link}\n"


def queue(
    store: Session, *, notice_id: uuid.UUID, user: User, kind: str, link: str, now: datetime
) -> None:
    """Add the e-mail of a notice to ``store``'s transaction, due at once."""
    store.add(
        OutboxMessage(
            id=uuid.uuid4(),
            notice_id=notice_id,
            user_id=user.id,
            recipient=user.email,
            kind=kind,
            link=link,
            state="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )


def backoff(attempts: int, first: int, cap: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts: ``first`` seconds, doubling with
    each further failure, never more than ``cap``."""
    return timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), cap))


@dataclass(frozen=True)
class Claim:
    """One row a sender holds: only the holder of ``token`` may record how its send ended."""

    id: uuid.UUID
    token: uuid.UUID
    recipient: str
    link: str


@dataclass(frozen=True)
class Unsendable:
    """A due row that went dead unsent: its recipient's account can no longer be used."""

    id: uuid.UUID


def _locked(
    query: sa.Select[OutboxMessage], *, skip_locked: bool = False
) -> sa.Select[OutboxMessage]:
    # Read the rows as they are now, not as this session last saw them (sessions keep
    # objects after commit), and lock them against other senders and administrators.
    return query.with_for_update(skip_locked=skip_locked).execution_options(populate_existing=True)


def expire_claims(store: Session, now: datetime) -> int:
    """Turn every claim left past its lease into *unknown*; commit; return how many.

    Its sender died or hung somewhere between claiming and recording: the relay may have the
    message, so sending it again could make a second copy."""
    # A row another sender has locked is being recorded right now: leave it to them.
    stale = list(
        store.scalars(
            _locked(
                sa.select(OutboxMessage).where(
                    OutboxMessage.state == "sending", OutboxMessage.lease_until <= now
                ),
                skip_locked=True,
            )
        )
    )
    for row in stale:
        row.state, row.last_error = "unknown", "lease expired"
        log.warning(
            "notice e-mail %s: its sender stopped mid-send; unknown until an "
            "administrator checks it",
            row.id,
        )
    store.commit()
    return len(stale)


def may_receive(user: User | None, now: datetime) -> bool:
    """Whether notice e-mails still go to ``user``: not to an account disabled, or whose
    organisation lost its standing. A lock is left out: it stops signing in after failed
    attempts, not the person's work, and the notice waits for them."""
    return user is not None and user.active_on(now.date(), lock_counts=False)


def reachable(store: Session, rows: list[OutboxMessage], now: datetime) -> set[uuid.UUID]:
    """The ids of ``rows`` whose recipient may still receive e-mails (:func:`may_receive`),
    their users read in one statement: the outbox page offers Send again for those alone,
    as :func:`retry` refuses the others."""
    ids = {row.user_id for row in rows}
    if not ids:
        return set()
    users = store.scalars(sa.select(User).where(User.id.in_(ids)))
    able = {user.id for user in users if may_receive(user, now)}
    return {row.id for row in rows if row.user_id in able}


def claim_next(store: Session, due_by: datetime, now: datetime) -> Claim | Unsendable | None:
    """Claim the longest-waiting row due by ``due_by`` and commit the claim before anything
    is sent; None when no row is due (or every due row is another sender's). A row whose
    recipient can no longer be used is made dead instead, and committed."""
    row = store.scalar(
        _locked(
            sa.select(OutboxMessage)
            .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= due_by)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1),
            skip_locked=True,
        )
    )
    if row is None:
        store.commit()
        return None
    # Asked at the send, not when the notice was written.
    if not may_receive(store.get(User, row.user_id), now):
        row.state, row.attempted_at, row.last_error = "dead", now, RECIPIENT_GONE
        log.warning("notice e-mail %s is dead: its recipient's account cannot be used", row.id)
        store.commit()
        return Unsendable(row.id)
    token = uuid.uuid4()
    row.state, row.claimed_by, row.lease_until = "sending", token, now + LEASE
    row.attempts, row.attempted_at = row.attempts + 1, now
    store.commit()
    return Claim(row.id, token, row.recipient, row.link)


def _after(delivery: mail.Delivery, attempts: int, config: Settings) -> str:
    """The state a send's outcome leads to."""
    outcome = delivery.outcome
    if outcome is mail.Outcome.SENT:
        return "sent"
    if outcome is mail.Outcome.UNKNOWN:
        return "unknown"
    if outcome is mail.Outcome.REFUSED or attempts >= config.mail_max_attempts:
        return "dead"
    return "pending"


def record(
    store: Session, claim: Claim, delivery: mail.Delivery, now: datetime, config: Settings
) -> str | None:
    """Write how the send of ``claim`` ended and commit; return the row's new state, or None
    when an administrator has meanwhile taken the row over (the claim is no longer ours)."""
    row = store.scalar(_locked(sa.select(OutboxMessage).where(OutboxMessage.id == claim.id)))
    # "unknown" too: the lease may have lapsed while a slow send went on; what we know now
    # is better than what the expiry had to assume.
    if row is None or row.claimed_by != claim.token or row.state not in ("sending", "unknown"):
        store.commit()
        log.warning(
            "notice e-mail %s: its send ended (%s) after an administrator acted on it",
            claim.id,
            delivery.outcome.value,
        )
        return None
    row.state, row.lease_until = _after(delivery, row.attempts, config), None
    row.last_error = delivery.reason
    if row.state == "sent":
        row.sent_at = now
    elif row.state == "pending":
        row.next_attempt_at = now + backoff(
            row.attempts, config.mail_retry_delay, config.mail_retry_delay_max
        )
    else:
        log.warning(
            "notice e-mail %s is %s after %d attempts (%s); an administrator must check it",
            row.id,
            row.state,
            row.attempts,
            delivery.reason,
        )
    store.commit()
    return row.state


def message_for(config: Settings, claim: Claim) -> mail.Message:
    """The e-mail of a claimed row, unchanged from before the outbox: a subject and a link.
    Its Message-ID names the row, so any copy of it is recognisably the same message."""
    host = urlsplit(config.base_url).hostname or "passage"
    return mail.Message(claim.recipient, SUBJECT, body(claim.link), f"<{claim.id}@{host}>")


def send_due(
    store: Session,
    config: Settings,
    now: Callable[[], datetime],
    stop: Callable[[], bool] = lambda: False,
) -> dict[str, int]:
    """Send every e-mail due when the run starts, one claim at a time, until none is left,
    the relay cannot be reached, or ``stop()`` says so (between sends, never during one).

    Returns how many rows ended ``sent``, went back for a ``retry``, ended ``dead`` or
    ``unknown``, and ``unreachable`` (1 when the run stopped because of the relay)."""
    counts = dict.fromkeys((*RESULTS, "unreachable"), 0)
    expire_claims(store, now())
    # Rows put back for later during this run are due after it started: never twice a run.
    due_by = now()
    while not stop():
        claim = claim_next(store, due_by, now())
        if claim is None:
            break
        if isinstance(claim, Unsendable):
            counts["dead"] += 1
            continue
        delivery = mail.deliver(config, message_for(config, claim))
        state = record(store, claim, delivery, now(), config)
        if state is not None:
            counts["retry" if state == "pending" else state] += 1
        if delivery.outcome is mail.Outcome.UNREACHABLE:
            counts["unreachable"] = 1  # the rest wait for the next run rather than pile up
            break
    return counts


class NotWaiting(Exception):
    """The e-mail is not (or no longer) dead or unknown: there is nothing to decide."""


class RecipientGone(Exception):
    """The notice's user may no longer receive e-mails (:func:`may_receive`): theirs can only
    be dismissed."""


def get(store: Session, message_id: uuid.UUID) -> OutboxMessage | None:
    """One outbox row, or None."""
    return store.get(OutboxMessage, message_id)


def needing_attention(store: Session, page: Page) -> list[OutboxMessage]:
    """A page of the dead and unknown e-mails, the most recently tried first."""
    return list(
        store.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.state.in_(ATTENTION))
            .order_by(OutboxMessage.attempted_at.desc(), OutboxMessage.id)
            .offset(page.offset)
            .limit(page.size)
        )
    )


def counts_by_state(store: Session) -> dict[str, int]:
    """How many rows are in each state (every state named, zero included)."""
    rows = store.execute(
        sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)
    )
    return {**dict.fromkeys(STATES, 0), **{state: count for state, count in rows}}


def _waiting(store: Session, message_id: uuid.UUID) -> OutboxMessage:
    row = store.scalar(_locked(sa.select(OutboxMessage).where(OutboxMessage.id == message_id)))
    if row is None or row.state not in ATTENTION:
        raise NotWaiting(str(message_id))
    return row


def retry(store: Session, message_id: uuid.UUID, now: datetime) -> OutboxMessage:
    """Put a dead or unknown e-mail back in line, due at once with a fresh set of attempts,
    to its user's address as it is now (audited). For an unknown one the administrator has
    checked that it did not arrive: otherwise this sends a second copy."""
    row = _waiting(store, message_id)
    user = store.get(User, row.user_id)
    if user is None or not may_receive(user, now):
        raise RecipientGone(str(message_id))
    audit.record(
        store,
        "outbox.retried",
        object_type="outbox_message",
        object_id=row.id,
        details={"state": row.state, "attempts": row.attempts},
    )
    row.state, row.attempts, row.next_attempt_at = "pending", 0, now
    row.recipient, row.claimed_by, row.lease_until, row.last_error = user.email, None, None, None
    return row


def dismiss(store: Session, message_id: uuid.UUID) -> OutboxMessage:
    """Take a dead or unknown e-mail off the list without sending it (audited): it arrived
    after all, or it no longer matters."""
    row = _waiting(store, message_id)
    audit.record(
        store,
        "outbox.dismissed",
        object_type="outbox_message",
        object_id=row.id,
        details={"state": row.state, "attempts": row.attempts},
    )
    row.state = "dismissed"
    return row
