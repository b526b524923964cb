"""Time-of-week-and-temperature (TOWT) kernels (LBNL RMV2.0 / CalTRACK hourly).

Design: 168 time-of-week indicators (no intercept), piecewise-linear temperature
segments for occupied hours and for unoccupied hours, then extra regressors.
Segment j of a knot vector k (length K) for temperature T:
seg_0 = min(T, k_0); seg_j = clamp(T - k_{j-1}, 0, k_j - k_{j-1}); seg_K = max(T - k_{K-1}, 0).
The segments sum to T. The fit eliminates the indicators exactly (Frisch-Waugh-
Lovell: demean within time-of-week, QR on the demeaned temperature columns), so a
182-column regression costs about as much as a 14-column one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .regression import cholesky_solve, ols_qr

__all__ = [
    "N_TOW",
    "occupancy",
    "segments",
    "towt_design",
    "towt_fit",
    "towt_leverage",
    "towt_leverage_parts",
    "towt_predict",
]

N_TOW = 168


@njit(cache=True)
def segments(t: float, knots: np.ndarray, out: np.ndarray) -> None:
    """Write the K+1 piecewise-linear segment values of temperature t into out."""
    k = knots.shape[0]
    if k == 0:
        out[0] = t
        return
    out[0] = t if t < knots[0] else knots[0]
    for j in range(1, k):
        v = t - knots[j - 1]
        w = knots[j] - knots[j - 1]
        out[j] = 0.0 if v < 0 else (w if v > w else v)
    v = t - knots[k - 1]
    out[k] = v if v > 0 else 0.0


@njit(cache=True)
def _zcols(
    temp: np.ndarray,
    tow: np.ndarray,
    extras: np.ndarray,
    occ: np.ndarray,
    knots_occ: np.ndarray,
    knots_unocc: np.ndarray,
    has_occ: bool,
    has_unocc: bool,
) -> np.ndarray:
    n = temp.shape[0]
    mo = knots_occ.shape[0] + 1 if has_occ else 0
    mu = knots_unocc.shape[0] + 1 if has_unocc else 0
    q = extras.shape[1]
    z = np.zeros((n, mo + mu + q))
    seg = np.empty(max(mo, mu, 1))
    for i in range(n):
        if occ[tow[i]]:
            if has_occ:
                segments(temp[i], knots_occ, seg)
                for j in range(mo):
                    z[i, j] = seg[j]
        elif has_unocc:
            segments(temp[i], knots_unocc, seg)
            for j in range(mu):
                z[i, mo + j] = seg[j]
        for j in range(q):
            z[i, mo + mu + j] = extras[i, j]
    return z


@njit(cache=True)
def towt_design(
    temp: np.ndarray,
    tow: np.ndarray,
    extras: np.ndarray,
    occ: np.ndarray,
    knots_occ: np.ndarray,
    knots_unocc: np.ndarray,
    has_occ: bool,
    has_unocc: bool,
) -> np.ndarray:
    """The explicit n x (168 + m) design matrix (for references and small problems)."""
    z = _zcols(temp, tow, extras, occ, knots_occ, knots_unocc, has_occ, has_unocc)
    n = temp.shape[0]
    m = z.shape[1]
    x = np.zeros((n, N_TOW + m))
    for i in range(n):
        x[i, tow[i]] = 1.0
        for j in range(m):
            x[i, N_TOW + j] = z[i, j]
    return x


@njit(cache=True)
def towt_fit(
    temp: np.ndarray,
    tow: np.ndarray,
    y: np.ndarray,
    extras: np.ndarray,
    occ: np.ndarray,
    knots_occ: np.ndarray,
    knots_unocc: np.ndarray,
    has_occ: bool,
    has_unocc: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Fit TOWT by OLS: (alpha[168], beta[m], residuals, ok).

    alpha[t] is NaN for a time of week with no observation; a temperature column
    that is constant within every time of week (no information) gets beta = 0.
    Rows must be finite (the wrapper drops NaN rows).
    """
    n = temp.shape[0]
    z = _zcols(temp, tow, extras, occ, knots_occ, knots_unocc, has_occ, has_unocc)
    m = z.shape[1]
    cnt = np.zeros(N_TOW)
    ybar = np.zeros(N_TOW)
    zbar = np.zeros((N_TOW, m))
    for i in range(n):
        t = tow[i]
        cnt[t] += 1.0
        ybar[t] += y[i]
        for j in range(m):
            zbar[t, j] += z[i, j]
    for t in range(N_TOW):
        if cnt[t] > 0:
            ybar[t] /= cnt[t]
            for j in range(m):
                zbar[t, j] /= cnt[t]
    zd = np.empty((n, m))
    yd = np.empty(n)
    for i in range(n):
        t = tow[i]
        yd[i] = y[i] - ybar[t]
        for j in range(m):
            zd[i, j] = z[i, j] - zbar[t, j]
    # keep informative columns only
    norms = np.zeros(m)
    big = 0.0
    for j in range(m):
        s = 0.0
        for i in range(n):
            s += zd[i, j] * zd[i, j]
        norms[j] = np.sqrt(s)
        if norms[j] > big:
            big = norms[j]
    keep = np.zeros(m, dtype=np.bool_)
    nk = 0
    for j in range(m):
        if norms[j] > 1e-9 * max(big, 1.0):
            keep[j] = True
            nk += 1
    beta = np.zeros(m)
    ok = True
    if nk > 0:
        zk = np.empty((n, nk))
        c = 0
        for j in range(m):
            if keep[j]:
                for i in range(n):
                    zk[i, c] = zd[i, j]
                c += 1
        b, _, _, ok = ols_qr(zk, yd)
        c = 0
        for j in range(m):
            if keep[j]:
                beta[j] = b[c]
                c += 1
    alpha = np.full(N_TOW, np.nan)
    for t in range(N_TOW):
        if cnt[t] > 0:
            s = ybar[t]
            for j in range(m):
                s -= zbar[t, j] * beta[j]
            alpha[t] = s
    resid = np.empty(n)
    for i in range(n):
        r = y[i] - alpha[tow[i]]
        for j in range(m):
            r -= z[i, j] * beta[j]
        resid[i] = r
    return alpha, beta, resid, ok


