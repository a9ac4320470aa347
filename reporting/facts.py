"""The statistics facts writer (docs/reporting.md §1): what one completed screening adds
to the statistics, and how it gets there without a thread back to the screening.

1. When a screening completes and the person agreed to the ``statistics`` purpose, its
   fact (``screening_fact``: no id, nothing finer than a month) waits in
   ``stat_fact_queue``. A person who refused a record but agreed to be counted adds a
   ``not_stored`` fact holding only the month, team and instrument (``count_refusal``).
2. ``flush`` files the queue into ``stat_screening_facts`` in one later transaction, in a
   shuffled order, each fact with a fresh random id and record key, and empties the queue.
   It waits for at least ``BATCH`` facts unless forced: a batch of one would point at the
   one screening completed just before.
3. In the same transaction it recomputes the reports' pre-aggregates of the months the
   batch touched (``reporting.aggregates``), so the reports and the facts never disagree.

So a fact shares no transaction (PostgreSQL ``xmin``), timestamp, sequence or row order with
the screening it counts, and the join back fails (tests/reporting/test_facts.py).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from core import clock, db, settings
from core.settings import ConfigError
from reporting import aggregates, catalogue, disclosure
from reporting.ctdc import age_ctdc
from reporting.models import (
    DIMENSIONS,
    FORCED_LABOUR,
    MEANS_OF_CONTROL,
    SERVICES,
    fact_queue,
    need_facts,
    referral_facts,
    screening_facts,
)
from reporting.tables import Rule
from screening import derivation, instruments, interview, opening, people, services
from screening.instruments import Instrument
from screening.models import Person, Screening

BATCH = 10
IDS = ("team_id", "partner_id")  # the only ids a fact holds: who counted, who answered
ASKED_NO = ("no", "no_by_gate")  # answered "no", directly or by the umbrella over it
# The relations HTCDS and CTDC report, and the indicators that say them (docs/reporting.md §1).
RELATION_ITEMS = {
    "rel_partner": ("rv_emotional_dependency", "sx_lover_recruiter"),
    "rel_family": ("sx_family_arranged",),
    "abduction": ("cr_abduction_sale",),
    "illicit": ("cd_illicit",),
}


KINDS = {"screening": screening_facts, "referral": referral_facts, "need": need_facts}


def tri_state(values: Mapping[str, str], items: list[str]) -> int | None:
    """1 when one of ``items`` is yes; 0 when every one was asked and is no; otherwise
    None: not asked, unknown or declined is "no information", never "no"."""
    present = [values[i] for i in items if i in values]
    if "yes" in present:
        return 1
    if present and len(present) == len(items) and all(v in ASKED_NO for v in present):
        return 0
    return None


def screening_fact(
    screening: Screening,
    instrument: Instrument,
    result: Mapping[str, Any],
    values: Mapping[str, str],
    person: Person,
    age: int | None,
) -> dict[str, Any]:
    """The fact one completed screening adds: its headline, the person's coarse,
    non-identifying attributes, and per tag whether an indicator said yes."""
    tagged: dict[str, dict[str, list[str]]] = {"htcds": {}, "forced_labour": {}}
    for indicator in instrument.indicators:
        for kind in tagged:
            tag = getattr(indicator, kind)
            if tag:
                tagged[kind].setdefault(tag, []).append(indicator.id)
    fact: dict[str, Any] = {
        "month": month_of(screening.completed_at),
        "outcome": "completed",
        "team_id": str(screening.team_id),
        "instrument": screening.instrument,
        "instrument_version": screening.instrument_version,
        "rules": screening.rules,
        "population": instruments.for_population(bool(result.get("child"))),
        "exploitation": screening.exploitation or _exploitation(result),
        "classification": screening.classification,
        "route": screening.route,
        "urgent": screening.urgent,
        "incomplete": screening.incomplete,
        "smuggling": screening.smuggling,
        "smuggling_risk": bool(result.get("smuggling_exploitation_risk")),
        "red_flag": bool(result.get("red_flags")),
        "sex": person.sex,
        "age_band": person.age_band,
        "age_ctdc": age_ctdc(age),
        "nationality": person.nationality,
        "country": person.country,
    }
    for value, column in MEANS_OF_CONTROL.items():
        items = tagged["htcds"].get(value, [])
        fact[f"moc_{column}"] = tri_state(values, items) if items else None
    for tag in FORCED_LABOUR:
        items = tagged["forced_labour"].get(tag, [])
        fact[f"fl_{tag}"] = tri_state(values, items) if items else None
    dimensions = result.get("dimensions", {})
    for dimension in DIMENSIONS:
        fact[f"dim_{dimension}"] = dimensions.get(dimension, {}).get("status") == "positive"
    for name, items in RELATION_ITEMS.items():
        known = [i for i in items if instrument.indicator(i)]
        fact[name] = tri_state(values, known) if known else None
    needs = set(screening.needs)
    for service in SERVICES:
        fact[f"need_{service}"] = service in needs
    return fact


def as_mapping(row: Mapping[str, Any]) -> dict[str, Any]:
    """A filed fact (a row of ``stat_screening_facts``) in the shape the exports read:
    the tag columns gathered as ``moc`` (by HTCDS value) and ``fl`` (by tag), the needs
    as a list."""
    fact = dict(row)
    fact["moc"] = {value: fact.pop(f"moc_{column}") for value, column in MEANS_OF_CONTROL.items()}
    fact["fl"] = {tag: fact.pop(f"fl_{tag}") for tag in FORCED_LABOUR}
    fact["needs"] = [s for s in SERVICES if fact.pop(f"need_{s}")]
    return fact


def month_of(moment: datetime | None) -> str:
    """The ``YYYY-MM`` month of a moment: the finest time a fact holds."""
    if moment is None:
        raise ValueError("a fact is written for a completed screening only")
    return moment.strftime("%Y-%m")


def _exploitation(result: Mapping[str, Any]) -> str | None:
    # One instrument covers every type: the sexual list applies when its filter opened it.
    lists = result.get("lists") or {}
    if not lists:
        return None
    sexual = {f"{p}_{instruments.SEXUAL}" for p in instruments.POPULATIONS}
    return instruments.SEXUAL if sexual & set(lists) else instruments.LABOUR


def enqueue(store: Session, kind: str, fact: Mapping[str, Any]) -> None:
    """Put a fact in the queue to wait for the next batch."""
    store.execute(
        fact_queue.insert().values(
            id=uuid.uuid4(), kind=kind, payload=json.dumps(fact, sort_keys=True)
        )
    )


def record_completed(store: Session, screening: Screening) -> bool:
    """Queue the fact of a just-completed screening when its person agreed to be counted;
    returns whether a fact was queued. Called in the completing transaction."""
    if not opening.consent_of(screening).purposes.get("statistics"):
        return False
    age = people.read(store, people.get(store, screening.person_id)).age
    enqueue(store, "screening", fact_of(store, screening, age))
    return True


def fact_of(store: Session, screening: Screening, age: int | None) -> dict[str, Any]:
    """The fact of a completed screening (``age`` None leaves the CTDC band empty)."""
    instrument = instruments.catalogue()[screening.instrument]
    values = derivation.derive(
        instrument, services.answers(store, screening), interview.population(screening, age)
    ).values
    return screening_fact(
        screening,
        instrument,
        services.result(store, screening) or {},
        values,
        people.get(store, screening.person_id),
        age,
    )


def count_refusal(store: Session, team_id: uuid.UUID, instrument: str, now: datetime) -> None:
    """Count, anonymously, a person who refused a record but agreed to be counted."""
    enqueue(
        store,
        "screening",
        {
            "month": month_of(now),
            "outcome": "not_stored",
            "team_id": str(team_id),
            "instrument": instrument,
            "population": instruments.for_population(instrument == instruments.CHILD),
        },
    )


def flush(store: Session, force: bool = False) -> int:
    """File the waiting facts of each kind, shuffled, with fresh ids and record keys, empty
    the queue and refresh the pre-aggregates of the months filed; a kind with fewer than
    ``BATCH`` waiting waits on, unless ``force``. Returns how many facts were filed."""
    return sum(_flush_kind(store, kind, table, force) for kind, table in KINDS.items())


def _flush_kind(store: Session, kind: str, table: sa.Table, force: bool) -> int:
    waiting = store.execute(
        sa.select(fact_queue.c.id, fact_queue.c.payload)
        .where(fact_queue.c.kind == kind)
        .with_for_update()
    ).all()
    if not waiting or (len(waiting) < BATCH and not force):
        return 0
    rows = [json.loads(payload) for _id, payload in waiting]
    secrets.SystemRandom().shuffle(rows)
    columns = set(table.c.keys())
    # Every row names every column (a refusal's fact holds only a few): one INSERT of many
    # rows needs the same parameters in each.
    empty = dict.fromkeys(columns)
    store.execute(
        table.insert(),
        [
            {
                **empty,
                **{k: v for k, v in row.items() if k in columns},
                **{k: uuid.UUID(row[k]) if row.get(k) else None for k in IDS if k in columns},
                "fact_id": uuid.uuid4(),
                "record_key": secrets.randbelow(256),
            }
            for row in rows
        ],
    )
    store.execute(fact_queue.delete().where(fact_queue.c.id.in_([i for i, _p in waiting])))
    reports = catalogue.aggregated(table)
    if reports:
        aggregates.refresh(store, reports, {row["month"] for row in rows})
    return len(rows)


def on_completed(screening_id: uuid.UUID) -> None:
    """Receiver of ``screening.services.completed_event``: queue the screening's fact."""
    store = db.session()
    screening = services.completed(store, screening_id)
    if screening is not None:
        record_completed(store, screening)


def on_counted_without_record(team_id: uuid.UUID, instrument: str) -> None:
    """Receiver of ``screening.services.counted_without_record``."""
    count_refusal(db.session(), team_id, instrument, clock.now())


def init_app(app: Flask) -> None:
    """Refuse to start with a statistics threshold under 10 (docs/reporting.md §3)."""
    try:
        disclosure.check_rule(Rule("cellkey", k=settings.of(app).stats_threshold))
    except ValueError as error:
        raise ConfigError(
            f"STATS_THRESHOLD: {error} (smaller counts can point at a person)"
        ) from None
