"""Synthetic statistics facts for ``make run``: a year of invented screenings over the demo
teams and countries, enough that every report and chart shows something, with a few small
categories so the page also shows suppressed cells. Nobody here exists; the values come
from a hash of the row number, so every demo shows the same figures."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import services, teams
from referral.referrals import DECLINE_REASONS, OUTCOMES
from reporting import aggregates, catalogue
from reporting.models import (
    FORCED_LABOUR,
    MEANS_OF_CONTROL,
    SERVICES,
    need_facts,
    referral_facts,
    screening_facts,
)
from reporting.service_facts import answer_band
from screening import instruments

FACTS = 900
REFERRALS = 500
NEEDS = 700
STEP_CHOICES = (
    ("sent", 40),
    ("accepted", 22),
    ("declined", 10),
    ("expired", 4),
    ("withdrawn", 3),
    ("closed", 15),
    ("overdue", 6),
)
TEAMS = ("Demo North", "Demo South")
# (value, weight): the last values are rare on purpose, to show "<10" cells.
CHOICES: dict[str, tuple[tuple[Any, int], ...]] = {
    "country": (("GR", 40), ("IT", 30), ("ES", 25), ("FR", 4), ("MT", 1)),
    "classification": (
        ("no_indicators", 35),
        ("indicators_present", 25),
        ("possible_trafficking", 20),
        ("likely_trafficking", 12),
        ("smuggling_indicators", 8),
    ),
    "population": ((instruments.ADULT, 85), (instruments.CHILD, 15)),
    "sex": (("female", 48), ("male", 48), ("other", 2), ("unknown", 2)),
    "nationality": (("NG", 30), ("ER", 20), ("SY", 20), ("AF", 20), ("VN", 10)),
}


def _draw(digest: bytes, at: int, options: tuple[tuple[Any, int], ...]) -> Any:
    point = digest[at] * sum(w for _v, w in options) // 256
    for value, weight in options:
        if point < weight:
            return value
        point -= weight
    return options[-1][0]


def _month(now: datetime, back: int) -> str:
    year, month = divmod(now.year * 12 + now.month - 1 - back, 12)
    return f"{year:04d}-{month + 1:02d}"


def fact(number: int, now: datetime, team_ids: list[uuid.UUID]) -> dict[str, Any]:
    """The ``number``-th synthetic fact."""
    digest = hashlib.sha256(f"passage-demo-fact:{number}".encode()).digest()
    row: dict[str, Any] = {
        name: _draw(digest, n, options) for n, (name, options) in enumerate(CHOICES.items())
    }
    trafficking = row["classification"] in ("likely_trafficking", "possible_trafficking")
    row.update(
        fact_id=uuid.uuid4(),
        record_key=digest[8],
        month=_month(now, digest[9] % 12),
        outcome="completed",
        team_id=team_ids[digest[10] % len(team_ids)],
        instrument=instruments.for_population(row["population"] == instruments.CHILD),
        instrument_version="2026.2",
        rules="passage-scoring/2+ilo-ec-2009",
        exploitation=instruments.SEXUAL if digest[11] < 40 else instruments.LABOUR,
        urgent=digest[12] < 30,
        incomplete=digest[13] < 25,
        smuggling=row["classification"] == "smuggling_indicators" or digest[14] < 50,
        smuggling_risk=digest[15] < 12,
        red_flag=digest[16] < 35,
        age_band="12-17"
        if row["population"] == instruments.CHILD
        else ("18-24", "25-34", "35-49")[digest[17] % 3],
    )
    for n, column in enumerate(MEANS_OF_CONTROL.values()):
        byte = digest[(18 + n) % 32]
        row[f"moc_{column}"] = (
            (1 if byte < (90 if trafficking else 15) else 0) if byte % 7 else None
        )
    for n, tag in enumerate(FORCED_LABOUR):
        byte = digest[(4 + 3 * n) % 32]
        row[f"fl_{tag}"] = 1 if byte < (110 if trafficking else 20) else 0
    for n, service in enumerate(SERVICES):
        row[f"need_{service}"] = digest[(7 + 5 * n) % 32] < (60 if n < 4 else 12)
    return row


def load_demo_facts(store: Session, now: datetime) -> None:
    """Seed the demo facts once (a second ``make run`` finds them there), with the
    pre-aggregates of their months, as ``facts.flush`` files real ones."""
    if store.scalar(sa.select(sa.func.count()).select_from(screening_facts)):
        return
    demo_teams = [teams.ensure_team(store, name) for name in TEAMS]
    store.flush()
    rows = [fact(n, now, [t.id for t in demo_teams]) for n in range(FACTS)]
    store.execute(screening_facts.insert(), rows)
    aggregates.refresh(store, catalogue.aggregated(), {row["month"] for row in rows})
    partners = [p.id for p in services.list_partner_organisations(store)]
    if partners:
        store.execute(
            referral_facts.insert(),
            [referral(n, now, [t.id for t in demo_teams], partners) for n in range(REFERRALS)],
        )
    store.execute(
        need_facts.insert(), [need(n, now, [t.id for t in demo_teams]) for n in range(NEEDS)]
    )
    click.echo(
        f"Demo statistics: {FACTS} synthetic screenings, {REFERRALS} referral steps and "
        f"{NEEDS} needs over twelve months; sign in as analyst@demo.passage.example "
        "to see the reports."
    )


def _digest(kind: str, number: int) -> bytes:
    return hashlib.sha256(f"passage-demo-{kind}:{number}".encode()).digest()


def referral(
    number: int, now: datetime, team_ids: list[uuid.UUID], partners: list[uuid.UUID]
) -> dict[str, Any]:
    """The ``number``-th synthetic referral step."""
    digest = _digest("referral", number)
    step = _draw(digest, 0, STEP_CHOICES)
    hours = digest[1] % 200 if step in ("accepted", "declined") else None
    return {
        "fact_id": uuid.uuid4(),
        "record_key": digest[2],
        "month": _month(now, digest[3] % 12),
        "team_id": team_ids[digest[4] % len(team_ids)],
        "partner_id": partners[digest[5] % len(partners)],
        "country": _draw(digest, 6, CHOICES["country"]),
        "population": instruments.for_population(digest[7] < 40),
        "urgency": "urgent" if digest[8] < 70 else "normal",
        "event": step,
        "hours": hours,
        "hours_band": answer_band(hours) if hours is not None else None,
        "in_time": hours < 72 if hours is not None else None,
        "decline_reason": _draw(digest, 9, tuple((r, 1) for r in DECLINE_REASONS))
        if step == "declined"
        else None,
        "outcome": _draw(digest, 10, tuple((o, 1) for o in OUTCOMES)) if step == "closed" else None,
        "after_decline": digest[11] < 50 if step == "accepted" else None,
        **{f"service_{s}": digest[12 + n] < 90 for n, s in enumerate(SERVICES)},
    }


def need(number: int, now: datetime, team_ids: list[uuid.UUID]) -> dict[str, Any]:
    """The ``number``-th synthetic need, with what routing found for it."""
    digest = _digest("need", number)
    return {
        "fact_id": uuid.uuid4(),
        "record_key": digest[0],
        "month": _month(now, digest[1] % 12),
        "team_id": team_ids[digest[2] % len(team_ids)],
        "country": _draw(digest, 3, CHOICES["country"]),
        "population": instruments.for_population(digest[4] < 40),
        "sex": _draw(digest, 5, CHOICES["sex"]),
        "service": SERVICES[digest[6] % len(SERVICES)],
        "result": _draw(
            digest,
            7,
            (
                ("matched", 70),
                ("no_capacity", 10),
                ("service_not_offered", 8),
                ("no_partner_in_area", 6),
                ("language_not_covered", 4),
                ("vetting_lapsed", 2),
            ),
        ),
    }
