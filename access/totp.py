"""Time-based one-time codes (RFC 6238): 160-bit secrets, 6 ASCII digits, 30-second steps, one
step of drift either way, and each accepted step usable once."""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends


def new_secret() -> str:
    """A fresh random base32 secret (pyotp draws from ``secrets``)."""
    return pyotp.random_base32(length=SECRET_BYTES * 8 // 5)


def step_at(moment: datetime) -> int:
    """The TOTP time step containing ``moment``."""
    return int(moment.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The code for ``secret`` at time step ``step``."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def accepted_step(secret: str, code: str, now: datetime, last_step: int) -> int | None:
    """Return the step ``code`` belongs to if it is valid now and newer than ``last_step``.

    Steps t-1, t and t+1 are accepted; a step at or before ``last_step`` never is, so a code
    cannot be replayed, nor an older one used after a newer.
    """
    code = re.sub(r"\s+", "", code)
    # ASCII digits only: \d would also match Arabic-Indic or fullwidth digits, which are no
    # code of ours (and which hmac.compare_digest refuses to compare).
    if not re.fullmatch(rf"[0-9]{{{DIGITS}}}", code):
        return None
    current = step_at(now)
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str) -> Markup:
    """The QR code of ``uri`` as inline SVG, drawn here: no image service sees the secret."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, omitsize=True, title=None, svgclass="qr", lineclass=None, dark="#000", light="#fff"
    )
    # segno's output is path data and numbers computed by us, never text a user typed.
    return Markup(svg)  # noqa: S704


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
