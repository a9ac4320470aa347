"""Hostile input to the referral package's forms (R30): the partner directory, the outbox,
notices, a case's correction, follow-ups, notes, referring, hand-over, break-glass, the
referral's answers, linking, consent, closing and reopening, swept by tests/form_sweep.py."""

from __future__ import annotations

from tests.form_sweep import (
    CHOICE,
    DATE,
    NUMBER,
    PERSON_KINDS,
    TEXT,
    UUID_,
    Route,
    World,
    reread,
    sweep,
)

PARTNER_DETAILS = {
    "name": "Canaryform Partner",
    "services": ["shelter", "legal"],
    "populations": ["women"],
    "languages": "en fr",
    "areas": "XK\nXK/North",
    "capacity": "3",
    "phone": "+00 0000 canaryform",
    "email": "canaryform@partner.test.passage.example",
    "address": "1 Canaryform street",
}
PARTNER_KINDS = {
    "name": TEXT,
    "services": CHOICE,
    "populations": CHOICE,
    "languages": TEXT,
    "areas": TEXT,
    "capacity": NUMBER,
    "phone": TEXT,
    "email": TEXT,
    "address": TEXT,
}
CORRECTION = {
    "given_name": "Canaryform",
    "family_name": "Correctedform",
    "age": "35",
    "sex": "female",
    "nationality": "ZZ",
    "country": "XK",
    "region": "Canaryformregion",
    "languages": "fr",
    "contact": "canaryform-contact",
    "notes": "canaryform notes",
    "birth_date": "1990-05-17",
}

ROUTES = [
    Route(
        "partners_admin.new",
        "admin",
        "/admin/partners/new",
        {
            **PARTNER_DETAILS,
            "slug": "canaryform",
            "vetting_status": "vetted",
            "valid_until": "2035-12-31",
        },
        {**PARTNER_KINDS, "slug": TEXT, "vetting_status": CHOICE, "valid_until": DATE},
    ),
    Route(
        "partners_admin.edit",
        "admin",
        "/admin/partners/{organisation}/edit",
        PARTNER_DETAILS,
        PARTNER_KINDS,
    ),
    Route(
        "partners_admin.vetting",
        "admin",
        "/admin/partners/{organisation}/vetting",
        {"action": "revet", "valid_until": "2035-12-31"},
        {"action": CHOICE, "valid_until": DATE},
    ),
    Route("outbox.retry", "admin", "/admin/e-mail/{message}/retry"),
    Route("outbox.dismiss", "admin", "/admin/e-mail/{message}/dismiss"),
    Route("referrals.open_notice", "partner", "/notices/{notice}/open"),
    Route(
        "corrections.correct",
        "screener",
        "/cases/{case}/person",
        CORRECTION,
        {**PERSON_KINDS, "birth_date": DATE, "possibly_minor": CHOICE},
    ),
    Route(
        "tasks.add",
        "screener",
        "/cases/{case}/tasks",
        {"title": "Canaryform follow-up", "due_on": "2026-03-09", "assignee": "{screener}"},
        {"title": TEXT, "due_on": DATE, "assignee": UUID_},
    ),
    Route(
        "case_work.add_note",
        "screener",
        "/cases/{case}/notes",
        {"text": "Canaryform note"},
        {"text": TEXT},
    ),
    Route(
        "cases.refer",
        "screener",
        "/cases/{case}/referrals",
        {
            "partner": "org-b",
            "services": ["legal"],
            "share": ["given_name"],
            "urgency": "normal",
            "note": "Canaryform",
        },
        {"partner": CHOICE, "services": CHOICE, "share": CHOICE, "urgency": CHOICE, "note": TEXT},
    ),
    Route(
        "handover.hand_over",
        "supervisor",
        "/cases/{case}/owner",
        {"owner": "{target}"},
        {"owner": UUID_},
    ),
    Route(
        "handover.reassign_all",
        "supervisor",
        "/cases/reassign",
        {"former": "{target}", "owner": "{screener}"},
        {"former": UUID_, "owner": UUID_},
    ),
    Route(
        "cases.break_glass",
        "supervisor_b",
        "/cases/{case}/break-glass",
        {"reason": "Canaryform reason for reading the case"},
        {"reason": TEXT},
    ),
    Route("case_work.follow_up", "screener", "/cases/{case}/follow-up/on"),
    Route("case_work.follow_up", "screener", "/cases/{case}/follow-up/off"),
    Route("tasks.done", "screener", "/cases/{case}/tasks/{task}/done"),
    Route("referrals.answer", "partner", "/referrals/{referral}/accept"),
    Route(
        "referrals.answer",
        "partner",
        "/referrals/{referral}/decline",
        {"reason": "out_of_area"},
        {"reason": CHOICE},
    ),
    Route(
        "referrals.answer",
        "partner",
        "/referrals/{referral}/close",
        {"outcome": "services_provided"},
        {"outcome": CHOICE},
    ),
    Route("referrals.withdraw", "screener", "/referrals/{referral}/withdraw"),
    Route(
        "cases.link",
        "screener",
        "/cases/{case}/link",
        {"earlier": "{earlier}", "confirm": "y"},
        {"earlier": UUID_, "confirm": CHOICE},
    ),
    Route("cases.withdraw_consent", "screener", "/cases/{earlier}/consent/withdraw"),
    Route(
        "case_work.close",
        "screener",
        "/cases/{earlier}/close",
        {"outcome": "lost_contact", "withdraw": "y"},
        {"outcome": CHOICE, "withdraw": CHOICE},
    ),
    Route(
        "case_work.reopen",
        "screener",
        "/cases/{earlier}/reopen",
        {"reason": "Canaryform reason to reopen"},
        {"reason": TEXT},
    ),
]


def test_hostile_form_bodies_get_no_500_and_refusals_change_nothing(world: World) -> None:
    problems = sweep(world, ROUTES) + reread(world)
    assert problems == [], "\n".join(problems)
