"""Guideline 14 statistics count every estimated parameter, balance points included.

A 5P change-point model estimates an intercept, two slopes *and* two balance points: p = 5.
The references are statsmodels OLS on the same design with its residual and model degrees of
freedom set to n − p and p − 1 (statsmodels' documented ``df_resid``/``df_model`` setters), and
closed forms for the autocorrelation correction and the fractional savings uncertainty.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from analytics.kernels import KIND_NAMES, block_inflation, changepoint_design, towt_design
from analytics.models import ChangePointModel, TOWTModel
from analytics.models.towt import time_of_week
from analytics.stats import (
    autocorr_lag1,
    fractional_savings_uncertainty,
    goodness_of_fit,
    savings_half_width,
)

from .synth import daily_frame, hourly_frame

# coefficients + balance points of each form (ASHRAE RP-1050 names: the "P" counts them all)
PARAMETERS = {"1P": 1, "2P": 2, "3PH": 3, "3PC": 3, "4P": 4, "5P": 5}


def _reference(y: np.ndarray, x: np.ndarray, p: int):  # type: ignore[no-untyped-def]
    model = sm.OLS(y, x)
    model.df_resid = float(len(y) - p)
    model.df_model = float(p - 1)
    return model.fit()


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_balance_points_are_parameters_in_every_statistic(kind: str) -> None:
    df = daily_frame(seed=3, prod=2.0)
    m = ChangePointModel(kind, extras=["production"]).fit(df)
    p = PARAMETERS[kind] + 1  # + the production slope
    g = m.summary.gof
    assert g.p == p
    x = changepoint_design(
        df["temperature"].to_numpy(),
        df[["production"]].to_numpy(),
        KIND_NAMES.index(kind),
        m.hbp,
        m.cbp,
    )
    y = df["usage"].to_numpy()
    ref = _reference(y, x, p)
    assert ref.df_resid == len(y) - p  # statsmodels kept the degrees of freedom we set
    mean = y.mean()
    assert g.cvrmse == pytest.approx(math.sqrt(ref.ssr / (len(y) - p)) / mean, rel=1e-10)
    assert g.nmbe == pytest.approx(ref.resid.sum() / ((len(y) - p) * mean), rel=1e-6, abs=1e-12)
    assert g.adj_r2 == pytest.approx(ref.rsquared_adj, rel=1e-10)
    np.testing.assert_allclose(list(m.summary.pvalues.values()), ref.pvalues, rtol=1e-5, atol=1e-12)
    if kind != "1P":
        assert m.summary.f_pvalue == pytest.approx(ref.f_pvalue, rel=1e-5, abs=1e-300)


def test_a_5p_model_has_five_parameters_and_its_fsu_uses_n_minus_5() -> None:
    df = daily_frame(seed=5, noise=10.0)
    m = ChangePointModel("5P").fit(df)
    g = m.summary.gof
    assert g.p == 5
    frac, months = 0.1, 365
    t = sps.t.ppf(0.95, g.n - 5)
    expected = t * 1.26 * g.cvrmse * math.sqrt(g.n / g.n_eff * (1 + 2 / g.n_eff) / months) / frac
    assert fractional_savings_uncertainty(g, months, frac, 0.90) == pytest.approx(expected)


def test_towt_counts_every_estimated_coefficient() -> None:
    """168 hour-of-week levels (those observed) + the informative temperature segments."""
    df = hourly_frame(days=120)
    m = TOWTModel().fit(df)
    x = towt_design(
        df["temperature"].to_numpy(),
        time_of_week(df.index),
        np.zeros((len(df), 0)),
        m.occ,
        m.knots_occ,
        m.knots_unocc,
        m.has_occ,
        m.has_unocc,
    )
    rank = int(np.linalg.matrix_rank(x))
    assert m.summary.gof.p == rank > 168
    y = df["usage"].to_numpy()
    ref = _reference(y, x, rank)
    assert m.summary.gof.cvrmse == pytest.approx(
        math.sqrt(ref.ssr / (len(y) - rank)) / y.mean(), rel=1e-8
    )


def test_positive_autocorrelation_shrinks_the_effective_sample_closed_form() -> None:
    # e_t = 0.6 e_{t-1} + w_t, written out
    rng = np.random.default_rng(11)
    w = rng.normal(0, 1, 2000)
    e = np.empty_like(w)
    e[0] = w[0]
    for i in range(1, len(w)):
        e[i] = 0.6 * e[i - 1] + w[i]
    rho = sum(e[i] * e[i - 1] for i in range(1, len(e))) / sum(v * v for v in e)
    g = goodness_of_fit(100.0 + e, np.full(len(e), 100.0), 1)
    assert g.autocorr == pytest.approx(rho, rel=1e-12)
    assert 0.55 < rho < 0.65
    assert g.n_eff == pytest.approx(2000 * (1 - rho) / (1 + rho), rel=1e-12)


def test_negative_autocorrelation_never_narrows_the_interval() -> None:
    """The conservative choice (analytics/README.md): rho < 0 would give n' > n and a narrower
    interval under G14's formula; PlantMeter keeps n' = n, the independent-errors case."""
    e = np.tile([1.0, -1.0], 200)  # rho = -(n - 1) / n
    assert autocorr_lag1(e) == pytest.approx(-399 / 400)
    g = goodness_of_fit(50.0 + e, np.full(len(e), 50.0), 1)
    assert g.autocorr < 0 and g.n_eff == 400
    white = goodness_of_fit(50.0 + e, np.full(len(e), 50.0), 1)
    t = sps.t.ppf(0.95, 399)
    expected = t * 1.26 * g.cvrmse * math.sqrt(1.0 * (1 + 2 / 400) / 100) / 0.2
    assert fractional_savings_uncertainty(g, 100, 0.2, 0.90) == pytest.approx(expected)
    assert fractional_savings_uncertainty(white, 100, 0.2, 0.90) == pytest.approx(expected)


def test_savings_half_width_is_the_ols_variance_of_the_reporting_total() -> None:
    """U = t * s * sqrt((n/n') (m + m^2 h)): m new reporting draws plus the model error of
    their sum, h = x_r' (X'X)^-1 x_r; against statsmodels' standard error of the mean
    prediction at the reporting period's mean design row."""
    df = daily_frame(seed=8, prod=2.0, noise=20.0)
    base, rep = df.iloc[:365], df.iloc[365:]
    m = ChangePointModel("3PC", extras=["production"]).fit(base)
    k = KIND_NAMES.index("3PC")
    x = changepoint_design(
        base["temperature"].to_numpy(), base[["production"]].to_numpy(), k, 0.0, m.cbp
    )
    xr = changepoint_design(
        rep["temperature"].to_numpy(), rep[["production"]].to_numpy(), k, 0.0, m.cbp
    )
    ref = _reference(base["usage"].to_numpy(), x, m.summary.gof.p)
    xbar = xr.mean(axis=0)
    se_mean = float(ref.get_prediction(xbar[None, :]).se_mean[0])
    h = m.mean_leverage(rep)
    assert h == pytest.approx(se_mean**2 / ref.scale, rel=1e-8)
    g = m.summary.gof
    mm = len(rep)
    var_total = ref.scale * mm + mm**2 * se_mean**2  # new draws + the common model error
    t = sps.t.ppf(0.95, g.n - g.p)
    expected = t * math.sqrt(var_total * g.n / g.n_eff)
    assert savings_half_width(g, mm, h, 0.90) == pytest.approx(expected, rel=1e-8)
    # an intercept-only model: h = 1/n exactly
    m1 = ChangePointModel("1P").fit(base)
    assert m1.mean_leverage(rep) == pytest.approx(1 / 365, rel=1e-12)


def test_towt_leverage_by_block_inverse_equals_the_full_design() -> None:
    df = hourly_frame(days=150)
    base, rep = df.iloc[: 24 * 120], df.iloc[24 * 120 :]
    m = TOWTModel().fit(base)
    args = (m.occ, m.knots_occ, m.knots_unocc, m.has_occ, m.has_unocc)
    x = towt_design(
        base["temperature"].to_numpy(), time_of_week(base.index), np.zeros((len(base), 0)), *args
    )
    xr = towt_design(
        rep["temperature"].to_numpy(), time_of_week(rep.index), np.zeros((len(rep), 0)), *args
    )
    xbar = xr.mean(axis=0)
    full = float(xbar @ np.linalg.pinv(x.T @ x) @ xbar)
    assert m.mean_leverage(rep) == pytest.approx(full, rel=1e-6)
    rebuilt = TOWTModel.from_dict(m.to_dict())
    assert rebuilt.mean_leverage(rep) == pytest.approx(full, rel=1e-6)


def test_block_inflation_closed_forms() -> None:
    # one row per group: G14's n/n' = (1 + rho) / (1 - rho)
    rng = np.random.default_rng(4)
    e = np.empty(3000)
    e[0] = rng.normal()
    for i in range(1, e.size):
        e[i] = 0.5 * e[i - 1] + rng.normal()
    rho = float(np.dot(e[1:], e[:-1]) / np.dot(e, e))
    infl, rho_g = block_inflation(e, np.arange(e.size))
    assert rho_g == pytest.approx(rho, rel=1e-12)
    assert infl == pytest.approx((1 + rho) / (1 - rho), rel=1e-12)
    # a whole day moves together: 24 hours of the same residual, days independent -> w = 24
    day = rng.normal(size=400)
    hourly = np.repeat(day, 24)
    infl, _ = block_inflation(hourly, np.repeat(np.arange(400), 24))
    sums = day * 24
    rho_d = float(np.dot(sums[1:], sums[:-1]) / np.dot(sums, sums))
    f = (1 + rho_d) / (1 - rho_d) if rho_d > 0 else 1.0
    assert infl == pytest.approx(24 * f, rel=1e-12)
    # alternating residuals within a day cancel: never below 1 (conservative)
    assert block_inflation(np.tile([1.0, -1.0], 240), np.repeat(np.arange(20), 24))[0] == 1.0


def test_hourly_n_eff_sees_a_day_that_moves_together() -> None:
    """A daily factor on bursty hourly use: lag-1 hourly correlation stays low, the day sums do
    not; n' follows the day sums."""
    df = hourly_frame(days=200, noise=0.2)
    rng = np.random.default_rng(9)
    factor = np.repeat(1 + rng.normal(0, 0.08, 200), 24)
    df["usage"] = df["usage"] * factor
    g = TOWTModel().fit(df).summary.gof
    lag1_only = g.n * (1 - g.autocorr) / (1 + g.autocorr)
    assert g.autocorr < 0.3 and lag1_only > g.n / 2  # what the lag-1 formula alone would say
    assert g.n_eff < g.n / 3


def test_towt_round_trip_without_informative_temperature_columns() -> None:
    """A flat temperature leaves no informative segment (k = 0): the pinned model still loads
    and gives the intercept-only leverage of its time-of-week levels."""
    df = hourly_frame(days=60)
    df["temperature"] = 20.0
    m = TOWTModel().fit(df)
    assert m.s_inv is not None and m.s_inv.shape == (0, 0)
    rebuilt = TOWTModel.from_dict(json.loads(json.dumps(m.to_dict())))
    assert rebuilt.mean_leverage(df) == pytest.approx(m.mean_leverage(df), rel=1e-12)
    assert m.mean_leverage(df) == pytest.approx(1 / len(df), rel=1e-9)
