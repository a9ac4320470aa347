"""The reports about the service rather than the screenings (docs/reporting.md §2): how
partners answer referrals, why they decline, how referrals end, whether the next partner
took a person another had turned down, which needs no partner can meet, and usage of
Passage itself. Declared like the screening reports and published the same way."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from access import audit
from access.models import PartnerOrganisation, User
from access.roles import Role
from referral.referrals import DECLINE_REASONS, OUTCOMES
from referral.routing import GAPS
from reporting import definition
from reporting.definition import REFERRAL_READERS, SEEN, USAGE_READERS, Filters, Report
from reporting.models import ANSWER_BANDS, SERVICES, need_facts, referral_facts, releases
from reporting.tables import Count

STEPS = ("sent", "accepted", "declined", "expired", "withdrawn", "closed", "overdue")
ANSWERED = ("accepted", "declined")
YES_NO = ("True", "False")  # a boolean column's values as report keys
MEASURES = (
    *(f"users_{role.value}" for role in Role),
    "sign_ins",
    "statistics_released",
    "audit_verified",
    "audit_verification_failed",
)


def _by_partner(store: Session, filters: Filters) -> dict[tuple[str, ...], Count]:
    """Referral steps by partner, the partner named by its slug (never its id)."""
    cells = definition.grouped(store, ("partner_id", "event"), filters, referral_facts).get((), {})
    slugs = {
        str(organisation_id): slug
        for organisation_id, slug in store.execute(
            sa.select(PartnerOrganisation.id, PartnerOrganisation.slug)
        )
    }
    named: dict[tuple[str, ...], Count] = {}
    for (partner, event), count in cells.items():
        key = (slugs.get(partner, "unknown"), event)
        named[key] = named.get(key, Count(0)) + count
    return named


def _usage(store: Session, filters: Filters) -> dict[tuple[str, ...], Count]:
    """Active accounts by role now; sign-ins, statistics released and audit verifications
    in the period (months of ``filters``). Usage records no country and no team: a filter
    on either selects nothing rather than everything (docs/reporting.md §2)."""
    if filters.country or filters.team:
        names = [f"users_{role.value}" for role in Role]
        names += ["sign_ins", "audit_verified", "audit_verification_failed"]
        return {(name,): Count(0) for name in [*names, "statistics_released"]}
    users = dict(
        store.execute(
            sa.select(User.role, sa.func.count())
            .where(User.disabled_at.is_(None))
            .group_by(User.role)
        ).all()
    )
    cells = {(f"users_{role.value}",): Count(int(users.get(role, 0))) for role in Role}
    for measure, action, outcome in (
        ("sign_ins", "sign_in", None),
        ("audit_verified", "audit.verified", "allowed"),
        ("audit_verification_failed", "audit.verified", "failed"),
    ):
        counted = audit.count(store, action, outcome, lambda at: _period(at, filters))
        cells[(measure,)] = Count(counted)
    cells[("statistics_released",)] = Count(
        int(
            store.scalar(
                sa.select(sa.func.count())
                .select_from(releases)
                .where(*_period(releases.c.released_at, filters))
            )
            or 0
        )
    )
    return cells


def _period(column: Any, filters: Filters) -> list[Any]:
    # Months as text compare in order; a moment is in a month from its first instant.
    criteria = []
    if filters.since:
        criteria.append(sa.func.substr(sa.cast(column, sa.String), 1, 7) >= filters.since)
    if filters.until:
        criteria.append(sa.func.substr(sa.cast(column, sa.String), 1, 7) <= filters.until)
    return criteria


SERVICE_REPORTS = (
    Report(
        "referral_steps",
        _l("Referrals by partner and step"),
        1,
        ("partner", "step"),
        (SEEN, STEPS),
        counter=_by_partner,
        summed=("partner",),
        readers=REFERRAL_READERS,
        chart="small_multiples",
        source=referral_facts,
    ),
    Report(
        "answer_times",
        _l("How long partners took to answer"),
        1,
        ("answer_time",),
        (tuple(label for _limit, label in ANSWER_BANDS),),
        group_by=("hours_band",),
        only=(("event", ANSWERED),),
        readers=REFERRAL_READERS,
        source=referral_facts,
    ),
    Report(
        "answered_in_time",
        _l("Referrals answered by the deadline"),
        1,
        ("in_time",),
        (YES_NO,),
        group_by=("in_time",),
        only=(("event", ANSWERED),),
        readers=REFERRAL_READERS,
        source=referral_facts,
    ),
    Report(
        "decline_reasons",
        _l("Why partners declined referrals"),
        1,
        ("decline_reason",),
        (DECLINE_REASONS,),
        group_by=("decline_reason",),
        only=(("event", ("declined",)),),
        readers=REFERRAL_READERS,
        source=referral_facts,
    ),
    Report(
        "referral_outcomes",
        _l("How accepted referrals ended"),
        1,
        ("outcome",),
        (OUTCOMES,),
        group_by=("outcome",),
        only=(("event", ("closed",)),),
        readers=REFERRAL_READERS,
        source=referral_facts,
    ),
    Report(
        "next_partner",
        _l("Referrals accepted after another partner declined"),
        1,
        ("after_decline",),
        (YES_NO,),
        group_by=("after_decline",),
        only=(("event", ("accepted",)),),
        readers=REFERRAL_READERS,
        source=referral_facts,
    ),
    Report(
        "service_gaps",
        _l("Needs no partner could meet, and why"),
        1,
        ("need", "gap"),
        (SERVICES, GAPS),
        group_by=("service", "result"),
        only=(("result", GAPS),),
        chart="small_multiples",
        source=need_facts,
    ),
    Report(
        "usage",
        _l("Use of Passage"),
        1,
        ("measure",),
        (MEASURES,),
        counter=_usage,
        summed=(),
        readers=USAGE_READERS,
    ),
)
