"""Referral and case references, and receipts (README "Referral references"): a short
reference a screener and a partner (or a screener and their supervisor, for a case) can say
on the phone instead of the person's name — random, from
letters and digits that cannot be mistaken for one another, never derived from an id — and a
printable receipt of the referral that holds no personal data."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: a reference is read aloud and typed back.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 8  # 25^8, about 1.5e11: a guess is hopeless and a clash vanishingly rare


def new_reference() -> str:
    """A fresh reference such as ``KM4T-XC7P``."""
    letters = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{letters[:4]}-{letters[4:]}"


def normalise(text: str) -> str:
    """A reference as someone typed it (lower case, no dash, spaces) in its written form."""
    letters = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == LENGTH else letters
