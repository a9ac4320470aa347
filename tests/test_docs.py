"""The documentation stays true to the code and the suite: every test that docs/security.md
or the README names as proof (``tests/…py::test_name``) exists and defines that test function,
and docs/security.md has an entry for each requirement R1 to R60. The repository explains
itself: no file cites a document kept outside it, every ``docs/*.md`` a file cites exists
(with the ``§`` section it names), a section cited by name is a heading or a paragraph's
bold lead on its page, and every requirement number cited has its entry."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
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
        if not source.is_file() or not re.search(
            rf"^\s*(async\s+)?def {name}\(", source.read_text(encoding="utf-8"), re.MULTILINE
        ):
            missing.append(f"{path}::{name}")
    assert missing == []


def test_every_cited_test_module_exists() -> None:
    modules = re.findall(
        r"`(tests/[\w/]+\.py)`", "".join(d.read_text(encoding="utf-8") for d in DOCUMENTS)
    )
    assert [m for m in modules if not (ROOT / m).is_file()] == []


def test_every_requirement_has_an_entry() -> None:
    text = SECURITY.read_text(encoding="utf-8")
    headings = [int(n) for n in re.findall(r"^### R(\d+) — ", text, re.MULTILINE)]
    assert headings == list(REQUIREMENTS)


# What the repository reads as its own text: source, templates, documents, configuration.
TEXT_SUFFIXES = {
    ".py",
    ".html",
    ".md",
    ".json",
    ".cfg",
    ".toml",
    ".ini",
    ".txt",
    ".yaml",
    ".yml",
    ".sh",
    ".js",
    ".css",
    ".po",
    ".pot",
    ".mako",
}
TEXT_NAMES = {"Makefile", "run"}
SKIPPED_DIRECTORIES = {
    ".venv",
    ".git",
    ".hypothesis",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "__pycache__",
    "instance",
    "node_modules",
    "build",
    "dist",
}
# Design documents kept outside the repository, by their file names (written here in two
# parts, so that this file does not cite them itself).
OUTSIDE_DOCUMENTS = (
    "SCREENING",
    "SCREENING-ADAPTIVE",
    "DESIGN",
    "REPORTING",
    "SECURITY-REQUIREMENTS",
    "TOOLING",
    "STYLE",
)
OUTSIDE = re.compile(
    r"\b(?:" + "|".join(map(re.escape, OUTSIDE_DOCUMENTS)) + r")\.md\b"
    r"|(?:\.\./|/work/)shared\b"
)
DOC_CITATION = re.compile(r"\bdocs/([a-z][a-z-]*)\.md\b(?:,? (§\d+(?:\.\d+)?))?")
SECTION_HEADING = re.compile(r"^#{2,4} (§\d+(?:\.\d+)?) ", re.MULTILINE)
REQUIREMENT = re.compile(r"\bR(\d{1,3})\b")


def text_files() -> Iterator[Path]:
    """Every text file of the repository, outside the virtual environment, caches and the
    instance folder."""
    for folder, directories, files in os.walk(ROOT):
        directories[:] = sorted(
            d for d in directories if d not in SKIPPED_DIRECTORIES and not d.endswith(".egg-info")
        )
        for name in sorted(files):
            path = Path(folder) / name
            if path.suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
                yield path


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def test_the_text_files_are_found() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in text_files()}
    assert {
        "README.md",
        "docs/screening.md",
        "screening/rule.py",
        "tests/test_docs.py",
        "templates/access/home.html",
    } <= found
    assert not any(p.startswith((".venv/", ".git/")) for p in found)


def test_no_file_outside_docs_cites_a_document_kept_outside_the_repository() -> None:
    # The facts those documents held are written in docs/, in the project's own words; a
    # comment, docstring or page cites docs/ instead.
    cited = []
    for path in text_files():
        if path.relative_to(ROOT).parts[0] == "docs":
            continue
        text = read(path)
        cited += [
            f"{path.relative_to(ROOT).as_posix()}:{text.count(chr(10), 0, m.start()) + 1}"
            f" {m.group(0)}"
            for m in OUTSIDE.finditer(text)
        ]
    assert cited == []


def test_every_cited_docs_page_and_section_exists() -> None:
    # "docs/screening.md §2.3" needs the page, and a heading "## §2.3 …" (or deeper) in it.
    missing = []
    for path in text_files():
        for name, section in DOC_CITATION.findall(read(path)):
            page = ROOT / "docs" / f"{name}.md"
            if not page.is_file() or (
                section and section not in SECTION_HEADING.findall(read(page))
            ):
                missing.append(f"{path.relative_to(ROOT).as_posix()}: docs/{name}.md {section}")
    assert missing == []


def test_every_cited_requirement_has_an_entry() -> None:
    entries = {int(n) for n in re.findall(r"^### R(\d+) — ", read(SECURITY), re.MULTILINE)}
    cited = {
        f"{path.relative_to(ROOT).as_posix()}: R{number}"
        for path in text_files()
        if path.suffix in {".py", ".html", ".md"}
        for number in REQUIREMENT.findall(read(path))
        if int(number) not in entries
    }
    assert sorted(cited) == []


# "docs/architecture.md, Transactions" or "(docs/security.md, "Audit trail")": a page and a
# section named in words, which must be a heading of that page or the bold lead of one of
# its paragraphs (``**One flush.**``). Numbered sections and requirements are checked above.
NAMED_CITATION = re.compile(r"\bdocs/([a-z][a-z-]*)\.md,\s+[\"“]?([A-Z…][^,;:)\"”]*)")
TITLE = re.compile(
    r"^#{1,4} (?:§[\d.]+ )?(.+)$|^(?:[-*] |\d+\. )?\*\*([^*]+?)\.?\*\*", re.MULTILINE
)


def titles(page: Path) -> list[str]:
    """The headings and bold paragraph leads of a page, lower case, without section numbers."""
    return [" ".join((a or b).split()).lower() for a, b in TITLE.findall(read(page))]


def unknown_sections(text: str, docs: Path) -> list[str]:
    """The sections ``text`` cites by name that the pages in ``docs`` do not have."""
    missing = []
    for name, cited in NAMED_CITATION.findall(text):
        words = " ".join(re.sub(r"\n\s*#", " ", cited).split()).rstrip(".").lower()
        page = docs / f"{name}.md"
        if re.match(r"r\d|§", words) or not page.is_file():
            continue  # requirements and numbered sections; a missing page fails above
        if not any(title.startswith(words) for title in titles(page)):
            missing.append(f"docs/{name}.md, {words}")
    return missing


def test_every_section_cited_by_name_exists() -> None:
    missing = [
        f"{path.relative_to(ROOT).as_posix()}: {section}"
        for path in text_files()
        if path.suffix in {".py", ".html", ".md", ".cfg", ".toml"}
        for section in unknown_sections(read(path), ROOT / "docs")
    ]
    assert missing == []


def test_a_section_cited_by_a_name_it_does_not_have_is_found(tmp_path: Path) -> None:
    (tmp_path / "page.md").write_text(
        "# Page\n\n## Transactions\n\n- **One flush.** Rows are written once.\n"
    )
    page = "docs" + "/page.md"  # in two parts, so that this file does not cite it itself
    text = (
        f"(see {page}, Transactions) ({page}, One flush) ({page},\n    # One flush)"
        f' ({page}, "The audit\n    # log") ({page}, Transactions and locks) ({page}, R1 to R4)'
    )
    assert unknown_sections(text, tmp_path) == [
        f"{page}, the audit log",
        f"{page}, transactions and locks",
    ]
