"""TOWT kernels vs statsmodels OLS on the explicit design matrix."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from analytics.kernels import N_TOW, occupancy, segments, towt_design, towt_fit, towt_predict

KNOTS = np.array([30.0, 45.0, 55.0, 65.0, 75.0, 90.0])


def _data(seed: int, n: int = 24 * 7 * 20, q: int = 0):
    rng = np.random.default_rng(seed)
    tow = (np.arange(n) % N_TOW).astype(np.int64)
    temp = 62 + 36 * np.sin(np.arange(n) / (24 * 3.1)) + rng.normal(0, 5, n)
    occ = np.zeros(N_TOW, dtype=np.bool_)
    occ[[d * 24 + h for d in range(5) for h in range(7, 19)]] = True
    ex = rng.uniform(0, 5, (n, q))
    y = 5 + 3 * occ[tow] + 0.1 * np.maximum(temp - 65, 0) + 0.05 * np.maximum(50 - temp, 0)
    y = y + (ex.sum(axis=1) if q else 0) + rng.normal(0, 0.3, n)
    return temp, tow, y, ex, occ


def test_segments_sum_to_temperature() -> None:
    out = np.empty(7)
    for t in (-10.0, 30.0, 47.0, 70.0, 120.0):
        segments(t, KNOTS, out)
        assert out.sum() == pytest.approx(t)
        assert (out[1:] >= 0).all()


@pytest.mark.parametrize("seed,q", [(0, 0), (1, 1)])
def test_towt_fit_matches_statsmodels_on_explicit_design(seed: int, q: int) -> None:
    temp, tow, y, ex, occ = _data(seed, q=q)
    args = (occ, KNOTS, KNOTS, True, True)
    alpha, beta, resid, ok = towt_fit(temp, tow, y, ex, *args)
    x = towt_design(temp, tow, ex, *args)
    ref = sm.OLS(y, x).fit()
    assert ok
    coef = np.concatenate([alpha, beta])
    keep = np.abs(x).sum(axis=0) > 0
    np.testing.assert_allclose(coef[keep], ref.params[keep], rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(resid, ref.resid, atol=1e-8)
    pred = towt_predict(temp, tow, ex, *args, alpha, beta)
    np.testing.assert_allclose(pred, y - resid, atol=1e-10)


def test_towt_unseen_time_of_week_predicts_nan() -> None:
    temp, tow, y, ex, occ = _data(2)
    sel = tow != 5
    alpha, beta, _, ok = towt_fit(
        temp[sel], tow[sel], y[sel], ex[sel], occ, KNOTS, KNOTS, True, True
    )
    assert ok and np.isnan(alpha[5]) and np.isfinite(np.delete(alpha, 5)).all()


def test_occupancy_recovers_schedule() -> None:
    temp, tow, y, _, occ = _data(3)
    est = occupancy(temp, tow, y, 50.0, 65.0, 0.65)
    assert (est == occ).mean() > 0.95