@njit(cache=True)
def towt_predict(
    temp: np.ndarray,
    tow: np.ndarray,
    extras: np.ndarray,
    occ: np.ndarray,
    knots_occ: np.ndarray,
    knots_unocc: np.ndarray,
    has_occ: bool,
    has_unocc: bool,
    alpha: np.ndarray,
    beta: np.ndarray,
) -> np.ndarray:
    """Predicted usage per row (NaN where temperature is NaN or the time of week was unseen)."""
    z = _zcols(temp, tow, extras, occ, knots_occ, knots_unocc, has_occ, has_unocc)
    n = temp.shape[0]
    out = np.empty(n)
    for i in range(n):
        s = alpha[tow[i]]
        for j in range(beta.shape[0]):
            s += z[i, j] * beta[j]
        out[i] = s
    return out


@njit(cache=True)
def occupancy(
    temp: np.ndarray,
    tow: np.ndarray,
    y: np.ndarray,
    hdd_base: float,
    cdd_base: float,
    threshold: float,
) -> np.ndarray:
    """CalTRACK occupancy: per time of week, is the share of positive residuals of
    y ~ 1 + HDD(hdd_base) + CDD(cdd_base) above ``threshold`` (0.65)?"""
    n = temp.shape[0]
    x = np.empty((n, 3))
    for i in range(n):
        t = temp[i]
        x[i, 0] = 1.0
        x[i, 1] = hdd_base - t if t < hdd_base else 0.0
        x[i, 2] = t - cdd_base if t > cdd_base else 0.0
    # drop degree-day columns without information
    use_h = False
    use_c = False
    for i in range(n):
        if x[i, 1] > 0:
            use_h = True
        if x[i, 2] > 0:
            use_c = True
    p = 1 + (1 if use_h else 0) + (1 if use_c else 0)
    xs = np.empty((n, p))
    for i in range(n):
        xs[i, 0] = 1.0
        c = 1
        if use_h:
            xs[i, c] = x[i, 1]
            c += 1
        if use_c:
            xs[i, c] = x[i, 2]
    _, resid, _, ok = ols_qr(xs, y)
    pos = np.zeros(N_TOW)
    cnt = np.zeros(N_TOW)
    for i in range(n):
        cnt[tow[i]] += 1.0
        if ok and resid[i] > 0:
            pos[tow[i]] += 1.0
    occ = np.zeros(N_TOW, dtype=np.bool_)
    for t in range(N_TOW):
        if cnt[t] > 0 and pos[t] / cnt[t] > threshold:
            occ[t] = True
    return occ


