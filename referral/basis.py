"""The legal basis of a referral: the person's consent, or for a child the child-protection
basis that needs none. Pure functions over plain values; the one place where a referral may
go without consent (docs/screening.md §2.3: the child-protection referral never depends on
consent). ``referrals`` applies it when sending and when consent narrows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from referral.cases import Consent

CONSENT, CHILD_PROTECTION = "consent", "child_protection"
# What a child-protection referral sent without the child's consent carries: what that
# partner needs to find the child and act, no more. The given name and age (who the child
# is, and that they are a minor), where they are now, the languages to talk with them, and
# what they need. Never the family name, contact, nationality or sex, which could lead the
# people who control the child to them or their family, nor their answers: child-protection
# staff hear a child's account from the child, it is not forwarded.
PROTECTION_FIELDS = ("given_name", "age", "location", "languages", "needs")
NO_CONSENT_CHILD = _l(
    "no consent to referral: a child may still be referred to a partner offering child "
    "protection, for child protection only, sharing at most %(fields)s",
    fields=", ".join(PROTECTION_FIELDS),
)


def legal_basis(
    given: Consent,
    child: bool,
    services: Iterable[str],
    partner_services: Iterable[str],
    share: Iterable[str],
) -> str | None:
    """What a referral may rest on, or None when nothing allows it: the person's consent to
    referral, when every field shared lies within it; otherwise, for a child referred for
    child protection alone to a partner offering it, the child-protection basis, which never
    depends on the child's consent (docs/screening.md §2.3) and shares at most
    :data:`PROTECTION_FIELDS`."""
    shared = set(share)
    if given.referral and shared <= set(given.share):
        return CONSENT
    if (
        child
        and set(services) == {CHILD_PROTECTION}
        and CHILD_PROTECTION in set(partner_services)
        and shared <= set(PROTECTION_FIELDS)
    ):
        return CHILD_PROTECTION
    return None


def shareable(given: Consent, child: bool) -> tuple[str, ...]:
    """The fields a referral of the case may offer to send: those the person agreed to share,
    and for a child the few child protection gets without consent (:func:`legal_basis`)."""
    fields = set(given.share) if given.referral else set()
    return tuple(sorted(fields | (set(PROTECTION_FIELDS) if child else set())))
