"""The prefix-sum balance-point search gives the exhaustive search's answer, bit for bit.

``grid_search_fast`` must return exactly what ``grid_search`` returns (same balance points,
same SSE, same tie-breaking, same qualifying rules), and ``select_daily`` must select the
same form with the same coefficients and statistics either way. The reference solves every
candidate's design matrix; it is independent of the prefix sums.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from analytics.kernels import grid_search, grid_search_fast
from analytics.models import ChangePointModel, select_daily
from analytics.stats import regression_tests

from .synth import daily_frame

GRID_F = np.arange(30.0, 90.5, 1.0)
GRID_C = np.arange(-1.0, 32.25, 0.5)


def _same(
    kind: int,
    t: np.ndarray,
    y: np.ndarray,
    ex: np.ndarray,
    grid: np.ndarray,
    min_days: int = 10,
    min_total: float = 20.0,
) -> None:
    ref = grid_search(t, y, ex, kind, grid, min_days, min_total)
    fast = grid_search_fast(t, y, ex, kind, grid, min_days, min_total)
    assert np.array_equal(np.array(ref), np.array(fast), equal_nan=True), (kind, ref, fast)


def _canon(obj: Any) -> str:
    """JSON text with NaN spelled out: equal text = identical numbers (NaN != NaN in dicts)."""
    return json.dumps(obj, sort_keys=True, default=str)


def _random_case(rng: np.random.Generator, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = int(rng.integers(25, 400))
    t = 57 - 25 * np.cos(2 * np.pi * np.arange(n) / 365.25) + rng.normal(0, rng.uniform(1, 9), n)
    if i % 4 == 0:
        t = np.round(t)  # many equal temperatures: ties at the balance points
    offset = (0.0, 500.0, 1e6)[i % 3]  # 1e6 kWh/day: no digits lost to the offset
    hb, cb = rng.uniform(40, 70), rng.uniform(50, 85)
    heat = rng.uniform(0, 10) if i % 2 else 0.0
    cool = rng.uniform(0, 12) if i % 5 > 1 else 0.0
    y = offset + heat * np.maximum(hb - t, 0) + cool * np.maximum(t - cb, 0)
    y = y + rng.normal(0, rng.uniform(0.01, 40), n)
    q = i % 3
    ex = rng.uniform(80, 120, (n, q))
    ex[rng.random(n) < 0.3] *= 0.3  # weekends
    if q:
        y = y + ex @ rng.uniform(0, 3, q)
    return t, y, ex


def test_fast_search_equals_exhaustive_on_random_plants() -> None:
    rng = np.random.default_rng(18)
    for i in range(60):
        t, y, ex = _random_case(rng, i)
        for kind in (2, 3, 4, 5):
            _same(kind, t, y, ex, GRID_F)


def test_fast_search_equals_exhaustive_in_celsius_and_short_series() -> None:
    rng = np.random.default_rng(5)
    for i in range(20):
        t, y, ex = _random_case(rng, i)
        tc = (t - 32) * 5 / 9
        for kind in (2, 3, 4, 5):
            _same(kind, tc, y, ex, GRID_C, 10, 20.0 * 5 / 9)
    # three weeks: few candidates have 10 days on a side
    t, y, ex = _random_case(np.random.default_rng(1), 1)
    for kind in (2, 3, 4, 5):
        _same(kind, t[:21], y[:21], ex[:21], GRID_F)


def test_exact_ties_break_as_the_reference_does() -> None:
    # every temperature below 60 degF: each heating balance point from 60 to 90 gives the same
    # column up to a constant (absorbed by the intercept), so the same SSE up to rounding
    rng = np.random.default_rng(3)
    t = np.round(rng.uniform(30, 59, 200))
    y = 100 + 5 * np.maximum(62 - t, 0) + rng.normal(0, 3, 200)
    ex = np.zeros((200, 0))
    _same(2, t, y, ex, GRID_F)
    h, _, _ = grid_search_fast(t, y, ex, 2, GRID_F, 10, 20.0)
    assert h >= 59  # one of the tied candidates (whichever the reference picks)
    # an exact duplicate dataset stacked twice ties every SSE pattern with itself
    _same(5, np.r_[t, t], np.r_[y, y], np.zeros((400, 0)), GRID_F)


def test_degenerate_inputs_follow_the_reference() -> None:
    n = 120
    ex = np.zeros((n, 0))
    rng = np.random.default_rng(8)
    flat_t = np.full(n, 55.0)  # all temperatures equal: every degree-day column is constant
    for kind in (2, 3, 4, 5):
        _same(kind, flat_t, rng.normal(100, 5, n), ex, GRID_F)
    t = rng.uniform(30, 90, n)
    for kind in (2, 3, 4, 5):
        _same(kind, t, np.full(n, 1e6), ex, GRID_F)  # constant usage
        _same(kind, t, np.zeros(n), ex, GRID_F)
        _same(kind, t, rng.normal(100, 5, n), ex, GRID_F, 200, 20.0)  # too few days a side
        _same(kind, t, rng.normal(100, 5, n), ex, GRID_F, 10, 1e5)  # too few degree days
    # degree-day totals exactly at the minimum (integer temperatures, integer grid)
    t_int = np.r_[np.full(10, 48.0), np.full(10, 52.0), np.full(100, 60.0)]
    y_int = 10 + 2 * np.maximum(50 - t_int, 0) + np.sin(np.arange(120))
    for kind in (2, 3, 4, 5):
        _same(kind, t_int, y_int, np.zeros((120, 0)), GRID_F)
    # missing days reach the kernel only if a caller skips the model layer: same answer
    t_nan = t.copy()
    t_nan[5] = np.nan
    for kind in (2, 5):
        _same(kind, t_nan, rng.normal(100, 5, n), ex, GRID_F)
    # a grid out of order
    for kind in (2, 5):
        _same(kind, t, rng.normal(100, 5, n), ex, GRID_F[::-1].copy())


def test_negative_slopes_and_collinear_extras_are_rejected_the_same_way() -> None:
    rng = np.random.default_rng(11)
    t = 57 - 25 * np.cos(2 * np.pi * np.arange(365) / 365.25) + rng.normal(0, 6, 365)
    y = 500 - 6 * np.maximum(t - 60, 0) + rng.normal(0, 10, 365)  # usage falls when hot
    ex = np.zeros((365, 0))
    for kind in (2, 3, 4, 5):
        _same(kind, t, y, ex, GRID_F)
    collinear = np.column_stack([t * 2.0 + 1.0, rng.uniform(0, 1, 365)])
    for kind in (2, 3, 4, 5):
        _same(kind, t, y + 3 * collinear[:, 1], collinear, GRID_F)


@pytest.mark.parametrize(
    "heat,cool,prod,offset",
    [
        (8.0, 12.0, 0.0, 0.0),
        (8.0, 0.0, 2.0, 0.0),
        (0.0, 12.0, 0.0, 1e6),
        (0.0, 0.0, 0.0, 0.0),
        (0.4, 0.3, 1.0, 0.0),
    ],
)
def test_select_daily_fast_equals_exhaustive(
    heat: float, cool: float, prod: float, offset: float
) -> None:
    for seed in range(3):
        df = daily_frame(seed=seed, days=365, heat=heat, cool=cool, prod=prod, noise=15.0)
        df["usage"] += offset
        df.iloc[::17, 0] = np.nan  # missing days
        extras = ["production"] if prod else []
        for unit in ("F", "C"):
            d = df if unit == "F" else df.assign(temperature=(df["temperature"] - 32) * 5 / 9)
            fast = select_daily(d, extras, unit)
            ref = select_daily(d, extras, unit, exhaustive=True)
            assert fast.reason == ref.reason
            assert _canon(fast.candidates) == _canon(ref.candidates)
            assert _canon(fast.model.to_dict()) == _canon(ref.model.to_dict())


def test_model_fit_fast_equals_exhaustive_with_large_offset() -> None:
    df = daily_frame(seed=2, days=365, noise=0.5)
    df["usage"] += 1e6
    for kind in ("3PH", "3PC", "4P", "5P"):
        fast = ChangePointModel(kind).fit(df)
        ref = ChangePointModel(kind, exhaustive=True).fit(df)
        assert _canon(fast.to_dict()) == _canon(ref.to_dict())
        assert fast.summary is not None and ref.summary is not None
        assert np.array_equal([fast.hbp, fast.cbp], [ref.hbp, ref.cbp], equal_nan=True)


def test_regression_tests_p_values_are_scipy_stats() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(50), rng.normal(0, 1, (50, 2))])
    y = x @ np.array([1.0, 0.3, 0.0]) + rng.normal(0, 1, 50)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    inv = np.linalg.inv(x.T @ x)
    r = regression_tests(["a", "b", "c"], coef, inv, resid, y, extra_params=1)
    dof = 50 - 4
    tv = np.asarray(r.tvalues)
    assert list(r.pvalues) == list(2.0 * sps.t.sf(np.abs(tv), dof))
    assert r.f_pvalue == float(sps.f.sf(r.f_stat, 3, dof))
    assert not math.isnan(r.f_pvalue)
