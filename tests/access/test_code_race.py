"""A second-factor code is accepted once, even when two requests send it at the same moment
(docs/security.md, R6): the code's time step is taken by a conditional UPDATE, so the request
that commits second finds it taken. On PostgreSQL, where two transactions really overlap;
SQLite queues every writer from its BEGIN IMMEDIATE."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.helpers import Account, Client, csrf_from
from tests.referral.test_races import meanwhile, postgres_only

pytestmark = pytest.mark.concurrency


def at_code_step(client: Client, account: Account) -> tuple[str, str]:
    """Sign in with the password; the code step's address and its form token."""
    first = client.password_step(account)
    assert first.status_code == 302
    return first.location, csrf_from(client.raw.get(first.location))


def test_one_code_sent_twice_at_once_signs_in_once(
    app: Flask, clock: Any, accounts: dict[str, Account], new_client: Any
) -> None:
    engine = postgres_only(app)
    account = accounts["screener"]
    mine, theirs = new_client(), new_client()
    my_step, my_token = at_code_step(mine, account)
    their_step, their_token = at_code_step(theirs, account)
    clock.advance(seconds=30)
    code = mine.code_for(account)

    # The other request, with the same code, runs to its commit just before this one
    # records the code's step.
    with meanwhile(
        engine,
        lambda s: s.lstrip().startswith("UPDATE users"),
        lambda: theirs.raw.post(their_step, data={"csrf_token": their_token, "code": code}),
    ) as done:
        signed = mine.raw.post(my_step, data={"csrf_token": my_token, "code": code})
    assert done[0] == "fired"
    outcomes = sorted(
        ("/login" not in r.location) if r.status_code == 302 else False for r in (signed, done[1])
    )
    assert outcomes == [False, True]
