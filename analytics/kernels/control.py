"""Control-chart and robust rolling-statistics kernels (CUSUM, EWMA, median/MAD)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["cusum", "ewma", "rolling_median_mad", "run_lengths"]


@njit(cache=True)
def cusum(x: np.ndarray, target: float, k: float) -> tuple[np.ndarray, np.ndarray]:
    """Tabular (Page) CUSUM: S+ = max(0, S+ + x - target - k), S- = max(0, S- - x + target - k).

    NaN inputs carry the previous sums forward. Returns (s_pos, s_neg), both >= 0.
    """
    n = x.shape[0]
    sp = np.zeros(n)
    sn = np.zeros(n)
    hp = 0.0
    hn = 0.0
    for i in range(n):
        v = x[i]
        if not np.isnan(v):
            hp = max(0.0, hp + v - target - k)
            hn = max(0.0, hn - v + target - k)
        sp[i] = hp
        sn[i] = hn
    return sp, sn


@njit(cache=True)
def ewma(x: np.ndarray, lam: float, start: float) -> np.ndarray:
    """Exponentially weighted moving average z_t = lam*x_t + (1-lam)*z_{t-1}, z_{-1} = start.

    NaN inputs carry the previous value forward; a NaN ``start`` takes the first valid x.
    """
    n = x.shape[0]
    out = np.empty(n)
    z = start
    for i in range(n):
        v = x[i]
        if not np.isnan(v):
            if np.isnan(z):
                z = v
            else:
                z = lam * v + (1.0 - lam) * z
        out[i] = z
    return out


@njit(cache=True)
def rolling_median_mad(
    x: np.ndarray, window: int, min_periods: int
) -> tuple[np.ndarray, np.ndarray]:
    """Trailing rolling median and MAD (unscaled) over the last ``window`` values incl. i.

    NaNs are skipped; a position with fewer than ``min_periods`` valid values is NaN.
    Kept sorted incrementally (O(window) per step).
    """
    n = x.shape[0]
    med = np.full(n, np.nan)
    mad = np.full(n, np.nan)
    buf = np.empty(window + 1)
    dev = np.empty(window + 1)
    m = 0
    for i in range(n):
        v = x[i]
        if not np.isnan(v):
            # insert v
            j = m
            while j > 0 and buf[j - 1] > v:
                buf[j] = buf[j - 1]
                j -= 1
            buf[j] = v
            m += 1
        if i >= window:
            old = x[i - window]
            if not np.isnan(old):
                # remove one copy of old
                j = 0
                while j < m and buf[j] != old:
                    j += 1
                for q in range(j, m - 1):
                    buf[q] = buf[q + 1]
                m -= 1
        if m >= min_periods and m > 0:
            if m % 2 == 1:
                md = buf[m // 2]
            else:
                md = 0.5 * (buf[m // 2 - 1] + buf[m // 2])
            med[i] = md
            for q in range(m):
                dev[q] = abs(buf[q] - md)
            mad[i] = np.median(dev[:m])
    return med, mad


@njit(cache=True)
def run_lengths(mask: np.ndarray, min_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs of True in ``mask`` at least ``min_len`` long: (starts, ends), end exclusive."""
    n = mask.shape[0]
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    c = 0
    i = 0
    while i < n:
        if mask[i]:
            j = i
            while j < n and mask[j]:
                j += 1
            if j - i >= min_len:
                starts[c] = i
                ends[c] = j
                c += 1
            i = j
        else:
            i += 1
    return starts[:c], ends[:c]
