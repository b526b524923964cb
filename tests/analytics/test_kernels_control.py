"""CUSUM, EWMA, rolling median/MAD and run-length kernels vs plain numpy/pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.kernels import cusum, ewma, rolling_median_mad, run_lengths


def test_cusum_reference() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 500)
    x[100] = np.nan
    sp, sn = cusum(x, 0.2, 0.5)
    hp = hn = 0.0
    for i, v in enumerate(x):
        if not np.isnan(v):
            hp = max(0.0, hp + v - 0.2 - 0.5)
            hn = max(0.0, hn - v + 0.2 - 0.5)
        assert sp[i] == pytest.approx(hp) and sn[i] == pytest.approx(hn)


def test_ewma_matches_pandas_adjust_false() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, 300)
    z = ewma(x, 0.2, np.nan)
    ref = pd.Series(x).ewm(alpha=0.2, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(z, ref, rtol=1e-12)


def test_ewma_nan_carries() -> None:
    z = ewma(np.array([np.nan, 1.0, np.nan, 3.0]), 0.5, np.nan)
    assert np.isnan(z[0])
    np.testing.assert_allclose(z[1:], [1.0, 1.0, 2.0])


@pytest.mark.parametrize("window,min_periods", [(1, 1), (5, 3), (24, 12), (25, 1)])
def test_rolling_median_mad_matches_pandas(window: int, min_periods: int) -> None:
    rng = np.random.default_rng(window)
    x = np.round(rng.normal(10, 3, 400), 1)  # ties on purpose
    x[rng.integers(0, 400, 40)] = np.nan
    med, mad = rolling_median_mad(x, window, min_periods)
    s = pd.Series(x)
    ref_med = s.rolling(window, min_periods=min_periods).median().to_numpy()
    ref_mad = (
        s.rolling(window, min_periods=min_periods)
        .apply(lambda w: np.nanmedian(np.abs(w - np.nanmedian(w))), raw=True)
        .to_numpy()
    )
    np.testing.assert_allclose(med, ref_med, rtol=1e-12)
    np.testing.assert_allclose(mad, ref_mad, rtol=1e-12, atol=1e-12)


def test_run_lengths() -> None:
    m = np.array([1, 1, 0, 1, 1, 1, 0, 1], dtype=np.bool_)
    s, e = run_lengths(m, 2)
    assert list(s) == [0, 3] and list(e) == [2, 6]
    s, e = run_lengths(np.zeros(0, dtype=np.bool_), 1)
    assert s.size == 0
