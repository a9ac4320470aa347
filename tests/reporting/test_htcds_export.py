"""The HTCDS 2.0 export for one partner organisation (docs/reporting.md §5): only the cases
referred to it whose person still agrees, names only where the consent shares them, the
victim context only where the answers are shared, and only while the organisation is in
standing; audited and registered."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from access.models import AuditEvent, PartnerOrganisation
from core import db
from referral import directory, directory_import
from reporting.models import releases
from tests.referral.conftest import PARTNERS

FULL = ("given_name", "family_name", "sex", "nationality", "languages", "answers")


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def refer(
    api: Callable[..., Any], case_id: str, partner: str, share: tuple[str, ...] = ("given_name",)
) -> str:
    sent = api(
        "screener",
        "POST",
        f"/cases/{case_id}/referrals",
        {
            "partner": partner,
            "services": ["shelter"],
            "urgency": "normal",
            "share": list(share),
            "note": "synthetic note that never leaves",
        },
    )
    assert sent.status_code == 201, sent.get_json()
    referral_id: str = sent.get_json()["id"]
    return referral_id


def test_the_export_holds_only_what_each_consent_shares_with_the_partner(
    app: Flask, screen: Any, api: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    names_only = screen(
        consent={"screening": True, "referral": True, "share": ["given_name", "sex"]}
    )["case_id"]
    everything = screen(
        consent={
            "screening": True,
            "referral": True,
            "share": ["given_name", "family_name", "sex", "nationality", "languages", "answers"],
        },
        subject={
            "given_name": "Canaryfull",
            "family_name": "Canaryfamily",
            "age": 30,
            "sex": "male",
            "nationality": "NG",
            "location": {"country": "XK"},
            "languages": ["fr", "en"],
        },
    )["case_id"]
    elsewhere = screen(
        consent={"screening": True, "referral": True, "share": ["given_name"]},
        subject={"given_name": "Canaryelsewhere", "age": 40, "location": {"country": "XK"}},
    )["case_id"]
    refer(api, names_only, "org-a", ("given_name", "sex"))
    refer(api, everything, "org-a", FULL)
    refer(api, elsewhere, "org-b")
    folder = tmp_path / "htcds"
    result = run_cli("reports", "export-htcds", "--recipient", "org-a", "--out", str(folder))
    assert result.exit_code == 0, result.output
    people = read(folder, "person.csv")
    assert sorted(
        (
            p["prs_FirstName"],
            p["prs_SecondName"],
            p["prs_Gender"],
            p["prs_Citizenship"],
            p["prs_PrimaryLanguage"],
            p["con_Consent"],
        )
        for p in people
    ) == [
        ("Canaryapi", "", "Feminine", "", "", "TRUE"),
        ("Canaryfull", "Canaryfamily", "Masculine", "NG", "fra", "TRUE"),
    ]
    assert all(p["prs_Birthdate"] == "" for p in people)
    # The victim context only for the person who shares the answers: likely trafficking.
    [victim] = read(folder, "victim_context.csv")
    full = next(p for p in people if p["prs_FirstName"] == "Canaryfull")
    assert victim["passage_PersonId"] == full["passage_PersonId"]
    assert victim["vic_TraffickingStatus"] == "PossibleVictimOfTrafficking"
    assert {"DebtBondage", "WithholdsDocuments"} <= set(victim["vic_MethodsOfControl"].split(";"))
    with app.app_context():
        name = db.session().scalar(
            sa.select(PartnerOrganisation.name).where(PartnerOrganisation.slug == "org-a")
        )
    assert [r["cas_ReferredOrganisation"] for r in read(folder, "referral.csv")] == [name, name]
    text = "".join(path.read_text(encoding="utf-8") for path in folder.iterdir())
    for never in (
        "Canaryelsewhere",
        "synthetic note",
        "Canaryregionapi",
        "canary-api-contact",
        names_only,
        everything,
    ):
        assert never not in text, never
    with app.app_context():
        store = db.session()
        [entry] = store.execute(sa.select(releases)).all()
        reads = store.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "person.read")
        )
    manifest = {
        line.split("\t")[0]: line.split("\t")[2] for line in result.output.strip().splitlines()
    }
    assert (
        manifest["person.csv"] == hashlib.sha256((folder / "person.csv").read_bytes()).hexdigest()
    )
    assert (entry.report, entry.channel, entry.rows, json.loads(entry.filters)) == (
        "htcds",
        "cli",
        2,
        {"recipient": "org-a"},
    )
    assert reads >= 2  # opening each shared name is audited


def test_a_person_who_withdrew_consent_is_left_out(
    app: Flask,
    screen: Any,
    api: Callable[..., Any],
    run_cli: Callable[..., Any],
    signed_in: Any,
    tmp_path: Path,
) -> None:
    case_id = screen(consent={"screening": True, "referral": True, "share": ["given_name"]})[
        "case_id"
    ]
    refer(api, case_id, "org-a")
    client = signed_in("screener")
    page = f"/cases/{case_id}"
    assert (
        client.post(
            f"/cases/{case_id}/consent/withdraw", {"confirm": "y"}, form_page=page
        ).status_code
        == 302
    )
    result = run_cli(
        "reports", "export-htcds", "--recipient", "org-a", "--out", str(tmp_path / "out")
    )
    assert result.exit_code == 0, result.output
    assert read(tmp_path / "out", "person.csv") == []


def test_a_person_past_retention_is_left_out(
    app: Flask,
    clock: Any,
    screen: Any,
    api: Callable[..., Any],
    run_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    named = screen(consent={"screening": True, "referral": True, "share": ["given_name", "sex"]})[
        "case_id"
    ]
    unnamed = screen(
        consent={"screening": True, "referral": True, "share": ["sex", "nationality", "answers"]}
    )["case_id"]
    refer(api, named, "org-a")
    api(
        "screener",
        "POST",
        f"/cases/{unnamed}/referrals",
        {"partner": "org-a", "services": ["shelter"], "urgency": "normal", "share": ["sex"]},
    )
    first = run_cli("reports", "export-htcds", "--recipient", "org-a", "--out", str(tmp_path / "a"))
    assert first.exit_code == 0, first.output
    assert len(read(tmp_path / "a", "person.csv")) == 2
    clock.advance(days=800)
    shredded = app.test_cli_runner().invoke(args=["retention", "apply"])
    assert shredded.output.startswith("shredded 2 records"), shredded.output
    # Retention leaves a partner only that the referral existed and how it ended: nothing of
    # the person goes in an export either.
    second = run_cli(
        "reports", "export-htcds", "--recipient", "org-a", "--out", str(tmp_path / "b")
    )
    assert second.exit_code == 0, second.output
    for name in ("person.csv", "victim_context.csv", "case.csv", "referral.csv"):
        assert read(tmp_path / "b", name) == [], name


@pytest.mark.parametrize("how", ["suspended", "lapsed"])
def test_a_partner_out_of_standing_gets_no_export(
    how: str,
    app: Flask,
    clock: Any,
    screen: Any,
    api: Callable[..., Any],
    run_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    # org-a is vetted through today only, so passing midnight lapses it with no event at all.
    with app.app_context():
        store = db.session()
        today = clock.now().date().isoformat()
        directory_import.import_partners(
            store,
            [{**PARTNERS[0], "vetting": {"status": "vetted", "valid_until": today}}],
            clock.now(),
        )
        store.commit()
    case_id = screen(consent={"screening": True, "referral": True, "share": ["given_name"]})[
        "case_id"
    ]
    refer(api, case_id, "org-a")
    first = run_cli("reports", "export-htcds", "--recipient", "org-a", "--out", str(tmp_path / "a"))
    assert first.exit_code == 0, first.output
    assert [p["prs_FirstName"] for p in read(tmp_path / "a", "person.csv")] == ["Canaryapi"]
    if how == "lapsed":
        midnight = datetime.combine(clock.now().date() + timedelta(days=1), time(), UTC)
        clock.advance(seconds=(midnight - clock.now()).total_seconds() + 60)
    else:
        with app.app_context():
            store = db.session()
            profile = directory.by_slug(store, "org-a")
            assert profile is not None
            directory.set_vetting(store, profile, "suspended", None, clock.now())
            store.commit()
    with app.app_context():
        store = db.session()
        reads_before = store.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "person.read")
        )
    refused = run_cli(
        "reports", "export-htcds", "--recipient", "org-a", "--out", str(tmp_path / "b")
    )
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: partner organisation 'org-a' is not in standing (vetted and in date):"
        " nothing is exported to it\n"
    )
    assert not (tmp_path / "b").exists()
    with app.app_context():
        store = db.session()
        assert store.scalar(sa.select(sa.func.count()).select_from(releases)) == 1
        reads_after = store.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "person.read")
        )
    assert reads_after == reads_before  # no name was opened for it


def test_an_unknown_recipient_or_a_used_folder_is_refused(
    run_cli: Callable[..., Any], tmp_path: Path, accounts: Any
) -> None:
    unknown = run_cli(
        "reports", "export-htcds", "--recipient", "nobody", "--out", str(tmp_path / "a")
    )
    assert unknown.exit_code != 0
    assert "no partner organisation 'nobody'" in unknown.output
    assert (
        run_cli(
            "reports", "export-htcds", "--recipient", "org-a", "--out", str(tmp_path / "b")
        ).exit_code
        == 0
    )
    again = run_cli("reports", "export-htcds", "--recipient", "org-a", "--out", str(tmp_path / "b"))
    assert again.exit_code != 0
    assert "exists already" in again.output


def test_a_folder_that_cannot_be_made_is_refused_and_no_release_recorded(
    app: Flask, run_cli: Callable[..., Any], tmp_path: Path, accounts: Any
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    result = run_cli(
        "reports", "export-htcds", "--recipient", "org-a", "--out", str(a_file / "export")
    )
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output == f"Error: cannot write {a_file / 'export'}: Not a directory\n"
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(releases)) == 0


def test_a_partner_that_declined_or_saw_the_referral_withdrawn_gets_nothing_of_the_person(
    screen: Any, api: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    declined = screen(consent={"screening": True, "referral": True, "share": ["given_name"]})
    withdrawn = screen(
        consent={"screening": True, "referral": True, "share": ["given_name"]},
        subject={"given_name": "Canarywithdrawn", "age": 30, "location": {"country": "XK"}},
    )
    kept = screen(
        consent={"screening": True, "referral": True, "share": ["given_name"]},
        subject={"given_name": "Canarykept", "age": 30, "location": {"country": "XK"}},
    )
    first = refer(api, declined["case_id"], "org-a")
    second = refer(api, withdrawn["case_id"], "org-a")
    refer(api, kept["case_id"], "org-a")
    declining = api("partner", "POST", f"/referrals/{first}/decline", {"reason": "no_capacity"})
    assert declining.status_code == 200
    assert api("screener", "POST", f"/referrals/{second}/withdraw").status_code == 200
    folder = tmp_path / "htcds"
    result = run_cli("reports", "export-htcds", "--recipient", "org-a", "--out", str(folder))
    assert result.exit_code == 0, result.output
    assert [p["prs_FirstName"] for p in read(folder, "person.csv")] == ["Canarykept"]
    assert len(read(folder, "referral.csv")) == 1
    text = "".join(path.read_text(encoding="utf-8") for path in folder.iterdir())
    assert "Canaryapi" not in text
    assert "Canarywithdrawn" not in text


def test_the_export_holds_only_what_the_referrals_shared_within_the_consent(
    screen: Any, api: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    # The person agreed to share everything; the screener sent the partner the needs alone.
    case_id = screen(consent={"screening": True, "referral": True, "share": list(FULL)})["case_id"]
    refer(api, case_id, "org-a", ("languages",))
    folder = tmp_path / "htcds"
    result = run_cli("reports", "export-htcds", "--recipient", "org-a", "--out", str(folder))
    assert result.exit_code == 0, result.output
    [person] = read(folder, "person.csv")
    assert (person["prs_FirstName"], person["prs_SecondName"], person["prs_Gender"]) == ("", "", "")
    assert person["prs_PrimaryLanguage"] == "fra"
    assert read(folder, "victim_context.csv") == []


def test_opening_the_answers_for_the_export_is_audited_as_a_read_of_the_screening(
    app: Flask, screen: Any, api: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    made = screen(consent={"screening": True, "referral": True, "share": ["answers"]})
    refer(api, made["case_id"], "org-a", ("answers",))
    folder = tmp_path / "htcds"
    result = run_cli("reports", "export-htcds", "--recipient", "org-a", "--out", str(folder))
    assert result.exit_code == 0, result.output
    assert len(read(folder, "victim_context.csv")) == 1
    with app.app_context():
        reads = (
            db.session()
            .execute(
                sa.select(AuditEvent.object_id, AuditEvent.actor_role).where(
                    AuditEvent.action == "screening.read", AuditEvent.actor_role == "cli"
                )
            )
            .all()
        )
    assert [tuple(r) for r in reads] == [(made["id"], "cli")]
