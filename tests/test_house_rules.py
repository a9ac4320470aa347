"""House rules checked on the source itself: queries on sensitive models only in their
repository modules (R22; that each such function takes the acting user is
tests/test_repository_principal.py), parameterised SQL only (R29), markup marked safe only where the
content is ours (R28), no weak randomness or hashes (R40), each vocabulary written once, and
every module importable first (no import cycle that works only in one order)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "access", "screening", "referral", "reporting")
SOURCES = sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py")) + [
    ROOT / "wsgi.py"
]

# Model -> the only modules that may query it (each function taking the acting user or listed
# in SYSTEM_FUNCTIONS: tests/test_repository_principal.py).
REPOSITORIES = {
    "Person": {"screening/people.py", "screening/services.py", "screening/retention.py"},
    "PersonChange": {"screening/person_changes.py"},
    "Screening": {"screening/services.py"},
    "RedFlagAction": {"screening/red_flags.py"},
    # access.audit writes and lists events; access.audit_chain seals them (and gives
    # access.audit_verify the table it walks).
    "AuditEvent": {"access/audit.py", "access/audit_chain.py"},
    "DataKey": {"core/datakeys.py"},
    "Case": {"referral/cases.py"},
    "CaseTask": {"referral/tasks.py"},
    "CaseAccessGrant": {"access/grants.py"},
    "Referral": {"referral/referrals.py", "referral/endings.py", "referral/inbox.py"},
    "Notice": {"referral/notices.py"},
    "OutboxMessage": {"referral/outbox.py"},
    "PartnerProfile": {"referral/directory.py"},
}
SAFE_MARKUP = {"access/totp.py"}  # the QR code's SVG, drawn by segno from our own values


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def queries(model: str) -> re.Pattern[str]:
    """A query on ``model``: a select (a count's ``select_from`` too), get, delete or update,
    or its table taken to build a Core query on (``Model.__table__``)."""
    return re.compile(
        rf"\b(select|select_from|get|query|delete|update)\(\s*{model}\b|\b{model}\.__table__\b"
    )


@pytest.mark.parametrize("model", sorted(REPOSITORIES))
def test_sensitive_models_are_queried_only_in_their_repository(model: str) -> None:
    pattern = queries(model)
    offenders = [
        relative(p)
        for p in SOURCES
        if pattern.search(p.read_text()) and relative(p) not in REPOSITORIES[model]
    ]
    assert offenders == []


def _sql_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None))
        in ("text", "execute", "exec_driver_sql")
    ]


def _built_from_strings(source: str) -> list[int]:
    """The lines of ``source`` where SQL text is made from an f-string, a concatenation or
    ``str.format``."""
    found = []
    for call in _sql_calls(ast.parse(source)):
        first = call.args[0] if call.args else None
        if isinstance(first, ast.JoinedStr | ast.BinOp) or (
            isinstance(first, ast.Call) and getattr(first.func, "attr", "") == "format"
        ):
            found.append(call.lineno)
    return found


def test_sql_is_never_built_from_strings() -> None:
    offenders = [
        f"{relative(path)}:{line}"
        for path in SOURCES
        for line in _built_from_strings(path.read_text())
    ]
    assert offenders == []


MARKED_SAFE = re.compile(r"\|\s*safe\b|autoescape\s+false")  # in a template


def marks_markup_safe(path: str, source: str) -> bool:
    """Whether the module at ``path`` makes ``Markup`` without being listed as safe."""
    return "Markup(" in source and path not in SAFE_MARKUP


def test_markup_is_marked_safe_only_for_our_own_content() -> None:
    python = [relative(p) for p in SOURCES if marks_markup_safe(relative(p), p.read_text())]
    assert python == []
    templates = [
        relative(p)
        for p in (ROOT / "templates").rglob("*.html")
        if MARKED_SAFE.search(p.read_text())
    ]
    assert templates == []


def test_the_markup_rule_can_fail() -> None:
    """A module not listed, or a template marking a value safe, is caught; the listed
    module and an escaped value are not."""
    assert marks_markup_safe("screening/views.py", "banner = Markup(f'<b>{name}</b>')\n")
    assert not marks_markup_safe("access/totp.py", "return Markup(svg)\n")
    assert not marks_markup_safe("screening/views.py", "return escape(name)\n")
    assert MARKED_SAFE.search("<p>{{ person.note | safe }}</p>")
    assert MARKED_SAFE.search("{% autoescape false %}{{ note }}{% endautoescape %}")
    assert not MARKED_SAFE.search("<p>{{ person.note }}</p>{# safe to show #}")


WEAK_CRYPTO = re.compile(
    r"^\s*(import random|from random import)"  # security values come from secrets, os.urandom
    r"|\b(md5|sha1)\b"  # called, passed as a digest, named for hashlib.new or hashes.SHA1()
    r"|\bmodes\.(ECB|CBC|CTR|OFB|CFB|CFB8|XTS)\b",  # unauthenticated: AES-GCM only
    re.MULTILINE | re.IGNORECASE,
)


def test_no_weak_randomness_or_hashes() -> None:
    offenders = [relative(p) for p in SOURCES if WEAK_CRYPTO.search(p.read_text())]
    assert offenders == []


def test_the_weak_crypto_rule_can_fail() -> None:
    """The check above finds each way of asking for weak randomness, hashes or modes."""
    for planted in (
        "import random\n",
        "    from random import randbytes\n",
        "digest = hashlib.md5(data).digest()\n",
        "hmac.new(key, message, hashlib.sha1)\n",
        'hmac.new(key, message, "sha1")\n',
        'hashlib.new("md5", data)\n',
        "from hashlib import md5\n",
        "hashes.SHA1()\n",
        "Cipher(algorithms.AES(key), modes.CTR(nonce))\n",
        "Cipher(algorithms.AES(key), modes.ECB())\n",
    ):
        assert WEAK_CRYPTO.search(planted), planted
    assert not WEAK_CRYPTO.search("hmac.new(key, message, hashlib.sha256)\nAESGCM(key)\n")


def test_ruff_checks_application_code_with_its_security_rules() -> None:
    """``ruff check .``, with the repository's configuration, flags a weak hash in a module of
    the application: its ``S`` rules are selected."""
    planted = 'import hashlib\n\nhashlib.md5(b"x")\n'
    result = subprocess.run(  # noqa: S603 - ruff from this environment, fixed arguments
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise"]
        + ["--stdin-filename", "core/planted.py", "-"],
        input=planted,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "core/planted.py:3:1: S324" in result.stdout


def test_the_rules_can_fail(tmp_path: Path) -> None:
    """The checks above find what they look for (a planted offender)."""
    planted = "store.execute(text(f'SELECT * FROM people WHERE id = {x}'))\n"
    assert [c.lineno for c in _sql_calls(ast.parse(planted))] == [1, 1]
    assert _built_from_strings(planted) == [1]
    assert _built_from_strings("x = 1\nstore.execute(text('SELECT ' + column))\n") == [2]
    assert _built_from_strings("store.exec_driver_sql('DELETE FROM {}'.format(table))\n") == [1]
    assert _built_from_strings("store.execute(text('SELECT 1 WHERE id = :id'), values)\n") == []
    assert re.search(
        r"\b(select|get|query|delete|update)\(\s*Person\b", "store.get(Person, person_id)"
    )
    assert queries("Referral").search("sa.select(sa.func.count()).select_from(Referral)")
    assert not queries("Referral").search("Referral.case_id == case.id")
    assert queries("AuditEvent").search("EVENTS = cast(sa.Table, AuditEvent.__table__)")


# Vocabularies written once (docs/architecture.md, "How to add…"): a literal list of these
# values anywhere else is a second copy that will drift.
VOCABULARIES = {
    "languages": ({"en", "fr", "es"}, {"core/languages.py"}),
    "referral states": (
        {"pending", "accepted", "declined", "expired", "withdrawn"},
        {"referral/workflow.py"},
    ),
    "consent purposes": (
        {"screening", "storing", "referral", "statistics", "recontact"},
        {"screening/opening.py"},
    ),
    "sexes": ({"female", "male", "other", "unknown"}, {"screening/people.py"}),
    # An enum (access.roles.Role), so no literal list of them anywhere.
    "roles": ({"screener", "supervisor", "partner", "auditor", "analyst", "admin"}, set()),
    "exploitation types": ({"labour", "sexual"}, {"screening/instruments.py"}),
    "trafficking dimensions": (
        {
            "deceptive_recruitment",
            "coercive_recruitment",
            "recruitment_abuse_of_vulnerability",
            "exploitative_conditions",
            "coercion_at_destination",
            "abuse_of_vulnerability_at_destination",
        },
        {"screening/instruments.py"},
    ),
    "services": (
        {
            "shelter",
            "medical",
            "psychosocial",
            "legal",
            "child_protection",
            "return_reintegration",
            "livelihood",
            "interpretation",
        },
        {"screening/services.py"},
    ),
    "audit outcomes": ({"allowed", "denied", "failed"}, {"access/audit.py"}),
    "disclosure methods": ({"round", "cellkey", "suppress"}, {"reporting/disclosure.py"}),
    "populations (instrument ids)": ({"adult", "child"}, {"screening/instruments.py"}),
    "answers a person gives": ({"yes", "no", "unknown", "declined"}, {"screening/scoring.py"}),
    "answers to when?": ({"before", "way", "work"}, {"screening/instruments.py"}),
    "indicator phases": ({"recruitment", "destination", "journey"}, {"screening/instruments.py"}),
    "interview blocks": (
        {"safety", "work", "control", "start", "journey", "closing"},
        {"screening/instruments.py"},
    ),
    "hand-over answers": ({"done", "continued"}, {"screening/derivation.py"}),
    "interview steps": (
        {"gate", "member", "list", "when", "followup", "interpreter", "handover", "done"},
        {"screening/engine.py"},
    ),
    "shareable fields": (
        {"given_name", "sex", "nationality", "location", "needs", "answers"},
        {"screening/opening.py"},
    ),
}


def writes_out(values: set[str], source: str) -> bool:
    """Whether ``source`` holds a literal tuple, list or set of all of ``values``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            literal = {e.value for e in node.elts if isinstance(e, ast.Constant)}
            if values <= literal:
                return True
    return False


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_each_vocabulary_is_written_once(name: str) -> None:
    values, homes = VOCABULARIES[name]
    found = {relative(p) for p in SOURCES if writes_out(values, p.read_text(encoding="utf-8"))}
    assert found == homes


def test_the_vocabulary_rule_can_fail() -> None:
    """A second copy of a vocabulary is caught as a tuple, a list or a set, in any order and
    among other values; a part of it, or its values only in strings, is not."""
    languages = VOCABULARIES["languages"][0]
    assert writes_out(languages, 'LANGUAGES = ("en", "fr", "es")\n')
    assert writes_out(languages, 'def pick(code):\n    return code in ["es", "en", "de", "fr"]\n')
    assert writes_out(languages, 'OFFERED = {"fr", "en", "es"}\n')
    assert not writes_out(languages, 'OFFERED = ("en", "fr")\n')
    assert not writes_out(languages, 'HELP = "en, fr or es"\n')


# A cycle of module-level imports works in one order and breaks in another: a command
# (`python -m bench.screening_questions`, a worker, a test run alone) may start anywhere. So
# each module on such a cycle must import as the first module of a process.
IMPORT_EACH_FIRST = """
import importlib, sys
ours = {"core", "access", "screening", "referral", "reporting", "bench", "wsgi", "tests"}
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ours]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {error!r}")
print("\\n".join(failed))
"""
MODULES = {
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
    for p in [*SOURCES, *sorted((ROOT / "bench").glob("*.py"))]
}


def imported_at_load(name: str) -> set[str]:
    """The modules of ours that ``name`` imports when it loads (not those imported inside
    functions or only for type checking)."""
    found = set()
    for node in ast.parse(MODULES[name].read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    return (found & MODULES.keys()) - {name}


def on_a_cycle(graph: dict[str, set[str]] | None = None) -> list[str]:
    """Every module from which an import chain leads back to itself (in ``graph``, module →
    what it imports at load; ours by default)."""
    if graph is None:
        graph = {name: imported_at_load(name) for name in MODULES}
    cyclic = []
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])
        if start in seen:
            cyclic.append(start)
    return sorted(cyclic)


