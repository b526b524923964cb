"""Run the decoding regression cases in tests/cases/ (see the README there)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gateway.decoding import decode_response
from gateway.requests import ReadRequest
from plantmeter.profile import load_profile

CASES = sorted(p for p in (Path(__file__).parents[1] / "cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case_dir", CASES, ids=lambda p: p.name)
def test_case(case_dir: Path) -> None:
    case = yaml.safe_load((case_dir / "case.yaml").read_text())
    profile = load_profile(case["profile"])
    start, count = case["address"], len(case["registers"])
    points = tuple(
        p
        for p in profile.points
        if p.fc == case["fc"] and start <= p.address and p.address + p.count <= start + count
    )
    request = ReadRequest(fc=case["fc"], address=start, count=count, points=points)
    values, rejected = decode_response(request, case["registers"], case.get("word_order"))
    assert values == pytest.approx(case["expected"])
    assert sorted(r.quantity for r in rejected) == sorted(case.get("rejected", []))
