"""Hourly time-of-week-and-temperature (TOWT) baseline model (LBNL RMV2.0 / CalTRACK hourly)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from plantmeter.errors import AnalyticsError

from ..kernels import (
    N_TOW,
    occupancy,
    towt_fit,
    towt_fit_fast,
    towt_leverage,
    towt_leverage_parts,
    towt_predict,
)
from ..stats import goodness_of_fit
from .base import ModelSummary, finite_array_mask, require_columns, temperature_scale

__all__ = ["TOWTModel", "prune_knots", "time_of_week"]

logger = logging.getLogger(__name__)

KNOTS_F = (30.0, 45.0, 55.0, 65.0, 75.0, 90.0)


_HOUR_NS = 3_600_000_000_000


def time_of_week(index: pd.DatetimeIndex) -> np.ndarray:
    """Hour of week 0..167 (Monday 00:00 = 0) in the index's own (local) time zone."""
    wall = index.tz_localize(None) if index.tz is not None else index
    # local wall-clock hours since 1970-01-01 00:00, a Thursday (weekday 3)
    hours = wall.as_unit("ns").asi8 // _HOUR_NS
    return (((hours // 24 + 3) % 7) * 24 + hours % 24).astype(np.int64)


def prune_knots(temp: np.ndarray, knots: np.ndarray, min_hours: int = 20) -> np.ndarray:
    """Drop knots so every temperature segment holds >= ``min_hours`` values (CalTRACK 3.x).

    A bin with too few hours is merged with its neighbour (the knot between them
    removed); knots outside the data range go first.
    """
    k = [float(v) for v in knots]
    t = temp[np.isfinite(temp)]
    while k:
        edges = [-np.inf, *k, np.inf]
        counts = [int(((t > edges[i]) & (t <= edges[i + 1])).sum()) for i in range(len(edges) - 1)]
        worst = int(np.argmin(counts))
        if counts[worst] >= min_hours:
            break
        # merge the sparse bin with a neighbour: remove the knot on its inner side
        drop = worst - 1 if worst == len(counts) - 1 else worst
        if worst > 0 and worst < len(counts) - 1 and counts[worst - 1] < counts[worst + 1]:
            drop = worst - 1
        k.pop(drop)
    return np.asarray(k, dtype=float)


class TOWTModel:
    """TOWT: 168 hour-of-week indicators + occupied/unoccupied piecewise-linear temperature.

    ``data``: hourly rows with ``usage`` and ``temperature`` (+ ``extras``) on a
    tz-aware index in the site's local time (the schedule is local). Occupancy per
    hour of week follows CalTRACK: share of positive residuals of a HDD50/CDD65
    model above 0.65. A single model is fitted over the whole baseline (CalTRACK's
    three-month weighted segmentation is not applied).

    The regression runs on per-hour-of-week sums in one kernel (``kernels.towt_fit_fast``);
    ``exhaustive=True`` runs the reference kernels instead (``towt_fit``'s QR on the explicit
    design, ``towt_leverage_parts``), which the fast path is tested against.
    """

    def __init__(
        self,
        extras: tuple[str, ...] | list[str] = (),
        temperature_unit: str = "F",
        occupancy_threshold: float = 0.65,
        min_hours_per_bin: int = 20,
        exhaustive: bool = False,
    ) -> None:
        self.extras = list(extras)
        self.temperature_unit = temperature_unit
        s = temperature_scale(temperature_unit)
        off = 0.0 if s == 1.0 else -32.0 * 5.0 / 9.0
        self.knots_default = np.array([k * s + off for k in KNOTS_F])
        self.hdd_base = 50.0 * s + off
        self.cdd_base = 65.0 * s + off
        self.occupancy_threshold = occupancy_threshold
        self.min_hours_per_bin = min_hours_per_bin
        self.exhaustive = exhaustive
        self.occ = np.zeros(N_TOW, dtype=np.bool_)
        self.knots_occ = self.knots_default.copy()
        self.knots_unocc = self.knots_default.copy()
        self.has_occ = False
        self.has_unocc = False
        self.alpha: np.ndarray | None = None
        self.beta: np.ndarray | None = None
        self.summary: ModelSummary | None = None
        self.qualified = False
        self.disqualified_reason = ""
        # pieces of (X'X)^-1 for the savings variance (see mean_leverage)
        self.tow_count = np.zeros(N_TOW)
        self.z_tow_mean: np.ndarray | None = None
        self.s_inv: np.ndarray | None = None
        self.n_baseline = 0

    def _arrays(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = data["temperature"].to_numpy(dtype=float)
        ex = np.ascontiguousarray(data[self.extras].to_numpy(dtype=float).reshape(len(data), -1))
        return t, time_of_week(pd.DatetimeIndex(data.index)), ex

    def mean_leverage(self, data: pd.DataFrame) -> float:
        """x_r' (X'X)^-1 x_r for x_r the mean design row of ``data``'s complete rows, exact by
        the block inverse (``kernels.towt_leverage``; no 182 x 182 matrix is formed). The
        model-error share of the savings variance (``stats.savings_half_width``). A model
        rebuilt from a dict without the block pieces falls back to 1/n."""
        cols = ["temperature", *self.extras]
        require_columns(data, cols, "TOWT model")
        sub = data[cols].astype(float)
        sub = sub[np.isfinite(sub.to_numpy()).all(axis=1)]
        if self.s_inv is None or self.z_tow_mean is None or self.beta is None or len(sub) == 0:
            return 1.0 / self.n_baseline if self.n_baseline else float("nan")
        t, tow, ex = self._arrays(sub)
        return float(
            towt_leverage(
                t,
                tow,
                ex,
                self.occ,
                self.knots_occ,
                self.knots_unocc,
                self.has_occ,
                self.has_unocc,
                self.beta,
                self.tow_count,
                self.z_tow_mean,
                self.s_inv,
            )
        )

    def fit(self, data: pd.DataFrame) -> TOWTModel:
        cols = ["usage", "temperature", *self.extras]
        require_columns(data, cols, "TOWT model")
        if not isinstance(data.index, pd.DatetimeIndex):
            raise AnalyticsError("TOWT model: data needs a DatetimeIndex (hourly, site-local time)")
        rows, keep = finite_array_mask(data, cols, "TOWT model", 24 * 14)
        idx = pd.DatetimeIndex(data.index[keep])
        tow = time_of_week(idx)
        y = np.ascontiguousarray(rows[:, 0])
        t = np.ascontiguousarray(rows[:, 1])
        ex = np.ascontiguousarray(rows[:, 2:])
        self.occ = occupancy(t, tow, y, self.hdd_base, self.cdd_base, self.occupancy_threshold)
        occ_rows = self.occ[tow]
        self.has_occ = bool(occ_rows.any())
        self.has_unocc = bool((~occ_rows).any())
        self.knots_occ = prune_knots(t[occ_rows], self.knots_default, self.min_hours_per_bin)
        self.knots_unocc = prune_knots(t[~occ_rows], self.knots_default, self.min_hours_per_bin)
        args = (t, tow, y, ex, self.occ, self.knots_occ, self.knots_unocc)
        flags = (self.has_occ, self.has_unocc)
        if self.exhaustive:
            alpha, beta, resid, ok = towt_fit(*args, *flags)
            if ok:
                cnt, zbar, s_inv, inv_ok = towt_leverage_parts(
                    t, tow, ex, self.occ, self.knots_occ, self.knots_unocc, *flags, beta
                )
        else:
            alpha, beta, resid, ok, cnt, zbar, s_inv, inv_ok = towt_fit_fast(*args, *flags)
        if not ok:
            self.qualified, self.disqualified_reason = False, "TOWT: regression failed (rank)"
            return self
        self.alpha, self.beta = alpha, beta
        if inv_ok:
            self.tow_count, self.z_tow_mean, self.s_inv = cnt, zbar, s_inv
        self.n_baseline = len(rows)
        p = int(np.isfinite(alpha).sum() + np.count_nonzero(beta))
        days = ((idx.normalize() - idx[0].normalize()) // pd.Timedelta(days=1)).to_numpy()
        gof = goodness_of_fit(y, y - resid, p, days=days)
        names = [f"tow_{i}" for i in range(N_TOW)]
        names += [f"occ_seg_{i}" for i in range(len(self.knots_occ) + 1)] if self.has_occ else []
        names += (
            [f"unocc_seg_{i}" for i in range(len(self.knots_unocc) + 1)] if self.has_unocc else []
        )
        names += self.extras
        coefs = np.concatenate([alpha, beta])
        self.summary = ModelSummary(
            type="TOWT",
            coefficients={n: float(v) for n, v in zip(names, coefs, strict=True)},
            gof=gof,
            params={
                "occupied_hours": int(self.occ.sum()),
                "temperature_unit": self.temperature_unit,
                "knots_occ": self.knots_occ.tolist(),
                "knots_unocc": self.knots_unocc.tolist(),
            },
        )
        missing = int(np.isnan(alpha).sum())
        self.qualified = missing == 0
        self.disqualified_reason = (
            ""
            if missing == 0
            else f"TOWT: {missing} hours of the week never observed in the baseline"
        )
        return self

    def predict(self, data: pd.DataFrame) -> pd.Series:
        if self.alpha is None or self.beta is None:
            raise AnalyticsError("TOWT model is not fitted: call fit() first")
        require_columns(data, ["temperature", *self.extras], "TOWT model")
        tow = time_of_week(pd.DatetimeIndex(data.index))
        t = data["temperature"].to_numpy(dtype=float)
        ex = np.ascontiguousarray(data[self.extras].to_numpy(dtype=float).reshape(len(data), -1))
        pred = towt_predict(
            t,
            tow,
            ex,
            self.occ,
            self.knots_occ,
            self.knots_unocc,
            self.has_occ,
            self.has_unocc,
            self.alpha,
            self.beta,
        )
        return pd.Series(pred, index=data.index, name="predicted")

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": "towt",
            "extras": self.extras,
            "temperature_unit": self.temperature_unit,
            "occupancy_threshold": self.occupancy_threshold,
            "min_hours_per_bin": self.min_hours_per_bin,
            "occ": self.occ.astype(int).tolist(),
            "knots_occ": self.knots_occ.tolist(),
            "knots_unocc": self.knots_unocc.tolist(),
            "has_occ": self.has_occ,
            "has_unocc": self.has_unocc,
            "alpha": None if self.alpha is None else [float(v) for v in self.alpha],
            "beta": None if self.beta is None else [float(v) for v in self.beta],
            "qualified": self.qualified,
            "disqualified_reason": self.disqualified_reason,
            "summary": None if self.summary is None else self.summary.to_dict(),
            "leverage": None
            if self.s_inv is None or self.z_tow_mean is None
            else {
                "tow_count": self.tow_count.tolist(),
                "z_tow_mean": self.z_tow_mean.tolist(),
                "s_inv": self.s_inv.tolist(),
                "n_baseline": self.n_baseline,
            },
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TOWTModel:
        m = cls(
            d["extras"], d["temperature_unit"], d["occupancy_threshold"], d["min_hours_per_bin"]
        )
        m.occ = np.asarray(d["occ"], dtype=np.bool_)
        m.knots_occ = np.asarray(d["knots_occ"], dtype=float)
        m.knots_unocc = np.asarray(d["knots_unocc"], dtype=float)
        m.has_occ, m.has_unocc = d["has_occ"], d["has_unocc"]
        m.alpha = None if d["alpha"] is None else np.asarray(d["alpha"], dtype=float)
        m.beta = None if d["beta"] is None else np.asarray(d["beta"], dtype=float)
        m.qualified, m.disqualified_reason = d["qualified"], d["disqualified_reason"]
        m.summary = None if d["summary"] is None else ModelSummary.from_dict(d["summary"])
        lev = d.get("leverage")
        if lev is not None:
            k = len(lev["s_inv"])  # informative columns; 0 when temperature says nothing
            m.tow_count = np.asarray(lev["tow_count"], dtype=float)
            m.z_tow_mean = np.asarray(lev["z_tow_mean"], dtype=float).reshape(N_TOW, k)
            m.s_inv = np.asarray(lev["s_inv"], dtype=float).reshape(k, k)
            m.n_baseline = int(lev["n_baseline"])
        elif m.summary is not None:
            m.n_baseline = m.summary.gof.n
        return m
