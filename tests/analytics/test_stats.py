"""G14 statistics against hand formulas and statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from analytics.kernels import ols_qr
from analytics.stats import (
    autocorr_lag1,
    calibration_checks,
    enpi_checks,
    fractional_savings_uncertainty,
    goodness_of_fit,
    regression_tests,
)


def _fit(seed: int = 0, n: int = 200):
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n), rng.uniform(0, 30, n), rng.uniform(100, 200, n)])
    y = x @ np.array([50.0, 2.0, 0.3]) + rng.normal(0, 5, n)
    coef, resid, inv, ok = ols_qr(x, y)
    return x, y, coef, resid, inv


def test_gof_matches_hand_formulas_and_statsmodels() -> None:
    x, y, coef, resid, _ = _fit()
    g = goodness_of_fit(y, y - resid, 3)
    ref = sm.OLS(y, x).fit()
    assert g.r2 == pytest.approx(ref.rsquared, rel=1e-10)
    assert g.adj_r2 == pytest.approx(ref.rsquared_adj, rel=1e-10)
    assert g.cvrmse == pytest.approx(math.sqrt(ref.ssr / (200 - 3)) / y.mean(), rel=1e-12)
    assert g.nmbe == pytest.approx(resid.sum() / ((200 - 3) * y.mean()), rel=1e-9, abs=1e-15)
    assert g.autocorr == pytest.approx(np.dot(resid[1:], resid[:-1]) / np.dot(resid, resid))


def test_regression_tests_match_statsmodels() -> None:
    x, y, coef, resid, inv = _fit(1)
    t = regression_tests(["const", "a", "b"], coef, inv, resid, y)
    ref = sm.OLS(y, x).fit()
    np.testing.assert_allclose(t.stderr, ref.bse, rtol=1e-8)
    np.testing.assert_allclose(t.pvalues, ref.pvalues, rtol=1e-6, atol=1e-300)
    assert t.f_stat == pytest.approx(ref.fvalue, rel=1e-8)
    assert t.f_pvalue == pytest.approx(ref.f_pvalue, rel=1e-6, abs=1e-300)


def test_autocorrelation_edge_cases() -> None:
    assert autocorr_lag1(np.array([1.0])) == 0.0
    assert autocorr_lag1(np.zeros(10)) == 0.0
    e = np.sin(np.arange(100) / 5)
    assert autocorr_lag1(e) > 0.9


def test_fsu_formula_and_autocorrelation_widens_it() -> None:
    from scipy import stats as sps

    g = goodness_of_fit(np.array([10.0, 12, 11, 13, 9, 10, 12, 11]), np.full(8, 11.0), 1)
    f = fractional_savings_uncertainty(g, 365, 0.1, 0.90)
    t = sps.t.ppf(0.95, 7)
    expected = t * 1.26 * g.cvrmse * math.sqrt(8 / g.n_eff * (1 + 2 / g.n_eff) / 365) / 0.1
    assert f == pytest.approx(expected)
    rng = np.random.default_rng(0)
    white = rng.normal(0, 1, 400)
    red = np.convolve(white, np.ones(10) / 10, mode="same")
    y = 100 + np.concatenate([white, red])
    g_white = goodness_of_fit(y[:400], np.full(400, 100.0), 1)
    g_red = goodness_of_fit(y[400:], np.full(400, 100.0), 1)
    # same CV(RMSE) scale: compare the autocorrelation factor only
    fw = fractional_savings_uncertainty(g_white, 100, 0.1, 0.68) / g_white.cvrmse
    fr = fractional_savings_uncertainty(g_red, 100, 0.1, 0.68) / g_red.cvrmse
    assert fr > 2 * fw
    assert math.isnan(fractional_savings_uncertainty(g, 0, 0.1, 0.9))
    assert math.isnan(fractional_savings_uncertainty(g, 10, 0.0, 0.9))


def test_calibration_checks_by_granularity() -> None:
    g = goodness_of_fit(np.array([100.0, 120, 80, 110, 90]), np.full(5, 100.0), 1)
    hourly = {c.name: c for c in calibration_checks(g, "hourly")}
    monthly = {c.name: c for c in calibration_checks(g, "monthly")}
    assert hourly["cvrmse"].passed and not monthly["cvrmse"].passed
    assert "15%" in monthly["cvrmse"].reason
    with pytest.raises(ValueError, match="granularity"):
        calibration_checks(g, "weekly")


def test_enpi_checks_pass_and_fail_with_reasons() -> None:
    x, y, coef, resid, inv = _fit(2)
    t = regression_tests(["const", "production", "noise"], coef, inv, resid, y)
    checks = enpi_checks(
        t,
        goodness_of_fit(y, y - resid, 3).r2,
        ["production"],
        {"production": x[:, 1]},
        {"production": x[:, 1] + 100},
    )
    by = {c.name: c for c in checks}
    assert by["f_test"].passed and by["p_production"].passed and by["r2"].passed
    assert not by["range_production"].passed
    assert "outside" in by["range_production"].reason
    rng = np.random.default_rng(3)
    yn = rng.normal(0, 1, 200)
    c2, r2_, inv2, _ = ols_qr(x, yn)
    t2 = regression_tests(["const", "production", "noise"], c2, inv2, r2_, yn)
    by2 = {c.name: c for c in enpi_checks(t2, goodness_of_fit(yn, yn - r2_, 3).r2, ["production"])}
    assert not by2["r2"].passed
