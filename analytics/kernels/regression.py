"""Least squares and degree-day kernels for small design matrices.

``ols_qr`` is the accurate solver (Householder QR on equilibrated columns) used
for reported coefficients; ``ols_normal`` (Cholesky on X'X) is the fast one used
inside grid searches where only the SSE ranks candidates.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["block_inflation", "cholesky_solve", "degree_days", "ols_normal", "ols_qr"]


@njit(cache=True)
def degree_days(temp: np.ndarray, base: float) -> tuple[np.ndarray, np.ndarray]:
    """Heating and cooling degrees per value: max(base - T, 0), max(T - base, 0).

    NaN temperatures give NaN. Apply to daily means for degree-days per day, or
    to hourly values and average per day (CalTRACK's convention).
    """
    n = temp.shape[0]
    hdd = np.empty(n)
    cdd = np.empty(n)
    for i in range(n):
        t = temp[i]
        if np.isnan(t):
            hdd[i] = np.nan
            cdd[i] = np.nan
        else:
            hdd[i] = base - t if t < base else 0.0
            cdd[i] = t - base if t > base else 0.0
    return hdd, cdd


@njit(cache=True)
def cholesky_solve(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
    """Solve a x = b for symmetric positive definite a (p x p); (x, ok).

    ``ok`` is False when a is not numerically positive definite (rank
    deficient design); x is then zeros.
    """
    p = a.shape[0]
    low = np.zeros((p, p))
    scale = 0.0
    for i in range(p):
        if a[i, i] > scale:
            scale = a[i, i]
    tol = 1e-12 * scale if scale > 0 else 1e-300
    for j in range(p):
        s = a[j, j]
        for k in range(j):
            s -= low[j, k] * low[j, k]
        if s <= tol:
            return np.zeros(p), False
        low[j, j] = np.sqrt(s)
        for i in range(j + 1, p):
            s2 = a[i, j]
            for k in range(j):
                s2 -= low[i, k] * low[j, k]
            low[i, j] = s2 / low[j, j]
    y = np.zeros(p)
    for i in range(p):
        s = b[i]
        for k in range(i):
            s -= low[i, k] * y[k]
        y[i] = s / low[i, i]
    x = np.zeros(p)
    for i in range(p - 1, -1, -1):
        s = y[i]
        for k in range(i + 1, p):
            s -= low[k, i] * x[k]
        x[i] = s / low[i, i]
    return x, True


@njit(cache=True)
def ols_normal(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """OLS via the normal equations and Cholesky: (coef, sse, ok)."""
    n, p = x.shape
    xtx = np.zeros((p, p))
    xty = np.zeros(p)
    for i in range(n):
        for a in range(p):
            xa = x[i, a]
            xty[a] += xa * y[i]
            for b in range(a, p):
                xtx[a, b] += xa * x[i, b]
    for a in range(p):
        for b in range(a):
            xtx[a, b] = xtx[b, a]
    coef, ok = cholesky_solve(xtx, xty)
    if not ok:
        return coef, np.inf, False
    sse = 0.0
    for i in range(n):
        r = y[i]
        for a in range(p):
            r -= x[i, a] * coef[a]
        sse += r * r
    return coef, sse, True


@njit(cache=True)
def ols_qr(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """OLS via Householder QR: (coef, residuals, (X'X)^-1, ok).

    Columns are scaled to unit norm first (equilibration), which keeps the
    solution accurate to ~1e-12 relative for the conditioning of degree-day
    designs. ``ok`` is False for a rank-deficient design (a zero or
    numerically dependent column); outputs are then NaN.
    """
    n, p = x.shape
    if n < p:
        return np.full(p, np.nan), np.full(n, np.nan), np.full((p, p), np.nan), False
    norms = np.zeros(p)
    for j in range(p):
        s = 0.0
        for i in range(n):
            s += x[i, j] * x[i, j]
        norms[j] = np.sqrt(s)
        if norms[j] == 0.0:
            return np.full(p, np.nan), np.full(n, np.nan), np.full((p, p), np.nan), False
    a = np.empty((n, p))
    for i in range(n):
        for j in range(p):
            a[i, j] = x[i, j] / norms[j]
    b = y.copy()
    rdiag = np.zeros(p)
    for j in range(p):
        # Householder vector for column j, rows j..n-1
        s = 0.0
        for i in range(j, n):
            s += a[i, j] * a[i, j]
        alpha = np.sqrt(s)
        if a[j, j] > 0:
            alpha = -alpha
        rdiag[j] = alpha
        if abs(alpha) < 1e-13:
            return np.full(p, np.nan), np.full(n, np.nan), np.full((p, p), np.nan), False
        a[j, j] -= alpha
        vnorm2 = 0.0
        for i in range(j, n):
            vnorm2 += a[i, j] * a[i, j]
        if vnorm2 == 0.0:
            continue
        for k in range(j + 1, p):
            d = 0.0
            for i in range(j, n):
                d += a[i, j] * a[i, k]
            f = 2.0 * d / vnorm2
            for i in range(j, n):
                a[i, k] -= f * a[i, j]
        d = 0.0
        for i in range(j, n):
            d += a[i, j] * b[i]
        f = 2.0 * d / vnorm2
        for i in range(j, n):
            b[i] -= f * a[i, j]
    # R: diagonal rdiag, above-diagonal in a[j, k] (k > j)
    z = np.zeros(p)
    for j in range(p - 1, -1, -1):
        s = b[j]
        for k in range(j + 1, p):
            s -= a[j, k] * z[k]
        z[j] = s / rdiag[j]
    # R^-1 (upper triangular), then (R'R)^-1 = R^-1 R^-T
    rinv = np.zeros((p, p))
    for j in range(p):
        rinv[j, j] = 1.0 / rdiag[j]
        for i in range(j - 1, -1, -1):
            s = 0.0
            for k in range(i + 1, j + 1):
                s += a[i, k] * rinv[k, j]
            rinv[i, j] = -s / rdiag[i]
    cov = np.zeros((p, p))
    for i in range(p):
        for j in range(p):
            s = 0.0
            for k in range(max(i, j), p):
                s += rinv[i, k] * rinv[j, k]
            cov[i, j] = s / (norms[i] * norms[j])
    coef = np.empty(p)
    for j in range(p):
        coef[j] = z[j] / norms[j]
    resid = np.empty(n)
    for i in range(n):
        r = y[i]
        for j in range(p):
            r -= x[i, j] * coef[j]
        resid[i] = r
    return coef, resid, cov, True


@njit(cache=True)
def block_inflation(resid: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    """How much a sum of residuals varies beyond independent errors, for residuals correlated
    within groups (the hours of a day) and lag-1 between consecutive groups.

    ``resid`` in time order, ``groups`` its non-decreasing labels (e.g. local day numbers).
    w = sum_g S_g^2 / sum e^2 (S_g = the group's residual sum: 1 for independent errors, up to
    the group size when a whole day moves together) and rho_g = the lag-1 autocorrelation of the
    S_g (G14 form); inflation = w * (1 + rho_g) / (1 - rho_g) for rho_g > 0, else w; never
    below 1 (the conservative choice, as for n'). Returns (inflation, rho_g). With one row per
    group it is G14's n / n' = (1 + rho) / (1 - rho).
    """
    n = resid.shape[0]
    if n < 3:
        return 1.0, 0.0
    sums = np.zeros(n)
    k = 0
    sums[0] = resid[0]
    ss = resid[0] * resid[0]
    for i in range(1, n):
        if groups[i] != groups[i - 1]:
            k += 1
        sums[k] += resid[i]
        ss += resid[i] * resid[i]
    k += 1
    if ss <= 0.0:
        return 1.0, 0.0
    s2 = 0.0
    lag = 0.0
    for g in range(k):
        s2 += sums[g] * sums[g]
        if g > 0:
            lag += sums[g] * sums[g - 1]
    w = s2 / ss
    rho = lag / s2 if k >= 3 and s2 > 0 else 0.0
    f = (1.0 + rho) / (1.0 - rho) if 0.0 < rho < 1.0 else 1.0
    infl = w * f
    return (infl if infl > 1.0 else 1.0), rho
