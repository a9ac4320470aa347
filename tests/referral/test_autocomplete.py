"""Free-text fields about a case (the referral note, the break-glass reason, a partner's
decline reason) ask the browser not to remember them (finding 9); the person's own details are
proved in a real Chromium by tests/e2e/test_autofill.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.helpers import Client

API = Callable[..., Any]


def test_note_and_reason_fields_ask_the_browser_to_keep_nothing(
    new_client: Callable[[], Client], accounts: Any, referral: Callable[..., str], api: API
) -> None:
    referral_id = referral()
    case_id = api("screener", "GET", f"/referrals/{referral_id}").get_json()["case_id"]

    def page(name: str, url: str) -> str:
        client = new_client()
        client.sign_in(accounts[name])
        return client.get(url).get_data(as_text=True)

    for html, field in (
        (page("screener", f"/cases/{case_id}"), "note"),
        (page("supervisor_b", f"/cases/{case_id}/break-glass"), "reason"),
        (page("partner", f"/referrals/{referral_id}"), "reason"),
    ):
        tag = re.search(rf'<(?:textarea|select)[^>]*name="{field}"[^>]*>', html)
        assert tag is not None, field
        assert 'autocomplete="off"' in tag.group(0)
