"""``reports export --out`` to a file that cannot be written: refused before the release is
recorded (docs/reporting.md, §5)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from core import db
from reporting.models import releases


@pytest.mark.parametrize("name", ["usage", "ctdc"])
def test_an_export_to_a_file_that_cannot_be_written_records_no_release(
    app: Flask, run_cli: Callable[..., Any], tmp_path: Path, name: str
) -> None:
    for out in (tmp_path, tmp_path / "nowhere" / "report.csv"):
        result = run_cli("reports", "export", name, "--out", str(out))
        assert result.exit_code == 1
        assert f"Could not open file '{out}'" in result.output
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(releases)) == 0
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("name", ["usage", "ctdc"])
def test_an_exported_file_is_private_whatever_the_umask(
    run_cli: Callable[..., Any], tmp_path: Path, name: str
) -> None:
    out = tmp_path / f"{name}.csv"
    was = os.umask(0o022)
    try:
        result = run_cli("reports", "export", name, "--out", str(out))
    finally:
        os.umask(was)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
