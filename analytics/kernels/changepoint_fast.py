"""Balance-point grid search in O(1) per candidate (the same answer as ``grid_search``).

``grid_search`` builds and solves every candidate's design matrix: O(n p²) for each of the
≈ 1,800 5P pairs. Here the days are sorted by temperature once and, walking up the grid, the
sums a heating term needs are carried from one balance point to the next (walking down for
cooling): for d = max(h - T, 0) over the days below h,
n, Σd, Σd², Σd·y, Σd·e (e: each extra regressor). Moving h by δ, every old d grows by δ, so
Σd² += 2δΣd + δ²n, Σd += δn, Σd·y += δΣy, ... then the days newly below h are added. All
those terms are positive or centred: no difference of large sums (y and the extras are
centred on their means first, so 1e6 kWh/day costs no digits). A heating and a cooling term
never share a day (T < h ≤ c < T), so their cross product is zero. Each candidate's centred
normal equations (1-2 degree-day columns + extras) are then solved by Cholesky, and
SSE = SST - b'r.

Identical results, not approximately equal ones: a candidate the fast sums cannot decide with
a wide margin (its degree-day total within 1e-9 of the minimum, a slope within rounding of
zero, a pivot near the reference's rank threshold, usage constant to 1e-5) is solved by the reference
``candidate_sse``; and every qualifying candidate whose fast SSE lies within a tolerance
(1e-8 of the total sum of squares, far above the rounding of either solver) of the smallest
is re-solved by the reference, in the reference's search order with the same strict ``<``,
so ties go the same way and the returned SSE is the reference's own number. Non-finite
input, or a grid that is not strictly increasing, goes to ``grid_search`` whole.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .changepoint import candidate_balance_points, candidate_sse, grid_search

__all__ = ["grid_search_fast"]

# margins of the fast path's own decisions; inside them the reference decides
_REL_TOTAL = 1e-9  # degree-day total vs its minimum
_REL_SLOPE = 1e-6  # slope vs the slope that would explain all variance
_REL_PIVOT = 1e-8  # Cholesky pivot vs the reference's scale (its threshold is 1e-12)
_REL_COLLINEAR = 1e-6  # pivot vs its own column's centred sum of squares
_FLAT = 1e-10  # SST below this share of n·ȳ² (CV(y) < 1e-5): the reference decides all
_REL_SHORTLIST = 1e-8  # SSE within this share of SST of the best is re-solved by the reference


@njit(cache=True)
def _heating_sums(
    ts: np.ndarray, ys: np.ndarray, es: np.ndarray, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per grid point h (ascending), over days with T < h, d = h - T: (count, Σd, Σd², Σd·y,
    Σd·e[q]). ``ts`` sorted ascending, ``ys``/``es`` centred and in the same order."""
    n = ts.shape[0]
    q = es.shape[1]
    g = grid.shape[0]
    cnt = np.zeros(g)
    s1 = np.zeros(g)
    s2 = np.zeros(g)
    s1y = np.zeros(g)
    s1e = np.zeros((g, q))
    c = 0.0
    d1 = 0.0
    d2 = 0.0
    sy = 0.0
    dy = 0.0
    se = np.zeros(q)
    de = np.zeros(q)
    i = 0
    for k in range(g):
        h = grid[k]
        if k > 0:
            delta = h - grid[k - 1]
            d2 += 2.0 * delta * d1 + delta * delta * c
            d1 += delta * c
            dy += delta * sy
            for j in range(q):
                de[j] += delta * se[j]
        while i < n and ts[i] < h:
            d = h - ts[i]
            c += 1.0
            d1 += d
            d2 += d * d
            sy += ys[i]
            dy += d * ys[i]
            for j in range(q):
                se[j] += es[i, j]
                de[j] += d * es[i, j]
            i += 1
        cnt[k] = c
        s1[k] = d1
        s2[k] = d2
        s1y[k] = dy
        for j in range(q):
            s1e[k, j] = de[j]
    return cnt, s1, s2, s1y, s1e


