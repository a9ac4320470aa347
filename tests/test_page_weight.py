"""Every page stays under 60 KB of HTML, uncompressed, at the largest a busy deployment makes
it: each list full, the case page with 40 partners ranked, every step of the longest
interview (docs/architecture.md, "Page weight and static files"). tests/heavy_pages.py
seeds the data and weighs the pages; bench/page_weight.py prints the same figures."""

from __future__ import annotations

from flask import Flask

from core.clock import FrozenClock
from tests.heavy_pages import weigh_all

# Each list's rows on the page weighed: proof that the page is full, not just light.
FULL = {
    "case list": 50,
    "case list, all": 50,
    "partner inbox": 25,
    "sent referrals": 25,
    "follow-ups": 200,
    "notices": 50,
    "case": 40,
    "audit log": 50,
    "audit log, largest page": 100,
    "break-glass log": 50,
    "users": 100,
    "notice e-mails": 50,
    "approvals": 30,
}


def test_every_heavy_page_weighs_under_60_kb(app: Flask, clock: FrozenClock) -> None:
    weights = weigh_all(app, clock)
    assert [(w.name, w.status) for w in weights if w.status != 200] == []
    assert {w.name: w.rows for w in weights if w.rows is not None} == FULL
    steps = [w for w in weights if w.name.startswith("questionnaire step")]
    assert len(steps) > 40  # every step of the longest path
    assert [(w.name, w.size) for w in weights if w.size >= 60_000] == []
