"""Paging of every list, on the pages and in the API: ``page`` and ``per_page`` read from the
query string in one place, with one set of limits and one refusal for a value out of them
(400, naming the field). A list whose page size is fixed reads ``page`` only. A list paged by
its sort key (``core.keyset``) also reads the cursors ``after`` and ``before`` it handed out;
here they are only checked for their shape (docs/architecture.md, "Lists at scale")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from flask import request

from core.errors import MalformedRequest

# Bounded so that the offset stays within a 64-bit integer on every database.
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 500
PER_PAGE = 50
LIMITS = {"page": MAX_PAGE, "per_page": MAX_PER_PAGE}
# Cursors are short base64url texts (core.keyset writes them); anything else is refused
# before it is decoded.
CURSORS = ("after", "before")
CURSOR_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,300}")

# The same parameters as the OpenAPI document declares them for every list endpoint.
PARAMETERS = [
    {"name": name, "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": high}}
    for name, high in LIMITS.items()
]


class Page(NamedTuple):
    """Which page of a list to show, and how many rows a page holds; for a list paged by
    its sort key, the cursor asked for, if any (which wins over ``number``)."""

    number: int
    size: int
    after: str | None = None
    before: str | None = None

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.number - 1) * self.size


def problems(
    args: Mapping[str, Any] | None = None,
    *,
    per_page: int = PER_PAGE,
    fixed: bool = False,
    most: int = MAX_PER_PAGE,
) -> tuple[Page, dict[str, str]]:
    """The page asked for in ``args`` (the request's query string by default), and the problem
    with each paging parameter that is not a whole number within its limits. ``per_page``
    is the size when none is asked for, or always when the list's size is ``fixed``; a list
    may take at most ``most`` rows a page (a web page fewer than the API, to stay light).
    For a caller that reports paging problems with others; :func:`read` refuses them."""
    args = request.args if args is None else args
    values, wrong = {"page": 1, "per_page": per_page}, {}
    for name, high in {**LIMITS, "per_page": most}.items():
        raw = args.get(name)
        if raw is None or (fixed and name == "per_page"):
            continue
        text = str(raw)
        # ASCII digits only: int() also takes " 7", "+7", "7_0" and digits of other scripts,
        # and refuses (with an error of its own) numbers thousands of digits long.
        if text.isascii() and text.isdecimal() and len(text) <= 20 and 1 <= int(text) <= high:
            values[name] = int(text)
        else:
            wrong[name] = f"a whole number from 1 to {high}"
    cursors = {name: args.get(name) for name in CURSORS}
    for name, raw in cursors.items():
        if raw is not None and not CURSOR_PATTERN.fullmatch(str(raw)):
            wrong[name] = "a cursor this list gave (its next or prev)"
    if all(cursors.values()):
        wrong["before"] = "give after or before, not both"
    after, before = (str(cursors[n]) if cursors[n] and n not in wrong else None for n in CURSORS)
    return Page(values["page"], values["per_page"], after, before), wrong


def read(
    args: Mapping[str, Any] | None = None,
    *,
    per_page: int = PER_PAGE,
    fixed: bool = False,
    most: int = MAX_PER_PAGE,
) -> Page:
    """The page asked for (see :func:`problems`); raises :class:`MalformedRequest` (400)
    naming each paging parameter out of its limits."""
    page, wrong = problems(args, per_page=per_page, fixed=fixed, most=most)
    if wrong:
        raise MalformedRequest("invalid paging", wrong)
    return page
