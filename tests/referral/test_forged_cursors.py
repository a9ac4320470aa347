"""A paging cursor the list never gave, with sort keys out of any range (an integer no column
holds, an instant that cannot be turned into UTC), is refused with 400 like any other forged
cursor, on the partner inbox and the case list, never a 500 (docs/architecture.md, "Lists at
scale")."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import Client

API = Callable[..., Any]


def token(*content: Any) -> str:
    """A cursor as core.keyset writes one, holding what the test puts in it."""
    return base64.urlsafe_b64encode(json.dumps(content).encode()).rstrip(b"=").decode()


FORGED = [
    # inbox_rank far beyond any integer column: sqlite3 raises OverflowError when binding it.
    token("referrals", "a", 2, 10**30, "2026-03-02T09:00:00+00:00", "0" * 32),
    # Instants that cannot be turned into UTC (UTCDateTime.process_bind_param overflows).
    token("referrals", "a", 2, 1, "9999-12-31T23:00:00-05:00", "0" * 32),
    token("referrals", "a", 2, 1, "0001-01-01T00:00:00+05:00", "0" * 32),
]


@pytest.mark.parametrize("cursor", FORGED)
def test_a_forged_cursor_with_out_of_range_keys_is_refused_not_a_server_error(
    api: API, referral: Callable[..., str], cursor: str
) -> None:
    """core.keyset.decode checks each key's range as well as its type: an integer too big for
    the database, or an instant that overflows on its way to UTC, gets the 400 of any cursor
    the list did not give, never reaching the driver."""
    referral()
    response = api("partner", "GET", f"/referrals?after={cursor}")
    assert response.status_code == 400, response.get_json()
    assert "after" in response.get_json()["error"]["fields"]


def test_a_forged_cursor_on_the_case_list_page_is_refused_not_a_server_error(
    signed_in: Callable[[str], Client], open_case: Callable[..., str]
) -> None:
    """The case list's cursor: a last-activity instant that overflows when made UTC answers
    400, as any cursor the list did not hand out."""
    open_case()
    client = signed_in("screener")
    cursor = token("cases", "a", 2, True, "9999-12-31T23:00:00-05:00", "0" * 32)
    assert client.get(f"/cases/?after={cursor}").status_code == 400
