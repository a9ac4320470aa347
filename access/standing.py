"""A partner organisation's standing: vetted, and vetted until a date not yet past. Its
staff's authority (signing in, tokens, reading and answering referrals) and whether routing
may offer it both follow from this one rule, checked whenever it is used, so a lapse by date
takes effect with no event at all."""

from __future__ import annotations

from datetime import date
from typing import Protocol

VETTING = ("vetted", "pending", "suspended")


class Vetted(Protocol):
    """Anything carrying a vetting status and the date the vetting runs until."""

    vetting_status: str
    vetting_valid_until: date | None


def vetted_in_date(status: str, valid_until: date | None, today: date) -> bool:
    """The rule: vetted, with vetting valid through ``today`` (the last day included)."""
    return status == "vetted" and valid_until is not None and valid_until >= today


def in_standing(organisation: Vetted, today: date) -> bool:
    """Whether ``organisation`` may act as a partner ``today``: be offered, receive
    referrals, and let its staff sign in and read what was sent to it."""
    return vetted_in_date(organisation.vetting_status, organisation.vetting_valid_until, today)
