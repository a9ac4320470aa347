"""Routing: which vetted partners can help with a case, best first, each with the reasons it
matched and what it lacks. A pure function over plain values.

Only partners vetted and in date, with at least one staff account that can answer, are ever
offered. A child goes only to partners that serve
children and offer child protection; an adult never to a partner that serves only children,
nor to one serving only women (or only men) when the person is known to be a man (a woman).
A partner must work in the person's country.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from access.standing import vetted_in_date


@dataclass(frozen=True)
class Partner:
    """A partner organisation as the directory describes it."""

    slug: str
    name: str
    vetting: str  # "vetted", "pending" or "suspended"
    valid_until: date | None
    services: frozenset[str]
    areas: tuple[tuple[str, str | None], ...]  # (country, region or None for all of it)
    populations: frozenset[str]
    languages: frozenset[str]
    capacity: int  # free places now
    # Whether at least one active staff account of the partner can answer a referral now
    # (access.services.answering_organisations): without one, a referral would wait unseen.
    staffed: bool


@dataclass(frozen=True)
class Need:
    """What the case asks of a partner."""

    services: frozenset[str]
    country: str | None
    region: str | None
    child: bool
    populations: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Match:
    """A partner offered for the case, with why."""

    slug: str
    name: str
    score: int
    matched: list[str] = field(default_factory=list)
    lacking: list[str] = field(default_factory=list)


def not_offered(partner: Partner, today: date) -> str | None:
    """Why ``partner`` may not be offered today: ``vetting`` (out of standing: not vetted
    and in date, the rule its staff's sign-in follows too) or ``no_staff`` (no staff account
    can answer); None when it may."""
    if not vetted_in_date(partner.vetting, partner.valid_until, today):
        return "vetting"
    return None if partner.staffed else "no_staff"


def offerable(partner: Partner, today: date) -> bool:
    """In standing and staffed: the only partners ever offered or referred to."""
    return not_offered(partner, today) is None


def _area(partner: Partner, need: Need) -> str | None:
    """ "region", "country" or None for how well the partner's areas cover the person."""
    best = None
    for country, region in partner.areas:
        if need.country is None or country != need.country:
            continue
        if region is None or (need.region and region.casefold() == need.region.casefold()):
            return "region" if region is not None else "country"
        best = best or "nearby"
    return best


# Who a partner serves by age and sex; "families" and "lgbtqi" widen, never narrow, an offer.
WHO = frozenset({"women", "men", "children"})


def _serves(partner: Partner, need: Need) -> bool:
    if need.child:
        return "children" in partner.populations and "child_protection" in partner.services
    served = partner.populations & WHO
    person = (need.populations & WHO) or frozenset({"women", "men"})  # sex not known: either
    return not served or bool(served & person)


def assess(partner: Partner, need: Need) -> Match | None:
    """How ``partner`` fits ``need``, or None when it must not be offered at all."""
    if not _serves(partner, need):
        return None
    area = _area(partner, need)
    if area is None:
        return None
    matched, lacking, score = [], [], 0
    for service in sorted(need.services):
        if service in partner.services:
            matched.append(f"service:{service}")
            score += 10
        else:
            lacking.append(f"service:{service}")
    matched.append(f"area:{area}")
    score += {"region": 6, "country": 3, "nearby": 1}[area]
    for population in sorted(need.populations & partner.populations):
        matched.append(f"population:{population}")
        score += 2
    shared = need.languages & partner.languages
    if need.languages:
        if shared:
            matched.append("languages:" + ",".join(sorted(shared)))
            score += 4
        else:
            lacking.append("languages")
    if partner.capacity > 0:
        matched.append("capacity")
        score += 3
    else:
        lacking.append("capacity")
    return Match(partner.slug, partner.name, score, matched, lacking)


def rank(need: Need, partners: list[Partner], today: date) -> list[Match]:
    """Offerable partners that may serve the case, best first: all needed services before
    some, then score, then free capacity, then name."""
    capacity = {p.slug: p.capacity for p in partners}
    matches = [
        m for p in partners if offerable(p, today) for m in [assess(p, need)] if m is not None
    ]
    return sorted(
        matches,
        key=lambda m: (
            any(code.startswith("service:") for code in m.lacking),
            -m.score,
            -capacity[m.slug],
            m.name,
        ),
    )


# Why no partner can take one service of a need, nearest to a match first (a service gap,
# counted by the statistics: docs/reporting.md §1).
GAPS = (
    "vetting_lapsed",
    "no_staff_account",
    "no_capacity",
    "language_not_covered",
    "population_not_served",
    "service_not_offered",
    "no_partner_in_area",
)


def coverage(service: str, need: Need, partners: list[Partner], today: date) -> str:
    """``matched`` when an offerable partner serving the person in their area offers
    ``service`` with a free place and a shared language (when languages are known); else the
    gap nearest to a match, one of ``GAPS``."""
    single = Need(
        frozenset({service}),
        need.country,
        need.region,
        need.child,
        need.populations,
        need.languages,
    )
    found: set[str] = set()
    for partner in partners:
        in_area = _area(partner, single) is not None
        offers = service in partner.services
        serves = _serves(partner, single)
        if not (in_area and offers and serves):
            if in_area and offers:
                found.add("population_not_served")
            elif in_area and serves:
                found.add("service_not_offered")
            continue
        why = not_offered(partner, today)
        if why is not None:
            found.add("vetting_lapsed" if why == "vetting" else "no_staff_account")
        elif partner.capacity <= 0:
            found.add("no_capacity")
        elif need.languages and not need.languages & partner.languages:
            found.add("language_not_covered")
        else:
            return "matched"
    return next((gap for gap in GAPS if gap in found), "no_partner_in_area")
