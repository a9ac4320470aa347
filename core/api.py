"""Building blocks of the JSON API: the OpenAPI description each package contributes to."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from core.errors import ERROR_CODES

F = TypeVar("F", bound=Callable[..., Any])

API_VERSION = "v1"

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "fields"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "fields": {"type": "object"}},
    }},
}


class ApiSpec:
    """The OpenAPI operations one package's API declares, keyed by path and method."""

    def __init__(self) -> None:
        self.paths: dict[str, dict[str, Any]] = {}

    def operation(self, path: str, method: str, **operation: Any) -> Callable[[F], F]:
        """Declare the OpenAPI operation served by the decorated view."""
        errors = operation.pop("errors", (401,))

        def record(view: F) -> F:
            responses = dict(operation.pop("responses", {}))
            for status in (*errors, 429):
                responses.setdefault(str(status), {"$ref": f"#/components/responses/{status}"})
            self.paths.setdefault(path, {})[method.lower()] = {
                "operationId": view.__name__, "security": [{"bearer": []}],
                "responses": responses, **operation,
            }
            return view

        return record


def openapi_document(specs: Iterable[ApiSpec], title: str, version: str) -> dict[str, Any]:
    """Merge the packages' specs into one OpenAPI 3.1 document."""
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        for path, operations in spec.paths.items():
            paths.setdefault(path, {}).update(operations)
    responses = {
        str(status): {"description": code.replace("_", " "), "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
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


# The query parameters every list endpoint takes (per_page at most 500, DESIGN.md).
PAGE_PARAMETERS = [
    {"name": "page", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}},
    {"name": "per_page", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
]


def page_schema(item: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI schema of a page of ``item``: the shape every list endpoint answers with."""
    return {"type": "object", "required": ["items", "page", "per_page", "total"],
            "properties": {"items": {"type": "array", "items": item},
                           "page": {"type": "integer"}, "per_page": {"type": "integer"},
                           "total": {"type": "integer"}}}
