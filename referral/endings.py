"""How referrals end without a partner's answer: the person withdraws consent or it narrows
(docs/access-policy.md, "Consent only narrows without the person"), a case is closed, linked
or reaches the end of its retention, a partner loses its standing, and deadlines pass. Each
move goes through :func:`referrals.move`, so the state machine's once-only update holds."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit, grants
from access import services as access_services
from access.policy import require
from access.standing import in_standing
from core import db
from referral import (
    case_links,
    cases,
    directory,
    matching,
    notes,
    notices,
    referrals,
    tasks,
    workflow,
)
from referral.basis import CHILD_PROTECTION as CHILD_PROTECTION_BASIS
from referral.basis import legal_basis
from referral.models import Case, Referral


def withdraw_consent(
    store: Session, user: Any, case: Case, now: datetime, retention_days: int
) -> int:
    """The person withdrew consent to referral: nothing more may be shared, every open
    referral is withdrawn (its partner told), and no partner keeps a packet, closed referrals
    included: partners keep only a referral's existence and outcome. Serialised with sending
    on the case's row lock. Withdrawn already (a second tab, the form sent twice), nothing
    changes: the record keeps when the person withdrew. Returns how many referrals were
    withdrawn."""
    cases.lock(store, case)
    require(user, "cases.withdraw_consent", case, "case", case.id)  # linked away meanwhile: 409
    if case.consent_withdrawn_at is not None and cases.consent(case) == cases.Consent(False, ()):
        return 0
    case.consent = {"referral": False, "share": []}
    case.consent_withdrawn_at = now
    withdrawn = keep_within_consent(store, case, now)
    cases.touch(store, case, now, retention_days)
    audit.record(
        store,
        "case.consent_withdrawn",
        object_type="case",
        object_id=case.id,
        details={"withdrawn": withdrawn},
    )
    return withdrawn


def keep_within_consent(store: Session, case: Case, now: datetime) -> int:
    """After the case's consent narrowed, no partner keeps a field outside it: an open
    referral that shared more (or any, once referral is refused) is withdrawn and its partner
    told; a finished one loses its packet. A child's child-protection referral is kept on
    the basis that needs no consent (``basis.legal_basis``; a change of basis is recorded).
    Returns how many were withdrawn."""
    given, child = cases.consent(case), matching.is_child(store, case)
    offers = {p.organisation_id: referrals.services_offered(p) for p in directory.profiles(store)}
    withdrawn = 0
    for referral in referrals.of_case(store, case):
        basis = legal_basis(
            given,
            child,
            referral.services,
            offers.get(referral.partner_id, ()),
            referral.share,
        )
        if basis is not None:
            if basis != referral.basis and (referral.state in workflow.OPEN or referral.packet):
                _rebase(store, referral, basis, now)  # what the partner holds rests on it
            continue
        if referral.state in workflow.OPEN:
            referrals.move(store, referral, "withdraw", "sender", None, now)
            _tell_withdrawn(store, referral, now)
            withdrawn += 1
        elif referral.packet is not None:
            _clear_packet(store, referral, now)
    return withdrawn


def _rebase(store: Session, referral: Referral, basis: str, now: datetime) -> None:
    before = referral.basis
    _change(
        store,
        referral,
        now,
        "referral.basis_changed",
        {"from": before, "basis": basis},
        basis=basis,
    )


def _change(
    store: Session,
    referral: Referral,
    now: datetime,
    event: str,
    details: dict[str, Any],
    **values: Any,
) -> None:
    # Outside the state machine: what the partner holds changes, never the state.
    store.execute(
        sa.update(Referral)
        .where(Referral.id == referral.id)
        .values(**values, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    store.expire(referral)
    audit.record(store, event, object_type="referral", object_id=referral.id, details=details)


def link_cases(
    store: Session, user: Any, case: Case, earlier_id: uuid.UUID, now: datetime, retention_days: int
) -> Case:
    """Link a person screened again to their earlier case (:func:`case_links.link`),
    carrying its notes and follow-ups over, and the break-glass reasons written for it
    sealed again with the earlier record's key; the earlier case's referrals are then held
    to the narrowed consent."""

    def carry(newer: Case, older: Case) -> None:
        notes.move(store, newer, older)
        tasks.move(store, newer, older)
        grants.reseal(
            store, cases.person(store, newer).data_key_id, cases.person(store, older).data_key_id
        )

    earlier = case_links.link(store, user, case, earlier_id, now, retention_days, carry)
    keep_within_consent(store, earlier, now)
    return earlier


def still_open(store: Session, case: Case) -> list[Referral]:
    """The case's referrals waiting for an answer or accepted."""
    return [r for r in referrals.of_case(store, case) if r.state in workflow.OPEN]


