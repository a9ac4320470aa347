"""How cases and referrals are shown in JSON: one shape for the API, built from the services,
so a partner's packet can hold only what the person agreed to share and the screener sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from access.policy import authorize
from core import datakeys
from referral import cases, matching, packets, referrals
from referral.models import Case, Referral
from screening import people

if TYPE_CHECKING:  # the overview reads identities through this module
    from referral.overview import Overview


def identity_or_none(store: Session, case: Case) -> people.Identity | None:
    """The person's details, or None once the record is shredded (or merged away)."""
    if case.status == "merged":
        return None
    try:
        return cases.identity(store, case)
    except datakeys.ShreddedError:
        return None


def case_body(store: Session, seen: Overview) -> dict[str, Any]:
    """A case for its owner and their supervisor, from its overview (``referral.overview``:
    the same the case page shows)."""
    case, names = seen.case, matching.partner_names(store)
    return {
        "id": str(case.id),
        "reference": case.reference,
        "status": case.status,
        "outcome": case.outcome,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "merged_into": str(case.merged_into_id) if case.merged_into_id else None,
        "owner_id": str(case.owner_id),
        "consent": {"referral": seen.consent.referral, "share": list(seen.consent.share)},
        "needs": list(seen.needs),
        "urgent": case.urgent,
        "classification": case.classification,
        "opened_at": case.opened_at.isoformat(),
        "person": people.details(seen.who) if seen.who else None,
        "screenings": [
            {
                "id": str(s.id),
                "instrument": s.instrument,
                "classification": s.classification,
                "urgent": s.urgent,
                "completed_at": s.completed_at.isoformat() if s.completed_at else None,
            }
            for s in seen.screenings
        ],
        "referrals": [referrals.summary(r, names) for r in seen.referrals],
        "next_partner": seen.suggestion.slug if seen.suggestion else None,
    }


def referral_body(store: Session, referral: Referral, user: Any) -> dict[str, Any]:
    """A referral with its packet. The receiving partner gets the summary, the fields sent
    and the note, nothing of the case beyond; the sender also gets the case id."""
    body = referrals.summary(referral, matching.partner_names(store))
    packet = packets.packet(store, referral)
    body["fields"], body["note"] = packet.get("fields", {}), packet.get("note")
    if authorize(user, "cases.read"):
        body["case_id"] = str(referral.case_id)
    return body