def import_each_first(names: list[str], where: Path = ROOT) -> str:
    """The modules of ``names`` that fail to import as the first module of a process run in
    ``where``, each with its error ('' when none fails)."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-W", "error", "-c", IMPORT_EACH_FIRST, *names],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_every_module_on_an_import_cycle_imports_first() -> None:
    cyclic = on_a_cycle()
    assert "screening.views" in cyclic  # it registers interview_views, which imports it
    assert import_each_first(cyclic) == ""


def test_the_import_cycle_rule_can_fail(tmp_path: Path) -> None:
    """A planted cycle that works in one order only: ``b`` first imports ``a`` whole, but
    ``a`` first asks ``b`` for a name ``a`` has not defined yet. Both are found on the cycle,
    and importing each first fails on ``a``."""
    planted = tmp_path / "core"  # shadows ours: the script runs in tmp_path, first on the path
    planted.mkdir()
    (planted / "__init__.py").write_text("")
    (planted / "a.py").write_text("from core import b\n\nVALUE = 1\n")
    (planted / "b.py").write_text("from core.a import VALUE\n")
    assert on_a_cycle({"core.a": {"core.b"}, "core.b": {"core.a"}, "core.c": {"core.a"}}) == [
        "core.a",
        "core.b",
    ]
    failed = import_each_first(["core.b", "core.a"], where=tmp_path)
    assert failed.startswith("core.a: ImportError(\"cannot import name 'VALUE' from ")
    assert len(failed.splitlines()) == 1  # core.b imports first
