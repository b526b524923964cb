"""Reports tell "flags never computed" from "no flags": they read the flag runs the store keeps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from plantmeter.store import FlagRun
from plantmeter_app.cli import main
from reports.flagstatus import coverage, flag_lines, flag_status
from tests.dairy import Dairy


def test_coverage_is_the_union_of_the_runs() -> None:
    runs = [
        FlagRun("d", "m", 0, 40, 1),
        FlagRun("d", "m", 30, 60, 2),
        FlagRun("d", "m", 80, 200, 3),
    ]
    assert coverage(runs, 0, 100) == pytest.approx(0.8)
    assert coverage([], 0, 100) == 0.0
    assert flag_status({"a": 1.0, "b": 0.0, "c": 0.5}) == {
        "a": "computed",
        "b": "never computed",
        "c": "partly computed (50% of the period)",
    }
    assert flag_lines([], {"a": "computed"}, "No flags") == [
        "No flags (flags computed for every meter)."
    ]
    never = flag_lines([], {"a": "never computed"}, "No flags")
    assert never == [
        "Flags never computed for this period: run `plantmeter flags --plan PLAN.yaml`."
    ]


def test_consumption_report_says_whether_flags_were_computed(
    dairy: Dairy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = Path(dairy.store_url.removeprefix("sqlite:///"))
    copy = tmp_path / "dairy.db"
    shutil.copy(db, copy)  # the session's store stays without flags for the other tests
    monkeypatch.setenv("PLANTMETER_STORE_URL", f"sqlite:///{copy}")
    plan = str(dairy.plan_path)

    def report(name: str) -> tuple[dict, str]:
        out = tmp_path / f"{name}.json"
        assert (
            main(
                ["report", "consumption", "--plan", plan, "--period", "2025-10", "--out", str(out)]
            )
            == 0
        )
        html = tmp_path / f"{name}.html"
        assert (
            main(
                ["report", "consumption", "--plan", plan, "--period", "2025-10", "--out", str(html)]
            )
            == 0
        )
        return json.loads(out.read_text()), html.read_text()

    before, page = report("before")
    assert set(before["flags_computed"].values()) == {"never computed"}
    assert before["anomalies"] == []
    assert "Flags never computed for this period" in page and "No anomaly flags" not in page

    assert main(["flags", "--plan", plan, "--since", "2025-09-01"]) == 0
    capsys.readouterr()
    after, page = report("after")
    assert set(after["flags_computed"].values()) == {"computed"}
    assert "Flags never computed" not in page
    if not after["anomalies"]:
        assert "No anomaly flags in this period (flags computed for every meter)." in page
    costs = [a["cost_per_day"] for a in after["anomalies"] if a["cost_per_day"] is not None]
    assert costs == sorted(costs, reverse=True)  # costliest first
