"""The partner directory's admin pages: administrators add and edit partners (contact details
sealed, slug and vetting fixed on edit), suspend and re-vet them (only to a date after
today), and only vetted partners in date with a staff account are offered (the list says
why one is not); other roles are refused, a recent
re-authentication is needed, bad input shows errors, and audit events hold ids only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for

from access import services as access_services
from access.models import AuditEvent, PartnerOrganisation
from core import db
from referral import directory, routing
from tests.conftest import ROLES
from tests.helpers import Account, Client, error_of, raw_database_bytes

CANARY_PHONE = "+00 canary-admin-phone"
CANARY_EMAIL = "canary-admin@partner.example"
NEW_PARTNER = {
    "name": "Delta Refuge",
    "slug": "org-d",
    "vetting_status": "vetted",
    "valid_until": "2027-01-31",
    "services": ["shelter", "legal"],
    "populations": ["women", "children"],
    "languages": "fr, EN",
    "areas": "XK\nxk/North\n",
    "capacity": "4",
    "phone": CANARY_PHONE,
    "email": CANARY_EMAIL,
    "address": "",
}
EDITED = {
    "name": "Alpha Shelter and Clinic",
    "services": ["medical"],
    "populations": [],
    "languages": "es",
    "areas": "XK/South",
    "capacity": "0",
    "phone": "+00 canary-new-phone",
    "email": "",
    "address": "canary street 1",
}


@pytest.fixture
def urls(app: Flask) -> Callable[..., str]:
    """``urls(endpoint, **values)``: a URL of the partners admin blueprint."""

    def build(endpoint: str, **values: Any) -> str:
        with app.test_request_context():
            return url_for(f"partners_admin.{endpoint}", **values)

    return build


@pytest.fixture
def admin(client: Client, accounts: dict[str, Account], partners: None) -> Client:
    """An administrator signed in and recently re-authenticated, with the test directory."""
    client.sign_in(accounts["admin"])
    client.reauth(accounts["admin"])
    return client


@pytest.fixture
def org_id(app: Flask) -> Callable[[str], uuid.UUID]:
    """``org_id(slug)``: the id of a partner organisation."""

    def find(slug: str) -> uuid.UUID:
        with app.app_context():
            found = db.session().scalar(
                sa.select(PartnerOrganisation.id).where(PartnerOrganisation.slug == slug)
            )
        assert found is not None
        return found

    return find


def profile_of(app: Flask, slug: str) -> dict[str, Any]:
    """The stored entry of ``slug`` with its contact opened, or {} when there is none."""
    with app.app_context():
        store = db.session()
        profile = next((p for p in directory.profiles(store) if p.organisation.slug == slug), None)
        if profile is None:
            return {}
        entry = directory.entry_of(profile, directory.contact(store, profile))
        partner = directory.for_routing(profile, directory.staffed(store))
        entry["offered"] = routing.offerable(partner, date(2026, 3, 2))
        store.rollback()  # the read above is the test's, not the system's
        return entry


def partner_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        store = db.session()
        events = list(
            store.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.object_type == "partner")
                .order_by(AuditEvent.id)
            )
        )
        store.expunge_all()
        return events


def row_of(page: str, slug: str) -> str:
    """The list page's table row of ``slug``."""
    return page.split(f"<code>{slug}</code>", 1)[1].split("</tr>", 1)[0]


def test_admin_adds_a_partner_whose_contact_is_sealed(
    app: Flask, admin: Client, urls: Callable[..., str]
) -> None:
    response = admin.post(urls("new"), NEW_PARTNER)
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = profile_of(app, "org-d")
    assert saved["name"] == "Delta Refuge"
    assert saved["vetting"] == {"status": "vetted", "valid_until": "2027-01-31"}
    assert saved["services"] == ["legal", "shelter"]
    assert saved["languages"] == ["en", "fr"]
    assert saved["areas"] == [
        {"country": "XK", "region": None},
        {"country": "XK", "region": "North"},
    ]
    assert saved["capacity"] == 4
    assert saved["contact"] == {"phone": CANARY_PHONE, "email": CANARY_EMAIL}
    stored = raw_database_bytes(app)
    assert CANARY_PHONE.encode() not in stored
    assert CANARY_EMAIL.encode() not in stored
    page = admin.get(urls("index")).get_data(as_text=True)
    assert "Delta Refuge" in page


