"""``python -m bench.dashboard`` runs small, so the README's series latencies cannot rot."""

from __future__ import annotations

import pytest

from bench.dashboard import main


def test_dashboard_bench_times_the_series_api_beside_the_store(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = main(["--days", "8", "--rounds", "2"])
    cases = {c["case"]: c for c in out["cases"]}
    assert cases["power_total 1m over a week"]["buckets"] == 7 * 1440
    assert cases["energy_import_total 1h over the year"]["buckets"] == 8 * 24
    assert all(
        c["api_p50_ms"] > 0 and c["store_p50_ms"] > 0 for c in out["cases"] if "store_p50_ms" in c
    )
    assert any(c.startswith("overview page /") for c in cases)
    printed = capsys.readouterr().out
    assert "ratio: API p50 / store read_buckets p50" in printed
