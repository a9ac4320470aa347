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

from access import services
from reporting import aggregates, catalogue
from reporting.models import FORCED_LABOUR, MEANS_OF_CONTROL, SERVICES, screening_facts

FACTS = 900
TEAMS = ("Demo North", "Demo South")
# (value, weight): the last values are rare on purpose, to show "<10" cells.
CHOICES: dict[str, tuple[tuple[Any, int], ...]] = {
    "country": (("GR", 40), ("IT", 30), ("ES", 25), ("FR", 4), ("MT", 1)),
    "classification": (("no_indicators", 35), ("indicators_present", 25),
                       ("possible_trafficking", 20), ("likely_trafficking", 12),
                       ("smuggling_indicators", 8)),
    "population": (("adult", 85), ("child", 15)),
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


def fact(number: int, now: datetime, teams: list[uuid.UUID]) -> dict[str, Any]:
    """The ``number``-th synthetic fact."""
    digest = hashlib.sha256(f"passage-demo-fact:{number}".encode()).digest()
    row: dict[str, Any] = {name: _draw(digest, n, options)
                           for n, (name, options) in enumerate(CHOICES.items())}
    trafficking = row["classification"] in ("likely_trafficking", "possible_trafficking")
    row.update(
        fact_id=uuid.uuid4(), record_key=digest[8], month=_month(now, digest[9] % 12),
        outcome="completed", team_id=teams[digest[10] % len(teams)], instrument=(
            "child" if row["population"] == "child" else "adult"),
        instrument_version="2026.2", rules="passage-scoring/2+ilo-ec-2009",
        exploitation="sexual" if digest[11] < 40 else "labour",
        urgent=digest[12] < 30, incomplete=digest[13] < 25,
        smuggling=row["classification"] == "smuggling_indicators" or digest[14] < 50,
        smuggling_risk=digest[15] < 12, red_flag=digest[16] < 35,
        age_band="12-17" if row["population"] == "child" else ("18-24", "25-34", "35-49")[
            digest[17] % 3])
    for n, column in enumerate(MEANS_OF_CONTROL.values()):
        byte = digest[(18 + n) % 32]
        row[f"moc_{column}"] = (1 if byte < (90 if trafficking else 15) else 0) \
            if byte % 7 else None
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
    teams = [services.ensure_team(store, name) for name in TEAMS]
    store.flush()
    rows = [fact(n, now, [t.id for t in teams]) for n in range(FACTS)]
    store.execute(screening_facts.insert(), rows)
    aggregates.refresh(store, catalogue.CATALOGUE.values(), {row["month"] for row in rows})
    click.echo(f"Demo statistics: {FACTS} synthetic screening facts over twelve months; sign "
               "in as analyst@demo.passage.example to see the reports.")
