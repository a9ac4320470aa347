"""The acting principal in every repository function (R22, its second half): each function of
a repository module (tests/test_house_rules.py, ``REPOSITORIES``) that queries one of its
sensitive models takes the acting user and hands it to the access policy, itself or through
the public function of the module that calls it, or is a system job listed here with why."""

from __future__ import annotations

import ast

import pytest

from tests.test_house_rules import REPOSITORIES, ROOT

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
        "end_all": "the holder's role changed or account disabled (services.change_role, "
        "disable_user): an approved account change or an operator's command",
        "forget_reasons": "retention (case_status.close_for_retention), a command-line job",
        "reseal": "endings.link_cases, after case_links.link required cases.link on both",
    },
    "core/datakeys.py": {
        "cipher": "the data key of a row its caller already holds and checked; a key is "
        "no person's data",
        "shred": "retention (screening.retention.apply), a command-line job",
        "versions_in_use": "key rotation (core.rotation) and recovery_cli, operator jobs",
        "rewrap": "key rotation (core.rotation), an operator job",
    },
    "referral/cases.py": {
        "merged_into": "person_copy.copy_of, after referral.views._held's cases.get(cases.copy)",
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
        "_revoke": "a partner that can no longer take referrals: its standing ended "
        "(directory.set_vetting, role-only partners.manage; the directory import command; the "
        "escalate job), its last staff account disabled or moved, child protection dropped",
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
        "added_with": "tasks.add, after require(cases.manage) on the locked case",
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
        "key_taken": "idempotency.earlier: whether a key is used, never what it started",
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
