"""Portfolio fast path: baseline + savings + detectors for many hourly meters in one
parallel numba kernel (``prange`` over meters).

Per meter it runs the same kernels as the per-meter API (TOWT with CalTRACK occupancy,
G14 statistics inputs, CUSUM (h = 8, fewer false alarms across a portfolio) and EWMA on
daily residuals, stuck, spikes, impossible values,
gaps, out-of-hours on residuals, base-load drift, night-minimum leaks) and returns
numbers and flag counts; the Python side turns them into FSU and totals. Each meter's
work is a pure function of its arrays, so the same code can be shipped to Dask workers.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from numba import njit, prange

from .kernels import (
    block_inflation,
    cusum_episodes,
    equal_runs,
    ewma_excursions,
    night_minimum,
    occupancy,
    rolling_median_mad,
    run_lengths,
    spike_mask,
    threshold_runs,
    towt_fit,
    towt_leverage,
    towt_leverage_parts,
    towt_predict,
)
from .stats import GoodnessOfFit, savings_half_width

__all__ = ["COLUMNS", "portfolio_kernel", "run_portfolio"]

logger = logging.getLogger(__name__)

COLUMNS = (
    "n_base",
    "p",
    "sse",
    "base_mean",
    "rho",
    "observed",
    "adjusted_baseline",
    "m_report",
    "flags_cusum",
    "flags_ewma",
    "flags_stuck",
    "flags_spike",
    "flags_impossible",
    "flags_gap",
    "flags_out_of_hours",
    "flags_baseload",
    "flags_leak",
    "leverage",
    "inflation",
)


@njit(cache=True)
def _prune(t: np.ndarray, knots: np.ndarray, min_count: int) -> np.ndarray:
    k = knots.copy()
    while k.shape[0] > 0:
        nb = k.shape[0] + 1
        counts = np.zeros(nb, dtype=np.int64)
        for v in t:
            j = 0
            while j < k.shape[0] and v > k[j]:
                j += 1
            counts[j] += 1
        worst = np.argmin(counts)
        if counts[worst] >= min_count:
            break
        drop = worst - 1 if worst == nb - 1 else worst
        if 0 < worst < nb - 1 and counts[worst - 1] < counts[worst + 1]:
            drop = worst - 1
        k = np.concatenate((k[:drop], k[drop + 1 :]))
    return k


@njit(cache=True)
def _one_meter(y, t, tow, hour, day, ndays, n_base, knots, hdd_base, cdd_base, out):  # type: ignore[no-untyped-def]
    n = y.shape[0]
    ok = np.isfinite(y) & np.isfinite(t)
    ok[n_base:] = False
    yb = y[ok]
    tb = t[ok]
    wb = tow[ok]
    empty = np.zeros((yb.shape[0], 0))
    occ = occupancy(tb, wb, yb, hdd_base, cdd_base, 0.65)
    orows = occ[wb]
    has_o = orows.any()
    has_u = (~orows).any()
    ko = _prune(tb[orows], knots, 20)
    ku = _prune(tb[~orows], knots, 20)
    alpha, beta, resid, fit_ok = towt_fit(tb, wb, yb, empty, occ, ko, ku, has_o, has_u)
    pred = towt_predict(t, tow, np.zeros((n, 0)), occ, ko, ku, has_o, has_u, alpha, beta)
    p = 0
    for a in alpha:
        if np.isfinite(a):
            p += 1
    for b in beta:
        if b != 0.0:
            p += 1
    sse = 0.0
    num = 0.0
    for i in range(resid.shape[0]):
        sse += resid[i] * resid[i]
        if i > 0:
            num += resid[i] * resid[i - 1]
    out[0] = yb.shape[0]
    out[1] = p
    out[2] = sse
    out[3] = yb.mean() if yb.shape[0] else np.nan
    out[4] = num / sse if sse > 0 else 0.0
    obs = 0.0
    adj = 0.0
    m = 0
    for i in range(n_base, n):
        if np.isfinite(y[i]) and np.isfinite(pred[i]):
            obs += y[i]
            adj += pred[i]
            m += 1
    out[5] = obs
    out[6] = adj
    out[7] = m
    # the model-error share of the savings variance over the reporting rows (stats.savings_half_width)
    cnt, zbar, s_inv, inv_ok = towt_leverage_parts(tb, wb, empty, occ, ko, ku, has_o, has_u, beta)
    rep = np.zeros(n, dtype=np.bool_)
    for i in range(n_base, n):
        rep[i] = np.isfinite(y[i]) and np.isfinite(pred[i])
    if inv_ok and m > 0:
        out[17] = towt_leverage(
            t[rep], tow[rep], np.zeros((m, 0)), occ, ko, ku, has_o, has_u, beta, cnt, zbar, s_inv
        )
    # variance inflation of summed residuals (within days and day to day), as goodness_of_fit
    out[18] = block_inflation(resid, day[ok])[0]
    # daily residuals -> CUSUM / EWMA (sigma from the baseline days)
    r = y - pred
    dres = np.zeros(ndays)
    dcnt = np.zeros(ndays)
    for i in range(n):
        if np.isfinite(r[i]):
            dres[day[i]] += r[i]
            dcnt[day[i]] += 1
    for d in range(ndays):
        if dcnt[d] < 20:
            dres[d] = np.nan
    nbd = day[n_base - 1] + 1 if n_base > 0 else 0
    sd = np.nanstd(dres[:nbd]) if nbd > 2 else np.nan
    if sd > 0:
        z = dres / sd
        out[8] = cusum_episodes(z, 0.5, 8.0)[0].shape[0]
        out[9] = ewma_excursions(z, 0.2, 3.0, 3)[0].shape[0]
    out[10] = equal_runs(y, 12, 0.0)[0].shape[0]
    level = np.nanmedian(np.abs(y))
    out[11] = spike_mask(y, 168, 8.0, max(0.05 * level, 1e-12)).sum()
    out[12] = threshold_runs(y, 0.0, np.inf, 1)[0].shape[0]
    out[13] = run_lengths(~np.isfinite(y), 3)[0].shape[0]
    # out of hours on residuals (unoccupied hours more than 6 robust sigma above prediction)
    rb = resid
    med = np.median(rb)
    mad = np.median(np.abs(rb - med))
    thr = med + 6.0 * 1.4826 * mad
    mask = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        mask[i] = (not occ[tow[i]]) and np.isfinite(r[i]) and r[i] > thr
    out[14] = run_lengths(mask, 4)[0].shape[0]
    # base-load drift, weather-normalized: mean residual over unoccupied hours per day,
    # its 14-day rolling median above 15 % of the baseline's unoccupied mean for 7 days
    ures = np.zeros(ndays)
    ucnt = np.zeros(ndays)
    ubase = 0.0
    nub = 0
    for i in range(n):
        if not occ[tow[i]] and np.isfinite(r[i]):
            ures[day[i]] += r[i]
            ucnt[day[i]] += 1
            if i < n_base:
                ubase += y[i]
                nub += 1
    for d in range(ndays):
        ures[d] = ures[d] / ucnt[d] if ucnt[d] > 0 else np.nan
    ref_u = ubase / nub if nub > 0 else np.nan
    rmed, _ = rolling_median_mad(ures, 14, 7)
    out[15] = run_lengths(rmed > 0.15 * ref_u, 7)[0].shape[0] if ref_u > 0 else 0
    dmin = np.full(ndays, np.inf)
    for i in range(n):
        if np.isfinite(y[i]) and y[i] < dmin[day[i]]:
            dmin[day[i]] = y[i]
    for d in range(ndays):
        if dmin[d] == np.inf:
            dmin[d] = np.nan
    ref = np.nanmedian(dmin[:28])
    nm = night_minimum(y, hour, day, 1, 5, ndays)
    out[16] = run_lengths(np.isfinite(nm) & (nm > ref * 1.5), 3)[0].shape[0] if ref > 0 else 0


@njit(parallel=True, cache=True)
def portfolio_kernel(usage, temp, tow, hour, day, ndays, n_base, knots, hdd_base, cdd_base):  # type: ignore[no-untyped-def]
    """Per-meter baseline/savings/detector numbers; one row of ``COLUMNS`` per meter."""
    mcount = usage.shape[0]
    res = np.full((mcount, len(COLUMNS)), np.nan)
    for m in prange(mcount):
        _one_meter(
            usage[m], temp[m], tow, hour, day, ndays, n_base, knots, hdd_base, cdd_base, res[m]
        )
    return res


def run_portfolio(
    usage: np.ndarray,
    temp: np.ndarray,
    index: pd.DatetimeIndex,
    baseline_end: pd.Timestamp,
    temperature_unit: str = "F",
) -> pd.DataFrame:
    """Baseline, savings, FSU and flag counts for many meters sharing an hourly ``index``."""
    tow = (index.day_of_week * 24 + index.hour).to_numpy().astype(np.int64)
    hour = index.hour.to_numpy().astype(np.int64)
    day = (
        ((index.normalize() - index[0].normalize()) // pd.Timedelta(days=1))
        .to_numpy()
        .astype(np.int64)
    )
    s, off = (1.0, 0.0) if temperature_unit == "F" else (5 / 9, -32 * 5 / 9)
    knots = np.array([30.0, 45.0, 55.0, 65.0, 75.0, 90.0]) * s + off
    n_base = int(np.searchsorted(index, baseline_end))
    res = portfolio_kernel(
        np.ascontiguousarray(usage, dtype=float),
        np.ascontiguousarray(temp, dtype=float),
        tow,
        hour,
        day,
        int(day[-1]) + 1,
        n_base,
        knots,
        50.0 * s + off,
        65.0 * s + off,
    )
    df = pd.DataFrame(res, columns=list(COLUMNS))
    df["savings"] = df["adjusted_baseline"] - df["observed"]
    df["savings_fraction"] = df["savings"] / df["adjusted_baseline"]
    fsu68, fsu90 = [], []
    for row in df.itertuples():
        n, p = int(row.n_base), int(row.p)
        rho = float(row.rho)
        rmse = float(np.sqrt(row.sse / (n - p))) if n > p else np.nan
        cv = rmse / float(row.base_mean) if n > p else np.nan
        n_eff = n / float(row.inflation)
        g = GoodnessOfFit(n, p, np.nan, np.nan, rmse, cv, np.nan, rho, n_eff, float(row.base_mean))
        sav = abs(float(row.savings))
        for out, conf in ((fsu68, 0.68), (fsu90, 0.90)):
            half = savings_half_width(g, int(row.m_report), float(row.leverage), conf)
            out.append(half / sav if sav else np.nan)
    df["fsu_68"] = fsu68
    df["fsu_90"] = fsu90
    return df
