"""The whole referral journey in a real browser: a screener screens a synthetic person who
agrees to share only some details, opens the case and refers it; the partner is told, opens
the packet, sees only what was sent and accepts; the screener then sees it accepted.

Every personal value is an obvious canary, so a leak of an unshared field shows in the HTML.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

from flask import Flask

from core import db
from core.clock import FrozenClock
from referral import directory_import
from screening.consent import EXPLAINED
from tests.e2e.test_sign_in import sign_in
from tests.helpers import Account

with contextlib.suppress(ImportError):
    from playwright.sync_api import Page, expect

PARTNER_NAME = "Canary Journey Shelter"
PARTNERS = [
    {
        "slug": "org-journey",
        "name": PARTNER_NAME,
        "capacity": 2,
        "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
        "services": ["shelter", "legal"],
        "areas": [{"country": "XK"}],
        "populations": ["women", "men"],
        "languages": ["en"],
    },
]
GIVEN_NAME = "Canaryjourney"
# The person agrees to share the given name and needs only; these must never reach the partner.
HIDDEN = {
    "family_name": "Canaryfamilyhidden",
    "contact": "canary-contact-hidden",
    "region": "Canaryregionhidden",
    "notes": "canary-notes-hidden",
}
NOTE = "Synthetic browser-test note: please call the screener."
SAY_THE_PERSON_AGREES_TO = (
    "Answer questions about their journey, work and living conditions",
    "Keep a confidential record of the answers",
    "Share some details with an organisation that can help",
)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def load_directory(app: Flask, clock: FrozenClock) -> None:
    with app.app_context():
        store = db.session()
        directory_import.import_partners(store, PARTNERS, clock.now())
        store.commit()


def sign_out(page: Page, base: str) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(f"{base}/login")


def screen_the_person(page: Page, base: str) -> None:
    """Safety check, consent sharing only the given name and needs, the person, no answers
    (the interview finished early), then the result."""
    page.goto(f"{base}/screenings/new")
    expect(page.get_by_role("heading", name="Before you start")).to_be_visible()
    for question, answer in (
        ("Is the person alone", "Yes"),
        ("Does the person say", "Yes"),
        ("Is the person under 18", "No"),
        ("Is the interpreter independent", "No interpreter"),
    ):
        page.get_by_role("group", name=re.compile(f"^{question}")).get_by_label(
            answer, exact=True
        ).check()
    page.get_by_label("Language of the questions").select_option("en")
    page.get_by_role("button", name="Continue", exact=True).click()

    expect(page.get_by_role("heading", name="Consent")).to_be_visible()
    for point in EXPLAINED:
        page.locator(f'input[name="explained"][value="{point}"]').check()
    for purpose in SAY_THE_PERSON_AGREES_TO:
        page.get_by_label(purpose, exact=True).check()
    share = page.get_by_role("group", name=re.compile("what may be shared"))
    share.get_by_label("Given name", exact=True).check()
    share.get_by_label("What they need", exact=True).check()
    page.get_by_role("button", name="Continue", exact=True).click()

    expect(page.get_by_role("heading", name="About the person")).to_be_visible()
    page.get_by_label("Given name or the name they use").fill(GIVEN_NAME)
    page.get_by_label("Family name").fill(HIDDEN["family_name"])
    page.get_by_label("Age (leave empty if unknown)").fill("31")
    # Names, as a screener knows them; the record keeps XK and en.
    page.get_by_label("Country where they are now (its name or two-letter code)").fill("Kosovo")
    page.get_by_label("Region or town").fill(HIDDEN["region"])
    page.get_by_label("Languages they speak (names or two-letter codes, separated by commas)").fill(
        "English"
    )
    page.get_by_label("A safe way to contact them, if they agree").fill(HIDDEN["contact"])
    page.get_by_role("group", name="What do they need now?").get_by_label(
        "Safe place to stay"
    ).check()
    page.get_by_label("Notes (kept confidential)").fill(HIDDEN["notes"])
    page.get_by_role("button", name="Start the questions").click()
    expect(page).to_have_url(re.compile(f"/screenings/{UUID}/ask$"))

    # No question is mandatory: finish before the first one.
    page.get_by_role("link", name="Finish early").click()
    expect(page.get_by_role("heading", name="Finish the screening")).to_be_visible()
    page.get_by_role("button", name="Finish and see the result").click()
    expect(page.get_by_role("heading", name="Screening result")).to_be_visible()


def refer_the_case(page: Page) -> str:
    """From the result to the case, and refer it sharing the given name only; returns the
    case page's URL."""
    page.get_by_role("link", name="Open the case").click()
    expect(page).to_have_url(re.compile(f"/cases/{UUID}$"))
    case_url = page.url
    main = page.get_by_role("main")
    # Named by the case's reference, which is never derived from the person.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Case [A-Z0-9]{4}-[A-Z0-9]{4}$")
    )
    expect(main).to_contain_text(GIVEN_NAME)  # the screener sees the whole person
    expect(main).to_contain_text("They agreed to share: Given name, What they need")
    expect(main.locator("ol.matches")).to_contain_text(PARTNER_NAME)

    refer = page.locator("form", has=page.get_by_role("button", name="Send the referral"))
    refer.get_by_role("group", name="Partner").get_by_label(PARTNER_NAME).check()
    services = refer.get_by_role("group", name="Services asked for")
    expect(services.get_by_label("Safe place to stay", exact=True)).to_be_checked()
    share = refer.get_by_role("group", name="Send these details (only what is needed)")
    # Only consented fields are offered at all.
    expect(share.get_by_role("checkbox")).to_have_count(2)
    expect(share.get_by_label("Family name", exact=True)).to_have_count(0)
    expect(share.get_by_label("How to contact them", exact=True)).to_have_count(0)
    share.get_by_label("Given name", exact=True).check()
    refer.get_by_role("group", name="Urgency").get_by_label("Normal", exact=True).check()
    refer.get_by_label("Note for the partner (optional)").fill(NOTE)
    refer.get_by_role("button", name="Send the referral").click()

    expect(page).to_have_url(case_url)
    expect(page.get_by_role("status")).to_contain_text("Referral sent.")
    row = page.get_by_role("row", name=re.compile(PARTNER_NAME))
    expect(row).to_contain_text("Waiting for an answer")
    return case_url


