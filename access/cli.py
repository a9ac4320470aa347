"""Command-line management: users, API tokens, the audit chain and demo data
(``flask --app wsgi users|tokens|audit|demo ...``); keys and backups are in
access/recovery_cli.py."""

from __future__ import annotations

import json
import signal
import sys
import uuid
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from access import approvals, audit, audit_chain, audit_sealer, passwords, services, tokens, totp
from access.models import User
from access.passwords import PasswordRejected
from access.roles import Role
from core import clock, db, keys, settings
from core.hooks import Hook

# Told ``store`` and ``now`` by ``demo``: later packages load their own demo data (the partner
# directory, the statistics' facts) without access importing them (core/hooks.py).
demo_data = Hook("demo.data")

users_cli = AppGroup("users", help="Create, disable and list users.")
tokens_cli = AppGroup("tokens", help="Issue, list and revoke API tokens.")


def _fail(message: object) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _user_or_fail(store: Any, email: str) -> User:
    user = services.find_user(store, email)
    if user is None:
        _fail("no such user")
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--team", help="Team name (screeners and supervisors); created if new.")
@click.option("--partner", help="Partner organisation slug (partner staff).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(
    email: str, role: str, team: str | None, partner: str | None, password_stdin: bool
) -> None:
    """Create a user and print the second-factor provisioning URI, once.

    Takes effect at once, whatever the role: the operator at the console already holds the
    database and the keys, so the console is itself the second channel that the web's
    approvals provide (and the first administrator can only be made here)."""
    store = db.session()
    try:
        user = services.create_user(
            store,
            email,
            role,
            clock.now(),
            team=team,
            partner=partner,
            password=_read_password(password_stdin),
        )
    except (services.UserError, PasswordRejected) as error:
        _fail(error)
    store.commit()
    click.echo(f"created {user.role} {user.email} ({user.id})")
    click.echo(
        "Second factor: add this to an authenticator app (shown only now; the QR code "
        "also appears at first sign-in):"
    )
    click.echo(
        totp.provisioning_uri(
            services.totp_secret(store, user), user.email, settings.current().totp_issuer
        )
    )


