"""House rules checked on the source itself: queries on sensitive models only in their
repository modules, in functions that take the acting user or are listed system jobs (R22),
parameterised SQL only (R29), markup marked safe only where the
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
# in SYSTEM_FUNCTIONS: test_repository_functions_take_the_acting_principal_or_are_system_jobs).
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


# R22, the second half: each function of a repository that queries one of its models takes
# the acting principal and hands it to the access policy, itself or through the public
# function of the module that calls it, or is a system function listed below with why.
PRINCIPALS = ("user", "actor", "viewer", "reader")
# access.policy's checks: require and authorize on one object, visible on a list's rows,
# basis for how; a call on the module itself (policy.authorize) counts the same.
POLICY_CALLS = ("require", "authorize", "visible", "basis")
QUERY_CALLS = ("select", "select_from", "get", "query", "delete", "update")


def _own_nodes(scope: ast.AST) -> list[ast.AST]:
    """The nodes of ``scope`` outside the functions and classes defined in it (a lambda is
    part of its function)."""
    found, todo = [], list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        found.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            todo.extend(ast.iter_child_nodes(node))
    return found


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _call_name(call: ast.Call) -> str | None:
    return getattr(call.func, "attr", getattr(call.func, "id", None))


def _functions(tree: ast.Module) -> dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]:
    """Every function of the module, nested ones and methods too, by qualified name, with
    the function it is defined in ("" at module or class level)."""
    found: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]] = {}

    def visit(scope: ast.AST, prefix: str, enclosing: str) -> None:
        for node in _own_nodes(scope):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + node.name
                found[name] = (node, enclosing)
                visit(node, name + ".", name)
            elif isinstance(node, ast.ClassDef):
                visit(node, prefix + node.name + ".", enclosing)

    visit(tree, "", "")
    return found


def _model_names(tree: ast.Module, models: set[str]) -> set[str]:
    """The models, and the module-level names made from them (a table taken with
    ``Model.__table__``, a tuple of its columns) that a query may name instead."""
    names = set(models)
    while True:
        more = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            and node.value is not None
            and _names(node.value) & names
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        if more <= names:
            return names
        names |= more


def _queries(function: ast.AST, names: set[str]) -> bool:
    """Whether the function's own body queries a model: a select (a count's select_from),
    get, query, delete or update whose arguments name it, or its ``__table__``."""
    for node in _own_nodes(function):
        if isinstance(node, ast.Call) and _call_name(node) in QUERY_CALLS:
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if any(_names(a) & names for a in arguments):
                return True
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "__table__"
            and _names(node.value) & names
        ):
            return True
    return False


def _passes(call: ast.Call, name: str) -> bool:
    return any(name in _names(a) for a in [*call.args, *(k.value for k in call.keywords)])


def unchecked(
    source: str, models: set[str], allowed: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    """The functions of a repository module's ``source`` that query one of ``models`` with
    nobody's permission asked: neither they nor every caller in the module (for a private
    or nested helper) take a principal (``PRINCIPALS``) and pass it to the access policy,
    or to a function of the module that does; and none of them is in ``allowed``."""
    tree = ast.parse(source)
    functions = _functions(tree)
    names = _model_names(tree, models)
    by_name: dict[str, list[str]] = {}
    for qualified in functions:
        by_name.setdefault(qualified.rsplit(".", 1)[-1], []).append(qualified)
    # Who uses whom: a call, or a helper handed on as a callback.
    used = {
        qualified: {n.id for n in _own_nodes(node) if isinstance(n, ast.Name)}
        for qualified, (node, _) in functions.items()
    }

    def checks(qualified: str, seen: frozenset[str]) -> bool:
        node = functions[qualified][0]
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        for principal in {a.arg for a in arguments} & set(PRINCIPALS):
            for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
                if not _passes(call, principal):
                    continue
                if (isinstance(call.func, ast.Name) and call.func.id in POLICY_CALLS) or (
                    isinstance(call.func, ast.Attribute) and _names(call.func) == {"policy"}
                ):
                    return True
                if isinstance(call.func, ast.Name) and any(
                    callee not in seen and checks(callee, seen | {callee})
                    for callee in by_name.get(call.func.id, [])
                ):
                    return True
        return False

    def complies(qualified: str, seen: frozenset[str]) -> bool:
        if qualified in allowed or checks(qualified, seen):
            return True
        simple = qualified.rsplit(".", 1)[-1]
        enclosing = functions[qualified][1]
        if not (simple.startswith("_") or enclosing):
            return False  # public: it answers for itself
        callers = {c for c, names_used in used.items() if simple in names_used and c != qualified}
        callers |= {enclosing} - {""}
        return bool(callers - seen) and all(
            complies(c, seen | {c}) for c in callers if c not in seen
        )

    return sorted(
        qualified
        for qualified, (node, _) in functions.items()
        if _queries(node, names) and not complies(qualified, frozenset({qualified}))
    )


def _repositories() -> dict[str, set[str]]:
    """Repository module -> the sensitive models it queries."""
    found: dict[str, set[str]] = {}
    for model, modules in REPOSITORIES.items():
        for module in modules:
            found.setdefault(module, set()).add(model)
    return found


@pytest.mark.parametrize("module", sorted(_repositories()))
def test_repository_functions_take_the_acting_principal_or_are_system_jobs(module: str) -> None:
    allowed = {name for name in SYSTEM_FUNCTIONS.get(module, {})}
    assert unchecked((ROOT / module).read_text(), _repositories()[module], allowed) == []


# Repository functions that ask nobody's permission, each with why (R22). "After X" names
# the caller that checked the acting user (cases.get, referrals.get, screening.services.get
# all call require) before handing over the object this reads in the same transaction.
SYSTEM_FUNCTIONS: dict[str, dict[str, str]] = {
    "access/audit.py": {
        "_write_queue": "writes the events queued in this transaction at commit (no read)",
        "events": "audit.read is role-only: the guard checked it on audit_views.events and "
        "api.audit_events (through read_page)",
        "iter_all": "audit.read is role-only: the guard checked it on audit_views.export",
        "count": "a count of events, no row, for the usage report "
        "(reporting.service_reports._usage)",
        "openings": "person_copy.copy_of, after referral.views._held's cases.get(cases.copy)",
    },
    "access/audit_chain.py": {
        "seal": "the audit sealer (access.audit_sealer), a background job",
    },
    "access/grants.py": {
        "live": "access.policy.basis itself, asking whether a grant lets the user read",
        "recent": "cases.recent_grants for views.break_glass_log, guarded by role-only audit.read",
    },
    "core/datakeys.py": {
        "cipher": "the data key of a row its caller already holds and checked; a key is "
        "no person's data",
        "shred": "retention (screening.retention.apply), a command-line job",
        "versions_in_use": "key rotation (core.rotation) and recovery_cli, operator jobs",
        "rewrap": "key rotation (core.rotation), an operator job",
    },
    "referral/cases.py": {
        "open_for_screening": "on_completed, receiver of a screening completed after "
        "screening.services.get(user)",
        "of_person": "receivers of screening hooks (on_case_wanted) and retention "
        "(case_status.on_shredding) for a person their caller holds",
        "lock": "locks a case its caller holds: after require in case_links.link, "
        "case_status, corrections, endings, handover, notes, tasks; after cases.get in "
        "the views calling referrals.send",
        "holding": "after referrals.get (answer, packets.packet) or require "
        "(tasks._completable); the reminder job (tasks.tell); the HTCDS export command",
        "open_of_owner": "handover.on_user_disabled, receiver of an administrator's "
        "users.manage action",
        "open_of_people": "case_links.earlier_cases, after authorize(user, cases.link)",
    },
    "referral/directory.py": {
        "save_entry": "the directory import (referral.cli), an operator command",
        "profiles": "partner organisations' directory entries, no person's data",
        "get_profile": "admin_views._profile_or_404, guarded by role-only partners.manage",
        "by_slug": "referrals._check inside send, after cases.get(cases.manage)",
    },
    "referral/endings.py": {
        "_change": "ends or clears referrals its caller holds: keep_within_consent after "
        "corrections.correct_person's require, forget_packets for retention",
        "end_with_standing": "a partner's standing ended: directory.set_vetting (role-only "
        "partners.manage), the directory import command, the escalate job",
        "escalate": "the referral deadline job (referral.cli escalate)",
    },
    "referral/outbox.py": {
        "expire_claims": "the notice sender, a background job",
        "claim_next": "the notice sender, a background job",
        "record": "the notice sender, a background job",
        "get": "outbox_views._decide, guarded by role-only notices.outbox",
        "needing_attention": "outbox_views.index, guarded by role-only notices.outbox",
        "counts_by_state": "outbox_views.index, guarded by role-only notices.outbox",
        "retry": "outbox_views, guarded by role-only notices.outbox",
        "dismiss": "outbox_views, guarded by role-only notices.outbox",
    },
    "referral/referrals.py": {
        "_check": "inside send, whose callers got the case from cases.get(cases.manage)",
        "any_of_case": "case_links.earlier_cases and link, after authorize and require",
        "of_case": "a case its caller holds: overview.of and person_copy after cases.get; "
        "endings after require or for retention",
        "to_partner": "the HTCDS export command (reporting.cli)",
        "move": "endings: withdrawal after require, expiry and standing jobs",
    },
    "referral/tasks.py": {
        "tasks_of": "a case its caller holds: task_views after authorize, person_copy after "
        "cases.get(cases.copy)",
        "waiting": "the reminder job (tasks remind, from cron)",
        "tell": "the reminder job (tasks remind, from cron)",
        "move": "endings.link_cases.carry, inside case_links.link after require",
        "reassign": "handover._move, after require in hand_over and hand_over_all",
        "forget": "case_status.close_for_retention, the retention job",
    },
    "screening/people.py": {
        "get": "the person of a case or screening its caller holds (cases.person, "
        "screening.services, red_flags, reporting facts)",
        "find_earlier": "case_links.earlier_cases and link, after authorize and require",
    },
    "screening/person_changes.py": {
        "history": "corrections.history after cases.get(cases.history); person_copy after "
        "cases.get(cases.copy)",
        "forget_history": "retention (screening.retention), a command-line job",
    },
    "screening/red_flags.py": {
        "_rows": "a screening its caller holds: the interview views and API after "
        "screening.views.load (services.get), services.move_to inside case linking",
    },
    "screening/retention.py": {
        "due": "retention, a command-line job",
        "apply": "retention (flask retention apply), a command-line job",
    },
    "screening/services.py": {
        "completed": "reporting's receivers of a screening completed after services.get",
        "of_person": "cases.screenings_of, for a case its caller holds",
    },
}


@pytest.mark.parametrize("module", sorted(SYSTEM_FUNCTIONS))
def test_each_system_function_is_listed_because_it_must_be(module: str) -> None:
    """Without any one entry of SYSTEM_FUNCTIONS its module fails the rule: no entry names a
    function that is gone, queries nothing or checks the acting user itself."""
    source, models = (ROOT / module).read_text(), _repositories()[module]
    listed = set(SYSTEM_FUNCTIONS[module])
    needed = {name for name in listed if unchecked(source, models, listed - {name})}
    assert needed == listed


def test_the_principal_rule_can_fail() -> None:
    """A repository function querying a person with nobody's permission asked is reported,
    through a private or nested helper too; one that hands its user to the policy, a helper
    only such a function calls, and a listed system job pass."""
    planted = (
        "def find(store, person_id):\n"
        "    return store.get(Person, person_id)\n"
        "def _rows(store):\n"
        "    return store.scalars(sa.select(Person.id))\n"
        "def every(store, user):\n"
        "    return _rows(store)\n"
        "EVENTS = Person.__table__\n"
        "def sweep(store):\n"
        "    store.execute(sa.delete(EVENTS))\n"
        "def outer(store):\n"
        "    def inner():\n"
        "        return store.get(Person, 1)\n"
        "    return inner()\n"
    )
    assert unchecked(planted, {"Person"}) == ["_rows", "find", "outer.inner", "sweep"]
    assert unchecked(planted, {"Person"}, {"sweep", "every", "find", "outer"}) == []
    compliant = (
        "def get(store, user, person_id):\n"
        "    person = store.get(Person, person_id)\n"
        "    require(user, 'cases.read', person)\n"
        "    return person\n"
        "def _mine(store, user):\n"
        "    return store.scalars(sa.select(Person).where(policy.visible(user, 'x', Person)))\n"
        "def listing(store, user):\n"
        "    def page():\n"
        "        return store.scalars(sa.select(sa.func.count()).select_from(Person))\n"
        "    return _mine(store, user), page()\n"
        "def shown(store, user, person_id):\n"
        "    return get(store, user, person_id)\n"
    )
    assert unchecked(compliant, {"Person"}) == []
    # A user taken but never shown to the policy is not enough, nor is another's policy call,
    # nor a method of some other object that happens to share a policy function's name.
    assert unchecked("def get(store, user, i):\n    return store.get(Person, i)\n", {"Person"}) == [
        "get"
    ]
    assert unchecked(
        "def get(store, other, user, i):\n"
        "    require(other, 'cases.read', None)\n"
        "    return store.get(Person, i)\n",
        {"Person"},
    ) == ["get"]
    assert unchecked(
        "def get(store, user, i):\n    form.require(user)\n    return store.get(Person, i)\n",
        {"Person"},
    ) == ["get"]


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