@njit(cache=True)
def _cooling_sums(
    ts: np.ndarray, ys: np.ndarray, es: np.ndarray, grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """As ``_heating_sums`` for d = T - c over days with T > c (grid walked downwards)."""
    n = ts.shape[0]
    q = es.shape[1]
    g = grid.shape[0]
    cnt = np.zeros(g)
    s1 = np.zeros(g)
    s2 = np.zeros(g)
    s1y = np.zeros(g)
    s1e = np.zeros((g, q))
    c = 0.0
    d1 = 0.0
    d2 = 0.0
    sy = 0.0
    dy = 0.0
    se = np.zeros(q)
    de = np.zeros(q)
    i = n - 1
    for k in range(g - 1, -1, -1):
        bp = grid[k]
        if k < g - 1:
            delta = grid[k + 1] - bp
            d2 += 2.0 * delta * d1 + delta * delta * c
            d1 += delta * c
            dy += delta * sy
            for j in range(q):
                de[j] += delta * se[j]
        while i >= 0 and ts[i] > bp:
            d = ts[i] - bp
            c += 1.0
            d1 += d
            d2 += d * d
            sy += ys[i]
            dy += d * ys[i]
            for j in range(q):
                se[j] += es[i, j]
                de[j] += d * es[i, j]
            i -= 1
        cnt[k] = c
        s1[k] = d1
        s2[k] = d2
        s1y[k] = dy
        for j in range(q):
            s1e[k, j] = de[j]
    return cnt, s1, s2, s1y, s1e


@njit(cache=True)
def _mean(v: np.ndarray) -> float:
    s = 0.0
    for i in range(v.shape[0]):
        s += v[i]
    m = s / v.shape[0]
    r = 0.0  # second pass: the mean to the last bit that matters
    for i in range(v.shape[0]):
        r += v[i] - m
    return m + r / v.shape[0]


@njit(cache=True)
def _solve1(c11: float, r1: float, floor: float, slope2: float, sst: float) -> tuple[int, float]:
    """One degree-day column, no extras: (status, sse); status 1 qualifies, 0 rejected, -1 the
    fast path cannot decide (the reference must). Scalars only: no array in the hot loop."""
    if c11 <= floor:
        return -1, np.inf
    b1 = r1 / c11
    if b1 * b1 * c11 <= slope2:
        return -1, np.inf
    if b1 < 0.0:
        return 0, np.inf
    return 1, sst - b1 * r1


@njit(cache=True)
def _solve2(
    c11: float,
    c22: float,
    c12: float,
    r1: float,
    r2: float,
    floor: float,
    slope2: float,
    sst: float,
) -> tuple[int, float]:
    """Heating and cooling columns, no extras: as ``_solve1`` (LDL' of the 2 x 2)."""
    if c11 <= floor:
        return -1, np.inf
    ratio = c12 / c11
    piv = c22 - ratio * c12
    if piv <= floor or piv <= _REL_COLLINEAR * c22:
        return -1, np.inf
    b2 = (r2 - ratio * r1) / piv
    b1 = (r1 - c12 * b2) / c11
    if b1 * b1 * c11 <= slope2 or b2 * b2 * c22 <= slope2:
        return -1, np.inf
    if b1 < 0.0 or b2 < 0.0:
        return 0, np.inf
    return 1, sst - b1 * r1 - b2 * r2


@njit(cache=True)
def _solve_general(
    w: np.ndarray, k: int, nd: int, floor: float, slope2: float, sst: float
) -> tuple[int, float]:
    """Any number of columns: as ``_solve1``. ``w`` (k x (2k + 2)): the centred normal
    matrix in columns [0, k), the right-hand side in column k, work space after it."""
    # LDL' of the centred matrix: its pivots are the reference's raw Cholesky pivots (squared)
    # after the first (the intercept's, n)
    lo = k + 1  # L in columns [k+1, 2k+1), pivots in column 2k+1
    dv = 2 * k + 1
    for j in range(k):
        s = w[j, j]
        for m in range(j):
            s -= w[j, lo + m] * w[j, lo + m] * w[m, dv]
        if s <= floor or s <= _REL_COLLINEAR * w[j, j]:
            return -1, np.inf
        w[j, dv] = s
        for i in range(j + 1, k):
            t = w[i, j]
            for m in range(j):
                t -= w[i, lo + m] * w[j, lo + m] * w[m, dv]
            w[i, lo + j] = t / s
    b = np.empty(k)
    for i in range(k):  # L v = r
        s = w[i, k]
        for m in range(i):
            s -= w[i, lo + m] * b[m]
        b[i] = s
    for i in range(k):
        b[i] /= w[i, dv]
    for i in range(k - 1, -1, -1):  # L' x = D^-1 v
        s = b[i]
        for m in range(i + 1, k):
            s -= w[m, lo + i] * b[m]
        b[i] = s
    for a in range(nd):
        if b[a] * b[a] * w[a, a] <= slope2:
            return -1, np.inf
        if b[a] < 0.0:
            return 0, np.inf
    fit = 0.0
    for i in range(k):
        fit += b[i] * w[i, k]
    return 1, sst - fit


@njit(cache=True)
def grid_search_fast(
    temp: np.ndarray,
    y: np.ndarray,
    extras: np.ndarray,
    kind: int,
    grid: np.ndarray,
    min_days: int,
    min_total: float,
) -> tuple[float, float, float]:
    """``grid_search``'s answer (hbp, cbp, sse), bit for bit, from sorted prefix sums."""
    n = temp.shape[0]
    g = grid.shape[0]
    q = extras.shape[1]
    if kind <= 1 or n < 2 or g == 0:
        return grid_search(temp, y, extras, kind, grid, min_days, min_total)
    for k in range(1, g):
        if not grid[k] > grid[k - 1]:
            return grid_search(temp, y, extras, kind, grid, min_days, min_total)
    for i in range(n):
        if not (np.isfinite(temp[i]) and np.isfinite(y[i])):
            return grid_search(temp, y, extras, kind, grid, min_days, min_total)
        for j in range(q):
            if not np.isfinite(extras[i, j]):
                return grid_search(temp, y, extras, kind, grid, min_days, min_total)
    if not np.isfinite(grid).all():
        return grid_search(temp, y, extras, kind, grid, min_days, min_total)

    order = np.argsort(temp, kind="mergesort")
    ybar = _mean(y)
    ts = np.empty(n)
    ys = np.empty(n)
    es = np.empty((n, q))
    emean = np.empty(q)
    for j in range(q):
        emean[j] = _mean(np.ascontiguousarray(extras[:, j]))
    ysum = 0.0
    yy = 0.0
    ymax = 0.0
    esum = np.zeros(q)
    ee = np.zeros((q, q))
    ey = np.zeros(q)
    eraw = 0.0  # largest raw Σe² (the reference's Cholesky scale)
    for j in range(q):
        v = 0.0
        for i in range(n):
            v += extras[i, j] * extras[i, j]
        if v > eraw:
            eraw = v
    for i in range(n):
        o = order[i]
        ts[i] = temp[o]
        ys[i] = y[o] - ybar
        ysum += ys[i]
        yy += ys[i] * ys[i]
        if abs(ys[i]) > ymax:
            ymax = abs(ys[i])
        for j in range(q):
            es[i, j] = extras[o, j] - emean[j]
            esum[j] += es[i, j]
            ey[j] += es[i, j] * ys[i]
        for j in range(q):
            for m in range(q):
                ee[j, m] += es[i, j] * es[i, m]
    nf = float(n)
    inv_n = 1.0 / nf
    sst = yy - ysum * ysum * inv_n
    if sst <= _FLAT * nf * ybar * ybar:
        # usage (nearly) constant: the slopes are the reference's rounding, only it can tell
        return grid_search(temp, y, extras, kind, grid, min_days, min_total)
    # rounding of the reference's own SSE (raw y, uncentred solve) sets a floor under the
    # scale the slope and SSE margins are measured against
    floor = nf * (1e-9 * (abs(ybar) + ymax)) ** 2
    slope2 = _REL_SLOPE * _REL_SLOPE * (sst + floor)  # b²·Σ(d - d̄)² below it: undecided
    tol = _REL_SHORTLIST * sst + 1e3 * floor

    hc, h1, h2, hy, he = _heating_sums(ts, ys, es, grid)
    cc, c1, c2, cy, ce = _cooling_sums(ts, ys, es, grid)
    rows = 2 * g
    cnt = np.concatenate((hc, cc))
    s1 = np.concatenate((h1, c1))
    s2 = np.concatenate((h2, c2))
    s1y = np.concatenate((hy, cy))
    # centred sums per row (one degree-day column each), the row's own dd rule, and the
    # pivot under which the reference's rank test (pivot <= 1e-12 x its largest raw diagonal)
    # might decide otherwise
    cdd = np.empty(rows)
    rd = np.empty(rows)
    cde = np.empty((rows, q))
    passes = np.empty(rows, dtype=np.bool_)
    decided = np.empty(rows, dtype=np.bool_)
    cee = np.empty((q, q))
    re = np.empty(q)
    for j in range(q):
        re[j] = ey[j] - esum[j] * ysum * inv_n
        for m in range(q):
            cee[j, m] = ee[j, m] - esum[j] * esum[m] * inv_n
    scale0 = max(nf, eraw)
    for k in range(rows):
        e = he[k] if k < g else ce[k - g]
        cdd[k] = s2[k] - s1[k] * s1[k] * inv_n
        rd[k] = s1y[k] - s1[k] * ysum * inv_n
        for j in range(q):
            cde[k, j] = e[j] - s1[k] * esum[j] * inv_n
        tot = s1[k]
        passes[k] = cnt[k] >= min_days and tot >= min_total
        decided[k] = abs(tot - min_total) > _REL_TOTAL * (abs(tot) + abs(min_total))
    # the intercept's pivot n against the largest scale any candidate can have
    intercept_ok = nf > _REL_PIVOT * max(scale0, s2.max())

    # pass 1: every candidate's status and SSE (fast, or the reference's where undecided)
    nd = 2 if kind >= 4 else 1
    cols = np.empty(nd, dtype=np.int64)
    kk = nd + q
    w = np.zeros((kk, 2 * kk + 2))  # centred normal equations of a candidate (with extras)
    for j in range(q):
        w[nd + j, kk] = re[j]
        for m in range(q):
            w[nd + j, nd + m] = cee[j, m]
    status = np.zeros((g, g), dtype=np.int8)  # 0 out, 1 fast SSE, 2 reference SSE
    sse = np.full((g, g), np.inf)
    best = np.inf
    for a in range(g):
        for b in range(g):
            use, h, c = candidate_balance_points(kind, grid, a, b)
            if not use:
                continue
            ok = True
            sure = True
            j = 0
            if kind != 3:
                cols[0] = a
                ok = ok and passes[a]
                sure = sure and decided[a]
                j = 1
            if kind != 2:
                rc = g + (a if kind == 3 else b)
                cols[j] = rc
                ok = ok and passes[rc]
                sure = sure and decided[rc]
            if sure and not ok:
                continue
            st = -1
            val = np.inf
            if sure and intercept_ok:
                # the reference's rank test: pivot <= 1e-12 x the largest diagonal of its raw
                # X'X; a pivot within 1e4 of that is left to the reference
                ra = cols[0]
                sc = max(scale0, s2[ra])
                if nd == 2:
                    sc = max(sc, s2[cols[1]])
                floor = _REL_PIVOT * sc
                if q == 0 and nd == 1:
                    st, val = _solve1(cdd[ra], rd[ra], floor, slope2, sst)
                elif q == 0:
                    rb = cols[1]
                    c12 = -s1[ra] * s1[rb] * inv_n  # heating and cooling days are disjoint
                    st, val = _solve2(cdd[ra], cdd[rb], c12, rd[ra], rd[rb], floor, slope2, sst)
                else:
                    for i in range(nd):
                        ri = cols[i]
                        w[i, i] = cdd[ri]
                        w[i, kk] = rd[ri]
                        for m in range(i):
                            w[i, m] = -s1[ri] * s1[cols[m]] * inv_n
                            w[m, i] = w[i, m]
                        for j in range(q):
                            w[i, nd + j] = cde[ri, j]
                            w[nd + j, i] = cde[ri, j]
                    st, val = _solve_general(w, kk, nd, floor, slope2, sst)
            if st == 0:
                continue
            if st == -1:
                good, val = candidate_sse(temp, y, extras, kind, h, c, min_days, min_total)
                if not good:
                    continue
                status[a, b] = 2
            else:
                status[a, b] = 1
            sse[a, b] = val
            if val < best:
                best = val

    # pass 2: the near-best by the reference, in its order, with its strict '<'
    best_h = np.nan
    best_c = np.nan
    out = np.inf
    if best == np.inf:
        return best_h, best_c, out
    limit = best + tol
    for a in range(g):
        for b in range(g):
            st = status[a, b]
            if st == 0 or sse[a, b] > limit:
                continue
            _, h, c = candidate_balance_points(kind, grid, a, b)
            val = sse[a, b]
            if st == 1:
                good, val = candidate_sse(temp, y, extras, kind, h, c, min_days, min_total)
                if not good:
                    continue
            if val < out:
                out = val
                best_h = h
                best_c = c
    return best_h, best_c, out
