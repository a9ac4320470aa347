"""Pay as a number (issue 10, docs/screening.md "Numbers for hours and pay"): where very low
pay is asked, the screener may write the pay the person gives for a month, and the
deployment's line decides the answer."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.screening.test_views import key_of, main, money_group_opened, stored_answers

MONEY = (
    "ec_low_pay",
    "ec_wage_manipulation",
    "money_kept",
    "ec_law_not_respected",
    "ec_no_social_protection",
)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """A deployment whose line for very low pay is 300 a month."""
    return make_app(LOW_PAY_PER_MONTH=300)


def _money(app: Flask, url: str) -> dict[str, str]:
    given = stored_answers(app, url)
    return {m: given[m] for m in MONEY}


@pytest.mark.parametrize(
    ("pay", "ticked", "low_pay"),
    [("120", [], "yes"), ("0", [], "yes"), ("299", [], "yes"), ("300", ["ec_low_pay"], "no")],
)
def test_the_pay_given_decides_very_low_pay(
    app: Flask, signed_in: Any, pay: str, ticked: list[str], low_pay: str
) -> None:
    client = signed_in("screener")
    url = money_group_opened(client)
    page = main(client.get(url))
    assert key_of(page) == "b2_list"
    assert "Pay in a month, in the local money" in page
    assert 'name="pay_per_month"' in page
    posted = {"key": "b2_list", "yes": ticked, "others": "no", "pay_per_month": pay}
    assert client.post(url, posted).location == url
    assert _money(app, url) == {
        "ec_low_pay": low_pay,
        "ec_wage_manipulation": "no",
        "money_kept": "no",
        "ec_law_not_respected": "no",
        "ec_no_social_protection": "no",
    }


def test_without_a_number_the_tick_decides(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    url = money_group_opened(client)
    posted = {"key": "b2_list", "yes": ["ec_low_pay"], "others": "unknown", "pay_per_month": ""}
    assert client.post(url, posted).location == url
    assert _money(app, url)["ec_low_pay"] == "yes"
    assert _money(app, url)["money_kept"] == "unknown"


@pytest.mark.parametrize(
    ("pay", "error"),
    [
        ("a little", "Not a valid integer value."),
        ("-5", "Number must be between 0 and 1000000000."),
    ],
)
def test_a_pay_that_is_no_amount_is_shown_as_an_error(
    app: Flask, signed_in: Any, pay: str, error: str
) -> None:
    client = signed_in("screener")
    url = money_group_opened(client)
    response = client.post(url, {"key": "b2_list", "others": "no", "pay_per_month": pay})
    assert response.status_code == 400
    page = html.unescape(main(response))
    assert error in page
    assert 'aria-invalid="true"' in page
    assert "Say what the answer is for the ones not ticked." not in page
    assert not set(MONEY) & set(stored_answers(app, url))