@users_cli.command("disable")
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Disable a user: no sign-in, no API tokens, every session ended."""
    store = db.session()
    user = _user_or_fail(store, email)
    services.disable_user(store, user, clock.now())
    store.commit()
    click.echo(f"disabled {user.email}")


@users_cli.command("link")
@click.argument("email")
def password_link_command(email: str) -> None:
    """Print a single-use link for EMAIL to choose a password, for the operator to hand over
    (the web pages send links by e-mail only, and without mail never show them)."""
    store = db.session()
    user = _user_or_fail(store, email)
    if user.disabled_at is not None:
        _fail("the account is disabled")
    hours = settings.current().password_link_hours
    token = passwords.issue_password_link(store, user, clock.now(), hours)
    store.commit()
    click.echo(passwords.password_link_url(settings.current(), token))
    click.echo(f"single use, expires in {hours} hours; give it to {user.email} only", err=True)


@users_cli.command("expire-changes")
def expire_changes_command() -> None:
    """Close account changes nobody approved in time (safe to run from cron)."""
    store = db.session()
    count = approvals.expire_overdue(store, clock.now())
    store.commit()
    click.echo(f"{count} expired")


@users_cli.command("list")
def list_users_command() -> None:
    """List users with role, membership and state."""
    for user in services.list_users(db.session())[0]:
        member = user.team.name if user.team else user.partner.slug if user.partner else "-"
        state = (
            "disabled"
            if user.disabled_at
            else "locked"
            if user.locked_at
            else "active"
            if user.totp_confirmed_at
            else "not-enrolled"
        )
        click.echo(f"{user.email}\t{user.role}\t{member}\t{state}")


@tokens_cli.command("issue")
@click.argument("email")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=None,
    help="Days until the token expires (default API_TOKEN_DAYS).",
)
def issue_token_command(email: str, days: int | None) -> None:
    """Print a new API token for EMAIL, once; only its hash is kept."""
    store = db.session()
    user = services.find_user(store, email)
    if user is None or not user.is_active:
        _fail("no such active user")
    if user.totp_confirmed_at is None:
        _fail("the account has no confirmed second factor: it must sign in and enrol first")
    row, token = tokens.issue_token(
        store, user, clock.now(), days or settings.current().api_token_days
    )
    store.commit()
    click.echo(token)
    click.echo(
        f"token {row.id} for {user.email} expires {row.expires_at:%Y-%m-%d %H:%M} UTC", err=True
    )


@tokens_cli.command("list")
@click.argument("email")
def list_tokens_command(email: str) -> None:
    """List EMAIL's tokens (ids and dates, never the tokens)."""
    store = db.session()
    user = _user_or_fail(store, email)
    for row in tokens.list_tokens(store, user):
        state = (
            "revoked" if row.revoked_at else "expired" if row.expires_at <= clock.now() else "live"
        )
        click.echo(f"{row.id}\t{row.created_at:%Y-%m-%d}\t{row.expires_at:%Y-%m-%d}\t{state}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.UUID)
def revoke_token_command(token_id: uuid.UUID) -> None:
    """Revoke a token by its id (from ``tokens list``)."""
    store = db.session()
    if not tokens.revoke_token(store, token_id, clock.now()):
        _fail("no live token with that id")
    store.commit()
    click.echo("revoked")


DEMO_PASSWORD = "synthetic demo data only"  # noqa: S105 - published on purpose; demo only
# Every vetted demo partner has a staff account: a partner nobody can answer for is never
# offered (referral.routing), and the demo must show partners that are.
DEMO_PARTNERS = (
    ("demo-shelter", "Demo Shelter Network"),
    ("demo-legal", "Demo Legal Aid"),
    ("demo-children", "Demo Child Protection Service"),
)
DEMO_USERS: tuple[tuple[str, Role, dict[str, str]], ...] = (
    ("ada.admin@demo.passage.example", Role.ADMIN, {}),
    ("screener@demo.passage.example", Role.SCREENER, {"team": "Demo North"}),
    ("supervisor@demo.passage.example", Role.SUPERVISOR, {"team": "Demo North"}),
    ("screener.south@demo.passage.example", Role.SCREENER, {"team": "Demo South"}),
    ("partner@demo.passage.example", Role.PARTNER, {"partner": "demo-shelter"}),
    ("partner.legal@demo.passage.example", Role.PARTNER, {"partner": "demo-legal"}),
    ("partner.children@demo.passage.example", Role.PARTNER, {"partner": "demo-children"}),
    ("auditor@demo.passage.example", Role.AUDITOR, {}),
    ("analyst@demo.passage.example", Role.ANALYST, {}),
)


def _refuse_outside_development() -> None:
    if settings.current().env == "production":
        _fail("demo data has published passwords; it is refused when PASSAGE_ENV=production")


@click.group("demo", cls=AppGroup, invoke_without_command=True)
@click.pass_context
@with_appcontext
def demo_cli(context: click.Context) -> None:
    """Load demo partners and users (development only); `demo code EMAIL` prints a code."""
    _refuse_outside_development()
    if context.invoked_subcommand is None:
        _load_demo()


def _load_demo() -> None:
    store = db.session()
    now = clock.now()
    for slug, name in DEMO_PARTNERS:
        services.ensure_partner_organisation(store, slug, name)
    for email, role, membership in DEMO_USERS:
        user = services.find_user(store, email)
        if user is None:
            user = services.create_user(
                store,
                email,
                role,
                now,
                password=DEMO_PASSWORD,
                team=membership.get("team"),
                partner=membership.get("partner"),
            )
            user.totp_confirmed_at = now
    # Later packages (the partner directory, cases screened by the demo screener) add their
    # demo data without access importing them.
    demo_data.tell(store=store, now=now)
    store.commit()
    click.echo("Demo data (synthetic, never real people). Sign in at http://127.0.0.1:5000 as:")
    for email, role, _membership in DEMO_USERS:
        click.echo(f"  {role.value:<11} {email}")
    click.echo(f"Password for all of them: {DEMO_PASSWORD}")
    click.echo(
        "Second-factor code: run `make demo-code EMAIL=<address>` "
        "(or `flask --app wsgi demo code <address>`)."
    )


@demo_cli.command("code")
@click.argument("email")
def demo_code_command(email: str) -> None:
    """Print the current second-factor code of a demo user."""
    store = db.session()
    user = services.find_user(store, email)
    if user is None or user.email not in {e for e, _r, _m in DEMO_USERS}:
        _fail("only demo users' codes are shown")
    click.echo(totp.code_at(services.totp_secret(store, user), totp.step_at(clock.now())))


audit_cli = AppGroup("audit", help="Seal and verify the audit chain, and write signed checkpoints.")


@audit_cli.command("seal")
@click.option("--watch", is_flag=True, help="Keep sealing until stopped (run as a service).")
def seal_audit_command(watch: bool) -> None:
    """Chain every committed, unsealed audit event; with --watch, within the configured
    maximum delay for as long as it runs (AUDIT_SEALER = "external")."""
    sealer = audit_sealer.of(current_app._get_current_object())  # type: ignore[attr-defined]
    if not watch:
        click.echo(f"sealed {sealer.seal_now()} events")
        return
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: sealer.stop())
    click.echo(f"sealing every {sealer.poll:g} s; stop with Ctrl-C")
    sealer.watch()


