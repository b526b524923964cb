"""Daily change-point baseline models (ASHRAE IMT / CalTRACK daily) with extra regressors."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from plantmeter.errors import AnalyticsError

from ..kernels import (
    KIND_NAMES,
    changepoint_design,
    grid_search,
    grid_search_fast,
    n_balance_points,
    n_params,
    ols_qr,
)
from ..stats import goodness_of_fit, regression_tests
from .base import ModelSummary, finite_array, require_columns, require_rows, temperature_scale

__all__ = ["ChangePointModel"]

logger = logging.getLogger(__name__)


class ChangePointModel:
    """One change-point model form fitted on daily (or per-day) data.

    ``data`` has columns ``usage`` (per day), ``temperature`` (daily mean) and the
    ``extras`` columns (e.g. ``production``). Balance points are found by grid
    search over ``[grid_min, grid_max]`` (CalTRACK: 30-90 degF in 1 degF steps;
    in degC the equivalent range in 0.5 degC steps), keeping only candidates with
    >= 10 days of non-zero degree days summing to >= 20 degF-days and positive slopes.

    The search runs on sorted prefix sums (``kernels.grid_search_fast``, O(1) per candidate);
    ``exhaustive=True`` solves every candidate's design matrix instead
    (``kernels.grid_search``, the reference it is tested against: same balance points, same
    fit).
    """

    def __init__(
        self,
        kind: str = "5P",
        extras: tuple[str, ...] | list[str] = (),
        temperature_unit: str = "F",
        grid: tuple[float, float, float] | None = None,
        exhaustive: bool = False,
    ) -> None:
        if kind not in KIND_NAMES:
            raise AnalyticsError(f"change-point kind {kind!r}: use one of {list(KIND_NAMES)}")
        self.kind = kind
        self.extras = list(extras)
        self.temperature_unit = temperature_unit
        s = temperature_scale(temperature_unit)
        if grid is None:
            grid = (30.0, 90.0, 1.0) if s == 1.0 else (-1.0, 32.0, 0.5)
        self.grid = grid
        self.exhaustive = exhaustive
        self.min_dd_total = 20.0 * s
        self.hbp = math.nan
        self.cbp = math.nan
        self.coef: np.ndarray | None = None
        self.xtx_inv: np.ndarray | None = None  # (X'X)^-1 of the baseline design
        self.n_baseline = 0
        self.summary: ModelSummary | None = None
        self.qualified = False
        self.disqualified_reason = ""

    # -- fitting -----------------------------------------------------------------
    def _names(self) -> list[str]:
        k = KIND_NAMES.index(self.kind)
        temp = {0: [], 1: ["temperature"], 2: ["heating"], 3: ["cooling"]}.get(
            k, ["heating", "cooling"]
        )
        return ["intercept", *temp, *self.extras]

    def columns(self) -> list[str]:
        """The data columns the model reads: usage, temperature, then the extras."""
        return ["usage", "temperature", *self.extras]

    def min_rows(self) -> int:
        """Complete rows the form needs: its parameters (balance points included) + 2."""
        k = KIND_NAMES.index(self.kind)
        return int(n_params(k, len(self.extras))) + int(n_balance_points(k)) + 2

    def fit(self, data: pd.DataFrame) -> ChangePointModel:
        """Fit on baseline data; sets coefficients, balance points and fit statistics."""
        cols = self.columns()
        require_columns(data, cols, f"{self.kind} model")
        return self.fit_rows(finite_array(data, cols, f"{self.kind} model", self.min_rows()))

    def fit_rows(self, rows: np.ndarray) -> ChangePointModel:
        """``fit`` on the complete rows as an array (columns in ``columns()`` order), as
        ``select_daily`` passes them to every form (DataSufficiencyError when too few)."""
        require_rows(len(rows), f"{self.kind} model", self.min_rows())
        k = KIND_NAMES.index(self.kind)
        # p counts the balance points too (ASHRAE G14: a 5P model has p = 5)
        n_bp = int(n_balance_points(k))
        p = int(n_params(k, len(self.extras))) + n_bp
        y = np.ascontiguousarray(rows[:, 0])
        t = np.ascontiguousarray(rows[:, 1])
        ex = np.ascontiguousarray(rows[:, 2:])
        lo, hi, step = self.grid
        grid = np.arange(lo, hi + step / 2, step)
        search = grid_search if self.exhaustive else grid_search_fast
        h, c, sse = search(t, y, ex, k, grid, 10, self.min_dd_total)
        if not math.isfinite(sse):
            self.disqualified_reason = (
                f"{self.kind}: no balance point in [{lo}, {hi}] has >= 10 days of degree days "
                f"and positive slopes"
            )
            self.qualified = False
            return self
        self.hbp, self.cbp = float(h), float(c)
        x = changepoint_design(t, ex, k, self.hbp if k != 3 else 0.0, self.cbp)
        coef, resid, inv, ok = ols_qr(x, y)
        if not ok:
            self.disqualified_reason = f"{self.kind}: design matrix is rank deficient"
            self.qualified = False
            return self
        self.coef = coef
        self.xtx_inv, self.n_baseline = inv, len(y)
        names = self._names()
        tests = regression_tests(names, coef, inv, resid, y, has_intercept=True, extra_params=n_bp)
        gof = goodness_of_fit(y, y - resid, p)
        self.summary = ModelSummary(
            type=self.kind,
            coefficients=dict(zip(names, map(float, coef), strict=True)),
            gof=gof,
            pvalues=dict(zip(names, tests.pvalues, strict=True)),
            f_pvalue=tests.f_pvalue,
            params={
                "heating_balance_point": self.hbp,
                "cooling_balance_point": self.cbp,
                "temperature_unit": self.temperature_unit,
                "extras": self.extras,
            },
        )
        self.qualified, self.disqualified_reason = True, ""
        for term in ("heating", "cooling", "temperature"):
            if term in names and tests.pvalues[names.index(term)] >= 0.1:
                self.qualified = False
                self.disqualified_reason = (
                    f"{self.kind}: {term} term p = {tests.pvalues[names.index(term)]:.3g} >= 0.1 "
                    "(CalTRACK requires significant degree-day terms)"
                )
        return self

    # -- prediction ----------------------------------------------------------------
    def predict(self, data: pd.DataFrame) -> pd.Series:
        """Predicted usage per row of ``data`` (NaN where a driver is missing)."""
        if self.coef is None:
            raise AnalyticsError(f"{self.kind} model is not fitted: call fit() first")
        require_columns(data, ["temperature", *self.extras], f"{self.kind} model")
        k = KIND_NAMES.index(self.kind)
        t = data["temperature"].to_numpy(dtype=float)
        ex = np.ascontiguousarray(data[self.extras].to_numpy(dtype=float).reshape(len(data), -1))
        x = changepoint_design(t, ex, k, self.hbp if k != 3 else 0.0, self.cbp)
        return pd.Series(x @ self.coef, index=data.index, name="predicted")

    def mean_leverage(self, data: pd.DataFrame) -> float:
        """x_r' (X'X)^-1 x_r for x_r the mean design row of ``data``'s complete rows.

        The model-error share of the savings variance (``stats.savings_half_width``). A model
        rebuilt from a dict without its (X'X)^-1 falls back to 1/n, the intercept-only value.
        """
        cols = ["temperature", *self.extras]
        require_columns(data, cols, f"{self.kind} model")
        sub = data[cols].astype(float)
        sub = sub[np.isfinite(sub.to_numpy()).all(axis=1)]
        if self.xtx_inv is None or len(sub) == 0:
            return 1.0 / self.n_baseline if self.n_baseline else math.nan
        k = KIND_NAMES.index(self.kind)
        ex = np.ascontiguousarray(sub[self.extras].to_numpy(dtype=float).reshape(len(sub), -1))
        x = changepoint_design(
            sub["temperature"].to_numpy(dtype=float), ex, k, self.hbp if k != 3 else 0.0, self.cbp
        )
        xbar = x.mean(axis=0)
        return float(xbar @ self.xtx_inv @ xbar)

    # -- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "changepoint",
            "kind": self.kind,
            "extras": self.extras,
            "temperature_unit": self.temperature_unit,
            "grid": list(self.grid),
            "hbp": self.hbp,
            "cbp": self.cbp,
            "coef": None if self.coef is None else [float(v) for v in self.coef],
            "xtx_inv": None if self.xtx_inv is None else self.xtx_inv.tolist(),
            "n_baseline": self.n_baseline,
            "qualified": self.qualified,
            "disqualified_reason": self.disqualified_reason,
            "summary": None if self.summary is None else self.summary.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChangePointModel:
        m = cls(d["kind"], d["extras"], d["temperature_unit"], tuple(d["grid"]))  # type: ignore[arg-type]
        m.hbp, m.cbp = float(d["hbp"]), float(d["cbp"])
        m.coef = None if d["coef"] is None else np.asarray(d["coef"], dtype=float)
        inv = d.get("xtx_inv")
        m.xtx_inv = None if inv is None else np.asarray(inv, dtype=float)
        m.n_baseline = int(d.get("n_baseline") or (d["summary"] or {}).get("gof", {}).get("n", 0))
        m.qualified, m.disqualified_reason = d["qualified"], d["disqualified_reason"]
        m.summary = None if d["summary"] is None else ModelSummary.from_dict(d["summary"])
        return m