def test_a_new_partner_is_offered_only_once_it_has_a_staff_account(
    app: Flask, admin: Client, urls: Callable[..., str], make_account: Callable[..., Account]
) -> None:
    added = admin.post(urls("new"), NEW_PARTNER, follow_redirects=True)
    assert (
        "The partner is added to the directory. It is not offered to screeners until it has "
        "a staff account to answer referrals." in added.get_data(as_text=True)
    )
    assert not profile_of(app, "org-d")["offered"]
    page = admin.get(urls("index")).get_data(as_text=True)
    assert "not offered: no staff account yet" in row_of(page, "org-d")
    staff = make_account("partner", partner="org-d")
    assert profile_of(app, "org-d")["offered"]
    assert "not offered" not in row_of(admin.get(urls("index")).get_data(as_text=True), "org-d")
    with app.app_context():
        store = db.session()
        access_services.disable_user(
            store, access_services.get_user(store, staff.id), datetime(2026, 3, 2, 9, tzinfo=UTC)
        )
        store.commit()
    assert not profile_of(app, "org-d")["offered"]
    page = admin.get(urls("index")).get_data(as_text=True)
    assert "not offered: no staff account yet" in row_of(page, "org-d")


def test_partners_list_shows_vetting_and_who_is_offered(
    admin: Client, urls: Callable[..., str]
) -> None:
    page = admin.get(urls("index")).get_data(as_text=True)
    assert "offered" in row_of(page, "org-a")
    assert "not offered" not in row_of(page, "org-a")
    assert "not offered" in row_of(page, "org-c")  # suspended in the test directory
    assert "Suspended" in row_of(page, "org-c")


def test_admin_nav_links_to_partners(admin: Client, urls: Callable[..., str]) -> None:
    assert f'href="{urls("index")}"' in admin.get("/").get_data(as_text=True)


def test_edit_form_shows_the_opened_contact_and_audits_the_read(
    app: Flask, admin: Client, urls: Callable[..., str], org_id: Callable[[str], uuid.UUID]
) -> None:
    page = admin.get(urls("edit", organisation_id=org_id("org-a")))
    assert page.status_code == 200
    assert "canary-partner-phone" in page.get_data(as_text=True)
    read = partner_events(app)[-1]
    assert (read.action, read.object_id) == ("partner.contact_read", str(org_id("org-a")))


