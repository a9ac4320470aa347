"""The statistics part of the JSON API: the report catalogue and one published report
(docs/reporting.md §2). The same filters, the same disclosure control and the same release
record as the pages' CSV download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from access.guard import requires
from core import clock, db
from core.api import ApiSpec
from core.errors import ApiError, MalformedRequest
from core.ratelimit import limit_api
from reporting import catalogue, definition, disclosure, output
from reporting.forms import ReportFilterForm

bp = limit_api(Blueprint("reporting_api", __name__, url_prefix="/api/v1"))
spec = ApiSpec()

RULE_SCHEMA = {
    "type": "object",
    "required": ["method", "threshold", "base", "text"],
    "properties": {
        "method": {"type": "string", "enum": list(disclosure.METHODS)},
        "threshold": {"type": "integer", "minimum": 10},
        "base": {"type": "integer"},
        "text": {"type": "string"},
    },
}
CATALOGUE_SCHEMA = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "title", "version", "dimensions", "rule"],
                "properties": {
                    "name": {"type": "string"},
                    "title": {"type": "string"},
                    "version": {"type": "integer"},
                    "dimensions": {"type": "array", "items": {"type": "string"}},
                    "rule": RULE_SCHEMA,
                },
            },
        }
    },
}
REPORT_SCHEMA = {
    "type": "object",
    "required": ["report", "version", "filters", "rule", "rows"],
    "properties": {
        "report": {"type": "string"},
        "version": {"type": "integer"},
        "filters": {"type": "object", "additionalProperties": {"type": "string"}},
        "rule": RULE_SCHEMA,
        "rows": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["count"],
                "additionalProperties": {"type": "string"},
                "properties": {
                    "count": {
                        "oneOf": [
                            {"type": "integer", "minimum": 0, "multipleOf": 5},
                            {"type": "string", "enum": ["<10"]},
                        ]
                    }
                },
            },
        },
    },
}
FILTER_PARAMETERS = [
    {"name": name, "in": "query", "schema": {"type": "string"}}
    for name in ("since", "until", "country", "team")
]


@bp.route("/stats")
@requires("stats.read")
@spec.operation(
    "/stats",
    "get",
    summary="The statistics reports this account may read",
    errors=(401, 403),
    responses={
        "200": {
            "description": "the catalogue",
            "content": {"application/json": {"schema": CATALOGUE_SCHEMA}},
        }
    },
)
def list_reports() -> Any:
    """The catalogue, with the rule each report is published under."""
    k = catalogue.threshold()
    return jsonify(
        items=[
            {
                "name": r.name,
                "title": str(r.title),
                "version": r.version,
                "dimensions": list(r.dimensions),
                "rule": output.rule_of(catalogue.rule_of(r, k)),
            }
            for r in catalogue.visible(current_user)
        ]
    )


@bp.route("/stats/<name>")
@requires("stats.read")
@spec.operation(
    "/stats/{name}",
    "get",
    summary="One report, disclosure-controlled",
    parameters=[
        {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
        *FILTER_PARAMETERS,
    ],
    errors=(400, 401, 403, 404),
    responses={
        "200": {
            "description": "the published table",
            "content": {"application/json": {"schema": REPORT_SCHEMA}},
        }
    },
)
def get_report(name: str) -> Any:
    """One report's published rows; the release is audited and registered."""
    report = catalogue.readable(current_user, name)
    if report is None:
        raise ApiError(404, "no such report")
    store = db.session()
    form = ReportFilterForm(formdata=request.args).with_teams(
        store, current_user.role in definition.ALL_TEAMS
    )
    if not form.validate():
        raise MalformedRequest(
            "invalid filters",
            {field: " ".join(map(str, errors)) for field, errors in form.errors.items()},
        )
    filters = definition.for_user(current_user, form.filters())
    table = catalogue.published(store, report, filters, catalogue.threshold())
    body = output.document(report.name, report.version, filters.as_dict(), table)
    response = jsonify(body)
    output.record_table_release(
        store,
        user_id=current_user.id,
        channel="api",
        report=report,
        filters=filters.as_dict(),
        table=table,
        form="json",
        content=response.get_data(),
        now=clock.now(),
    )
    store.commit()
    return response