def end_open(store: Session, case: Case, now: datetime, reason: str | None = None) -> int:
    """Withdraw each of the case's open referrals and tell its partner: by the sender when
    the case closes (no reason), by the system with a reason (retention). Returns how many."""
    ended = 0
    for referral in still_open(store, case):
        if reason is None:
            done = _still_open_then(store, referral, "withdraw", "sender", None, now)
        else:
            done = _still_open_then(store, referral, "revoke", "system", reason, now)
        if done:
            _tell_withdrawn(store, referral, now)
            ended += 1
    return ended


def _still_open_then(
    store: Session, referral: Referral, action: str, by: str, detail: str | None, now: datetime
) -> bool:
    """Take ``action`` on a referral read as open, from whatever open state it is in now: a
    partner may have accepted it, or another run ended it, since it was read (the move's
    state check says so, in the database). False when it is no longer open: nothing to do."""
    try:
        referrals.move(store, referral, action, by, detail, now)
    except workflow.IllegalTransition:
        if referral.state not in workflow.OPEN:  # ended meanwhile: its own notices went out
            return False
        referrals.move(store, referral, action, by, detail, now)
    return True


def _tell_withdrawn(store: Session, referral: Referral, now: datetime) -> None:
    # The receiving partner's staff learn that a referral no longer stands (a link only).
    notices.notify(
        store,
        notices.partner_staff(store, referral.partner_id),
        "referral.withdrawn",
        now,
        referral_id=referral.id,
    )


def forget_packets(store: Session, case: Case, now: datetime) -> None:
    """No partner keeps anything of the case's person: each referral keeps only that it
    existed and how it ended."""
    for referral in referrals.of_case(store, case):
        if referral.packet is not None:
            _clear_packet(store, referral, now)


def _clear_packet(store: Session, referral: Referral, now: datetime) -> None:
    _change(store, referral, now, "referral.packet_cleared", {"state": referral.state}, packet=None)


def end_with_standing(store: Session, organisation_id: uuid.UUID, now: datetime) -> int:
    """The partner lost its standing (suspended, set back to pending, or its vetting
    lapsed): each of its open referrals is withdrawn with reason ``partner_suspended`` and
    its packet cleared; the case's caseworker and the team's supervisors are told, and the
    case page offers them the next partner. Its staff's sessions end and their tokens are revoked.
    Returns how many referrals were withdrawn; running it again withdraws none."""
    open_ones = Referral.partner_id == organisation_id, Referral.state.in_(workflow.OPEN)
    withdrawn = _revoke(store, open_ones, workflow.PARTNER_SUSPENDED, now)
    access_services.end_partner_staff_authority(store, organisation_id, now)
    return withdrawn


def end_without_staff(store: Session, organisation_id: uuid.UUID, now: datetime) -> int:
    """The partner's last staff account that could open a referral was disabled or moved
    elsewhere: nobody can see its open referrals any more, so each is withdrawn (reason
    ``partner_unavailable``, packet cleared) and the caseworker and the team's supervisors
    are told, as when a partner loses its standing; sending to it is refused alike. None
    while anyone is left."""
    if organisation_id in access_services.answering_organisations(store):
        return 0
    open_ones = Referral.partner_id == organisation_id, Referral.state.in_(workflow.OPEN)
    return _revoke(store, open_ones, workflow.PARTNER_UNAVAILABLE, now)


