"""Every command line command given bad input: a clear message and a non-zero exit, never a
traceback, and nothing stored changed.

The commands are found by walking the app's click group, so a new command without cases
here fails ``test_every_command_has_hostile_cases``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa
from flask import Flask

from core import db

# Flask's and Flask-Limiter's own commands are theirs to test.
NOT_OURS = {"run", "shell", "routes", "limiter"}

USER = "cli.robust@test.passage.example"
UNKNOWN_EMAIL = "nobody.here@test.passage.example"
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
PASSWORD = "a synthetic cli passphrase\n"


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command under ``group``, groups included."""
    for name, command in sorted(group.commands.items()):
        if not path and name in NOT_OURS:
            continue
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


# (arguments, exit code, words the output must hold). Placeholders in braces are files
# made by the ``files`` fixture. Each command's refusals of its own arguments first,
# then a harmless valid call where the command's refusals depend on it.
USAGE = 2
REFUSED = 1
# What the database's own restore tool says of a file that is not a backup.
NOT_A_BACKUP = {
    "sqlite": "is not an SQLite backup of Passage",
    "postgresql": "pg_restore failed: pg_restore: error: input file",
}
CASES: list[tuple[tuple[str, ...], int, str | dict[str, str]]] = [
    (("init-db", "--bogus"), USAGE, "No such option '--bogus'"),
    (("users", "--bogus"), USAGE, "No such option '--bogus'"),
    (("users", "nosuch"), USAGE, "No such command 'nosuch'"),
    (("users", "create"), USAGE, "Missing argument 'EMAIL'"),
    (("users", "create", "someone@test.passage.example"), USAGE, "Missing option '--role'"),
    (
        ("users", "create", "x@test.passage.example", "--role", "emperor"),
        USAGE,
        "'emperor' is not one of",
    ),
    (
        ("users", "create", "not-an-email", "--role", "auditor", "--password-stdin"),
        REFUSED,
        "e-mail",
    ),
    (("users", "create", "", "--role", "auditor", "--password-stdin"), REFUSED, "e-mail"),
    (
        ("users", "create", USER, "--role", "auditor", "--password-stdin"),
        REFUSED,
        "exists",
    ),
    (
        (
            "users",
            "create",
            "t@test.passage.example",
            "--role",
            "screener",
            "--partner",
            "x",
            "--password-stdin",
        ),
        REFUSED,
        "team",
    ),
    (
        (
            "users",
            "create",
            "x" * 300 + "@test.passage.example",
            "--role",
            "auditor",
            "--password-stdin",
        ),
        REFUSED,
        "e-mail",
    ),
    (
        (
            "users",
            "create",
            "t@test.passage.example",
            "--role",
            "screener",
            "--team",
            "T" * 200,
            "--password-stdin",
        ),
        REFUSED,
        "team",
    ),
    (
        ("users", "create", "x@" + "d" * 70 + ".example", "--role", "auditor", "--password-stdin"),
        REFUSED,
        "e-mail",
    ),
    (
        ("users", "create", "x@xn--zz.example", "--role", "auditor", "--password-stdin"),
        REFUSED,
        "e-mail",
    ),
    (
        ("users", "create", "x@b\u00fccher..example", "--role", "auditor", "--password-stdin"),
        REFUSED,
        "e-mail",
    ),
    (("users", "disable"), USAGE, "Missing argument 'EMAIL'"),
    (("users", "disable", "not-an-email"), REFUSED, "no such user"),
    (("users", "disable", UNKNOWN_EMAIL), REFUSED, "no such user"),
    (("users", "link"), USAGE, "Missing argument 'EMAIL'"),
    (("users", "link", "not-an-email"), REFUSED, "no such user"),
    (("users", "expire-changes", "--bogus"), USAGE, "No such option '--bogus'"),
    (("users", "expire-changes"), 0, "0 expired"),
    (("users", "list", "extra"), USAGE, "Got unexpected extra argument (extra)"),
    (("users", "list"), 0, USER),
    (("tokens", "issue"), USAGE, "Missing argument 'EMAIL'"),
    (("tokens", "issue", UNKNOWN_EMAIL), REFUSED, "no such active user"),
    (("tokens", "issue", "not-an-email"), REFUSED, "no such active user"),
    (("tokens", "issue", USER, "--days", "-1"), USAGE, "-1 is not in the range 1<=x<=366"),
    (("tokens", "issue", USER, "--days", "0"), USAGE, "0 is not in the range 1<=x<=366"),
    (("tokens", "issue", USER, "--days", str(10**30)), USAGE, "is not in the range 1<=x<=366"),
    (("tokens", "issue", USER, "--days", "ten"), USAGE, "'ten' is not a valid integer"),
    (("tokens", "list"), USAGE, "Missing argument 'EMAIL'"),
    (("tokens", "list", UNKNOWN_EMAIL), REFUSED, "no such user"),
    (("tokens", "revoke"), USAGE, "Missing argument 'TOKEN_ID'"),
    (("tokens", "revoke", "not-a-uuid"), USAGE, "'not-a-uuid' is not a valid UUID"),
    (("tokens", "revoke", UNKNOWN_UUID), REFUSED, "no live token with that id"),
    (("demo", "--bogus"), USAGE, "No such option '--bogus'"),
    (("demo", "code"), USAGE, "Missing argument 'EMAIL'"),
    (("demo", "code", USER), REFUSED, "only demo users' codes are shown"),
    (("demo", "code", "not-an-email"), REFUSED, "only demo users' codes are shown"),
    (("audit", "seal", "--bogus"), USAGE, "No such option '--bogus'"),
    (("audit", "verify", "--checkpoint"), USAGE, "Option '--checkpoint' requires an argument"),
    (("audit", "verify", "--checkpoint", "{missing}"), USAGE, "No such file or directory"),
    (("audit", "verify", "--checkpoint", "{folder}"), USAGE, "Is a directory"),
    (("audit", "verify", "--checkpoint", "{empty}"), REFUSED, "not JSON"),
    (("audit", "verify", "--checkpoint", "{not_json}"), REFUSED, "not JSON"),
    (("audit", "verify", "--checkpoint", "{bad_utf8}"), REFUSED, "not JSON"),
    (("audit", "verify", "--checkpoint", "{list_json}"), REFUSED, "signature does not verify"),
    (("audit", "verify", "--checkpoint", "{object_json}"), REFUSED, "signature does not verify"),
    (("audit", "checkpoint", "--out", "{folder}"), USAGE, "is a directory"),
    (("audit", "checkpoint", "--out", "{no_folder}/c.json"), REFUSED, "No such file or directory"),
    (("keys", "rotate", "--bogus"), USAGE, "No such option '--bogus'"),
    (("keys", "status", "extra"), USAGE, "Got unexpected extra argument (extra)"),
    (("backup", "create"), USAGE, "Missing option '--out'"),
    (("backup", "create", "--out", "{folder}"), USAGE, "is a directory"),
    (("backup", "create", "--out", "{empty}"), REFUSED, "a backup never overwrites"),
    (("backup", "create", "--out", "{no_folder}/b"), REFUSED, "there is no folder"),
    (("backup", "restore"), USAGE, "Missing argument 'FILE'"),
    (("backup", "restore", "{missing}", "--yes"), REFUSED, "missing.json is not a file"),
    (("backup", "restore", "{folder}", "--yes"), USAGE, "is a directory"),
    (("backup", "restore", "{empty}", "--yes"), REFUSED, NOT_A_BACKUP),
    (("backup", "restore", "{not_json}", "--yes"), REFUSED, NOT_A_BACKUP),
    (("backup", "restore", "{bad_utf8}", "--yes"), REFUSED, NOT_A_BACKUP),
    (("retention", "apply", "--bogus"), USAGE, "No such option '--bogus'"),
    (("retention", "apply", "--dry-run"), 0, "would shred 0 records"),
    (("partners", "import"), USAGE, "Missing argument 'FILE'"),
    (("partners", "import", "{missing}"), USAGE, "No such file or directory"),
    (("partners", "import", "{folder}"), USAGE, "Is a directory"),
    (("partners", "import", "{empty}"), REFUSED, "not JSON"),
    (("partners", "import", "{not_json}"), REFUSED, "not JSON"),
    (("partners", "import", "{bad_utf8}"), REFUSED, "error: not UTF-8 text"),
    (("partners", "import", "{object_json}"), REFUSED, "error:"),
    (("partners", "import", "{list_of_junk}"), REFUSED, "error:"),
    (("partners", "import", "{long_region}"), REFUSED, "error:"),
    (("partners", "import", "{bad_date}"), REFUSED, "must be a date like 2027-01-31"),
    (("partners", "import", "{twice}"), REFUSED, "error:"),
    (("partners", "import", "{nul_name}"), REFUSED, "must not hold control characters"),
    (("partners", "import", "{odd_contact}"), REFUSED, "values are texts"),
    (
        ("partners", "import", "{far_expiry}"),
        REFUSED,
        "[0].vetting.valid_until: at most 10 years from today",
    ),
    (("partners", "import", "{many_areas}"), REFUSED, "[0].areas: at most 100 areas"),
    (("partners", "import", "{escape_region}"), REFUSED, "error: [0].areas"),
    (("partners", "list", "extra"), USAGE, "Got unexpected extra argument (extra)"),
    (("referrals", "escalate", "--bogus"), USAGE, "No such option '--bogus'"),
    (("notices", "send", "--interval", "0"), USAGE, "0 is not in the range 0.1<=x<=86400"),
    (("notices", "send", "--interval", "-5"), USAGE, "-5.0 is not in the range 0.1<=x<=86400"),
    (("notices", "send", "--interval", "soon"), USAGE, "'soon' is not a valid float"),
    (
        ("notices", "send", "--watch", "--interval", str(10**30)),
        USAGE,
        "is not in the range 0.1<=x<=86400",
    ),
    (("notices", "send", "--interval", "86400"), REFUSED, "MAIL_SERVER is not set"),
    (("notices", "send"), REFUSED, "MAIL_SERVER is not set"),
    (("tasks", "remind", "--bogus"), USAGE, "No such option '--bogus'"),
    (("reports", "flush", "--bogus"), USAGE, "No such option '--bogus'"),
    (("reports", "refresh", "extra"), USAGE, "Got unexpected extra argument (extra)"),
    (("reports", "export-htcds"), USAGE, "Missing option '--recipient'"),
    (("reports", "export-htcds", "--recipient", "x"), USAGE, "Missing option '--out'"),
    (
        ("reports", "export-htcds", "--recipient", "no-such-org", "--out", "{no_folder}"),
        USAGE,
        "no-such-org",
    ),
    (("reports", "export-htcds", "--recipient", "x", "--out", "{empty}"), USAGE, "is a file"),
    (("reports", "export-htcds", "--recipient", "", "--out", "{no_folder}"), USAGE, "no partner"),
    (
        ("reports", "export-htcds", "--recipient", "org-cli", "--out", "{empty}/x"),
        REFUSED,
        "Not a directory",
    ),
    (("reports", "export"), USAGE, "Missing argument 'NAME'"),
    (("reports", "export", "no-such-report"), USAGE, "no report 'no-such-report'"),
    (("reports", "export", "ctdc", "--format", "json"), USAGE, "the CTDC file is CSV only"),
    (("reports", "export", "ctdc", "--format", "xml"), USAGE, "'xml' is not one of"),
    (("reports", "export", "ctdc", "--since", "yesterday"), USAGE, "since"),
    (("reports", "export", "ctdc", "--since", "2026-13"), USAGE, "since"),
    (("reports", "export", "ctdc", "--until", "0000-00"), USAGE, "until"),
    (("reports", "export", "ctdc", "--team", "not-a-uuid"), USAGE, "team"),
    (("reports", "export", "ctdc", "--team", UNKNOWN_UUID), USAGE, "team"),
    (("reports", "export", "ctdc", "--team", str(10**30)), USAGE, "team"),
    (("reports", "export", "ctdc", "--country", "Narnia"), USAGE, "country"),
    (("reports", "export", "usage", "--since", "2026-05", "--until", "2026-01"), USAGE, "until"),
    # Months compare as text: one before 2000 (or after 2999) is refused, not taken.
    (("reports", "export", "usage", "--since", "0000-01"), USAGE, "since: A month as YYYY-MM"),
    (("reports", "export", "usage", "--since", "1999-12"), USAGE, "from 2000-01 to 2999-12"),
    (("reports", "export", "usage", "--until", "3000-01"), USAGE, "until: A month as YYYY-MM"),
    (("reports", "export", "usage", "--since", "2026-01\n"), USAGE, "since"),
    (("reports", "export", "usage", "--since", "2000-01"), 0, "measure,count"),
    (("reports", "export", "usage", "--until", "99999-01"), USAGE, "until"),
    (("reports", "export", "ctdc", "--out", "{folder}"), REFUSED, "Is a directory"),
    (("reports", "export", "ctdc", "--out", "{no_folder}/c.csv"), REFUSED, "No such file"),
    (("reports", "export", "usage", "--out", "{no_folder}/c.csv"), REFUSED, "No such file"),
]