def test_screener_refers_partner_accepts_screener_sees_it_accepted(
    page: Page,
    live_server: str,
    make_account: Callable[..., Account],
    clock: FrozenClock,
    app: Flask,
) -> None:
    screener = make_account("screener")
    partner = make_account("partner", partner="org-journey")
    load_directory(app, clock)

    # The screener screens, opens the case and refers it.
    sign_in(page, live_server, screener, clock)
    screen_the_person(page, live_server)
    case_url = refer_the_case(page)
    sign_out(page, live_server)

    # The partner is told something awaits and opens the packet.
    clock.advance(seconds=60)
    sign_in(page, live_server, partner, clock)
    nav = page.get_by_role("navigation", name="Main menu")
    nav.get_by_role("link", name="1 notice", exact=True).click()
    expect(page.get_by_role("heading", name="Notices")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("A new referral is waiting for your answer.")
    page.get_by_role("button", name="Open", exact=True).click()
    expect(page).to_have_url(re.compile(f"/referrals/{UUID}$"))
    referral_url = page.url

    expect(page.get_by_role("heading", name="Referral", exact=True)).to_be_visible()
    expect(page.locator("p.headline")).to_have_text("Waiting for an answer")
    packet = page.locator("dl.packet")
    expect(packet).to_contain_text("Given name")
    expect(packet).to_contain_text(GIVEN_NAME)
    expect(packet).not_to_contain_text("What they need")  # consented, but not sent
    expect(page.locator("p.note")).to_have_text(NOTE)
    html = page.content()
    for name, canary in HIDDEN.items():
        assert canary not in html, f"unshared {name} reached the partner's page"
    for label in ("Family name", "How to contact them", "Notes"):
        assert label not in html, f"the packet shows an unshared field: {label}"

    # The inbox lists it too, without the person's details.
    nav.get_by_role("link", name="Referrals", exact=True).click()
    expect(page.get_by_role("heading", name="Referrals")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Waiting for an answer")
    expect(page.get_by_role("main")).not_to_contain_text(GIVEN_NAME)
    # The referral opens from its reference, the name that identifies it in the list.
    page.get_by_role("main").get_by_role(
        "link", name=re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
    ).click()
    expect(page).to_have_url(referral_url)

    page.get_by_role("button", name="Accept the referral").click()
    expect(page).to_have_url(referral_url)
    expect(page.get_by_role("status")).to_have_text(
        "You accepted the referral. The caseworker in charge of the case has been told. Close "
        "it with an outcome when your work with the person ends."
    )
    expect(page.locator("p.headline")).to_have_text("Accepted")
    expect(page.get_by_role("button", name="Accept the referral")).to_have_count(0)
    expect(nav.get_by_role("link", name="Notices", exact=True)).to_be_visible()
    sign_out(page, live_server)

    # The screener is told and sees the referral accepted on the case.
    clock.advance(seconds=60)
    sign_in(page, live_server, screener, clock)
    nav.get_by_role("link", name="1 notice", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("A referral you sent was accepted.")
    page.get_by_role("button", name="Open", exact=True).click()
    expect(page).to_have_url(referral_url)
    expect(page.locator("p.headline")).to_have_text("Accepted")
    page.get_by_role("link", name="Back to the case").click()
    expect(page).to_have_url(case_url)
    row = page.get_by_role("row", name=re.compile(PARTNER_NAME))
    expect(row.locator("td.state-accepted")).to_have_text("Accepted")
