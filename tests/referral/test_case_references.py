"""Case references (referral.receipts, docs/case-work.md "Case references"): every case gets
a short random reference when it opens, which the case list shows and links and the case
page and API name, so a screener and their supervisor can find and speak of a case without
the person's name; finding by reference looks only among the cases the user is in charge
of, whatever their status; cases from before the reference existed get one when migrated."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import command
from flask import Flask

from core import db
from core.cli import alembic_config, upgrade
from referral.models import Case

REFERENCE = re.compile(r"^[ACDEFGHJKMNPQRTUVWXY34679]{4}-[ACDEFGHJKMNPQRTUVWXY34679]{4}$")


def reference_of(api: Callable[..., Any], case_id: str) -> str:
    reference: str = api("screener", "GET", f"/cases/{case_id}").get_json()["reference"]
    return reference


def test_each_case_gets_its_own_reference_shown_on_the_list_and_the_case_page(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    first, second = open_case(), open_case()
    references = {reference_of(api, first), reference_of(api, second)}
    assert len(references) == 2
    assert all(REFERENCE.match(r) for r in references)
    screener = signed_in("screener")
    listed = screener.get("/cases/").get_data(as_text=True)
    for case_id in (first, second):
        linked = f'<a href="/cases/{case_id}"><code>{reference_of(api, case_id)}</code></a>'
        assert linked in listed
    page = screener.get(f"/cases/{first}").get_data(as_text=True)
    assert f"<h1>Case <code>{reference_of(api, first)}</code></h1>" in page
    assert f"<title>Case {reference_of(api, first)}" in page


def test_a_case_is_found_by_its_reference_as_typed_whatever_its_status(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    wanted, other = open_case(), open_case()
    screener = signed_in("screener")
    closed = screener.post(
        f"/cases/{wanted}/close", {"outcome": "moved_away"}, form_page=f"/cases/{wanted}"
    )
    assert closed.status_code == 302
    typed = reference_of(api, wanted).replace("-", "").lower()
    found = screener.get(f"/cases/?reference={typed}").get_data(as_text=True)
    assert f'href="/cases/{wanted}"' in found
    assert f'href="/cases/{other}"' not in found
    missing = screener.get("/cases/?reference=AAAA-AAAA").get_data(as_text=True)
    assert "None of your cases has that reference." in missing


def test_the_reference_finds_nothing_outside_the_users_cases(
    open_case: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    case_id = open_case()
    reference = reference_of(api, case_id)
    elsewhere = signed_in("screener_b").get(f"/cases/?reference={reference}")
    page = elsewhere.get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]
    assert f'href="/cases/{case_id}"' not in page
    assert reference not in page.replace(f'value="{reference}"', "")  # only as typed
    assert "None of your cases has that reference." in page


def test_cases_opened_before_references_get_one_each_when_migrated(
    app: Flask, open_case: Callable[..., str]
) -> None:
    open_case(), open_case()
    config = alembic_config(app)
    try:
        command.downgrade(config, "0024")
        command.upgrade(config, "0025")
        with app.app_context():
            references = db.session().scalars(sa.select(Case.reference)).all()
    finally:
        upgrade(app)
    assert len(references) == 2
    assert len(set(references)) == 2
    assert all(r is not None and REFERENCE.match(r) for r in references)
