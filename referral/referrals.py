"""Referrals: sending a case to a vetted partner with only the consented fields the screener
chose, and moving a referral through the state machine (accepting exactly once, even with
many workers). The sealed packet a referral carries to the partner is built and opened in
referral/packets.py. How referrals end without a partner's answer is in referral/endings.py,
the lists of referrals in referral/inbox.py; the three are the only modules that query
referrals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access import audit
from access.models import User
from access.policy import authorize, found, require
from core import db
from core.errors import RefusedError
from core.settings_type import Settings
from referral import (
    cases,
    directory,
    matching,
    notices,
    packets,
    receipts,
    routing,
    steps,
    workflow,
)
from referral.basis import NO_CONSENT_CHILD, legal_basis
from referral.models import Case, PartnerProfile, Referral
from screening import services as screenings

URGENCIES = ("normal", "urgent")
DECLINE_REASONS = ("no_capacity", "not_eligible", "out_of_area", "service_unavailable", "other")
OUTCOMES = ("services_provided", "person_declined", "lost_contact", "referred_on", "other")
NOTE_MAX = 2000
ALREADY_OPEN = _l("This partner already has an open referral of this case.")
NO_STAFF = _l(
    "nobody at this partner can answer a referral now (no active staff account); "
    "choose another partner"
)


def announce(store: Session, referral: Referral, event: str, now: datetime) -> None:
    """Record ``event`` in the referral's steps, which the case's other referrals show."""
    case = cases.holding(store, referral.case_id)
    steps.announce(
        store, referral, case, [r for r in of_case(store, case) if r.id != referral.id], event, now
    )


class ReferralError(RefusedError):
    """A referral that cannot be sent or answered as asked."""


@dataclass(frozen=True)
class Send:
    """What the screener chose to send."""

    partner: str
    services: tuple[str, ...]
    share: tuple[str, ...]
    urgency: str = "normal"
    note: str = ""


@dataclass(frozen=True)
class Deadlines:
    """Hours before an unanswered referral is overdue (by urgency), and before it expires."""

    urgent: int = 24
    normal: int = 72
    expire: int = 7 * 24

    @classmethod
    def from_settings(cls, config: Settings) -> Deadlines:
        return cls(
            config.referral_hours_urgent,
            config.referral_hours_normal,
            config.referral_expire_hours,
        )

    def due(self, urgency: str, sent: datetime) -> datetime:
        return sent + timedelta(hours=self.urgent if urgency == "urgent" else self.normal)


def services_offered(profile: PartnerProfile | None) -> frozenset[str]:
    """The services a partner's profile offers."""
    return frozenset(profile.services) if profile else frozenset()


def _check(store: Session, case: Case, request: Send, today: Any) -> tuple[PartnerProfile, str]:
    given = cases.consent(case)
    if not cases.is_open(case):
        raise ReferralError("this case is not open", {"case": _l("the case is not open")})
    profile = directory.by_slug(store, request.partner)
    child = matching.is_child(store, case)
    basis = legal_basis(given, child, request.services, services_offered(profile), request.share)
    if basis is None and not given.referral:
        raise ReferralError(
            "the person did not consent to referral",
            {"consent": NO_CONSENT_CHILD if child else _l("no consent to referral")},
        )
    problems = {}
    if basis is None:  # consent to referral, but not to sharing all of this
        outside = sorted(set(request.share) - set(given.share))
        problems["share"] = _l(
            "outside the person's consent: %(fields)s", fields=", ".join(outside)
        )
    if request.urgency not in URGENCIES:
        problems["urgency"] = _l("must be normal or urgent")
    if not request.services or set(request.services) - set(screenings.SERVICES):
        problems["services"] = _l("choose at least one known service")
    if len(request.note) > NOTE_MAX:
        problems["note"] = _l("at most %(count)d characters", count=NOTE_MAX)
    offered = {m.slug for m in matching.matches(store, case, today)}
    if profile is None or request.partner not in offered:
        # Who can answer is read as the referral is sent (matching.matches above): staff may
        # have left since the page was drawn, and then that is what the sender must hear.
        unstaffed = profile is not None and (
            routing.not_offered(directory.for_routing(profile, directory.staffed(store)), today)
            == "no_staff"
        )
        problems["partner"] = (
            NO_STAFF if unstaffed else _l("not a vetted partner in date that serves this case")
        )
    if problems or profile is None:  # no profile is a problem named above
        raise ReferralError("the referral cannot be sent as it is", problems)
    if store.scalar(
        sa.select(sa.func.count())
        .select_from(Referral)
        .where(
            Referral.case_id == case.id,
            Referral.partner_id == profile.organisation_id,
            Referral.state.in_(workflow.OPEN),
        )
    ):
        raise workflow.IllegalTransition.on("partner", ALREADY_OPEN)
    return profile, cast(str, basis)  # None was refused above


