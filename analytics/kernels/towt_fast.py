"""TOWT fit and leverage pieces in one pass over sufficient statistics (``towt_fit`` +
``towt_leverage_parts``'s answer, to rounding).

``towt_fit`` materialises the n x m temperature design, its demeaned copy and a second copy
for the QR, then ``towt_leverage_parts`` builds the design again to form the same demeaned
cross products. Here each row's non-zero block of segment values is stored once, compact
(7 + extras values a row), and only per-hour-of-week sums are kept. Pass 1: counts and means
per hour of week. Pass 2: the demeaned cross products S = Σ (z - z̄_t)(z - z̄_t)' and
r = Σ (z - z̄_t)(y - ȳ_t), each row touching only its occupied or its unoccupied block (all
rows of an hour of week share its occupancy, so the other block's demeaned values are zero).
Pass 3: the residuals. β solves the equilibrated S by Cholesky, and the same S gives the
leverage pieces (its inverse on the informative columns) without a second build.

Normal equations square the condition number that the reference's QR sees, so when the
equilibrated S has a pivot below 1e-6 (condition number above ~1e6; the answer would then
differ from QR's in more than the ninth digit) the reference kernels are run instead.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .regression import cholesky_solve
from .towt import N_TOW, towt_fit, towt_leverage_parts

__all__ = ["towt_fit_fast"]

_MIN_PIVOT = 1e-6  # equilibrated Cholesky pivot (squared) below which QR is used


@njit(cache=True)
def towt_fit_fast(
    temp: np.ndarray,
    tow: np.ndarray,
    y: np.ndarray,
    extras: np.ndarray,
    occ: np.ndarray,
    knots_occ: np.ndarray,
    knots_unocc: np.ndarray,
    has_occ: bool,
    has_unocc: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, np.ndarray, np.ndarray, np.ndarray, bool]:
    """(alpha[168], beta[m], residuals, ok) as ``towt_fit`` and (counts per hour of week, Zbar,
    S^-1, ok) as ``towt_leverage_parts`` on that beta, in three passes over the rows."""
    n = temp.shape[0]
    q = extras.shape[1]
    mo = knots_occ.shape[0] + 1 if has_occ else 0
    mu = knots_unocc.shape[0] + 1 if has_unocc else 0
    m = mo + mu + q
    w = max(mo, mu) + q
    # each row's non-zero block of z once, compact: its segment block then the extras
    # (``segments`` written out here: a call per row with array arguments costs more than
    # the arithmetic)
    zc = np.zeros((n, max(w, 1)))
    width = np.zeros(n, dtype=np.int64)  # segment values in the row's block
    start = np.zeros(n, dtype=np.int64)  # first column of the block in z
    for i in range(n):
        occupied = occ[tow[i]]
        if occupied and has_occ:
            knots = knots_occ
            start[i] = 0
        elif not occupied and has_unocc:
            knots = knots_unocc
            start[i] = mo
        else:
            knots = knots_occ[:0]
            start[i] = 0
        if occupied and not has_occ or not occupied and not has_unocc:
            c = 0
        else:
            tv = temp[i]
            kn = knots.shape[0]
            if kn == 0:
                zc[i, 0] = tv
            else:
                zc[i, 0] = tv if tv < knots[0] else knots[0]
                for j in range(1, kn):
                    d = tv - knots[j - 1]
                    wj = knots[j] - knots[j - 1]
                    zc[i, j] = 0.0 if d < 0 else (wj if d > wj else d)
                d = tv - knots[kn - 1]
                zc[i, kn] = d if d > 0 else 0.0
            c = kn + 1
        width[i] = c
        for j in range(q):
            zc[i, c + j] = extras[i, j]
    # pass 1: counts and means per hour of week
    cnt = np.zeros(N_TOW)
    ybar = np.zeros(N_TOW)
    zbar = np.zeros((N_TOW, m))
    for i in range(n):
        t = tow[i]
        cnt[t] += 1.0
        ybar[t] += y[i]
        c = width[i]
        s0 = start[i]
        for a in range(c):
            zbar[t, s0 + a] += zc[i, a]
        for j in range(q):
            zbar[t, mo + mu + j] += zc[i, c + j]
    for t in range(N_TOW):
        if cnt[t] > 0:
            ybar[t] /= cnt[t]
            for j in range(m):
                zbar[t, j] /= cnt[t]
    # pass 2: demeaned cross products (the row's own block only)
    s = np.zeros((m, m))
    r = np.zeros(m)
    v = np.empty(max(w, 1))
    ix = np.empty(max(w, 1), dtype=np.int64)
    for i in range(n):
        t = tow[i]
        c = width[i]
        s0 = start[i]
        for a in range(c):
            ix[a] = s0 + a
        for j in range(q):
            ix[c + j] = mo + mu + j
        k = c + q
        yd = y[i] - ybar[t]
        for a in range(k):
            v[a] = zc[i, a] - zbar[t, ix[a]]
        for a in range(k):
            ja = ix[a]
            da = v[a]
            r[ja] += da * yd
            for b in range(a, k):
                s[ja, ix[b]] += da * v[b]
    for a in range(m):
        for b in range(a):
            s[a, b] = s[b, a]
    # informative columns, as towt_fit keeps them
    big = 0.0
    norms = np.zeros(m)
    for j in range(m):
        norms[j] = np.sqrt(s[j, j])
        if norms[j] > big:
            big = norms[j]
    keep = np.zeros(m, dtype=np.int64)
    nk = 0
    for j in range(m):
        if norms[j] > 1e-9 * max(big, 1.0):
            keep[nk] = j
            nk += 1
    beta = np.zeros(m)
    if nk > 0:
        se = np.empty((nk, nk))
        re = np.empty(nk)
        for a in range(nk):
            re[a] = r[keep[a]] / norms[keep[a]]
            for b in range(nk):
                se[a, b] = s[keep[a], keep[b]] / (norms[keep[a]] * norms[keep[b]])
        # Cholesky pivots of the equilibrated matrix; a small one means QR is needed
        low = se.copy()
        good = True
        for j in range(nk):
            p = low[j, j]
            for k in range(j):
                p -= low[j, k] * low[j, k]
            if p < _MIN_PIVOT:
                good = False
                break
            low[j, j] = np.sqrt(p)
            for i in range(j + 1, nk):
                u = low[i, j]
                for k in range(j):
                    u -= low[i, k] * low[j, k]
                low[i, j] = u / low[j, j]
        if not good:
            alpha, beta, resid, ok = towt_fit(
                temp, tow, y, extras, occ, knots_occ, knots_unocc, has_occ, has_unocc
            )
            cnt2, zb, s_inv, inv_ok = towt_leverage_parts(
                temp, tow, extras, occ, knots_occ, knots_unocc, has_occ, has_unocc, beta
            )
            return alpha, beta, resid, ok, cnt2, zb, s_inv, inv_ok
        u = np.empty(nk)
        for i in range(nk):
            acc = re[i]
            for k in range(i):
                acc -= low[i, k] * u[k]
            u[i] = acc / low[i, i]
        for i in range(nk - 1, -1, -1):
            acc = u[i]
            for k in range(i + 1, nk):
                acc -= low[k, i] * u[k]
            u[i] = acc / low[i, i]
        for a in range(nk):
            beta[keep[a]] = u[a] / norms[keep[a]]
    alpha = np.full(N_TOW, np.nan)
    for t in range(N_TOW):
        if cnt[t] > 0:
            acc = ybar[t]
            for j in range(m):
                acc -= zbar[t, j] * beta[j]
            alpha[t] = acc
    # pass 3: residuals
    resid = np.empty(n)
    for i in range(n):
        t = tow[i]
        c = width[i]
        s0 = start[i]
        e = y[i] - alpha[t]
        for a in range(c):
            e -= zc[i, a] * beta[s0 + a]
        for j in range(q):
            e -= zc[i, c + j] * beta[mo + mu + j]
        resid[i] = e
    # leverage pieces on the informative columns (beta != 0), from the same S
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
    zb = np.zeros((N_TOW, k))
    sk = np.zeros((k, k))
    for a in range(k):
        for t in range(N_TOW):
            zb[t, a] = zbar[t, cols[a]]
        for b in range(k):
            sk[a, b] = s[cols[a], cols[b]]
    s_inv = np.zeros((k, k))
    inv_ok = True
    for b in range(k):
        e_b = np.zeros(k)
        e_b[b] = 1.0
        col, fine = cholesky_solve(sk, e_b)
        inv_ok = inv_ok and fine
        for a in range(k):
            s_inv[a, b] = col[a]
    return alpha, beta, resid, True, cnt, zb, s_inv, inv_ok
