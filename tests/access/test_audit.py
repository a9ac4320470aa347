"""The audit log: what is recorded (R43, R45-R47), failing closed (R44), the hash chain and its
verifier (R49, R53), append-only storage (R51), checkpoints (R52), and the auditor's views."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import DBAPIError, IntegrityError

from access import audit, audit_chain, audit_verify, passwords, services
from access.models import AuditEvent, AuditHead, Team, User
from core import clock, db, keys
from tests.helpers import Account, Client, seal_audit


def actions(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = (
            db.session()
            .execute(sa.select(AuditEvent.action, AuditEvent.outcome).order_by(AuditEvent.id))
            .all()
        )
    return [(a, o) for a, o in rows]


def all_rows(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            audit.as_dict(r)
            for r in db.session()
            .execute(sa.select(AuditEvent.__table__).order_by(AuditEvent.id))
            .all()
        ]


def fill(app: Flask, count: int) -> None:
    with app.app_context():
        store = db.session()
        for number in range(count):
            audit.record(store, "test.event", object_type="thing", object_id=str(number))
        store.commit()
    seal_audit(app)


def verify(app: Flask, checkpoint: dict[str, Any] | None = None) -> audit_verify.Verification:
    with app.app_context():
        store, key = db.session(), keys.keyring().audit
        return audit_verify.verify(store, key, clock.now(), 1.0, checkpoint)


@contextmanager
def tampering(app: Flask) -> Iterator[Any]:
    """A connection of someone with write access to the database, triggers bypassed."""
    engine = app.extensions["passage.engine"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(sa.text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            connection.execute(sa.text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        yield connection


events = AuditEvent.__table__


# What is recorded -----------------------------------------------------------------------


def test_sign_in_and_out_are_audited(
    app: Flask, client: Client, accounts: dict[str, Account]
) -> None:
    client.sign_in(accounts["screener"])
    client.post("/logout", form_page="/")
    assert actions(app)[-3:] == [
        ("sign_in.password", "allowed"),
        ("sign_in", "allowed"),
        ("sign_out", "allowed"),
    ]


def test_failed_factors_are_audited_with_which_failed(
    app: Flask, client: Client, accounts: dict[str, Account]
) -> None:
    account = accounts["screener"]
    client.password_step(account, "not the right passphrase")
    client.post(
        "/login", {"email": "nobody.known@test.passage.example", "password": "whatever passphrase"}
    )
    client.password_step(account)
    client.post("/login/code", {"code": "000000"})
    rows = all_rows(app)[-4:]
    assert [(r["action"], r["outcome"], r["details"].get("reason")) for r in rows] == [
        ("sign_in.password", "failed", "wrong_password"),
        ("sign_in.password", "failed", "unknown_account"),
        ("sign_in.password", "allowed", None),
        ("sign_in.code", "failed", "wrong_code"),
    ]
    assert rows[0]["object_id"] == str(account.id)
    assert rows[1]["object_id"] is None


def test_throttling_and_lockout_are_audited(make_app: Any, clock: Any, make_account: Any) -> None:
    app = make_app(LOCKOUT_THRESHOLD=3)
    account = make_account("auditor")
    client = Client(app, clock)
    for _ in range(3):
        client.password_step(account, "not the right passphrase")
    client.password_step(account)
    recorded = actions(app)
    assert ("account.locked", "denied") in recorded
    assert recorded[-1] == ("sign_in.password", "denied")


def test_enrolment_and_expiry_are_audited(app: Flask, client: Client, make_account: Any) -> None:
    account = make_account("screener", enrolled=False)
    client.sign_in(account)
    client.clock.advance(minutes=31)
    client.get("/")
    recorded = actions(app)
    assert ("second_factor.enrolled", "allowed") in recorded
    assert recorded[-1] == ("session.expired_idle", "denied")


def test_password_role_and_second_factor_changes_are_audited(
    app: Flask, clock: Any, accounts: dict[str, Account]
) -> None:
    user_id = accounts["screener"].id
    with app.app_context():
        store = db.session()
        user = store.get(User, user_id)
        assert user is not None
        passwords.set_password(store, user, "another synthetic passphrase", "account", clock.now())
        services.change_role(store, user, "supervisor", clock.now(), team="Team A")
        services.reset_second_factor(store, user, clock.now())
        store.commit()
        team_a = str(store.scalar(sa.select(Team.id).where(Team.name == "Team A")))
    changes = [
        (row["action"], row["object_id"], row["details"])
        for row in all_rows(app)
        if row["action"] in ("password.changed", "user.role_changed", "second_factor.reset")
    ]
    assert changes == [
        ("password.changed", str(user_id), {"via": "account"}),
        ("user.role_changed", str(user_id), {"role": "supervisor", "team": team_a}),
        ("second_factor.reset", str(user_id), {}),
    ]


def test_admin_actions_are_audited_with_actor_and_object(
    app: Flask, client: Client, accounts: dict[str, Account]
) -> None:
    client.sign_in(accounts["admin"])
    target = f"/admin/users/{accounts['screener'].id}"
    for action in ("disable", "enable", "unlock", "end-sessions"):
        client.post(f"{target}/{action}", form_page=target)
    rows = all_rows(app)[-4:]
    assert [r["action"] for r in rows] == [
        "user.disabled",
        "user.enabled",
        "user.unlocked",
        "sessions.ended",
    ]
    for row in rows:
        assert row["actor_id"] == str(accounts["admin"].id)
        assert row["actor_role"] == "admin"
        assert row["object_id"] == str(accounts["screener"].id)
        assert row["request_id"]
        assert row["client_ip"] == "127.0.0.1"


def test_events_name_the_actors_team_or_partner_organisation(
    app: Flask, new_client: Any, accounts: dict[str, Account]
) -> None:
    with app.app_context():
        screener = db.session().get(User, accounts["screener"].id)
        partner = db.session().get(User, accounts["partner"].id)
        assert screener is not None
        assert partner is not None
        team, organisation = str(screener.team_id), str(partner.partner_id)
    for name, expected in (("screener", team), ("partner", organisation)):
        client = new_client()
        client.sign_in(accounts[name])
        assert client.get("/admin/users").status_code == 403
        row = all_rows(app)[-1]
        assert (row["action"], row["actor_id"]) == ("access.denied", str(accounts[name].id))
        assert row["actor_org"] == expected


def test_a_missing_step_up_is_audited(app: Flask, signed_in: Any) -> None:
    client = signed_in("admin")
    client.clock.advance(minutes=6)
    assert "/reauth" in client.get("/admin/users").location
    row = all_rows(app)[-1]
    assert (row["action"], row["outcome"]) == ("step_up.required", "denied")
    assert row["details"] == {"endpoint": "admin.users"}


def test_access_denials_are_audited(app: Flask, signed_in: Any) -> None:
    client = signed_in("screener")
    assert client.get("/admin/users").status_code == 403
    row = all_rows(app)[-1]
    assert (row["action"], row["outcome"]) == ("access.denied", "denied")
    assert row["details"] == {"action": "users.manage", "endpoint": "admin.users"}


def test_api_role_refusals_are_audited(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    token = issue_token(accounts["partner"])
    response = client.get("/api/v1/audit/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    row = all_rows(app)[-1]
    assert (row["action"], row["outcome"]) == ("access.denied", "denied")
    assert row["actor_id"] == str(accounts["partner"].id)
    assert row["details"] == {"action": "audit.read", "endpoint": "access_api.audit_events"}


def test_object_refusal_is_a_404_and_audited(
    app: Flask, signed_in: Any, accounts: dict[str, Account]
) -> None:
    client = signed_in("screener")
    client.reauth(accounts["screener"])
    response = client.post("/account/sessions/" + "f" * 64 + "/end", form_page="/account")
    assert response.status_code == 404
    row = all_rows(app)[-1]
    assert (row["action"], row["outcome"]) == ("access.denied", "denied")
    assert row["details"]["action"] == "account.manage"


def test_tokens_and_cli_actions_are_audited_as_cli(app: Flask, make_account: Any) -> None:
    account = make_account("auditor")
    runner = app.test_cli_runner()
    runner.invoke(args=["tokens", "issue", account.email])
    row = all_rows(app)[-1]
    assert (row["action"], row["actor_role"], row["object_type"]) == (
        "token.issued",
        "cli",
        "api_token",
    )


def test_no_personal_data_or_secrets_in_the_audit_log(
    app: Flask, client: Client, make_account: Any
) -> None:
    account = make_account("screener", email="canary.person@test.passage.example")
    client.password_step(account, "canary-wrong-passphrase")
    client.post(
        "/login",
        {"email": "canary.unknown@test.passage.example", "password": "canary-other-passphrase"},
    )
    client.sign_in(account)
    text = json.dumps(all_rows(app))
    for secret in ("canary", account.password, account.secret, client.cookie() or "x" * 40):
        assert secret not in text


# Failing closed ---------------------------------------------------------------------------


def test_change_is_refused_when_it_cannot_be_audited(
    app: Flask, client: Client, accounts: dict[str, Account], monkeypatch: Any
) -> None:
    client.sign_in(accounts["admin"])
    target = f"/admin/users/{accounts['screener'].id}"
    client.get(target)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "append", broken)
    response = client.post(f"{target}/disable", form_page=target)
    assert response.status_code == 500
    monkeypatch.undo()
    with app.app_context():
        from access.models import User

        assert db.session().get(User, accounts["screener"].id).disabled_at is None


def test_sign_in_fails_closed_without_audit(
    client: Client, accounts: dict[str, Account], monkeypatch: Any
) -> None:
    monkeypatch.setattr(audit, "append", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    response = client.password_step(accounts["screener"])
    assert response.status_code == 500
    monkeypatch.undo()
    assert client.get("/").status_code == 302


def test_auditor_view_fails_closed_without_audit(
    app: Flask, signed_in: Any, monkeypatch: Any
) -> None:
    client = signed_in("auditor")
    monkeypatch.setattr(audit, "append", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    response = client.get("/audit/events")
    assert response.status_code == 500
    assert "sign_in" not in response.get_data(as_text=True)


def test_auditor_view_fails_closed_when_the_database_refuses_its_event(
    app: Flask, signed_in: Any
) -> None:
    client = signed_in("auditor")
    engine = app.extensions["passage.engine"]

    def refuse_audit_inserts(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
            raise OSError("audit store unavailable")

    sa.event.listen(engine, "before_cursor_execute", refuse_audit_inserts)
    try:
        response = client.get("/audit/events")
    finally:
        sa.event.remove(engine, "before_cursor_execute", refuse_audit_inserts)
    assert response.status_code == 500
    assert "sign_in" not in response.get_data(as_text=True)
    assert "audit.viewed" not in [action for action, _ in actions(app)]


# The chain and its verifier ---------------------------------------------------------------


def test_chain_and_entry_macs_are_domain_separated_hmacs_of_the_canonical_json() -> None:
    # Worked out apart from audit_chain, with json.dumps(sort_keys=True, separators=(",", ":"))
    # and hmac: the chain MAC over b"passage-audit-v1\x00", the previous MAC, b"\x00" and the
    # event; the entry MAC over b"passage-audit-entry-v1\x00" and the event without seq.
    event = {
        "seq": 1,
        "at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "actor_id": "u-1",
        "actor_role": "admin",
        "actor_org": None,
        "action": "test.event",
        "object_type": "thing",
        "object_id": "t-1",
        "outcome": "allowed",
        "client_ip": "192.0.2.1",
        "request_id": "r-1",
        "details": "{}",
    }
    key = bytes(range(32))
    assert audit_chain.canonical(event) == (
        b'{"action":"test.event","actor_id":"u-1","actor_org":null,"actor_role":"admin",'
        b'"at":"2026-01-02T03:04:05.000006Z","client_ip":"192.0.2.1","details":"{}",'
        b'"object_id":"t-1","object_type":"thing","outcome":"allowed","request_id":"r-1",'
        b'"seq":1}'
    )
    assert audit_chain.compute_mac(key, "0" * 64, event) == (
        "840682a7d3465bf9d88f93e33acd35d3129eac182dbe1c1cc6169dd3171cad96"
    )
    assert audit_chain.entry_mac(key, event) == (
        "4f6d6ee8a5eeee922c1acb8020f457ffac89a0f2d90f5193e6c66a8892e8c68c"
    )
    # Since events carry a nonce, their entry MAC covers it, under b"passage-audit-entry-v2\x00";
    # the chain MAC is unchanged.
    nonced = {**event, "nonce": "00112233445566778899aabbccddeeff"}
    assert audit_chain.entry_mac(key, nonced) == (
        "4e92f86cd4bc94f7867d05874c1813b9aa804ea8b12b661f9316608f82cefbe3"
    )
    assert audit_chain.compute_mac(key, "0" * 64, nonced) == (
        "840682a7d3465bf9d88f93e33acd35d3129eac182dbe1c1cc6169dd3171cad96"
    )


def stored(app: Flask) -> list[dict[str, Any]]:
    """The event rows as stored, every column."""
    with app.app_context():
        rows = db.session().execute(sa.select(events).order_by(events.c.id)).mappings().all()
        return [dict(row) for row in rows]


def test_every_event_gets_a_nonce_of_its_own(app: Flask) -> None:
    fill(app, 20)
    nonces = [row["nonce"] for row in stored(app)]
    assert len(set(nonces)) == 20
    assert all(len(n) == 32 and set(n) <= set("0123456789abcdef") for n in nonces)


def test_a_copy_of_an_event_with_its_entry_mac_is_refused_at_its_insert(app: Flask) -> None:
    fill(app, 3)
    original = stored(app)[1]
    copy = {k: v for k, v in original.items() if k not in ("id", "seq", "prev_mac", "mac")}
    engine = app.extensions["passage.engine"]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(events.insert().values(**copy))  # a plain INSERT, as the role may
    seal_audit(app)
    assert verify(app).ok
    assert len(stored(app)) == 3


OLDER = {
    "at": datetime(2026, 3, 1, 9, tzinfo=UTC),
    "actor_id": None,
    "actor_role": "cli",
    "actor_org": None,
    "action": "test.older",
    "object_type": "thing",
    "object_id": "o-1",
    "outcome": "allowed",
    "client_ip": None,
    "request_id": None,
    "details": "{}",
}


def test_an_event_written_before_nonces_and_waiting_at_the_upgrade_is_sealed(app: Flask) -> None:
    # Migration 0026 notes the last event id it found: those events have no nonce and are
    # sealed as before.
    with app.app_context():
        older = {**OLDER, "entry_mac": audit_chain.entry_mac(keys.keyring().audit, OLDER)}
    engine = app.extensions["passage.engine"]
    with engine.begin() as connection:
        written = connection.execute(events.insert().values(**older)).inserted_primary_key[0]
        connection.execute(sa.update(AuditHead).values(unbound_until=written))
    seal_audit(app)
    assert verify(app).ok
    assert [row["seq"] for row in stored(app)] == [1]


def test_a_copy_of_an_event_from_before_nonces_is_never_sealed_and_is_named(app: Flask) -> None:
    # An event written before events had a nonce, as migration 0026 found it: its entry MAC
    # over its content alone. A copy of it, made after, is left unsealed and named.
    fill(app, 2)
    with app.app_context():
        older = {**OLDER, "entry_mac": audit_chain.entry_mac(keys.keyring().audit, OLDER)}
    engine = app.extensions["passage.engine"]
    with engine.begin() as connection:
        connection.execute(events.insert().values(**older))
    result = verify(app)
    seal_audit(app)
    after = verify(app)
    copy_id = max(row["id"] for row in stored(app))
    assert [row["seq"] for row in stored(app) if row["id"] == copy_id] == [None]
    assert (result.ok, result.reason, result.first_bad_id) == (False, "entry_unbound", copy_id)
    assert (after.ok, after.reason, after.first_bad_id) == (False, "entry_unbound", copy_id)


def test_intact_chain_verifies(app: Flask) -> None:
    fill(app, 30)
    result = verify(app)
    assert result.ok
    assert result.entries_checked == 30


def test_empty_chain_verifies(app: Flask) -> None:
    assert verify(app).as_dict() == {
        "ok": True,
        "entries_checked": 0,
        "first_bad_seq": None,
        "reason": None,
        "expected": None,
        "found": None,
        "last_checkpoint_seq": None,
        "unsealed": 0,
        "oldest_unsealed_seconds": None,
        "first_bad_id": None,
    }


@pytest.mark.parametrize(
    "column", ["action", "outcome", "object_id", "actor_id", "details", "client_ip", "at"]
)
def test_altered_event_is_named(app: Flask, column: str) -> None:
    fill(app, 10)
    value = {"at": sa.func.current_timestamp()}.get(column, "tampered")
    with tampering(app) as connection:
        connection.execute(events.update().where(events.c.seq == 6).values({column: value}))
    result = verify(app)
    assert (result.ok, result.first_bad_seq, result.reason) == (False, 6, "mac_mismatch")
    assert result.entries_checked == 5


def test_deleted_event_is_named(app: Flask) -> None:
    fill(app, 10)
    with tampering(app) as connection:
        connection.execute(events.delete().where(events.c.seq == 4))
    result = verify(app)
    assert (result.first_bad_seq, result.reason) == (4, "sequence_gap")


def test_inserted_event_is_named(app: Flask) -> None:
    fill(app, 10)
    forged = {
        **all_rows(app)[0],
        "seq": 6,
        "action": "forged",
        "prev_mac": "f" * 64,
        "mac": "e" * 64,
        "details": "{}",
    }
    forged.pop("at")
    forged.pop("id")
    with tampering(app) as connection:
        for seq in range(10, 5, -1):
            connection.execute(events.update().where(events.c.seq == seq).values(seq=seq + 100))
        connection.execute(events.insert().values(at=sa.func.current_timestamp(), **forged))
    result = verify(app)
    assert (result.first_bad_seq, result.reason) == (6, "link_broken")


def test_reordered_events_are_named(app: Flask) -> None:
    fill(app, 10)
    with tampering(app) as connection:
        connection.execute(events.update().where(events.c.seq == 3).values(seq=1000))
        connection.execute(events.update().where(events.c.seq == 7).values(seq=3))
        connection.execute(events.update().where(events.c.seq == 1000).values(seq=7))
    result = verify(app)
    assert (result.first_bad_seq, result.reason) == (3, "link_broken")


def test_recomputed_mac_without_the_key_still_breaks_the_next_link(app: Flask) -> None:
    fill(app, 10)
    wrong_key = b"\x01" * 32
    with tampering(app) as connection:
        row = connection.execute(sa.select(events).where(events.c.seq == 5)).mappings().one()
        mac = audit_chain.compute_mac(wrong_key, row["prev_mac"], {**row, "action": "rewritten"})
        connection.execute(
            events.update().where(events.c.seq == 5).values(action="rewritten", mac=mac)
        )
    assert verify(app).first_bad_seq == 5


def test_truncated_tail_is_caught_by_the_head(app: Flask) -> None:
    fill(app, 10)
    with tampering(app) as connection:
        connection.execute(events.delete().where(events.c.seq > 8))
    result = verify(app)
    assert (result.first_bad_seq, result.reason) == (9, "head_mismatch")


def test_truncation_is_caught_by_a_checkpoint(app: Flask, clock: Any) -> None:
    fill(app, 10)
    with app.app_context():
        statement = audit_chain.checkpoint(db.session(), keys.keyring().checkpoint, clock.now())
    with tampering(app) as connection:
        connection.execute(events.delete().where(events.c.seq > 7))
        last_mac = connection.execute(sa.select(events.c.mac).where(events.c.seq == 7)).scalar_one()
        connection.execute(sa.update(AuditHead).values(seq=7, mac=last_mac))
    assert verify(app).ok  # without the checkpoint the cut is invisible
    result = verify(app, statement)
    assert (result.ok, result.reason, result.last_checkpoint_seq) == (False, "truncated", 10)


def test_rehashed_chain_is_caught_by_a_checkpoint(app: Flask, clock: Any) -> None:
    fill(app, 6)
    with app.app_context():
        key = keys.keyring().audit
        statement = audit_chain.checkpoint(db.session(), keys.keyring().checkpoint, clock.now())
    # An insider with the audit key rewrites event 2 and re-seals everything after it.
    with tampering(app) as connection:
        rows = connection.execute(sa.select(events).order_by(events.c.seq)).mappings().all()
        prev = rows[0]["mac"]
        for row in rows[1:]:
            values = {**row, "prev_mac": prev}
            if row["seq"] == 2:
                values["action"] = "rewritten"
            mac = audit_chain.compute_mac(key, prev, values)
            connection.execute(
                events.update()
                .where(events.c.seq == row["seq"])
                .values(action=values["action"], prev_mac=prev, mac=mac)
            )
            prev = mac
        connection.execute(sa.update(AuditHead).values(mac=prev))
    assert verify(app).ok
    result = verify(app, statement)
    assert (result.reason, result.first_bad_seq) == ("checkpoint_mismatch", 6)


def test_checkpoint_signature(app: Flask, clock: Any) -> None:
    fill(app, 3)
    with app.app_context():
        private = keys.keyring().checkpoint
        statement = audit_chain.checkpoint(db.session(), private, clock.now())
    assert audit_chain.checkpoint_is_authentic(statement, private.public_key())
    for altered in ({"seq": 2}, {"mac": "0" * 64}, {"at": "2001-01-01T00:00:00Z"}):
        assert not audit_chain.checkpoint_is_authentic(
            {**statement, **altered}, private.public_key()
        )


def test_events_cannot_be_updated_or_deleted_by_the_app(app: Flask) -> None:
    fill(app, 2)
    for statement in (events.update().values(action="x"), events.delete()):
        with pytest.raises(DBAPIError), app.extensions["passage.engine"].begin() as connection:
            connection.execute(statement)
    assert len(all_rows(app)) == 2


def test_a_fork_cannot_be_inserted(app: Flask) -> None:
    fill(app, 3)
    row = all_rows(app)[1]
    row.pop("id")
    with pytest.raises(IntegrityError), app.extensions["passage.engine"].begin() as connection:
        connection.execute(
            events.insert().values(
                **{**row, "seq": 4, "at": sa.func.current_timestamp(), "details": "{}"}
            )
        )


# The verifier's command line --------------------------------------------------------------


def test_cli_verify_reports_intact_and_broken(app: Flask) -> None:
    fill(app, 5)
    runner = app.test_cli_runner()
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0
    assert intact.output.strip() == "intact: 5 events"
    with tampering(app) as connection:
        connection.execute(events.update().where(events.c.seq == 3).values(outcome="denied"))
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert broken.output.startswith("broken at event 3: mac_mismatch")


def test_cli_checkpoint_then_verify_against_it(app: Flask, tmp_path: Any) -> None:
    fill(app, 4)
    runner = app.test_cli_runner()
    out = tmp_path / "checkpoint.json"
    assert runner.invoke(args=["audit", "checkpoint", "--out", str(out)]).exit_code == 0
    statement = json.loads(out.read_text())
    assert statement["seq"] == 4
    assert statement["public_key"]
    assert runner.invoke(args=["audit", "verify", "--checkpoint", str(out)]).exit_code == 0
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**statement, "seq": 3}))
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(forged)])
    assert result.exit_code == 1
    assert "signature" in result.output


# The auditor's pages and API --------------------------------------------------------------


def test_auditor_filters_and_pages_events(app: Flask, signed_in: Any) -> None:
    fill(app, 30)
    client = signed_in("auditor")
    page = client.get("/audit/events?action=test.event&per_page=10&page=2")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "30 events" in body
    assert body.count("<code>test.event</code>") == 10
    assert "Page 2 of 3" in body
    assert re.search(r'href="/audit/events\?after=[\w-]+&amp;action=test.event', body)
    assert re.search(r'href="/audit/events\?before=[\w-]+&amp;action=test.event', body)


def test_the_api_pages_back_through_the_log_by_cursor(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    fill(app, 23)
    headers = {"Authorization": f"Bearer {issue_token(accounts['auditor'])}"}
    seen, url = [], "/api/v1/audit/events?action=test.event&per_page=10"
    while url:
        body = client.get(url, headers=headers).get_json()
        seen += [item["object_id"] for item in body["items"]]
        url = (
            body["next"]
            and f"/api/v1/audit/events?action=test.event&per_page=10&after={body['next']}"
        )
    assert seen == [str(n) for n in range(22, -1, -1)]  # newest first, each once
    assert (body["page"], body["total"], body["total_exact"]) == (3, 23, True)
    last = client.get(f"/api/v1/audit/events?before={body['prev']}", headers=headers)
    assert last.status_code == 200
    wrong = client.get("/api/v1/audit/events?after=not-a-cursor-we-gave", headers=headers)
    assert wrong.status_code == 400
    assert wrong.get_json()["error"]["fields"] == {
        "after": "a cursor this list gave (its next, prev or last)"
    }


def test_invalid_filters_are_form_errors(signed_in: Any) -> None:
    client = signed_in("auditor")
    response = client.get("/audit/events?since=yesterday&actor=not-a-uuid&per_page=501")
    # 400 with the form, as the CSV export and the report pages answer.
    assert response.status_code == 400
    assert response.get_data(as_text=True).count('class="error"') == 3


# Three objects: two whose ids share their first eight characters, and one other.
TWINS = (
    "b9ae4ac5-0000-4000-8000-000000000001",
    "b9ae4ac5-ffff-4000-8000-000000000002",
    "b9ae4ac6-0000-4000-8000-000000000003",
)


def fill_ids(app: Flask) -> None:
    with app.app_context():
        store = db.session()
        for object_id in TWINS:
            audit.record(store, "test.event", object_type="thing", object_id=object_id)
        store.commit()
    seal_audit(app)


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("b9ae4ac5", TWINS[:2]),
        ("B9AE4AC5", TWINS[:2]),
        ("b9ae4ac5-ffff", TWINS[1:2]),
        ("b9ae4ac5ffff", TWINS[1:2]),
        ("b9ae4ac6", TWINS[2:]),
        ("b9ae4ac6-0000-4000-8000-000000000003", TWINS[2:]),
        ("b9ae4ac60000400080000000000000003", ()),
        ("b9ae4ac7", ()),
    ],
)
def test_an_object_id_as_the_table_shows_it_finds_its_events(
    app: Flask, signed_in: Any, typed: str, found: tuple[str, ...]
) -> None:
    fill_ids(app)
    client = signed_in("auditor")
    response = client.get("/audit/events", query_string={"object_id": typed, "per_page": 100})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    shown = sorted(re.findall(r'title="(b9ae4ac[0-9a-f-]+)"', body))
    assert shown == list(found)


def test_the_auditors_own_short_id_finds_their_reads_and_the_reads_stay_audited(
    app: Flask, signed_in: Any, accounts: dict[str, Account]
) -> None:
    client = signed_in("auditor")
    short = str(accounts["auditor"].id)[:8]
    client.get("/audit/events")
    response = client.get(f"/audit/events?actor={short}&action=audit.viewed")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'title="{accounts["auditor"].id}">{short}</a> auditor' in body
    assert "0 events" not in body
    with app.app_context():
        viewed = db.session().scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "audit.viewed")
        )
    assert viewed == 2


def test_a_too_short_actor_id_says_what_to_write(signed_in: Any) -> None:
    client = signed_in("auditor")
    response = client.get("/audit/events?actor=b9ae4a")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        "Write the id as the table shows it, its first 8 characters or more "
        "(for example b9ae4ac5), or the whole id."
    ) in body
    assert "Invalid UUID" not in body


def test_an_object_id_that_matches_nothing_says_how_ids_are_written(
    app: Flask, signed_in: Any
) -> None:
    fill_ids(app)
    client = signed_in("auditor")
    body = client.get("/audit/events?object_id=b9ae").get_data(as_text=True)
    assert "0 events" in body
    assert (
        "No event has this id. An id can be shortened to its first 8 characters or more, "
        "as the table shows it; fewer match nothing."
    ) in body


def test_the_api_takes_a_short_object_id(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    fill_ids(app)
    token = issue_token(accounts["auditor"])
    response = client.get(
        "/api/v1/audit/events?object_id=b9ae4ac5&per_page=10",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert sorted(item["object_id"] for item in response.get_json()["items"]) == list(TWINS[:2])


def test_the_web_log_shows_at_most_a_hundred_events_a_page(app: Flask, signed_in: Any) -> None:
    fill(app, 120)
    client = signed_in("auditor")
    full = client.get("/audit/events?action=test.event&per_page=100")
    assert full.get_data(as_text=True).count("<code>test.event</code>") == 100
    refused = client.get("/audit/events?action=test.event&per_page=101")
    assert refused.status_code == 400
    assert "Number must be between 1 and 100." in refused.get_data(as_text=True)


def test_api_lists_events_with_filters(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    fill(app, 12)
    token = issue_token(accounts["auditor"])
    response = client.get(
        "/api/v1/audit/events?action=test.event&per_page=5&page=3",
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (3, 5, 12)
    assert [item["object_id"] for item in body["items"]] == ["1", "0"]
    huge = client.get(
        "/api/v1/audit/events?page=99999999999999999999",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert huge.status_code == 400
    bad = client.get(
        "/api/v1/audit/events?outcome=maybe&page=0", headers={"Authorization": f"Bearer {token}"}
    )
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["fields"]) == {"outcome", "page"}


def test_api_verify(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    fill(app, 3)
    token = issue_token(accounts["auditor"])
    body = client.get(
        "/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert body["ok"] is True
    assert body["entries_checked"] >= 3


def test_api_verify_reports_every_field_of_a_break_and_is_audited(
    app: Flask, client: Client, accounts: dict[str, Account], issue_token: Any
) -> None:
    fill(app, 4)
    seal_audit(app)
    with tampering(app) as connection:
        connection.execute(events.update().where(events.c.seq == 2).values(action="x"))
    token = issue_token(accounts["auditor"])
    body = client.get(
        "/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert set(body) == {
        "ok",
        "entries_checked",
        "first_bad_seq",
        "reason",
        "expected",
        "found",
        "last_checkpoint_seq",
        "unsealed",
        "oldest_unsealed_seconds",
        "first_bad_id",
    }
    assert (body["ok"], body["entries_checked"], body["first_bad_seq"], body["reason"]) == (
        False,
        1,
        2,
        "mac_mismatch",
    )
    assert body["expected"] != body["found"]
    verified = [row for row in all_rows(app) if row["action"] == "audit.verified"]
    assert [(row["outcome"], row["details"]["via"]) for row in verified] == [("failed", "api")]


def test_verify_page_shows_the_break(app: Flask, signed_in: Any) -> None:
    fill(app, 4)
    client = signed_in("auditor")
    seal_audit(app)
    assert "Intact" in client.get("/audit/verify").get_data(as_text=True)
    with tampering(app) as connection:
        connection.execute(events.update().where(events.c.seq == 2).values(action="x"))
    body = client.get("/audit/verify").get_data(as_text=True)
    assert "Broken at event 2" in body
    assert "mac_mismatch" in body


def test_csv_export_needs_step_up_and_is_audited(
    app: Flask, signed_in: Any, accounts: dict[str, Account]
) -> None:
    fill(app, 3)
    client = signed_in("auditor")
    client.clock.advance(minutes=6)
    assert "/reauth" in client.get("/audit/events.csv").location
    client.reauth(accounts["auditor"])
    response = client.get("/audit/events.csv?action=test.event")
    assert response.headers["Content-Disposition"].startswith("attachment")
    lines = response.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("id,seq,at,actor_id")
    assert len(lines) == 4
    assert ("audit.exported", "allowed") in actions(app)


def test_csv_cells_cannot_become_formulas(
    app: Flask, signed_in: Any, accounts: dict[str, Account]
) -> None:
    with app.app_context():
        store = db.session()
        audit.record(store, "test.event", object_type="thing", object_id="=HYPERLINK(1)")
        store.commit()
    client = signed_in("auditor")
    body = client.get("/audit/events.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in body
    assert re.search(r",=HYPERLINK", body) is None


@pytest.mark.parametrize("since", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00"])
def test_far_away_dates_are_form_errors(
    client: Client, accounts: dict[str, Account], issue_token: Any, since: str
) -> None:
    token = issue_token(accounts["auditor"])
    response = client.get(
        f"/api/v1/audit/events?since={since.replace('+', '%2B')}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert "since" in response.get_json()["error"]["fields"]
