"""Property-based fuzzing of the JSON API from its own OpenAPI document (R30, R57): whatever
Schemathesis sends, signed in as each kind of caller, the API never answers with a 5xx.

The normal run is bounded and repeatable; ``FUZZ_EXAMPLES=500`` runs a longer, random search.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from tests.helpers import Account

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


@pytest.mark.parametrize("role", ["screener", "auditor"])
def test_api_never_answers_with_a_server_error(app: Flask, accounts: dict[str, Account],
                                               issue_token: Any, role: str) -> None:
    headers = {"Authorization": f"Bearer {issue_token(accounts[role])}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  derandomize=not os.environ.get("FUZZ_EXAMPLES"),
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text[:200])

        call()
