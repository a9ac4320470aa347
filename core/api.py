"""Building blocks of the JSON API: reading a request's JSON body safely, and the OpenAPI
description each package contributes to."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import request

from core import keyset, paging
from core.errors import ERROR_CODES, MalformedRequest

F = TypeVar("F", bound=Callable[..., Any])

API_VERSION = "v1"

# No body the API takes nests deeper than a few levels; far deeper ones are refused before any
# code walks them recursively.
MAX_DEPTH = 16


def json_body() -> Any:
    """The request's JSON body, or None when it has none or it is not JSON.

    Refused with 400 when it nests deeper than ``MAX_DEPTH`` or holds text that cannot be
    encoded as UTF-8 (a lone surrogate such as ``"\\ud800"``): nothing downstream (encryption,
    the database) could store it, so it is stopped at the door.
    """
    if not request.is_json:
        return None
    raw = request.get_data(cache=True)
    try:
        # UTF-8 only (RFC 8259 §8.1); json.loads would also read UTF-16 and UTF-32.
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest(
            "the JSON body is not UTF-8", {"body": "send JSON encoded as UTF-8"}
        ) from None
    try:
        body = json.loads(raw)
    except RecursionError:
        raise MalformedRequest(
            "the JSON body is nested too deeply", {"body": f"at most {MAX_DEPTH} levels of nesting"}
        ) from None
    except ValueError:
        return None
    # Walked with a stack of its own, so no input can exhaust Python's recursion limit.
    pending = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise MalformedRequest(
                "the JSON body is nested too deeply",
                {"body": f"at most {MAX_DEPTH} levels of nesting"},
            )
        if isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and not _encodable(value):
            raise MalformedRequest(
                "the JSON body holds text that is not valid Unicode",
                {"body": "text must be valid Unicode (no lone surrogates)"},
            )
    return body


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object"},
            },
        }
    },
}


class ApiSpec:
    """The OpenAPI operations one package's API declares, keyed by path and method."""

    def __init__(self) -> None:
        self.paths: dict[str, dict[str, Any]] = {}
        self.links: list[tuple[str, str, str, str, dict[str, Any]]] = []

    def link(
        self, path: str, method: str, status: int, name: str, operation_id: str, **link: Any
    ) -> None:
        """Declare an OpenAPI link from a response of an operation (possibly another
        package's) to the operation ``operation_id``, so clients and the stateful fuzzing can
        follow what one call returns into the next."""
        self.links.append(
            (path, method.lower(), str(status), name, {"operationId": operation_id, **link})
        )

    def operation(self, path: str, method: str, **operation: Any) -> Callable[[F], F]:
        """Declare the OpenAPI operation served by the decorated view."""
        errors = operation.pop("errors", (401,))

        def record(view: F) -> F:
            responses = dict(operation.pop("responses", {}))
            for status in (*errors, 429):
                responses.setdefault(str(status), {"$ref": f"#/components/responses/{status}"})
            self.paths.setdefault(path, {})[method.lower()] = {
                "operationId": view.__name__,
                "security": [{"bearer": []}],
                "responses": responses,
                **operation,
            }
            return view

        return record


def openapi_document(specs: Iterable[ApiSpec], title: str, version: str) -> dict[str, Any]:
    """Merge the packages' specs into one OpenAPI 3.1 document."""
    specs = list(specs)
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        for path, operations in spec.paths.items():
            paths.setdefault(path, {}).update(operations)
    for spec in specs:
        for path, method, status, name, link in spec.links:
            response = paths[path][method]["responses"][status]
            response.setdefault("links", {})[name] = link
    responses = {
        str(status): {
            "description": code.replace("_", " "),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status, code in ERROR_CODES.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": f"/api/{API_VERSION}"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
            "responses": responses,
        },
    }


# The query parameters every list endpoint takes, read by core.paging.
PAGE_PARAMETERS = paging.PARAMETERS
# And those of a list paged by its sort key (core.keyset): the cursors it hands out.
CURSOR = {"type": "string", "pattern": paging.CURSOR_PATTERN.pattern}
CURSOR_PARAMETERS = PAGE_PARAMETERS + [
    {
        "name": name,
        "in": "query",
        "description": f"the page {where} a cursor of this list: the {given} of a page it "
        "answered; wins over page",
        "schema": CURSOR,
    }
    for name, where, given in (
        ("after", "after", "next"),
        ("before", "before", "prev or last"),
    )
]
_CURSOR_FIELDS = {
    "total": {
        "type": "integer",
        "description": f"rows in the list, counted up to {keyset.COUNT_LIMIT}: past that, "
        "a lower bound (total_exact false)",
    },
    "total_exact": {"type": "boolean"},
    "next": {"description": "after= this for the next page; null on the last", **CURSOR},
    "prev": {"description": "before= this for the previous page; null on the first", **CURSOR},
    "last": {
        "description": "before= this for the last page; null on it, or when the total is not exact",
        **CURSOR,
    },
}


def page_schema(item: dict[str, Any], *, cursors: bool = False) -> dict[str, Any]:
    """The OpenAPI schema of a page of ``item``: the shape every list endpoint answers with;
    with ``cursors``, that of a list paged by its sort key (core.keyset.Window)."""
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": item},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    }
    if cursors:
        schema["required"] += ["total_exact", "next", "prev", "last"]
        for name, field in _CURSOR_FIELDS.items():
            nullable = name in ("next", "prev", "last")
            schema["properties"][name] = (
                {**field, "type": ["string", "null"]} if nullable else field
            )
    return schema


def page_body(shown: keyset.Window, items: list[Any]) -> dict[str, Any]:
    """The answer of a list paged by its sort key, holding ``items`` (``shown``'s rows as
    the list presents them)."""
    return {
        "items": items,
        "page": shown.number,
        "per_page": shown.size,
        "total": shown.total,
        "total_exact": shown.exact,
        "next": shown.next,
        "prev": shown.prev,
        "last": shown.last,
    }
