"""List and JSON columns (core.columns): tuples and dicts in and out through a real session,
stored as the same text the hand-written joins and dumps wrote, so rows written before the
types existed read back unchanged (docs/architecture.md, "Typed columns")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core.columns import JSONObject, StringList


class Scratch(DeclarativeBase):
    """A base of its own: the table exists only for these tests, never in the migrations."""


class Row(Scratch):
    __tablename__ = "test_typed_columns"

    id: Mapped[int] = mapped_column(primary_key=True)
    codes: Mapped[tuple[str, ...]] = mapped_column(StringList(50), default=())
    things: Mapped[dict[str, Any]] = mapped_column(JSONObject, default=dict)


@pytest.fixture
def store(app: Flask) -> Iterator[Session]:
    engine = app.extensions["passage.engine"]
    Scratch.metadata.create_all(engine)
    try:
        with Session(engine) as session:
            yield session
    finally:
        Scratch.metadata.drop_all(engine)


def reread(store: Session, row_id: int) -> Row:
    store.commit()
    store.expire_all()
    row = store.get(Row, row_id)
    assert row is not None
    return row


def stored(store: Session, row_id: int) -> tuple[str, str]:
    query = sa.text("SELECT codes, things FROM test_typed_columns WHERE id = :id")
    codes, things = store.execute(query, {"id": row_id}).one()
    return codes, things


def test_a_tuple_and_a_dict_come_back_as_written(store: Session) -> None:
    store.add(Row(id=1, codes=("shelter", "legal"), things={"referral": True, "share": ["sex"]}))
    row = reread(store, 1)
    assert (row.codes, row.things) == (("shelter", "legal"), {"referral": True, "share": ["sex"]})
    assert stored(store, 1) == ("shelter,legal", '{"referral": true, "share": ["sex"]}')


def test_the_order_given_is_kept(store: Session) -> None:
    store.add(Row(id=1, codes=("medical", "legal", "shelter")))
    assert reread(store, 1).codes == ("medical", "legal", "shelter")


def test_nothing_is_stored_as_empty_text_and_an_empty_object(store: Session) -> None:
    store.add(Row(id=1))
    row = reread(store, 1)
    assert (row.codes, row.things) == ((), {})
    assert stored(store, 1) == ("", "{}")


def test_keys_are_stored_sorted(store: Session) -> None:
    store.add(Row(id=1, things={"b": 2, "a": 1}))
    reread(store, 1)
    assert stored(store, 1)[1] == '{"a": 1, "b": 2}'


def test_a_replaced_value_is_saved(store: Session) -> None:
    store.add(Row(id=1, codes=("legal",), things={"referral": True}))
    row = reread(store, 1)
    row.codes = (*row.codes, "shelter")
    row.things = {**row.things, "referral": False}
    row = reread(store, 1)
    assert (row.codes, row.things) == (("legal", "shelter"), {"referral": False})


def test_rows_written_as_plain_text_read_back(store: Session) -> None:
    insert = sa.text("INSERT INTO test_typed_columns (id, codes, things) VALUES (:id, :c, :t)")
    store.execute(insert, {"id": 1, "c": "a,b", "t": '{"x": 1, "share": ["sex"]}'})
    store.execute(insert, {"id": 2, "c": "", "t": "{}"})
    store.execute(insert, {"id": 3, "c": "a,,b", "t": ""})
    assert (reread(store, 1).codes, reread(store, 1).things) == (
        ("a", "b"),
        {"x": 1, "share": ["sex"]},
    )
    assert (reread(store, 2).codes, reread(store, 2).things) == ((), {})
    assert (reread(store, 3).codes, reread(store, 3).things) == (("a", "b"), {})


def test_a_code_with_a_comma_is_refused(store: Session) -> None:
    store.add(Row(id=1, codes=("a,b",)))
    with pytest.raises(StatementError) as refused:
        store.flush()
    assert isinstance(refused.value.orig, ValueError)


@pytest.mark.parametrize("value", ["ab", ["a", "b"]])
def test_only_a_tuple_is_taken(store: Session, value: Any) -> None:
    # A string would be stored letter by letter; a list could be changed in place unseen.
    store.add(Row(id=1, codes=value))
    with pytest.raises(StatementError) as refused:
        store.flush()
    assert isinstance(refused.value.orig, TypeError)


def test_a_json_list_is_refused(store: Session) -> None:
    store.add(Row(id=1, things=["a"]))  # type: ignore[arg-type]
    with pytest.raises(StatementError) as refused:
        store.flush()
    assert isinstance(refused.value.orig, TypeError)


def test_the_stored_text_can_still_be_searched(store: Session) -> None:
    store.add_all([Row(id=1, codes=("legal", "shelter")), Row(id=2, codes=("medical",))])
    store.commit()
    found = store.scalars(sa.select(Row.id).where(Row.codes.like("%shelter%"))).all()
    assert found == [1]
