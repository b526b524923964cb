"""The portfolio runs the engine's detectors and the reports' savings, nothing of its own: a planted
20 % saving is found inside its interval, planted faults are flagged, and every meter's flags are
exactly ``detect_site``'s (what ``flags --plan`` computes)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from analytics.engine import MeterData, detect_site
from analytics.flagref import MeterReference
from analytics.portfolio import Portfolio, run_portfolio

from .synth import hourly_frame

END = pd.Timestamp("2023-09-01", tz="UTC")


def _counter(use: np.ndarray, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Counter readings on the hour whose rises are ``use`` (the use of the hour before)."""
    idx = index.append(pd.DatetimeIndex([index[-1] + pd.Timedelta(hours=1)]))
    return pd.DataFrame({"energy_import_total": 1000.0 + np.r_[0.0, np.cumsum(use)]}, index=idx)


@pytest.fixture(scope="module")
def portfolio() -> tuple[list[MeterData], Portfolio, float]:
    frames = [hourly_frame(seed=s, days=365) for s in range(3)]
    idx = frames[0].index
    temperature = pd.DataFrame({"temperature": (frames[0]["temperature"] - 32) * 5 / 9})
    usage = np.vstack([f["usage"].to_numpy() for f in frames])
    usage[1, idx >= END] *= 0.8  # a 20 % saving from September
    usage[2, 6000:6020] = usage[2, 6000]  # counter stuck at a constant rise: 20 equal hours
    ref = MeterReference(idx[0], END, temperature="outdoor")
    meters = [
        MeterData(f"m{i}", "electricity", _counter(usage[i], idx), reference=ref) for i in range(3)
    ] + [MeterData("outdoor", "temperature", temperature)]
    truth = float(0.2 * usage[1, idx >= END].sum() / 0.8)
    got = run_portfolio("site", meters, (idx[0], END), (END, idx[-1] + pd.Timedelta(hours=1)))
    return meters, got, truth


def test_planted_saving_inside_its_90pct_interval(portfolio: tuple[Any, ...]) -> None:
    _, got, truth = portfolio
    row = got.table.set_index("meter").loc["m1"]
    assert abs(row.savings - truth) <= row.fsu_90 * abs(row.savings)
    assert row.savings_fraction == pytest.approx(0.2, abs=0.02)
    clean = got.table.set_index("meter").loc["m0"]
    assert abs(clean.savings_fraction) < 0.02


def test_flags_are_the_engines(portfolio: tuple[Any, ...]) -> None:
    meters, got, _ = portfolio
    assert got.found.flags == detect_site("site", meters, plan_drivers=True).flags
    table = got.table.set_index("meter")
    assert table.loc["m2", "flags_stuck"] == 1
    assert table.loc["m0", "flags_stuck"] == 0
    assert table.loc["outdoor", "error"] == "" and np.isnan(table.loc["outdoor", "savings"])