@njit(cache=True)
def towt_leverage_parts(
    temp: np.ndarray,
    tow: np.ndarray,
    extras: np.ndarray,
    occ: np.ndarray,
    knots_occ: np.ndarray,
    knots_unocc: np.ndarray,
    has_occ: bool,
    has_unocc: bool,
    beta: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Block-inverse pieces of the baseline's X'X = [[C, D'Z], [Z'D, Z'Z]]: (C's diagonal =
    rows per time of week, Zbar = per-time-of-week means of the informative columns of Z
    (beta != 0), S^-1 = ((Z - Zbar)'(Z - Zbar))^-1, ok). Feed them to ``towt_leverage``."""
    z = _zcols(temp, tow, extras, occ, knots_occ, knots_unocc, has_occ, has_unocc)
    n, m = z.shape
    k = 0
    for j in range(m):
        if beta[j] != 0.0:
            k += 1
    cols = np.empty(k, dtype=np.int64)
    c = 0
    for j in range(m):
        if beta[j] != 0.0:
            cols[c] = j
            c += 1
    cnt = np.zeros(N_TOW)
    zbar = np.zeros((N_TOW, k))
    for i in range(n):
        cnt[tow[i]] += 1.0
        for c in range(k):
            zbar[tow[i], c] += z[i, cols[c]]
    for t in range(N_TOW):
        if cnt[t] > 0:
            for c in range(k):
                zbar[t, c] /= cnt[t]
    s = np.zeros((k, k))
    for i in range(n):
        for a in range(k):
            da = z[i, cols[a]] - zbar[tow[i], a]
            for b in range(a, k):
                s[a, b] += da * (z[i, cols[b]] - zbar[tow[i], b])
    for a in range(k):
        for b in range(a):
            s[a, b] = s[b, a]
    s_inv = np.zeros((k, k))
    ok = True
    for b in range(k):
        e = np.zeros(k)
        e[b] = 1.0
        col, good = cholesky_solve(s, e)
        ok = ok and good
        for a in range(k):
            s_inv[a, b] = col[a]
    return cnt, zbar, s_inv, ok


@njit(cache=True)
def towt_leverage(
    temp: np.ndarray,
    tow: np.ndarray,
    extras: np.ndarray,
    occ: np.ndarray,
    knots_occ: np.ndarray,
    knots_unocc: np.ndarray,
    has_occ: bool,
    has_unocc: bool,
    beta: np.ndarray,
    cnt: np.ndarray,
    zbar: np.ndarray,
    s_inv: np.ndarray,
) -> float:
    """x_r' (X'X)^-1 x_r for x_r the mean design row of the given (reporting) rows, exact by
    the block inverse: a' C^-1 a + w' S^-1 w, a = share of rows per time of week,
    w = mean informative Z - Zbar' a. Rows at a time of week the baseline never saw are skipped
    (their prediction is NaN). NaN for no rows."""
    z = _zcols(temp, tow, extras, occ, knots_occ, knots_unocc, has_occ, has_unocc)
    n, m = z.shape
    k = zbar.shape[1]
    a = np.zeros(N_TOW)
    zr = np.zeros(k)
    used = 0
    for i in range(n):
        if cnt[tow[i]] == 0:
            continue
        used += 1
        a[tow[i]] += 1.0
        c = 0
        for j in range(m):
            if beta[j] != 0.0:
                zr[c] += z[i, j]
                c += 1
    if used == 0:
        return np.nan
    lev = 0.0
    for t in range(N_TOW):
        a[t] /= used
        if cnt[t] > 0:
            lev += a[t] * a[t] / cnt[t]
    w = np.zeros(k)
    for c in range(k):
        w[c] = zr[c] / used
        for t in range(N_TOW):
            w[c] -= a[t] * zbar[t, c]
    for p in range(k):
        for q in range(k):
            lev += w[p] * s_inv[p, q] * w[q]
    return lev
