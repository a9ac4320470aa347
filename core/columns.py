"""Column types for lists of codes and small JSON objects kept in the clear (docs/architecture.md,
"Typed columns").

A model attribute holds the Python value (an immutable tuple of codes, a dict); the stored
text is what the hand-written ``",".join`` and ``json.dumps`` wrote before these types
existed, so old rows read back unchanged and no migration was needed.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

SEPARATOR = ","


class StringList(sa.types.TypeDecorator[tuple[str, ...]]):
    """A tuple of codes stored comma-joined (``""`` for none), in the order given.

    A tuple, not a list: changing a list in place would go unseen by SQLAlchemy and never be
    saved, while a tuple can only be replaced, which SQLAlchemy sees. The writer decides the
    order (sorted or as chosen); this type keeps it.
    """

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: tuple[str, ...] | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, tuple):
            # A list would stay on the model, open to changes in place that are never saved;
            # a string would be stored letter by letter.
            raise TypeError(f"a list column takes a tuple of strings, not {type(value).__name__}")
        for item in value:
            if not isinstance(item, str):
                raise TypeError(f"a list column holds strings, not {type(item).__name__}")
            if SEPARATOR in item:
                raise ValueError("an element of a list column cannot contain a comma")
        return SEPARATOR.join(value)

    def process_result_value(self, value: str | None, dialect: Any) -> tuple[str, ...] | None:
        if value is None:
            return None
        return tuple(item for item in value.split(SEPARATOR) if item)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # Compared with a plain string (LIKE, =) the stored text is meant, not a list.
        return self.impl_instance if isinstance(value, str) else self


class JSONObject(sa.types.TypeDecorator[dict[str, Any]]):
    """A JSON object stored as text with sorted keys, read back as a dict.

    Assign a new dict rather than changing the one read: a change in place goes unseen by
    SQLAlchemy and is not saved.
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise TypeError(f"a JSON object column takes a dict, not {type(value).__name__}")
        return json.dumps(value, sort_keys=True)

    def process_result_value(self, value: str | None, dialect: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        loaded = json.loads(value) if value else {}
        if not isinstance(loaded, dict):
            raise ValueError("a JSON object column holds something other than an object")
        return loaded

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self.impl_instance if isinstance(value, str) else self
