"""Known vulnerabilities in the locked dependencies (docs/security.md, R54).

``python .ci/audit_deps.py requirements.lock`` runs pip-audit over the lock exactly as pinned
and hashed (nothing resolved, nothing installed). A dependency with a known vulnerability
fails the run (exit 1), each named with its advisory and the versions that fix it. A
vulnerability service that cannot be reached, or that does not know a dependency, only warns
(exit 0) and says how many went unaudited: the build must not hang on a third party's
uptime, but nobody should read silence as a clean bill. Anything else that stops pip-audit
(a lock it refuses, say) fails (exit 2).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

# What pip-audit's traceback says when the service is away (no DNS, no route, a timeout).
UNREACHABLE = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "Timeout")


def verdict(report: dict[str, Any]) -> tuple[int, list[str]]:
    """The exit status and the lines to print for pip-audit's JSON report."""
    dependencies = report.get("dependencies", [])
    unaudited = [d["name"] for d in dependencies if d.get("skip_reason")]
    found = [
        f"VULNERABLE {d['name']} {d['version']}: {v['id']} "
        f"(fixed in {', '.join(v.get('fix_versions') or ['no release yet'])})"
        for d in dependencies
        if not d.get("skip_reason")
        for v in d.get("vulns", [])
    ]
    lines = list(found)
    audited = len(dependencies) - len(unaudited)
    if not found:
        lines.append(f"no known vulnerability in {audited} audited dependencies")
    if unaudited:
        lines.append(
            f"warning: {len(unaudited)} of {len(dependencies)} dependencies could not be "
            f"audited (unknown to the vulnerability service): {', '.join(unaudited)}"
        )
    return (1 if found else 0), lines


def failed_run(stderr: str) -> tuple[int, list[str]]:
    """The exit status and lines for a pip-audit that gave no report: a warning when the
    service could not be reached, a failure otherwise."""
    last = (stderr.strip().splitlines() or ["(no message)"])[-1]
    if any(marker in stderr for marker in UNREACHABLE):
        return 0, [f"warning: the vulnerability service could not be reached: {last}"]
    return 2, [f"the dependency audit could not run: {last}"]


def main(argv: list[str]) -> int:
    """Audit the lock named by ``argv[1]`` (requirements.lock by default)."""
    lock = argv[1] if len(argv) > 1 else "requirements.lock"
    command = [sys.executable, "-m", "pip_audit", "-r", lock, "--require-hashes"]
    command += ["--disable-pip", "--progress-spinner", "off", "--format", "json"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)  # noqa: S603
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        status, lines = failed_run(run.stderr)
    else:
        status, lines = verdict(report)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
