"""The security documentation stays true to the suite: every test that docs/security.md or
the README names as proof (``tests/…py::test_name``) exists and defines that test function,
and docs/security.md has an entry for each requirement R1 to R60."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECURITY = ROOT / "docs" / "security.md"
DOCUMENTS = (SECURITY, ROOT / "README.md")
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
REQUIREMENTS = range(1, 61)


def references(document: Path) -> list[tuple[str, str]]:
    """Every ``(path, test name)`` the document cites; parametrised ids are dropped, since
    the pattern stops at ``[``."""
    return sorted(set(REFERENCE.findall(document.read_text(encoding="utf-8"))))


def test_security_page_cites_tests() -> None:
    assert len(references(SECURITY)) > 100


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_cited_test_exists(document: Path) -> None:
    missing = []
    for path, name in references(document):
        source = ROOT / path
        if not source.is_file() or not re.search(rf"^\s*(async\s+)?def {name}\(",
                                                 source.read_text(encoding="utf-8"),
                                                 re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert missing == []


def test_every_cited_test_module_exists() -> None:
    modules = re.findall(r"`(tests/[\w/]+\.py)`",
                         "".join(d.read_text(encoding="utf-8") for d in DOCUMENTS))
    assert [m for m in modules if not (ROOT / m).is_file()] == []


def test_every_requirement_has_an_entry() -> None:
    text = SECURITY.read_text(encoding="utf-8")
    headings = [int(n) for n in re.findall(r"^### R(\d+) — ", text, re.MULTILINE)]
    assert headings == list(REQUIREMENTS)