@dataclass(frozen=True)
class Notified:
    """A referral just sent or moved, and how many people were told of it (notices reach
    only accounts in use: a locked or disabled one is not told, so pages say "told" only
    when ``told`` is above nought)."""

    referral: Referral
    told: int


def send(
    store: Session,
    user: Any,
    case: Case,
    request: Send,
    now: datetime,
    deadlines: Deadlines,
    retention_days: int,
) -> Notified:
    """Refer the case to a partner with the consented fields the screener chose (or, for a
    child without consent, the child-protection minimum: ``basis.legal_basis``, recorded on
    the referral and in the audit trail); the partner's staff are told something awaits them.
    Only a partner with a staff account that can answer is referred to, checked here.
    The case's row is locked first and the case re-read under the lock, so a withdrawal or
    a hand-over that committed meanwhile wins: the sender must still be in charge."""
    require(user, "cases.manage", cases.lock(store, case), "case", case.id)
    profile, basis = _check(store, case, request, now.date())
    referral = Referral(
        id=uuid.uuid4(),
        case_id=case.id,
        partner_id=profile.organisation_id,
        team_id=case.team_id,
        sent_by=user.id,
        state="pending",
        urgency=request.urgency,
        reference=receipts.new_reference(),
        basis=basis,
        services=tuple(sorted(set(request.services))),
        share=tuple(sorted(set(request.share))),
        created_at=now,
        updated_at=now,
        due_at=deadlines.due(request.urgency, now),
    )
    referral.packet = packets.seal(store, case, referral.id, request.share, request.note)
    store.add(referral)
    try:
        store.flush()
    except IntegrityError as error:  # another worker sent the same referral just now
        raise workflow.IllegalTransition.on("partner", ALREADY_OPEN) from error
    cases.touch(store, case, now, retention_days)
    announce(store, referral, "sent", now)
    audit.record(
        store,
        "referral.sent",
        object_type="referral",
        object_id=referral.id,
        details={
            "case": str(case.id),
            "partner": str(profile.organisation_id),
            "shared": len(request.share),
            "basis": basis,
        },
    )
    told = notices.notify(
        store,
        notices.partner_staff(store, profile.organisation_id),
        "referral.received",
        now,
        referral_id=referral.id,
    )
    return Notified(referral, told)


def get(
    store: Session, user: Any, referral_id: uuid.UUID, action: str = "referrals.read"
) -> Referral:
    """A referral the user may reach (404 otherwise, audited either way)."""
    referral = store.get(Referral, referral_id)
    require(user, action, referral, "referral", referral_id)
    audit.record(store, "referral.read", object_type="referral", object_id=referral_id)
    return found(referral)


def to_partner(store: Session, organisation_id: uuid.UUID) -> list[Referral]:
    """Every referral ever sent to a partner organisation, oldest first (for an export the
    operator runs for that partner: no user, no scope)."""
    return list(
        store.scalars(
            sa.select(Referral)
            .where(Referral.partner_id == organisation_id)
            .order_by(Referral.created_at)
        )
    )


def any_of_case(store: Session, case: Case) -> bool:
    """Whether any referral was ever sent from ``case``."""
    return bool(
        store.scalar(
            sa.select(sa.func.count()).select_from(Referral).where(Referral.case_id == case.id)
        )
    )


def of_case(store: Session, case: Case) -> list[Referral]:
    """A case's referrals, newest first (the case's reader is already checked)."""
    return list(
        store.scalars(
            sa.select(Referral)
            .where(Referral.case_id == case.id)
            .order_by(Referral.created_at.desc())
        )
    )


def _side(user: Any) -> str:
    # The receiving organisation's staff answer; the sending team withdraws.
    return "partner" if authorize(user, "referrals.respond") else "sender"


