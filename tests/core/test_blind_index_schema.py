"""Blind indexes only where they were approved, and never over a low-cardinality field (R39).

A blind index over a field of few values (sex, nationality, an age band) gives its values away
by counting: the rows sharing an index are the people sharing a value. The schema is read from
the models' metadata: every column that looks like a blind index, by its name or by its type
(binary of the index's length), must be one approved below, with its inputs written out; no
index may be named after or fed by a denylisted field. The approved index is also checked in
use: changing a denylisted field of a person never changes their index."""

from __future__ import annotations

import dataclasses
from datetime import date

import sqlalchemy as sa
from flask import Flask

from core import crypto
from core.db import Base
from screening import people

# The approved blind indexes, by table and column, with what each is derived from: only
# high-entropy, exact-match inputs (docs/security.md, R39).
APPROVED = {
    ("people", "identity_index"): ("given_name", "family_name", "birth_year"),
}
# Fields of few values: never indexed, alone or as a part (docs/security.md, R39). A year
# of birth is fed to the identity index only together with both names.
DENYLIST = frozenset(
    {
        "sex",
        "gender",
        "nationality",
        "country",
        "region",
        "language",
        "languages",
        "age",
        "age_band",
        "age_source",
        "role",
        "team",
        "organisation",
        "outcome",
        "status",
        "consent",
    }
)
SUFFIXES = ("_bidx", "_blind_index", "_index", "_idx")


def index_columns(metadata: sa.MetaData) -> set[tuple[str, str]]:
    """Every column that holds, or is named as, a blind index."""
    found = set()
    for table in metadata.tables.values():
        for column in table.columns:
            named = column.name.endswith(SUFFIXES)
            typed = (
                isinstance(column.type, sa.LargeBinary) and column.type.length == crypto.INDEX_BYTES
            )
            if named or typed:
                found.add((table.name, column.name))
    return found


def index_problems(metadata: sa.MetaData) -> list[str]:
    """What breaks the rule in ``metadata``: an index not approved, or one named after or
    fed by a denylisted field."""
    problems = []
    for table, column in sorted(index_columns(metadata)):
        if (table, column) not in APPROVED:
            problems.append(f"{table}.{column}: a blind index not approved")
        base = column
        for suffix in SUFFIXES:
            base = base.removesuffix(suffix)
        named_after = {base, *base.split("_")} & DENYLIST
        if named_after:
            problems.append(f"{table}.{column}: named after {', '.join(sorted(named_after))}")
    for (table, column), inputs in APPROVED.items():
        denied = set(inputs) & DENYLIST
        if denied:
            problems.append(f"{table}.{column}: derived from {', '.join(sorted(denied))}")
    return problems


def test_the_schema_has_only_approved_blind_indexes(app: Flask) -> None:
    # The app has imported every model, so the metadata holds every table.
    assert index_problems(Base.metadata) == []
    # And the approved ones exist: the list is kept to the schema, not left stale.
    assert index_columns(Base.metadata) == set(APPROVED)


def test_the_check_fails_on_an_index_over_a_denylisted_field() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "people",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sex_bidx", sa.LargeBinary(16)),
        sa.Column("nationality_country_index", sa.LargeBinary(32)),
        sa.Column("digest", sa.LargeBinary(crypto.INDEX_BYTES)),
        sa.Column("identity_index", sa.LargeBinary(16)),
    )
    assert index_problems(metadata) == [
        "people.digest: a blind index not approved",
        "people.nationality_country_index: a blind index not approved",
        "people.nationality_country_index: named after country, nationality",
        "people.sex_bidx: a blind index not approved",
        "people.sex_bidx: named after sex",
    ]


def test_the_identity_index_ignores_every_low_cardinality_field(app: Flask) -> None:
    # Derived from names and year alone: the fields kept in the clear for statistics never
    # change it, so it cannot be used to count people by them.
    today = date(2026, 3, 2)
    person = people.Identity("Canarygiven", "Canaryfamily", birth_date=date(1990, 5, 17))
    others = [
        dataclasses.replace(person, sex="male"),
        dataclasses.replace(person, sex="female"),
        dataclasses.replace(person, nationality="ZZ"),
        dataclasses.replace(person, country="XK"),
        dataclasses.replace(person, region="Canaryregion"),
        dataclasses.replace(person, languages=("fr", "en")),
        dataclasses.replace(person, age_source="document"),
        dataclasses.replace(person, contact="canary-contact", notes="canary-note"),
    ]
    with app.app_context():
        index = people.identity_index(person, today)
        assert index is not None
        assert {people.identity_index(other, today) for other in others} == {index}
