"""TOWT on per-hour-of-week sums (``towt_fit_fast``) against the reference kernels.

The reference (``towt_fit``: Householder QR on the explicit demeaned design, then
``towt_leverage_parts``) is itself checked against statsmodels on the full 182-column design
(test_kernels_towt.py). The fast path solves the normal equations of the same regression, so
it must agree to rounding (1e-9 relative), and fall back to the reference where the normal
equations would lose digits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.kernels import N_TOW, towt_fit, towt_fit_fast, towt_leverage_parts
from analytics.models import TOWTModel
from analytics.models.towt import time_of_week

from .synth import hourly_frame

KNOTS = np.array([30.0, 45.0, 55.0, 65.0, 75.0, 90.0])


def _kernels(
    t: np.ndarray,
    tow: np.ndarray,
    y: np.ndarray,
    ex: np.ndarray,
    occ: np.ndarray,
    ko: np.ndarray,
    ku: np.ndarray,
) -> None:
    flags = (bool(occ[tow].any()), bool((~occ[tow]).any()))
    fast = towt_fit_fast(t, tow, y, ex, occ, ko, ku, *flags)
    alpha, beta, resid, ok = towt_fit(t, tow, y, ex, occ, ko, ku, *flags)
    cnt, zbar, s_inv, inv_ok = towt_leverage_parts(t, tow, ex, occ, ko, ku, *flags, beta)
    assert fast[3] == ok and fast[7] == inv_ok
    scale = np.abs(y).max()
    np.testing.assert_allclose(fast[0], alpha, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(fast[1], beta, rtol=1e-9, atol=1e-9 * scale / 10)
    np.testing.assert_allclose(fast[2], resid, rtol=0, atol=1e-9 * scale)
    np.testing.assert_array_equal(fast[4], cnt)
    assert fast[5].shape == zbar.shape
    np.testing.assert_allclose(fast[5], zbar, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast[6], s_inv, rtol=1e-9, atol=1e-12 * np.abs(s_inv).max())


def test_kernel_agrees_with_reference_on_schedules_and_knots() -> None:
    rng = np.random.default_rng(7)
    df = hourly_frame(seed=1, days=120)
    t = df["temperature"].to_numpy(copy=True)  # writable, as the model passes them
    y = df["usage"].to_numpy(copy=True)
    tow = time_of_week(pd.DatetimeIndex(df.index))
    none = np.zeros((len(t), 0))
    prod = np.column_stack([rng.uniform(50, 150, len(t))])
    occ_random = rng.random(N_TOW) < 0.4
    cases = [
        (occ_random, KNOTS, KNOTS, none),
        (occ_random, KNOTS[1:4], KNOTS[2:], prod),
        (np.ones(N_TOW, dtype=np.bool_), KNOTS, KNOTS, none),  # no unoccupied hours
        (np.zeros(N_TOW, dtype=np.bool_), KNOTS, KNOTS, prod),  # no occupied hours
        (occ_random, KNOTS[:0], KNOTS[:0], none),  # no knots: temperature itself
    ]
    for occ, ko, ku, ex in cases:
        _kernels(t, tow, y + (ex[:, 0] * 0.02 if ex.shape[1] else 0.0), ex, occ, ko, ku)
    # a large offset (1e6 kWh/h) costs no digits beyond the offset's own rounding
    _kernels(t, tow, y + 1e6, none, occ_random, KNOTS, KNOTS)


def test_ill_conditioned_design_falls_back_to_the_reference() -> None:
    df = hourly_frame(seed=2, days=60)
    t = df["temperature"].to_numpy(copy=True)
    y = df["usage"].to_numpy(copy=True)
    tow = time_of_week(pd.DatetimeIndex(df.index))
    occ = np.zeros(N_TOW, dtype=np.bool_)
    # an extra regressor equal to temperature up to 1e-7: the normal equations would square
    # that conditioning; the kernel hands the fit to QR and returns its numbers exactly
    ex = np.column_stack([t + 1e-7 * np.sin(np.arange(len(t)))])
    fast = towt_fit_fast(t, tow, y, ex, occ, KNOTS[:0], KNOTS[:0], False, True)
    alpha, beta, resid, ok = towt_fit(t, tow, y, ex, occ, KNOTS[:0], KNOTS[:0], False, True)
    np.testing.assert_array_equal(fast[1], beta)
    np.testing.assert_array_equal(fast[2], resid)


@pytest.mark.parametrize("tz,extra", [("UTC", False), ("America/New_York", True)])
def test_model_fast_equals_reference(tz: str, extra: bool) -> None:
    df = hourly_frame(seed=3, days=365, tz=tz)
    extras = []
    if extra:
        rng = np.random.default_rng(0)
        df["production"] = rng.uniform(0, 10, len(df))
        df["usage"] += 0.2 * df["production"]
        extras = ["production"]
    df.iloc[100:130, 0] = np.nan  # a gap
    fast = TOWTModel(extras).fit(df)
    ref = TOWTModel(extras, exhaustive=True).fit(df)
    assert fast.qualified == ref.qualified
    assert np.array_equal(fast.occ, ref.occ)
    np.testing.assert_allclose(fast.beta, ref.beta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.alpha, ref.alpha, rtol=1e-9)
    report = df.iloc[-24 * 60 :]
    np.testing.assert_allclose(fast.predict(report), ref.predict(report), rtol=1e-9)
    assert fast.mean_leverage(report) == pytest.approx(ref.mean_leverage(report), rel=1e-9)
    g, r = fast.summary.gof, ref.summary.gof
    assert (g.n, g.p) == (r.n, r.p)
    for name in ("r2", "adj_r2", "cvrmse", "nmbe", "autocorr", "n_eff"):
        assert getattr(g, name) == pytest.approx(getattr(r, name), rel=1e-9, abs=1e-12), name
