"""The chaos run and the soak in CI: the whole chain, real servers, faults injected (issue 17)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]


def _run(args: list[str], timeout: float) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    lines = result.stdout.strip().splitlines()
    assert lines, f"no output; stderr tail:\n{result.stderr[-3000:]}"
    return lines


def test_chaos_short_loses_and_duplicates_nothing() -> None:
    lines = _run(["bench.chaos", "--short"], timeout=300)
    assert lines[-1] == "lost=0 duplicated=0", "\n".join(lines)
    text = "\n".join(lines)
    assert re.search(r"energy exact for (\d+)/\1 meters", text), text
    assert "unrecovered 0" in text and "unexpected exits: gateway 0, ingest 0" in text, text


def test_soak_short_stays_within_its_bounds() -> None:
    lines = _run(["bench.soak", "--minutes", "0.1"], timeout=120)
    assert lines[-2:] == ["lost=0", "soak ok"], "\n".join(lines)
