"""ASHRAE Guideline 14-2014 statistics, savings uncertainty and DOE EnPI validity checks.

Conventions (see analytics/README.md for sources):

* CV(RMSE) = sqrt(SSE / (n - p)) / mean(y);  NMBE = sum(y - yhat) / ((n - p) * mean(y))
  (G14-2014 uses n - p in both denominators; p = number of model parameters, a change-point
  model's balance points included: 5P has p = 5; TOWT counts every hour-of-week level and
  temperature segment it estimates). The t statistic uses n - p degrees of freedom.
* lag-1 autocorrelation of residuals rho = sum(e_t e_{t-1}) / sum(e_t^2);
  effective sample size n' = n (1 - rho) / (1 + rho) for rho > 0. For rho <= 0 we keep
  n' = n: G14's formula would give n' > n and a narrower interval than independent errors;
  a negative lag-1 residual correlation of a daily or hourly baseline is mostly estimation
  noise, so PlantMeter takes the conservative choice (never narrower than white noise).
* Savings uncertainty reported by ``analytics.api``: ``savings_half_width`` (exact OLS
  variance of the reporting total with G14's n/n' factor, see its docstring). G14 Annex B's
  fractional savings uncertainty (as implemented by CalTRACK/eemeter 2.x for metered
  savings) is kept as ``fractional_savings_uncertainty``, the shortcut it documents::

      FSU = t(1 - a/2, n - p) * 1.26 * CV * sqrt((n / n') * (1 + 2 / n') / m) / F

  with m reporting-period points and F = savings / adjusted baseline.
* Calibration criteria: monthly CV(RMSE) <= 15 %, |NMBE| <= 5 %; hourly CV <= 30 %,
  |NMBE| <= 10 %. Daily data use the hourly criteria (G14 lists no daily limits;
  daily residuals are closer in variance to hourly than to monthly totals, so the
  monthly limits would reject most sound daily baselines).
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import special
from scipy import stats as sps

from .kernels import block_inflation

__all__ = [
    "CALIBRATION_CRITERIA",
    "Check",
    "GoodnessOfFit",
    "RegressionTests",
    "autocorr_lag1",
    "calibration_checks",
    "enpi_checks",
    "fractional_savings_uncertainty",
    "goodness_of_fit",
    "regression_tests",
    "savings_half_width",
]

logger = logging.getLogger(__name__)

CALIBRATION_CRITERIA: dict[str, tuple[float, float]] = {
    "monthly": (0.15, 0.05),
    "daily": (0.30, 0.10),
    "hourly": (0.30, 0.10),
}


@dataclass(frozen=True)
class Check:
    """One pass/fail test with the number behind it and a plain-language reason."""

    name: str
    passed: bool
    value: float
    threshold: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GoodnessOfFit:
    """Fit statistics of a baseline model on its own baseline data."""

    n: int
    p: int
    r2: float
    adj_r2: float
    rmse: float
    cvrmse: float
    nmbe: float
    autocorr: float
    n_eff: float
    mean: float
    autocorr_daily: float | None = None  # lag-1 of daily residual sums (hourly models)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RegressionTests:
    """OLS inference: standard errors, t, p-values per coefficient and the overall F-test."""

    names: tuple[str, ...]
    stderr: tuple[float, ...]
    tvalues: tuple[float, ...]
    pvalues: tuple[float, ...]
    f_stat: float
    f_pvalue: float
    extra: dict[str, Any] = field(default_factory=dict)


def autocorr_lag1(resid: np.ndarray) -> float:
    """Lag-1 autocorrelation of residuals (G14 form, no re-centering); 0 for n < 3."""
    e = np.asarray(resid, dtype=float)
    e = e[np.isfinite(e)]
    if e.size < 3:
        return 0.0
    den = float(np.dot(e, e))
    if den == 0.0:
        return 0.0
    return float(np.dot(e[1:], e[:-1]) / den)


def goodness_of_fit(
    y: np.ndarray, yhat: np.ndarray, p: int, days: np.ndarray | None = None
) -> GoodnessOfFit:
    """R², adjusted R², CV(RMSE), NMBE (n - p convention), lag-1 autocorrelation, n'.

    ``days`` (a day label per row, for hourly data): n' = n / inflation with the inflation of
    a sum of residuals that move together within a day and from day to day
    (``kernels.block_inflation``). Lag-1 hourly autocorrelation alone misses it: a day's
    unexplained 8 % moves all its hours, yet the hour-to-hour correlation of a bursty load (CIP
    rinses) stays low, and the interval came out 3-4 times too narrow on the simulated dairy.
    """
    y = np.asarray(y, dtype=float)
    yhat = np.asarray(yhat, dtype=float)
    ok = np.isfinite(y) & np.isfinite(yhat)
    if not ok.all():
        y, yhat = y[ok], yhat[ok]
    n = int(y.size)
    resid = y - yhat
    sse = float(np.dot(resid, resid))
    mean = float(y.mean()) if n else math.nan
    sst = float(np.sum((y - mean) ** 2)) if n else math.nan
    dof = n - p
    r2 = 1.0 - sse / sst if sst > 0 else math.nan
    adj = 1.0 - (1.0 - r2) * (n - 1) / dof if dof > 0 and sst > 0 else math.nan
    rmse = math.sqrt(sse / dof) if dof > 0 else math.nan
    cv = rmse / mean if dof > 0 and mean != 0 else math.nan
    nmbe = float(resid.sum()) / (dof * mean) if dof > 0 and mean != 0 else math.nan
    rho = autocorr_lag1(resid)
    if days is not None and n:
        infl, rho_d = block_inflation(resid, np.asarray(days, dtype=np.int64)[ok])
        return GoodnessOfFit(n, p, r2, adj, rmse, cv, nmbe, rho, n / infl, mean, float(rho_d))
    n_eff = n * (1.0 - rho) / (1.0 + rho) if rho > -1.0 else float(n)
    return GoodnessOfFit(n, p, r2, adj, rmse, cv, nmbe, rho, min(n_eff, float(n)), mean)


def regression_tests(
    names: list[str] | tuple[str, ...],
    coef: np.ndarray,
    xtx_inv: np.ndarray,
    resid: np.ndarray,
    y: np.ndarray,
    has_intercept: bool = True,
    extra_params: int = 0,
) -> RegressionTests:
    """Standard errors, t statistics, two-sided p-values and the overall F-test (as statsmodels).

    ``extra_params`` counts parameters estimated outside the linear solve (a change-point
    model's balance points): they use up degrees of freedom, so the residual variance is
    SSE / (n - p - extra), the t tests use n - p - extra degrees of freedom and the F test
    has p - 1 + extra in its numerator (statsmodels with ``df_resid``/``df_model`` set so).
    """
    n = len(resid)
    p = len(coef) + extra_params
    dof = n - p
    sse = float(np.dot(resid, resid))
    if dof <= 0:
        nan = tuple(math.nan for _ in coef)
        return RegressionTests(tuple(names), nan, nan, nan, math.nan, math.nan)
    s2 = sse / dof
    # a few coefficients: plain floats (same IEEE operations as numpy's, without its per-call
    # cost); scipy.stats' t.sf and f.sf are scipy.special's stdtr(df, -x) and fdtrc behind
    # ~50 us of argument checking each, and the selection calls them for every form
    diag = xtx_inv.diagonal()
    se = [math.sqrt(max(float(diag[j]), 0.0) * s2) for j in range(len(coef))]
    tv = [float(coef[j]) / se[j] if se[j] > 0 else math.inf for j in range(len(coef))]
    pv = 2.0 * special.stdtr(dof, -np.abs(np.asarray(tv)))
    k = p - 1 if has_intercept else p
    yc = y - y.mean() if has_intercept else y
    sst = float(np.dot(yc, yc))
    if k > 0 and sse > 0:
        f = ((sst - sse) / k) / s2
        fp = float(special.fdtrc(k, dof, max(f, 0.0)))
    else:
        f, fp = math.nan, math.nan
    return RegressionTests(
        tuple(names),
        tuple(se),
        tuple(tv),
        tuple(map(float, pv)),
        float(f),
        fp,
    )


def fractional_savings_uncertainty(
    gof: GoodnessOfFit, m: int, savings_fraction: float, confidence: float
) -> float:
    """G14 FSU (fraction of savings) at a two-sided ``confidence`` (e.g. 0.68, 0.90).

    NaN when it cannot be computed (no savings, too few points, |rho| >= 1).
    """
    dof = gof.n - gof.p
    if m <= 0 or dof <= 0 or not math.isfinite(gof.cvrmse) or savings_fraction == 0:
        return math.nan
    if gof.n_eff <= 0 or not math.isfinite(savings_fraction):
        return math.nan
    t = float(sps.t.ppf(1.0 - (1.0 - confidence) / 2.0, dof))
    root = math.sqrt((gof.n / gof.n_eff) * (1.0 + 2.0 / gof.n_eff) / m)
    return abs(t * 1.26 * gof.cvrmse * root / savings_fraction)


def savings_half_width(gof: GoodnessOfFit, m: int, leverage: float, confidence: float) -> float:
    """Half-width of the two-sided ``confidence`` interval of the total savings over ``m``
    reporting points, in usage units (the exact OLS form with G14's autocorrelation factor)::

        U = t(1 - a/2, n - p) * RMSE * sqrt((n / n') * (m + m^2 * h))

    ``m`` is the reporting period's own noise (its m values are new draws) and ``m^2 h`` the
    model's error, the same for every reporting point: h = x_r' (X'X)^-1 x_r with x_r the mean
    design row of the reporting period (1/n for an intercept-only model). This is the variance
    of sum(y_new - y_hat) for OLS (Reddy & Claridge 2000; the "exact algebraic approach" of
    Koran et al. 2017), inflated by n/n' for lag-1 autocorrelated residuals as G14 does. G14
    Annex B's shortcut 1.26 * CV * sqrt((n/n')(1 + 2/n')/m) treats the model error of each
    reporting point as independent; for a year of daily points it states ~80 % of the real
    spread (measured: ``python -m bench.coverage``). NaN when it cannot be computed.
    """
    dof = gof.n - gof.p
    if m <= 0 or dof <= 0 or not math.isfinite(gof.rmse) or gof.n_eff <= 0:
        return math.nan
    if not math.isfinite(leverage) or leverage < 0:
        return math.nan
    t = float(sps.t.ppf(1.0 - (1.0 - confidence) / 2.0, dof))
    return t * gof.rmse * math.sqrt((gof.n / gof.n_eff) * (m + m * m * leverage))


def calibration_checks(gof: GoodnessOfFit, granularity: str) -> list[Check]:
    """G14 CV(RMSE) and NMBE limits for the data's granularity (monthly/daily/hourly)."""
    if granularity not in CALIBRATION_CRITERIA:
        raise ValueError(f"granularity {granularity!r}: use one of {sorted(CALIBRATION_CRITERIA)}")
    cv_max, nmbe_max = CALIBRATION_CRITERIA[granularity]
    cv_ok = math.isfinite(gof.cvrmse) and gof.cvrmse <= cv_max
    nmbe_ok = math.isfinite(gof.nmbe) and abs(gof.nmbe) <= nmbe_max
    return [
        Check(
            "cvrmse",
            cv_ok,
            gof.cvrmse,
            cv_max,
            f"CV(RMSE) {gof.cvrmse:.1%} {'<=' if cv_ok else '>'} {cv_max:.0%} "
            f"(ASHRAE G14 {granularity} criterion)",
        ),
        Check(
            "nmbe",
            nmbe_ok,
            gof.nmbe,
            nmbe_max,
            f"|NMBE| {abs(gof.nmbe):.2%} {'<=' if nmbe_ok else '>'} {nmbe_max:.0%} "
            f"(ASHRAE G14 {granularity} criterion)",
        ),
    ]


def enpi_checks(
    tests: RegressionTests,
    r2: float,
    variables: list[str],
    baseline_drivers: dict[str, np.ndarray] | None = None,
    reporting_drivers: dict[str, np.ndarray] | None = None,
) -> list[Check]:
    """DOE EnPI model-validity checks for a (production-driven) regression.

    Model F-test p < 0.10; each named variable p < 0.20; R² >= 0.50; and each
    reporting-period driver's mean inside the baseline's [min, max] range.
    """
    out = [
        Check(
            "f_test",
            tests.f_pvalue < 0.10,
            tests.f_pvalue,
            0.10,
            f"model F-test p = {tests.f_pvalue:.3g} (EnPI requires < 0.10)",
        ),
        Check("r2", r2 >= 0.5, r2, 0.5, f"R² = {r2:.3f} (EnPI requires >= 0.50)"),
    ]
    for v in variables:
        if v not in tests.names:
            continue
        pv = tests.pvalues[tests.names.index(v)]
        out.append(
            Check(
                f"p_{v}",
                pv < 0.20,
                pv,
                0.20,
                f"variable {v}: p = {pv:.3g} (EnPI requires < 0.20 for each variable)",
            )
        )
    for name, base in (baseline_drivers or {}).items():
        rep = (reporting_drivers or {}).get(name)
        if rep is None:
            continue
        b = np.asarray(base, float)
        r = np.asarray(rep, float)
        b, r = b[np.isfinite(b)], r[np.isfinite(r)]
        if b.size == 0 or r.size == 0:
            continue
        lo, hi = float(b.min()), float(b.max())
        mean = float(r.mean())
        outside = float(np.mean((r < lo) | (r > hi)))
        ok = lo <= mean <= hi
        out.append(
            Check(
                f"range_{name}",
                ok,
                mean,
                hi,
                f"reporting-period {name} mean {mean:.4g} is {'inside' if ok else 'outside'} the "
                f"baseline range [{lo:.4g}, {hi:.4g}]; {outside:.0%} of reporting values outside",
            )
        )
    return out
