"""Semgrep with the in-repo rules (docs/security.md, R54): the application passes them, and
each rule in `.semgrep/` fires on its planted offender in `tests/fixtures/semgrep/`, on
exactly the lines marked ``fires: <rule id>``, while the clean file raises nothing.

Semgrep is a dev dependency in requirements.lock; the tests run the one installed next to
the running Python and fail (never skip) when it is missing: run ``make install``. To try
another installation, set ``SEMGREP`` to its path (``SEMGREP=/tmp/semgrep-venv/bin/semgrep``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / ".semgrep"
FIXTURES = ROOT / "tests" / "fixtures" / "semgrep"
# What `make test` and `make lint` scan: the application, as the house rules see it.
APPLICATION = ["core", "access", "screening", "referral", "reporting", "wsgi.py", "templates"]
MARK = re.compile(r"fires: ([a-z0-9-]+)")


def semgrep() -> Path:
    found = Path(os.environ.get("SEMGREP") or Path(sys.executable).parent / "semgrep")
    if not found.is_file():
        pytest.fail(f"semgrep is not installed at {found}: run `make install` (R54)")
    return found


def scan(*targets: str) -> dict[str, Any]:
    """Semgrep's JSON report of ``targets`` under the in-repo rules, without metrics."""
    done = subprocess.run(  # noqa: S603 - the locked semgrep, fixed arguments
        [str(semgrep()), "scan", "--metrics", "off", "--disable-version-check", "--quiet"]
        + ["--json", "--config", str(RULES), *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["errors"] == []
    return report


def findings(report: dict[str, Any]) -> set[tuple[str, int, str]]:
    """(file name, line, rule id) of each finding; semgrep prefixes ids with the folder."""
    return {
        (Path(r["path"]).name, r["start"]["line"], r["check_id"].rsplit(".", 1)[-1])
        for r in report["results"]
    }


def rule_ids() -> set[str]:
    return {
        rule["id"]
        for path in sorted(RULES.glob("*.yml"))
        for rule in yaml.safe_load(path.read_text())["rules"]
    }


def test_the_application_passes_the_in_repo_rules() -> None:
    report = scan(*APPLICATION)
    assert findings(report) == set()
    # Paths come relative to the repository, where semgrep runs.
    scanned = {Path(path).parts[0] for path in report["paths"]["scanned"]}
    assert scanned == set(APPLICATION)


def test_each_rule_fires_on_its_planted_offender() -> None:
    planted = {
        (path.name, number, rule)
        for path in sorted(FIXTURES.iterdir())
        if path.suffix in (".py", ".html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        for rule in MARK.findall(line)
    }
    # Every rule has its planted file, named after it, with at least one offender.
    assert {rule for _, _, rule in planted} == rule_ids()
    assert {(name, rule) for name, _, rule in planted} == {
        (f"{rule.removeprefix('passage-').replace('-', '_')}.{suffix}", rule)
        for rule in rule_ids()
        for suffix in ["html" if rule == "passage-template-marked-safe" else "py"]
    }
    report = scan(str(FIXTURES.relative_to(ROOT)))
    assert findings(report) == planted
    assert "clean.py" in {Path(p).name for p in report["paths"]["scanned"]}


def test_the_scan_sends_no_metrics_and_fails_on_a_finding() -> None:
    """The Makefile's semgrep step runs with metrics and the version check off, with
    ``--error`` (a finding fails the build) and the in-repo rules over the application."""
    makefile = (ROOT / "Makefile").read_text()
    step = (
        "$(BIN)/semgrep scan --metrics off --disable-version-check --error"
        " --config .semgrep/ $(SEMGREP_TARGETS)"
    )
    assert makefile.count(step) == 3  # `make test`, `make test-fast` and `make lint`
    assert f"SEMGREP_TARGETS := {' '.join(APPLICATION)}" in makefile
