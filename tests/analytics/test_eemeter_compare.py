"""PlantMeter vs OpenEEmeter 4.1.1 on eemeter's bundled samples (same baseline/reporting years).

Creates ``.venv-eemeter`` on first run (pip install eemeter==4.1.1 'pandas<2.4'
'scikit-learn<1.6'); about 45 s once the venv exists (eemeter's first fit compiles ~20 s).
"""

from __future__ import annotations

import pytest

from bench.eemeter_env import compare_samples


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_daily_and_hourly_totals_agree_with_eemeter() -> None:
    rows = {r["name"]: r for r in compare_samples()}
    daily = [r for r in rows.values() if r["granularity"] == "daily"]
    assert len(daily) == 4
    for r in daily:
        # target from the issue: adjusted baseline within 1 %, savings inside eemeter's 68 % band
        assert abs(r["baseline_diff"]) <= 0.01, r
        assert r["savings_in_eemeter_68"], r
        assert r["observed_ours"] == pytest.approx(r["observed_eemeter"], rel=1e-9), r
    hourly = rows["il-electricity-cdd-hdd-hourly"]
    # different segmentation (one model vs CalTRACK's 12 three-month weighted ones): 2 % allowed
    assert abs(hourly["baseline_diff"]) <= 0.02, hourly
