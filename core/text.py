"""What free text people type may hold: one rule for every way in (the pages' forms through
``core.forms``, the JSON API's checks, the partner import). Control characters (Unicode
category Cc: C0, DEL and C1) are refused; a multi-line text (a note, a reason, an address)
may keep tabs and line breaks. Every other character stays allowed, a no-break space above
all, which French writes before a colon (docs/security.md, R30)."""

from __future__ import annotations

import unicodedata

# What a multi-line text may hold of the control characters: what a textarea sends.
MULTILINE_CONTROLS = frozenset("\n\r\t")
# How the API and the command line say it, in English like their other problems.
CONTROL_PROBLEM = "must not hold control characters"


def has_control(text: str, *, multiline: bool = False) -> bool:
    """Whether ``text`` holds a control character it may not: any at all on one line; any
    but a tab or a line break in a multi-line text."""
    allowed = MULTILINE_CONTROLS if multiline else frozenset()
    # str.isprintable is not the test: it also refuses a no-break space, which is text.
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)
