"""What the result page says about the journey (templates/screening/result.html,
docs/screening.md §3 and §5): "unknown" and "prefers not to say" are answers of their own, so a
question about paying someone to cross a border that was not answered is said to be open,
never read as a "no"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Account, Client
from tests.screening.payloads import body

NOTHING_ELSE = {
    "rf_in_danger_now": "no",
    "rf_controller_nearby": "no",
    "rf_cannot_leave": "no",
    "rf_injury_illness": "no",
    "a5": "yes",
    "rf_detention_or_removal": "no",
    "ec_excessive_hours": "no",
    "b2": "no",
    "b3": "no",
    "documents": "no",
    "debt": "no",
    "confinement": "no",
    "violence": "no",
    "c5": "no",
    "c6": "no",
    "c7": "no",
    "c8": "no",
    "dr_job_nature": "no",
    "d2": "no",
    "cr_abduction_sale": "no",
    "d4": "no",
    "d5": "no",
    "e2": "no",
    "sm_ransom": "no",
    "sm_still_involved": "no",
    "f1": "no",
    "rf_imminent_move": "no",
    "rf_self_harm": "no",
}
OPEN = (
    "Not known whether the person paid someone to cross a border without the official "
    "checks: the question was not answered. Ask it again when they are ready."
)


@pytest.mark.parametrize(
    ("crossed", "paid", "said"),
    [
        ("yes", "declined", OPEN),
        ("yes", "unknown", OPEN),
        ("yes", "no", "No sign of smuggling."),
        ("no", None, "No sign of smuggling."),
    ],
)
def test_the_journey_says_open_when_the_smuggling_question_was_not_answered(
    client: Client,
    issue_token: Any,
    accounts: dict[str, Account],
    signed_in: Any,
    crossed: str,
    paid: str | None,
    said: str,
) -> None:
    answers = {**NOTHING_ELSE, "e0": crossed}
    if paid is not None:
        answers["sm_paid_facilitator"] = paid
    made = client.raw.post(
        "/api/v1/screenings",
        json=body(answers=answers),
        headers={"Authorization": f"Bearer {issue_token(accounts['screener'])}"},
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["result"]["smuggling"] is False
    page = signed_in("screener").get(f"/screenings/{made.get_json()['id']}")
    text = " ".join(page.get_data(as_text=True).split())
    journey = text.split("<h2>Journey</h2>", 1)[1].split("</p>", 1)[0].strip()
    assert journey == f"<p>{said}"