def test_admin_edits_details_while_slug_and_vetting_stay(
    app: Flask, admin: Client, urls: Callable[..., str], org_id: Callable[[str], uuid.UUID]
) -> None:
    url = urls("edit", organisation_id=org_id("org-a"))
    # A slug or vetting slipped into the post is not the edit form's to change.
    response = admin.post(
        url,
        {**EDITED, "slug": "hijacked", "vetting_status": "suspended", "valid_until": "2099-01-01"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = profile_of(app, "org-a")
    assert saved["slug"] == "org-a"
    assert saved["name"] == "Alpha Shelter and Clinic"
    assert saved["vetting"] == {"status": "vetted", "valid_until": "2035-12-31"}
    assert (saved["services"], saved["populations"], saved["languages"]) == (
        ["medical"],
        [],
        ["es"],
    )
    assert saved["areas"] == [{"country": "XK", "region": "South"}]
    assert saved["capacity"] == 0
    assert saved["contact"] == {"phone": "+00 canary-new-phone", "address": "canary street 1"}
    assert b"canary street" not in raw_database_bytes(app)


def test_suspended_partner_is_no_longer_offered(
    app: Flask, admin: Client, urls: Callable[..., str], org_id: Callable[[str], uuid.UUID]
) -> None:
    response = admin.post(
        urls("vetting", organisation_id=org_id("org-a")),
        {"action": "suspend"},
        form_page=urls("index"),
    )
    assert response.status_code == 302
    saved = profile_of(app, "org-a")
    assert saved["vetting"]["status"] == "suspended"
    assert not saved["offered"]
    assert "not offered" in row_of(admin.get(urls("index")).get_data(as_text=True), "org-a")


@pytest.mark.parametrize("until", ["2026-03-01", "2026-03-02", ""])
def test_revetting_needs_a_date_after_today(
    app: Flask,
    admin: Client,
    urls: Callable[..., str],
    org_id: Callable[[str], uuid.UUID],
    until: str,
) -> None:
    response = admin.post(
        urls("vetting", organisation_id=org_id("org-c")),
        {"action": "revet", "valid_until": until},
        form_page=urls("index"),
    )
    assert response.status_code in (400, 422)
    assert 'class="error"' in response.get_data(as_text=True)
    saved = profile_of(app, "org-c")
    assert saved["vetting"] == {"status": "suspended", "valid_until": "2035-12-31"}
    assert not saved["offered"]


def test_revetting_until_a_future_date_offers_the_partner_again(
    app: Flask,
    admin: Client,
    urls: Callable[..., str],
    org_id: Callable[[str], uuid.UUID],
    make_account: Callable[..., Account],
) -> None:
    make_account("partner", partner="org-c")  # staffed: only vetting kept it from routing
    url = urls("vetting", organisation_id=org_id("org-c"))
    response = admin.post(
        url, {"action": "revet", "valid_until": "2026-09-30"}, form_page=urls("index")
    )
    assert response.status_code == 302
    saved = profile_of(app, "org-c")
    assert saved["vetting"] == {"status": "vetted", "valid_until": "2026-09-30"}
    assert saved["offered"]
    assert "not offered" not in row_of(admin.get(urls("index")).get_data(as_text=True), "org-c")


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"slug": "Bad Slug"},
        {"slug": "-x"},
        {"capacity": "-1"},
        {"capacity": "many"},
        {"capacity": ""},
        {"languages": "Elvish"},
        {"languages": "e1"},
        {"areas": "Atlantis"},
        {"areas": "XK\nAtlantis/North"},
        {"areas": "XK/" + "r" * 101},
        {"email": "not-an-address"},
        {"valid_until": "soon"},
        {"valid_until": "2026-02-30"},
        {"vetting_status": "maybe"},
        {"services": ["spa"]},
        {"populations": ["everyone"]},
        {"phone": "1" * 51},
        # Control characters: refused by every form's text fields (core.forms).
        {"name": "Delta\x1b[2J Refuge"},
        {"phone": "+00\t123"},
        {"address": "Main street\x07"},
        {"areas": "XK/No\x01rth"},
    ],
)
def test_bad_input_shows_errors_and_saves_nothing(
    app: Flask, admin: Client, urls: Callable[..., str], change: dict[str, Any]
) -> None:
    response = admin.post(urls("new"), {**NEW_PARTNER, **change})
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert profile_of(app, "org-d") == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"slug": "org-a"}, "Another partner already has this short name."),
        ({"valid_until": "2026-03-01"}, "Vetting needs an expiry date after today."),
        ({"valid_until": ""}, "Vetting needs an expiry date after today."),
        ({"valid_until": "2036-03-03"}, "Vetting can run at most 10 years from today."),
        ({"valid_until": "9999-12-31"}, "Vetting can run at most 10 years from today."),
    ],
)
def test_directory_rules_show_on_their_fields(
    app: Flask, admin: Client, urls: Callable[..., str], change: dict[str, Any], message: str
) -> None:
    response = admin.post(urls("new"), {**NEW_PARTNER, **change})
    assert response.status_code == 422
    [field] = change
    assert error_of(response.get_data(as_text=True), field) == message
    assert profile_of(app, "org-a")["name"] == "Alpha Shelter"
    assert profile_of(app, "org-d") == {}


