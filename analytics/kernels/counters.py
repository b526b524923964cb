"""Counter and binning kernels: cumulative registers -> interval use -> fixed bins.

Pure numba functions on float64/int64 arrays; no pandas, logging or I/O.

Status codes returned by :func:`counter_deltas` (int64 per reading):

====  ==========  ==========================================================
code  name        meaning
====  ==========  ==========================================================
0     OK          delta = value - previous valid value
1     ROLLOVER    the register wrapped past ``rollover``; delta accounts for it
2     RESET       a drop that is not a plausible rollover: delta is NaN (unknown)
3     GAP         more than ``max_gap_ms`` since the previous valid reading; the
                  delta is kept (counters lose resolution, never energy)
4     MISSING     the reading itself is NaN; delta NaN, next reading diffs
                  against the last valid one
5     FIRST       first valid reading: no previous value, delta NaN
6     DUPLICATE   timestamp not after the previous valid one; delta NaN
====  ==========  ==========================================================
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "DUPLICATE",
    "FIRST",
    "GAP",
    "MISSING",
    "OK",
    "RESET",
    "ROLLOVER",
    "bin_intervals",
    "bin_mean",
    "counter_deltas",
]

OK = 0
ROLLOVER = 1
RESET = 2
GAP = 3
MISSING = 4
FIRST = 5
DUPLICATE = 6


@njit(cache=True)
def counter_deltas(
    ts_ms: np.ndarray,
    values: np.ndarray,
    rollover: float,
    max_gap_ms: int,
    max_rate_per_h: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval consumption from a cumulative counter.

    Parameters: ``ts_ms`` sorted int64 UTC ms; ``values`` float64 register
    readings; ``rollover`` the register's wrap value (<= 0: the register never
    wraps); ``max_gap_ms`` gap threshold (<= 0: never a gap); ``max_rate_per_h``
    the largest plausible consumption per hour (<= 0: unknown; then a wrap is
    plausible only when the wrapped delta is under 10 % of ``rollover``).

    Returns ``(delta, start_ms, status)``: delta[i] is the use between the
    previous valid reading (at start_ms[i]) and reading i.
    """
    n = ts_ms.shape[0]
    delta = np.full(n, np.nan)
    start = np.full(n, -1, dtype=np.int64)
    status = np.zeros(n, dtype=np.int64)
    have_prev = False
    prev_v = 0.0
    prev_t = np.int64(0)
    for i in range(n):
        v = values[i]
        t = ts_ms[i]
        if np.isnan(v):
            status[i] = MISSING
            continue
        if not have_prev:
            status[i] = FIRST
            have_prev = True
            prev_v = v
            prev_t = t
            continue
        dt = t - prev_t
        if dt <= 0:
            status[i] = DUPLICATE
            continue
        start[i] = prev_t
        d = v - prev_v
        if d >= 0.0:
            delta[i] = d
            status[i] = OK
        else:
            wrapped = rollover - prev_v + v if rollover > 0.0 else -1.0
            if max_rate_per_h > 0.0:
                limit = max_rate_per_h * dt / 3_600_000.0
            else:
                limit = 0.1 * rollover
            if rollover > 0.0 and wrapped >= 0.0 and wrapped <= limit:
                delta[i] = wrapped
                status[i] = ROLLOVER
            else:
                status[i] = RESET
        if max_gap_ms > 0 and dt > max_gap_ms and status[i] == OK:
            status[i] = GAP
        prev_v = v
        prev_t = t
    return delta, start, status


@njit(cache=True)
def bin_intervals(
    start_ms: np.ndarray,
    end_ms: np.ndarray,
    amount: np.ndarray,
    counts_cover: np.ndarray,
    t0_ms: int,
    bin_ms: int,
    nbins: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Spread interval amounts over fixed bins in proportion to overlap.

    Interval i covers [start_ms[i], end_ms[i]) and holds ``amount[i]`` (NaN or
    start < 0 intervals are skipped). Bin k covers [t0 + k*bin, t0 + (k+1)*bin).
    ``counts_cover[i]`` (0/1) says whether interval i counts towards coverage
    (a gap interval carries its energy but not coverage).

    Returns ``(sums, coverage)``; coverage is the covered fraction of each bin
    (0..1). A bin with zero coverage and zero sum has sum NaN.
    """
    sums = np.zeros(nbins)
    cover = np.zeros(nbins)
    touched = np.zeros(nbins, dtype=np.bool_)
    for i in range(start_ms.shape[0]):
        a = amount[i]
        s = start_ms[i]
        e = end_ms[i]
        if np.isnan(a) or s < 0 or e <= s:
            continue
        rate = a / (e - s)
        k0 = (s - t0_ms) // bin_ms
        k1 = (e - 1 - t0_ms) // bin_ms
        if k1 < 0 or k0 >= nbins:
            continue
        if k0 < 0:
            k0 = 0
        if k1 >= nbins:
            k1 = nbins - 1
        for k in range(k0, k1 + 1):
            b0 = t0_ms + k * bin_ms
            b1 = b0 + bin_ms
            lo = s if s > b0 else b0
            hi = e if e < b1 else b1
            if hi <= lo:
                continue
            sums[k] += rate * (hi - lo)
            touched[k] = True
            if counts_cover[i] != 0:
                cover[k] += (hi - lo) / bin_ms
    for k in range(nbins):
        if not touched[k]:
            sums[k] = np.nan
        if cover[k] > 1.0:
            cover[k] = 1.0
    return sums, cover


@njit(cache=True)
def bin_mean(
    ts_ms: np.ndarray, values: np.ndarray, t0_ms: int, bin_ms: int, nbins: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of instantaneous samples per fixed bin, with the sample count.

    NaN samples and samples outside the bins are ignored; empty bins are NaN.
    """
    sums = np.zeros(nbins)
    counts = np.zeros(nbins, dtype=np.int64)
    for i in range(ts_ms.shape[0]):
        v = values[i]
        if np.isnan(v):
            continue
        k = (ts_ms[i] - t0_ms) // bin_ms
        if k < 0 or k >= nbins:
            continue
        sums[k] += v
        counts[k] += 1
    out = np.full(nbins, np.nan)
    for k in range(nbins):
        if counts[k] > 0:
            out[k] = sums[k] / counts[k]
    return out, counts
