"""Every ``next`` a page redirects to is checked by one function (core.web.safe_next): after
signing in, re-authenticating, switching the language and recording a red flag's action, an
address off the site is refused the same way, and the page goes to its usual place."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from core.web import safe_next
from tests.helpers import Account, Client
from tests.screening.payloads import body

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/account\r\nSet-Cookie: stolen=1",
    "/a\x85b",
    "http:/evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_targets_are_refused(target: str) -> None:
    assert safe_next(target) is None
    assert safe_next(target, within="/screenings/") is None


@pytest.mark.parametrize(
    ("target", "within", "kept"),
    [
        ("/account", "/", "/account"),
        ("/cases/?status=closed", "/", "/cases/?status=closed"),
        ("/account?", "/", "/account"),
        ("/screenings/x/review", "/screenings/", "/screenings/x/review"),
        ("/account", "/screenings/", None),
        ("", "/", None),
        (None, "/", None),
    ],
)
def test_paths_on_the_site_are_kept_within_their_part(
    target: str | None, within: str, kept: str | None
) -> None:
    assert safe_next(target, within=within) == kept


@pytest.mark.parametrize("target", OFF_SITE)
def test_an_off_site_next_is_refused_the_same_everywhere(
    client: Client, new_client: Any, accounts: dict[str, Account], issue_token: Any, target: str
) -> None:
    account = accounts["screener"]
    where = quote(target, safe="")
    # Signing in.
    client.post(
        f"/login?next={where}",
        {"email": account.email, "password": account.password},
        form_page="/login",
    )
    client.clock.advance(seconds=30)
    assert client.post("/login/code", {"code": client.code_for(account)}).location == "/"
    # Re-authenticating.
    client.clock.advance(seconds=30)
    reauth = client.post(
        f"/reauth?next={where}",
        {"password": account.password, "code": client.code_for(account)},
        form_page="/reauth",
    )
    assert reauth.location == "/account"
    # Switching the language.
    switched = new_client().post("/language", {"locale": "fr", "next": target}, form_page="/login")
    assert switched.location == "/"
    # After a red flag's protocol: back to the screenings, never elsewhere.
    token = issue_token(account)
    screening_id = client.raw.post(
        "/api/v1/screenings",
        json=body(answers={}, complete=False),
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()["id"]
    page = client.get(f"/screenings/{screening_id}/red-flag?next={where}")
    assert page.status_code == 200
    assert '<a class="button" href="/screenings/">Continue the questions</a>' in page.get_data(
        as_text=True
    )
    review = f"/screenings/{screening_id}/review"
    kept = client.get(f"/screenings/{screening_id}/red-flag?next={quote(review, safe='')}")
    assert f'<a class="button" href="{review}">Continue the questions</a>' in kept.get_data(
        as_text=True
    )
