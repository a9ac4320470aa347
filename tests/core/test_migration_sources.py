"""No migration can write decrypted personal data (R56): read as Python syntax, no revision
under migrations/versions imports the key machinery or a service that opens sealed values,
nor calls anything named like decrypting. A migration that never holds a plaintext value can
never write one into a new column. The check is shown to catch planted offenders, and its
list of forbidden modules to cover every module of the app that can reach a key.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "migrations" / "versions"

# The key machinery, and the modules of the app that unwrap a data key or the audit key, or
# open sealed values and hand them on.
FORBIDDEN = {
    "core.crypto",
    "core.datakeys",
    "core.keys",
    "core.key_ledger",
    "core.rotation",
    "access.audit",
    "access.cli",
    "access.grants",
    "access.recovery_cli",
    "access.services",
    "referral.directory",
    "referral.notes",
    "referral.packets",
    "referral.presenting",
    "referral.tasks",
    "screening.people",
    "screening.idempotency",
    "screening.person_changes",
    "screening.red_flags",
    "screening.services",
}
# Called names that decrypt, whatever module they come from.
DECRYPTING = re.compile(r"decrypt|unseal|open_sealed|unwrap|cipher|keyring", re.IGNORECASE)
# The ways into a key, or to the plaintext it seals, in the app's own code.
KEY_PATHS = re.compile(
    r"\b(datakeys\.cipher|datakeys\.Cipher|crypto\.unseal|crypto\.unwrap|keys\.keyring)\b"
)
PACKAGES = ("core", "access", "referral", "screening", "reporting")


def forbidden(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in FORBIDDEN)


def called_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return ""


def offences(source: str) -> list[str]:
    """What in a migration's source could reach decrypted data, one line per finding."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # ``from core import crypto`` imports the module core.crypto.
            modules = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            modules = [node.value]  # importlib.import_module("core.keys") and the like
        else:
            modules = []
        found += [f"line {node.lineno}: imports {m}" for m in modules if forbidden(m)]
        if isinstance(node, ast.Call) and DECRYPTING.search(called_name(node)):
            found.append(f"line {node.lineno}: calls {called_name(node)}")
    return found


def test_no_migration_reaches_a_key_or_decrypts() -> None:
    revisions = sorted(VERSIONS.glob("*.py"))
    assert len(revisions) == 28
    assert {path.name: offences(path.read_text()) for path in revisions} == {
        path.name: [] for path in revisions
    }


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import core.crypto\n", ["line 1: imports core.crypto"]),
        ("from core import datakeys\n", ["line 1: imports core.datakeys"]),
        (
            "from screening.people import read\n",
            ["line 1: imports screening.people", "line 1: imports screening.people.read"],
        ),
        (
            "from core.keys import keyring\n",
            ["line 1: imports core.keys", "line 1: imports core.keys.keyring"],
        ),
        (
            "import importlib\nkeys = importlib.import_module('core.key_ledger')\n",
            ["line 2: imports core.key_ledger"],
        ),
        (
            "def upgrade():\n    value = box.decrypt(row.given_name_sealed)\n",
            ["line 2: calls decrypt"],
        ),
        ("def upgrade():\n    unseal(key, sealed, aad)\n", ["line 2: calls unseal"]),
        ("def upgrade():\n    open_sealed(row)\n", ["line 2: calls open_sealed"]),
        (
            "import sqlalchemy as sa\nfrom alembic import op\n\n\ndef upgrade():\n"
            "    op.add_column('people', sa.Column('given_name', sa.Text()))\n",
            [],
        ),
    ],
)
def test_a_planted_offender_is_caught(source: str, expected: list[str]) -> None:
    assert offences(source) == expected


def test_every_module_that_reaches_a_key_is_forbidden() -> None:
    # A new module that opens sealed values must join FORBIDDEN, or a migration could
    # import it unseen.
    reaching = set()
    for package in PACKAGES:
        for path in (ROOT / package).glob("*.py"):
            if KEY_PATHS.search(path.read_text()):
                reaching.add(f"{package}.{path.stem}")
    assert len(reaching) == 16
    assert reaching <= FORBIDDEN
