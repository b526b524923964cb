"""``python -m bench.analytics`` runs small, so its portfolio figures (what users run) cannot rot."""

from __future__ import annotations

import pytest

from bench.analytics import main


def test_analytics_bench_times_flags_and_savings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--meters", "2", "--no-eemeter"]) == 0
    out = capsys.readouterr().out
    assert "flags (engine.detect_site" in out and "on 2 meters x 8760 h" in out
    assert "savings + FSU (compute_savings" in out
    assert "portfolio (run_portfolio = both) 2 meters" in out