def move(
    store: Session, referral: Referral, action: str, by: str, detail: str | None, now: datetime
) -> None:
    """Take ``action`` on ``referral`` for ``by`` (workflow), once even among racing
    workers; the partner's packet goes when the referral ends without being closed."""
    before = referral.state
    after = workflow.move(before, action, by, detail)
    values: dict[str, Any] = {"state": after, "updated_at": now}
    if action in ("accept", "decline"):
        values["answered_at"] = now
    if action == "decline":
        values["decline_reason"] = detail
    if action == "close":
        values["outcome"] = detail
    if action == "revoke":
        values["withdraw_reason"] = detail
    if after in workflow.FINAL and after != "closed":
        # A partner that will not (or may no longer) help keeps nothing of the person.
        values["packet"] = None
    # The state in the WHERE makes the move happen once: of two workers accepting together,
    # the second finds no pending row once the first commits, in the database, not here.
    done = store.execute(
        sa.update(Referral)
        .where(Referral.id == referral.id, Referral.state == before)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if db.rowcount(done) != 1:
        store.expire(referral)
        raise workflow.IllegalTransition("the referral was answered meanwhile")
    store.expire(referral)
    announce(store, referral, after, now)
    audit.record(
        store,
        f"referral.{after}",
        object_type="referral",
        object_id=referral.id,
        details={"from": before, **({"reason": detail} if detail else {})},
    )


def answer(
    store: Session,
    user: Any,
    referral_id: uuid.UUID,
    action: str,
    detail: str | None,
    now: datetime,
    retention_days: int,
) -> Notified:
    """The receiving partner accepts, declines (with a reason) or closes (with an outcome),
    and the caseworker in charge of the case is told; the sending side (whoever is in charge
    of the case now) withdraws, and the partner's staff are told. Illegal moves raise
    :class:`workflow.IllegalTransition` (409)."""
    referral = get(store, user, referral_id, f"referrals.{action}")
    allowed = {"decline": DECLINE_REASONS, "close": OUTCOMES}.get(action)
    if allowed is not None and detail not in allowed:
        raise ReferralError(
            f"{action} needs one of the listed reasons",
            {
                "reason" if action == "decline" else "outcome": _l(
                    "must be one of %(choices)s", choices=", ".join(allowed)
                )
            },
        )
    # The case's row first, as sending and closing for retention take it: locks always in
    # the order case, then referral, so an answer and a retention run take turns instead of
    # deadlocking (the answer then finds the referral withdrawn: 409).
    case = cases.lock(store, cases.holding(store, referral.case_id))
    # Asked again on the locked row: a hand-over committed since the first check leaves the
    # former owner nothing to withdraw (404, as for any referral no longer theirs).
    require(user, f"referrals.{action}", referral, "referral", referral.id)
    move(store, referral, action, _side(user), detail, now)
    cases.touch(store, case, now, retention_days)
    if action == "withdraw":
        told = notices.notify(
            store,
            notices.partner_staff(store, referral.partner_id),
            "referral.withdrawn",
            now,
            referral_id=referral.id,
        )
    else:
        told = notices.notify(
            store,
            in_charge(store, referral),
            f"referral.{referral.state}",
            now,
            referral_id=referral.id,
        )
    return Notified(referral, told)


def in_charge(store: Session, referral: Referral) -> list[User]:
    """Who is told of the referral's answers and ends: the caseworker in charge of its case
    now (after a hand-over, not the sender); or, when they may no longer open it (moved to
    another team, a role without cases), the case team's supervisors, who can act, as for a
    follow-up's reminder (``tasks.tell``)."""
    owner = store.get(User, referral.case.owner_id)
    if owner is not None and owner.is_active and authorize(owner, "referrals.read", referral):
        return [owner]
    return notices.supervisors(store, referral.case.team_id)


def summary(referral: Referral, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    """A referral as lists show it: no person's data, only what the inbox sorts by."""
    return {
        "id": str(referral.id),
        "reference": referral.reference,
        "state": referral.state,
        "urgency": referral.urgency,
        "partner": names.get(referral.partner_id),
        "services": list(referral.services),
        "shared_fields": list(referral.share),
        "created_at": referral.created_at.isoformat(),
        "due_at": referral.due_at.isoformat(),
        "overdue": referral.overdue,
        "decline_reason": referral.decline_reason,
        "outcome": referral.outcome,
        "withdraw_reason": referral.withdraw_reason,
        "basis": referral.basis,
    }
