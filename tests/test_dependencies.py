"""Dependencies (docs/security.md, R54 and R55): every one is installed at the exact version
and from the file whose hash requirements.lock names, pip refuses an install that is not,
the lock covers every range setup.cfg and pyproject.toml ask for, the software bill of
materials lists what the lock installs, and the vulnerability audit fails on a known
vulnerability but only warns when its service cannot be reached."""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
BIN = Path(sys.executable).parent


def pins() -> dict[str, tuple[str, list[str]]]:
    """The lock's requirements: name → (version, hashes)."""
    entries = LOCK.read_text().replace("\\\n", " ").splitlines()
    found: dict[str, tuple[str, list[str]]] = {}
    for entry in entries:
        line = entry.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        # Extras stay on the pin (jsonschema[format-nongpl]==…): pip in hash mode takes a
        # dependency's extra as a requirement of its own, which must be pinned too.
        pinned = Requirement(requirement)
        version = str(pinned.specifier).removeprefix("==")
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
        found[canonicalize_name(pinned.name)] = (version, hashes)
        assert all(o.startswith("--hash=sha256:") for o in options), line
    return found


def asked() -> list[Requirement]:
    """Every range the project asks for: run time, the dev extra and the build backend."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].splitlines()
    lines += config["options.extras_require"]["dev"].splitlines()
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    return [Requirement(line) for line in [*lines, *build] if line.strip()]


def audit_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", ROOT / ".ci" / "audit_deps.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_locked_dependency_is_pinned_with_its_hashes() -> None:
    locked = pins()
    assert len(locked) > 50  # the whole tree, not only what setup.cfg names
    for name, (version, hashes) in locked.items():
        assert re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version), name
        assert hashes, f"{name} has no hash"
    # pip and the build backend are pinned too: the install trusts nothing unpinned.
    assert {"pip", "setuptools"} <= set(locked)


def test_the_lock_covers_every_range_the_project_asks_for() -> None:
    locked = pins()
    for requirement in asked():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement} is not in requirements.lock: run `make lock`"
        version = locked[name][0]
        assert requirement.specifier.contains(version), f"{name}=={version} is not {requirement}"


def test_the_install_takes_the_lock_with_hashes_required() -> None:
    recipe = (ROOT / "Makefile").read_text()
    assert "$(BIN)/pip install --quiet --require-hashes -r $(LOCK)" in recipe
    assert "$(BIN)/pip install --quiet --no-deps --no-build-isolation -e ." in recipe
    assert "LOCK := requirements.lock" in recipe
    assert "'.[dev]'" not in recipe  # nothing resolved outside the lock


def test_pip_refuses_an_unpinned_or_unhashed_requirement(tmp_path: Path) -> None:
    # What `make install` does to a lock with an unpinned or unhashed line: it stops.
    # (pip finds the file on the configured package index, then refuses it.)
    wrong = "0" * 64
    for line, says in (
        ("flask>=3.1", "pinned with =="),
        ("flask==3.1.3", "Hashes are required in --require-hashes mode"),
        (f"flask==3.1.3 --hash=sha256:{wrong}", "DO NOT MATCH THE HASHES"),
    ):
        lock = tmp_path / "requirements.lock"
        lock.write_text(line + "\n")
        command = [str(BIN / "pip"), "install", "--dry-run", "--ignore-installed", "--no-deps"]
        command.append("--require-hashes")
        done = subprocess.run(  # noqa: S603 - the suite's own pip
            [*command, "-r", str(lock)], capture_output=True, text=True, check=False
        )
        assert done.returncode != 0, line
        assert says in done.stderr + done.stdout, line


def test_the_bill_of_materials_lists_what_the_lock_installs(tmp_path: Path) -> None:
    out = tmp_path / "sbom.cdx.json"
    command = [str(BIN / "cyclonedx-py"), "requirements", "--of", "JSON", "-o", str(out)]
    subprocess.run([*command, str(LOCK)], check=True, capture_output=True)  # noqa: S603
    bom = json.loads(out.read_text())
    assert bom["bomFormat"] == "CycloneDX"
    listed = {canonicalize_name(c["name"]): c["version"] for c in bom["components"]}
    assert listed == {name: version for name, (version, _) in pins().items()}


def test_a_known_vulnerability_fails_the_audit() -> None:
    audit = audit_script()
    status, lines = audit.verdict(
        {
            "dependencies": [
                {"name": "flask", "version": "3.1.3", "vulns": []},
                {
                    "name": "examplelib",
                    "version": "1.0",
                    "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["1.1"]}],
                },
            ]
        }
    )
    assert status == 1
    assert lines == ["VULNERABLE examplelib 1.0: PYSEC-0000-1 (fixed in 1.1)"]


def test_an_unreachable_service_only_warns_and_says_what_went_unaudited() -> None:
    audit = audit_script()
    status, lines = audit.verdict(
        {
            "dependencies": [
                {"name": "flask", "version": "3.1.3", "vulns": []},
                {"name": "wtforms", "skip_reason": "Dependency not found on PyPI"},
            ]
        }
    )
    assert status == 0
    assert lines == [
        "no known vulnerability in 1 audited dependencies",
        "warning: 1 of 2 dependencies could not be audited (unknown to the vulnerability "
        "service): wtforms",
    ]
    status, lines = audit.failed_run(
        "Traceback …\nrequests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev')"
    )
    assert status == 0
    assert lines[0].startswith("warning: the vulnerability service could not be reached")
    # Anything else that stops the audit is a failure, not a warning.
    status, _lines = audit.failed_run("ERROR: requirement is not pinned with hashes")
    assert status == 2
