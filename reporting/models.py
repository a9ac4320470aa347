"""The statistics tables (docs/reporting.md §1). A fact row holds no person, case,
screening, referral or user id and no time finer than a month; facts are never updated, and
nothing in them depends on a person's data key, so they survive crypto-shredding.

``stat_fact_queue`` is where a fact waits, between the transaction that produced it and the
shuffled batch that files it (reporting.facts.flush), so that no fact shares a transaction,
a timestamp or an insertion order with the record it counts.

``stat_aggregates`` and ``stat_aggregate_state`` are the reports' pre-aggregates and their
data versions (reporting.aggregates, docs/reporting.md §2): derived from the facts, rebuilt
from them at will, and holding nothing the facts do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from core.db import Base, UTCDateTime
from screening.instruments import TRAFFICKING_DIMENSIONS
from screening.services import SERVICES

# HTCDS 2.0 vic_MethodsOfControl values (docs/reporting.md §1), and Passage's RestrictsMovement,
# as the snake-case suffix of their fact columns.
MEANS_OF_CONTROL = {
    "PhysicalThreats": "physical_threats",
    "ThreatsLawEnforcement": "threats_law_enforcement",
    "ThreatensChildrenFamily": "threatens_children_family",
    "DebtBondage": "debt_bondage",
    "FalsePromises": "false_promises",
    "PhysicalAbuse": "physical_abuse",
    "SexualAbuse": "sexual_abuse",
    "TakesEarnings": "takes_earnings",
    "RestrictsFinancialAccess": "restricts_financial_access",
    "RestrictsMedicalCare": "restricts_medical_care",
    "WithholdsNecessities": "withholds_necessities",
    "PsychologicalAbuse": "psychological_abuse",
    "PsychoactiveSubstance": "psychoactive_substance",
    "ExcessiveWorkingHours": "excessive_working_hours",
    "WithholdsDocuments": "withholds_documents",
    "Other": "other",
    "RestrictsMovement": "restricts_movement",
}
# The ILO forced-labour indicator tags the catalogue uses (screening.instruments).
FORCED_LABOUR = (
    "abuse_of_vulnerability",
    "deception",
    "restriction_of_movement",
    "physical_and_sexual_violence",
    "intimidation_and_threats",
    "retention_of_documents",
    "withholding_of_wages",
    "debt_bondage",
    "abusive_conditions",
    "excessive_overtime",
)
# A column per trafficking dimension and per service, read from their vocabularies: a new
# one is a new column, so it needs a migration (tests/core/test_migrations.py).
DIMENSIONS = TRAFFICKING_DIMENSIONS
RELATIONS = ("rel_partner", "rel_family", "abduction", "illicit")


def _flags(
    prefix: str, names: Iterable[str], kind: type[sa.types.TypeEngine[Any]]
) -> list[sa.Column[Any]]:
    return [sa.Column(f"{prefix}{name}", kind(), nullable=True) for name in names]


screening_facts = sa.Table(
    "stat_screening_facts",
    Base.metadata,
    sa.Column("fact_id", sa.Uuid(), primary_key=True),
    sa.Column("record_key", sa.SmallInteger(), nullable=False),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    # completed, or not_stored: the person refused a record but agreed to be counted.
    sa.Column("outcome", sa.String(12), nullable=False),
    sa.Column("team_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("instrument", sa.String(16), nullable=False),
    sa.Column("instrument_version", sa.String(16), nullable=True),
    sa.Column("rules", sa.String(64), nullable=True),
    sa.Column("population", sa.String(8), nullable=False),
    sa.Column("exploitation", sa.String(10), nullable=True),
    sa.Column("classification", sa.String(24), nullable=True),
    sa.Column("route", sa.String(32), nullable=True),
    sa.Column("urgent", sa.Boolean(), nullable=True),
    sa.Column("incomplete", sa.Boolean(), nullable=True),
    sa.Column("smuggling", sa.Boolean(), nullable=True),
    sa.Column("smuggling_risk", sa.Boolean(), nullable=True),
    sa.Column("red_flag", sa.Boolean(), nullable=True),
    sa.Column("sex", sa.String(8), nullable=True),
    sa.Column("age_band", sa.String(8), nullable=True),
    sa.Column("age_ctdc", sa.String(8), nullable=True),
    sa.Column("nationality", sa.String(2), nullable=True),
    sa.Column("country", sa.String(2), nullable=True),
    *_flags("moc_", MEANS_OF_CONTROL.values(), sa.SmallInteger),
    *_flags("fl_", FORCED_LABOUR, sa.SmallInteger),
    *_flags("dim_", DIMENSIONS, sa.Boolean),
    *_flags("", RELATIONS, sa.SmallInteger),
    *_flags("need_", SERVICES, sa.Boolean),
)

fact_queue = sa.Table(
    "stat_fact_queue",
    Base.metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
)

# The release register (docs/reporting.md §5): every table or file that left the service,
# with what it held and its SHA-256, for auditors. No personal data: report names, filters
# and the releasing account.
releases = sa.Table(
    "stat_releases",
    Base.metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("released_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("released_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
    sa.Column("channel", sa.String(8), nullable=False),  # web, api or cli
    sa.Column("report", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("filters", sa.Text(), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("threshold", sa.Integer(), nullable=False),
    sa.Column("format", sa.String(8), nullable=False),
    sa.Column("rows", sa.Integer(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
)

# How long a partner took to answer (accept or decline), in bands: the time to answer is
# published as counts per band, never as a figure of one referral (the referral facts'
# ``hours_band``).
ANSWER_BANDS = ((24, "0-24h"), (72, "24-72h"), (168, "72-168h"), (None, "168h+"))

# One row per step of a referral whose person agreed to be counted (docs/reporting.md §1):
# the partner's own figures and the service's, never the case or the referral.
referral_facts = sa.Table(
    "stat_referral_facts",
    Base.metadata,
    sa.Column("fact_id", sa.Uuid(), primary_key=True),
    sa.Column("record_key", sa.SmallInteger(), nullable=False),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    sa.Column("team_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("partner_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("population", sa.String(8), nullable=False),
    sa.Column("urgency", sa.String(6), nullable=False),
    sa.Column("event", sa.String(10), nullable=False),
    sa.Column("hours", sa.Integer(), nullable=True),
    sa.Column("hours_band", sa.String(8), nullable=True),  # of an answer: ANSWER_BANDS
    sa.Column("in_time", sa.Boolean(), nullable=True),
    sa.Column("decline_reason", sa.String(24), nullable=True),
    sa.Column("outcome", sa.String(24), nullable=True),
    sa.Column("after_decline", sa.Boolean(), nullable=True),
    *_flags("service_", SERVICES, sa.Boolean),
)

# One row per need of a counted screening, with what routing found for it: a partner, or the
# gap nearest to one (referral.routing.GAPS).
need_facts = sa.Table(
    "stat_need_facts",
    Base.metadata,
    sa.Column("fact_id", sa.Uuid(), primary_key=True),
    sa.Column("record_key", sa.SmallInteger(), nullable=False),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    sa.Column("team_id", sa.Uuid(), nullable=True, index=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("population", sa.String(8), nullable=False),
    sa.Column("sex", sa.String(8), nullable=True),
    sa.Column("service", sa.String(24), nullable=False),
    sa.Column("result", sa.String(24), nullable=False),
)

# The pre-aggregates (reporting.aggregates): per report, the exact count and cell key of each
# of its cells in each month, team and country, so that a report sums a few rows per month
# instead of reading every fact. ``grain`` says which of team and country a row is broken
# down by (definition.GRAINS): a request reads the coarsest rows its filters allow, and NULL
# there means "all", while at the finest grain it means "none recorded". One long table for
# every report: ``cell`` holds the cell's dimension values as a JSON array, so a new report
# needs no new table. No primary key on the report's own columns (team and country may be
# NULL): rows are only ever replaced a month at a time, never addressed one by one.
aggregates = sa.Table(
    "stat_aggregates",
    Base.metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("report", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("grain", sa.String(12), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("team_id", sa.Uuid(), nullable=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("cell", sa.Text(), nullable=False),
    sa.Column("n", sa.Integer(), nullable=False),
    sa.Column("ckey", sa.SmallInteger(), nullable=False),  # sum of record keys modulo 256
    sa.Index("ix_stat_aggregates_report_grain_month", "report", "grain", "month"),
)

# One row per report whose pre-aggregates are built: for which version of the report, and
# the data version, a fresh random id at every refresh, that keys the cache of published
# tables (random rather than a counter, so that no two databases or test runs share one).
aggregate_state = sa.Table(
    "stat_aggregate_state",
    Base.metadata,
    sa.Column("report", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("data_version", sa.Uuid(), nullable=False),
)
