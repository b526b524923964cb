"""Change-point model kernels: design matrices and balance-point grid search.

Model kinds (ASHRAE RP-1050 Inverse Modeling Toolkit names; CalTRACK daily):

====  ======  =======================================================
kind  name    usage per day
====  ======  =======================================================
0     1P      b0                                  (intercept only)
1     2P      b0 + b1*T
2     3PH     b0 + bh*max(Th - T, 0)
3     3PC     b0 + bc*max(T - Tc, 0)
4     4P      b0 + bh*max(Tb - T, 0) + bc*max(T - Tb, 0)   (one change point)
5     5P      b0 + bh*max(Th - T, 0) + bc*max(T - Tc, 0)   (Th <= Tc)
====  ======  =======================================================

Extra linear regressors (production volume, ...) are appended as columns.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .regression import ols_normal

__all__ = [
    "KIND_NAMES",
    "candidate_balance_points",
    "candidate_sse",
    "changepoint_design",
    "grid_search",
    "n_balance_points",
    "n_params",
]

KIND_NAMES = ("1P", "2P", "3PH", "3PC", "4P", "5P")


@njit(cache=True)
def n_params(kind: int, n_extra: int) -> int:
    """Number of regression coefficients (the design's columns; balance points excluded)."""
    base = (1, 2, 2, 2, 3, 3)
    return base[kind] + n_extra


@njit(cache=True)
def n_balance_points(kind: int) -> int:
    """Balance points a kind estimates by grid search: 0 (1P, 2P), 1 (3PH, 3PC, 4P), 2 (5P).

    They are parameters fitted to the data like the slopes, so the Guideline 14 statistics
    count them: a 5P model has p = 3 coefficients + 2 balance points = 5.
    """
    bps = (0, 0, 1, 1, 1, 2)
    return bps[kind]


@njit(cache=True)
def changepoint_design(
    temp: np.ndarray, extras: np.ndarray, kind: int, hbp: float, cbp: float
) -> np.ndarray:
    """Design matrix [1, temperature terms..., extras...] for a model kind."""
    n = temp.shape[0]
    q = extras.shape[1]
    p = n_params(kind, q)
    x = np.empty((n, p))
    for i in range(n):
        t = temp[i]
        x[i, 0] = 1.0
        c = 1
        if kind == 1:
            x[i, 1] = t
            c = 2
        elif kind == 2:
            x[i, 1] = hbp - t if t < hbp else 0.0
            c = 2
        elif kind == 3:
            x[i, 1] = t - cbp if t > cbp else 0.0
            c = 2
        elif kind == 4 or kind == 5:
            x[i, 1] = hbp - t if t < hbp else 0.0
            x[i, 2] = t - cbp if t > cbp else 0.0
            c = 3
        for j in range(q):
            x[i, c + j] = extras[i, j]
    return x


@njit(cache=True)
def _dd_ok(temp: np.ndarray, bp: float, heating: bool, min_days: int, min_total: float) -> bool:
    cnt = 0
    tot = 0.0
    for i in range(temp.shape[0]):
        d = bp - temp[i] if heating else temp[i] - bp
        if d > 0:
            cnt += 1
            tot += d
    return cnt >= min_days and tot >= min_total


@njit(cache=True)
def candidate_sse(
    temp: np.ndarray,
    y: np.ndarray,
    extras: np.ndarray,
    kind: int,
    h: float,
    c: float,
    min_days: int,
    min_total: float,
) -> tuple[bool, float]:
    """One balance-point candidate of kind 2..5, solved from its design matrix: (qualifies, sse).

    The reference every faster search is held to: the degree-day rule of each term
    (``min_days`` non-zero values summing to ``min_total``), a positive definite X'X
    (Cholesky) and positive slopes; sse = inf when the candidate does not qualify.
    """
    if kind != 3 and not _dd_ok(temp, h, True, min_days, min_total):
        return False, np.inf
    if kind != 2 and not _dd_ok(temp, c, False, min_days, min_total):
        return False, np.inf
    x = changepoint_design(temp, extras, kind, h, c)
    coef, sse, ok = ols_normal(x, y)
    if not ok:
        return False, np.inf
    if kind >= 2 and coef[1] <= 0.0:
        return False, np.inf
    if kind >= 4 and coef[2] <= 0.0:
        return False, np.inf
    return True, sse


@njit(cache=True)
def candidate_balance_points(
    kind: int, grid: np.ndarray, a: int, b: int
) -> tuple[bool, float, float]:
    """Is grid pair (a, b) a candidate of ``kind``, and its (hbp, cbp) (NaN where unused).

    Candidates in search order: a outer, b inner; 3PH/3PC use b = 0 only, 4P b = a, 5P b > a.
    """
    if kind == 2:
        return b == 0, grid[a], np.nan
    if kind == 3:
        return b == 0, np.nan, grid[a]
    if kind == 4:
        return b == a, grid[a], grid[a]
    return b > a, grid[a], grid[b]


@njit(cache=True)
def grid_search(
    temp: np.ndarray,
    y: np.ndarray,
    extras: np.ndarray,
    kind: int,
    grid: np.ndarray,
    min_days: int,
    min_total: float,
) -> tuple[float, float, float]:
    """Best balance point(s) of a kind by least SSE over ``grid``: (hbp, cbp, sse).

    The exhaustive reference: every candidate's design matrix is built and solved
    (``candidate_sse``). A candidate qualifies when each degree-day term has at least
    ``min_days`` non-zero values summing to ``min_total`` (CalTRACK 3.2.2's 10 days /
    20 degF-days) and its fitted slopes are positive; the first candidate (search order of
    ``candidate_balance_points``) with the least SSE wins. Returns sse = inf when none
    qualifies. Kinds 0 and 1 have no balance point and are evaluated once.
    ``grid_search_fast`` gives the same answer in O(1) per candidate.
    """
    best_h = np.nan
    best_c = np.nan
    best = np.inf
    g = grid.shape[0]
    if kind <= 1:
        x = changepoint_design(temp, extras, kind, 0.0, 0.0)
        coef, sse, ok = ols_normal(x, y)
        if ok:
            best = sse
        return best_h, best_c, best
    for a in range(g):
        for b in range(g):
            use, h, c = candidate_balance_points(kind, grid, a, b)
            if not use:
                continue
            good, sse = candidate_sse(temp, y, extras, kind, h, c, min_days, min_total)
            if good and sse < best:
                best = sse
                best_h = h
                best_c = c
    return best_h, best_c, best
