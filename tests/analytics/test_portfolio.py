"""The portfolio kernel agrees with the per-meter API path and finds planted faults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.api import compute_savings
from analytics.portfolio import run_portfolio

from .synth import hourly_frame


def test_portfolio_matches_per_meter_api_and_flags_faults() -> None:
    frames = [hourly_frame(seed=s, days=365) for s in range(3)]
    idx = frames[0].index
    usage = np.vstack([f["usage"].to_numpy() for f in frames])
    temp = np.vstack([f["temperature"].to_numpy() for f in frames])
    end = pd.Timestamp("2023-09-01", tz="UTC")
    usage[1, idx >= end] *= 0.8
    usage[2, 2000:2020] = usage[2, 2000]  # stuck
    usage[2, 3000] *= 10  # spike
    df = run_portfolio(usage, temp, idx, end)
    assert df.loc[1, "savings_fraction"] == pytest.approx(0.2, abs=0.02)
    assert df.loc[2, "flags_stuck"] == 1 and df.loc[2, "flags_spike"] >= 1
    assert df.loc[0, "flags_stuck"] == 0
    r = compute_savings(
        pd.Series(usage[1], index=idx),
        (idx[0], end),
        (end, idx[-1] + pd.Timedelta(hours=1)),
        pd.Series(temp[1], index=idx),
        granularity="hourly",
        temperature_unit="F",
        allow_disqualified=True,
    )
    assert df.loc[1, "savings"] == pytest.approx(r.savings, rel=1e-6)
    assert df.loc[1, "fsu_90"] == pytest.approx(r.fsu_90, rel=1e-6)