def end_without_protection(store: Session, organisation_id: uuid.UUID, now: datetime) -> int:
    """The partner no longer offers child protection: a child's referral to it that rests on
    the child-protection basis (made without consent) no longer rests on anything, and is
    withdrawn as :func:`end_without_staff` withdraws."""
    open_ones = (
        Referral.partner_id == organisation_id,
        Referral.state.in_(workflow.OPEN),
        Referral.basis == CHILD_PROTECTION_BASIS,
    )
    return _revoke(store, open_ones, workflow.PARTNER_UNAVAILABLE, now)


# The notice each system withdrawal sends to the caseworker and supervisors.
NOTICE_OF_REASON = {
    workflow.PARTNER_SUSPENDED: "referral.partner_suspended",
    workflow.PARTNER_UNAVAILABLE: "referral.partner_unavailable",
}


def _revoke(store: Session, criteria: tuple[Any, ...], reason: str, now: datetime) -> int:
    # The system withdraws each open referral matching ``criteria`` for ``reason``; whoever
    # is in charge of its case and the team's supervisors are told.
    kind = NOTICE_OF_REASON[reason]
    withdrawn = 0
    for referral in store.scalars(sa.select(Referral).where(*criteria)).all():
        # Answered meanwhile by a request already under way: accepted is still open.
        if not _still_open_then(store, referral, "revoke", "system", reason, now):
            continue
        told = {
            u.id: u
            for u in [
                *referrals.in_charge(store, referral),
                *notices.supervisors(store, referral.team_id),
            ]
        }
        notices.notify(store, list(told.values()), kind, now, referral_id=referral.id)
        withdrawn += 1
    return withdrawn


def escalate(store: Session, now: datetime, deadlines: referrals.Deadlines) -> dict[str, int]:
    """Apply standing and deadlines: a partner whose vetting lapsed (or was ended without
    :func:`end_with_standing`) loses its open referrals and its staff's sessions; a pending
    referral past its deadline is marked overdue and the sender's supervisors are told; one
    pending past the expiry period expires and the case's caseworker is offered the next
    partner. Running it again changes nothing more."""
    counts = {"withdrawn": 0, "overdue": 0, "expired": 0}
    today = now.date()
    for organisation in access_services.list_partner_organisations(store):
        if not in_standing(organisation, today):
            counts["withdrawn"] += end_with_standing(store, organisation.id, now)
    stale = now - timedelta(hours=deadlines.expire)
    for referral in store.scalars(
        sa.select(Referral).where(Referral.state == "pending", Referral.created_at <= stale)
    ).all():
        try:
            referrals.move(store, referral, "expire", "system", None, now)
        except workflow.IllegalTransition:
            continue  # answered, withdrawn or expired by another run meanwhile
        notices.notify(
            store,
            referrals.in_charge(store, referral),
            "referral.expired",
            now,
            referral_id=referral.id,
        )
        counts["expired"] += 1
    for referral in store.scalars(
        sa.select(Referral).where(
            Referral.state == "pending", Referral.due_at <= now, Referral.overdue_at.is_(None)
        )
    ).all():
        # Marked only if still pending and unmarked, in the database: a run at the same
        # moment, or an answer meanwhile, leaves nothing to mark (and nobody told twice).
        marked = store.execute(
            sa.update(Referral)
            .where(
                Referral.id == referral.id,
                Referral.state == "pending",
                Referral.overdue_at.is_(None),
            )
            .values(overdue_at=now)
            .execution_options(synchronize_session=False)
        )
        if db.rowcount(marked) != 1:
            continue
        store.expire(referral)
        referrals.announce(store, referral, "overdue", now)
        audit.record(store, "referral.overdue", object_type="referral", object_id=referral.id)
        notices.notify(
            store,
            notices.supervisors(store, referral.team_id),
            "referral.overdue",
            now,
            referral_id=referral.id,
        )
        counts["overdue"] += 1
    audit.record(store, "referrals.escalated", details=counts)
    return counts
