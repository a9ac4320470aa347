"""Keyset paging: a page of a list starts just after (or ends just before) the sort key of a
row the previous page showed, so page 2 and page 2,000 cost the same — an index range read
of one page — where ``OFFSET`` reads and throws away every row before the page. The key is
written into an opaque cursor (``next``, ``prev``, ``last``) that the caller hands back as
``after`` or ``before`` (read by ``core.paging``). Totals are counted up to
:data:`COUNT_LIMIT` rows, so no page counts a whole large list (docs/architecture.md,
"Lists at scale").
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.errors import MalformedRequest
from core.paging import MAX_PAGE, MAX_PER_PAGE, Page

# Rows counted at most for a list's total: past it, the total says "more than this many".
# Counting reads the index entries of the rows counted, so the limit bounds what every page
# of a long list costs (10,000 entries took PostgreSQL ten times longer than the page
# itself); a person pages through a few hundred rows, a program follows next.
COUNT_LIMIT = 1_000
MAX_POSITION = MAX_PAGE * MAX_PER_PAGE  # the furthest row page numbers reach
WRONG_CURSOR = "a cursor this list gave (its next, prev or last)"


# A select of any columns.
Query = sa.Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Keyset:
    """How a list is ordered: ``columns`` form a key unique per row (the last is the id),
    all ascending or all descending, and an index of the same columns (after those the
    list's scope fixes) serves the order. ``name`` tags the list's cursors, so a cursor of
    one list is refused by another."""

    name: str
    columns: tuple[Any, ...]
    descending: bool = False

    def ordered(self, reverse: bool = False) -> list[Any]:
        """The ORDER BY of the list (``reverse``: read from the other end)."""
        down = self.descending != reverse
        return [c.desc() if down else c.asc() for c in self.columns]

    def beyond(self, key: Sequence[Any], reverse: bool = False) -> Any:
        """Rows after ``key`` in the list's order (``reverse``: before it): one row-value
        comparison, which PostgreSQL and SQLite both read as a range of the index."""
        values = [
            sa.bindparam(None, v, type_=c.type) for c, v in zip(self.columns, key, strict=True)
        ]
        row, start = sa.tuple_(*self.columns), sa.tuple_(*values)
        return row < start if self.descending != reverse else row > start

    def key_of(self, row: Any) -> tuple[Any, ...]:
        """The sort key of a row the list's query returned."""
        return tuple(row._mapping[c] for c in self.columns)

    def encode(self, key: Sequence[Any] | None, backward: bool, position: int) -> str:
        """The cursor of a page: after ``key`` (or before it, ``backward``), its first row
        (or the row after its last) being row ``position`` of the list, from 0. No key:
        the end of the list, for the last page."""
        values = [] if key is None else [_plain(v) for v in key]
        text = json.dumps([self.name, "b" if backward else "a", position, *values])
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    def decode(self, token: str, field: str) -> tuple[tuple[Any, ...] | None, bool, int]:
        """``(key, backward, position)`` of a cursor this list gave, handed back as ``field``
        (``after`` or ``before``); refused (400, naming ``field``) otherwise. It holds only
        sort keys of rows the caller was shown, so altering one moves the page within the
        caller's own list, never beyond it."""
        try:
            padded = token + "=" * (-len(token) % 4)
            name, way, position, *raw = json.loads(base64.urlsafe_b64decode(padded))
            # A cursor goes back where it came from: next as after, prev and last as before.
            if name != self.name or way != field[0] or type(position) is not int:
                raise ValueError(name)
            if not 0 <= position <= MAX_POSITION or (way == "a" and not raw):
                raise ValueError(position)
            if raw and len(raw) != len(self.columns):
                raise ValueError(raw)
            key = (
                tuple(_typed(c, v) for c, v in zip(self.columns, raw, strict=True)) if raw else None
            )
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise MalformedRequest("invalid paging", {field: WRONG_CURSOR}) from None
        return key, way == "b", position


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def _typed(column: Any, value: Any) -> Any:
    stored = column.type  # a TypeDecorator (UTCDateTime) says what it stores through impl
    kind = getattr(stored, "impl_instance", stored).python_type
    if kind is datetime:
        found = datetime.fromisoformat(value) if isinstance(value, str) else None
        if found is None or found.tzinfo is None:
            raise ValueError(value)
        # Stored in UTC: an instant that cannot be (year 1 or 9999 at the edge) is no key.
        try:
            found.astimezone(UTC)
        except OverflowError as error:
            raise ValueError(value) from error
        return found
    if kind is uuid.UUID:
        return uuid.UUID(hex=value) if isinstance(value, str) else _refuse(value)
    # A number no column holds (64 bits on every database) is no key.
    if kind is int and type(value) is int and not -(2**63) <= value < 2**63:
        raise ValueError(value)
    # bool is an int to isinstance: the exact type, so true is no rank and 1 no flag.
    return value if type(value) is kind and kind in (int, bool, str) else _refuse(value)


def _refuse(value: Any) -> Any:
    raise ValueError(value)


@dataclass(frozen=True)
class Window:
    """One page of a list: its rows, its number, the total (exact up to
    :data:`COUNT_LIMIT`, else a lower bound) and the cursors of the pages around it."""

    rows: list[Any]
    number: int
    size: int
    total: int
    exact: bool
    next: str | None
    prev: str | None
    last: str | None

    @property
    def pages(self) -> int:
        """How many pages the total makes (at least one)."""
        return max(1, -(-self.total // self.size))


def count(store: Session, query: Query, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """How many rows ``query`` selects, counted up to ``limit``, and whether that is all."""
    at_most = query.limit(limit + 1).subquery()
    counted = store.scalar(sa.select(sa.func.count()).select_from(at_most)) or 0
    return min(counted, limit), counted <= limit


def window(store: Session, query: Query, keyset: Keyset, page: Page) -> Window:
    """The page of ``query`` (a select of the columns the list shows, the key's among them,
    filtered to the caller's rows, not ordered) that ``page`` asks for: by cursor, read
    from the key on; by number (the first page, or the interface before cursors), by
    offset. Two statements: the page and the capped count."""
    # Counted along the list's own index, in its order: the LIMIT then bounds the work
    # whatever the table holds and however its rows lie on disk.
    ids = query.with_only_columns(keyset.columns[-1]).order_by(*keyset.ordered())
    total, exact = count(store, ids)
    cursor = page.after or page.before
    if cursor is None:
        return _by_number(store, query, keyset, page, total, exact)
    key, backward, position = keyset.decode(cursor, "after" if page.after else "before")
    if not backward:
        rows = _read(store, query.where(keyset.beyond(key or ())), keyset, page.size + 1)
        more = len(rows) > page.size
        return _framed(keyset, page, rows[: page.size], position, more, total, exact)
    size = page.size if key is not None else _last_size(position, page.size)
    limited = query.where(keyset.beyond(key, reverse=True)) if key is not None else query
    rows = _read(store, limited, keyset, size + 1, reverse=True)
    if len(rows) <= size:  # nothing before these: the first page, whole
        return _by_number(store, query, keyset, page._replace(number=1), total, exact)
    rows = rows[:size][::-1]
    return _framed(keyset, page, rows, max(position - size, 1), key is not None, total, exact)


def _last_size(end: int, size: int) -> int:
    # The last page holds what is left after whole pages, so page numbers line up with the
    # first page's.
    return end - (end - 1) // size * size if end else size


def _read(
    store: Session, query: Query, keyset: Keyset, limit: int, reverse: bool = False
) -> list[Any]:
    return list(store.execute(query.order_by(*keyset.ordered(reverse)).limit(limit)))


def _by_number(
    store: Session, query: Query, keyset: Keyset, page: Page, total: int, exact: bool
) -> Window:
    offset = (page.number - 1) * page.size
    if offset:
        # The rows before the page are still read, but only their keys, from the index
        # alone; then only the page's rows are fetched.
        skipped = query.with_only_columns(keyset.columns[-1]).order_by(*keyset.ordered())
        page_ids = skipped.offset(offset).limit(page.size + 1).scalar_subquery()
        query = query.where(keyset.columns[-1].in_(page_ids))
    rows = _read(store, query, keyset, page.size + 1)
    return _framed(keyset, page, rows[: page.size], offset, len(rows) > page.size, total, exact)


def _framed(
    keyset: Keyset,
    page: Page,
    rows: list[Any],
    position: int,
    more: bool,
    total: int,
    exact: bool,
) -> Window:
    """The window of ``rows``, row ``position`` of the list first, with ``more`` after."""
    last = None
    if more and exact and total > position + len(rows):
        last = keyset.encode(None, True, total)
    return Window(
        rows=rows,
        number=position // page.size + 1,
        size=page.size,
        # Rows before a page that has rows, and those on it, exist, whatever was counted (a
        # deep page of a long list, or rows added since its total was exact). A page past
        # the end proves nothing: the count stands.
        total=max(total, position + len(rows)) if rows else total,
        exact=exact,
        next=keyset.encode(keyset.key_of(rows[-1]), False, position + len(rows))
        if more and rows
        else None,
        prev=keyset.encode(keyset.key_of(rows[0]), True, position) if position and rows else None,
        last=last,
    )
