"""Referral references and receipts (issue 12): a short random reference shown to the
sender and the partner, found again as said on the phone, and a printable receipt that
holds no personal data."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import command
from flask import Flask

from core.cli import alembic_config, upgrade
from referral.receipts import ALPHABET, new_reference, normalise
from tests.helpers import seal_audit

REFERENCE = re.compile(r"^[ACDEFGHJKMNPQRTUVWXY34679]{4}-[ACDEFGHJKMNPQRTUVWXY34679]{4}$")


def test_references_are_random_readable_and_typed_back_in_any_form() -> None:
    seen = {new_reference() for _ in range(2000)}
    assert len(seen) == 2000
    assert all(REFERENCE.match(r) for r in seen)
    assert not set("0O1IL5S2Z8B") & set(ALPHABET)
    assert normalise("km4t xc7p") == normalise("KM4T-XC7P") == "KM4T-XC7P"


def test_sender_and_partner_see_the_reference_and_the_partner_finds_it(
    referral: Callable[..., str], api: Callable[..., Any], signed_in: Any
) -> None:
    referral_id = referral()
    reference = api("screener", "GET", f"/referrals/{referral_id}").get_json()["reference"]
    assert REFERENCE.match(reference)
    assert api("partner", "GET", f"/referrals/{referral_id}").get_json()["reference"] == reference
    assert referral_id not in reference.replace("-", "").lower()
    partner = signed_in("partner")
    found = partner.get("/referrals/?reference=" + reference.lower().replace("-", " "))
    assert reference in found.get_data(as_text=True)
    assert f"/referrals/{referral_id}" in found.get_data(as_text=True)
    nothing = partner.get("/referrals/?reference=AAAA-AAAA").get_data(as_text=True)
    assert f"/referrals/{referral_id}" not in nothing


def test_the_receipt_holds_no_personal_data(
    referral: Callable[..., str], signed_in: Any, api: Callable[..., Any]
) -> None:
    referral_id = referral()
    reference = api("screener", "GET", f"/referrals/{referral_id}").get_json()["reference"]
    page = signed_in("partner").get(f"/referrals/{referral_id}/receipt").get_data(as_text=True)
    assert reference in page
    assert "Alpha Shelter" in page
    for personal in (
        "Canaryapi",
        "Testperson",
        "canary-api-contact",
        "Canaryregionapi",
        "synthetic note",
    ):
        assert personal not in page, personal


def test_referrals_sent_before_references_existed_get_one_each(
    app: Flask, referral: Callable[..., str], api: Callable[..., Any]
) -> None:
    for partner in ("org-a", "org-b"):
        referral(partner=partner)
    config, engine = alembic_config(app), app.extensions["passage.engine"]
    seal_audit(app)  # migration 0020 goes down only once every event is sealed
    command.downgrade(config, "0015")
    upgrade(app)
    with engine.connect() as connection:
        references = list(connection.scalars(sa.text("SELECT reference FROM referrals")))
    assert len(references) == 2 == len(set(references))
    assert all(REFERENCE.match(r) for r in references)
