"""Writing a transaction's new rows at its commit with one Core ``INSERT`` per table, rather
than through the unit of work (docs/architecture.md, Performance, "Direct inserts").

A screening submission adds four new rows and changes nothing else; the unit of work spent a
fifth of the request sorting, syncing and bookkeeping them, part of it holding SQLite's one
write lock. When every pending change is a new row whose references are already spelled
out (ids set in Python, each relationship agreeing with its foreign key), the rows are
inserted here in the order of the tables' foreign keys and then join the session as if
they had been flushed and read back: persistent, clean, found by ``Session.get`` without a
query. Anything else — a changed or deleted row, a collection, a default the database
computes — is left to the unit of work, unchanged.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.interfaces import MANYTOMANY


def _value(state: Any, column: sa.Column[Any]) -> tuple[bool, Any]:
    """Whether ``state`` holds the attribute mapped to ``column`` (never loading it), and
    its value."""
    key = state.mapper.get_property_by_column(column).key
    return key in state.dict, state.dict.get(key)


def _references_agree(state: Any, new: set[int], order: dict[sa.Table, int]) -> bool:
    # Each relationship set on a new row must say what its foreign key says: the unit of
    # work would copy one into the other, and here nothing does. A new row may refer to
    # another new row only in a table inserted before its own (not its own table, whose
    # rows go in one statement in no given order).
    for relation in state.mapper.relationships:
        history = state.attrs[relation.key].history
        if not history.has_changes():
            continue
        if relation.direction is MANYTOMANY or history.deleted:
            return False
        for other in history.added:
            if other is None:
                continue
            other_state = sa.inspect(other)
            if id(other) in new:
                if order[other_state.mapper.local_table] >= order[state.mapper.local_table]:
                    return False
            elif not other_state.persistent:
                return False
            for local, remote in relation.local_remote_pairs:
                held, mine = _value(state, local)
                other_held, theirs = _value(other_state, remote)
                if not (held and other_held) or mine != theirs or mine is None:
                    return False
    return True


def _row(state: Any) -> dict[str, Any] | None:
    """The values of a new row, Python-side defaults applied to the object as the unit of
    work would; None when the database would have to fill one in."""
    mapper = state.mapper
    if mapper.inherits is not None or len(mapper.tables) != 1 or mapper.version_id_col:
        return None
    values = {}
    for column in mapper.local_table.columns:
        key = mapper.get_property_by_column(column).key
        if key in state.dict:
            values[column.key] = state.dict[key]
            continue
        default: Any = column.default
        if column.server_default is not None:
            return None
        if default is None:
            value = None
        elif default.is_scalar:
            value = default.arg
        elif default.is_callable:
            # SQLAlchemy wraps a callable of no arguments (Passage's are: new_id, dict) into
            # one that takes the execution context, which no default here reads.
            value = default.arg(None)
        else:
            return None  # a sequence or an SQL expression: the database computes it
        setattr(state.obj(), key, value)
        values[column.key] = value
    if any(values.get(c.key) is None for c in mapper.local_table.primary_key.columns):
        return None
    return values


def write(store: Session) -> list[Any]:
    """Insert ``store``'s new rows directly when that is safe (see the module's docstring)
    and return them; nothing when the unit of work must."""
    rows = list(store.new)
    if not rows or store.dirty or store.deleted:
        return []
    new = {id(row) for row in rows}
    states = [sa.inspect(row) for row in rows]
    order = _table_order(states)
    if not all(_references_agree(state, new, order) for state in states):
        return []
    by_table: dict[sa.Table, list[dict[str, Any]]] = {}
    for state in sorted(states, key=lambda state: order[state.mapper.local_table]):
        values = _row(state)
        if values is None:
            return []
        by_table.setdefault(state.mapper.local_table, []).append(values)
    connection = store.connection()  # begins the transaction, as a flush would
    for table, table_rows in by_table.items():
        connection.execute(table.insert(), table_rows)
    # Join the session as rows read back: expunged first, all of them, so that adding one
    # does not cascade into another that is still pending.
    for row in rows:
        store.expunge(row)
    for row in rows:
        make_transient_to_detached(row)
    for row in rows:
        store.add(row)
    return rows


def _table_order(states: list[Any]) -> dict[sa.Table, int]:
    metadata = states[0].mapper.local_table.metadata
    return _sorted(metadata, len(metadata.tables))


@cache
def _sorted(metadata: sa.MetaData, _tables: int) -> dict[sa.Table, int]:
    # Sorting the tables by their foreign keys takes longer than the inserts themselves:
    # done once per set of tables.
    return {table: n for n, table in enumerate(metadata.sorted_tables)}
