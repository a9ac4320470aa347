"""Property-based fuzzing of the JSON API from its own OpenAPI document (R30, R57): whatever
Schemathesis sends, signed in as each kind of caller, the API never answers with a 5xx, and every
answer conforms to the document (status code, content type, body schema).

Two runs per role: every operation on its own, and a stateful run that follows the document's
links, so the fuzzing reaches the cases and referrals it created itself. The normal run is
bounded and repeatable; ``FUZZ_EXAMPLES=500`` runs a longer, random search.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core import db
from referral import directory_import
from tests.helpers import Account
from tests.referral.conftest import PARTNERS
from tests.screening.payloads import body

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = ["screener", "supervisor", "partner", "auditor", "admin"]


def fuzz_settings(examples: int, **extra: Any) -> settings:
    return settings(
        max_examples=EXAMPLES or examples,
        deadline=None,
        database=None,
        derandomize=EXAMPLES is None,
        suppress_health_check=list(HealthCheck),
        **extra,
    )


def schema_for(app: Flask, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)


@pytest.fixture
def partners(app: Flask, clock: Any) -> None:
    """The synthetic partner directory, so screenings find matches to refer to."""
    with app.app_context():
        store = db.session()
        directory_import.import_partners(store, PARTNERS, clock.now())
        store.commit()


@pytest.fixture
def sent_referral(
    app: Flask, accounts: dict[str, Account], issue_token: Any, partners: None
) -> None:
    """One referral from the screener to org-a, so a partner's inbox has one to answer."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {issue_token(accounts['screener'])}"}
    case_id = client.post("/api/v1/screenings", json=body(), headers=headers).get_json()["case_id"]
    sent = client.post(
        f"/api/v1/cases/{case_id}/referrals",
        headers=headers,
        json={"partner": "org-a", "services": ["shelter"]},
    )
    assert sent.status_code == 201


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_conforms_for_every_role(
    app: Flask, accounts: dict[str, Account], issue_token: Any, sent_referral: None, role: str
) -> None:
    token = issue_token(accounts[role])
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema_for(app, token).get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @fuzz_settings(12)
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()


@pytest.mark.parametrize("role", ROLES)
def test_stateful_runs_through_links_conform_for_every_role(
    app: Flask, accounts: dict[str, Account], issue_token: Any, sent_referral: None, role: str
) -> None:
    token = issue_token(accounts[role])
    headers = {"Authorization": f"Bearer {token}"}
    machine = schema_for(app, token).as_state_machine()

    class Run(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=headers)

    Run.run(settings=fuzz_settings(10, stateful_step_count=10))


def test_the_document_links_what_one_call_returns_to_the_next(
    client: Any, accounts: dict[str, Account], issue_token: Any
) -> None:
    document = client.get(
        "/api/v1/openapi.json",
        headers={"Authorization": f"Bearer {issue_token(accounts['screener'])}"},
    ).get_json()
    paths = document["paths"]

    def links(path: str, method: str, status: str) -> dict[str, Any]:
        return {
            name: (link["operationId"], link.get("parameters"))
            for name, link in paths[path][method]["responses"][status]["links"].items()
        }

    case = {"case_id": "$response.body#/case_id"}
    assert links("/screenings", "post", "201") == {
        "GetScreening": ("get_screening", {"screening_id": "$response.body#/id"}),
        "GetCase": ("get_case", case),
        "GetMatches": ("case_matches", case),
        "SendReferral": ("send_referral", case),
    }
    sent = {"referral_id": "$response.body#/id"}
    assert links("/cases/{case_id}/referrals", "post", "201") == {
        "GetReferral": ("get_referral", sent),
        "Accept": ("accept_referral", sent),
        "Decline": ("decline_referral", sent),
        "Close": ("close_referral", sent),
        "Withdraw": ("withdraw_referral", sent),
    }
    assert links("/referrals", "get", "200")["Accept"] == (
        "accept_referral",
        {"referral_id": "$response.body#/items/0/id"},
    )
    assert links("/cases/{case_id}/matches", "get", "200") == {
        "ReferToBestMatch": ("send_referral", {"case_id": "$request.path.case_id"})
    }
    assert paths["/screenings"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "required"
    ] == ["instrument", "subject", "consent", "safety"]