@audit_cli.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r"),
    help="A signed checkpoint from `audit checkpoint`; also catches a cut tail.",
)
def verify_audit_command(checkpoint_file: Any) -> None:
    """Exit 0 with `intact: N events`, or 1 naming the first event that breaks the chain."""
    store = db.session()
    statement = None
    if checkpoint_file is not None:
        statement = _read_checkpoint(checkpoint_file)
    result = audit.run_verification(store, via="cli", checkpoint=statement)
    store.commit()
    waiting = f"; {result.unsealed} waiting to be sealed" if result.unsealed else ""
    if result.ok:
        click.echo(f"intact: {result.entries_checked} events{waiting}")
        return
    if result.first_bad_id is not None:
        click.echo(f"unsealed event {result.first_bad_id} was altered: {result.reason}")
        sys.exit(1)
    click.echo(
        f"broken at event {result.first_bad_seq}: {result.reason} "
        f"(expected {result.expected}, found {result.found}; "
        f"{result.entries_checked} events intact before it)"
    )
    sys.exit(1)


def _read_checkpoint(handle: Any) -> dict[str, Any]:
    try:
        statement = json.load(handle)
    except ValueError:
        _fail("the checkpoint file is not JSON")
    public = keys.keyring().checkpoint.public_key()
    authentic = isinstance(statement, dict) and audit_chain.checkpoint_is_authentic(
        statement, public
    )
    if not authentic:
        _fail("the checkpoint's signature does not verify with this installation's key")
    return dict(statement)


@audit_cli.command("checkpoint")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the statement to this file as well as printing it.",
)
def checkpoint_audit_command(out: str | None) -> None:
    """Seal what is committed, then print a signed (Ed25519) statement of the chain head, for
    auditors to keep elsewhere."""
    audit_sealer.of(current_app._get_current_object()).seal_now()  # type: ignore[attr-defined]
    store = db.session()
    ring = keys.keyring()
    statement = audit_chain.checkpoint(store, ring.checkpoint, clock.now())
    statement["public_key"] = keys.public_key_text(ring.checkpoint)
    audit.record(store, "audit.checkpoint", details={"seq": statement["seq"]})
    text = json.dumps(statement, indent=2)
    if out:
        # Written before the record is committed: a file that cannot be written records nothing.
        try:
            Path(out).write_text(text + "\n")
        except OSError as error:
            store.rollback()
            raise click.ClickException(f"cannot write {out}: {error.strerror}") from error
    store.commit()
    click.echo(text)
