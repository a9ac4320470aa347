"""The partner directory: import (all or nothing, with clear errors), update, listing, contact
details sealed, and only vetted partners in date offered."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent, PartnerOrganisation
from core import db
from referral import directory
from tests.helpers import Account, raw_database_bytes

PARTNERS = [
    {
        "slug": "north-shelter",
        "name": "North Shelter",
        "vetting": {"status": "vetted", "valid_until": "2027-01-31"},
        "services": ["shelter", "medical"],
        "areas": [{"country": "XK", "region": "North"}],
        "populations": ["women", "children"],
        "languages": ["fr", "en"],
        "capacity": 4,
        "contact": {"email": "canary-intake@north.example", "phone": "+00 canary 1"},
    },
    {
        "slug": "old-legal",
        "name": "Old Legal Aid",
        "vetting": {"status": "vetted", "valid_until": "2025-12-31"},
        "services": ["legal"],
        "areas": [{"country": "XK"}],
        "populations": ["men"],
        "languages": ["es"],
        "capacity": 0,
    },
    {
        "slug": "new-clinic",
        "name": "New Clinic",
        "vetting": {"status": "pending"},
        "services": ["medical"],
        "areas": [{"country": "XK"}],
        "capacity": 2,
    },
]


def run(app: Flask, tmp_path: Path, *args: str, data: Any = None) -> Any:
    if data is not None:
        (tmp_path / "partners.json").write_text(json.dumps(data))
        args = (*args, str(tmp_path / "partners.json"))
    return app.test_cli_runner().invoke(args=["partners", *args])


def test_import_then_list(app: Flask, tmp_path: Path, make_account: Callable[..., Account]) -> None:
    result = run(app, tmp_path, "import", data=PARTNERS)
    assert result.exit_code == 0, result.output
    assert "3 partners created, 0 updated" in result.output
    listing = run(app, tmp_path, "list").output.splitlines()
    assert "vetted until 2027-01-31 (not offered: no staff account yet)" in listing[1]
    make_account("partner", partner="north-shelter")
    listing = run(app, tmp_path, "list").output.splitlines()
    assert [line.split("\t")[0] for line in listing] == ["new-clinic", "north-shelter", "old-legal"]
    assert "vetted until 2027-01-31 (offered)" in listing[1]
    assert "(not offered)" in listing[0]
    assert "(not offered)" in listing[2]
    assert "XK/North" in listing[1]


def test_import_again_updates_in_place(app: Flask, tmp_path: Path) -> None:
    run(app, tmp_path, "import", data=PARTNERS)
    changed = [{**PARTNERS[0], "capacity": 0, "areas": [{"country": "XK"}]}]
    assert "0 partners created, 1 updated" in run(app, tmp_path, "import", data=changed).output
    with app.app_context():
        profile = next(
            p for p in directory.profiles(db.session()) if p.organisation.slug == "north-shelter"
        )
        assert profile.capacity == 0
        assert [(a.country, a.region) for a in profile.areas] == [("XK", None)]
        assert db.session().scalar(sa.select(sa.func.count()).select_from(PartnerOrganisation)) == 3


def test_bad_file_changes_nothing_and_names_each_problem(app: Flask, tmp_path: Path) -> None:
    bad = [
        PARTNERS[0],
        {
            "slug": "Bad Slug",
            "name": "",
            "vetting": {"status": "maybe", "valid_until": "soon"},
            "services": ["spa"],
            "areas": [{"country": "xk"}],
            "capacity": -1,
            "colour": "blue",
        },
    ]
    result = run(app, tmp_path, "import", data=bad)
    assert result.exit_code == 1
    for field in (
        "[1].slug",
        "[1].name",
        "[1].vetting.status",
        "[1].vetting.valid_until",
        "[1].services",
        "[1].areas",
        "[1].capacity",
        "unknown fields ['colour']",
    ):
        assert field in result.output
    with app.app_context():
        assert directory.profiles(db.session()) == []


def test_not_json_is_refused(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "partners.json").write_text("{not json")
    result = app.test_cli_runner().invoke(
        args=["partners", "import", str(tmp_path / "partners.json")]
    )
    assert result.exit_code == 1
    assert "not JSON" in result.output


def test_a_file_not_in_utf8_is_refused_as_such(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "partners.json").write_bytes(b'[{"name": "Caf\xe9 Synthetic"}]')
    result = app.test_cli_runner().invoke(
        args=["partners", "import", str(tmp_path / "partners.json")]
    )
    assert result.exit_code == 1
    assert result.output == "error: not UTF-8 text\n"


def test_contact_details_are_sealed_and_reads_audited(app: Flask, tmp_path: Path) -> None:
    run(app, tmp_path, "import", data=PARTNERS)
    assert b"canary-intake" not in raw_database_bytes(app)
    with app.app_context():
        store = db.session()
        profile = next(
            p for p in directory.profiles(store) if p.organisation.slug == "north-shelter"
        )
        assert directory.contact(store, profile) == PARTNERS[0]["contact"]
        store.commit()
        actions = store.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-1] == "partner.contact_read"
    assert "partners.imported" in actions


def test_demo_loads_a_synthetic_directory_with_offered_partners(make_app: Any) -> None:
    app = make_app(ENV="development")
    for _ in range(2):  # loading twice is harmless
        assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    listing = app.test_cli_runner().invoke(args=["partners", "list"]).output
    assert "demo-shelter\tvetted" in listing
    assert listing.count("(offered)") == 3
    assert "demo-pending\tpending" in listing


def import_one(app: Flask, tmp_path: Path, **changes: Any) -> Any:
    """Import one synthetic partner, changed as given."""
    partner = {
        "slug": "synthetic-region",
        "name": "Synthetic Region Org",
        "vetting": {"status": "vetted", "valid_until": "2035-12-31"},
        "services": ["legal"],
        "areas": [{"country": "GR"}],
        "populations": ["women"],
        "languages": ["en"],
        **changes,
    }
    (tmp_path / "partners.json").write_text(json.dumps([partner]))
    return app.test_cli_runner().invoke(
        args=["partners", "import", str(tmp_path / "partners.json")]
    )


def test_a_region_longer_than_its_column_is_refused(app: Flask, tmp_path: Path) -> None:
    result = import_one(app, tmp_path, areas=[{"country": "GR", "region": "R" * 101}])
    assert result.exit_code == 1
    assert result.output == (
        "error: [0].areas: each needs an ISO country code and maybe a region "
        "of at most 100 characters\n"
    )
    with app.app_context():
        assert directory.profiles(db.session()) == []


def test_control_characters_and_contact_values_not_texts_are_refused(
    app: Flask, tmp_path: Path
) -> None:
    # A NUL was a DataError traceback on PostgreSQL; a list as a phone number was stored.
    named = import_one(app, tmp_path, name="Synthetic\u0000Org")
    assert named.exit_code == 1
    assert named.output == "error: [0].name: must not hold control characters\n"
    region = import_one(app, tmp_path, areas=[{"country": "GR", "region": "North\u0000"}])
    assert region.exit_code == 1
    assert "[0].areas" in region.output
    spaced = import_one(app, tmp_path, name="Synthetic\u00a0Org", slug="synthetic-spaced")
    assert spaced.exit_code == 0, spaced.output  # a no-break space is text, not control
    contact = import_one(app, tmp_path, contact={"phone": [1, {}]})
    assert contact.exit_code == 1
    assert contact.output == "error: [0].contact: must be an object whose values are texts\n"
    with app.app_context():
        assert [p.organisation.name for p in directory.profiles(db.session())] == [
            "Synthetic\u00a0Org"
        ]


@pytest.mark.parametrize(
    ("changes", "output"),
    [
        (
            {"vetting": {"status": "vetted", "valid_until": "9999-12-31"}},
            "error: [0].vetting.valid_until: at most 10 years from today\n",
        ),
        (
            {"vetting": {"status": "pending", "valid_until": "2036-03-03"}},
            "error: [0].vetting.valid_until: at most 10 years from today\n",
        ),
        (
            {"areas": [{"country": "GR", "region": f"Region {n}"} for n in range(101)]},
            "error: [0].areas: at most 100 areas\n",
        ),
        (
            {"languages": [a + b for a in "abcdef" for b in "abcdef"][:31]},
            "error: [0].languages: at most 30 languages\n",
        ),
        (
            {"contact": {"phone": "+00\t123"}},
            "error: [0].contact: must not hold control characters\n",
        ),
        (
            {"contact": {"address": "Main street\x1b[2J"}},
            "error: [0].contact: must not hold control characters\n",
        ),
    ],
)
def test_the_import_holds_to_the_admin_forms_bounds(
    app: Flask, tmp_path: Path, changes: dict[str, Any], output: str
) -> None:
    result = import_one(app, tmp_path, **changes)
    assert result.exit_code == 1
    assert result.output == output
    with app.app_context():
        assert directory.profiles(db.session()) == []


def test_the_import_takes_what_is_just_within_the_bounds(app: Flask, tmp_path: Path) -> None:
    result = import_one(
        app,
        tmp_path,
        vetting={"status": "vetted", "valid_until": "2036-03-02"},
        areas=[{"country": "GR", "region": f"Region {n}"} for n in range(100)],
        languages=[a + b for a in "abcdef" for b in "abcdef"][:30],
        contact={"address": "Main street 1\r\n\tBack door", "phone": "+00\u00a0123"},
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        [profile] = directory.profiles(db.session())
        assert (len(profile.areas), len(profile.languages)) == (100, 30)
