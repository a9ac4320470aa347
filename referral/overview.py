"""One case overview for the case page and the API's case (docs/case-work.md): the person,
consent, needs, screenings, referrals, the partners ranked for the person's region and the
next partner to try. Both render this, so the page and the API cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from referral import cases, matching, referrals, routing, workflow
from referral.models import Case, Referral
from referral.presenting import identity_or_none
from screening import people
from screening.models import Screening


@dataclass(frozen=True)
class Overview:
    """What is known and offered for one case today."""

    case: Case
    who: people.Identity | None
    consent: cases.Consent
    child: bool
    needs: tuple[str, ...]
    screenings: list[Screening]
    referrals: list[Referral]
    # Partners that may serve the case now, best first: only while the case is open.
    matches: list[routing.Match]
    suggestion: routing.Match | None

    @property
    def open_referrals(self) -> list[Referral]:
        """Referrals waiting for an answer or accepted."""
        return [r for r in self.referrals if r.state in workflow.OPEN]


def of(store: Session, case: Case, today: date) -> Overview:
    """The overview of ``case``; the person's details are an audited read."""
    who = identity_or_none(store, case)
    offered = (
        matching.matches(store, case, today, who.region if who else None)
        if cases.is_open(case)
        else []
    )
    sent = referrals.of_case(store, case)
    return Overview(
        case=case,
        who=who,
        consent=cases.consent(case),
        child=matching.is_child(store, case),
        needs=cases.needs(case),
        screenings=cases.screenings_of(store, case),
        referrals=sent,
        matches=offered,
        suggestion=matching.next_partner(sent, offered, matching.partner_slugs(store)),
    )
