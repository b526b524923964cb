"""`plantmeter demo` runs the whole chain on embedded defaults and `plantmeter export` shows the data."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]


def test_demo_then_export(tmp_path: Path) -> None:
    env = dict(os.environ, PLANTMETER_STORE_URL=f"sqlite:///{tmp_path}/demo.db")
    demo = subprocess.run(
        [sys.executable, "-m", "plantmeter_app", "demo", "--chain-only", "--duration", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert demo.returncode == 0, demo.stderr
    assert "stored readings per meter" in demo.stderr
    export = subprocess.run(
        [
            sys.executable,
            "-m",
            "plantmeter_app",
            "export",
            str(ROOT / "examples/dairy/site.yaml"),
            "--meter",
            "main-elec",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert export.returncode == 0, export.stderr
    rows = list(csv.DictReader(io.StringIO(export.stdout)))
    assert rows and rows[0]["timestamp"].endswith("Z")
    assert float(rows[-1]["energy_import_total"]) > 0