PARTNER = (
    b'[{"slug": "synthetic-org", "name": "Synthetic Org", "capacity": 1, '
    b'"vetting": {"status": "vetted", "valid_until": "%s"}, "services": ["legal"], '
    b'"areas": [{"country": "GR", "region": "%s"}], "populations": ["women"], '
    b'"languages": ["en"]}]'
)

GOOD_PARTNER = PARTNER % (b"2035-12-31", b"North")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Hostile input files, by placeholder name."""
    made = {
        "empty": b"",
        "not_json": b"{this is not json",
        "bad_utf8": b'["caf\xe9 \xff\xfe"]',
        "list_json": b"[1, 2, 3]",
        "object_json": b'{"seq": "many", "mac": 7}',
        "list_of_junk": b'[1, "two", null, {"name": 3}]',
        "long_region": PARTNER % (b"2035-12-31", b"R" * 300),
        "bad_date": PARTNER % (b"2026-02-30", b"North"),
        "twice": b"[" + GOOD_PARTNER[1:-1] + b", " + GOOD_PARTNER[1:],
        "nul_name": GOOD_PARTNER.replace(b"Synthetic Org", b"Synthetic \\u0000 Org"),
        "odd_contact": GOOD_PARTNER.replace(b'"capacity": 1', b'"contact": {"phone": [1, {}]}'),
        "far_expiry": PARTNER % (b"9999-12-31", b"North"),
        "many_areas": GOOD_PARTNER.replace(
            b'"areas": [{"country": "GR", "region": "North"}]',
            b'"areas": ['
            + b", ".join(b'{"country": "GR", "region": "R%d"}' % n for n in range(101))
            + b"]",
        ),
        "escape_region": PARTNER % (b"2035-12-31", b"North\\u001b[2J"),
    }
    where = {"missing": str(tmp_path / "missing.json"), "no_folder": str(tmp_path / "nowhere")}
    for name, content in made.items():
        path = tmp_path / f"{name}.input"
        path.write_bytes(content)
        where[name] = str(path)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    where["folder"] = str(folder)
    return where


def row_counts(app: Flask) -> dict[str, int]:
    """Rows in every table, through the app's own engine."""
    with app.app_context(), db.engine().connect() as connection:
        return {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in db.Base.metadata.sorted_tables
        }


def test_every_command_has_hostile_cases(app: Flask) -> None:
    commands = set(walk(app.cli))
    missing = [path for path in commands if not any(c[0][: len(path)] == path for c in CASES)]
    assert missing == []
    assert {"users", "tokens", "audit", "backup", "reports", "partners"} <= {
        path[0] for path in commands
    }


@pytest.mark.parametrize(("args", "code", "text"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(
    app: Flask,
    make_account: Any,
    files: dict[str, str],
    args: tuple[str, ...],
    code: int,
    text: str | dict[str, str],
) -> None:
    make_account("analyst", email=USER)
    make_account("partner", partner="org-cli")
    argv = [argument.format(**files) for argument in args]
    before = row_counts(app)
    result = app.test_cli_runner().invoke(args=argv, input=PASSWORD)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output,
        result.exc_info,
    )
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    backend = sa.make_url(app.config["DATABASE_URL"]).get_backend_name()
    expected = text[backend] if isinstance(text, dict) else text
    assert expected in result.output
    if code != 0:
        assert row_counts(app) == before
