"""Least squares, degree days and change-point grid search vs numpy/statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from analytics.kernels import (
    changepoint_design,
    cholesky_solve,
    degree_days,
    grid_search,
    ols_normal,
    ols_qr,
)


@pytest.mark.parametrize("seed", range(5))
def test_ols_qr_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, p = rng.integers(20, 400), rng.integers(1, 7)
    x = np.column_stack([np.ones(n), rng.normal(50, 20, (n, p - 1)) if p > 1 else np.ones((n, 0))])
    y = x @ rng.normal(0, 3, x.shape[1]) + rng.normal(0, 1, n)
    coef, resid, xtx_inv, ok = ols_qr(x, y)
    ref = sm.OLS(y, x).fit()
    assert ok
    np.testing.assert_allclose(coef, ref.params, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(resid, ref.resid, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(xtx_inv, ref.normalized_cov_params, rtol=1e-8, atol=1e-14)


def test_ols_qr_ill_conditioned_degree_day_design() -> None:
    rng = np.random.default_rng(9)
    t = rng.uniform(20, 95, 365)
    x = np.column_stack([np.ones(365), np.maximum(60 - t, 0), np.maximum(t - 70, 0), t * 1000])
    y = x @ np.array([100.0, 2.0, 3.0, 0.001]) + rng.normal(0, 2, 365)
    coef, _, _, ok = ols_qr(x, y)
    ref = sm.OLS(y, x).fit()
    assert ok
    np.testing.assert_allclose(coef, ref.params, rtol=1e-8)


def test_ols_normal_matches_lstsq_and_reports_sse() -> None:
    rng = np.random.default_rng(4)
    x = np.column_stack([np.ones(100), rng.random((100, 2))])
    y = rng.random(100)
    coef, sse, ok = ols_normal(x, y)
    ref, res, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert ok
    np.testing.assert_allclose(coef, ref, rtol=1e-9)
    assert sse == pytest.approx(res[0], rel=1e-9)


def test_rank_deficient_design_is_reported_not_solved() -> None:
    x = np.column_stack([np.ones(10), np.ones(10)])
    y = np.arange(10.0)
    assert not ols_normal(x, y)[2]
    assert not ols_qr(x, y)[3]
    assert not ols_qr(np.zeros((10, 1)), y)[3]
    assert not ols_qr(np.ones((2, 3)), np.ones(2))[3]


def test_cholesky_solve() -> None:
    rng = np.random.default_rng(5)
    a = rng.random((4, 4))
    a = a @ a.T + 4 * np.eye(4)
    b = rng.random(4)
    x, ok = cholesky_solve(a, b)
    assert ok
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-12)


def test_degree_days_reference_and_nan() -> None:
    t = np.array([10.0, 18.0, 25.0, np.nan])
    h, c = degree_days(t, 18.0)
    np.testing.assert_array_equal(h[:3], np.maximum(18 - t[:3], 0))
    np.testing.assert_array_equal(c[:3], np.maximum(t[:3] - 18, 0))
    assert np.isnan(h[3]) and np.isnan(c[3])


def _brute(t, y, ex, kind, grid):
    best = (np.inf, None, None)
    for h in grid:
        for c in grid:
            if kind == 2 and c != grid[0]:
                continue
            if kind == 3 and c != grid[0]:
                continue
            hh, cc = h, c
            if kind == 3:
                hh, cc = np.nan, h
            if kind == 2:
                cc = np.nan
            if kind == 4 and h != c:
                continue
            if kind == 5 and c <= h:
                continue
            cols = [np.ones_like(t)]
            if kind in (2, 4, 5):
                hd = np.maximum(hh - t, 0)
                if (hd > 0).sum() < 10 or hd.sum() < 20:
                    continue
                cols.append(hd)
            if kind in (3, 4, 5):
                cd = np.maximum(t - cc, 0)
                if (cd > 0).sum() < 10 or cd.sum() < 20:
                    continue
                cols.append(cd)
            x = np.column_stack(cols + [ex])
            r = sm.OLS(y, x).fit()
            if np.any(r.params[1 : len(cols)] <= 0):
                continue
            if r.ssr < best[0]:
                best = (r.ssr, hh, cc)
    return best


@pytest.mark.parametrize("kind", [2, 3, 4, 5])
def test_grid_search_matches_brute_force_statsmodels(kind: int) -> None:
    rng = np.random.default_rng(10 + kind)
    t = rng.uniform(10, 95, 200)
    ex = rng.uniform(0, 10, (200, 1))
    y = 50 + 2 * np.maximum(55 - t, 0) + 3 * np.maximum(t - 68, 0) + 4 * ex[:, 0]
    y += rng.normal(0, 3, 200)
    grid = np.arange(30.0, 91.0, 2.0)
    h, c, sse = grid_search(t, y, ex, kind, grid, 10, 20.0)
    ref_sse, rh, rc = _brute(t, y, ex[:, 0], kind, grid)
    assert sse == pytest.approx(ref_sse, rel=1e-8)
    np.testing.assert_equal([h, c], [rh, rc])


def test_grid_search_no_qualifying_candidate() -> None:
    t = np.full(50, 70.0)
    y = np.ones(50)
    _, _, sse = grid_search(t, y, np.zeros((50, 0)), 2, np.arange(30.0, 60.0), 10, 20.0)
    assert sse == np.inf


def test_design_columns() -> None:
    t = np.array([40.0, 60.0, 80.0])
    x = changepoint_design(t, np.zeros((3, 0)), 5, 55.0, 65.0)
    np.testing.assert_array_equal(x, [[1, 15, 0], [1, 0, 0], [1, 0, 15]])
