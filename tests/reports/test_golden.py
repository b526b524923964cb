"""Golden JSON of the three reports on the simulated dairy: a restructure must not move a figure.

Issue #12 moves code between packages (application layer, service layer, store reads); the
reports' numbers must come out the same. The golden files in tests/reports/golden/ were
written from the reports as fixed by issue #11; fit times and the approval record's digest
(which covers them) are masked, every figure and the readings digests are kept. A change that is meant to move a figure
rewrites them (``PLANTMETER_UPDATE_GOLDEN=1``) in the same commit and says why; a missing
file fails, it is never created silently.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest

from plantmeter_app.cli import main
from tests.dairy import Dairy

GOLDEN = Path(__file__).parent / "golden"
REPORTS = {
    "loan": ["loan", "green-line-1", "--period", "2025-11"],
    "audit": ["audit", "dairy", "--period", "2025-12"],
    "consumption": ["consumption", "--period", "2025-10"],
}
# what differs between runs though no figure does: when the baselines were fitted (the approval
# is made afresh by the fixture), hence the approval record's digest, and temp paths
_FIT_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_RECORD_DIGEST = re.compile(r"(approval record entry \d+ )sha256:[0-9a-f]{64}")


def normalised(value: Any, root: str) -> Any:
    """The report without what differs between runs: fit times, the record digest, temp paths."""
    if isinstance(value, dict):
        return {
            k: "<record digest>" if k == "approval_record_digest" else normalised(v, root)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [normalised(v, root) for v in value]
    if isinstance(value, str):
        value = _RECORD_DIGEST.sub(r"\1<record digest>", value.replace(root, "<dairy>"))
        return _FIT_TIME.sub("<fit time>", value)
    return value


def differences(got: Any, want: Any, where: str = "$") -> list[str]:
    """Where ``got`` differs from ``want``; floats compare to 1e-9 relative."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = [f"{where}.{k}: missing" for k in want.keys() - got.keys()]
        out += [f"{where}.{k}: unexpected" for k in got.keys() - want.keys()]
        for k in want.keys() & got.keys():
            out += differences(got[k], want[k], f"{where}.{k}")
        return out
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return [f"{where}: {len(got)} items, golden has {len(want)}"]
        return [
            d
            for i, (g, w) in enumerate(zip(got, want, strict=True))
            for d in differences(g, w, f"{where}[{i}]")
        ]
    if isinstance(want, float) or isinstance(got, float):
        if isinstance(want, int | float) and isinstance(got, int | float):
            if (math.isnan(want) and math.isnan(got)) or math.isclose(
                got, want, rel_tol=1e-9, abs_tol=1e-9
            ):
                return []
    elif got == want:
        return []
    return [f"{where}: {got!r} != golden {want!r}"]


@pytest.mark.parametrize("kind", sorted(REPORTS))
def test_report_json_matches_its_golden_file(
    kind: str, dairy: Dairy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANTMETER_STORE_URL", dairy.store_url)
    out = tmp_path / f"{kind}.json"
    assert main(["report", *REPORTS[kind], "--plan", str(dairy.plan_path), "--out", str(out)]) == 0
    got = normalised(json.loads(out.read_text()), str(dairy.plan_path.parent))
    golden = GOLDEN / f"{kind}.json"
    if os.environ.get("PLANTMETER_UPDATE_GOLDEN") == "1":
        golden.write_text(json.dumps(got, indent=1, sort_keys=True, allow_nan=True) + "\n")
    assert golden.exists(), f"{golden} is missing: write it with PLANTMETER_UPDATE_GOLDEN=1"
    found = differences(got, json.loads(golden.read_text()))
    assert not found, f"{kind} report differs from {golden.name}:\n" + "\n".join(found[:30])
