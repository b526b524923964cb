"""Anomaly-detection kernels: return index episodes (start, alarm, end), never flags or I/O."""

from __future__ import annotations

import numpy as np
from numba import njit

from .control import run_lengths

__all__ = [
    "cusum_episodes",
    "excess_cusum",
    "equal_runs",
    "ewma_excursions",
    "night_minimum",
    "spike_mask",
    "threshold_runs",
]


@njit(cache=True)
def cusum_episodes(
    z: np.ndarray, k: float, h: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided tabular CUSUM on standardized residuals z with reference k and limit h.

    An episode starts where a side's sum leaves 0, alarms where it first exceeds h and
    ends where it returns to 0 (or at the last index). Only alarmed episodes are
    returned: (start, alarm, end_exclusive, direction +1/-1). NaN z carries the sums.
    """
    n = z.shape[0]
    starts = np.empty(n, dtype=np.int64)
    alarms = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    dirs = np.empty(n, dtype=np.int64)
    c = 0
    for side in (1, -1):
        s = 0.0
        st = -1
        al = -1
        for i in range(n):
            v = z[i]
            if np.isnan(v):
                continue
            s_new = max(0.0, s + side * v - k)
            if s == 0.0 and s_new > 0.0:
                st = i
                al = -1
            s = s_new
            if s > h and al < 0:
                al = i
            if s == 0.0 and st >= 0:
                if al >= 0:
                    starts[c] = st
                    alarms[c] = al
                    ends[c] = i
                    dirs[c] = side
                    c += 1
                st = -1
                al = -1
        if st >= 0 and al >= 0:
            starts[c] = st
            alarms[c] = al
            ends[c] = n
            dirs[c] = side
            c += 1
    return starts[:c], alarms[:c], ends[:c], dirs[:c]


@njit(cache=True)
def excess_cusum(
    r: np.ndarray, sigma: float, k: float, h: float, window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Upper CUSUM of excess use r = observed - expected, against a level that follows savings.

    level_i = min(0, median of the residuals in [i - 2 window, i - window) that were not inside
    the first ``window`` residuals of an alarm); 0 at first, and kept from the previous
    residual while fewer than ``window // 2`` usable ones are in that span. A saving
    (residuals below 0) lowers the level after a month or two, so an excess after it is still
    seen; the level never rises above the expectation, so a fault cannot teach it a higher
    normal; it lags by ``window``, so a fault (or a drift) is judged for its first ``window``
    residuals against the normal from before it; and it does not learn from an alarm's first
    ``window`` residuals (then a lasting change becomes the new normal: the flag ends instead
    of running on for ever on a meter whose savings merely shrank).
    S_i = min(max(0, S_{i-1} + (r_i - level_i) / sigma - k), h) (capped at h once alarmed, so
    an episode ends about h / k residuals after use is back at the level); an episode starts
    where S leaves 0, alarms where S first exceeds h, ends where S returns to 0 (or at the
    end). NaN r carries
    S. Returns (starts, alarms, ends_exclusive) of alarmed episodes, and the level.
    """
    n = r.shape[0]
    starts = np.empty(n, dtype=np.int64)
    alarms = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    level = np.zeros(n)
    usable = np.full(n, np.nan)
    buf = np.empty(window)
    c = 0
    s = 0.0
    st = -1
    al = -1
    for i in range(n):
        m = 0
        for j in range(max(0, i - 2 * window), max(0, i - window)):
            if not np.isnan(usable[j]):
                buf[m] = usable[j]
                m += 1
        if m >= max(window // 2, 1):
            level[i] = min(0.0, np.median(buf[:m]))
        elif i > 0:
            level[i] = level[i - 1]  # too few usable residuals (an alarm, a gap): keep it
        v = r[i]
        if np.isnan(v):
            continue
        s_new = min(max(0.0, s + (v - level[i]) / sigma - k), h + 1e-9)
        if s == 0.0 and s_new > 0.0:
            st = i
            al = -1
        s = s_new
        if s > h and al < 0:
            al = i
        if al < 0 or i - al >= window:
            usable[i] = v
        if s == 0.0 and st >= 0:
            if al >= 0:
                starts[c] = st
                alarms[c] = al
                ends[c] = i
                c += 1
            st = -1
            al = -1
    if st >= 0 and al >= 0:
        starts[c] = st
        alarms[c] = al
        ends[c] = n
        c += 1
    return starts[:c], alarms[:c], ends[:c], level


@njit(cache=True)
def ewma_excursions(
    z: np.ndarray, lam: float, limit: float, persistence: int
) -> tuple[np.ndarray, np.ndarray]:
    """Runs of >= ``persistence`` points where |EWMA(z)| exceeds
    ``limit * sqrt(lam / (2 - lam))`` (asymptotic EWMA sigma for unit-variance z)."""
    n = z.shape[0]
    lim = limit * np.sqrt(lam / (2.0 - lam))
    mask = np.zeros(n, dtype=np.bool_)
    e = 0.0
    for i in range(n):
        v = z[i]
        if not np.isnan(v):
            e = lam * v + (1.0 - lam) * e
            mask[i] = abs(e) > lim
    return run_lengths(mask, persistence)


@njit(cache=True)
def equal_runs(x: np.ndarray, min_len: int, skip_value: float) -> tuple[np.ndarray, np.ndarray]:
    """Runs of >= ``min_len`` exactly equal consecutive finite values (not equal to skip_value)."""
    n = x.shape[0]
    mask = np.zeros(n, dtype=np.bool_)
    i = 0
    while i < n:
        j = i + 1
        if np.isfinite(x[i]) and x[i] != skip_value:
            while j < n and x[j] == x[i]:
                j += 1
            if j - i >= min_len:
                for q in range(i, j):
                    mask[q] = True
        i = j
    return run_lengths(mask, min_len)


@njit(cache=True)
def _spike_height(x: float, prev: float, nxt: float) -> float:
    a = x - prev
    b = x - nxt
    if a > 0 and b > 0:
        return min(a, b)
    if a < 0 and b < 0:
        return max(a, b)
    return 0.0


@njit(cache=True)
def spike_mask(x: np.ndarray, window: int, k: float, floor: float) -> np.ndarray:
    """Isolated one-interval spikes.

    Height r_i = the smaller of x_i - x_{i-1} and x_i - x_{i+1} when both have the same
    sign, else 0: a step in the schedule has one small side (r ~ noise), a spike two
    large ones. Flags |r_i| > k * max(1.4826 * MAD(first differences), floor), the MAD
    over the ``window`` differences before i (refreshed every 24 steps); x_{i-1} is
    the last value not itself a
    spike. Needs the next value: flagged with a delay of one interval.
    """
    n = x.shape[0]
    d = np.full(n, np.nan)
    for i in range(1, n):
        d[i] = x[i] - x[i - 1]
    # robust scale of the trailing window, refreshed every ``stride`` steps (O(n/stride * w))
    stride = 24
    med = np.full(n, np.nan)
    mad = np.full(n, np.nan)
    buf = np.empty(window)
    cm = np.nan
    cs = np.nan
    for i in range(n):
        if i % stride == 0:
            c = 0
            for j in range(max(0, i - window + 1), i + 1):
                if np.isfinite(d[j]):
                    buf[c] = d[j]
                    c += 1
            if c >= window // 2:
                cm = np.median(buf[:c])
                cs = np.median(np.abs(buf[:c] - cm))
            else:
                cm = np.nan
                cs = np.nan
        med[i] = cm
        mad[i] = cs
    out = np.zeros(n, dtype=np.bool_)
    prev = x[1]
    for i in range(2, n - 1):
        m = med[i - 1]
        if np.isnan(m) or np.isnan(x[i]):
            continue
        s = 1.4826 * mad[i - 1]
        if s < floor:
            s = floor
        out[i] = abs(_spike_height(x[i], prev, x[i + 1])) > k * s
        if not out[i]:
            prev = x[i]
    return out


@njit(cache=True)
def threshold_runs(
    x: np.ndarray, lo: float, hi: float, min_len: int
) -> tuple[np.ndarray, np.ndarray]:
    """Runs of >= ``min_len`` finite values outside [lo, hi]."""
    n = x.shape[0]
    mask = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        v = x[i]
        mask[i] = np.isfinite(v) and (v < lo or v > hi)
    return run_lengths(mask, min_len)


@njit(cache=True)
def night_minimum(
    values: np.ndarray, hour: np.ndarray, day: np.ndarray, h0: int, h1: int, ndays: int
) -> np.ndarray:
    """Minimum per day index of values whose local hour is in [h0, h1); NaN if none."""
    out = np.full(ndays, np.inf)
    for i in range(values.shape[0]):
        d = day[i]
        if d < 0 or d >= ndays or np.isnan(values[i]):
            continue
        if hour[i] >= h0 and hour[i] < h1 and values[i] < out[d]:
            out[d] = values[i]
    for d in range(ndays):
        if out[d] == np.inf:
            out[d] = np.nan
    return out
