"""The one edge for refusals (core.errors): a refusal no view catches answers the status of
its kind, as a generic page or the API's error shape, never a 500; and what it wrote before
refusing is rolled back. The paging parser every list uses (core.paging)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access import audit
from access.guard import public
from access.models import AuditEvent
from access.policy import NotNow as PolicyNotNow
from core import db, paging
from core.errors import STATUS_OF_KIND, MalformedRequest, NotNow, RefusedError
from referral.workflow import IllegalTransition
from screening.opening import ScreeningError
from screening.payload import PayloadError
from screening.services import ScreeningConflict

REFUSALS = {
    "shape": MalformedRequest("the body is not an object", {"body": "must be an object"}),
    "rule": RefusedError("no consent to referral", {"consent": "no consent to referral"}),
    "state": NotNow("accept is not possible in the present state"),
}


@pytest.fixture
def refusing_app(make_app: Callable[..., Flask]) -> Flask:
    """The app with a page and an API endpoint that write an audit event, then refuse as
    the path says, catching nothing."""
    app = make_app()

    @public
    def refuse(kind: str) -> Any:
        audit.record(db.session(), "test.refused_write")
        raise REFUSALS[kind]

    app.add_url_rule("/test/refuse/<kind>", "refuse_page", refuse)
    app.add_url_rule("/api/v1/test/refuse/<kind>", "refuse_api", refuse)
    return app


def refused_writes(app: Flask) -> int:
    with app.app_context():
        return len(
            db.session()
            .scalars(sa.select(AuditEvent).where(AuditEvent.action == "test.refused_write"))
            .all()
        )


def test_each_kind_answers_its_status() -> None:
    assert STATUS_OF_KIND == {"shape": 400, "rule": 422, "state": 409}
    assert [REFUSALS[kind].status for kind in ("shape", "rule", "state")] == [400, 422, 409]
    assert PayloadError({"subject": "required object"}).status == 400
    assert ScreeningError("the screening cannot start as it is").status == 422
    assert ScreeningConflict("this screening is completed").status == 409
    assert IllegalTransition("cannot accept a referral that is accepted").status == 409
    assert PolicyNotNow is NotNow


@pytest.mark.parametrize(
    ("kind", "status", "title"),
    [
        ("shape", 400, "The request could not be understood"),
        ("rule", 422, "Refused. Nothing was changed."),
        ("state", 409, "Refused. Nothing was changed."),
    ],
)
def test_an_uncaught_refusal_on_a_page_answers_its_status_page(
    refusing_app: Flask, kind: str, status: int, title: str
) -> None:
    response = refusing_app.test_client().get(f"/test/refuse/{kind}")
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in page
    assert f"Error {status}." in page
    assert refused_writes(refusing_app) == 0


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        (
            "shape",
            400,
            {
                "code": "bad_request",
                "message": "the body is not an object",
                "fields": {"body": "must be an object"},
            },
        ),
        (
            "rule",
            422,
            {
                "code": "unprocessable",
                "message": "no consent to referral",
                "fields": {"consent": "no consent to referral"},
            },
        ),
        (
            "state",
            409,
            {
                "code": "conflict",
                "message": "accept is not possible in the present state",
                "fields": {},
            },
        ),
    ],
)
def test_an_uncaught_refusal_in_the_api_answers_its_status_and_the_error_shape(
    refusing_app: Flask, kind: str, status: int, error: dict[str, Any]
) -> None:
    response = refusing_app.test_client().get(f"/api/v1/test/refuse/{kind}")
    assert (response.status_code, response.get_json()) == (status, {"error": error})
    assert refused_writes(refusing_app) == 0


@pytest.mark.parametrize(
    ("args", "page"),
    [
        ({}, paging.Page(1, 50)),
        ({"page": "3"}, paging.Page(3, 50)),
        ({"page": "1000000", "per_page": "500"}, paging.Page(1_000_000, 500)),
        ({"page": "007", "per_page": "1"}, paging.Page(7, 1)),
    ],
)
def test_paging_reads_whole_numbers_within_the_limits(
    args: dict[str, str], page: paging.Page
) -> None:
    assert paging.read(args) == page


def test_a_fixed_page_size_ignores_per_page() -> None:
    assert paging.read({"page": "2", "per_page": "0"}, per_page=25, fixed=True) == paging.Page(
        2, 25
    )
    assert paging.Page(3, 25).offset == 50


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "", " 1", "1 ", "+1", "1.0", "1e3", "1_0", "²", "١", "0x10", "1000001", "9" * 5000],
)
def test_paging_refuses_anything_else_naming_the_field(value: str) -> None:
    with pytest.raises(MalformedRequest) as refused:
        paging.read({"page": value})
    assert (refused.value.status, str(refused.value), refused.value.fields) == (
        400,
        "invalid paging",
        {"page": "a whole number from 1 to 1000000"},
    )
