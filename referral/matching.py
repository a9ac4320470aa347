"""Matching a case with partners: what the case asks of a partner (from its clear,
non-identifying facts), the vetted partners in date with staff ranked for it, the next
partner to offer after a decline, an expiry or a partner's suspension, and partner names for
lists. Reads the directory; queries no referral."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from referral import cases, directory, routing, workflow
from referral.models import Case, Referral
from screening import people
from screening.models import Person


def is_child(store: Session, case: Case) -> bool:
    """Whether the case's person is treated as a child (people.is_child, from the clear
    flag and age band: possibly a minor, or under 18)."""
    return people.child_on_record(cases.person(store, case))


def need(store: Session, case: Case, region: str | None = None) -> routing.Need:
    """What the case asks of a partner, from the clear, non-identifying facts (and the
    region, when the caller has opened the person's details anyway)."""
    return need_of(cases.person(store, case), cases.needs(case), region)


def need_of(
    person: Person,
    services: Iterable[str],
    region: str | None = None,
) -> routing.Need:
    """What a person with these needs asks of a partner, from their clear facts."""
    # Minority is presumed from possibly_minor, never from an empty age alone (§1.5).
    child = people.child_on_record(person)
    populations = {"children"} if child else set()
    populations |= {"female": {"women"}, "male": {"men"}}.get(person.sex or "", set())
    return routing.Need(
        services=frozenset(services),
        country=person.country,
        region=region,
        child=child,
        populations=frozenset(populations),
        languages=frozenset(person.languages),
    )


def partners(store: Session) -> list[routing.Partner]:
    """Every partner of the directory as routing sees it (standing and staff are routing's
    check); who can answer is read afresh each time, so a referral is checked as it is sent."""
    answering = directory.staffed(store)
    return [directory.for_routing(p, answering) for p in directory.profiles(store)]


def matches(
    store: Session, case: Case, today: Any, region: str | None = None
) -> list[routing.Match]:
    """Vetted partners in date that may serve the case, best first, with their reasons."""
    return routing.rank(need(store, case, region), partners(store), today)


def next_partner(
    sent: list[Referral], offered: list[routing.Match], organisations: dict[uuid.UUID, str]
) -> routing.Match | None:
    """After a decline or an expiry among ``sent``: the best of ``offered`` not yet tried
    for the case. ``organisations`` maps partner ids to slugs."""
    if not any(workflow.suggests_next_partner(r.state, r.withdraw_reason) for r in sent):
        return None
    tried = {organisations.get(r.partner_id) for r in sent}
    return next((m for m in offered if m.slug not in tried), None)


def partner_slugs(store: Session) -> dict[uuid.UUID, str]:
    """Partner organisation slugs by id."""
    return {p.organisation_id: p.organisation.slug for p in directory.profiles(store)}


def partner_names(store: Session) -> dict[uuid.UUID, str]:
    """Partner organisation names by id, for lists."""
    return {p.organisation_id: p.organisation.name for p in directory.profiles(store)}