def test_languages_and_areas_may_be_named_and_are_kept_as_codes(
    app: Flask, admin: Client, urls: Callable[..., str]
) -> None:
    # As on the person's form: names in any language Passage speaks (Grèce is French), or
    # codes; a region keeps what was written after the slash.
    response = admin.post(
        urls("new"),
        {
            **NEW_PARTNER,
            "languages": "Tigrinya, arabe, fr en",
            "areas": "Kosovo/North\nGrèce\ngr\nXK/North",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = profile_of(app, "org-d")
    assert saved["languages"] == ["ar", "en", "fr", "ti"]
    assert saved["areas"] == [
        {"country": "GR", "region": None},
        {"country": "XK", "region": "North"},
    ]


def test_an_unknown_language_or_area_is_sent_back_on_its_field(
    app: Flask, admin: Client, urls: Callable[..., str]
) -> None:
    response = admin.post(
        urls("new"),
        {**NEW_PARTNER, "languages": "Tigrinya, Klingon", "areas": "XK\nAtlantis/North"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert error_of(page, "languages") == (
        "Not a language we know: Klingon. Write each one's name or its two-letter code."
    )
    assert error_of(page, "areas") == (
        "Write one area per line: a country (its name or two-letter code), or a country and "
        "a region such as Kosovo/North. Not understood: Atlantis/North"
    )
    assert profile_of(app, "org-d") == {}


def test_bad_edit_shows_errors_and_keeps_the_partner(
    app: Flask, admin: Client, urls: Callable[..., str], org_id: Callable[[str], uuid.UUID]
) -> None:
    response = admin.post(
        urls("edit", organisation_id=org_id("org-a")), {**EDITED, "capacity": "lots"}
    )
    assert response.status_code == 400
    assert profile_of(app, "org-a")["capacity"] == 3


def test_a_pending_partner_may_be_added_without_a_date(
    app: Flask, admin: Client, urls: Callable[..., str]
) -> None:
    response = admin.post(
        urls("new"), {**NEW_PARTNER, "vetting_status": "pending", "valid_until": ""}
    )
    assert response.status_code == 302
    assert not profile_of(app, "org-d")["offered"]


def test_unknown_partner_is_404(admin: Client, urls: Callable[..., str]) -> None:
    missing = uuid.uuid4()
    assert admin.get(urls("edit", organisation_id=missing)).status_code == 404
    response = admin.post(
        urls("vetting", organisation_id=missing), {"action": "suspend"}, form_page=urls("index")
    )
    assert response.status_code == 404


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_other_roles_are_refused(
    client: Client,
    accounts: dict[str, Account],
    partners: None,
    urls: Callable[..., str],
    org_id: Callable[[str], uuid.UUID],
    role: str,
) -> None:
    client.sign_in(accounts[role])
    client.reauth(accounts[role])
    target = org_id("org-a")
    for url in (urls("index"), urls("new"), urls("edit", organisation_id=target)):
        assert client.get(url).status_code == 403, url
    for url in (
        urls("new"),
        urls("edit", organisation_id=target),
        urls("vetting", organisation_id=target),
    ):
        assert client.post(url, {"action": "suspend"}, form_page="/").status_code == 403, url


def test_partner_pages_need_a_recent_reauth(
    app: Flask,
    client: Client,
    accounts: dict[str, Account],
    partners: None,
    urls: Callable[..., str],
    org_id: Callable[[str], uuid.UUID],
) -> None:
    client.sign_in(accounts["admin"])
    client.clock.advance(minutes=6)
    for url in (urls("index"), urls("new"), urls("edit", organisation_id=org_id("org-a"))):
        response = client.get(url)
        assert response.status_code == 302
        assert "/reauth" in response.location
    response = client.post(
        urls("vetting", organisation_id=org_id("org-a")), {"action": "suspend"}, form_page="/"
    )
    assert "/reauth" in response.location
    assert profile_of(app, "org-a")["vetting"]["status"] == "vetted"


def test_audit_events_name_the_partner_by_id_only(
    app: Flask,
    admin: Client,
    accounts: dict[str, Account],
    urls: Callable[..., str],
    org_id: Callable[[str], uuid.UUID],
) -> None:
    admin.post(urls("new"), NEW_PARTNER)
    target = org_id("org-d")
    # CSRF tokens from the list page: the edit page would open (and audit) the contact.
    admin.post(urls("edit", organisation_id=target), EDITED, form_page=urls("index"))
    for change in ({"action": "suspend"}, {"action": "revet", "valid_until": "2027-06-30"}):
        admin.post(urls("vetting", organisation_id=target), change, form_page=urls("index"))
    events = [e for e in partner_events(app) if e.object_id == str(target)]
    assert [e.action for e in events] == [
        "partner.created",
        "partner.updated",
        "partner.suspended",
        "partner.revetted",
    ]
    assert {e.actor_id for e in events} == {str(accounts["admin"].id)}
    for event in events:
        text = repr([getattr(event, name) for name in ("details", "object_id", "actor_org")])
        for secret in ("Delta", "Alpha", "org-d", "canary"):
            assert secret not in text


@pytest.fixture
def stored(app: Flask, partners: None) -> Any:
    """A session in an app context, and org-a's directory entry."""
    with app.app_context():
        store = db.session()
        profile = directory.get_profile(
            store,
            store.scalar(
                sa.select(PartnerOrganisation.id).where(PartnerOrganisation.slug == "org-a")
            ),
        )
        yield store, profile
        store.rollback()


def test_revetting_beyond_ten_years_is_refused_on_its_field(
    app: Flask, admin: Client, urls: Callable[..., str], org_id: Callable[[str], uuid.UUID]
) -> None:
    response = admin.post(
        urls("vetting", organisation_id=org_id("org-c")),
        {"action": "revet", "valid_until": "9999-12-31"},
        form_page=urls("index"),
    )
    assert response.status_code == 422
    assert (
        error_of(response.get_data(as_text=True), "valid_until")
        == "Vetting can run at most 10 years from today."
    )
    assert profile_of(app, "org-c")["vetting"] == {
        "status": "suspended",
        "valid_until": "2035-12-31",
    }


def test_a_partner_is_added_vetted_for_ten_years_at_most(
    app: Flask, admin: Client, urls: Callable[..., str]
) -> None:
    response = admin.post(urls("new"), {**NEW_PARTNER, "valid_until": "2036-03-02"})
    assert response.status_code == 302
    assert profile_of(app, "org-d")["vetting"] == {"status": "vetted", "valid_until": "2036-03-02"}


def test_set_vetting_refuses_an_expiry_past_its_bound_whoever_calls_it(
    stored: Any, clock: Any
) -> None:
    store, profile = stored
    with pytest.raises(directory.DirectoryError) as refused:
        directory.set_vetting(store, profile, "vetted", date(2036, 3, 3), clock.now())
    assert {k: str(v) for k, v in refused.value.fields.items()} == {
        "partner.vetting.valid_until": "Vetting can run at most 10 years from today."
    }
    assert profile.organisation.vetting_valid_until == date(2035, 12, 31)


def test_an_edit_keeps_an_expiry_set_before_the_bound(stored: Any, clock: Any) -> None:
    # The bound is checked where an expiry is set; a partner vetted further ahead before it
    # existed can still have its details edited.
    store, profile = stored
    profile.organisation.vetting_valid_until = date(2099, 12, 31)
    entry = {**directory.entry_of(profile), "capacity": 9}
    assert directory.save_partner(store, entry, clock.now(), profile).capacity == 9


@pytest.mark.parametrize(
    "change",
    [
        {"slug": "org-z"},
        {"vetting": {"status": "suspended", "valid_until": "2035-12-31"}},
        {"vetting": {"status": "vetted", "valid_until": "2100-01-01"}},
        {"capacity": -1},
    ],
)
def test_save_partner_refuses_what_an_edit_may_not_change(
    stored: Any, clock: Any, change: dict[str, Any]
) -> None:
    store, profile = stored
    with pytest.raises(directory.DirectoryError):
        directory.save_partner(
            store, {**directory.entry_of(profile), **change}, clock.now(), profile
        )


@pytest.mark.parametrize(
    ("status", "until"),
    [("pending", None), ("vetted", None), ("vetted", date(2026, 3, 2)), ("gone", None)],
)
def test_set_vetting_refuses_other_states_and_dates_not_after_today(
    stored: Any, clock: Any, status: str, until: date | None
) -> None:
    store, profile = stored
    with pytest.raises(directory.DirectoryError):
        directory.set_vetting(store, profile, status, until, clock.now())
    assert profile.vetting_status == "vetted"
